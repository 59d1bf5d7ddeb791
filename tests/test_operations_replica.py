"""Read/write splitting over HTTP with a standby that replays 2 s late: a client that writes reads its own
write at once; another client reads the standby's older copy (which shows reads really go there) and the new
one after the delay; a stopped standby costs no error, and it is used again once back."""

import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from psycopg.conninfo import conninfo_to_dict

from pgshop import scaleout

from conftest import PASSWORD, bearer, login, register, serve, unique_email
from helpers import ADDRESS, make_product, server_timing, word

ROOT = Path(__file__).resolve().parent.parent
PG_CTL = "/usr/lib/postgresql/15/bin/pg_ctl"
pytestmark = pytest.mark.disruptive  # it delays, stops and restarts the standby of the test cluster
READ = "/api/products?limit=1"  # a read of a stable function the catalog cache does not keep


def standby(database_url: str, delay: str) -> None:
    """The test cluster's standby (re)started with REPLICA_APPLY_DELAY=delay, as `REPLICA=1 make run` does."""
    primary = conninfo_to_dict(database_url)
    os.environ["REPLICA_APPLY_DELAY"] = delay
    try:
        scaleout.standby(Path(os.environ["PGSHOP_TEST_STANDBY_DIR"]), int(os.environ["PGSHOP_TEST_STANDBY_PORT"]),
                         f"host={primary['host']} port={primary['port']} user=postgres dbname=pgshop", "pgshop",
                         "pgshop_api")
    finally:
        del os.environ["REPLICA_APPLY_DELAY"]


def served_by(client: httpx.Client, path: str, **kwargs) -> tuple[int, str]:
    response = client.get(path, **kwargs)
    return response.status_code, server_timing(response)["db"].get("desc", "").strip('"')


@pytest.fixture(scope="module")
def split(database_url):
    """An app whose reads go to a standby 2 s behind."""
    standby(database_url, "2s")
    try:
        with serve(database_url, workers=1, READ_DATABASE_URL=os.environ["PGSHOP_TEST_STANDBY"]) as url:
            with httpx.Client(base_url=url, timeout=30) as c:
                deadline = time.monotonic() + 15
                while served_by(c, READ)[1] != "standby":
                    assert time.monotonic() < deadline, "the standby was never used"
                    time.sleep(0.2)
            yield url
    finally:
        standby(database_url, "0")


def test_a_client_reads_its_own_writes_at_once(split, database_url, db):
    with httpx.Client(base_url=split, timeout=30) as client:
        email = unique_email("admin")
        db.execute("select lib.make_admin(%s, %s)", (email, PASSWORD))
        product = make_product(client, {"headers": bearer(login(client, email))}, stock_quantity=5)
        buyer = bearer(login(client, register(client)["email"]))
        waits = []
        assert client.post("/api/cart/items", json={"product_id": product["id"], "quantity": 2},
                           headers=buyer).status_code == 200
        started = time.monotonic()
        cart = client.get("/api/cart", headers=buyer)
        waits.append(time.monotonic() - started)
        assert [(i["product_id"], i["quantity"]) for i in cart.json()["items"]] == [(product["id"], 2)]
        order = client.post("/api/orders", json={"shipping_address": ADDRESS}, headers=buyer)
        assert order.status_code == 201 and "x-read-after" in order.headers
        started = time.monotonic()
        assert client.get(f"/api/orders/{order.json()['id']}", headers=buyer).status_code == 200
        waits.append(time.monotonic() - started)
        assert client.get("/api/cart", headers=buyer).json()["items"] == []
        # Without the cookie, but with the header the write returned: the same guarantee for API clients.
        with httpx.Client(base_url=split, timeout=30) as other:
            again = other.get(f"/api/orders/{order.json()['id']}", headers={
                **buyer, "X-Read-After": order.headers["x-read-after"]})
            assert again.status_code == 200
    print(f"\nread-your-writes with a standby 2 s behind: reads after a write answered in "
          f"{', '.join(f'{w * 1000:.0f} ms' for w in waits)} (wait bound READ_YOUR_WRITES_WAIT=0.25 s, then the primary)")


def test_another_client_may_read_the_standbys_older_copy_until_it_replays(split, database_url, db):
    with httpx.Client(base_url=split, timeout=30) as writer, httpx.Client(base_url=split, timeout=30) as reader:
        email = unique_email("admin")
        db.execute("select lib.make_admin(%s, %s)", (email, PASSWORD))
        name = word()
        make_product(writer, {"headers": bearer(login(writer, email))}, name=f"Stale {name}")

        def found() -> tuple[int, str]:
            response = reader.get("/api/products", params={"q": name})
            return len(response.json()["items"]), server_timing(response)["db"]["desc"].strip('"')

        assert found() == (0, "standby")  # not replayed yet
        time.sleep(2.5)
        assert found() == (1, "standby")


def test_a_stopped_standby_costs_no_error_and_is_used_again_once_back(split):
    data = Path(os.environ["PGSHOP_TEST_STANDBY_DIR"]) / "data"
    with httpx.Client(base_url=split, timeout=30) as client:
        subprocess.run(["runuser", "-u", "postgres", "--", PG_CTL, "-D", str(data), "-m", "fast", "-w", "stop"],
                       check=True, capture_output=True)
        seen = set()
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            status, source = served_by(client, READ)
            assert status == 200
            seen.add(source)
            time.sleep(0.05)
        assert served_by(client, READ) == (200, "primary")
        subprocess.run(["runuser", "-u", "postgres", "--", PG_CTL, "-D", str(data), "-l", str(data.parent / "postgres.log"),
                        "-w", "start"], check=True, capture_output=True)
        deadline = time.monotonic() + 10
        while served_by(client, READ)[1] != "standby":
            assert time.monotonic() < deadline, "the standby was not used again"
            time.sleep(0.2)
