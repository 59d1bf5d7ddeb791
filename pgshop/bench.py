"""make bench: the benchmark scripts of bench/ (bench/run.py, scaleout.py, events.py) with what they need: wrk,
Redis and granian (measured against uvicorn). They build their own throwaway cluster (pgshop.cluster)."""

from pathlib import Path

from pgshop import packages
from pgshop.proc import ROOT, log, run, venv


def bench(script: str) -> None:
    packages.ensure(packages.SERVER, packages.BENCH)
    if not Path(venv("granian")).exists():
        log("installing the bench extras (granian)")
        run([venv("pip"), "install", "-q", "--disable-pip-version-check", "-e", f"{ROOT}[dev,bench]"], "pip install")
    run([venv("python"), ROOT / f"bench/{script}.py"], f"bench/{script}.py", quiet=False)
