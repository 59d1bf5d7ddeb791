"""Options and variants over HTTP: their endpoints and error codes, carts and orders per variant, the list's option
filter and facets, the catalog cache, and the rules under concurrent writers."""

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier, Event

import psycopg
import pytest

from conftest import assert_problem, bearer, login, register
from helpers import ADDRESS, checkout, default_variant, make_category, make_product, race, until, word


def option(client, admin, product, name, values) -> dict:
    response = client.post(f"/api/products/{product['id']}/options", json={"name": name, "values": values},
                           headers=admin["headers"])
    assert response.status_code == 201, response.text
    return response.json()


def variant(client, admin, product, options, **fields) -> dict:
    body = {"sku": f"V-{word()}", "price": "10.00", "stock_quantity": 5, "options": options, **fields}
    response = client.post(f"/api/products/{product['id']}/variants", json=body, headers=admin["headers"])
    assert response.status_code == 201, response.text
    return response.json()


def shirt(client, admin, **fields) -> tuple[dict, dict]:
    """A T-shirt in Size S, M and Colour Red, Blue: its default variant becomes S/Red; M/Red and S/Blue added.
    Returns the product (as now) and its variants by "Size/Colour"."""
    product = make_product(client, admin, name=f"Shirt {word()}", price="20.00", **fields)
    option(client, admin, product, "Size", ["S", "M"])
    option(client, admin, product, "Colour", ["Red", "Blue"])
    variant(client, admin, product, {"Size": "M", "Colour": "Red"}, price="22.00")
    variant(client, admin, product, {"Size": "S", "Colour": "Blue"}, price="18.00", stock_quantity=0)
    product = client.get(f"/api/products/{product['id']}").json()
    return product, {f"{v['options']['Size']}/{v['options']['Colour']}": v for v in product["variants"]}


def test_option_create_list_update_delete(client, admin):
    product = make_product(client, admin)
    size = option(client, admin, product, "Size", ["S", "M", "L"])
    assert set(size) == {"id", "name", "position", "values"}
    assert (size["name"], size["position"], [(v["value"], v["position"]) for v in size["values"]]) == (
        "Size", 0, [("S", 0), ("M", 1), ("L", 2)])
    colour = option(client, admin, product, "Colour", ["Red"])
    assert colour["position"] == 1
    listed = client.get(f"/api/products/{product['id']}/options").json()
    assert listed == {"items": [size, colour], "next_cursor": None}
    # The existing (default) variant took the first value of each option.
    assert client.get(f"/api/products/{product['id']}").json()["variants"][0]["options"] == {"Size": "S",
                                                                                              "Colour": "Red"}
    # Values replace the list, in order; a kept value keeps its id.
    response = client.put(f"/api/products/{product['id']}/options/{size['id']}", json={"values": ["XS", "S", "M"]},
                          headers=admin["headers"])
    assert response.status_code == 200, response.text
    values = response.json()["values"]
    assert [v["value"] for v in values] == ["XS", "S", "M"] and values[1]["id"] == size["values"][0]["id"]
    renamed = client.put(f"/api/products/{product['id']}/options/{colour['id']}", json={"name": "Color"},
                         headers=admin["headers"]).json()
    assert renamed["name"] == "Color"
    assert client.delete(f"/api/products/{product['id']}/options/{colour['id']}",
                         headers=admin["headers"]).status_code == 204
    assert client.get(f"/api/products/{product['id']}").json()["variants"][0]["options"] == {"Size": "S"}


def test_option_errors(client, admin, customer):
    product = make_product(client, admin)
    size = option(client, admin, product, "Size", ["S", "M"])
    path = f"/api/products/{product['id']}/options"
    assert_problem(client.post(path, json={"name": "size", "values": ["X"]}, headers=admin["headers"]), 409,
                   "option_exists")
    assert_problem(client.post(path, json={"name": "  ", "values": ["X"]}, headers=admin["headers"]), 422,
                   "invalid_option_name")
    for values in ([], ["A", "a"], [" "]):
        assert_problem(client.post(path, json={"name": word(), "values": values}, headers=admin["headers"]), 422,
                       "invalid_option_values")
    # The default variant has S: S cannot go.
    assert_problem(client.put(f"{path}/{size['id']}", json={"values": ["M"]}, headers=admin["headers"]), 409,
                   "option_value_in_use")
    assert [v["value"] for v in client.get(path).json()["items"][0]["values"]] == ["S", "M"]
    assert_problem(client.put(f"{path}/{size['id']}", json={"colour": "x"}, headers=admin["headers"]), 422)
    assert_problem(client.put(f"{path}/999999999", json={"name": "X"}, headers=admin["headers"]), 404, "not_found")
    assert_problem(client.delete(f"{path}/999999999", headers=admin["headers"]), 404, "not_found")
    assert_problem(client.post("/api/products/999999999/options", json={"name": "X", "values": ["A"]},
                               headers=admin["headers"]), 404, "not_found")
    assert_problem(client.get("/api/products/999999999/options"), 404, "not_found")
    assert_problem(client.post(path, json={"name": "X", "values": ["A"]}, headers=customer["headers"]), 403,
                   "forbidden")
    assert_problem(client.post(path, json={"name": "X", "values": ["A"]}), 401, "unauthenticated")
    option(client, admin, product, "Colour", ["Red"])
    option(client, admin, product, "Fit", ["Slim"])
    assert_problem(client.post(path, json={"name": "Material", "values": ["Cotton"]}, headers=admin["headers"]), 422,
                   "too_many_options")


def test_variant_create_get_update_delete(client, admin):
    product = make_product(client, admin, price="20.00")
    option(client, admin, product, "Size", ["S", "M"])
    made = variant(client, admin, product, {"size": "m"}, sku=f"M-{word()}", price="25.00",
                   compare_at_price="30.00", weight_grams=180, low_stock_threshold=2, is_active=True)
    assert set(made) == {"id", "product_id", "sku", "price", "compare_at_price", "weight_grams", "stock_quantity",
                         "low_stock_threshold", "is_active", "position", "options", "in_stock", "deleted_at",
                         "created_at", "updated_at"}
    assert (made["product_id"], made["price"], made["compare_at_price"], made["weight_grams"], made["options"],
            made["in_stock"], made["deleted_at"]) == (product["id"], "25.00", "30.00", 180, {"Size": "M"}, True, None)
    path = f"/api/products/{product['id']}/variants"
    assert client.get(f"{path}/{made['id']}").json() == made
    assert [v["id"] for v in client.get(path).json()["items"]] == [default_variant(product), made["id"]]
    detail = client.get(f"/api/products/{product['id']}").json()
    assert detail["price_range"] == {"min": "20.00", "max": "25.00"} and detail["price"] == "20.00"
    assert [o["name"] for o in detail["options"]] == ["Size"] and len(detail["variants"]) == 2

    updated = client.put(f"{path}/{made['id']}", json={"price": "26.00", "compare_at_price": None},
                         headers=admin["headers"])
    assert updated.status_code == 200, updated.text
    assert (updated.json()["price"], updated.json()["compare_at_price"], updated.json()["sku"]) == (
        "26.00", None, made["sku"])
    assert client.delete(f"{path}/{made['id']}", headers=admin["headers"]).status_code == 204
    assert_problem(client.get(f"{path}/{made['id']}"), 404, "not_found")
    assert client.get(f"/api/products/{product['id']}").json()["price_range"] == {"min": "20.00", "max": "20.00"}
    # Its SKU is free again; its combination too.
    variant(client, admin, product, {"Size": "M"}, sku=made["sku"].lower())


def test_variant_errors(client, admin, customer):
    product, by = shirt(client, admin)
    path = f"/api/products/{product['id']}/variants"
    body = {"sku": f"V-{word()}", "price": "5.00", "stock_quantity": 1}
    post = lambda **extra: client.post(path, json={**body, **extra}, headers=admin["headers"])  # noqa: E731
    assert_problem(post(options={"Size": "M", "Colour": "Red"}), 409, "variant_exists")
    assert_problem(post(options={"Size": "M", "Colour": "Blue"}, sku=by["M/Red"]["sku"].lower()), 409, "sku_taken")
    assert_problem(post(options={"Size": "M"}), 422, "invalid_option_values")                    # one missing
    assert_problem(post(options={"Size": "M", "Colour": "Green"}), 422, "invalid_option_values")  # unknown value
    assert_problem(post(options={"Size": "M", "Colour": "Blue", "Fit": "Slim"}), 422, "invalid_option_values")
    other, _ = shirt(client, admin)
    assert_problem(client.post(f"/api/products/{other['id']}/variants", headers=admin["headers"], json={
        **body, "options": {"Size": "M", "Colour": "Blue", "Material": "x"}}), 422, "invalid_option_values")
    assert_problem(post(options={"Size": "M", "Colour": "Blue"}, compare_at_price="5.00"), 422,
                   "invalid_compare_at_price")
    assert_problem(post(options={"Size": "M", "Colour": "Blue"}, price="1.001"), 422, "invalid_price")
    assert_problem(post(options={"Size": "M", "Colour": "Blue"}, stock_quantity=-1), 422)
    assert_problem(post(options={"Size": "M", "Colour": "Blue"}, colour="Blue"), 422, "validation_failed")
    # An update to another's combination, or SKU.
    assert_problem(client.put(f"{path}/{by['M/Red']['id']}", json={"options": {"Size": "S", "Colour": "Red"}},
                              headers=admin["headers"]), 409, "variant_exists")
    assert_problem(client.put(f"{path}/{by['M/Red']['id']}", json={"sku": by["S/Red"]["sku"]},
                              headers=admin["headers"]), 409, "sku_taken")
    assert_problem(client.put(f"{path}/999999999", json={"price": "1.00"}, headers=admin["headers"]), 404,
                   "not_found")
    # A variant of another product is not found under this one.
    assert_problem(client.get(f"/api/products/{other['id']}/variants/{by['M/Red']['id']}"), 404, "not_found")
    assert_problem(client.delete(f"{path}/999999999", headers=admin["headers"]), 404, "not_found")
    assert_problem(client.post(path, json={**body, "options": {}}, headers=customer["headers"]), 403, "forbidden")
    assert_problem(client.delete(f"{path}/{by['M/Red']['id']}"), 401, "unauthenticated")
    # Nothing of the refused writes stayed.
    assert len(client.get(path).json()["items"]) == 3


def test_an_inactive_variant_is_for_admins_only(client, admin):
    product, by = shirt(client, admin)
    path = f"/api/products/{product['id']}/variants/{by['M/Red']['id']}"
    client.put(path, json={"is_active": False}, headers=admin["headers"])
    assert_problem(client.get(path), 404, "not_found")
    assert client.get(path, headers=admin["headers"]).json()["is_active"] is False
    public = client.get(f"/api/products/{product['id']}").json()
    assert by["M/Red"]["id"] not in [v["id"] for v in public["variants"]]
    assert public["price_range"] == {"min": "18.00", "max": "20.00"}
    assert by["M/Red"]["id"] in [v["id"] for v in client.get(f"/api/products/{product['id']}",
                                                               headers=admin["headers"]).json()["variants"]]


# Carts and orders per variant

def test_a_single_variant_product_is_bought_by_product_id_and_a_multi_variant_one_needs_the_variant(
        client, admin, customer, db):
    single = make_product(client, admin, price="3.00")
    product, by = shirt(client, admin)
    h = customer["headers"]
    assert client.post("/api/cart/items", json={"product_id": single["id"], "quantity": 1}, headers=h).status_code == 200
    assert_problem(client.post("/api/cart/items", json={"product_id": product["id"], "quantity": 1}, headers=h), 422,
                   "variant_required")
    assert_problem(client.post("/api/cart/items", json={"quantity": 1}, headers=h), 422, "variant_required")
    response = client.post("/api/cart/items", json={"variant_id": by["M/Red"]["id"], "quantity": 2}, headers=h)
    assert response.status_code == 200, response.text
    line = response.json()["items"][1]
    assert (line["product_id"], line["variant_id"], line["sku"], line["options"], line["unit_price"]) == (
        product["id"], by["M/Red"]["id"], by["M/Red"]["sku"], {"Size": "M", "Colour": "Red"}, "22.00")
    # PUT and DELETE of a multi-variant product's line name the variant.
    assert_problem(client.put(f"/api/cart/items/{product['id']}", json={"quantity": 3}, headers=h), 422,
                   "variant_required")
    client.put(f"/api/cart/items/{product['id']}", json={"quantity": 3, "variant_id": by["M/Red"]["id"]}, headers=h)
    client.post("/api/cart/items", json={"variant_id": by["S/Red"]["id"], "quantity": 1}, headers=h)
    removed = client.delete(f"/api/cart/items/{product['id']}", params={"variant_id": by["S/Red"]["id"]}, headers=h)
    assert [(i["variant_id"], i["quantity"]) for i in removed.json()["items"]] == [
        (default_variant(single), 1), (by["M/Red"]["id"], 3)]

    order = checkout(client, h).json()
    item = next(i for i in order["items"] if i["product_id"] == product["id"])
    assert (item["variant_id"], item["sku"], item["options"], item["quantity"], item["total_price"]) == (
        by["M/Red"]["id"], by["M/Red"]["sku"], {"Size": "M", "Colour": "Red"}, 3, "66.00")
    stock = dict(db.execute("select id, stock_quantity from shop.variants where product_id = %s",
                            (product["id"],)).fetchall())
    assert stock == {by["S/Red"]["id"]: 10, by["M/Red"]["id"]: 2, by["S/Blue"]["id"]: 0}
    assert db.execute("select variant_id, delta, reason from shop.stock_movements where order_id = %s "
                      "and product_id = %s", (order["id"], product["id"])).fetchall() == [
        (by["M/Red"]["id"], -3, "sale")]


def test_a_deleted_or_inactive_variant_is_unavailable_and_leaves_carts(client, admin, customer):
    product, by = shirt(client, admin)
    h = customer["headers"]
    client.post("/api/cart/items", json={"variant_id": by["S/Red"]["id"], "quantity": 1}, headers=h)
    path = f"/api/products/{product['id']}/variants"
    client.put(f"{path}/{by['M/Red']['id']}", json={"is_active": False}, headers=admin["headers"])
    client.delete(f"{path}/{by['S/Red']['id']}", headers=admin["headers"])
    assert client.get("/api/cart", headers=h).json()["items"] == []
    for gone in (by["M/Red"], by["S/Red"]):
        assert_problem(client.post("/api/cart/items", json={"variant_id": gone["id"], "quantity": 1}, headers=h), 409,
                       "variant_unavailable")
    assert_problem(client.post("/api/cart/items", json={"variant_id": 999999999, "quantity": 1}, headers=h), 404,
                   "not_found")
    # A variant named with another product is not found.
    other = make_product(client, admin)
    assert_problem(client.put(f"/api/cart/items/{other['id']}", json={"quantity": 1, "variant_id": by["S/Blue"]["id"]},
                              headers=h), 404, "not_found")


def test_insufficient_stock_names_the_variant(client, admin, customer):
    product, by = shirt(client, admin)
    body = assert_problem(client.post("/api/cart/items", json={"variant_id": by["M/Red"]["id"], "quantity": 6},
                                      headers=customer["headers"]), 409, "insufficient_stock")
    assert body["products"] == [{"product_id": product["id"], "variant_id": by["M/Red"]["id"],
                                 "sku": by["M/Red"]["sku"], "requested": 6, "available": 5}]
    assert by["M/Red"]["sku"] in body["detail"]


def test_low_stock_alerts_are_per_variant(client, admin, customer):
    product, by = shirt(client, admin)
    client.post("/api/cart/items", json={"variant_id": by["M/Red"]["id"], "quantity": 3}, headers=customer["headers"])
    checkout(client, customer["headers"])
    low = [i for i in client.get("/api/admin/inventory/low-stock", headers=admin["headers"]).json()["items"]
           if i["product_id"] == product["id"]]
    # S/Blue has none at all (0 <= 5) and M/Red is down to 2; S/Red (10) is not low.
    assert sorted((i["variant_id"], i["stock_quantity"], tuple(i["options"].values())) for i in low) == sorted([
        (by["M/Red"]["id"], 2, ("M", "Red")), (by["S/Blue"]["id"], 0, ("S", "Blue"))])


# The list and its facets

def test_option_filter_in_stock_price_range_and_search(client, admin):
    category = make_category(client, admin)
    a, _ = shirt(client, admin, category_id=category["id"])
    b = make_product(client, admin, category_id=category["id"], price="5.00")
    option(client, admin, b, "Colour", ["Green"])
    c = make_product(client, admin, category_id=category["id"], stock_quantity=0)
    ids = lambda **params: [p["id"] for p in client.get(  # noqa: E731
        "/api/products", params={"category_id": category["id"], "sort": "price", **params}).json()["items"]]
    assert ids(option="Colour:Red") == [a["id"]]
    assert ids(option=["Colour:Red", "colour:green"]) == [b["id"], a["id"]]    # one option: OR
    # Several options: AND, by one variant (a shirt in M and Red; none is M and Blue).
    assert ids(option=["Colour:Red", "Size:M"]) == [a["id"]]
    assert ids(option=["Colour:Blue", "Size:M"]) == []
    assert ids(in_stock="true") == [b["id"], a["id"]] and c["id"] in ids()
    listed = {p["id"]: p for p in client.get("/api/products", params={"category_id": category["id"]}).json()["items"]}
    assert listed[a["id"]]["price_range"] == {"min": "18.00", "max": "22.00"} and listed[a["id"]]["in_stock"]
    assert listed[c["id"]]["in_stock"] is False
    # Search finds variant SKUs and option values.
    by_sku = client.get(f"/api/products/{a['id']}/variants").json()["items"][1]["sku"]
    assert [p["id"] for p in client.get("/api/products", params={"q": by_sku}).json()["items"]] == [a["id"]]
    assert ids(q="green") == [b["id"]]
    assert_problem(client.get("/api/products", params={"option": "Colour"}), 422, "invalid_option_filter")


def test_facets_count_the_list_s_result_set(client, admin):
    root = make_category(client, admin)
    child = make_category(client, admin, parent_id=root["id"])
    a, _ = shirt(client, admin, category_id=child["id"])          # 20.00; Red, Blue; in stock
    b = make_product(client, admin, category_id=root["id"], price="60.00", stock_quantity=0)
    option(client, admin, b, "Colour", ["Red"])
    facets = client.get("/api/products/facets", params={"category_id": root["id"]})
    assert facets.status_code == 200, facets.text
    body = facets.json()
    assert body["total"] == 2
    assert {o["name"]: {v["value"]: v["count"] for v in o["values"]} for o in body["options"]} == {
        "Size": {"S": 1, "M": 1}, "Colour": {"Red": 2, "Blue": 1}}
    assert {c["category_id"]: c["count"] for c in body["categories"]} == {root["id"]: 2, child["id"]: 1}
    bands = {(band["min"], band["max"]): band["count"] for band in body["price_bands"]}
    assert bands[("0.00", "25.00")] == 1 and bands[("50.00", "100.00")] == 1 and sum(bands.values()) == 2
    assert body["stock"] == {"in_stock": 1, "out_of_stock": 1}
    # The same filters as the list: facets of Colour:Blue are a's alone.
    blue = client.get("/api/products/facets", params={"category_id": root["id"], "option": "Colour:Blue"}).json()
    assert blue["total"] == 1 and blue["stock"] == {"in_stock": 1, "out_of_stock": 0}
    listed = client.get("/api/products", params={"category_id": root["id"], "option": "Colour:Blue"}).json()
    assert [p["id"] for p in listed["items"]] == [a["id"]]
    assert_problem(client.get("/api/products/facets", params={"min_price": "x"}), 422, "validation_failed")
    assert_problem(client.get("/api/products/facets", params={"min_price": "9", "max_price": "1"}), 422,
                   "invalid_price_range")


def test_the_catalog_cache_follows_variant_changes(client, admin, db):
    product, by = shirt(client, admin)
    path = f"/api/products/{product['id']}"
    client.get(path), client.get(path)  # cached by now in each worker that answered
    client.put(f"{path}/variants/{by['M/Red']['id']}", json={"price": "30.00"}, headers=admin["headers"])
    assert all(client.get(path).json()["price_range"]["max"] == "30.00" for _ in range(10))
    db.execute("update shop.variants set stock_quantity = 0 where product_id = %s", (product["id"],))
    time.sleep(0.1)  # a change from elsewhere reaches every worker within 100 ms (test_catalog_cache.py)
    assert all(client.get(path).json()["in_stock"] is False for _ in range(10))


# Concurrency

def test_20_parallel_creates_of_one_combination_make_one_variant(client, base_url, admin, db):
    product = make_product(client, admin)
    option(client, admin, product, "Size", ["S", "M"])
    responses = race(base_url, [
        lambda c, i=i: c.post(f"/api/products/{product['id']}/variants", headers=admin["headers"],
                              json={"sku": f"R-{i}-{word()}", "price": "1.00", "stock_quantity": 1,
                                    "options": {"Size": "M"}})
        for i in range(20)])
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: 19}, [r.text for r in responses if r.status_code not in (201, 409)]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"variant_exists"}
    assert db.execute("select count(*) from shop.variants where product_id = %s and deleted_at is null",
                      (product["id"],)).fetchone() == (2,)


def test_20_buyers_for_the_last_unit_of_one_variant(client, base_url, admin, db):
    product, by = shirt(client, admin)
    last = by["M/Red"]
    client.put(f"/api/products/{product['id']}/variants/{last['id']}", json={"stock_quantity": 20},
               headers=admin["headers"])
    headers = [bearer(login(client, register(client)["email"])) for _ in range(20)]
    for h in headers:
        assert client.post("/api/cart/items", json={"variant_id": last["id"], "quantity": 1},
                           headers=h).status_code == 200
    client.put(f"/api/products/{product['id']}/variants/{last['id']}", json={"stock_quantity": 1},
               headers=admin["headers"])
    before = dict(db.execute("select id, stock_quantity from shop.variants where product_id = %s",
                             (product["id"],)).fetchall())

    responses = race(base_url, [lambda c, h=h: c.post("/api/orders", json={"shipping_address": ADDRESS}, headers=h)
                                for h in headers])
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 19}
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"insufficient_stock"}
    after = dict(db.execute("select id, stock_quantity from shop.variants where product_id = %s",
                            (product["id"],)).fetchall())
    assert after == {**before, last["id"]: 0}  # the siblings untouched
    assert db.execute("select count(*), sum(quantity) from shop.order_items where variant_id = %s",
                      (last["id"],)).fetchone() == (1, 1)
    assert db.execute("select count(*) from shop.stock_reconciliation where product_id = %s and difference <> 0",
                      (product["id"],)).fetchone() == (0,)


@pytest.mark.parametrize("params", [{"option": "Colour:"}, {"option": ":Red"}])
def test_a_malformed_option_filter_is_422(client, params):
    assert_problem(client.get("/api/products", params=params), 422, "invalid_option_filter")
    assert_problem(client.get("/api/products/facets", params=params), 422, "invalid_option_filter")


def test_raw_writers_of_one_combination_at_once_one_commits_the_others_fail_at_commit(client, admin, database_url,
                                                                                       db):
    """The rule without the API's product lock: owner connections each insert a variant of one product with the
    same option value, in transactions open at the same time, and commit. The first to commit wins; every other
    fails at its commit, by the deferred exclusion constraint variants_one_per_combination. Deterministic: the
    first writes and stays open while the others write (a later writer may wait for the product row the first's
    triggers updated: it waits until its write has begun), then they commit in that order."""
    product = make_product(client, admin)
    size = option(client, admin, product, "Size", ["S", "M"])
    m = next(v["id"] for v in size["values"] if v["value"] == "M")
    writers = 3
    conns = [psycopg.connect(database_url) for _ in range(writers)]  # not autocommit: each one transaction
    pids = [conn.info.backend_pid for conn in conns]
    barrier = Barrier(writers)
    written = [Event() for _ in range(writers)]
    commit = [Event() for _ in range(writers)]

    def write(i: int):
        conn = conns[i]
        barrier.wait(timeout=30)
        if i > 0:
            assert written[0].wait(timeout=30)
        variant_id = conn.execute(
            "insert into shop.variants (product_id, sku, price, stock_quantity) values (%s, %s, 1.00, 1) returning id",
            (product["id"], f"RAW-{i}-{word()}")).fetchone()[0]
        conn.execute("insert into shop.variant_option_values (variant_id, product_id, option_id, value_id) "
                     "values (%s, %s, %s, %s)", (variant_id, product["id"], size["id"], m))
        written[i].set()
        assert commit[i].wait(timeout=30)
        try:
            conn.commit()
        except psycopg.Error as error:
            conn.rollback()
            return variant_id, error
        return variant_id, None

    def begun(i: int) -> bool:
        """Writer i has written, or its write waits for a lock of another open transaction."""
        # Asked on the primary (the `db` of the replica pass reads a standby, which sees no primary backend).
        with psycopg.connect(database_url, autocommit=True) as watcher:
            return written[i].is_set() or watcher.execute("select cardinality(pg_blocking_pids(%s)) > 0",
                                                          (pids[i],)).fetchone()[0]

    pool = ThreadPoolExecutor(writers)
    try:
        futures = [pool.submit(write, i) for i in range(writers)]
        assert written[0].wait(timeout=30)
        until(lambda: all(begun(i) for i in range(1, writers)) or any(f.done() for f in futures))
        assert not any(f.done() for f in futures), [f.result() for f in futures if f.done()]
        commit[0].set()
        first_id, first_error = futures[0].result(timeout=30)
        for event in commit[1:]:
            event.set()
        others = [f.result(timeout=30) for f in futures[1:]]
    finally:
        for event in commit:  # a failed assertion above lets every writer finish
            event.set()
        pool.shutdown()
        for conn in conns:
            conn.close()

    assert first_error is None
    for variant_id, error in others:
        assert isinstance(error, psycopg.errors.ExclusionViolation), (variant_id, error)
        assert error.diag.constraint_name == "variants_one_per_combination"
    live = db.execute("select v.id from shop.variants v join shop.variant_option_values vo on vo.variant_id = v.id "
                      "where v.product_id = %s and v.deleted_at is null and vo.value_id = %s",
                      (product["id"], m)).fetchall()
    assert live == [(first_id,)]
    assert db.execute("select count(*) from shop.variants where id = any(%s)",
                      ([variant_id for variant_id, _ in others],)).fetchone() == (0,)
    detail = client.get(f"/api/products/{product['id']}", headers=admin["headers"]).json()
    assert sorted(v["options"]["Size"] for v in detail["variants"]) == ["M", "S"]
