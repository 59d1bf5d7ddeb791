"""Debian packages the commands need, installed when missing (the .venv itself is made by scripts/pgshop, the
short bootstrap the Makefile calls)."""

import os
import shutil
import subprocess

from pgshop.proc import Failure, log, run

CLIENT = ["postgresql-client-15"]  # psql, pg_dump: all a DATABASE_URL of your own needs
SERVER = ["postgresql-15", "postgresql-15-pgtap", "libtap-parser-sourcehandler-pgtap-perl", "postgresql-15-cron",
          "postgresql-15-rum", "pgbackrest", "prometheus-postgres-exporter", "prometheus", "pgbouncer"]
TEST = ["shellcheck"]
BENCH = ["wrk", "redis-server"]


def missing(packages: list[str]) -> list[str]:
    status = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${Status}\\n", *packages], capture_output=True,
                            text=True).stdout
    installed = {line.split()[0] for line in status.splitlines() if line.endswith("ok installed")}
    return [p for p in packages if p not in installed]


def ensure(*groups: list[str]) -> None:
    """apt-get install whatever of these packages is missing (as root). Debian starts a default cluster on 5432
    when it installs the server; pgshop never uses it."""
    wanted = missing([p for group in groups for p in group])
    if not wanted:
        return
    if os.geteuid() != 0:
        raise Failure(f"Debian packages missing: {' '.join(wanted)}; run as root (or apt-get install them)")
    if not shutil.which("apt-get"):
        raise Failure(f"Debian packages missing and no apt-get here: {' '.join(wanted)}")
    log(f"installing Debian packages: {' '.join(wanted)}")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-qq"], "apt-get update", hint="check the network and /etc/apt/sources.list", env=env)
    run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *wanted], "apt-get install",
        hint="check the packages' names and the network", env=env)
