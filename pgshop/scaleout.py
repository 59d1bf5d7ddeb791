"""REPLICA=1: a hot standby of the database's server that the API reads from; PGBOUNCER=1: PgBouncer
(transaction pooling) between the API and the primary. Both work with any DATABASE_URL (its database, user, host
and port); where they cannot, they refuse at once with one line that says why."""

import os
import resource
import signal
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from pgshop.cluster import Cluster
from pgshop.deploy import as_user, query
from pgshop.proc import PGBIN, Failure, log, run

# A standby must allow at least what its primary allows, or it refuses to start (hot standby's rule).
_MATCHED = ("max_connections", "max_worker_processes", "max_wal_senders", "max_prepared_transactions",
            "max_locks_per_transaction")


def standby(directory: Path, port: int, source: str, dbname: str, user: str) -> str:
    """A hot standby in DIRECTORY (socket DIRECTORY/run, PORT) of the server of SOURCE (a URL of a role that may
    replicate), streamed through the replication slot REPLICA_SLOT: pg_basebackup -R the first time, then reused.
    REPLICA_APPLY_DELAY (e.g. 2s) delays replay. The URL of its database DBNAME as USER (local trust: the socket is
    in DIRECTORY)."""
    node = Cluster(directory, port)
    slot = os.environ.get("REPLICA_SLOT", "pgshop_replica")
    primary = dict(query(source, "select name, setting from pg_settings where name = any(%s)", list(_MATCHED)))
    if not node.exists():
        may_replicate(source)
        log(f"pg_basebackup into {node.data} (a hot standby, replication slot {slot})")
        for path in (node.dir, node.sockets):
            path.mkdir(parents=True, exist_ok=True)
        run(["chown", "-R", "postgres:postgres", node.dir], "chown of the standby's directory")
        query(source, "select pg_drop_replication_slot(slot_name) from pg_replication_slots "
                      "where slot_name = %s and not active", slot)
        run([PGBIN / "pg_basebackup", "-d", source, "-D", node.data, "-R", "-X", "stream", "-C", "-S", slot,
             "--checkpoint=fast"], "pg_basebackup", user="postgres",
            hint="the role of DATABASE_URL must be allowed to replicate from this host (pg_hba.conf: replication)")
        # A server whose configuration lives outside its data directory (Debian's clusters: /etc/postgresql)
        # leaves none in the copy: the standby gets its own, and lets local roles in through its private socket.
        node.include_settings()
        (node.data / "pg_hba.conf").write_text("local all all trust\n")
        run(["chown", "-R", "postgres:postgres", node.data], "chown of the standby's data")
    node.start(node.settings() + "".join(f"{name} = {primary[name]}\n" for name in _MATCHED) + f"""hot_standby = on
hot_standby_feedback = on
recovery_min_apply_delay = '{os.environ.get("REPLICA_APPLY_DELAY", "0")}'
archive_mode = off
""")
    return node.url(user=user, dbname=dbname)


def pooler(directory: Path, target: str, listen_port: int) -> str:
    """PgBouncer in DIRECTORY in front of the server and database of TARGET (the API's direct URL: its host, port,
    database, user and password), transaction pooling; it listens on DIRECTORY (unix socket) and
    127.0.0.1:LISTEN_PORT. The API's URL of it."""
    params = conninfo_to_dict(target)
    dbname, user = params.get("dbname", "pgshop"), params.get("user", "pgshop_api")
    server = " ".join(f"{key}={_quoted(params[key])}" for key in ("host", "port", "dbname", "user", "password")
                      if params.get(key))
    directory.mkdir(parents=True, exist_ok=True)
    ini = directory / "pgbouncer.ini"
    ini.write_text(f"""; Written by pgshop at every start (pgshop/scaleout.py): edit that, not this file.
[databases]
{dbname} = {server}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen_port}
unix_socket_dir = {directory}
auth_type = trust
auth_file = {directory}/userlist.txt
pool_mode = transaction
default_pool_size = {os.environ.get("PGBOUNCER_POOL_SIZE", "20")}
max_client_conn = 5000
ignore_startup_parameters = extra_float_digits
; After a restart of PostgreSQL: log in again within a second (default 15 s), and a query that finds no server
; connection for 3 s (DB_POOL_TIMEOUT) fails, so the API answers 503 rather than hang through an outage.
server_login_retry = 1
query_wait_timeout = 3
logfile = {directory}/pgbouncer.log
pidfile = {directory}/pgbouncer.pid
""")
    (directory / "userlist.txt").write_text(f'"{user}" ""\n')
    run(["chown", "-R", "postgres:postgres", directory], "chown of PgBouncer's directory")
    pid = _pid(directory)
    if pid:
        os.kill(pid, signal.SIGHUP)  # re-read the configuration
    else:
        log(f"starting PgBouncer in {directory} (transaction pooling, port {listen_port})")
        # Started as root and switching to postgres itself (-u), so that it keeps the raised limit of open files.
        resource.setrlimit(resource.RLIMIT_NOFILE, (16384, 16384))
        run(["pgbouncer", "-d", "-u", "postgres", ini], "PgBouncer's start",
            hint=f"is port {listen_port} free? (PGBOUNCER_PORT; its log: {directory}/pgbouncer.log)")
    return f"postgresql://{user}@/{dbname}?host={directory}&port={listen_port}"


def may_replicate(source: str) -> None:
    """Refuses at once, in one line, a standby that could not be made: the role of SOURCE may not replicate."""
    (may,) = query(source, "select rolsuper or rolreplication from pg_roles where rolname = current_user")[0]
    if not may:
        raise Failure(f"REPLICA=1 needs a role that may replicate, and {conninfo_to_dict(source).get('user')} may "
                      "not: grant it REPLICATION, or point READ_DATABASE_URL at a standby of your own")


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'" if any(c in value for c in " '=") else value


def _pid(directory: Path) -> int | None:
    try:
        pid = int((directory / "pgbouncer.pid").read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def stop_pooler(directory: Path) -> None:
    pid = _pid(directory)
    if pid:
        os.kill(pid, signal.SIGTERM)


def scale_out(owner_url: str, directory: Path, private: Cluster | None) -> dict[str, str]:
    """The API's settings for REPLICA=1 and PGBOUNCER=1 (read from the environment), starting what they need:
    the standby in DIRECTORY/replica (from the private cluster PRIVATE, or DATABASE_URL's server when its role
    may replicate) unless READ_DATABASE_URL names one; PgBouncer in DIRECTORY/pgbouncer."""
    env: dict[str, str] = {}
    direct = os.environ.get("API_DATABASE_URL") or as_user(owner_url, "pgshop_api")
    api = conninfo_to_dict(direct)
    if os.environ.get("REPLICA", "0") == "1" and not os.environ.get("READ_DATABASE_URL"):
        source = private.conninfo() if private else owner_url
        env["READ_DATABASE_URL"] = standby(directory / "replica", int(os.environ.get("REPLICA_PORT", "54321")),
                                           source, api.get("dbname", "pgshop"), api.get("user", "pgshop_api"))
    read = env.get("READ_DATABASE_URL") or os.environ.get("READ_DATABASE_URL")
    if read:
        log(f"reads of stable functions go to the standby READ_DATABASE_URL={read}")
    if os.environ.get("PGBOUNCER", "0") == "1":
        env["API_DATABASE_URL"] = pooler(directory / "pgbouncer", direct, int(os.environ.get("PGBOUNCER_PORT", "6432")))
        env["DIRECT_DATABASE_URL"] = direct
        env["DB_PREPARED_STATEMENTS"] = "0"
        log(f"the API reaches the primary through PgBouncer: API_DATABASE_URL={env['API_DATABASE_URL']}")
    return env
