"""The catalog cache over HTTP: what a change makes visible, and how fast, in every worker; who shares the
cached copies; ETag and 304; and what happens when the notification channel is lost."""

import time

import httpx
import psycopg
import pytest

from conftest import as_user, assert_problem
from helpers import ADDRESS, fill_cart, make_category, make_product, server_timing

BOUND = 0.1  # seconds: a committed change is visible in every worker's next response within this


_readers: dict[str, httpx.Client] = {}


def get(client, path: str, **headers: str):
    """An anonymous reader's read, on a new connection: the kernel hands each to either worker (a kept-alive
    connection stays on one), so a few reads in a row reach both. From a client of its own, without the test
    client's cookies: a client that has just written reads its own write past older entries (read-your-writes)."""
    base = str(client.base_url)
    if base not in _readers:
        _readers[base] = httpx.Client(base_url=base, timeout=30)
    return _readers[base].get(path, headers={"Connection": "close", **headers})


def source(response) -> str:
    return server_timing(response)["db"].get("desc", "").strip('"')


def settles(client, path: str, fresh, reads: int = 20) -> float:
    """Seconds until `reads` reads in a row (enough to reach both workers) satisfy fresh(response)."""
    started = time.monotonic()
    row = 0
    while row < reads:
        row = row + 1 if fresh(get(client, path)) else 0
        assert time.monotonic() - started < 2, "the change was not seen within 2 s"
    return time.monotonic() - started


def cached(client, path: str) -> None:
    """Read until 12 new connections in a row are answered from the cache (most likely by both workers: the
    kernel hands each connection to either), for up to 3 s (a watcher that reconnects does so within a second)."""
    started = time.monotonic()
    while time.monotonic() - started < 3:
        if all(source(get(client, path)) == "cache" for _ in range(12)):
            return
    pytest.fail(f"{path} is never answered from the cache")


def fresh_within_bound(client, path: str, change, fresh) -> None:
    cached(client, path)
    change()
    changed = time.monotonic()
    stale = [r for r in (get(client, path) for _ in range(30)) if not fresh(r) and time.monotonic() - changed > BOUND]
    assert not stale, f"{len(stale)} stale reads after {BOUND * 1000:.0f} ms"
    assert settles(client, path, fresh) < 1


def test_a_price_change_is_visible_at_once_in_every_worker(client, admin):
    product = make_product(client, admin, price="10.00")
    path = f"/api/products/{product['id']}"
    fresh_within_bound(client, path, lambda: client.put(path, json={"price": "12.50"}, headers=admin["headers"]),
                       lambda r: r.json()["price"] == "12.50")


def test_a_sale_changes_the_stock_everybody_reads(client, admin, customer):
    product = make_product(client, admin, stock_quantity=9)
    path = f"/api/products/{product['id']}"

    def sell():
        fill_cart(client, customer["headers"], (product, 4))
        assert client.post("/api/orders", json={"shipping_address": ADDRESS}, headers=customer["headers"]).status_code == 201

    fresh_within_bound(client, path, sell, lambda r: r.json()["stock_quantity"] == 5)


@pytest.mark.parametrize("change", ["delete", "deactivate"])
def test_a_deleted_or_deactivated_product_disappears_at_once(client, admin, change):
    product = make_product(client, admin)
    path = f"/api/products/{product['id']}"
    act = {"delete": lambda: client.delete(path, headers=admin["headers"]),
           "deactivate": lambda: client.put(path, json={"is_active": False}, headers=admin["headers"])}[change]
    fresh_within_bound(client, path, act, lambda r: r.status_code == 404)


def test_a_new_category_is_in_the_next_list(client, admin):
    cached(client, "/api/categories")
    category = make_category(client, admin)
    listed = client.get("/api/categories", headers={"Connection": "close"})  # the writer's client: read-after token
    assert category["id"] in [c["id"] for c in listed.json()["items"]]
    assert settles(client, "/api/categories", lambda r: category["id"] in [c["id"] for c in r.json()["items"]]) < 1


def test_an_admin_never_reads_or_fills_the_shared_copies(client, admin):
    hidden = make_product(client, admin, is_active=False)
    for _ in range(5):  # the admin's own client: it carries the read-your-writes token of the creation
        assert client.get(f"/api/products/{hidden['id']}", headers={"Connection": "close", **admin["headers"]}).status_code == 200
        assert_problem(get(client, f"/api/products/{hidden['id']}"), 404)
    shown = make_product(client, admin)
    path = f"/api/products/{shown['id']}"
    cached(client, path)
    for _ in range(6):
        response = get(client, path, **admin["headers"])
        assert source(response) != "cache" and response.headers["cache-control"] == "no-store"


def test_etag_and_if_none_match_answer_304_without_a_database_call(client, admin, customer):
    product = make_product(client, admin)
    path = f"/api/products/{product['id']}"
    filled = get(client, path)  # answered by the handler, from the database
    cached(client, path)
    first = get(client, path)  # answered before the framework, from the cache: the same response
    assert source(filled) != "cache" and source(first) == "cache" and first.content == filled.content
    for header in ("content-type", "content-length", "etag", "cache-control", "vary", "x-content-type-options"):
        assert first.headers[header] == filled.headers[header], header
    assert first.headers["cache-control"] == "public, no-cache" and first.headers["etag"].startswith('"')
    assert first.headers["vary"] == "Authorization"  # a CDN keeps the anonymous copy from requests with a token
    # A worker that has not read it yet answers from the database once (new connections may all have reached
    # the other one so far); 304 either way, and from the cache, without a database call, once it has it.
    row, started = 0, time.monotonic()
    while row < 12:
        again = get(client, path, **{"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == first.headers["etag"]
        row = row + 1 if source(again) == "cache" and float(server_timing(again)["db"]["dur"]) == 0 else 0
        assert time.monotonic() - started < 3, "a matching If-None-Match is never answered from the cache"
    assert client.get(path, headers={"If-None-Match": '"something-else"'}).status_code == 200
    assert client.get(path, headers=customer["headers"]).headers["cache-control"] == "private, no-cache"
    client.put(path, json={"price": "99.00"}, headers=admin["headers"])
    time.sleep(BOUND)
    assert all(get(client, path, **{"If-None-Match": first.headers["etag"]}).status_code == 200 for _ in range(10))
    # Personal data is never cacheable, and a list is not cached at all.
    assert client.get("/api/cart", headers=customer["headers"]).headers["cache-control"] == "no-store"


@pytest.mark.disruptive  # it cuts the listening connections of the suite's app
@pytest.mark.every_mode
def test_a_lost_listener_empties_and_bypasses_the_cache_until_it_is_back(client, admin, db, database_url):
    product = make_product(client, admin, price="10.00")
    path = f"/api/products/{product['id']}"
    cached(client, path)
    with psycopg.connect(as_user(database_url, "postgres"), autocommit=True) as su:
        killed = su.execute("select count(pg_terminate_backend(pid)) from pg_stat_activity "
                            "where query = 'listen pgshop_catalog'").fetchone()[0]
        assert killed == 2  # one per worker
        # A change while nobody listens: no notification reaches the workers, yet nobody reads the old price.
        db.execute("update shop.variants set price = 11.00 where product_id = %s", (product["id"],))
    assert all(get(client, path).json()["price"] == "11.00" for _ in range(20))
    cached(client, path)  # once the watchers are back (within a second), the cache is used again
    assert get(client, path).json()["price"] == "11.00"


def test_a_client_that_has_just_written_is_never_answered_from_an_entry_older_than_its_write(client, admin, customer):
    product = make_product(client, admin)
    path = f"/api/products/{product['id']}"
    cached(client, path)  # every worker's entry is read before the write below
    added = client.post("/api/cart/items", json={"product_id": product["id"], "quantity": 1}, headers=customer["headers"])
    token = {"X-Read-After": added.headers["x-read-after"]}  # every write's answer carries it (also as a cookie)
    first = get(client, path, **token)
    assert source(first) != "cache"  # the entry predates the client's write: the database answers, and refills
    later = [source(get(client, path, **token)) for _ in range(12)]
    assert "cache" in later  # an entry read after the write serves this client again
    assert source(get(client, path)) == "cache"  # and nobody else was ever held back


def test_an_announcement_the_cache_cannot_read_does_not_leave_it_stale(client, admin, db):
    product = make_product(client, admin, price="10.00")
    path = f"/api/products/{product['id']}"
    cached(client, path)
    db.execute("select pg_notify('pgshop_catalog', 'not json'), pg_notify('pgshop_catalog', '[1, 2]')")
    db.execute("update shop.variants set price = 12.00 where product_id = %s", (product["id"],))
    time.sleep(BOUND)
    assert all(get(client, path).json()["price"] == "12.00" for _ in range(20))
    cached(client, path)  # and it listens again, so the cache is back in use
