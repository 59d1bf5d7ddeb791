"""Checkout, idempotency, orders, the status workflow and the stock ledger, over HTTP."""

import uuid

import psycopg
import pytest

from conftest import assert_problem, bearer, login, register
from helpers import ADDRESS, checkout, default_variant, fill_cart, make_product, pay, stock


def test_checkout_makes_a_pending_order_and_takes_stock(client, admin, customer, db):
    a = make_product(client, admin, price="19.99", stock_quantity=10)
    b = make_product(client, admin, price="5.00", stock_quantity=3)
    fill_cart(client, customer["headers"], (a, 2), (b, 3))
    response = checkout(client, customer["headers"])
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "pending" and order["total_amount"] == "54.98"
    assert order["shipping_address"] == ADDRESS
    assert [(i["product_id"], i["quantity"], i["unit_price"], i["total_price"]) for i in order["items"]] == [
        (a["id"], 2, "19.99", "39.98"), (b["id"], 3, "5.00", "15.00")]
    assert [h["status"] for h in order["history"]] == ["pending"]
    assert (stock(db, a), stock(db, b)) == (8, 0)
    assert client.get("/api/cart", headers=customer["headers"]).json()["items"] == []
    ledger = db.execute("select product_id, delta, reason from shop.stock_movements where order_id = %s order by id",
                        (order["id"],)).fetchall()
    assert sorted(ledger) == sorted([(a["id"], -2, "sale"), (b["id"], -3, "sale")])


def test_order_keeps_its_prices_after_a_price_change(client, admin, customer):
    product = make_product(client, admin, price="10.00")
    fill_cart(client, customer["headers"], (product, 1))
    order = checkout(client, customer["headers"]).json()
    client.put(f"/api/products/{product['id']}", json={"price": "99.00", "name": "Renamed"}, headers=admin["headers"])
    again = client.get(f"/api/orders/{order['id']}", headers=customer["headers"]).json()
    assert again["total_amount"] == "10.00" and again["items"][0]["unit_price"] == "10.00"
    assert again["items"][0]["name"] == product["name"]


@pytest.mark.parametrize("address", [{}, {**ADDRESS, "city": " "}, {k: v for k, v in ADDRESS.items() if k != "country"}])
def test_bad_address_is_422(client, admin, customer, address):
    product = make_product(client, admin)
    fill_cart(client, customer["headers"], (product, 1))
    assert_problem(checkout(client, customer["headers"], address=address), 422, "invalid_address")


def test_empty_cart_is_409(client, customer):
    assert_problem(checkout(client, customer["headers"]), 409, "empty_cart")


def test_checkout_needs_a_user(client):
    assert_problem(client.post("/api/orders", json={"shipping_address": ADDRESS}), 401)


def test_short_stock_is_409_naming_the_products_and_changes_nothing(client, admin, customer, db):
    fine = make_product(client, admin, stock_quantity=5)
    short = make_product(client, admin, stock_quantity=5)
    fill_cart(client, customer["headers"], (fine, 1), (short, 4))
    db.execute("update shop.variants set stock_quantity = 2 where id = %s", (default_variant(short),))
    body = assert_problem(checkout(client, customer["headers"]), 409, "insufficient_stock")
    assert short["sku"] in body["detail"] and fine["sku"] not in body["detail"]
    assert body["products"] == [{"product_id": short["id"], "variant_id": default_variant(short), "sku": short["sku"],
                                 "requested": 4, "available": 2}]
    assert (stock(db, fine), stock(db, short)) == (5, 2)
    assert client.get("/api/cart", headers=customer["headers"]).json()["item_count"] == 5
    assert client.get("/api/orders", headers=customer["headers"]).json()["items"] == []


def test_idempotency_key_replays_and_refuses_a_different_body(client, admin, customer, db):
    product = make_product(client, admin, stock_quantity=10)
    fill_cart(client, customer["headers"], (product, 2))
    key = str(uuid.uuid4())
    first = checkout(client, customer["headers"], key)
    assert first.status_code == 201
    second = checkout(client, customer["headers"], key)
    assert second.status_code == 201 and second.json() == first.json()
    assert stock(db, product) == 8
    assert_problem(checkout(client, customer["headers"], key, {**ADDRESS, "city": "Paris"}),
                   422, "idempotency_key_reused")
    assert_problem(checkout(client, customer["headers"], "k" * 256), 422, "invalid_idempotency_key")


def test_idempotency_keys_are_per_user(client, admin, customer, db):
    other = register(client)
    other_headers = bearer(login(client, other["email"]))
    product = make_product(client, admin, stock_quantity=10)
    fill_cart(client, customer["headers"], (product, 1))
    fill_cart(client, other_headers, (product, 1))
    key = "shared-key"
    a = checkout(client, customer["headers"], key).json()
    b = checkout(client, other_headers, key).json()
    assert a["id"] != b["id"] and stock(db, product) == 8


def test_orders_list_is_own_newest_first_and_paginated(client, admin, customer):
    product = make_product(client, admin, stock_quantity=10)
    ids = []
    for _ in range(3):
        fill_cart(client, customer["headers"], (product, 1))
        ids.append(checkout(client, customer["headers"]).json()["id"])
    page = client.get("/api/orders", params={"limit": 2}, headers=customer["headers"]).json()
    assert [o["id"] for o in page["items"]] == ids[:0:-1]
    rest = client.get("/api/orders", params={"limit": 2, "cursor": page["next_cursor"]},
                      headers=customer["headers"]).json()
    assert [o["id"] for o in rest["items"]] == [ids[0]] and rest["next_cursor"] is None
    assert_problem(client.get("/api/orders", params={"limit": 0}, headers=customer["headers"]), 422, "invalid_limit")
    assert_problem(client.get("/api/orders", params={"cursor": "bad"}, headers=customer["headers"]), 422,
                   "invalid_cursor")


def test_another_users_order_is_404_but_admins_see_it(client, admin, customer):
    product = make_product(client, admin)
    fill_cart(client, customer["headers"], (product, 1))
    order = checkout(client, customer["headers"]).json()
    stranger = register(client)
    assert_problem(client.get(f"/api/orders/{order['id']}", headers=bearer(login(client, stranger["email"]))),
                   404, "not_found")
    assert client.get(f"/api/orders/{order['id']}", headers=admin["headers"]).json()["id"] == order["id"]
    assert_problem(client.get("/api/orders/999999999", headers=customer["headers"]), 404)


def test_status_workflow(client, admin, customer):
    product = make_product(client, admin)
    fill_cart(client, customer["headers"], (product, 1))
    order = checkout(client, customer["headers"]).json()
    url = f"/api/orders/{order['id']}/status"
    assert_problem(client.put(url, json={"status": "shipped"}, headers=admin["headers"]), 409, "invalid_transition")
    assert_problem(client.put(url, json={"status": "lost"}, headers=admin["headers"]), 422, "invalid_status")
    assert_problem(client.put(url, json={"status": "paid"}, headers=customer["headers"]), 403, "forbidden")
    # paid comes from payments that cover the order, not from an admin's say-so.
    assert_problem(client.put(url, json={"status": "paid"}, headers=admin["headers"]), 409, "payment_required")
    pay(client, admin, order)
    for status in ("shipped", "delivered"):
        response = client.put(url, json={"status": status}, headers=admin["headers"])
        assert response.status_code == 200 and response.json()["status"] == status
    assert_problem(client.put(url, json={"status": "cancelled"}, headers=admin["headers"]), 409, "invalid_transition")
    history = client.get(f"/api/orders/{order['id']}", headers=customer["headers"]).json()["history"]
    assert [(h["status"], h["actor"]) for h in history] == [
        ("pending", "customer"), ("paid", "payment"), ("shipped", "admin"), ("delivered", "admin")]
    assert_problem(client.put("/api/orders/999999999/status", json={"status": "paid"}, headers=admin["headers"]), 404)


def test_cancelling_returns_stock_exactly_once(client, admin, customer, db):
    product = make_product(client, admin, stock_quantity=10)
    fill_cart(client, customer["headers"], (product, 4))
    order = checkout(client, customer["headers"]).json()
    url = f"/api/orders/{order['id']}/status"
    pay(client, admin, order)
    assert client.put(url, json={"status": "cancelled"}, headers=admin["headers"]).status_code == 200
    assert stock(db, product) == 10
    assert_problem(client.put(url, json={"status": "cancelled"}, headers=admin["headers"]), 409, "invalid_transition")
    assert_problem(client.put(url, json={"status": "pending"}, headers=admin["headers"]), 409, "invalid_transition")
    assert stock(db, product) == 10
    moves = db.execute("select delta, reason from shop.stock_movements where order_id = %s order by id",
                       (order["id"],)).fetchall()
    assert moves == [(-4, "sale"), (4, "cancel")]


def test_raw_sql_cannot_skip_a_state(client, admin, customer, db):
    product = make_product(client, admin)
    fill_cart(client, customer["headers"], (product, 1))
    order = checkout(client, customer["headers"]).json()
    with pytest.raises(psycopg.Error, match="invalid_transition") as refused:
        db.execute("update shop.orders set status = 'delivered' where id = %s", (order["id"],))
    assert refused.value.sqlstate == "PT409"
    with pytest.raises(psycopg.Error, match="payment_required"):
        db.execute("update shop.orders set status = 'paid' where id = %s", (order["id"],))
    assert client.get(f"/api/orders/{order['id']}", headers=customer["headers"]).json()["status"] == "pending"
