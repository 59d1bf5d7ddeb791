"""Deploying the database: dbmate migrations, the job queue's schema, the function layer rebuilt in one
transaction, the settings from the environment; the demo data; the URL every command works on."""

import json
import os
import time

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pgshop.proc import ROOT, Failure, log, run, venv


def dbmate_url(url: str) -> str:
    """dbmate's driver (Go's lib/pq) defaults to sslmode=require where libpq prefers SSL and falls back: a URL
    without sslmode gets libpq's default, so a plain URL works as it does with psql."""
    if not url.startswith(("postgres://", "postgresql://")):
        raise Failure("DATABASE_URL must be a URL (postgresql://user@host:port/dbname), not keyword=value pairs")
    return url if "sslmode=" in url else url + ("&" if "?" in url else "?") + "sslmode=prefer"


def dbmate(url: str, *args: str, what: str) -> None:
    """dbmate with the migrations of db/migrations (or of DBMATE_MIGRATIONS_DIR, dbmate's own setting)."""
    migrations = os.environ.get("DBMATE_MIGRATIONS_DIR") or ROOT / "db/migrations"
    run([venv("dbmate"), "--url", dbmate_url(url), "--migrations-dir", migrations, *args], what,
        hint="check DATABASE_URL and the migration named in the log")


def deploy(url: str) -> None:
    """dbmate creates the database if missing and migrates; procrastinate's schema when missing; the function
    layer rebuilt; the settings from the environment. Idempotent."""
    log("migrating (dbmate up)")
    dbmate(url, "--no-dump-schema", "--wait", "up", what="dbmate up")
    from api.worker import apply_schema

    try:
        apply_schema(url)
    except psycopg.Error as exc:
        raise Failure(f"the job queue's schema could not be applied: {exc}".strip()) from None
    layer(url)
    settings(url)


def layer(url: str, attempts: int = 20) -> None:
    """The re-applied layer (db/README.md), in one transaction: db/functions/00_layer.sql (its machinery), then
    shop.layer_begin(), every other file in name order, shop.layer_end(). Afterwards the routines, plain views and
    triggers of the database are exactly those of the files; on an error the previous layer is still in place.

    Under load: an unchanged view or trigger is not touched (no lock); a changed one takes a short lock on its
    table, which the deploy waits for at most 100 ms (lock_timeout): rather than keep requests waiting behind it,
    or deadlock with one of them, it gives way, and tries again after a moment, up to ATTEMPTS times."""
    log("applying the layer (db/functions: routines, views, triggers)")
    first, *files = sorted((ROOT / "db/functions").glob("*.sql"))
    for attempt in range(1, attempts + 1):
        try:
            run(["psql", url, "-qX", "-v", "ON_ERROR_STOP=1", "--single-transaction",
                 # Bodies are checked when called, not when created: the files refer to each other in any order.
                 "-c", "set local check_function_bodies = off", "-c", "set local lock_timeout = '100ms'",
                 f"-f{first}", "-c", "select shop.layer_begin()", *(f"-f{f}" for f in files),
                 "-c", "select shop.layer_end()"], "the layer's deploy",
                hint="the previous layer is still in place; fix the file the log names")
            return
        except Failure as failure:
            if attempt == attempts or not any(m in failure.message for m in ("lock timeout", "deadlock detected")):
                raise
            log(f"the layer gave way to a lock held by the load (attempt {attempt}); again in {attempt * 0.2:.1f} s")
            time.sleep(attempt * 0.2)


def settings(url: str) -> None:
    """Every row of shop.settings from the environment variable of its name in upper case
    (RATE_LIMIT_LOGIN_FAILURES for rate_limit_login_failures), or back to its default."""
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            names = [name for (name,) in conn.execute("select name from shop.settings order by name")]
            overrides = {n: os.environ[n.upper()] for n in names if n.upper() in os.environ}
            applied = conn.execute("select string_agg(upper(name) || '=' || value, ', ') "
                                   "from lib.settings_apply(%s::jsonb)", (json.dumps(overrides),)).fetchone()[0]
    except psycopg.Error as exc:
        raise Failure(f"a setting was refused: {exc.diag.message_primary or exc} "
                      f"({exc.diag.message_detail or 'see README, Environment'})") from None
    log(f"settings: {applied}")


def demo(url: str) -> None:
    log("loading demo data (only into an empty catalog)")
    run(["psql", url, "-qX", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", ROOT / "db/demo/demo_data.sql"],
        "loading the demo data")


def as_user(url: str, user: str) -> str:
    """The same server and database as `url`, as another role (no password: a role's own comes from its
    URL, e.g. API_DATABASE_URL)."""
    params = conninfo_to_dict(url)
    params.pop("password", None)
    params["user"] = user
    return make_conninfo(**params)


def query(url: str, sql: str, *params: object) -> list[tuple]:
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            cursor = conn.execute(sql, params or None)
            return cursor.fetchall() if cursor.description else []
    except psycopg.Error as exc:
        raise Failure(f"{exc.diag.message_primary or str(exc).strip()} ({make_conninfo(url, password=None)})") \
            from None
