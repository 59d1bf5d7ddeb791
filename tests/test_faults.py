"""PostgreSQL restarted under read and checkout load: no acknowledged order lost, the pool heals by itself."""

import os
import subprocess
import threading
import time
from collections import Counter

import httpx
import pytest

from conftest import MODE, bearer, login, register
from test_catalog import make_product
from test_orders import ADDRESS

PG_CTL = "/usr/lib/postgresql/15/bin/pg_ctl"
OUTAGE_SECONDS = 6


def pg_ctl(*args: str) -> None:
    data = os.environ["PGSHOP_TEST_PGDATA"]
    subprocess.run(["runuser", "-u", "postgres", "--", PG_CTL, "-D", data, "-w", *args], check=True,
                   capture_output=True)


@pytest.mark.disruptive
@pytest.mark.every_mode  # through the standby and through PgBouncer too
def test_restart_under_load_loses_no_order_and_heals(client, base_url, admin, database_url):
    import psycopg

    product = make_product(client, admin, stock_quantity=100_000)
    buyers = [bearer(login(client, register(client)["email"])) for _ in range(3)]
    log: list[tuple[float, float, str, int, dict]] = []  # (started, ended, kind, status, headers)
    orders: list[int] = []
    stop = threading.Event()

    def record(kind, started, response):
        log.append((started, time.monotonic(), kind, response.status_code if response else 0,
                    dict(response.headers) if response else {}))

    def reader():
        with httpx.Client(base_url=base_url, timeout=30) as c:
            while not stop.is_set():
                started = time.monotonic()
                record("read", started, c.get(f"/api/products/{product['id']}"))
                time.sleep(0.01)

    def buyer(headers):
        with httpx.Client(base_url=base_url, timeout=30) as c:
            while not stop.is_set():
                started = time.monotonic()
                added = c.post("/api/cart/items", json={"product_id": product["id"], "quantity": 1}, headers=headers)
                record("cart", started, added)
                started = time.monotonic()
                response = c.post("/api/orders", json={"shipping_address": ADDRESS}, headers=headers)
                record("checkout", started, response)
                if response.status_code == 201:
                    orders.append(response.json()["id"])

    threads = [threading.Thread(target=reader) for _ in range(3)] + [threading.Thread(target=buyer, args=(h,))
                                                                     for h in buyers]
    for t in threads:
        t.start()
    time.sleep(2)
    down = time.monotonic()
    pg_ctl("-m", "fast", "stop")
    time.sleep(OUTAGE_SECONDS)
    pg_ctl("-l", os.environ["PGSHOP_TEST_PGDATA"] + "/../postgres.log", "start")
    up = time.monotonic()  # pg_ctl -w returns once PostgreSQL accepts connections
    time.sleep(4)
    stop.set()
    for t in threads:
        t.join()

    during = [entry for entry in log if down <= entry[0] < up]
    after = [entry for entry in log if entry[0] >= up]
    first_ok = min(ended for started, ended, kind, status, _ in after if status in (200, 201))
    failed_while_healthy = Counter(status for *_, status, _ in after if status >= 500)
    slowest_during = max(ended - started for started, ended, *_ in during)
    print(f"\nrestart under load: {len(log)} requests, {len(orders)} orders acknowledged; outage "
          f"{up - down:.1f} s: {dict(Counter(s for *_, s, _ in during))}, slowest answer {slowest_during:.2f} s; "
          f"first success {first_ok - up:.2f} s after PostgreSQL accepted connections; 5xx while healthy: "
          f"{sum(failed_while_healthy.values())}")

    assert not any(status == 500 or status == 0 for *_, status, _ in log)
    assert all(h.get("retry-after") for *_, status, h in log if status == 503)
    assert slowest_during < 5
    assert first_ok - up < 2
    assert not failed_while_healthy
    with psycopg.connect(database_url) as db:
        stored = dict(db.execute("select o.id, count(oi.id) from shop.orders o join shop.order_items oi "
                                 "on oi.order_id = o.id where o.id = any(%s) group by o.id", (orders,)).fetchall())
        assert stored == {order_id: 1 for order_id in orders}
        sold, stock, difference = db.execute(
            "select (select coalesce(sum(quantity), 0) from shop.order_items where product_id = p.id), "
            "p.stock_quantity, r.difference from shop.products p join shop.stock_reconciliation r "
            "on r.product_id = p.id where p.id = %s", (product["id"],)).fetchone()
        assert (stock + sold, difference) == (100_000, 0)
    # The outage in the metrics: 503s counted, and (connected directly; PgBouncer keeps the pool's connections
    # alive) lost and failed connections in the pool's errors, which reach the metrics every second.
    time.sleep(1.1)
    metrics = client.get("/metrics").text.splitlines()
    assert any(line.startswith('pgshop_failed_requests_total{code="database_unavailable"}') for line in metrics)
    if MODE != "pgbouncer":
        errors = [line for line in metrics if line.startswith("pgshop_db_pool_errors_total{")]
        assert sum(float(line.rsplit(" ", 1)[1]) for line in errors) > 0, errors
