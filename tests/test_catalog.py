"""Categories and products over HTTP: admin writes, public reads, search, filters and keyset paging."""


import pytest

from conftest import assert_problem
from helpers import make_category, make_product, word

# Categories

def test_category_create_and_list(client, admin):
    root = make_category(client, admin)
    child = make_category(client, admin, parent_id=root["id"])
    assert child["parent_id"] == root["id"]
    listed = client.get("/api/categories").json()
    assert listed["next_cursor"] is None
    items = {c["id"]: c for c in listed["items"]}
    assert items[child["id"]] == {k: child[k] for k in ("id", "name", "description", "parent_id", "created_at")}


def test_category_errors(client, admin, customer):
    root = make_category(client, admin)
    assert_problem(client.post("/api/categories", json={"name": root["name"].upper()}, headers=admin["headers"]),
                   409, "category_exists")
    assert_problem(client.post("/api/categories", json={"name": word(), "parent_id": 2**62},
                               headers=admin["headers"]), 422, "unknown_parent")
    assert_problem(client.post("/api/categories", json={"name": word()}, headers=customer["headers"]), 403, "forbidden")
    assert_problem(client.post("/api/categories", json={"name": word()}), 401, "unauthenticated")
    assert_problem(client.post("/api/categories", json={}, headers=admin["headers"]), 422)


# Products: writes

def test_product_create_and_get(client, admin):
    category = make_category(client, admin)
    product = make_product(client, admin, price="19.99", category_id=category["id"], metadata={"color": "red"})
    assert product["price"] == "19.99" and product["metadata"] == {"color": "red"}
    assert product["low_stock_threshold"] == 5 and product["is_active"] is True
    fetched = client.get(f"/api/products/{product['id']}")
    assert fetched.status_code == 200 and fetched.json() == product
    assert set(product) == {"id", "handle", "name", "description", "price", "category_id", "stock_quantity", "sku",
                            "is_active", "metadata", "low_stock_threshold", "in_stock", "price_range", "options",
                            "variants", "created_at", "updated_at"}
    # One default variant carries the SKU, price and stock the product shows.
    [variant] = product["variants"]
    assert (variant["sku"], variant["price"], variant["stock_quantity"], variant["options"]) == (
        product["sku"], "19.99", product["stock_quantity"], {})
    assert product["price_range"] == {"min": "19.99", "max": "19.99"} and product["options"] == []
    assert product["in_stock"] is True


def test_price_may_be_a_json_number(client, admin):
    assert make_product(client, admin, price=5.5)["price"] == "5.50"


@pytest.mark.parametrize("fields", [
    {"price": "-1.00"}, {"stock_quantity": -1}, {"name": "   "}, {"price": "abc"}, {"price": "1e400"},
    {"low_stock_threshold": -1}, {"category_id": 2**62},
])
def test_product_create_validation_is_422(client, admin, fields):
    body = {"name": f"Thing {word()}", "price": "1.00", "sku": f"SKU-{word()}", **fields}
    assert_problem(client.post("/api/products", json=body, headers=admin["headers"]), 422)


def test_sku_in_use_is_409_and_freed_by_delete(client, admin):
    product = make_product(client, admin)
    body = {"name": "Other", "price": "1.00", "sku": product["sku"]}
    assert_problem(client.post("/api/products", json=body, headers=admin["headers"]), 409, "sku_taken")
    assert client.delete(f"/api/products/{product['id']}", headers=admin["headers"]).status_code == 204
    assert client.post("/api/products", json=body, headers=admin["headers"]).status_code == 201


def test_product_writes_are_admin_only(client, admin, customer):
    product = make_product(client, admin)
    body = {"name": "X", "price": "1.00", "sku": word()}
    for headers, status in [(customer["headers"], 403), ({}, 401)]:
        assert_problem(client.post("/api/products", json=body, headers=headers), status)
        assert_problem(client.put(f"/api/products/{product['id']}", json={"price": "0"}, headers=headers), status)
        assert_problem(client.delete(f"/api/products/{product['id']}", headers=headers), status)
    assert client.get(f"/api/products/{product['id']}").json() == product


def test_product_partial_update(client, admin):
    product = make_product(client, admin, description="before")
    response = client.put(f"/api/products/{product['id']}", json={"price": "12.50", "description": None},
                          headers=admin["headers"])
    assert response.status_code == 200
    updated = response.json()
    assert updated["price"] == "12.50" and updated["description"] is None
    assert updated["name"] == product["name"] and updated["sku"] == product["sku"]
    assert updated["updated_at"] > product["updated_at"]


def test_product_update_errors_change_nothing(client, admin):
    product = make_product(client, admin)
    other = make_product(client, admin)
    url = f"/api/products/{product['id']}"
    assert_problem(client.put(url, json={"price": "-5"}, headers=admin["headers"]), 422)
    assert_problem(client.put(url, json={"sku": other["sku"]}, headers=admin["headers"]), 409, "sku_taken")
    assert_problem(client.put(url, json={"role": "x"}, headers=admin["headers"]), 422)
    assert_problem(client.put(url, json={"name": None}, headers=admin["headers"]), 422)
    assert_problem(client.put("/api/products/999999999", json={"price": "1"}, headers=admin["headers"]), 404, "not_found")
    assert client.get(url).json() == product


def test_soft_delete_hides_the_product(client, admin, db):
    product = make_product(client, admin)
    assert client.delete(f"/api/products/{product['id']}", headers=admin["headers"]).status_code == 204
    assert_problem(client.get(f"/api/products/{product['id']}"), 404, "not_found")
    assert_problem(client.delete(f"/api/products/{product['id']}", headers=admin["headers"]), 404, "not_found")
    assert_problem(client.put(f"/api/products/{product['id']}", json={"price": "1"}, headers=admin["headers"]), 404)
    assert client.get("/api/products", params={"q": product["name"]}).json()["items"] == []
    row = db.execute("select deleted_at is not null from shop.products where id = %s", (product["id"],)).fetchone()
    assert row == (True,)


def test_inactive_product_is_only_visible_to_admins(client, admin, customer):
    product = make_product(client, admin, is_active=False)
    assert_problem(client.get(f"/api/products/{product['id']}"), 404)
    assert_problem(client.get(f"/api/products/{product['id']}", headers=customer["headers"]), 404)
    assert client.get(f"/api/products/{product['id']}", headers=admin["headers"]).status_code == 200


def test_unknown_product_is_404(client):
    assert_problem(client.get("/api/products/999999999"), 404, "not_found")


# Products: lists

def test_search_ranks_name_above_description(client, admin):
    w = word()
    in_description = make_product(client, admin, name=f"Plain item {word()}", description=f"works with any {w}")
    in_name = make_product(client, admin, name=f"Great {w}", description="nothing else")
    items = client.get("/api/products", params={"q": w}).json()["items"]
    assert [p["id"] for p in items] == [in_name["id"], in_description["id"]]


def test_search_tolerates_typos(client, admin):
    category = make_category(client, admin)
    product = make_product(client, admin, name="Gateron Brownswitch Keyboard", category_id=category["id"])
    items = client.get("/api/products", params={"q": "Brownswich", "category_id": category["id"]}).json()["items"]
    assert [p["id"] for p in items] == [product["id"]]


def test_search_is_stemmed(client, admin):
    w = word()
    product = make_product(client, admin, name=f"Running {w}shoes")
    make_product(client, admin, name=f"Other {w}thing")
    items = client.get("/api/products", params={"q": f"runs {w}shoe"}).json()["items"]
    assert [p["id"] for p in items] == [product["id"]]


def test_category_filter_covers_the_subtree(client, admin):
    root = make_category(client, admin)
    child = make_category(client, admin, parent_id=root["id"])
    grandchild = make_category(client, admin, parent_id=child["id"])
    ids = {make_product(client, admin, category_id=c["id"])["id"] for c in (root, child, grandchild)}
    assert {p["id"] for p in client.get("/api/products", params={"category_id": root["id"]}).json()["items"]} == ids
    listed = client.get("/api/products", params={"category_id": grandchild["id"]}).json()["items"]
    assert len(listed) == 1


def test_price_and_stock_filters(client, admin):
    category = make_category(client, admin)
    cheap = make_product(client, admin, category_id=category["id"], price="5.00")
    mid = make_product(client, admin, category_id=category["id"], price="50.00")
    make_product(client, admin, category_id=category["id"], price="500.00")
    make_product(client, admin, category_id=category["id"], price="50.00", stock_quantity=0)
    params = {"category_id": category["id"], "min_price": "5", "max_price": "60", "in_stock": "true", "sort": "price"}
    assert [p["id"] for p in client.get("/api/products", params=params).json()["items"]] == [cheap["id"], mid["id"]]


@pytest.mark.parametrize("sort, key, reverse", [
    ("price", lambda p: (float(p["price"]), p["id"]), False),
    ("-price", lambda p: (float(p["price"]), p["id"]), True),
    ("name", lambda p: (p["name"], p["id"]), False),
    ("newest", lambda p: (p["created_at"], p["id"]), True),
    ("relevance", None, None),
])
def test_keyset_pages_visit_every_product_once_in_order(client, admin, sort, key, reverse):
    w = word()
    category = make_category(client, admin)
    made = [make_product(client, admin, category_id=category["id"], name=f"{n} {w}", price=price)
            for n, price in zip(["Delta", "alpha", "Charlie", "bravo", "Echo"], ["3.00", "1.00", "3.00", "2.00", "9.99"])]
    seen, cursor = [], None
    params = {"category_id": category["id"], "sort": sort, "limit": 2}
    if sort == "relevance":
        params["q"] = w
    while True:
        page = client.get("/api/products", params={**params, **({"cursor": cursor} if cursor else {})}).json()
        assert len(page["items"]) <= 2
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(p["id"] for p in seen) == sorted(p["id"] for p in made)
    if key is not None:
        assert seen == sorted(seen, key=key, reverse=reverse)


@pytest.mark.parametrize("params, code", [
    ({"limit": 0}, "invalid_limit"), ({"limit": 101}, "invalid_limit"), ({"limit": "x"}, "validation_failed"),
    ({"sort": "cheapest"}, "invalid_sort"), ({"sort": "relevance"}, "invalid_sort"),
    ({"cursor": "garbage"}, "invalid_cursor"), ({"min_price": "10", "max_price": "1"}, "invalid_price_range"),
    ({"min_price": "abc"}, "validation_failed"),
])
def test_list_parameter_errors_are_422(client, params, code):
    assert_problem(client.get("/api/products", params=params), 422, code)


def test_cursor_of_another_sort_is_422(client):
    cursor = client.get("/api/products", params={"sort": "price", "limit": 1}).json()["next_cursor"]
    assert cursor
    assert_problem(client.get("/api/products", params={"sort": "name", "cursor": cursor}), 422, "invalid_cursor")


def test_default_list_shape(client):
    page = client.get("/api/products").json()
    assert set(page) == {"items", "next_cursor"} and len(page["items"]) == 20  # the demo data has 200+
