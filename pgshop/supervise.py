"""Serving: the API (uvicorn, which restarts a worker process that dies), the webhook worker and the metrics
listener under supervisord. A child that exits is started again (one that fails within STARTSECS is retried
after 1, 2, 3... s); supervisord logs why; only SIGTERM or SIGINT stops them all. Everything the run needs
(supervisord's configuration and socket, the metrics' multiprocess directory) lives in one temporary directory,
removed when it stops, however it stops."""

import os
import secrets
import shlex
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from pgshop.proc import ROOT, log, venv

PROGRAMS = ("api", "worker", "metrics")
STARTSECS = 5  # a child must stay up this long to count as started; one that exits sooner is retried with backoff


def commands(host: str, port: int, workers: int) -> dict[str, list[str]]:
    return {
        "api": [venv("uvicorn"), "api.app:create_app", "--factory", "--host", host, "--port", str(port),
                "--workers", str(workers), "--no-access-log", "--no-server-header", "--no-proxy-headers"],
        "worker": [venv("python"), "-m", "api.worker"],
        "metrics": [venv("python"), "-m", "api.metrics"],
    }


def configuration(run_dir: Path, programs: dict[str, list[str]]) -> str:
    password = secrets.token_urlsafe(24)  # supervisorctl's, for this run (the file is readable by root only)
    sections = [f"""; pgshop/supervise.py writes this for one run, in a directory removed when the run stops.
[supervisord]
nodaemon=true
user=root
logfile={run_dir}/supervisord.log
pidfile={run_dir}/supervisord.pid
childlogdir={run_dir}

[unix_http_server]
file={run_dir}/supervisor.sock
chmod=0700
username=pgshop
password={password}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{run_dir}/supervisor.sock
username=pgshop
password={password}
"""]
    for name, command in programs.items():
        sections.append(f"""[program:{name}]
command={shlex.join(command)}
directory={ROOT}
autorestart=true
startsecs={STARTSECS}
startretries=100
stopasgroup=true
killasgroup=true
stopwaitsecs=20
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
redirect_stderr=true
""")
    return "\n".join(sections)


def serve(env: dict[str, str], programs: tuple[str, ...], host: str, port: int, workers: int) -> int:
    """Run PROGRAMS under supervisord until SIGTERM or SIGINT; the exit status of supervisord."""
    with tempfile.TemporaryDirectory(prefix="pgshop-run.") as tmp:
        run_dir = Path(tmp)
        # Metrics of every API worker, summed (prometheus-client multiprocess mode), for this run only.
        (run_dir / "metrics").mkdir()
        conf = run_dir / "supervisord.conf"
        chosen = {name: command for name, command in commands(host, port, workers).items() if name in programs}
        conf.touch(mode=0o600)
        conf.write_text(configuration(run_dir, chosen))
        log(f"supervising {', '.join(chosen)} (supervisorctl -c {conf} status)")
        child = subprocess.Popen([venv("supervisord"), "-c", str(conf)], cwd=ROOT, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT,
                                 env={**os.environ, **env, "PROMETHEUS_MULTIPROC_DIR": str(run_dir / "metrics"),
                                      "PGSHOP_SUPERVISOR": str(conf)})
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, _: child.send_signal(signum))
        # supervisord and its children write to a pipe read here: their lines never overwrite each other, even
        # when this command's output goes to a file.
        for line in child.stdout:
            sys.stdout.buffer.write(line)
            sys.stdout.flush()
        return child.wait()
