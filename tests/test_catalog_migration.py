"""The variants migration (20261208200000) on a deployed database with demo data and activity: rolled back to the
model before variants and applied again, nothing is lost and the ledger adds up at every step. A database of its
own in the suite's cluster, dropped at the end."""

from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from conftest import as_user
from pgshop.deploy import dbmate, demo, deploy

DB = "pgshop_variants_migration"
ADDRESS = '{"name": "M", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}'


@pytest.fixture
def url(database_url: str):
    superuser = as_user(database_url, "postgres")
    with psycopg.connect(superuser, autocommit=True) as su:
        su.execute(f"drop database if exists {DB}")
        su.execute(f"create database {DB} owner pgshop")
    # The extensions a superuser creates for the owner (pgshop/cluster.py, OWNER_SETUP; pg_cron lives in one
    # database of a cluster, and the layer does without it).
    with psycopg.connect(make_conninfo(superuser, dbname=DB), autocommit=True) as su:
        su.execute("create extension rum; create extension pg_stat_statements")
    yield urlunsplit(urlsplit(database_url)._replace(path=f"/{DB}"))
    with psycopg.connect(superuser, autocommit=True) as su:
        su.execute(f"drop database {DB} with (force)")


def activity(db: psycopg.Connection) -> None:
    """A customer buys two products (one order paid, one cancelled: stock back), keeps one in the cart; an admin
    adjusts a stock by hand."""
    user = db.execute("insert into shop.users (email, password_hash, first_name, last_name) values ("
                      "'migration@example.com', public.crypt('password123', public.gen_salt('bf', 4)), 'Mig', 'Ration') "
                      "returning id").fetchone()[0]
    db.execute("select set_config('request.jwt.claims', %s, false)", (f'{{"sub": "{user}", "role": "customer"}}',))
    products = [r[0] for r in db.execute(
        "select p.id from shop.products p where (select count(*) from shop.variants v where v.product_id = p.id) = 1 "
        "and p.is_active and p.deleted_at is null "
        "and (select min(v.stock_quantity) from shop.variants v where v.product_id = p.id) >= 5 order by p.id limit 3")]
    for product in products[:2]:
        db.execute("select api.cart_add_item(null, %s, 2)", (product,))
    paid = db.execute(f"select (api.cart_checkout('{{\"shipping_address\": {ADDRESS}}}', null) ->> 'id')::bigint"
                      ).fetchone()[0]
    db.execute("select api.cart_add_item(null, %s, 1)", (products[0],))
    cancelled = db.execute(f"select (api.cart_checkout('{{\"shipping_address\": {ADDRESS}}}', null) ->> 'id')::bigint"
                           ).fetchone()[0]
    db.execute("select api.cart_add_item(null, %s, 1)", (products[2],))
    db.execute("select set_config('request.jwt.claims', '', false)")
    db.execute("insert into shop.payments (order_id, provider, provider_reference, currency, amount, captured_amount) "
               "select id, 'manual', 'migration-' || id, currency, total_amount, total_amount from shop.orders "
               "where id = %s", (paid,))
    db.execute("update shop.orders set status = 'paid' where id = %s", (paid,))
    db.execute("update shop.orders set status = 'cancelled' where id = %s", (cancelled,))
    db.execute("update shop.variants set stock_quantity = stock_quantity + 7 where product_id = %s", (products[2],))
    db.execute("select lib.refresh_reporting()")


# Per product: SKU, price and stock (a product with several variants: its default variant's SKU and price, the sum
# of its stock); the ledger's sum; what it sold. Written for both models.
STATE = {
    "new": """select p.id, d.sku, d.price, s.stock, coalesce((select sum(m.delta) from shop.stock_movements m where m.product_id = p.id), 0),
                     r.units_sold
              from shop.products p
              cross join lateral (select v.sku, v.price from shop.variants v where v.product_id = p.id
                                  order by v.deleted_at is not null, not v.is_active, v.position, v.id limit 1) d
              cross join lateral (select sum(v.stock_quantity) as stock from shop.variants v where v.product_id = p.id) s
              join reporting.product_performance r on r.product_id = p.id
              order by p.id""",
    "old": """select p.id, p.sku, p.price, p.stock_quantity,
                     coalesce((select sum(m.delta) from shop.stock_movements m where m.product_id = p.id), 0), r.units_sold
              from shop.products p join reporting.product_performance r on r.product_id = p.id order by p.id""",
}
LINES = ("select (select array_agg((order_id, product_id, quantity, unit_price, sku) order by id) from shop.order_items),"
         " (select array_agg((cart_id, product_id, quantity) order by id) from shop.cart_items),"
         " (select count(*) from audit.log), (select array_agg(row(day, orders, units, revenue) order by day)"
         " from shop.daily_sales)")


def test_the_variants_migration_rolls_back_and_forth_without_losing_anything(url):
    deploy(url)
    demo(url)
    with psycopg.connect(url, autocommit=True) as db:
        activity(db)
        before, lines = db.execute(STATE["new"]).fetchall(), db.execute(LINES).fetchone()
        assert all(stock == ledger for _, _, _, stock, ledger, _ in before)
        assert db.execute("select count(*) from shop.stock_reconciliation where difference <> 0").fetchone() == (0,)

    # Back to the model before variants: the imports migration, then the variants one.
    dbmate(url, "--no-dump-schema", "rollback", what="dbmate rollback")
    dbmate(url, "--no-dump-schema", "rollback", what="dbmate rollback")
    with psycopg.connect(url, autocommit=True) as db:
        assert db.execute("select to_regclass('shop.variants')").fetchone() == (None,)
        db.execute("refresh materialized view reporting.product_performance")
        assert db.execute(STATE["old"]).fetchall() == before      # the ledger adds up to each product's stock
        assert db.execute(LINES).fetchone() == lines

    # And forward again: every product's one default variant carries its SKU, price and stock.
    deploy(url)
    with psycopg.connect(url, autocommit=True) as db:
        assert db.execute("select count(*) from shop.variants").fetchone()[0] == len(before)
        db.execute("select lib.refresh_reporting()")
        assert db.execute(STATE["new"]).fetchall() == before
        assert db.execute(LINES).fetchone() == lines
        assert db.execute("select count(*) from shop.stock_reconciliation where difference <> 0").fetchone() == (0,)
        assert db.execute("select count(*) from shop.order_items where variant_id is null").fetchone() == (0,)
