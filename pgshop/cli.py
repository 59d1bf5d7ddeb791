"""`pgshop`: the operations command. Each command states its options and the environment variables it reads
(`pgshop COMMAND --help`). A failed step stops the command with one line: what happened, what to do, which log."""

import asyncio
import os
import secrets
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path

import click
import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pgshop import backup, bench, checks, packages, scaleout, supervise
from pgshop.cluster import Cluster, stop_all
from pgshop.deploy import as_user, demo, deploy, query
from pgshop.proc import ROOT, Failure, log, start_log

PRIVATE_DIR = ROOT / ".pgdata"


def database_options(command):  # noqa: ANN001, ANN201 - a click decorator
    """The database a command works on: DATABASE_URL, or else the private cluster in PGSHOP_DIR."""
    command = click.option("--pgport", envvar="PGSHOP_PGPORT", show_envvar=True, default=54320, show_default=True,
                           type=click.IntRange(1, 65535), help="The private cluster's port.")(command)
    command = click.option("--dir", "directory", envvar="PGSHOP_DIR", show_envvar=True, default=PRIVATE_DIR,
                           type=click.Path(file_okay=False, path_type=Path), show_default=".pgdata",
                           help="The private cluster's directory (also its standby and PgBouncer).")(command)
    return click.option("--database-url", envvar="DATABASE_URL", show_envvar=True, metavar="URL",
                        help="The database, as its owner. Unset: the private cluster of --dir.")(command)


def private(directory: Path, pgport: int) -> Cluster:
    """The private cluster of make run, started with WAL archiving to its pgBackRest repository."""
    packages.ensure(packages.SERVER)
    node = Cluster(directory, pgport)
    node.create("127.0.0.1", backup.archiving(node))
    backup.ensure_stanza(node)
    return node


def target(database_url: str | None, directory: Path, pgport: int) -> tuple[str, Cluster | None]:
    if database_url:
        packages.ensure(packages.CLIENT)
        return database_url, None
    node = private(directory, pgport)
    return node.url(), node


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
def cli() -> None:
    """pgshop: an e-commerce backend whose rules live in PostgreSQL. `make run` is `pgshop run`, `make test` is
    `pgshop test`. Needs root for the private clusters (PostgreSQL runs as the postgres user) and apt."""


@cli.command()
@database_options
@click.option("--host", envvar="HOST", show_envvar=True, default="127.0.0.1", show_default=True)
@click.option("--port", envvar="PORT", show_envvar=True, default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", envvar="WORKERS", show_envvar=True, default=os.cpu_count() or 1, show_default="cores",
              type=click.IntRange(1, 256), help="API worker processes.")
@click.option("--replica/--no-replica", envvar="REPLICA", show_envvar=True, default=False,
              help="Start a hot standby of the database (REPLICA_PORT, REPLICA_SLOT, REPLICA_APPLY_DELAY) and read "
                   "from it.")
@click.option("--pgbouncer/--no-pgbouncer", envvar="PGBOUNCER", show_envvar=True, default=False,
              help="Put PgBouncer between the API and the primary (PGBOUNCER_PORT, PGBOUNCER_POOL_SIZE).")
def run(database_url, directory, pgport, host, port, workers, replica, pgbouncer) -> None:  # noqa: ANN001
    """Set up, migrate, load demo data into an empty catalog, and serve: the API, the webhook worker and the
    metrics listener (METRICS_HOST:METRICS_PORT, 127.0.0.1:9464), supervised (see `pgshop serve`)."""
    os.environ.update(REPLICA="1" if replica else "0", PGBOUNCER="1" if pgbouncer else "0")
    if replica:
        packages.ensure(packages.SERVER)
    if pgbouncer:
        packages.ensure(["pgbouncer"])
    url, node = target(database_url, directory, pgport)
    if replica and database_url and not os.environ.get("READ_DATABASE_URL"):
        scaleout.may_replicate(database_url)
    deploy(url)
    demo(url)
    env = {"DATABASE_URL": url, "JWT_SECRET": jwt_secret(), **scaleout.scale_out(url, directory, node)}
    log(f"DATABASE_URL={url}")
    if database_url:
        log("monitoring: preload pg_stat_statements and auto_explain on that server to fill the monitoring views "
            "(README, Environment)")
    log(f"serving on http://{host}:{port} (API docs: http://{host}:{port}/schema), metrics on "
        f"http://{os.environ.get('METRICS_HOST', '127.0.0.1')}:{os.environ.get('METRICS_PORT', '9464')}/metrics")
    sys.exit(supervise.serve(env, supervise.PROGRAMS, host, port, workers))


@cli.command()
@click.argument("programs", nargs=-1, type=click.Choice(supervise.PROGRAMS))
@click.option("--database-url", envvar="DATABASE_URL", show_envvar=True, required=True, metavar="URL")
@click.option("--host", envvar="HOST", show_envvar=True, default="127.0.0.1", show_default=True)
@click.option("--port", envvar="PORT", show_envvar=True, default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", envvar="WORKERS", show_envvar=True, default=os.cpu_count() or 1, show_default="cores",
              type=click.IntRange(1, 256))
def serve(programs, database_url, host, port, workers) -> None:  # noqa: ANN001
    """Serve without any set-up: PROGRAMS (default: api worker metrics) under supervisord, which restarts a child
    that exits (with backoff when it keeps failing), logs why, and stops them all on SIGTERM or SIGINT. The
    API reads JWT_SECRET and the settings of README, Environment; metrics listen on METRICS_HOST:METRICS_PORT."""
    if not os.environ.get("JWT_SECRET"):
        raise Failure("JWT_SECRET is not set: the API signs and checks tokens with it")
    sys.exit(supervise.serve({"DATABASE_URL": database_url}, programs or supervise.PROGRAMS, host, port, workers))


@cli.command()
def test() -> None:
    """Every suite on a throwaway cluster (ports 54326-54329), removed afterwards: shellcheck, squawk, promtool,
    the compose file, deploy -> demo data -> rollback to empty -> deploy, the sharding plan, db/schema.sql,
    pgTAP, and pytest three times (directly, reads on a standby, through PgBouncer)."""
    checks.test()


@cli.command()
@database_options
@click.option("--demo/--no-demo", "with_demo", default=False, help="Also load the demo data into an empty catalog.")
def migrate(database_url, directory, pgport, with_demo) -> None:  # noqa: ANN001
    """Migrate (dbmate up) and rebuild the function layer; settings from the environment (README). Idempotent."""
    url, _ = target(database_url, directory, pgport)
    deploy(url)
    if with_demo:
        demo(url)


@cli.command()
@database_options
@click.option("--email", envvar="EMAIL", show_envvar=True, required=True)
@click.option("--password", envvar="PASSWORD", show_envvar=True, required=True)
def admin(database_url, directory, pgport, email, password) -> None:  # noqa: ANN001
    """Create an admin, or promote an existing user (who keeps their password)."""
    if not email or not password:
        raise Failure("give both EMAIL and PASSWORD (make admin EMAIL=you@example.com PASSWORD='...')")
    url, _ = target(database_url, directory, pgport)
    deploy(url)
    print(query(url, "select lib.make_admin(%s, %s)", email, password)[0][0])


@cli.command("import")
@database_options
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would change; change nothing.")
def import_(database_url, directory, pgport, file, dry_run) -> None:  # noqa: ANN001
    """Import a catalog CSV file (docs/import.md), streamed into the database, as its owner (recorded without a
    user). Prints the import as JSON; a refused file prints its errors and exits 1."""
    url, _ = target(database_url, directory, pgport)
    deploy(url)
    result = asyncio.run(import_file(url, file, dry_run))
    if result.startswith(b'{"problem"'):
        sys.stderr.write(result.decode() + "\n")
        raise SystemExit(1)
    print(result.decode())


async def import_file(url: str, file: Path, dry_run: bool) -> bytes:
    async def chunks() -> AsyncIterator[bytes]:
        with file.open("rb") as f:
            while chunk := f.read(1 << 20):
                yield chunk

    from api.imports import run_import  # the API's own module (loaded only for this command)

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        return (await run_import(conn, "", chunks(), dry_run, file.name))[0]


@cli.command()
def schema() -> None:
    """Regenerate db/schema.sql: the dump of a freshly deployed database, functions included (make test checks
    that it is current)."""
    checks.schema()


@cli.command()
@database_options
def stop(database_url, directory, pgport) -> None:  # noqa: ANN001, ARG001
    """Stop the private cluster, its standby and its PgBouncer."""
    stop_all(directory)


@cli.command(name="backup")
@database_options
@click.option("--type", "kind", envvar="TYPE", show_envvar=True, default="incr", show_default=True,
              type=click.Choice(["full", "diff", "incr"]))
def backup_command(database_url, directory, pgport, kind) -> None:  # noqa: ANN001
    """An online pgBackRest backup of the private cluster (BACKUP_REPO, BACKUP_RETENTION_FULL)."""
    node = _private_only(database_url, directory, pgport)
    backup.backup(node, node.url(), kind)


@cli.command()
@database_options
def backups(database_url, directory, pgport) -> None:  # noqa: ANN001
    """The private cluster's backups: times, sizes, WAL range (pgBackRest's own listing)."""
    backup.listing(_private_only(database_url, directory, pgport, start=False))


@cli.command()
@database_options
@click.option("--target-time", envvar="TARGET_TIME", show_envvar=True, default=None,
              help="A time to restore to (e.g. '2026-12-01 12:00:00+00'); unset: the latest state.")
def restore(database_url, directory, pgport, target_time) -> None:  # noqa: ANN001
    """The private cluster back to the latest state its repository holds, or to TARGET_TIME; checked first, the
    replaced data kept until the restored server is up."""
    backup.restore(_private_only(database_url, directory, pgport, start=False), target_time)


def _private_only(database_url: str | None, directory: Path, pgport: int, start: bool = True) -> Cluster:
    if database_url:
        raise Failure("backups and restores work on the private cluster; for the server of DATABASE_URL configure "
                      "pgBackRest there (docs/operations.md)")
    if start:
        return private(directory, pgport)
    packages.ensure(packages.SERVER)
    return Cluster(directory, pgport)


@cli.command()
@database_options
@click.option("--file", envvar="FILE", show_envvar=True, type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Default: dumps/pgshop-<UTC time>.dump")
def dump(database_url, directory, pgport, file) -> None:  # noqa: ANN001
    """A logical pg_dump (custom format) of the database."""
    url, _ = target(database_url, directory, pgport)
    backup.dump(url, file or ROOT / f"dumps/pgshop-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.dump")


@cli.command()
@database_options
@click.option("--file", envvar="FILE", show_envvar=True, required=True,
              type=click.Path(dir_okay=False, path_type=Path))
def load(database_url, directory, pgport, file) -> None:  # noqa: ANN001
    """A dump loaded into an empty database."""
    url, _ = target(database_url, directory, pgport)
    backup.load(url, file)


@cli.command()
@database_options
@click.option("--listen", envvar="EXPORTER_LISTEN", show_envvar=True, default="127.0.0.1:9187", show_default=True)
@click.option("--monitor-url", envvar="MONITOR_DATABASE_URL", show_envvar=True, default=None,
              help="Default: the database as pgshop_monitor.")
def monitor(database_url, directory, pgport, listen, monitor_url) -> None:  # noqa: ANN001
    """prometheus-postgres-exporter as pgshop_monitor, with the queries of ops/postgres_exporter.yml."""
    url, _ = target(database_url, directory, pgport)
    params = conninfo_to_dict(monitor_url or as_user(url, "pgshop_monitor"))
    params.setdefault("sslmode", "prefer")  # lib/pq (Go) would demand SSL without it: libpq's default, explicit
    log(f"postgres_exporter on http://{listen}/metrics, as pgshop_monitor")
    os.execvpe("prometheus-postgres-exporter", ["prometheus-postgres-exporter", f"--web.listen-address={listen}",
               f"--extend.query-path={ROOT / 'ops/postgres_exporter.yml'}", "--log.level=warn"],
               {**os.environ, "DATA_SOURCE_NAME": make_conninfo(**params)})


@cli.command(name="bench")
@click.argument("script", default="run", type=click.Choice(["run", "scaleout", "events"]))
def bench_command(script) -> None:  # noqa: ANN001
    """The benchmark on a throwaway cluster (docs/performance.md): run (BENCH_SCALE=small|large), scaleout (the
    standby and PgBouncer), events (webhook ingestion, outbox throughput, delivery delay)."""
    bench.bench(script)


def jwt_secret() -> str:
    """JWT_SECRET, or one generated once and kept in the ignored file .jwt_secret."""
    if os.environ.get("JWT_SECRET"):
        return os.environ["JWT_SECRET"]
    path = ROOT / ".jwt_secret"
    if not path.exists() or not path.read_text().strip():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48) + "\n")
    return path.read_text().strip()


def main() -> None:
    """Click without its standalone mode: a usage error is one line, a failed step is one line, never a
    traceback."""
    name = next((a for a in sys.argv[1:] if not a.startswith("-")), "pgshop")
    start_log(name if name in cli.commands else "pgshop")
    try:
        code = cli.main(standalone_mode=False)
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else "pgshop"
        click.secho(f"{command}: {exc.format_message()} (see {command} --help)", fg="red", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
