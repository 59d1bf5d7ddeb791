"""Operations: the backup drill (pgBackRest point-in-time restore, dump and load) on a cluster of its own, the
monitoring views and role, postgres_exporter, and the API's metrics and Server-Timing."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from conftest import PASSWORD, as_user, bearer, login, register, serve, unique_email
from test_orders import ADDRESS

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = str(ROOT / "scripts/pgshop.sh")
DRILL_PORT = "54333"
TABLES = ["shop.users", "shop.categories", "shop.products", "shop.carts", "shop.cart_items", "shop.orders",
          "shop.order_items", "shop.order_status_history", "shop.stock_movements", "shop.daily_sales", "audit.log"]


def pgshop(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env})


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
        pgshop("stop", str(directory))
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


def test_metrics_count_requests_by_route_and_are_not_public(client, base_url, database_url):
    def count(text: str, route: str) -> float:
        prefix = f'pgshop_http_requests_total{{method="GET",route="{route}",status="200"}} '
        return sum(float(line.removeprefix(prefix)) for line in text.splitlines() if line.startswith(prefix))

    first = client.get("/metrics")
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/plain")
    for _ in range(10):
        assert client.get("/api/categories").status_code == 200
    after = client.get("/metrics").text
    assert count(after, "/api/categories") >= count(first.text, "/api/categories") + 10
    assert "pgshop_http_request_duration_seconds_bucket" in after and "pgshop_db_pool_connections" in after
    assert 'pgshop_db_pool_errors_total{kind="lost"}' in after
    # A client that is not on loopback (the tests are the trusted proxy of 203.0.113.9) gets nothing.
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    with serve(database_url, workers=1, METRICS_TOKEN="s3cret-metrics") as guarded:
        assert client.get(f"{guarded}/metrics").status_code == 401
        assert client.get(f"{guarded}/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get(f"{guarded}/metrics", headers={"Authorization": "Bearer s3cret-metrics"}).status_code == 200


def server_timing(response: httpx.Response) -> dict[str, dict[str, str]]:
    """{"db": {"dur": "1.23", "desc": "primary"}, "app": {...}} from a Server-Timing header."""
    return {name: dict(p.split("=", 1) for p in params)
            for name, *params in (metric.strip().split(";") for metric in response.headers["server-timing"].split(","))}


def test_every_response_carries_server_timing_with_the_database_time(client):
    for response in (client.get("/api/categories"), client.get("/api/products/0"), client.get("/nowhere")):
        timing = server_timing(response)
        assert set(timing) == {"db", "app"} and float(timing["app"]["dur"]) >= float(timing["db"]["dur"]) >= 0
    read = server_timing(client.get("/api/products"))["db"]
    assert float(read["dur"]) > 0 and read["desc"] in ('"primary"', '"standby"')
    assert server_timing(client.get("/api/categories"))["db"]["desc"] == '"cache"'  # the second time
