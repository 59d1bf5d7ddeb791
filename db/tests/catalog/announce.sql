-- The catalog announces its changes for the API's cache (migration 20261201130000): each statement that
-- changes products or categories calls pg_notify('pgshop_catalog', ...) with exactly the ids it changed; what a
-- transaction announced last is also in its setting pgshop.announced. Since variants (migration 20261208200000)
-- a statement on variants, options or option values announces their products (price and stock are the
-- variants').
begin;
select * from no_plan();
\ir ../helpers.psql

create function pg_temp.announced() returns text
language sql as $$ select coalesce(nullif(current_setting('pgshop.announced', true), ''), '(nothing)') $$;
-- reset(): forget what this transaction announced so far (the test looks at one statement at a time).
create function pg_temp.reset() returns void
language sql as $$ select set_config('pgshop.announced', '', true) $$;

select set_config('tests.a', pg_temp.new_product('Zqxwv Announce One', 1, 'ZQXWV-AN-1', 10)::text, true);
select set_config('tests.b', pg_temp.new_product('Zqxwv Announce Two', 2, 'ZQXWV-AN-2', 10)::text, true);

select triggers_are('shop', 'products', array['_100_derived', '_100_handle', '_100_search', '_100_timestamps',
  '_300_delete_variants',
  '_300_search_words_insert', '_300_search_words_update', '_400_announce_insert', '_400_announce_update',
  '_400_announce_delete', '_500_audit_insert', '_500_audit_update', '_500_audit_delete']);
select ok(array['_400_announce_insert', '_400_announce_update', '_400_announce_delete'] <@ array(
            select t.tgname::text from pg_trigger t where t.tgrelid = tg.tbl::regclass and not t.tgisinternal),
  tg.tbl || ' announces its inserts, updates and deletes')
from (values ('shop.variants'), ('shop.product_options'), ('shop.product_option_values')) tg (tbl);

-- A price is the variant's now: changing it announces the product (its derived price follows).
select pg_temp.reset();
update shop.variants set price = 3 where product_id = pg_temp.id('a');
select is(pg_temp.announced(), format('pgshop_catalog {"products": [%s]}', pg_temp.id('a')),
  'a price change announces that product, and only it');
select is((select p.price from shop.products p where p.id = pg_temp.id('a')), 3.00,
  '... and the product''s price follows its default variant''s');

select pg_temp.reset();
update shop.variants set stock_quantity = stock_quantity - 1 where product_id in (pg_temp.id('a'), pg_temp.id('b'));
select is(pg_temp.announced(), format('pgshop_catalog {"products": [%s, %s]}', pg_temp.id('a'), pg_temp.id('b')),
  'one statement changing the stock of two products: one message with both ids');

select pg_temp.reset();
update shop.products set name = name where false;
select is(pg_temp.announced(), '(nothing)', 'a statement that changes no row announces nothing');
select pg_temp.reset();
update shop.variants set price = price where false;
select is(pg_temp.announced(), '(nothing)', '... nor one that changes no variant');

select pg_temp.reset();
update shop.products set deleted_at = now() where id = pg_temp.id('b');
select is(pg_temp.announced(), format('pgshop_catalog {"products": [%s]}', pg_temp.id('b')),
  'a soft delete announces the product');

select pg_temp.reset();
select set_config('tests.c', pg_temp.new_product('Zqxwv Announce Three', 3, 'ZQXWV-AN-3', 0)::text, true);
select is(pg_temp.announced(), format('pgshop_catalog {"products": [%s]}', pg_temp.id('c')),
  'an insert (the product, then its variant) announces the new id');

-- A product with stock 0 has no ledger row (which is append-only), only its open low-stock alert.
delete from shop.low_stock_alerts a where a.product_id = pg_temp.id('c');
select pg_temp.reset();
delete from shop.variants where product_id = pg_temp.id('c');
select is(pg_temp.announced(), format('pgshop_catalog {"products": [%s]}', pg_temp.id('c')),
  'a deleted variant announces its product');
select pg_temp.reset();
delete from shop.products where id = pg_temp.id('c');
select ok(pg_temp.announced() like 'pgshop_catalog {"products": [%]}', 'a delete announces the deleted id');

select pg_temp.reset();
insert into shop.products (name)
select 'Zqxwv Bulk ' || i from generate_series(1, 2000) i;
select is(pg_temp.announced(), 'pgshop_catalog {"products": "all"}',
  'ids beyond 7,900 bytes (2,000 rows in one statement): "all" (a notification carries less than 8000 bytes)');
select pg_temp.reset();
insert into shop.variants (product_id, sku, price, stock_quantity)
select p.id, 'ZQXWV-AN-BULK-' || p.id, 1, 10 from shop.products p where p.name like 'Zqxwv Bulk %';
select is(pg_temp.announced(), 'pgshop_catalog {"products": "all"}',
  '... and so do the 2,000 products of 2,000 variants inserted in one statement');

select pg_temp.reset();
insert into shop.categories (name) values ('Zqxwv Announce Category');
select is(pg_temp.announced(), 'pgshop_catalog {"categories": true}', 'a new category announces the categories');
select pg_temp.reset();
update shop.categories set description = 'x' where name = 'Zqxwv Announce Category';
select is(pg_temp.announced(), 'pgshop_catalog {"categories": true}', 'a changed category announces the categories');

-- A checkout's stock decrement is a change of the products it sold.
do $$ begin perform pg_temp.new_user('buyer', 'zqxwv-announce@zqxwv.test', 'Ann', 'Ounce'); end $$;
select pg_temp.act_as(pg_temp.id('buyer'));
set local role pgshop_api;
select ok(api.cart_add_item(null, pg_temp.id('a'), 2) is not null, 'a cart line');
reset role;
select pg_temp.reset();
set local role pgshop_api;
select ok(pg_temp.checkout('{"name": "A", "line1": "1 St", "city": "C", "postal_code": "1", "country": "US"}')::jsonb ? 'id',
  'checkout');
reset role;
select is(pg_temp.announced(), format('pgshop_catalog {"products": [%s]}', pg_temp.id('a')),
  'checkout announces the product whose stock it took');

select * from finish();
rollback;
