"""Guest and persistent carts, and the merge at login."""

import pytest

from conftest import PASSWORD, assert_problem, bearer, register
from helpers import default_variant, make_product


def test_guest_cart_gets_a_token_and_keeps_it(client, admin):
    product = make_product(client, admin, price="2.50", stock_quantity=10)
    first = client.post("/api/cart/items", json={"product_id": product["id"], "quantity": 2})
    assert first.status_code == 200
    token = first.headers["X-Cart-Token"]
    assert first.json()["token"] == token
    again = client.post("/api/cart/items", json={"product_id": product["id"], "quantity": 3},
                        headers={"X-Cart-Token": token})
    assert again.headers["X-Cart-Token"] == token
    body = client.get("/api/cart", headers={"X-Cart-Token": token}).json()
    assert body["items"] == [{"product_id": product["id"], "variant_id": default_variant(product),
                              "name": product["name"], "sku": product["sku"], "options": {}, "unit_price": "2.50",
                              "quantity": 5, "line_total": "12.50"}]
    assert body["total"] == "12.50" and body["item_count"] == 5


def test_cart_without_token_is_empty(client):
    for headers in ({}, {"X-Cart-Token": "not-a-token"}, {"X-Cart-Token": "00000000-0000-0000-0000-000000000000"}):
        response = client.get("/api/cart", headers=headers)
        assert response.status_code == 200
        assert response.json() == {"token": None, "items": [], "total": "0.00", "item_count": 0}


def test_user_cart_set_and_remove(client, admin, customer):
    a = make_product(client, admin, price="1.00", stock_quantity=5)
    b = make_product(client, admin, price="3.00", stock_quantity=5)
    h = customer["headers"]
    client.post("/api/cart/items", json={"product_id": a["id"], "quantity": 1}, headers=h)
    client.post("/api/cart/items", json={"product_id": b["id"], "quantity": 1}, headers=h)
    response = client.put(f"/api/cart/items/{a['id']}", json={"quantity": 4}, headers=h)
    assert response.status_code == 200 and "X-Cart-Token" not in response.headers
    assert response.json()["total"] == "7.00"
    response = client.delete(f"/api/cart/items/{b['id']}", headers=h)
    assert [(i["product_id"], i["quantity"]) for i in response.json()["items"]] == [(a["id"], 4)]
    assert client.get("/api/cart", headers=h).json()["item_count"] == 4


def test_cart_shows_current_prices(client, admin, customer):
    product = make_product(client, admin, price="10.00")
    client.post("/api/cart/items", json={"product_id": product["id"], "quantity": 2}, headers=customer["headers"])
    client.put(f"/api/products/{product['id']}", json={"price": "11.00"}, headers=admin["headers"])
    assert client.get("/api/cart", headers=customer["headers"]).json()["total"] == "22.00"


@pytest.mark.parametrize("body", [{"quantity": 1}, {"product_id": 1}, {"product_id": 1, "quantity": 0},
                                  {"product_id": 1, "quantity": -2}])
def test_bad_quantity_is_422(client, body):
    assert_problem(client.post("/api/cart/items", json=body), 422)


def test_unknown_inactive_or_deleted_product_is_404(client, admin):
    inactive = make_product(client, admin, is_active=False)
    deleted = make_product(client, admin)
    client.delete(f"/api/products/{deleted['id']}", headers=admin["headers"])
    for product_id in (999999999, inactive["id"], deleted["id"]):
        response = client.post("/api/cart/items", json={"product_id": product_id, "quantity": 1})
        assert_problem(response, 404, "not_found")
        assert "X-Cart-Token" not in response.headers


def test_more_than_in_stock_is_409_and_changes_nothing(client, admin):
    product = make_product(client, admin, stock_quantity=3)
    token = client.post("/api/cart/items", json={"product_id": product["id"], "quantity": 2}).headers["X-Cart-Token"]
    headers = {"X-Cart-Token": token}
    body = assert_problem(client.post("/api/cart/items", json={"product_id": product["id"], "quantity": 2},
                                      headers=headers), 409, "insufficient_stock")
    assert body["products"] == [{"product_id": product["id"], "variant_id": default_variant(product),
                                 "sku": product["sku"], "requested": 4, "available": 3}]
    assert_problem(client.put(f"/api/cart/items/{product['id']}", json={"quantity": 4}, headers=headers), 409)
    assert client.get("/api/cart", headers=headers).json()["item_count"] == 2


def test_login_merges_the_guest_cart_capped_at_stock(client, admin, db):
    plenty = make_product(client, admin, stock_quantity=50)
    scarce = make_product(client, admin, stock_quantity=4)
    user = register(client)
    token = login_token = None
    # The user's own cart already holds 3 of the scarce product.
    login_token = client.post("/api/auth/login", json={"email": user["email"], "password": PASSWORD}).json()["access_token"]
    client.post("/api/cart/items", json={"product_id": scarce["id"], "quantity": 3}, headers=bearer(login_token))
    token = client.post("/api/cart/items", json={"product_id": plenty["id"], "quantity": 2}).headers["X-Cart-Token"]
    client.post("/api/cart/items", json={"product_id": scarce["id"], "quantity": 2}, headers={"X-Cart-Token": token})

    response = client.post("/api/auth/login", json={"email": user["email"], "password": PASSWORD},
                           headers={"X-Cart-Token": token})
    assert response.status_code == 200
    merge = response.json()["cart"]
    assert merge == {"merged": True, "adjustments": [
        {"product_id": scarce["id"], "variant_id": default_variant(scarce), "requested": 5, "quantity": 4,
         "reason": "capped_at_stock"}]}
    cart = client.get("/api/cart", headers=bearer(response.json()["access_token"])).json()
    assert {i["product_id"]: i["quantity"] for i in cart["items"]} == {plenty["id"]: 2, scarce["id"]: 4}
    # The guest cart is gone.
    assert client.get("/api/cart", headers={"X-Cart-Token": token}).json()["items"] == []
    assert db.execute("select count(*) from shop.carts where token = %s", (token,)).fetchone() == (0,)


@pytest.mark.parametrize("token", ["00000000-0000-0000-0000-000000000000", "garbage"])
def test_login_with_unknown_token_merges_nothing(client, token):
    user = register(client)
    response = client.post("/api/auth/login", json={"email": user["email"], "password": PASSWORD},
                           headers={"X-Cart-Token": token})
    assert response.status_code == 200
    assert response.json()["cart"] == {"merged": False, "adjustments": []}


def test_expired_guest_cart_is_ignored_and_purged(client, admin, db):
    product = make_product(client, admin)
    token = client.post("/api/cart/items", json={"product_id": product["id"], "quantity": 1}).headers["X-Cart-Token"]
    with db.transaction():  # as if idle for 31 days: the timestamps trigger would set now()
        db.execute("alter table shop.carts disable trigger _100_timestamps")
        db.execute("update shop.carts set updated_at = now() - interval '31 days' where token = %s", (token,))
        db.execute("alter table shop.carts enable trigger _100_timestamps")
    assert client.get("/api/cart", headers={"X-Cart-Token": token}).json()["items"] == []
    user = register(client)
    merged = client.post("/api/auth/login", json={"email": user["email"], "password": PASSWORD},
                         headers={"X-Cart-Token": token}).json()["cart"]
    assert merged["merged"] is False
    purged = db.execute("select lib.purge_expired()").fetchone()[0]
    assert purged["guest_carts"] >= 1
    assert db.execute("select count(*) from shop.carts where token = %s", (token,)).fetchone() == (0,)
