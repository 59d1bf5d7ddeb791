"""What the tests of several areas share: making products and categories, filling carts, checking out and paying
over HTTP, racing concurrent clients, running the pgshop command, a receiver of webhooks, waiting for a condition.
(Fixtures live in conftest.py.)"""

import hashlib
import hmac
import json
import os
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Barrier

import httpx

from conftest import STRIPE_SECRET


def word() -> str:
    """A made-up word no demo product contains, to find this test's rows among the demo data. Letters only:
    a token with digits is a model code to the search (not stemmed, never typo-corrected)."""
    return "zq" + uuid.uuid4().hex[:10].translate(str.maketrans("0123456789", "ghijklmnop"))


def make_category(client, admin, name=None, parent_id=None) -> dict:
    response = client.post("/api/categories", json={"name": name or f"Cat {word()}", "parent_id": parent_id},
                           headers=admin["headers"])
    assert response.status_code == 201, response.text
    return response.json()


def make_product(client, admin, **fields) -> dict:
    body = {"name": f"Thing {word()}", "price": "10.00", "sku": f"SKU-{word()}", "stock_quantity": 10, **fields}
    response = client.post("/api/products", json=body, headers=admin["headers"])
    assert response.status_code == 201, response.text
    return response.json()


ADDRESS = {"name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH",
           "country": "GB"}


def fill_cart(client, headers, *lines):
    for product, quantity in lines:
        response = client.post("/api/cart/items", json={"product_id": product["id"], "quantity": quantity},
                               headers=headers)
        assert response.status_code == 200, response.text


def default_variant(product) -> int:
    """The id of a product's default variant (the one a product made by make_product has)."""
    return product["variants"][0]["id"]


def stock(db, product) -> int:
    """The stock on hand of a product's default variant."""
    return db.execute("select stock_quantity from shop.variants where id = %s",
                      (default_variant(product),)).fetchone()[0]


def checkout(client, headers, key=None, address=ADDRESS):
    extra = {"Idempotency-Key": key} if key else {}
    return client.post("/api/orders", json={"shipping_address": address}, headers={**headers, **extra})


def pay(client, admin, order) -> dict:
    """An admin records a manual payment of the whole balance: the database makes the order paid."""
    response = client.post(f"/api/admin/orders/{order['id']}/payments",
                           json={"amount": order["balance_due"], "reference": f"BT-{uuid.uuid4().hex[:12]}"},
                           headers=admin["headers"])
    assert response.status_code == 201 and response.json()["status"] == "paid", response.text
    return response.json()


def race(base_url: str, calls: list) -> list[httpx.Response]:
    """Run every call at the same moment, each on its own connection."""
    barrier = Barrier(len(calls))

    def run(call):
        with httpx.Client(base_url=base_url, timeout=60) as c:
            barrier.wait()
            return call(c)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


ROOT = Path(__file__).resolve().parent.parent
SCRIPT = str(ROOT / "scripts/pgshop")


def pgshop(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env})


def server_timing(response: httpx.Response) -> dict[str, dict[str, str]]:
    """{"db": {"dur": "1.23", "desc": "primary"}, "app": {...}} from a Server-Timing header."""
    return {name: dict(p.split("=", 1) for p in params)
            for name, *params in (metric.strip().split(";") for metric in response.headers["server-timing"].split(","))}


WEBHOOK = "/api/payments/webhooks/stripe"


def signed(body: bytes, secret: str = STRIPE_SECRET, at: int | None = None) -> dict:
    at = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={at},v1={mac}", "Content-Type": "application/json"}


def send(client, event: dict, **sign):
    body = json.dumps(event).encode()
    return client.post(WEBHOOK, content=body, headers=signed(body, **sign))


def cents(amount: str) -> int:
    return int(Decimal(amount) * 100)


def intent(order: dict, kind: str = "payment_intent.succeeded", amount: int | None = None, pi: str | None = None,
           currency: str = "usd", order_id: object = None) -> dict:
    """A Stripe event about the PaymentIntent `pi` of `order`, for `amount` cents (default: the total)."""
    amount = cents(order["total_amount"]) if amount is None else amount
    pi = pi or f"pi_{uuid.uuid4().hex[:16]}"
    metadata = {"order_id": str(order["id"] if order_id is None else order_id)}
    if kind == "charge.refunded":
        obj = {"id": f"ch_{pi[3:]}", "object": "charge", "payment_intent": pi, "amount": cents(order["total_amount"]),
               "amount_refunded": amount, "currency": currency, "metadata": metadata}
    else:
        obj = {"id": pi, "object": "payment_intent", "amount": amount, "currency": currency, "metadata": metadata,
               "amount_received": amount if kind == "payment_intent.succeeded" else 0}
    return {"id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": kind, "created": int(time.time()),
            "data": {"object": obj}}


class Receiver:
    """An HTTP server on loopback that records every request. The last segment of the path says how it
    answers: ok (200), fail3 (500 to the first three tries of an event, then 200), hang (answers after 5 s),
    hangonce (the first try of an event waits 4 s, the next ones get 200), nul (200 with a NUL in the body)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                event_id = self.headers.get("Pgshop-Event-Id")
                with receiver.lock:
                    before = sum(1 for r in receiver.requests if r["path"] == self.path and r["event_id"] == event_id)
                    receiver.requests.append({"path": self.path, "event_id": event_id, "headers": dict(self.headers),
                                              "body": body, "at": time.monotonic()})
                mode = self.path.rsplit("/", 1)[-1]
                if mode == "hang" or (mode == "hangonce" and before == 0):
                    time.sleep(5 if mode == "hang" else 4)
                status = 500 if mode == "fail3" and before < 3 else 200
                answer = b"no\x00ted" if mode == "nul" else b"noted" if status == 200 else b"later"
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the worker gave up on us

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, mode: str = "ok") -> str:
        return f"http://127.0.0.1:{self.server.server_port}/{uuid.uuid4().hex}/{mode}"

    def at(self, url: str) -> list[dict]:
        path = url.split(str(self.server.server_port), 1)[1]
        with self.lock:
            return [r for r in self.requests if r["path"] == path]


def until(check, seconds: float = 20.0):  # noqa: ANN201
    """check() until it returns something true, for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.05)
