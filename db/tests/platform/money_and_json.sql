-- Money is finite and JSON is bounded (migration 20261201100000_money_and_json_limits): the NaN checks on
-- every money column (those of the payment tables too, migration 20261201140000), lib.price (PT422 invalid_price) in the catalog functions, product metadata limits
-- (shop.jsonb_within, products_metadata_limits, PT422 invalid_metadata) and the domain shop.address of
-- shop.orders.shipping_address (PT422 invalid_address from api.checkout).
begin;
select * from no_plan();
\ir ../helpers.psql

-- nest(depth, arrays): objects {"a": ...} (or arrays [...]) nested depth levels deep; the innermost is empty.
create function pg_temp.nest(p_depth integer, p_arrays boolean default false) returns jsonb
language sql immutable as $$
  select case
    when p_depth <= 1 then case when p_arrays then '[]'::jsonb else '{}'::jsonb end
    when p_arrays then jsonb_build_array(pg_temp.nest(p_depth - 1, p_arrays))
    else jsonb_build_object('a', pg_temp.nest(p_depth - 1, p_arrays))
  end
$$;
-- big(bytes): an object {"a": "xxx..."} whose JSON text takes exactly bytes bytes.
create function pg_temp.big(p_bytes integer) returns jsonb
language sql immutable as $$ select jsonb_build_object('a', repeat('x', p_bytes - 9)) $$;
-- A complete address with only the required fields; extras(n): n more string fields.
create function pg_temp.extras(p_count integer) returns jsonb
language sql immutable as $$
  select coalesce(jsonb_object_agg('extra' || i, 'x'), '{}') from generate_series(1, p_count) i
$$;
-- dry_run(sql): the JSON a statement returns, with its effects rolled back.
create function pg_temp.dry_run(p_sql text) returns jsonb
language plpgsql as $$
declare
  v_result jsonb;
begin
  execute p_sql into v_result;
  raise exception using errcode = 'ZQ001', message = 'dry run';
exception when sqlstate 'ZQ001' then
  return v_result;
end
$$;
-- The test products (SKU ZQXWV-MJ-*, the SKU of their variant) as {sku: [variant price, product price, metadata]},
-- to see that refused calls changed nothing.
create function pg_temp.products() returns jsonb
language sql stable as $$
  select coalesce(jsonb_object_agg(v.sku, jsonb_build_array(v.price, p.price, p.metadata)), '{}')
  from shop.variants v join shop.products p on p.id = v.product_id where v.sku like 'ZQXWV-MJ-%'
$$;

-- Set-up ------------------------------------------------------------------------------------------------
do $$
declare
  v_id bigint;
begin
  perform pg_temp.new_user('admin', 'zqxwv-mj-admin@zqxwv.test', 'Ad', 'Min', 'admin');
  perform pg_temp.new_user('u1', 'zqxwv-mj-one@zqxwv.test', 'Cus', 'One');
  v_id := pg_temp.new_product('Zqxwv Money', 12.50, 'ZQXWV-MJ-P', 10);
  update shop.products set metadata = '{"color": "red"}' where id = v_id;
  perform set_config('tests.p', v_id::text, true);
  insert into shop.orders (user_id, total_amount, shipping_address)
  values (pg_temp.id('u1'), 12.50, pg_temp.addr()) returning id into v_id;
  perform set_config('tests.o', v_id::text, true);
  insert into shop.order_items (order_id, product_id, variant_id, name, sku, quantity, unit_price, total_price)
  values (v_id, pg_temp.id('p'), pg_temp.variant_of(pg_temp.id('p')), 'Zqxwv Money', 'ZQXWV-MJ-P', 1, 12.50, 12.50)
  returning id into v_id;
  perform set_config('tests.oi', v_id::text, true);
  insert into shop.daily_sales (day, orders, units, revenue) values ('1999-01-01', 1, 1, 12.50);
  -- This file checks out many times as u1: no per-user checkout limit here (platform/rate_limits.sql tests it).
  update shop.settings set value = '0' where name = 'rate_limit_checkout_per_user';
end
$$;

-- NaN on the money columns ------------------------------------------------------------------------------
select col_has_check('shop', 'products', 'price', 'products has a check on price');
select col_has_check('shop', 'variants', 'price', 'variants has a check on price');
select col_has_check('shop', 'variants', 'compare_at_price', 'variants has a check on compare_at_price');
select col_has_check('shop', 'orders', 'total_amount', 'orders has a check on total_amount');
select col_has_check('shop', 'order_items', 'unit_price', 'order_items has a check on unit_price');
select col_has_check('shop', 'order_items', array['unit_price', 'total_price'],
  'order_items has a check on unit_price and total_price together');
select col_has_check('shop', 'daily_sales', 'revenue', 'daily_sales has a check on revenue');
select results_eq(
  $$select c.conrelid::regclass::text collate "default", c.conname::text collate "default", c.convalidated from pg_constraint c
    where c.contype = 'c' and c.conname like '%finite' and c.connamespace = 'shop'::regnamespace order by 2$$,
  $$values ('shop.daily_sales', 'daily_sales_revenue_finite', true), ('shop.order_items', 'order_items_prices_finite', true),
           ('shop.orders', 'orders_total_finite', true), ('shop.payment_events', 'payment_events_amount_finite', true),
           ('shop.payments', 'payments_amounts_finite', true), ('shop.products', 'products_price_finite', true),
           ('shop.variants', 'variants_compare_at_price_finite', true), ('shop.variants', 'variants_price_finite', true)$$,
  'the eight NaN checks exist and are validated (they hold for every existing row): the four of that migration, '
  'the two of the payment tables (migration 20261201140000) and the two of the variants (migration 20261208200000)');

-- A product's price is derived (its default variant's, shop.tg_products__derived): NaN written by hand never
-- reaches it; the check stays as a backstop.
select is((select c.convalidated from pg_constraint c where c.conname = 'products_price_finite'
           and c.conrelid = 'shop.products'::regclass), true, 'products_price_finite exists on the derived price');
select is(pg_temp.error_of($$insert into shop.products (name, price) values ('Zqxwv NaN', 'NaN')$$), null,
  'a product inserted with price NaN is not refused ...');
select is((select p.price from shop.products p where p.name = 'Zqxwv NaN'), null,
  '... the NaN is not kept: without a variant it has no price');
update shop.products set price = 'NaN' where id = pg_temp.id('p');
select is((select p.price from shop.products p where p.id = pg_temp.id('p')), 12.50,
  'updating a product''s price to NaN by hand leaves its derived price (the variant''s 12.50)');
select throws_ok(format($$insert into shop.variants (product_id, sku, price) values (%s, 'ZQXWV-MJ-NAN', 'NaN')$$,
                        pg_temp.id('p')),
  '23514', 'new row for relation "variants" violates check constraint "variants_price_finite"',
  'a variant priced NaN violates variants_price_finite (NaN passes price >= 0)');
select throws_ok(format($$update shop.variants set price = 'NaN' where product_id = %s$$, pg_temp.id('p')),
  '23514', 'new row for relation "variants" violates check constraint "variants_price_finite"',
  'updating a variant''s price to NaN violates variants_price_finite');
select throws_ok(format($$update shop.variants set compare_at_price = 'NaN' where product_id = %s$$, pg_temp.id('p')),
  '23514', 'new row for relation "variants" violates check constraint "variants_compare_at_price_finite"',
  'a compare-at price NaN violates variants_compare_at_price_finite (NaN passes compare_at_price > price)');
select throws_ok(
  format($$insert into shop.orders (user_id, total_amount, shipping_address) values (%s, 'NaN', %L)$$,
         pg_temp.id('u1'), pg_temp.addr()),
  '23514', 'new row for relation "orders" violates check constraint "orders_total_finite"',
  'an order totalling NaN violates orders_total_finite');
select throws_ok(format($$update shop.orders set total_amount = 'NaN' where id = %s$$, pg_temp.id('o')),
  '23514', 'new row for relation "orders" violates check constraint "orders_total_finite"',
  'updating an order total to NaN violates orders_total_finite');
select throws_ok(
  format($$insert into shop.order_items (order_id, product_id, variant_id, name, sku, quantity, unit_price, total_price)
           values (%s, %s, %s, 'Zqxwv', 'ZQXWV-MJ-X', 1, 'NaN', 'NaN')$$,
         pg_temp.id('o'), pg_temp.id('p'), pg_temp.variant_of(pg_temp.id('p'))),
  '23514', 'new row for relation "order_items" violates check constraint "order_items_prices_finite"',
  'an order line with unit and total price NaN (NaN = NaN * 1 holds) violates order_items_prices_finite');
select throws_ok(format($$update shop.order_items set unit_price = 'NaN', total_price = 'NaN' where id = %s$$, pg_temp.id('oi')),
  '23514', 'new row for relation "order_items" violates check constraint "order_items_prices_finite"',
  'updating a line''s unit_price and total_price to NaN violates order_items_prices_finite');
select throws_ok(format($$update shop.order_items set total_price = 'NaN' where id = %s$$, pg_temp.id('oi')),
  '23514', 'new row for relation "order_items" violates check constraint "order_items_prices_finite"',
  'updating a line''s total_price alone to NaN violates order_items_prices_finite');
select throws_ok($$insert into shop.daily_sales (day, orders, units, revenue) values ('1999-01-02', 1, 1, 'NaN')$$,
  '23514', 'new row for relation "daily_sales" violates check constraint "daily_sales_revenue_finite"',
  'a day with revenue NaN violates daily_sales_revenue_finite');
select throws_ok($$update shop.daily_sales set revenue = 'NaN' where day = '1999-01-01'$$,
  '23514', 'new row for relation "daily_sales" violates check constraint "daily_sales_revenue_finite"',
  'updating a day''s revenue to NaN violates daily_sales_revenue_finite');
select throws_ok(
  format($$insert into shop.payments (order_id, provider, provider_reference, currency, amount, captured_amount)
           values (%s, 'manual', 'zqxwv-mj-nan', 'USD', 12.50, 'NaN')$$, pg_temp.id('o')),
  '23514', 'new row for relation "payments" violates check constraint "payments_amounts_finite"',
  'a payment with captured_amount NaN violates payments_amounts_finite (NaN passes captured_amount >= 0)');
select throws_ok(
  format($$insert into shop.payment_events (provider, provider_event_id, type, order_id, amount, currency,
                                            unmatched_reason, raw, recorded_by)
           values ('stripe', 'zqxwv-mj-nan', 'payment_intent.succeeded', %s, 'NaN', 'USD', 'amount_mismatch', '{}',
                   'provider')$$, pg_temp.id('o')),
  '23514', 'new row for relation "payment_events" violates check constraint "payment_events_amount_finite"',
  'a payment event of amount NaN violates payment_events_amount_finite');
select results_eq(
  format($$select (select v.price from shop.variants v where v.product_id = %1$s),
                  (select p.price from shop.products p where p.id = %1$s), (select o.total_amount from shop.orders o where o.id = %2$s),
                  (select oi.total_price from shop.order_items oi where oi.id = %3$s),
                  (select d.revenue from shop.daily_sales d where d.day = '1999-01-01')$$,
         pg_temp.id('p'), pg_temp.id('o'), pg_temp.id('oi')),
  $$values (12.50::numeric(12, 2), 12.50::numeric(12, 2), 12.50::numeric(12, 2), 12.50::numeric(12, 2),
            12.50::numeric(14, 2))$$,
  'the refused updates changed nothing');

-- lib.price ------------------------------------------------------------------------------------------
select volatility_is('lib', 'price', array['text', 'text'], 'immutable');
select is(lib.price('19.99'), 19.99, 'lib.price(''19.99'') = 19.99');
select is(lib.price('0'), 0::numeric, 'lib.price(''0'') = 0');
select is(lib.price('5'), 5::numeric, 'lib.price(''5'') = 5 (no decimals)');
select is(lib.price('19.90'), 19.90, 'lib.price(''19.90'') = 19.90');
select is(lib.price(' 12.5 '), 12.5, 'lib.price: spaces around the number are allowed');
select is(lib.price('9999999999.99'), 9999999999.99, 'lib.price: the largest amount of numeric(12, 2) passes');
select is(lib.price(null), null, 'lib.price(null) is null (no value, nothing to refuse)');
select throws_ok(format('select lib.price(%L)', v), 'PT422', 'invalid_price',
  format('lib.price(%L) -> PT422 invalid_price (%s)', v, why))
from (values ('NaN', 'not a number'), ('-1', 'negative'), ('-0.01', 'negative'), ('19.999', 'three decimals'),
             ('0.005', 'half a cent'), ('1e-400', 'a tiny fraction'), ('1e10', 'too large for numeric(12, 2)'),
             ('Infinity', 'infinite'), ('-Infinity', 'infinite'), ('abc', 'not a number at all'),
             ('', 'empty'), ('12,50', 'a decimal comma'), ('true', 'a JSON boolean as text')) v (v, why);
select throws_ok($$select lib.price('1e200000')$$, 'PT422', 'invalid_price',
  'lib.price(''1e200000'') -> PT422 invalid_price (too large for numeric itself)');
select is(pg_temp.error_of($$select lib.price('NaN', 'min_price')$$) - 'hint',
  '{"sqlstate": "PT422", "message": "invalid_price",
    "detail": "min_price must be a finite amount from 0 to 9999999999.99 with at most 2 decimals"}'::jsonb,
  'invalid_price: the detail names the field');

-- Prices through the API (admin) -----------------------------------------------------------------------
do $$ begin perform set_config('tests.before', pg_temp.products()::text, true); end $$;
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select throws_ok($$select api.product_create('Zqxwv NaN', 'NaN', 'ZQXWV-MJ-NAN')$$, 'PT422', 'invalid_price',
  'product_create: price NaN -> PT422 invalid_price');
select throws_ok($$select api.product_create('Zqxwv Tenth', 19.999, 'ZQXWV-MJ-TENTH')$$, 'PT422', 'invalid_price',
  'product_create: price 19.999 -> PT422 invalid_price (never rounded silently)');
-- The price of a request with product fields too (product_create always has the name) is checked by lib.price
-- (the variant's), never cast to the product's derived price column first (that gave 22003 / 22P02).
select throws_ok($$select api.product_create('Zqxwv Inf', 'Infinity', 'ZQXWV-MJ-INF')$$, 'PT422', 'invalid_price',
  'product_create: price Infinity -> PT422 invalid_price');
select throws_ok(format($$select api.product_update(%s, '{"price": "Infinity", "name": "Zqxwv Renamed"}')$$, pg_temp.id('p')),
  'PT422', 'invalid_price', 'product_update: price "Infinity" with another field -> PT422 invalid_price');
select throws_ok(format($$select api.product_update(%s, '{"price": "abc", "name": "Zqxwv Renamed"}')$$, pg_temp.id('p')),
  'PT422', 'invalid_price', 'product_update: price "abc" with another field -> PT422 invalid_price');
select throws_ok(format($$select api.product_update(%s, '{"price": "NaN"}')$$, pg_temp.id('p')), 'PT422', 'invalid_price',
  'product_update: price "NaN" -> PT422 invalid_price');
select throws_ok(format($$select api.product_update(%s, '{"price": 19.999}')$$, pg_temp.id('p')), 'PT422', 'invalid_price',
  'product_update: price 19.999 -> PT422 invalid_price');
select throws_ok(format($$select api.product_update(%s, '{"price": "19.999", "name": "Zqxwv Renamed"}')$$, pg_temp.id('p')),
  'PT422', 'invalid_price', 'product_update: price "19.999" with another field -> PT422 invalid_price');
select throws_ok(format($$select api.product_update(%s, '{"price": "abc"}')$$, pg_temp.id('p')), 'PT422', 'invalid_price',
  'product_update: price "abc" -> PT422 invalid_price');
select throws_ok(format($$select api.product_update(%s, '{"price": true}')$$, pg_temp.id('p')), 'PT422', 'invalid_price',
  'product_update: price true -> PT422 invalid_price');
select throws_ok(format($$select api.product_update(%s, '{"price": -1}')$$, pg_temp.id('p')), 'PT422', 'invalid_price',
  'product_update: price -1 -> PT422 invalid_price');
select is(api.product_create('Zqxwv Fine', 19.99, 'ZQXWV-MJ-FINE') ->> 'price', '19.99',
  'product_create: price 19.99 is accepted');
select is(api.product_update(pg_temp.id('p'), '{"price": "12.50"}') ->> 'price', '12.50',
  'product_update: price "12.50" is accepted');
reset role;
select is(pg_temp.products() - 'ZQXWV-MJ-FINE', current_setting('tests.before')::jsonb,
  'the refused calls created no product and changed no price or name');
set local role pgshop_api;

select pg_temp.act_as(null);
select throws_ok($$select api.products_list(p_min_price => 'NaN')$$, 'PT422', 'invalid_price',
  'products_list: min_price NaN -> PT422 invalid_price');
select throws_ok($$select api.products_list(p_max_price => 'NaN')$$, 'PT422', 'invalid_price',
  'products_list: max_price NaN -> PT422 invalid_price');
select is(pg_temp.error_of($$select api.products_list(p_min_price => 1, p_max_price => 0.001)$$) ->> 'detail',
  'max_price must be a finite amount from 0 to 9999999999.99 with at most 2 decimals',
  'products_list: the detail names the bound (max_price)');
select lives_ok($$select api.products_list(p_min_price => 0, p_max_price => 9999999999.99)$$,
  'products_list: bounds 0 and 9999999999.99 are accepted');

-- Product metadata --------------------------------------------------------------------------------------
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select is(api.product_create('Zqxwv Deep', 1, 'ZQXWV-MJ-DEEP', p_metadata => pg_temp.nest(8))::jsonb -> 'metadata',
  pg_temp.nest(8), 'product_create: metadata 8 objects deep is accepted and kept');
select is(api.product_create('Zqxwv Deep Arrays', 1, 'ZQXWV-MJ-DEEPA',
                             p_metadata => jsonb_build_object('a', pg_temp.nest(7, true)))::jsonb -> 'metadata',
  jsonb_build_object('a', pg_temp.nest(7, true)), 'product_create: an object holding arrays 7 deep (8 levels) is accepted');
select is(api.product_create('Zqxwv Big', 1, 'ZQXWV-MJ-BIG', p_metadata => pg_temp.big(16384))::jsonb -> 'metadata',
  pg_temp.big(16384), 'product_create: metadata of exactly 16384 bytes of JSON text is accepted');
select throws_ok(format('select api.product_create(%L, 1, %L, p_metadata => %L)', 'Zqxwv Deeper', 'ZQXWV-MJ-DEEPER', pg_temp.nest(9)),
  'PT422', 'invalid_metadata', 'product_create: metadata 9 objects deep -> PT422 invalid_metadata');
select throws_ok(format('select api.product_create(%L, 1, %L, p_metadata => %L)', 'Zqxwv Deeper', 'ZQXWV-MJ-DEEPER',
                        jsonb_build_object('a', pg_temp.nest(8, true))),
  'PT422', 'invalid_metadata', 'product_create: an object holding arrays 8 deep (9 levels) -> PT422 invalid_metadata');
select throws_ok(format('select api.product_create(%L, 1, %L, p_metadata => %L)', 'Zqxwv Bigger', 'ZQXWV-MJ-BIGGER', pg_temp.big(16385)),
  'PT422', 'invalid_metadata', 'product_create: metadata of 16385 bytes -> PT422 invalid_metadata');
select throws_ok(format('select api.product_create(%L, 1, %L, p_metadata => %L)', 'Zqxwv Bigger', 'ZQXWV-MJ-BIGGER',
                        jsonb_build_object('a', repeat('é', 8200))),
  'PT422', 'invalid_metadata', 'product_create: 8200 characters but 16409 bytes -> PT422 invalid_metadata (bytes count)');
select is(pg_temp.error_of(format('select api.product_update(%s, %L)', pg_temp.id('p'),
                                  jsonb_build_object('metadata', pg_temp.nest(9)))) - 'hint',
  '{"sqlstate": "PT422", "message": "invalid_metadata",
    "detail": "metadata may take at most 16 KB and nest at most 8 levels deep"}'::jsonb,
  'product_update: metadata 9 levels deep -> PT422 invalid_metadata with its detail');
select throws_ok(format('select api.product_update(%s, %L)', pg_temp.id('p'), jsonb_build_object('metadata', pg_temp.big(16385))),
  'PT422', 'invalid_metadata', 'product_update: metadata of 16385 bytes -> PT422 invalid_metadata');
select throws_ok(format($$select api.product_update(%s, '{"metadata": []}')$$, pg_temp.id('p')),
  '23514', null, 'product_update: metadata that is not an object is still refused by its own check (23514)');
select is(api.product_update(pg_temp.id('p'), jsonb_build_object('metadata', pg_temp.nest(8)))::jsonb -> 'metadata',
  pg_temp.nest(8), 'product_update: metadata 8 levels deep is accepted');
reset role;
select is((select count(*) from shop.variants v where v.sku in ('ZQXWV-MJ-DEEPER', 'ZQXWV-MJ-BIGGER'))
          + (select count(*) from shop.products p where p.name in ('Zqxwv Deeper', 'Zqxwv Bigger')), 0::bigint,
  'the refused product_create calls created nothing (no product, no variant)');
select is((select p.metadata from shop.products p where p.id = pg_temp.id('p')), pg_temp.nest(8),
  'the refused product_update calls left the metadata as last accepted');

select col_has_check('shop', 'products', 'metadata', 'products has a check on metadata');
select is((select c.convalidated from pg_constraint c where c.conname = 'products_metadata_limits'
           and c.conrelid = 'shop.products'::regclass), true, 'products_metadata_limits exists and is validated');
select throws_ok(format($$insert into shop.products (name, metadata) values ('Zqxwv T', %L)$$,
                        pg_temp.nest(9)),
  '23514', 'new row for relation "products" violates check constraint "products_metadata_limits"',
  'a direct insert of metadata 9 levels deep violates products_metadata_limits');
select throws_ok(format($$insert into shop.products (name, metadata) values ('Zqxwv T', %L)$$,
                        pg_temp.big(16385)),
  '23514', 'new row for relation "products" violates check constraint "products_metadata_limits"',
  'a direct insert of metadata of 16385 bytes violates products_metadata_limits');
select throws_ok(format($$update shop.products set metadata = %L where id = %s$$, pg_temp.big(20000), pg_temp.id('p')),
  '23514', 'new row for relation "products" violates check constraint "products_metadata_limits"',
  'a direct update to metadata of 20000 bytes violates products_metadata_limits');
select lives_ok(format($$insert into shop.products (name, metadata) values ('Zqxwv T', %L)$$,
                       pg_temp.nest(8)),
  'a direct insert of metadata 8 levels deep is accepted');

-- shop.jsonb_within -----------------------------------------------------------------------------------
select volatility_is('shop', 'jsonb_within', array['jsonb', 'integer', 'integer'], 'immutable');
select is(shop.jsonb_within(v, d, b), want, format('jsonb_within(%s, %s, %s) is %s', left(v::text, 60), d, b, want))
from (values
  ('{}'::jsonb, 1, 100, true),
  ('{"a": {}}', 1, 100, false),
  ('{"a": 1, "b": "x"}', 1, 100, true),
  ('{"a": [1]}', 1, 100, false),
  ('{"a": [1]}', 2, 100, true),
  ('[]', 1, 100, true),
  ('[[]]', 1, 100, false),
  ('"a scalar"', 0, 100, true),
  ('{}', 0, 100, false),
  ('{"a": 1}', 8, 8, true),
  ('{"a": 1}', 8, 7, false),
  ('{"a": "é"}', 8, 11, true),
  ('{"a": "é"}', 8, 10, false),
  ('{"a": [{"b": [{"c": [{"d": [1]}]}]}]}', 8, 1000, true),
  ('{"a": [{"b": [{"c": [{"d": [{}]}]}]}]}', 8, 1000, false),
  ('{"a": {"b": 1}, "c": [[[[[[[]]]]]]]}', 8, 1000, true),
  ('{"a": {"b": 1}, "c": [[[[[[[[]]]]]]]]}', 8, 1000, false)
) t (v, d, b, want);
select is(shop.jsonb_within(pg_temp.nest(8), 8, 16384), true, 'jsonb_within: 8 nested objects within 8 levels');
select is(shop.jsonb_within(pg_temp.nest(9), 8, 16384), false, 'jsonb_within: 9 nested objects beyond 8 levels');
select is(shop.jsonb_within(pg_temp.nest(9, true), 8, 16384), false, 'jsonb_within: 9 nested arrays beyond 8 levels');
select is(shop.jsonb_within(pg_temp.nest(50), 8, 16384), false, 'jsonb_within: 50 levels beyond 8 levels');
select is(shop.jsonb_within(pg_temp.big(16384), 8, 16384), true, 'jsonb_within: exactly the byte limit');
select is(shop.jsonb_within(pg_temp.big(16385), 8, 16384), false, 'jsonb_within: one byte over the limit');

-- The domain shop.address -----------------------------------------------------------------------------
select col_type_is('shop', 'orders', 'shipping_address', 'shop.address', 'orders.shipping_address is a shop.address');
select is((select array_agg(c.conname::text order by c.conname) from pg_constraint c where c.contypid = 'shop.address'::regtype),
  array['address_is_complete', 'address_is_flat_object_of_strings'], 'shop.address has its two checks');
select is_empty($$select c.conname from pg_constraint c where c.conname = 'orders_shipping_address_complete'$$,
  'the old orders_shipping_address_complete constraint is dropped (the domain says it)');

-- Accepted shapes: a direct insert into shop.orders, and a checkout (dry run).
select lives_ok(format($$insert into shop.orders (user_id, total_amount, shipping_address) values (%s, 1, %L)$$,
                       pg_temp.id('u1'), a),
  format('a direct insert of an order accepts %s', label))
from (values
  ('only the five required fields', pg_temp.addr()),
  ('line2, region and phone as well', pg_temp.addr() || '{"line2": "Flat 2", "region": "IL", "phone": "555 0100"}'),
  ('20 fields', pg_temp.addr() || pg_temp.extras(15)),
  ('a value of 200 characters', pg_temp.addr() || jsonb_build_object('line2', repeat('x', 200))),
  ('a value of 200 two-byte characters (characters count, not bytes)', pg_temp.addr() || jsonb_build_object('line2', repeat('é', 200))),
  ('a value of 200 characters with line breaks', pg_temp.addr() || jsonb_build_object('line2', repeat(E'x\n', 100))),
  ('an empty optional field', pg_temp.addr() || '{"line2": ""}')
) v (label, a);

set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('u1'));
do $$ begin perform api.cart_add_item(null, pg_temp.id('p'), 1); end $$;
select is(
  pg_temp.dry_run(format('select pg_temp.checkout(%L)', pg_temp.addr() || pg_temp.extras(15) || jsonb_build_object('extra1', repeat('y', 200))))
    -> 'shipping_address',
  pg_temp.addr() || pg_temp.extras(15) || jsonb_build_object('extra1', repeat('y', 200)),
  'checkout: 20 fields, one of 200 characters: accepted and kept (dry run, rolled back)');
reset role;

-- Refused shapes: a direct insert (23514, the check named), and api.checkout (a 422 invalid_address problem
-- with its detail).
create temporary table bad_address (label text, address jsonb, constraint_name text, detail text) on commit drop;
grant select on bad_address to pgshop_api;
insert into bad_address values
  ('a nested object value', pg_temp.addr() || '{"line2": {"flat": "2"}}', 'address_is_flat_object_of_strings', 'flat'),
  ('a number value', pg_temp.addr() || '{"line2": 2}', 'address_is_flat_object_of_strings', 'flat'),
  ('a numeric postal_code', pg_temp.addr() || '{"postal_code": 12345}', 'address_is_flat_object_of_strings', 'flat'),
  ('a boolean value', pg_temp.addr() || '{"gift": true}', 'address_is_flat_object_of_strings', 'flat'),
  ('a null value', pg_temp.addr() || '{"line2": null}', 'address_is_flat_object_of_strings', 'flat'),
  ('an array value', pg_temp.addr() || '{"line2": ["Flat 2"]}', 'address_is_flat_object_of_strings', 'flat'),
  ('21 fields', pg_temp.addr() || pg_temp.extras(16), 'address_is_flat_object_of_strings', 'flat'),
  ('a value of 201 characters', pg_temp.addr() || jsonb_build_object('line2', repeat('x', 201)),
   'address_is_flat_object_of_strings', 'flat'),
  ('a required value of 201 characters', pg_temp.addr() || jsonb_build_object('city', repeat('x', 201)),
   'address_is_flat_object_of_strings', 'flat'),
  ('a value of 201 characters with line breaks', pg_temp.addr() || jsonb_build_object('line2', repeat(E'x\n', 100) || 'x'),
   'address_is_flat_object_of_strings', 'flat'),
  ('an array', '["Ann Zqxwv", "1 Zqxwv Street"]', 'address_is_complete', 'shipping_address must be an object'),
  ('a string', '"1 Zqxwv Street, Springfield"', 'address_is_complete', 'shipping_address must be an object'),
  ('no city', pg_temp.addr() - 'city', 'address_is_complete', 'shipping_address needs: city'),
  ('a blank name', pg_temp.addr() || '{"name": " \t "}', 'address_is_complete', 'shipping_address needs: name'),
  ('no country and an empty line1', pg_temp.addr() - 'country' || '{"line1": ""}', 'address_is_complete',
   'shipping_address needs: line1, country');
update bad_address
set detail = 'shipping_address must be a flat object of at most 20 fields (names up to 50 characters) whose values are strings of at most 200 characters'
where detail = 'flat';

select throws_ok(
  format($$insert into shop.orders (user_id, total_amount, shipping_address) values (%s, 1, %L)$$, pg_temp.id('u1'), b.address),
  '23514', format('value for domain shop.address violates check constraint "%s"', b.constraint_name),
  format('a direct insert of an order with %s violates %s', b.label, b.constraint_name))
from bad_address b order by b.label;
select throws_ok(
  format($$update shop.orders set shipping_address = shipping_address || '{"line2": {"flat": "2"}}' where id = %s$$, pg_temp.id('o')),
  '23514', 'value for domain shop.address violates check constraint "address_is_flat_object_of_strings"',
  'a direct update nesting an object in an address violates address_is_flat_object_of_strings');

set local role pgshop_api;
select pg_temp.problem_is(format('select pg_temp.checkout(%L)', b.address), 422, 'invalid_address',
  format('checkout: an address with %s -> 422 invalid_address problem', b.label))
from bad_address b order by b.label;
select is(pg_temp.problem(format('select pg_temp.checkout(%L)', b.address)) ->> 'detail', b.detail,
  format('invalid_address: the detail for %s', b.label))
from bad_address b order by b.label;
reset role;
select is((select count(*) from shop.orders o where o.user_id = pg_temp.id('u1')), 8::bigint,
  'no refused address made an order (the set-up order and the seven accepted direct inserts only)');

select * from finish();
rollback;
