-- The catalog announces its changes for the API's cache (migration 20261201130000): each statement that
-- changes products or categories calls pg_notify('pgshop_catalog', ...) with exactly the ids it changed; what a
-- transaction announced last is also in its setting pgshop.announced.
begin;
select * from no_plan();
\ir ../helpers.psql

create function pg_temp.announced() returns text
language sql as $$ select coalesce(nullif(current_setting('pgshop.announced', true), ''), '(nothing)') $$;
-- reset(): forget what this transaction announced so far (the test looks at one statement at a time).
create function pg_temp.reset() returns void
language sql as $$ select set_config('pgshop.announced', '', true) $$;

do $$
declare
  v_id bigint;
begin
  insert into shop.products (name, price, sku, stock_quantity) values ('Zqxwv Announce One', 1, 'ZQXWV-AN-1', 10)
  returning id into v_id;
  perform set_config('tests.a', v_id::text, true);
  insert into shop.products (name, price, sku, stock_quantity) values ('Zqxwv Announce Two', 2, 'ZQXWV-AN-2', 10)
  returning id into v_id;
  perform set_config('tests.b', v_id::text, true);
end
$$;

select triggers_are('shop', 'products', array['_100_timestamps', '_300_low_stock_insert', '_300_low_stock_update',
  '_300_search_words_insert', '_300_search_words_update', '_400_announce_insert', '_400_announce_update',
  '_400_announce_delete', '_400_stock_ledger_insert', '_400_stock_ledger_update', '_500_audit_insert',
  '_500_audit_update', '_500_audit_delete']);

select pg_temp.reset();
update shop.products set price = 3 where id = pg_temp.id('a');
select is(pg_temp.announced(), format('pgshop_catalog {"products": [%s]}', pg_temp.id('a')),
  'a price change announces that product, and only it');

select pg_temp.reset();
update shop.products set stock_quantity = stock_quantity - 1 where id in (pg_temp.id('a'), pg_temp.id('b'));
select is(pg_temp.announced(), format('pgshop_catalog {"products": [%s, %s]}', pg_temp.id('a'), pg_temp.id('b')),
  'one statement changing two products: one message with both ids');

select pg_temp.reset();
update shop.products set price = price where false;
select is(pg_temp.announced(), '(nothing)', 'a statement that changes no row announces nothing');

select pg_temp.reset();
update shop.products set deleted_at = now() where id = pg_temp.id('b');
select is(pg_temp.announced(), format('pgshop_catalog {"products": [%s]}', pg_temp.id('b')),
  'a soft delete announces the product');

select pg_temp.reset();
insert into shop.products (name, price, sku) values ('Zqxwv Announce Three', 3, 'ZQXWV-AN-3');
select is(pg_temp.announced(), format('pgshop_catalog {"products": [%s]}',
  (select p.id from shop.products p where p.sku = 'ZQXWV-AN-3')), 'an insert announces the new id');

delete from shop.low_stock_alerts a using shop.products p where p.id = a.product_id and p.sku = 'ZQXWV-AN-3';
select pg_temp.reset();
delete from shop.products where sku = 'ZQXWV-AN-3';
select ok(pg_temp.announced() like 'pgshop_catalog {"products": [%]}', 'a delete announces the deleted id');

select pg_temp.reset();
insert into shop.products (name, price, sku, stock_quantity)
select 'Zqxwv Bulk ' || i, 1, 'ZQXWV-AN-BULK-' || i, 10 from generate_series(1, 2000) i;
select is(pg_temp.announced(), 'pgshop_catalog {"products": "all"}',
  'ids beyond 7,900 bytes (2,000 rows in one statement): "all" (a notification carries less than 8000 bytes)');

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
