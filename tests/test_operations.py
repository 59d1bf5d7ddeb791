"""Operations: the backup drill (pgBackRest point-in-time restore, dump and load) on a cluster of its own, the
monitoring views and role, postgres_exporter, and the API's metrics and Server-Timing."""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from pgshop.deploy import dbmate

from conftest import PASSWORD, as_user, assert_problem, bearer, free_port, login, register, serve, unique_email
from helpers import ADDRESS, ROOT, SCRIPT, intent, make_product, pgshop, send, server_timing

DRILL_PORT = "54333"
TABLES = ["shop.users", "shop.categories", "shop.products", "shop.carts", "shop.cart_items", "shop.orders",
          "shop.order_items", "shop.order_status_history", "shop.stock_movements", "shop.daily_sales", "audit.log"]


def checksums(url: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(f"select count(*) || ':' || coalesce(md5(string_agg(t::text, '|' order by t::text)), '')"
                                f" from {t} t").fetchone()[0] for t in TABLES}


@pytest.fixture
def drill():
    """A private cluster of its own with WAL archiving (as make run's), migrated: {"dir", "env", "url"}."""
    directory = Path(tempfile.mkdtemp(prefix="pgshop-drill."))
    directory.chmod(0o755)
    env = {"PGSHOP_DIR": str(directory), "PGSHOP_PGPORT": DRILL_PORT, "DATABASE_URL": ""}
    result = pgshop("migrate", **env)
    assert result.returncode == 0, result.stderr
    url = f"postgresql://pgshop@/pgshop?host={directory}/run&port={DRILL_PORT}"
    try:
        yield {"dir": directory, "env": env, "url": url}
    finally:
        pgshop("stop", **env)
        shutil.rmtree(directory, ignore_errors=True)


def orders(client: httpx.Client, headers: dict, product: dict, n: int) -> list[int]:
    made = []
    for _ in range(n):
        assert client.post("/api/cart/items", json={"product_id": product["id"], "quantity": 1},
                           headers=headers).status_code == 200
        response = client.post("/api/orders", json={"shipping_address": ADDRESS}, headers=headers)
        assert response.status_code == 201, response.text
        made.append(response.json()["id"])
    return made


@pytest.mark.disruptive  # a cluster of its own, stopped and restored: once per make test is enough
def test_backup_drill_point_in_time_restore_and_dump_load(drill):
    env, url = drill["env"], drill["url"]
    with serve(url, workers=1) as api, httpx.Client(base_url=api, timeout=30) as client:
        with psycopg.connect(url, autocommit=True) as owner:
            owner.execute("select lib.make_admin(%s, %s)", (admin := unique_email("admin"), PASSWORD))
        admin_headers = bearer(login(client, admin))
        product = client.post("/api/products", json={"name": "Drill Lamp", "price": "12.50", "sku": "DRILL-1",
                                                     "stock_quantity": 100}, headers=admin_headers).json()
        buyer = bearer(login(client, register(client)["email"]))
        before_backup = orders(client, buyer, product, 3)

        started = time.monotonic()
        backup = pgshop("backup", **env)
        backup_seconds = time.monotonic() - started
        assert backup.returncode == 0, backup.stderr
        time.sleep(1.1)  # pgBackRest records when a backup ended to the second
        before_t = orders(client, buyer, product, 3)
        with psycopg.connect(url) as conn:
            target = conn.execute("select now()").fetchone()[0]
        time.sleep(1.1)
        after_t = orders(client, buyer, product, 3)
        with psycopg.connect(url, autocommit=True) as owner:
            owner.execute("truncate shop.order_items")  # the disaster

        started = time.monotonic()
        restore = pgshop("restore", TARGET_TIME=target.isoformat(), **env)
        restore_seconds = time.monotonic() - started
        assert restore.returncode == 0, restore.stderr

        with psycopg.connect(url) as conn:
            lines = dict(conn.execute("select order_id, count(*) from shop.order_items where order_id = any(%s) "
                                      "group by order_id", (before_backup + before_t + after_t,)).fetchall())
            assert lines == {order_id: 1 for order_id in before_backup + before_t}
            assert conn.execute("select count(*) from shop.orders where id = any(%s)", (after_t,)).fetchone() == (0,)
            assert conn.execute("select count(*) from shop.stock_reconciliation where difference <> 0").fetchone() == (0,)
            backup_bytes = conn.execute("select repository_bytes from shop.backups").fetchone()[0]
        for _ in range(50):  # the API's pool heals once the restored server is up
            response = client.get(f"/api/orders/{before_t[-1]}", headers=buyer)
            if response.status_code != 503:
                break
            time.sleep(0.1)
        assert response.status_code == 200 and len(response.json()["items"]) == 1
        assert client.get(f"/api/orders/{after_t[0]}", headers=buyer).status_code == 404

    dump = drill["dir"] / "drill.dump"
    started = time.monotonic()
    assert pgshop("dump", FILE=str(dump), **env).returncode == 0
    dump_seconds = time.monotonic() - started
    with psycopg.connect(as_user(url, "postgres"), autocommit=True) as su:
        su.execute("create database pgshop_copy owner pgshop")
    copy = url.replace("/pgshop?", "/pgshop_copy?")
    with psycopg.connect(as_user(copy, "postgres"), autocommit=True) as su:
        su.execute("create extension rum; create extension pg_stat_statements")  # pg_cron lives in pgshop only
    started = time.monotonic()
    loaded = pgshop("load", FILE=str(dump), DATABASE_URL=copy)
    load_seconds = time.monotonic() - started
    assert loaded.returncode == 0, loaded.stderr
    assert checksums(copy) == checksums(url)
    again = pgshop("load", FILE=str(dump), DATABASE_URL=copy)
    assert again.returncode != 0 and "not empty" in again.stderr
    print(f"\nbackup drill: full backup {backup_seconds:.1f} s, {backup_bytes:,} bytes in the repository; "
          f"point-in-time restore {restore_seconds:.1f} s; dump {dump_seconds:.1f} s ({dump.stat().st_size:,} bytes), "
          f"load {load_seconds:.1f} s; {len(TABLES)} table checksums equal")


@pytest.mark.disruptive
def test_restore_refuses_bad_input_and_leaves_the_data_alone(drill):
    env, url = drill["env"], drill["url"]
    def marker():
        with psycopg.connect(url) as conn:
            return conn.execute("select count(*), pg_postmaster_start_time() from shop.settings").fetchone()

    no_backup = pgshop("restore", **env)
    assert no_backup.returncode != 0 and "no backup yet" in no_backup.stderr
    assert pgshop("backup", TYPE="full", **env).returncode == 0
    before = marker()
    for target, message in [("2020-01-01 00:00:00+00", "before the first backup"),
                            ("2099-01-01 00:00:00+00", "in the future"), ("soon", "is not a time")]:
        result = pgshop("restore", TARGET_TIME=target, **env)
        assert result.returncode != 0 and message in result.stderr, result.stderr
    missing = pgshop("restore", BACKUP_REPO=str(drill["dir"] / "nowhere"), **env)
    assert missing.returncode != 0 and "no pgBackRest repository" in missing.stderr
    assert pgshop("backup", TYPE="sometimes", **env).returncode != 0
    # A damaged file in the backup: pgBackRest's checksums catch it before anything is replaced.
    damaged = next(p for p in (drill["dir"] / "backups/backup/pgshop").rglob("*.zst") if p.stat().st_size > 4096)
    with damaged.open("r+b") as f:
        f.seek(100)
        f.write(b"garbage")
    corrupt = pgshop("restore", **env)
    assert corrupt.returncode != 0 and "fails verification" in corrupt.stderr
    assert marker() == before  # same data, and the server was not even restarted
    listing = pgshop("backups", **env)
    assert listing.returncode == 0 and "full backup" in listing.stdout


def test_the_monitoring_views_answer_as_pgshop_monitor_who_cannot_read_shop(database_url, client):
    assert client.get("/api/categories").status_code == 200
    with psycopg.connect(as_user(database_url, "pgshop_monitor")) as conn:
        views = [v for (v,) in conn.execute(
            "select table_name from information_schema.views where table_schema = 'monitoring'").fetchall()]
        assert {"top_statements", "cache_hit_ratio", "connections", "lock_waits", "long_transactions",
                "table_health", "index_usage", "replication", "wal_archiving", "last_backup"} <= set(views)
        for view in views:
            conn.execute(f"select * from monitoring.{view}").fetchall()
        assert conn.execute("select count(*) from monitoring.top_statements where role = 'pgshop_api'").fetchone()[0] > 0
        for table in ("shop.users", "shop.orders", "audit.log"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"select * from {table} limit 1")
            conn.rollback()


def test_postgres_exporter_answers_pg_up_and_the_custom_metrics(database_url):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exporter = subprocess.Popen([SCRIPT, "monitor"], cwd=ROOT, env={
        **os.environ, "DATABASE_URL": database_url, "EXPORTER_LISTEN": f"127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(100):
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
                if "pg_up" in text:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        assert "\npg_up 1" in text
        assert "pgshop_cache_hit_percent" in text and "pgshop_last_backup_age_seconds" in text
    finally:
        os.killpg(exporter.pid, 15)
        exporter.wait(timeout=10)


def test_metrics_count_requests_by_route_on_a_listener_of_their_own(client, base_url, database_url):
    def count(text: str, route: str) -> float:
        prefix = f'pgshop_http_requests_total{{method="GET",route="{route}",status="200"}} '
        return sum(float(line.removeprefix(prefix)) for line in text.splitlines() if line.startswith(prefix))

    first = httpx.get(base_url.metrics)
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/plain")
    for _ in range(10):
        assert client.get("/api/categories").status_code == 200
    after = httpx.get(base_url.metrics).text
    assert count(after, "/api/categories") >= count(first.text, "/api/categories") + 10
    assert "pgshop_http_request_duration_seconds_bucket" in after and "pgshop_db_pool_connections" in after
    assert 'pgshop_db_pool_errors_total{kind="lost"}' in after
    # Not on the API's port, which a reverse proxy on the same host makes public: there it is a 404 for anyone.
    assert_problem(client.get("/metrics"), 404, "not_found")
    assert_problem(client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}), 404, "not_found")
    with serve(database_url, workers=1, METRICS_TOKEN="s3cret-metrics") as guarded:
        assert httpx.get(guarded.metrics).status_code == 401
        assert httpx.get(guarded.metrics, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert httpx.get(guarded.metrics, headers={"Authorization": "Bearer s3cret-metrics"}).status_code == 200


def test_every_response_carries_server_timing_with_the_database_time(client):
    for response in (client.get("/api/categories"), client.get("/api/products/0"), client.get("/nowhere")):
        timing = server_timing(response)
        assert set(timing) == {"db", "app"} and float(timing["app"]["dur"]) >= float(timing["db"]["dur"]) >= 0
    read = server_timing(client.get("/api/products"))["db"]
    assert float(read["dur"]) > 0 and read["desc"] in ('"primary"', '"standby"')
    assert server_timing(client.get("/api/categories"))["db"]["desc"] == '"cache"'  # the second time


def test_run_stops_at_a_port_in_use_with_one_line_that_says_what_to_do():
    """The private cluster's port taken by another program: make run stops at that step, with one line naming
    the port, the setting and the log, and runs nothing after it (no pgBackRest, no dbmate)."""
    directory = Path(tempfile.mkdtemp(prefix="pgshop-port."))
    directory.chmod(0o755)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        result = pgshop("run", PGSHOP_DIR=str(directory), PGSHOP_PGPORT=str(port), DATABASE_URL="", PORT=str(free_port()))
    try:
        assert result.returncode == 1, result.stderr
        last = result.stderr.strip().splitlines()[-1]
        assert f"port {port} is in use" in last and "PGSHOP_PGPORT" in last and f"{directory}/postgres.log" in last
        assert "Traceback" not in result.stderr and "pgBackRest" not in result.stderr and "dbmate" not in result.stderr
        assert time.monotonic() - started < 60
    finally:
        pgshop("stop", PGSHOP_DIR=str(directory))
        shutil.rmtree(directory, ignore_errors=True)


def test_a_wrong_option_or_a_missing_value_is_one_line_and_a_non_zero_exit():
    for args, env, words in [(["run", "--nope"], {}, "No such option"), (["backup", "--type"], {}, "requires an argument"),
                             (["restore", "--target-time"], {}, "requires an argument"),
                             (["admin"], {"EMAIL": "", "PASSWORD": ""}, "EMAIL"), (["nothing"], {}, "No such command"),
                             (["run", "--port", "http"], {}, "not a valid integer")]:
        result = pgshop(*args, **{"DATABASE_URL": "", **env})
        assert result.returncode != 0, args
        lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("==>")]
        assert len(lines) == 1 and words in lines[0], (args, result.stderr)
    listed = pgshop("--help").stdout
    for command in ("run", "test", "migrate", "admin", "schema", "backup", "backups", "restore", "dump", "load",
                    "monitor", "bench", "serve", "stop"):
        assert re.search(rf"^\s+{command}\s", listed, re.M), command
    assert "REPLICA" in pgshop("run", "--help").stdout and "PGBOUNCER" in pgshop("run", "--help").stdout


@pytest.mark.disruptive  # a second database, a standby and a PgBouncer of its own on the test cluster
def test_pgbouncer_and_a_replica_work_with_any_database_url(database_url):
    """PGBOUNCER=1 and REPLICA=1 make run against DATABASE_URL=postgresql://postgres@/shop?...: its database,
    user, host and port, not the private cluster's names; a role that cannot replicate is refused at once."""
    cluster = conninfo_to_dict(database_url)
    superuser = f"host={cluster['host']} port={cluster['port']} user=postgres"
    with psycopg.connect(f"{superuser} dbname=postgres", autocommit=True) as conn:
        conn.execute("drop database if exists shop with (force)")
        conn.execute("create database shop")
    with psycopg.connect(f"{superuser} dbname=shop", autocommit=True) as conn:
        conn.execute("create extension rum")
    url = f"postgresql://postgres@/shop?host={cluster['host']}&port={cluster['port']}"
    directory = Path(tempfile.mkdtemp(prefix="pgshop-own."))
    directory.chmod(0o755)
    port, slot = free_port(), "pgshop_replica_own_url"
    env = {**os.environ, "DATABASE_URL": url, "PGSHOP_DIR": str(directory), "REPLICA": "1", "PGBOUNCER": "1",
           "REPLICA_PORT": str(free_port()), "REPLICA_SLOT": slot, "PGBOUNCER_PORT": str(free_port()),
           "PORT": str(port), "METRICS_PORT": str(free_port()), "WORKERS": "1", "JWT_SECRET": "own-url-test-secret"}
    try:
        refused = pgshop("run", **{**env, "DATABASE_URL": url.replace("postgres@", "pgshop@")})
        assert refused.returncode == 1 and "REPLICA=1 needs a role that may replicate" in \
            refused.stderr.strip().splitlines()[-1], refused.stderr
        run = subprocess.Popen([SCRIPT, "run"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    products = httpx.get(f"http://127.0.0.1:{port}/api/products?limit=1", timeout=5)
                    if products.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert run.poll() is None and time.monotonic() < deadline, run.stdout.read() if run.poll() else ""
                time.sleep(0.5)
            assert products.json()["items"], "the demo data was loaded into shop"
            # A write goes through PgBouncer (the API's only way to the primary), to the database shop.
            assert "shop = host=" in (directory / "pgbouncer/pgbouncer.ini").read_text()
            added = httpx.post(f"http://127.0.0.1:{port}/api/cart/items", timeout=10,
                               json={"product_id": products.json()["items"][0]["id"], "quantity": 1})
            assert added.status_code == 200, added.text
            with psycopg.connect(f"{superuser} dbname=shop") as conn:
                assert conn.execute("select active from pg_replication_slots where slot_name = %s",
                                    (slot,)).fetchone() == (True,)
            # Reads on the standby once its monitor has seen it caught up.
            while 'desc="standby"' not in httpx.get(f"http://127.0.0.1:{port}/api/products?limit=1").headers[
                    "server-timing"]:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        finally:
            run.terminate()
            output = run.communicate(timeout=60)[0]
        assert "reads of stable functions go to the standby" in output
        assert "the API reaches the primary through PgBouncer" in output
    finally:
        pgshop("stop", PGSHOP_DIR=str(directory))
        with psycopg.connect(f"{superuser} dbname=postgres", autocommit=True) as conn:
            conn.execute("select pg_drop_replication_slot(%s) from pg_replication_slots where slot_name = %s",
                         (slot, slot))
            conn.execute("drop database if exists shop with (force)")
        shutil.rmtree(directory, ignore_errors=True)


MIGRATION_UNDER_LOAD = """-- migrate:up
alter table shop.products add column load_test_note text;

-- migrate:down
alter table shop.products drop column load_test_note;
"""


@pytest.mark.disruptive  # it changes the schema while the suite's API serves
def test_migrate_under_load_fails_no_request(client, admin, database_url, tmp_path):
    """`make migrate` twice while 16 clients read products, add to carts, check out and pay by Stripe webhook: a
    rebuild of the layer (nothing changed), then a migration that adds a nullable column to shop.products. Both
    complete; no request fails (no 5xx, no answer missing, nothing but the load's own 2xx, 409 and 422)."""
    product = make_product(client, admin, stock_quantity=1_000_000)
    buyers = [bearer(login(client, register(client)["email"])) for _ in range(6)]
    statuses: Counter = Counter()
    stop = threading.Event()

    def load(headers: dict | None, pays: bool) -> None:
        with httpx.Client(base_url=str(client.base_url), timeout=60) as c:
            while not stop.is_set():
                try:
                    if headers is None:
                        statuses[c.get(f"/api/products/{product['id']}").status_code] += 1
                        continue
                    added = c.post("/api/cart/items", json={"product_id": product["id"], "quantity": 1}, headers=headers)
                    statuses[added.status_code] += 1
                    if pays:
                        order = c.post("/api/orders", json={"shipping_address": ADDRESS}, headers=headers)
                        statuses[order.status_code] += 1
                        if order.status_code == 201:
                            statuses[send(c, intent(order.json())).status_code] += 1
                except httpx.TransportError:
                    statuses[0] += 1

    threads = [threading.Thread(target=load, args=(None, False)) for _ in range(6)]
    threads += [threading.Thread(target=load, args=(h, True)) for h in buyers]
    threads += [threading.Thread(target=load, args=({}, False)) for _ in range(4)]  # guests: a cart each
    for t in threads:
        t.start()
    migrations = tmp_path / "migrations"
    shutil.copytree(ROOT / "db/migrations", migrations)
    (migrations / "29991231000000_add_products_load_test_note.sql").write_text(MIGRATION_UNDER_LOAD)
    try:
        time.sleep(1)
        rebuild = pgshop("migrate", DATABASE_URL=database_url)
        time.sleep(1)
        migrate = pgshop("migrate", DATABASE_URL=database_url, DBMATE_MIGRATIONS_DIR=str(migrations))
        time.sleep(1)
    finally:
        stop.set()
        for t in threads:
            t.join()
        os.environ["DBMATE_MIGRATIONS_DIR"] = str(migrations)  # the test's migration out again
        try:
            dbmate(database_url, "--no-dump-schema", "rollback", what="dbmate rollback")
        finally:
            del os.environ["DBMATE_MIGRATIONS_DIR"]
    print(f"\nmigrate under 16-client load: {sum(statuses.values())} requests, {dict(statuses)}")
    assert rebuild.returncode == 0, rebuild.stderr
    assert migrate.returncode == 0 and "load_test_note" not in migrate.stderr, migrate.stderr
    assert set(statuses) <= {200, 201, 409, 422}, statuses
    assert statuses[201] > 10 and statuses[200] > 100

