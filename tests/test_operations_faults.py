"""Faults, the hard way: PostgreSQL crashed under checkout load (kill -9 of the postmaster, or an immediate
shutdown for a minute) while the whole stack of `make run` serves; processes of ours killed or failing.
Nothing acknowledged is lost, every committed event is delivered, and every process comes back by itself."""

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest

from conftest import MODE, as_user, bearer, login, mode_env, register, serve, supervisorctl
from helpers import ADDRESS, Receiver, make_product, until

PG_CTL = "/usr/lib/postgresql/15/bin/pg_ctl"


def pg_ctl(*args: str) -> None:
    data = os.environ["PGSHOP_TEST_PGDATA"]
    subprocess.run(["runuser", "-u", "postgres", "--", PG_CTL, "-D", data, "-w", *args], check=True,
                   capture_output=True)


def start_postgres() -> float:
    """Start the test cluster (crash recovery first, after a crash); the moment it accepts connections."""
    pg_ctl("-t", "120", "-l", str(Path(os.environ["PGSHOP_TEST_PGDATA"]).parent / "postgres.log"), "start")
    return time.monotonic()  # pg_ctl -w returns once PostgreSQL accepts connections


def kill_postmaster() -> None:
    """SIGKILL to the postmaster, as the OOM killer sends it. Its children notice their parent is gone and exit
    (each within a moment); PostgreSQL refuses to start while one still holds the shared memory, so, as systemd
    does with the rest of a unit's processes, whatever is left after 5 s is killed too."""
    data = Path(os.environ["PGSHOP_TEST_PGDATA"])
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    children = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(p) == postmaster]
    os.kill(postmaster, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while any(Path(f"/proc/{pid}").exists() for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _parent(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""


def programs(served) -> dict[str, str]:
    """{program: its state (RUNNING, STARTING, BACKOFF...)} from supervisorctl."""
    return {line.split()[0]: line.split()[1] for line in supervisorctl(served, "status").splitlines()}


def pid(served, program: str) -> int:
    return int(supervisorctl(served, "pid", program))


def pids(served) -> dict[str, int]:
    return {program: pid(served, program) for program in programs(served)}


@pytest.fixture
def durable(database_url):
    """Commits durable while the test crashes PostgreSQL: make test's cluster otherwise acknowledges a commit
    before its WAL is written (synchronous_commit = off), which a crash may lose by design."""
    for value in ("on", "off"):
        with psycopg.connect(as_user(database_url, "postgres"), autocommit=True) as conn:
            conn.execute(f"alter system set synchronous_commit = {value}")
            conn.execute("select pg_reload_conf()")
        if value == "on":
            yield


@contextmanager
def webhook_settings(database_url: str) -> Iterator[None]:
    """Loopback endpoints allowed and retries from 1 s, for the test; restored on a connection of its own (the
    crash ends every connection opened before it)."""
    changed = {"webhook_allow_private": "1", "webhook_retry_base_seconds": "1"}
    with psycopg.connect(database_url, autocommit=True) as db:
        old = dict(db.execute("select name, value from shop.settings where name = any(%s)", (list(changed),)))
        for name, value in changed.items():
            db.execute("update shop.settings set value = %s where name = %s", (value, name))
    try:
        yield
    finally:
        with psycopg.connect(database_url, autocommit=True) as db:
            for name, value in old.items():
                db.execute("update shop.settings set value = %s where name = %s", (value, name))


def crash_under_load(client, admin, database_url, crash, outage: float, settle: float = 3.0) -> None:
    """The stack of make run (API, webhook worker, metrics) serving 3 readers and 4 buyers, one endpoint
    subscribed to order.created; `crash()` stops PostgreSQL, which is started again `outage` seconds later."""
    receiver = Receiver()
    product = make_product(client, admin, stock_quantity=100_000)
    buyers = [bearer(login(client, register(client)["email"])) for _ in range(4)]
    log: list[tuple[float, float, str, int, dict]] = []  # (started, ended, kind, status, headers)
    orders: list[int] = []
    stop = threading.Event()
    with webhook_settings(database_url), \
            serve(database_url, programs=("api", "worker", "metrics"), **mode_env(database_url)) as api:

        def request(c: httpx.Client, kind: str, method: str, path: str, **kwargs) -> httpx.Response | None:
            """One request, logged: (started, ended, kind, status, headers); status 0 when there was no answer."""
            started = time.monotonic()
            try:
                response = c.request(method, path, **kwargs)
            except httpx.TransportError:
                response = None
            log.append((started, time.monotonic(), kind, response.status_code if response else 0,
                        dict(response.headers) if response else {}))
            return response

        def reader():
            with httpx.Client(base_url=api, timeout=30) as c:
                while not stop.is_set():
                    request(c, "read", "GET", f"/api/products/{product['id']}")
                    time.sleep(0.01)

        def buyer(headers):
            with httpx.Client(base_url=api, timeout=30) as c:
                while not stop.is_set():
                    request(c, "cart", "POST", "/api/cart/items", json={"product_id": product["id"], "quantity": 1},
                            headers=headers)
                    response = request(c, "checkout", "POST", "/api/orders", json={"shipping_address": ADDRESS},
                                       headers=headers)
                    if response is not None and response.status_code == 201:
                        orders.append(response.json()["id"])

        endpoint = httpx.post(f"{api}/api/admin/webhooks", json={"url": receiver.url(), "events": ["order.created"]},
                              headers=admin["headers"]).json()
        before = pids(api)
        threads = [threading.Thread(target=reader) for _ in range(3)] + [
            threading.Thread(target=buyer, args=(h,)) for h in buyers]
        for t in threads:
            t.start()
        time.sleep(1)
        down = time.monotonic()
        crash()
        time.sleep(max(0.0, outage - (time.monotonic() - down)))
        up = start_postgres()
        time.sleep(settle)
        stop.set()
        for t in threads:
            t.join()

        # Every event committed for this endpoint (acknowledged orders and any whose answer the crash cut off)
        # reaches the receiver: at least once, and twice only where a delivery was in flight (at least once).
        with psycopg.connect(database_url, autocommit=True) as db:
            events = {e for (e,) in db.execute(
                "select o.event_id::text from shop.webhook_deliveries d join shop.outbox o on o.id = d.outbox_id "
                "where d.endpoint_id = %s", (endpoint["id"],)).fetchall()}
        deadline = time.monotonic() + 60
        while {r["event_id"] for r in receiver.at(endpoint["url"])} < events and time.monotonic() < deadline:
            time.sleep(0.2)
        received = Counter(r["event_id"] for r in receiver.at(endpoint["url"]))
        after_up = sorted(r["at"] for r in receiver.at(endpoint["url"]) if r["at"] >= up)
        after, states = pids(api), programs(api)
        metrics = httpx.get(api.metrics).text
        receiver.server.shutdown()
        httpx.delete(f"{api}/api/admin/webhooks/{endpoint['id']}", headers=admin["headers"])

    during = [entry for entry in log if down <= entry[0] < up]
    after_log = [entry for entry in log if entry[0] >= up]
    first_ok = min(ended for started, ended, kind, status, _ in after_log if status in (200, 201))
    failed_while_healthy = Counter(status for *_, status, _ in after_log if status >= 500)
    print(f"\n{crash.__doc__.strip()} ({MODE or 'direct'}), outage {up - down:.1f} s: {len(log)} requests, "
          f"{len(orders)} orders acknowledged; during the outage {dict(Counter(s for *_, s, _ in during))}, slowest "
          f"answer {max(e - s for s, e, *_ in during):.2f} s; first success {first_ok - up:.2f} s after PostgreSQL "
          f"accepted connections; 5xx after: {sum(failed_while_healthy.values())}; webhook events committed "
          f"{len(events)}, delivered {len(set(received) & events)}, delivered twice {sum(n > 1 for n in received.values())}"
          f"; first delivery {after_up[0] - up if after_up else float('nan'):.2f} s after PostgreSQL was back")

    # No process of ours died: the same pids, every program running.
    assert after == before and set(states.values()) == {"RUNNING"}, (before, after, states)
    assert not any(status in (0, 500) for *_, status, _ in log)
    assert all(h.get("retry-after") for *_, status, h in log if status == 503)
    assert max(e - s for s, e, *_ in during) < 5
    assert first_ok - up < 2
    assert not failed_while_healthy
    assert events and set(received) == events, f"not delivered: {len(events - set(received))}"
    with psycopg.connect(database_url) as db:
        stored = dict(db.execute("select o.id, count(oi.id) from shop.orders o join shop.order_items oi "
                                 "on oi.order_id = o.id where o.id = any(%s) group by o.id", (orders,)).fetchall())
        assert stored == {order_id: 1 for order_id in orders}
        sold, stock, difference = db.execute(
            "select (select coalesce(sum(quantity), 0) from shop.order_items where variant_id = r.variant_id), "
            "r.stock_quantity, r.difference from shop.stock_reconciliation r where r.product_id = %s",
            (product["id"],)).fetchone()
        assert (stock + sold, difference) == (100_000, 0)
        assert not db.execute("select count(*) from shop.webhook_deliveries where endpoint_id = %s "
                              "and status <> 'delivered'", (endpoint["id"],)).fetchone()[0]
    # The outage in the metrics: the 503s counted.
    assert any(line.startswith('pgshop_failed_requests_total{code="database_unavailable"}') for line in
               metrics.splitlines())


@pytest.mark.disruptive
@pytest.mark.every_mode  # through the standby and through PgBouncer too
def test_kill_9_of_postgresql_under_load_loses_nothing_and_kills_no_process(client, admin, database_url, durable):
    def crash() -> None:
        """kill -9 of the postmaster"""
        kill_postmaster()

    crash_under_load(client, admin, database_url, crash, outage=3)


@pytest.mark.disruptive
def test_an_immediate_shutdown_for_a_minute_loses_nothing_and_kills_no_process(client, admin, database_url,
                                                                             durable):
    def crash() -> None:
        """pg_ctl stop -m immediate"""
        pg_ctl("-m", "immediate", "stop")

    crash_under_load(client, admin, database_url, crash, outage=60)


@pytest.mark.disruptive  # a stack of its own, processes killed
def test_a_killed_worker_or_api_process_comes_back_and_the_rest_keeps_serving(database_url):
    with serve(database_url, programs=("api", "worker", "metrics")) as api:
        statuses: list[int] = []  # 0: no answer (the request the killed process was serving, at most)
        stop = threading.Event()

        def poll():
            while not stop.is_set():
                try:  # a new connection each time: a client's next request, not one pinned to a dead process
                    statuses.append(httpx.get(f"{api}/health", headers={"Connection": "close"}).status_code)
                except httpx.TransportError:
                    statuses.append(0)
                time.sleep(0.02)

        poller = threading.Thread(target=poll)
        poller.start()
        worker = pid(api, "worker")
        os.kill(worker, signal.SIGKILL)
        until(lambda: programs(api)["worker"] in ("STARTING", "RUNNING") and pid(api, "worker") not in (0, worker))
        # An API worker process killed as the OOM killer would: uvicorn starts another, the other one serves.
        parent = pid(api, "api")
        children = lambda: {int(p.name) for p in Path("/proc").iterdir()  # noqa: E731 - uvicorn's worker processes
                            if p.name.isdigit() and _parent(p) == parent and b"spawn_main" in _cmdline(p)}
        before = until(lambda: (c := children()) and len(c) == 2 and c)
        os.kill(min(before), signal.SIGKILL)
        until(lambda: len(children()) == 2 and children() != before)
        killed_at = len(statuses)
        time.sleep(0.5)
        stop.set()
        poller.join()
        assert len(statuses) > killed_at, "the poller stopped"  # it ran on after the kills
        assert programs(api)["api"] in ("STARTING", "RUNNING") and pid(api, "api") == parent
        assert any("exited: worker (terminated by SIGKILL; not expected)" in line for line in api.lines)
        assert set(statuses) <= {0, 200} and statuses.count(0) <= 1 and statuses.count(200) > 20, Counter(statuses)
        processes = [parent, pid(api, "worker"), pid(api, "metrics"), *children()]
        conf = Path(api.conf)
    # SIGTERM stops them all together, and the run's directory goes with them.
    assert not any(Path(f"/proc/{p}").exists() for p in processes)
    assert not conf.parent.exists()


@pytest.mark.disruptive
def test_a_worker_that_keeps_failing_is_retried_with_backoff_and_takes_nothing_down(database_url):
    with serve(database_url, programs=("api", "worker"), WORKER_CONCURRENCY="many") as api:
        exits = until(lambda: (e := [line for line in api.lines if "exited: worker (exit status 1" in line])
                         and len(e) >= 3 and e, seconds=30)
        assert httpx.get(f"{api}/health").status_code == 200
    at = [time.mktime(time.strptime(line[:19], "%Y-%m-%d %H:%M:%S")) + int(line[20:23]) / 1000 for line in exits]
    gaps = [b - a for a, b in zip(at, at[1:])]
    assert gaps[1] > gaps[0] + 0.5, gaps  # 1 s, then 2 s, then 3 s... (supervisord's backoff)
    assert any("ValueError" in line for line in api.lines)  # why it exits, in the log
