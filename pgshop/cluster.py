"""Private PostgreSQL clusters: `.pgdata/` for make run (PGSHOP_DIR, port PGSHOP_PGPORT), and the throwaway ones of
make test and make bench. Owned by the postgres user (initdb refuses root); unix socket in DIR/run, TCP only
when asked (make run: 127.0.0.1, password auth); settings in DATA/pgshop.conf, written anew at each start."""

import errno
import os
import pwd
import socket
import subprocess
from pathlib import Path

from psycopg.conninfo import make_conninfo

from pgshop.proc import PGBIN, Failure, last_line, log, run

OWNER_SETUP = """
select 'create role pgshop login createrole createdb' where not exists (select from pg_roles where rolname = 'pgshop')
\\gexec
select 'create database pgshop owner pgshop' where not exists (select from pg_database where datname = 'pgshop')
\\gexec
\\c pgshop
set client_min_messages = warning;
create extension if not exists pg_cron;
create extension if not exists rum;
create extension if not exists pg_stat_statements;
-- The extension lets PUBLIC read every statement of every database: only the owner (whose monitoring views
-- pass them on to pgshop_monitor) and pg_read_all_stats may.
revoke all on public.pg_stat_statements, public.pg_stat_statements_info from public;
grant select on public.pg_stat_statements, public.pg_stat_statements_info to pgshop, pg_read_all_stats;
grant usage on schema cron to pgshop;
"""


class Cluster:
    def __init__(self, directory: Path | str, port: int) -> None:
        self.dir = Path(directory).absolute()
        self.port = int(port)
        self.data = self.dir / "data"
        self.sockets = self.dir / "run"
        self.log = self.dir / "postgres.log"

    def conninfo(self, user: str = "postgres", dbname: str = "pgshop") -> str:
        return make_conninfo(host=str(self.sockets), port=str(self.port), user=user, dbname=dbname)

    def url(self, user: str = "pgshop", dbname: str = "pgshop") -> str:
        """The URL printed and handed to the app: the owner's by default."""
        return f"postgresql://{user}@/{dbname}?host={self.sockets}&port={self.port}"

    def exists(self) -> bool:
        return (self.data / "PG_VERSION").is_file()

    def running(self) -> bool:
        return self.exists() and run_ok(["runuser", "-u", "postgres", "--", PGBIN / "pg_ctl", "-D", self.data, "status"])

    def pg_ctl(self, *args: str, what: str) -> None:
        run([PGBIN / "pg_ctl", "-D", self.data, "-l", self.log, *args], what, user="postgres")

    def create(self, listen: str = "", extra_conf: str = "") -> str:
        """initdb (the first time), DATA/pgshop.conf, the server started (restarted when its settings changed),
        the owner role pgshop and its database with the extensions a superuser must create. The owner's URL."""
        if not self.exists():
            log(f"initdb {self.data} (port {self.port})")
            self.sockets.mkdir(parents=True, exist_ok=True)
            run(["chown", "-R", "postgres:postgres", self.dir], "chown of the cluster's directory")
            if not run_ok(["runuser", "-u", "postgres", "--", "test", "-x", self.dir]):
                raise Failure(f"the postgres user cannot reach {self.dir}: choose a directory it can enter "
                              "(PGSHOP_DIR), or make its parents executable for others")
            run([PGBIN / "initdb", "-D", self.data, "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8",
                 "--auth-local=trust", "--auth-host=scram-sha-256"], "initdb", user="postgres")
        self.include_settings()
        self.start(self.settings(listen) + extra_conf)
        run(["psql", self.conninfo(dbname="postgres"), "-qAtX", "-v", "ON_ERROR_STOP=1"],
            "creating the role and database pgshop", stdin=OWNER_SETUP)
        return self.url()

    def include_settings(self) -> None:
        """postgresql.conf reads DATA/pgshop.conf (a copy from a server configured elsewhere may have none)."""
        conf = self.data / "postgresql.conf"
        text = conf.read_text() if conf.exists() else ""
        if "include_if_exists = 'pgshop.conf'" not in text:
            conf.write_text(text + "include_if_exists = 'pgshop.conf'\n")

    def settings(self, listen: str = "") -> str:
        return f"""# Written by pgshop at every start (pgshop/cluster.py): edit that, not this file.
port = {self.port}
listen_addresses = '{listen}'
unix_socket_directories = '{self.sockets}'
timezone = 'UTC'
shared_preload_libraries = 'pg_cron,pg_stat_statements,auto_explain'
cron.database_name = 'pgshop'
cron.use_background_workers = on
pg_stat_statements.track = all
auto_explain.log_min_duration = '{os.environ.get("AUTO_EXPLAIN_MIN_DURATION", "250ms")}'
auto_explain.log_nested_statements = on
"""

    def start(self, conf: str) -> None:
        """DATA/pgshop.conf set to `conf`; the server started, or restarted when `conf` changed."""
        running = self.running()
        path = self.data / "pgshop.conf"
        if not path.exists() or path.read_text() != conf:
            path.write_text(conf)
            os.chown(path, *_postgres_ids())
            if running:
                log(f"restarting PostgreSQL in {self.dir} (its settings changed)")
                self.pg_ctl("-w", "-t", "60", "-m", "fast", "restart", what="the restart of PostgreSQL")
        if running:
            return
        in_use = Failure(f"port {self.port} is in use by another program: set PGSHOP_PGPORT to a free port, or "
                         f"stop that program (log: {self.log})")
        if "listen_addresses = ''" not in conf and port_in_use(self.port):
            raise in_use
        log(f"starting PostgreSQL in {self.dir}")
        try:
            self.pg_ctl("-w", "-t", "600", "start", what="pg_ctl start")
        except Failure:
            if last_line(self.log, ["Address already in use"]):
                raise in_use from None
            raise Failure(f"PostgreSQL did not start in {self.dir}: "
                          f"{last_line(self.log, ['FATAL', 'PANIC', 'could not']) or 'see its log'} "
                          f"(log: {self.log})") from None

    def stop(self) -> None:
        if self.running():
            run_ok(["runuser", "-u", "postgres", "--", PGBIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"])


def run_ok(args: list) -> bool:
    """Whether a command succeeds (a question, not a step)."""
    return subprocess.run(list(map(str, args)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


def _postgres_ids() -> tuple[int, int]:
    entry = pwd.getpwnam("postgres")
    return entry.pw_uid, entry.pw_gid


def stop_all(directory: Path | str) -> None:
    """The private cluster in DIR, its standby (DIR/replica) and its PgBouncer (DIR/pgbouncer)."""
    from pgshop import scaleout  # noqa: PLC0415 - scaleout builds on this module

    directory = Path(directory)
    scaleout.stop_pooler(directory / "pgbouncer")
    for data_dir in (directory / "replica", directory):
        if (data_dir / "data" / "PG_VERSION").is_file():
            Cluster(data_dir, 0).stop()
