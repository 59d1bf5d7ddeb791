"""Inventory over HTTP: an admin's stock change is a ledger adjustment that reconciles; low-stock alerts open once
per crossing and close when stock is back; the admin list."""

import json
from threading import Thread

import psycopg

from conftest import assert_problem
from helpers import checkout, default_variant, fill_cart, make_product, until


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
        {"product_id": product["id"], "variant_id": default_variant(product), "name": product["name"],
         "sku": product["sku"], "stock_quantity": 4, "low_stock_threshold": 5}]
    [item] = listed()
    assert (item["stock_quantity"], item["low_stock_threshold"], item["sku"]) == (3, 5, product["sku"])
    assert item["since"]
    client.put(f"/api/products/{product['id']}", json={"stock_quantity": 50}, headers=admin["headers"])
    assert listed() == []
    assert_problem(client.get("/api/admin/inventory/low-stock", headers=customer["headers"]), 403)
    assert_problem(client.get("/api/admin/inventory/low-stock"), 401)


def test_two_buyers_emptying_sibling_variants_at_once_leave_the_product_out_of_stock(client, admin, database_url):
    """Each sees the other's unit as still there when it empties its own: the product's in_stock must still end
    false. The second waits for the first (the product's lock), deterministically: it commits only after it is
    seen waiting."""
    product = make_product(client, admin, stock_quantity=1)
    client.post(f"/api/products/{product['id']}/options", headers=admin["headers"],
                json={"name": "Size", "values": ["S", "M"]}).raise_for_status()  # the default variant: S
    other = client.post(f"/api/products/{product['id']}/variants", headers=admin["headers"], json={
        "sku": f"{product['sku']}-M", "price": "5.00", "stock_quantity": 1, "options": {"Size": "M"}}).json()
    first, second = default_variant(product), other["id"]
    with psycopg.connect(database_url) as a, psycopg.connect(database_url) as b:
        a.execute("update shop.variants set stock_quantity = 0 where id = %s", (first,))
        waiter = b.execute("select pg_backend_pid()").fetchone()[0]
        done = Thread(target=lambda: (b.execute("update shop.variants set stock_quantity = 0 where id = %s",
                                                (second,)), b.commit()))
        done.start()
        until(lambda: a.execute("select wait_event_type = 'Lock' from pg_stat_activity where pid = %s",
                                (waiter,)).fetchone()[0])
        a.commit()
        done.join()
    # Read on the primary (written with psql: no read-your-writes token for the standby of the replica pass).
    with psycopg.connect(database_url) as db:
        assert db.execute("select in_stock from shop.products where id = %s", (product["id"],)).fetchone() == (False,)
