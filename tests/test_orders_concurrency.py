"""Concurrency claims, proven with real concurrent clients against the running app."""

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from conftest import bearer, login, register
from helpers import ADDRESS, make_product, race, stock


def buyers(client, n: int) -> list[dict]:
    with ThreadPoolExecutor(8) as pool:
        users = list(pool.map(lambda _: register(client), range(n)))
        return list(pool.map(lambda u: bearer(login(client, u["email"])), users))


def test_40_buyers_for_the_last_10_units(client, base_url, admin, db):
    product = make_product(client, admin, stock_quantity=40)
    headers = buyers(client, 40)
    for h in headers:
        assert client.post("/api/cart/items", json={"product_id": product["id"], "quantity": 1}, headers=h).status_code == 200
    client.put(f"/api/products/{product['id']}", json={"stock_quantity": 10}, headers=admin["headers"])

    responses = race(base_url, [lambda c, h=h: c.post("/api/orders", json={"shipping_address": ADDRESS}, headers=h)
                                for h in headers])
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 10, 409: 30}, statuses
    assert all(r.json()["code"] == "insufficient_stock" for r in responses if r.status_code == 409)
    assert stock(db, product) == 0
    sold = db.execute("select count(*), sum(quantity) from shop.order_items where product_id = %s",
                      (product["id"],)).fetchone()
    assert sold == (10, 10)
    assert db.execute("select difference from shop.stock_reconciliation where product_id = %s",
                      (product["id"],)).fetchone() == (0,)


def test_crossing_carts_do_not_deadlock(client, base_url, admin, db):
    a = make_product(client, admin, stock_quantity=100)
    b = make_product(client, admin, stock_quantity=100)
    headers = buyers(client, 24)
    for i, h in enumerate(headers):
        first, second = (a, b) if i % 2 else (b, a)  # half add a then b, half b then a
        for product in (first, second):
            client.post("/api/cart/items", json={"product_id": product["id"], "quantity": 1}, headers=h)

    responses = race(base_url, [lambda c, h=h: c.post("/api/orders", json={"shipping_address": ADDRESS}, headers=h)
                                for h in headers])
    assert Counter(r.status_code for r in responses) == {201: 24}
    assert (stock(db, a), stock(db, b)) == (76, 76)


def test_12_retries_with_one_idempotency_key_make_one_order(client, base_url, admin, customer, db):
    product = make_product(client, admin, stock_quantity=5)
    client.post("/api/cart/items", json={"product_id": product["id"], "quantity": 2}, headers=customer["headers"])
    key = str(uuid.uuid4())
    headers = {**customer["headers"], "Idempotency-Key": key}

    responses = race(base_url, [lambda c: c.post("/api/orders", json={"shipping_address": ADDRESS}, headers=headers)
                                for _ in range(12)])
    assert Counter(r.status_code for r in responses) == {201: 12}
    assert len({r.json()["id"] for r in responses}) == 1
    assert stock(db, product) == 3
    user_id = customer["user"]["id"]
    assert db.execute("select count(*) from shop.orders where user_id = %s", (user_id,)).fetchone() == (1,)
