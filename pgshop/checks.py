"""make test (every suite, on a throwaway cluster) and make schema."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import compose

from pgshop import packages, scaleout
from pgshop.cluster import Cluster, stop_all
from pgshop.deploy import dbmate, demo, deploy, query
from pgshop.proc import ROOT, Failure, log, run, venv

TEST_PORT, STANDBY_PORT, PGBOUNCER_PORT = 54329, 54327, 54326
SCHEMAS = ("shop", "api", "lib", "reporting", "audit", "monitoring", "queue")


class Throwaway:
    """A cluster in a temporary directory, stopped and removed however the command ends."""

    def __init__(self, prefix: str, port: int) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix=prefix))
        self.tmp.chmod(0o755)
        self.node = Cluster(self.tmp, port)

    def __enter__(self) -> "Throwaway":
        return self

    def __exit__(self, *_: object) -> None:
        stop_all(self.tmp)
        subprocess.run(["rm", "-rf", str(self.tmp)], check=False)


def test() -> None:
    packages.ensure(packages.SERVER, packages.TEST)
    with Throwaway("pgshop-test.", TEST_PORT) as throwaway:
        tmp, node = throwaway.tmp, throwaway.node
        url = node.create("127.0.0.1")
        # Fast and not durable (the crash tests make commits durable for themselves); WAL flushed every 10 ms, so
        # that the standby of the REPLICA=1 pass replays a commit within milliseconds, not 200 ms.
        for name, value in (("fsync", "off"), ("synchronous_commit", "off"), ("wal_writer_delay", "10ms")):
            query(node.conninfo(), f"alter system set {name} = '{value}'")
        query(node.conninfo(), "select pg_reload_conf()")
        lint(tmp)
        # The suite signs up many users from one address and checks out often: it raises these two limits (the
        # rate-limit tests lower them for themselves), and hashes its passwords at bcrypt's lowest cost.
        os.environ.update(RATE_LIMIT_AUTH_PER_ADDRESS="100000", RATE_LIMIT_CHECKOUT_PER_USER="100000",
                          PASSWORD_HASH_COST="4")
        log("deploy, demo data, dbmate rollback to an empty database, deploy again")
        deploy(url)
        demo(url)
        migrations = len(list((ROOT / "db/migrations").glob("*.sql")))
        for _ in range(migrations):
            dbmate(url, "--no-dump-schema", "rollback", what="dbmate rollback")
        left = query(url, "select (select count(*) from schema_migrations) + (select count(*) from pg_namespace "
                          "where nspname = any(%s))", list(SCHEMAS))[0][0]
        if left:
            raise Failure(f"after {migrations} rollbacks the database is not empty")
        deploy(url)
        demo(url)

        log("the sharding plan holds (db/checks/sharding.sql, docs/scaling.md)")
        run(["psql", url, "-qX", "-v", "ON_ERROR_STOP=1", "-f", ROOT / "db/checks/sharding.sql"], "the sharding check",
            quiet=False)

        log("db/schema.sql is the dump of this deployed database (make schema regenerates it)")
        dbmate(url, "--schema-file", tmp / "schema.sql", "dump", what="dbmate dump")
        stale = subprocess.run(["diff", "-u", ROOT / "db/schema.sql", tmp / "schema.sql"])
        if stale.returncode:
            raise Failure("db/schema.sql is stale: run make schema")

        log("pgTAP (pg_prove db/tests)")
        query(node.conninfo(), "create extension pgtap")
        proved = subprocess.run(["pg_prove", "-h", node.sockets, "-p", str(TEST_PORT), "-U", "postgres", "-d", "pgshop",
                                 "--ext", ".sql", "--recurse", "--failures", ROOT / "db/tests"],
                                capture_output=True, text=True)
        print(proved.stdout, end="", file=sys.stderr)
        # pg_prove exits 0 when it ran nothing: insist on a PASS over at least one test.
        if proved.returncode or "Result: PASS" not in proved.stdout or "Tests=0," in proved.stdout:
            raise Failure("the pgTAP suite failed or ran no test (above)")

        log("a hot standby and PgBouncer for this cluster")
        standby = scaleout.standby(tmp / "replica", STANDBY_PORT, node.conninfo(), "pgshop", "pgshop_api")
        pooled = scaleout.pooler(tmp / "pgbouncer", node.url(user="pgshop_api"), PGBOUNCER_PORT)
        env = {"DATABASE_URL": url, "PGSHOP_TEST_PGDATA": str(node.data), "PGSHOP_TEST_STANDBY": standby,
               "PGSHOP_TEST_STANDBY_DIR": str(tmp / "replica"), "PGSHOP_TEST_STANDBY_PORT": str(STANDBY_PORT),
               "PGSHOP_TEST_PGBOUNCER": pooled}
        log("pytest (HTTP against the real app and database; read/write splitting; a crash of this cluster; "
            "schemathesis)")
        pytest(env)
        for mode in ("replica", "pgbouncer"):
            log(f"pytest again, the app as with {mode.upper()}=1 make run (the backup drills, standby faults, "
                "fuzzing and the webhook worker's deliveries ran above)")
            pytest({**env, "PGSHOP_TEST_MODE": mode}, "-m", "(not disruptive and not worker) or every_mode")


def pytest(env: dict[str, str], *args: str) -> None:
    run([venv("pytest"), "-q", "-rP", *args, "tests"], "pytest", env=env, quiet=False)


def lint(tmp: Path) -> None:
    log("shellcheck (what is left in shell)")
    run(["shellcheck", *sorted(str(p) for p in (ROOT / "scripts").iterdir()), ROOT / ".ci/run"], "shellcheck",
        quiet=False)

    log("squawk (lint of the migrate:up sections)")
    (tmp / "squawk").mkdir()
    for migration in sorted((ROOT / "db/migrations").glob("*.sql")):
        (tmp / "squawk" / migration.name).write_text(migration.read_text().split("-- migrate:down", 1)[0])
    run([venv("squawk"), "--config", ROOT / ".squawk.toml", *sorted((tmp / "squawk").iterdir())], "squawk",
        quiet=False)

    log("promtool check config ops/prometheus/prometheus.yml (and its rules, alerts.yml)")
    run(["promtool", "check", "config", ROOT / "ops/prometheus/prometheus.yml"], "promtool check config")

    log("docker-compose.yml (validated offline with the Compose binary)")
    run([Path(compose.__file__).parent / "docker-compose", "-f", ROOT / "docker-compose.yml", "config", "--quiet"],
        "the compose file's check", env={"JWT_SECRET": "config-check"})


def schema() -> None:
    packages.ensure(packages.SERVER)
    with Throwaway("pgshop-schema.", 54328) as throwaway:
        url = throwaway.node.create()
        deploy(url)
        dbmate(url, "--schema-file", ROOT / "db/schema.sql", "dump", what="dbmate dump")
    log("wrote db/schema.sql")
