"""Admin reports and the audit trail over HTTP: figures match the orders made here, to the cent."""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from conftest import assert_problem
from helpers import checkout, default_variant, fill_cart, make_category, make_product, pay


def today(client, admin) -> dict:
    items = client.get("/api/admin/reports/sales", params={"from": date.today().isoformat()},
                       headers=admin["headers"]).json()["items"]
    assert len(items) == 1
    return items[0]


def set_status(client, admin, order, *statuses):
    """paid by a payment of the whole order, the other statuses by an admin."""
    for status in statuses:
        if status == "paid":
            pay(client, admin, order)
            continue
        response = client.put(f"/api/orders/{order['id']}/status", json={"status": status}, headers=admin["headers"])
        assert response.status_code == 200, response.text


def test_sales_report_counts_paid_orders_at_once_and_never_pending_or_cancelled(client, admin, customer):
    a = make_product(client, admin, price="19.99", stock_quantity=50)
    b = make_product(client, admin, price="2.50", stock_quantity=50)
    before = today(client, admin)
    fill_cart(client, customer["headers"], (a, 2), (b, 3))   # 47.48, 5 units
    paid = checkout(client, customer["headers"]).json()
    fill_cart(client, customer["headers"], (b, 1))           # 2.50, 1 unit
    shipped = checkout(client, customer["headers"]).json()
    fill_cart(client, customer["headers"], (a, 1))           # stays pending
    checkout(client, customer["headers"])
    fill_cart(client, customer["headers"], (a, 4))           # paid, then cancelled
    cancelled = checkout(client, customer["headers"]).json()
    assert today(client, admin) == before                    # pending orders are not revenue

    set_status(client, admin, paid, "paid")
    set_status(client, admin, shipped, "paid", "shipped", "delivered")
    set_status(client, admin, cancelled, "paid", "cancelled")
    after = today(client, admin)
    assert after["orders"] - before["orders"] == 2
    assert after["units"] - before["units"] == 6
    assert Decimal(after["revenue"]) - Decimal(before["revenue"]) == Decimal("49.98")
    # Half away from zero, as PostgreSQL rounds numeric (Python's round() rounds half to even).
    assert Decimal(after["average_order_value"]) == (Decimal(after["revenue"]) / after["orders"]).quantize(
        Decimal("0.01"), ROUND_HALF_UP)


def test_sales_report_defaults_to_30_days_with_zero_days(client, admin):
    items = client.get("/api/admin/reports/sales", headers=admin["headers"]).json()["items"]
    assert [i["day"] for i in items] == [(date.today() - timedelta(days=n)).isoformat() for n in range(29, -1, -1)]
    assert all(set(i) == {"day", "orders", "units", "revenue", "average_order_value"} for i in items)


@pytest.mark.parametrize("params, code", [
    ({"from": "2026-02-30"}, "validation_failed"), ({"to": "yesterday"}, "validation_failed"),
    ({"from": "2026-05-02", "to": "2026-05-01"}, "invalid_range"),
    ({"from": "2000-01-01", "to": "2026-01-01"}, "invalid_range"),
])
def test_sales_report_bad_dates_are_422(client, admin, params, code):
    assert_problem(client.get("/api/admin/reports/sales", params=params, headers=admin["headers"]), 422, code)


@pytest.mark.parametrize("path", ["/api/admin/reports/sales", "/api/admin/reports/products",
                                  "/api/admin/reports/categories", "/api/admin/audit?table=products&id=1"])
def test_reports_are_admin_only(client, customer, path):
    assert_problem(client.get(path, headers=customer["headers"]), 403, "forbidden")
    assert_problem(client.get(path), 401, "unauthenticated")


def test_product_and_category_reports(client, admin, customer, db):
    root = make_category(client, admin)
    leaf = make_category(client, admin, parent_id=make_category(client, admin, parent_id=root["id"])["id"])
    product = make_product(client, admin, price="1000.00", stock_quantity=20, category_id=leaf["id"])
    fill_cart(client, customer["headers"], (product, 3))
    order = checkout(client, customer["headers"]).json()
    set_status(client, admin, order, "paid")

    # A date range is computed from the orders: current at once.
    ranged = client.get("/api/admin/reports/products", params={"from": date.today().isoformat(), "limit": 100},
                        headers=admin["headers"]).json()["items"]
    assert {"product_id": product["id"], "name": product["name"], "units_sold": 3, "revenue": "3000.00",
            "orders": 1} in ranged

    db.execute("select lib.refresh_reporting()")
    top = client.get("/api/admin/reports/products", params={"limit": 100}, headers=admin["headers"]).json()["items"]
    assert {"product_id": product["id"], "name": product["name"], "units_sold": 3, "revenue": "3000.00",
            "orders": 1} in top
    revenues = [Decimal(i["revenue"]) for i in top]
    assert revenues == sorted(revenues, reverse=True)

    categories = {c["category_id"]: c for c in
                  client.get("/api/admin/reports/categories", headers=admin["headers"]).json()["items"]}
    for category in (root, leaf):  # the root's figures include its subtree
        assert (categories[category["id"]]["orders"], categories[category["id"]]["units"],
                categories[category["id"]]["revenue"]) == (1, 3, "3000.00")
    assert_problem(client.get("/api/admin/reports/products", params={"limit": 0}, headers=admin["headers"]),
                   422, "invalid_limit")


def test_audit_shows_a_price_change_with_its_actor(client, admin, db):
    """A price is a variant's (the product's price is derived from it, never logged twice)."""
    product = make_product(client, admin, price="10.00")
    client.put(f"/api/products/{product['id']}", json={"price": "12.00"}, headers=admin["headers"])
    admin_id = db.execute("select id from shop.users where email = %s", (admin["email"],)).fetchone()[0]
    page = client.get("/api/admin/audit", params={"table": "variants", "id": default_variant(product), "limit": 1},
                      headers=admin["headers"]).json()
    [change] = page["items"]
    assert change["operation"] == "UPDATE"
    assert (change["old_values"], change["new_values"]) == ({"price": 10.0}, {"price": 12.0})
    assert change["actor_id"] == admin_id and change["db_role"] == "pgshop_api"
    rest = client.get("/api/admin/audit", params={"table": "variants", "id": default_variant(product),
                                                  "cursor": page["next_cursor"]}, headers=admin["headers"]).json()
    assert [e["operation"] for e in rest["items"]] == ["INSERT"] and rest["next_cursor"] is None
    assert_problem(client.get("/api/admin/audit", params={"table": "carts", "id": 1}, headers=admin["headers"]),
                   422, "invalid_table")


def test_audit_never_holds_the_password_hash(client, customer, db):
    rows = db.execute("select new_values from audit.log where table_name = 'users' and row_id = %s",
                      (customer["user"]["id"],)).fetchall()
    assert rows and all("password_hash" not in r[0] for r in rows)
