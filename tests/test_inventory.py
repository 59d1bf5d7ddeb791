"""Inventory over HTTP: an admin's stock change is a ledger adjustment that reconciles; low-stock alerts open once
per crossing and close when stock is back; the admin list."""

import json

import psycopg

from conftest import assert_problem
from helpers import checkout, fill_cart, make_product


def test_admin_stock_change_is_an_adjustment_and_the_ledger_reconciles(client, admin, db):
    product = make_product(client, admin, stock_quantity=7)
    client.put(f"/api/products/{product['id']}", json={"stock_quantity": 12}, headers=admin["headers"])
    moves = db.execute("select delta, reason, actor_id is not null from shop.stock_movements "
                       "where product_id = %s order by id", (product["id"],)).fetchall()
    assert moves == [(7, "initial", True), (5, "adjustment", True)]
    assert db.execute("select count(*) from shop.stock_reconciliation where difference <> 0").fetchone() == (0,)


def test_low_stock_alerts(client, admin, customer, db, database_url):
    product = make_product(client, admin, stock_quantity=7, low_stock_threshold=5)
    listed = lambda: [i for i in client.get("/api/admin/inventory/low-stock", headers=admin["headers"]).json()["items"]
                      if i["product_id"] == product["id"]]
    assert listed() == []
    with psycopg.connect(database_url, autocommit=True) as listener:
        listener.execute("listen low_stock")
        fill_cart(client, customer["headers"], (product, 3))
        checkout(client, customer["headers"])
        fill_cart(client, customer["headers"], (product, 1))
        checkout(client, customer["headers"])  # lower still: the alert is already open, no second notice
        payloads = [json.loads(n.payload) for n in listener.notifies(timeout=1)]
    assert [p for p in payloads if p["product_id"] == product["id"]] == [
        {"product_id": product["id"], "name": product["name"], "sku": product["sku"], "stock_quantity": 4,
         "low_stock_threshold": 5}]
    [item] = listed()
    assert (item["stock_quantity"], item["low_stock_threshold"], item["sku"]) == (3, 5, product["sku"])
    assert item["since"]
    client.put(f"/api/products/{product['id']}", json={"stock_quantity": 50}, headers=admin["headers"])
    assert listed() == []
    assert_problem(client.get("/api/admin/inventory/low-stock", headers=customer["headers"]), 403)
    assert_problem(client.get("/api/admin/inventory/low-stock"), 401)
