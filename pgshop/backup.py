"""Backups of the private cluster with pgBackRest (WAL archived continuously; full, differential and incremental
backups; point-in-time restore), and logical dumps of any database."""

import json
import os
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

import psycopg

from pgshop.cluster import Cluster
from pgshop.deploy import query
from pgshop.proc import Failure, log, run


def repository(node: Cluster) -> Path:
    return Path(os.environ.get("BACKUP_REPO") or node.dir / "backups")


def pgbackrest(node: Cluster, *args: str, what: str, capture: bool = False) -> str:
    return run(["pgbackrest", f"--config={node.dir}/pgbackrest.conf", "--stanza=pgshop", *args], what,
               user="postgres", capture=capture, hint=f"pgBackRest's own log: {node.dir}/pgbackrest")


def archiving(node: Cluster) -> str:
    """The pgBackRest configuration of NODE (written anew), and the server settings that archive its WAL there."""
    repo = repository(node)
    for path in (node.dir, repo, node.dir / "pgbackrest"):
        path.mkdir(parents=True, exist_ok=True)
        shutil.chown(path, "postgres", "postgres")
    conf = node.dir / "pgbackrest.conf"
    conf.write_text(f"""# Written by pgshop (pgshop/backup.py): the pgBackRest configuration of the cluster in {node.data}.
[global]
repo1-path={repo}
repo1-retention-full={os.environ.get("BACKUP_RETENTION_FULL", "2")}
compress-type=zst
start-fast=y
log-path={node.dir}/pgbackrest
lock-path={node.dir}/pgbackrest
spool-path={node.dir}/pgbackrest
log-level-console=warn
log-level-file=info

[pgshop]
pg1-path={node.data}
pg1-socket-path={node.sockets}
pg1-port={node.port}
pg1-user=postgres
""")
    shutil.chown(conf, "postgres", "postgres")
    return f"""archive_mode = on
archive_command = 'pgbackrest --config={conf} --stanza=pgshop archive-push %p'
archive_timeout = 60
"""


def ensure_stanza(node: Cluster) -> None:
    if not (repository(node) / "backup/pgshop/backup.info").is_file():
        log(f"pgBackRest: creating the stanza in {repository(node)}")
        pgbackrest(node, "stanza-create", what="pgBackRest's stanza-create")


def info(node: Cluster) -> list[dict]:
    """The repository's backups; a clear error when there is none."""
    repo = repository(node)
    if not (node.dir / "pgbackrest.conf").is_file():
        raise Failure(f"no pgBackRest configuration in {node.dir}: start the cluster with make run first")
    if not (repo / "backup/pgshop/backup.info").is_file():
        raise Failure(f"no pgBackRest repository at {repo} (BACKUP_REPO)")
    return json.loads(pgbackrest(node, "info", "--output=json", what="pgBackRest info", capture=True))[0]["backup"]


def backup(node: Cluster, url: str, kind: str) -> None:
    """An online backup (the first is always full), recorded in shop.backups so that monitoring sees its age.
    pgBackRest expires what retention drops."""
    started = time.monotonic()
    log(f"pgBackRest: {kind} backup of {node.data} (the first one is full)")
    pgbackrest(node, "backup", f"--type={kind}", what="the backup")
    latest = info(node)[-1]
    query(url, "insert into shop.backups (label, type, started_at, finished_at, database_bytes, repository_bytes) "
               "values (%s, %s, to_timestamp(%s), to_timestamp(%s), %s, %s) on conflict (label) do nothing "
               "returning label",
          latest["label"], latest["type"], latest["timestamp"]["start"], latest["timestamp"]["stop"],
          latest["info"]["size"], latest["info"]["repository"]["delta"])
    log(f"backup {latest['label']} ({latest['type']}) in {time.monotonic() - started:.0f} s: "
        f"{latest['info']['repository']['delta']} bytes in the repository for {latest['info']['size']} bytes of "
        "database")


def listing(node: Cluster) -> None:
    info(node)
    print(pgbackrest(node, "info", what="pgBackRest info", capture=True), end="")


def restore(node: Cluster, target: str | None) -> None:
    """The cluster back to the latest state the repository holds, or to TARGET (a time). Checked first (a
    repository, a backup before the target, a target not in the future, the repository's checksums): on a bad
    input nothing is touched. The replaced data directory is kept until the restored server is up."""
    backups = info(node)
    if not backups:
        raise Failure(f"the repository at {repository(node)} has no backup yet: make backup first")
    first = min(b["timestamp"]["stop"] for b in backups)
    args = ["--type=default"]
    if target:
        at = _when(target)
        if at > datetime.now(timezone.utc):
            raise Failure(f"TARGET_TIME {target} is in the future")
        if at.timestamp() <= first:
            raise Failure(f"TARGET_TIME {target} is before the first backup "
                          f"({datetime.fromtimestamp(first, timezone.utc):%Y-%m-%d %H:%M:%S+00})")
        # pgBackRest wants YYYY-MM-DD HH:MM:SS[.ffffff]+TZ: the same moment, written so, in UTC.
        args = ["--type=time", f"--target={at:%Y-%m-%d %H:%M:%S.%f}+00", "--target-action=promote"]
    log("pgBackRest: verifying the repository's checksums")
    verified = run(["pgbackrest", f"--config={node.dir}/pgbackrest.conf", "--stanza=pgshop", "verify",
                    "--log-level-console=info"], "pgBackRest verify", user="postgres", capture=True)
    if "verify command end: completed successfully" not in verified or "status: error" in verified:
        problems = [line.split("INFO: ")[-1] for line in verified.splitlines()
                    if any(w in line for w in ("invalid", "missing", "error"))][:3]
        raise Failure(f"the repository at {repository(node)} fails verification: {' '.join(problems)}; "
                      "nothing was changed")
    was_running = node.running()
    if was_running:
        log(f"archiving the current WAL, then stopping PostgreSQL in {node.dir}")
        try:
            pgbackrest(node, "check", what="pgBackRest check")
        except Failure:
            log("warning: the newest WAL could not be archived")
        node.stop()
    kept = node.dir / f"data.replaced-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}"
    node.data.rename(kept)
    node.data.mkdir(mode=0o700)
    shutil.chown(node.data, "postgres", "postgres")
    started = time.monotonic()
    log(f"pgBackRest: restoring {'to ' + target + ' ' if target else ''}(the data it replaces is kept in {kept} "
        "until this succeeds)")
    try:
        pgbackrest(node, "restore", *args, what="the restore")
        node.pg_ctl("-w", "-t", "600", "start", what="the restored server's start")
        _wait_promoted(node)
    except Failure:
        node.stop()
        shutil.rmtree(node.data)
        kept.rename(node.data)
        if was_running:
            node.pg_ctl("-w", "start", what="the previous server's start")
        raise Failure(f"the restore failed (see {node.log} and {node.dir}/pgbackrest); the previous data is back "
                      "in place") from None
    shutil.rmtree(kept)
    log(f"restored {'to ' + target + ' ' if target else ''}in {time.monotonic() - started:.0f} s; the replaced "
        "data directory is deleted")
    if not was_running:
        node.stop()


def _when(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Failure(f"TARGET_TIME '{text}' is not a time (e.g. '2026-12-01 12:00:00+00')") from None
    return at if at.tzinfo else at.astimezone()


def _wait_promoted(node: Cluster, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(node.conninfo(dbname="postgres"), connect_timeout=2) as conn:
                if not conn.execute("select pg_is_in_recovery()").fetchone()[0]:
                    return
        except psycopg.OperationalError:
            if not node.running():
                raise Failure("the restored server stopped") from None
        time.sleep(0.2)
    raise Failure("the restored server did not finish recovery in 10 minutes")


def dump(url: str, file: Path) -> None:
    """A logical, portable pg_dump (custom format) of the database."""
    file.parent.mkdir(parents=True, exist_ok=True)
    run(["pg_dump", "-Fc", "--no-owner", "--exclude-schema=cron", "-f", file, url], "pg_dump")
    log(f"wrote {file} ({file.stat().st_size} bytes)")


ROLES_AND_EXTENSIONS = """
create extension if not exists pgcrypto;
create extension if not exists pg_trgm;
do $$
begin
  if not exists (select from pg_roles where rolname = 'pgshop_api') then create role pgshop_api login; end if;
  if not exists (select from pg_roles where rolname = 'bi_reader') then create role bi_reader nologin; end if;
  if not exists (select from pg_roles where rolname = 'pgshop_monitor') then create role pgshop_monitor login; end if;
end
$$;
"""


def load(url: str, file: Path) -> None:
    """A dump restored into an empty database. Roles and extensions are the cluster's, not the dump's: the roles
    are created as the migrations do, the trusted extensions here; rum, pg_cron and pg_stat_statements need a
    superuser (the private clusters have them). The dump's own extension entries, and the grant on pg_cron's
    schema, are left out of the restore."""
    if not file.is_file():
        raise Failure(f"no dump at {file}")
    if query(url, "select count(*) from pg_namespace where nspname = 'shop'")[0][0]:
        raise Failure(f"the database at {url} is not empty: load restores into an empty database only")
    run(["psql", url, "-qX", "-v", "ON_ERROR_STOP=1"], "creating the roles and extensions", stdin=ROLES_AND_EXTENSIONS)
    listed = run(["pg_restore", "-l", file], "pg_restore -l", capture=True)
    kept = "".join(line + "\n" for line in listed.splitlines()
                   if not any(f" {kind} " in line for kind in ("EXTENSION", "COMMENT - EXTENSION", "ACL - SCHEMA cron")))
    list_file = file.with_name(file.name + ".list")
    try:
        list_file.write_text(kept)
        run(["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", "-L", list_file, "-d", url, file],
            "pg_restore", hint="nothing was loaded")
    finally:
        list_file.unlink(missing_ok=True)
    log(f"loaded {file}")
