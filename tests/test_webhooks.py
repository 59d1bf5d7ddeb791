"""Webhooks out, end to end: admins subscribe endpoints, the outbox triggers make deliveries, and the real worker
(`python -m api.worker`, procrastinate) POSTs them, signed, to a receiver on loopback; retries, a receiver that
hangs, a worker killed mid-delivery, redelivery, and the address checks."""

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import psycopg
import pytest

from conftest import assert_problem, setting
from helpers import Receiver, checkout, fill_cart, make_product, pay, until

SEND_TIMEOUT = 2  # seconds the worker of these tests gives a receiver (WEBHOOK_SEND_TIMEOUT; 10 by default)
EVERY_TYPE = ["order.created", "order.paid", "order.shipped", "order.delivered", "order.cancelled",
              "payment.captured", "payment.refunded", "refund.requested", "stock.low"]


class Worker:
    """`python -m api.worker`, as make run starts it."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "api.worker"],
                                     env={**os.environ, "DATABASE_URL": self.database_url,
                                          "WEBHOOK_SEND_TIMEOUT": str(SEND_TIMEOUT)})

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        self.proc = None


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture(scope="module")
def worker(database_url: str) -> Iterator[Worker]:
    """One worker for the module, with loopback endpoints allowed and retries from 1 s (as a test may set)."""
    with psycopg.connect(database_url, autocommit=True) as db, \
            setting(db, "webhook_allow_private", "1"), setting(db, "webhook_retry_base_seconds", "1"):
        w = Worker(database_url)
        w.start()
        yield w
        w.stop()


@pytest.fixture
def subscribe(client, admin, worker) -> Iterator:
    """subscribe(url, events) -> the endpoint (with its secret); deleted after the test, so that no endpoint
    of one test receives the events of the next."""
    made = []

    def make(url: str, events: list[str] = EVERY_TYPE) -> dict:
        response = client.post("/api/admin/webhooks", json={"url": url, "events": events}, headers=admin["headers"])
        assert response.status_code == 201, response.text
        made.append(response.json())
        return response.json()

    yield make
    for endpoint in made:
        client.delete(f"/api/admin/webhooks/{endpoint['id']}", headers=admin["headers"])


def deliveries(client, admin, endpoint) -> list[dict]:
    response = client.get(f"/api/admin/webhooks/{endpoint['id']}/deliveries", params={"limit": 100},
                          headers=admin["headers"])
    assert response.status_code == 200, response.text
    return response.json()["items"]


def verify(request: dict, secret: str) -> dict:
    """What a receiver does: check Pgshop-Signature (t=..,v1=HMAC-SHA256 of "t.body"), then read the event."""
    parts = dict(p.split("=", 1) for p in request["headers"]["Pgshop-Signature"].split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + request["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, parts["v1"])
    assert abs(time.time() - int(parts["t"])) < 60
    event = json.loads(request["body"])
    assert event["id"] == request["event_id"] and event["type"] == request["headers"]["Pgshop-Event-Type"]
    return event


def order_flow(client, admin, customer) -> list[dict]:
    """Orders taken through every event type: created, paid (payment.captured), shipped, delivered; another
    cancelled; a refund requested and confirmed (payment.refunded); a product falling to its low-stock level."""
    product = make_product(client, admin, price="10.00", stock_quantity=8, low_stock_threshold=5)
    fill_cart(client, customer["headers"], (product, 3))
    first = pay(client, admin, checkout(client, customer["headers"]).json())  # stock 5: stock.low
    for status in ("shipped", "delivered"):
        assert client.put(f"/api/orders/{first['id']}/status", json={"status": status},
                          headers=admin["headers"]).status_code == 200
    assert client.post(f"/api/admin/orders/{first['id']}/refunds", json={"amount": "5.00", "reason": "scratched"},
                       headers=admin["headers"]).status_code == 201  # manual: refunded at once
    fill_cart(client, customer["headers"], (product, 1))
    second = checkout(client, customer["headers"]).json()
    assert client.put(f"/api/orders/{second['id']}/status", json={"status": "cancelled"},
                      headers=admin["headers"]).status_code == 200
    return [first, second]


def outbox(db, orders: list[dict]) -> list[tuple]:
    return db.execute("select event_id::text, type, resource from shop.outbox where resource = any(%s) "
                      "or (type = 'stock.low' and data ->> 'product_id' = %s) order by id",
                      ([f"order/{o['id']}" for o in orders],
                       str(orders[0]["items"][0]["product_id"]))).fetchall()


@pytest.mark.worker
def test_every_event_reaches_the_receiver_signed_once_and_in_order(client, admin, customer, db, receiver, subscribe):
    endpoint = subscribe(receiver.url())
    assert endpoint["secret"].startswith("whsec_") and len(endpoint["secret"]) > 32
    orders = order_flow(client, admin, customer)
    expected = outbox(db, orders)
    assert {t for _, t, _ in expected} == set(EVERY_TYPE)
    received = until(lambda: (r := receiver.at(endpoint["url"])) and len(r) >= len(expected) and r)
    events = [verify(r, endpoint["secret"]) for r in received]
    assert sorted(e["id"] for e in events) == sorted(i for i, _, _ in expected)  # each once
    for resource in {r for _, _, r in expected}:  # in order per resource
        assert [e["id"] for e in events if e["id"] in {i for i, _, r in expected if r == resource}] == \
               [i for i, _, r in expected if r == resource]
    created = next(e for e in events if e["type"] == "order.created")
    assert created["data"]["id"] == orders[0]["id"] and created["data"]["status"] == "pending"
    assert created["created_at"] and "reason" in created

    def all_delivered() -> list[dict]:
        listed = deliveries(client, admin, endpoint)
        return listed if all(d["status"] == "delivered" for d in listed) else []

    done = until(all_delivered)
    assert len(done) == len(expected) and {(d["attempts"], d["response_status"], d["response_excerpt"])
                                           for d in done} == {(1, 200, "noted")}


@pytest.mark.worker
def test_a_failing_receiver_gets_the_event_once_more_after_each_failure(client, admin, customer, receiver, subscribe):
    endpoint = subscribe(receiver.url("fail3"), ["order.created"])
    product = make_product(client, admin)
    fill_cart(client, customer["headers"], (product, 1))
    checkout(client, customer["headers"])
    [delivery] = until(lambda: [d for d in deliveries(client, admin, endpoint) if d["status"] == "delivered"], 30)
    tries = receiver.at(endpoint["url"])
    assert len(tries) == 4 and delivery["attempts"] == 4 and delivery["response_status"] == 200
    assert len({t["event_id"] for t in tries}) == 1 and len({t["body"] for t in tries}) == 1
    assert [t["headers"]["Pgshop-Delivery-Attempt"] for t in tries] == ["1", "2", "3", "4"]
    gaps = [b["at"] - a["at"] for a, b in zip(tries, tries[1:])]
    # WEBHOOK_RETRY_BASE_SECONDS=1: about 1, 2 and 4 s, each drawn from 75% to 125% of that (less a little: the
    # receiver, a thread of this process, notes an arrival once it has read the request).
    assert all(gap >= 0.75 * 2 ** n - 0.25 for n, gap in enumerate(gaps)), gaps
    assert all(gap <= 1.25 * 2 ** n + 1.5 for n, gap in enumerate(gaps)), gaps


@pytest.mark.worker
def test_a_hanging_receiver_is_timed_out_and_tried_again(client, admin, customer, receiver, subscribe):
    endpoint = subscribe(receiver.url("hang"), ["order.created"])
    product = make_product(client, admin)
    fill_cart(client, customer["headers"], (product, 1))
    started = time.monotonic()
    checkout(client, customer["headers"])
    [delivery] = until(lambda: [d for d in deliveries(client, admin, endpoint) if d["error"]], 20)
    assert SEND_TIMEOUT - 0.5 < time.monotonic() - started < SEND_TIMEOUT + 5
    # Still pending: tried again (WEBHOOK_RETRY_BASE_SECONDS=1), and timed out again, until the endpoint goes.
    assert delivery["error"] == f"no answer within {SEND_TIMEOUT} s" and delivery["status"] == "pending"
    assert delivery["attempts"] >= 1 and delivery["response_status"] is None


@pytest.mark.worker
def test_a_worker_killed_mid_delivery_loses_no_event(client, admin, customer, receiver, subscribe, worker):
    endpoint = subscribe(receiver.url("hangonce"), ["order.created"])
    product = make_product(client, admin)
    fill_cart(client, customer["headers"], (product, 1))
    checkout(client, customer["headers"])
    until(lambda: receiver.at(endpoint["url"]))  # the worker is waiting for the answer...
    killed = time.monotonic()
    worker.stop(signal.SIGKILL)  # ...and dies: no chance to record anything or give the job back
    worker.start()
    [delivery] = until(lambda: [d for d in deliveries(client, admin, endpoint) if d["status"] == "delivered"], 30)
    tries = receiver.at(endpoint["url"])
    assert len(tries) >= 2 and len({t["event_id"] for t in tries}) == 1  # the same event, again: at least once
    assert delivery["attempts"] >= 2
    print(f"redelivered {time.monotonic() - killed:.1f} s after the worker was killed")


@pytest.mark.worker
def test_an_answer_postgresql_cannot_store_is_kept_without_what_it_cannot(client, admin, customer, receiver,
                                                                          subscribe):
    endpoint = subscribe(receiver.url("nul"), ["order.created"])
    product = make_product(client, admin)
    fill_cart(client, customer["headers"], (product, 1))
    checkout(client, customer["headers"])
    [delivery] = until(lambda: [d for d in deliveries(client, admin, endpoint) if d["status"] == "delivered"])
    assert delivery["response_excerpt"] == "noted" and delivery["attempts"] == 1


@pytest.mark.worker
def test_an_admin_can_redeliver(client, admin, customer, receiver, subscribe):
    endpoint = subscribe(receiver.url(), ["order.created"])
    product = make_product(client, admin)
    fill_cart(client, customer["headers"], (product, 1))
    checkout(client, customer["headers"])
    [delivery] = until(lambda: [d for d in deliveries(client, admin, endpoint) if d["status"] == "delivered"])
    url = f"/api/admin/webhooks/{endpoint['id']}/deliveries/{delivery['id']}/redeliver"
    response = client.post(url, headers=admin["headers"])
    assert response.status_code == 202 and response.json()["status"] == "pending"
    again = client.post(url, headers=admin["headers"])  # unless the worker was quicker still
    assert again.status_code == 202 or assert_problem(again, 409, "delivery_pending")
    until(lambda: len(receiver.at(endpoint["url"])) >= 2)
    assert len({r["event_id"] for r in receiver.at(endpoint["url"])}) == 1
    assert_problem(client.post(f"/api/admin/webhooks/{endpoint['id']}/deliveries/999999999/redeliver",
                               headers=admin["headers"]), 404, "not_found")


@pytest.mark.worker
def test_a_private_address_is_refused_at_delivery_when_not_allowed(client, admin, customer, db, receiver, subscribe):
    endpoint = subscribe(receiver.url(), ["order.created"])  # made while loopback was allowed
    product = make_product(client, admin)
    fill_cart(client, customer["headers"], (product, 1))
    with setting(db, "webhook_allow_private", "0"):
        checkout(client, customer["headers"])
        [delivery] = until(lambda: [d for d in deliveries(client, admin, endpoint) if d["status"] == "failed"])
    assert delivery["error"].startswith("not allowed: http://127.0.0.1") and delivery["attempts"] == 1
    assert receiver.at(endpoint["url"]) == []


def test_endpoints_are_managed_by_admins(client, admin, customer, db, worker):
    url = "/api/admin/webhooks"
    assert_problem(client.post(url, json={"url": "https://example.com/h", "events": ["order.paid"]},
                               headers=customer["headers"]), 403, "forbidden")
    assert_problem(client.get(url), 401, "unauthenticated")
    for bad in ("ftp://example.com/h", "https://user:pw@example.com/h", "example.com/h", "https://"):
        assert_problem(client.post(url, json={"url": bad, "events": ["order.paid"]}, headers=admin["headers"]),
                       422, "invalid_url")
    for events in ([], ["order.lost"], ["order.paid"] * 51):
        assert_problem(client.post(url, json={"url": "https://example.com/h", "events": events},
                                   headers=admin["headers"]), 422, "invalid_events")
    with setting(db, "webhook_allow_private", "0"):
        for bad in ("http://example.com/h", "https://127.0.0.1/h", "https://10.1.2.3/h", "https://[::1]/h",
                    "https://localhost/h", "https://169.254.169.254/latest"):
            assert_problem(client.post(url, json={"url": bad, "events": ["order.paid"]}, headers=admin["headers"]),
                           422, "invalid_url")
        made = client.post(url, json={"url": "https://example.com/h", "events": ["order.paid", "order.paid"]},
                           headers=admin["headers"])
    assert made.status_code == 201 and made.json()["events"] == ["order.paid"]
    listed = [e for e in client.get(url, headers=admin["headers"]).json()["items"] if e["id"] == made.json()["id"]]
    assert listed == [{k: v for k, v in made.json().items() if k != "secret"}]  # the secret is shown once
    assert client.delete(f"{url}/{made.json()['id']}", headers=admin["headers"]).status_code == 204
    assert_problem(client.get(f"{url}/{made.json()['id']}/deliveries", headers=admin["headers"]), 404, "not_found")
    assert_problem(client.delete(f"{url}/{made.json()['id']}", headers=admin["headers"]), 404, "not_found")


@pytest.mark.parametrize("host", [
    "localhost.", "LocalHost", "app.localhost.", "0xa9fea9fe", "2852039166", "0251.0376.0251.0376", "169.254.43518",
    "0x0a000001", "012.0.0.1", "10.1", "0177.0.0.1", "127.1", "0", "0x7f.1", "[::ffff:127.0.0.1]", "[::ffff:a9fe:a9fe]",
    "[0:0:0:0:0:0:0:1]", "[fd00::1]", "192.168.0.1.", "100.64.0.1", "224.0.0.1", "[64:ff9b::a00:1]",
])
def test_every_spelling_of_a_private_address_is_refused_at_subscription(client, admin, db, host):
    """Hosts are read as the system resolver reads them (inet_aton's decimal, octal and hex parts; a trailing
    dot): each of these is a loopback, private, link-local or otherwise non-public address."""
    with setting(db, "webhook_allow_private", "0"):
        response = client.post("/api/admin/webhooks", json={"url": f"https://{host}/hook", "events": ["order.paid"]},
                               headers=admin["headers"])
    assert_problem(response, 422, "invalid_url")


@pytest.mark.parametrize("host", ["example.com", "example.com.", "93.184.216.34", "1.1", "0x5db8d822",
                                  "[2606:2800:220:1:248:1893:25c8:1946]", "10.example.com", "0x10.example"])
def test_public_hosts_are_still_accepted(client, admin, db, host):
    with setting(db, "webhook_allow_private", "0"):
        response = client.post("/api/admin/webhooks", json={"url": f"https://{host}/hook", "events": ["order.paid"]},
                               headers=admin["headers"])
    assert response.status_code == 201, response.text
    client.delete(f"/api/admin/webhooks/{response.json()['id']}", headers=admin["headers"])


@pytest.mark.worker
def test_a_url_the_worker_cannot_read_is_a_failed_attempt_and_blocks_nothing_forever(client, admin, customer, db,
                                                                                    receiver, subscribe):
    """https://0177.0.0.1:PORT/ (octal loopback, allowed here) is an address httpx refuses to read: each try is
    recorded as an attempt with its error and retried; when the retry window is over it fails, and the next
    event of that order to that endpoint goes out."""
    bad = subscribe(f"https://0177.0.0.1:{receiver.server.server_port}/x", ["order.created", "order.cancelled"])
    product = make_product(client, admin)
    fill_cart(client, customer["headers"], (product, 1))
    order = checkout(client, customer["headers"]).json()
    [first] = until(lambda: [d for d in deliveries(client, admin, bad) if d["attempts"] >= 2 and d["error"]])
    assert first["status"] == "pending" and "0177.0.0.1" in first["error"]
    # The window ends (as 24 hours after the first try would): the next failure is the last.
    db.execute("update shop.webhook_deliveries set retry_from = now() - interval '24 hours' where id = %s",
               (first["id"],))
    assert client.put(f"/api/orders/{order['id']}/status", json={"status": "cancelled"},
                      headers=admin["headers"]).status_code == 200
    def tried() -> dict | None:
        by_type = {d["type"]: d for d in deliveries(client, admin, bad)}
        return by_type if len(by_type) == 2 and by_type["order.created"]["status"] == "failed" \
            and by_type["order.cancelled"]["error"] else None  # tried and recorded once the first had failed

    by_type = until(tried, seconds=30)
    assert by_type["order.created"]["attempts"] >= 3 and "0177.0.0.1" in by_type["order.created"]["error"]
    assert by_type["order.cancelled"]["attempts"] >= 1 and by_type["order.cancelled"]["status"] == "pending"
