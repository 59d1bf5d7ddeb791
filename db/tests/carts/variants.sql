-- Carts and checkout with variants (as pgshop_api): api.cart_add_item / cart_set_item / cart_remove_item by
-- product (a product with one variant) or by variant, lines per variant with its SKU and options; checkout
-- takes the stock of the variants sold only, names the variant short of stock, and the stock ledger
-- (shop.stock_movements) and low-stock alerts (shop.low_stock_alerts) are per variant.
begin;
select * from no_plan();
\ir ../helpers.psql

-- The id of the test variant with SKU p_sku (kept at set-up as tests.v.<sku>, from variants_list as an admin
-- sees it: inactive ones included).
create function pg_temp.sku_variant(p_sku text) returns bigint
language sql stable as $$ select current_setting('tests.v.' || translate(lower(p_sku), '-', '_'))::bigint $$;
-- The cart's lines as "SKU:quantity", in order.
create function pg_temp.lines(p_cart json) returns text[]
language sql immutable as $$
  select array(select (i ->> 'sku') || ':' || (i ->> 'quantity') from json_array_elements(p_cart -> 'items') i)
$$;
-- The stock of the test variants, {"SKU": stock} (as the owner).
create function pg_temp.stock() returns jsonb
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select jsonb_object_agg(v.sku, v.stock_quantity) from shop.variants v where v.sku like 'ZQXWV-CV-%'
$$;

-- Function properties ---------------------------------------------------------------------------------
select function_privs_are('api', 'cart_add_item', array['text', 'bigint', 'integer', 'bigint'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'cart_set_item', array['text', 'bigint', 'integer', 'bigint'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'cart_remove_item', array['text', 'bigint', 'bigint'], 'pgshop_api', array['EXECUTE']);
select volatility_is('api', 'cart_add_item', array['text', 'bigint', 'integer', 'bigint'], 'volatile');
select volatility_is('api', 'cart_set_item', array['text', 'bigint', 'integer', 'bigint'], 'volatile');
select volatility_is('api', 'cart_remove_item', array['text', 'bigint', 'bigint'], 'volatile');
select is_definer('api', 'cart_add_item', array['text', 'bigint', 'integer', 'bigint']);
select is_definer('api', 'cart_set_item', array['text', 'bigint', 'integer', 'bigint']);
select is_definer('api', 'cart_remove_item', array['text', 'bigint', 'bigint']);
select hasnt_function('api', 'cart_add_item', array['text', 'bigint', 'integer'],
  'cart_add_item(text, bigint, integer) is gone: one function, variant_id optional');

-- Set-up ------------------------------------------------------------------------------------------------
-- Products (through the API, as an admin):
--   Shirt  options Size S, M, L, XL, XXL: S 20.00 (stock 5, threshold 1; the default), M 22.00 (3, 1),
--          L 24.00 (10, 2), XL 26.00 (5, 0; inactive), XXL 28.00 (5; deleted)
--   Mug    no options: one variant 8.00 (4, threshold 0)
--   Cap    options Colour Red, Blue: Red 15.00 (6, 0) live, Blue deleted: one live variant
--   Hat    no options: its one variant inactive
do $$
begin
  perform pg_temp.new_user('admin', 'zqxwv-cv-admin@zqxwv.test', 'Ad', 'Min', 'admin');
  perform pg_temp.new_user('c1', 'zqxwv-cv-one@zqxwv.test', 'Cus', 'One');
  perform pg_temp.new_user('c2', 'zqxwv-cv-two@zqxwv.test', 'Cus', 'Two');
  -- This file checks out several times: no per-user checkout limit here (platform/rate_limits.sql tests it).
  update shop.settings set value = '0' where name = 'rate_limit_checkout_per_user';
end
$$;

set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select pg_temp.keep('shirt', api.product_create('Zqxwv Cart Shirt', 20, 'ZQXWV-CV-SHIRT-S', p_stock_quantity => 5,
  p_low_stock_threshold => 1));
select api.product_option_create(pg_temp.id('shirt'), 'Size', '["S", "M", "L", "XL", "XXL"]');
select api.variant_create(pg_temp.id('shirt'),
  '{"sku": "ZQXWV-CV-SHIRT-M", "price": 22, "stock_quantity": 3, "low_stock_threshold": 1, "options": {"Size": "M"}}');
select api.variant_create(pg_temp.id('shirt'),
  '{"sku": "ZQXWV-CV-SHIRT-L", "price": 24, "stock_quantity": 10, "low_stock_threshold": 2, "options": {"Size": "L"}}');
select api.variant_create(pg_temp.id('shirt'),
  '{"sku": "ZQXWV-CV-SHIRT-XL", "price": 26, "stock_quantity": 5, "low_stock_threshold": 0, "is_active": false,
    "options": {"Size": "XL"}}');
select api.variant_create(pg_temp.id('shirt'),
  '{"sku": "ZQXWV-CV-SHIRT-XXL", "price": 28, "stock_quantity": 5, "options": {"Size": "XXL"}}');
select pg_temp.keep('mug', api.product_create('Zqxwv Cart Mug', 8, 'ZQXWV-CV-MUG', p_stock_quantity => 4,
  p_low_stock_threshold => 0));
select pg_temp.keep('cap', api.product_create('Zqxwv Cart Cap', 15, 'ZQXWV-CV-CAP-RED', p_stock_quantity => 6,
  p_low_stock_threshold => 0));
select api.product_option_create(pg_temp.id('cap'), 'Colour', '["Red", "Blue"]');
select api.variant_create(pg_temp.id('cap'), '{"sku": "ZQXWV-CV-CAP-BLUE", "price": 15, "options": {"Colour": "Blue"}}');
select pg_temp.keep('hat', api.product_create('Zqxwv Cart Hat', 9, 'ZQXWV-CV-HAT', p_stock_quantity => 4));
-- Every variant's id as tests.v.<sku>.
select set_config('tests.v.' || translate(lower(v ->> 'sku'), '-', '_'), v ->> 'id', true)
from unnest(array['shirt', 'mug', 'cap', 'hat']) k, json_array_elements(api.variants_list(pg_temp.id(k)) -> 'items') v;
select api.variant_delete(pg_temp.id('shirt'), pg_temp.sku_variant('ZQXWV-CV-SHIRT-XXL'));
select api.variant_delete(pg_temp.id('cap'), pg_temp.sku_variant('ZQXWV-CV-CAP-BLUE'));
select api.variant_update(pg_temp.id('hat'), pg_temp.sku_variant('ZQXWV-CV-HAT'), '{"is_active": false}');
select is(pg_temp.stock(),
  '{"ZQXWV-CV-SHIRT-S": 5, "ZQXWV-CV-SHIRT-M": 3, "ZQXWV-CV-SHIRT-L": 10, "ZQXWV-CV-SHIRT-XL": 5,
    "ZQXWV-CV-SHIRT-XXL": 5, "ZQXWV-CV-MUG": 4, "ZQXWV-CV-CAP-RED": 6, "ZQXWV-CV-CAP-BLUE": 0, "ZQXWV-CV-HAT": 4}'::jsonb,
  'set-up: the variants and their stock');

-- Adding to the cart ---------------------------------------------------------------------------------------
select pg_temp.act_as(pg_temp.id('c1'));
select is(api.cart_add_item(null, pg_temp.id('mug'), 2)::jsonb -> 'items',
  jsonb_build_array(jsonb_build_object('product_id', pg_temp.id('mug'), 'variant_id', pg_temp.sku_variant('ZQXWV-CV-MUG'),
    'name', 'Zqxwv Cart Mug', 'sku', 'ZQXWV-CV-MUG', 'options', '{}'::jsonb, 'unit_price', '8.00', 'quantity', 2,
    'line_total', '16.00')),
  'cart_add_item by product_id, for a product with one variant: a line of that variant, options {}');
select throws_ok(format('select api.cart_add_item(null, %s, 1)', pg_temp.id('shirt')), 'PT422', 'variant_required',
  'cart_add_item by product_id, for a product with several variants -> PT422 variant_required');
select throws_ok('select api.cart_add_item(null, null, 1)', 'PT422', 'variant_required',
  'cart_add_item with neither product_id nor variant_id -> PT422 variant_required');
select is(api.cart_add_item(null, pg_temp.id('shirt'), 2, pg_temp.sku_variant('ZQXWV-CV-SHIRT-M'))::jsonb -> 'items' -> 1,
  jsonb_build_object('product_id', pg_temp.id('shirt'), 'variant_id', pg_temp.sku_variant('ZQXWV-CV-SHIRT-M'),
    'name', 'Zqxwv Cart Shirt', 'sku', 'ZQXWV-CV-SHIRT-M', 'options', '{"Size": "M"}'::jsonb, 'unit_price', '22.00',
    'quantity', 2, 'line_total', '44.00'),
  'cart_add_item with product_id and variant_id: a line of the variant, with its SKU, options and price');
select pg_temp.keep('c1.cart', api.cart_add_item(null, null, 3, pg_temp.sku_variant('ZQXWV-CV-SHIRT-L')));
select is(pg_temp.lines(pg_temp.kept('c1.cart')::json), array['ZQXWV-CV-MUG:2', 'ZQXWV-CV-SHIRT-M:2', 'ZQXWV-CV-SHIRT-L:3'],
  'cart_add_item with variant_id only: another line of the same product, one per variant');
select is((pg_temp.kept('c1.cart') ->> 'total', pg_temp.kept('c1.cart') ->> 'item_count')::text, '(132.00,7)',
  'the cart''s total and item count add up every variant''s line');
select is(pg_temp.lines(api.cart_add_item(null, pg_temp.id('cap'), 1)), array['ZQXWV-CV-MUG:2', 'ZQXWV-CV-SHIRT-M:2',
    'ZQXWV-CV-SHIRT-L:3', 'ZQXWV-CV-CAP-RED:1'],
  'cart_add_item by product_id: a product with one live variant (another deleted) takes it');
select is(pg_temp.lines(api.cart_add_item(null, pg_temp.id('shirt'), 1, pg_temp.sku_variant('ZQXWV-CV-SHIRT-M'))),
  array['ZQXWV-CV-MUG:2', 'ZQXWV-CV-SHIRT-M:3', 'ZQXWV-CV-SHIRT-L:3', 'ZQXWV-CV-CAP-RED:1'],
  'cart_add_item: the same variant again adds to its line');

select throws_ok(format('select api.cart_add_item(null, null, 1, %s)', pg_temp.sku_variant('ZQXWV-CV-SHIRT-XL')),
  'PT409', 'variant_unavailable', 'cart_add_item: an inactive variant -> PT409 variant_unavailable');
select throws_ok(format('select api.cart_add_item(null, %s, 1, %s)', pg_temp.id('shirt'), pg_temp.sku_variant('ZQXWV-CV-SHIRT-XXL')),
  'PT409', 'variant_unavailable', 'cart_add_item: a deleted variant -> PT409 variant_unavailable');
select throws_ok(format('select api.cart_add_item(null, %s, 1)', pg_temp.id('hat')),
  'PT409', 'variant_unavailable', 'cart_add_item by product_id: its one variant inactive -> PT409 variant_unavailable');
select throws_ok(format('select api.cart_add_item(null, %s, 1, %s)', pg_temp.id('mug'), pg_temp.sku_variant('ZQXWV-CV-SHIRT-M')),
  'PT404', 'not_found', 'cart_add_item: a variant of another product than product_id -> PT404 not_found');
select throws_ok(format('select api.cart_add_item(null, null, 1, %s)',
  (select max(id) + 1000 from unnest(array[pg_temp.sku_variant('ZQXWV-CV-HAT'), pg_temp.sku_variant('ZQXWV-CV-CAP-BLUE')]) id)),
  'PT404', 'not_found', 'cart_add_item: an unknown variant -> PT404 not_found');

-- Stock is the variant's.
select throws_ok(format('select api.cart_add_item(null, null, 1, %s)', pg_temp.sku_variant('ZQXWV-CV-SHIRT-M')),
  'PT409', 'insufficient_stock', 'cart_add_item: above the variant''s stock (4 of M, 3 on hand) -> PT409 insufficient_stock');
select is(pg_temp.error_of(format('select api.cart_add_item(null, null, 1, %s)', pg_temp.sku_variant('ZQXWV-CV-SHIRT-M'))) - 'sqlstate' - 'message',
  jsonb_build_object('detail', 'not enough stock for ZQXWV-CV-SHIRT-M (4 wanted, 3 in stock)',
    'hint', jsonb_build_object('products', jsonb_build_array(jsonb_build_object('product_id', pg_temp.id('shirt'),
      'variant_id', pg_temp.sku_variant('ZQXWV-CV-SHIRT-M'), 'sku', 'ZQXWV-CV-SHIRT-M', 'requested', 4, 'available', 3)))::text),
  'insufficient_stock names the variant: its SKU in the detail, product_id, variant_id and sku in products');
select is(pg_temp.lines(api.cart_set_item(null, pg_temp.id('shirt'), 10, pg_temp.sku_variant('ZQXWV-CV-SHIRT-L'))),
  array['ZQXWV-CV-MUG:2', 'ZQXWV-CV-SHIRT-M:3', 'ZQXWV-CV-SHIRT-L:10', 'ZQXWV-CV-CAP-RED:1'],
  'cart_set_item with variant_id: sets that variant''s line (up to its own stock, 10)');
select throws_ok(format('select api.cart_set_item(null, %s, 4)', pg_temp.id('shirt')), 'PT422', 'variant_required',
  'cart_set_item by product_id, for a product with several variants -> PT422 variant_required');
select is(pg_temp.lines(api.cart_set_item(null, pg_temp.id('shirt'), 3, pg_temp.sku_variant('ZQXWV-CV-SHIRT-L'))),
  array['ZQXWV-CV-MUG:2', 'ZQXWV-CV-SHIRT-M:3', 'ZQXWV-CV-SHIRT-L:3', 'ZQXWV-CV-CAP-RED:1'], 'cart_set_item: back to 3');

-- Removing lines.
select is(pg_temp.lines(api.cart_remove_item(null, pg_temp.id('shirt'), pg_temp.sku_variant('ZQXWV-CV-SHIRT-L'))),
  array['ZQXWV-CV-MUG:2', 'ZQXWV-CV-SHIRT-M:3', 'ZQXWV-CV-CAP-RED:1'],
  'cart_remove_item with variant_id: removes that variant''s line only');
select api.cart_add_item(null, null, 1, pg_temp.sku_variant('ZQXWV-CV-SHIRT-S'));
select is(pg_temp.lines(api.cart_remove_item(null, pg_temp.id('shirt'))), array['ZQXWV-CV-MUG:2', 'ZQXWV-CV-CAP-RED:1'],
  'cart_remove_item without variant_id: removes every line of the product');
select api.cart_add_item(null, pg_temp.id('shirt'), 2, pg_temp.sku_variant('ZQXWV-CV-SHIRT-M'));
select pg_temp.keep('c1.cart', api.cart_add_item(null, pg_temp.id('shirt'), 3, pg_temp.sku_variant('ZQXWV-CV-SHIRT-L')));
select is(pg_temp.lines(pg_temp.kept('c1.cart')::json),
  array['ZQXWV-CV-MUG:2', 'ZQXWV-CV-CAP-RED:1', 'ZQXWV-CV-SHIRT-M:2', 'ZQXWV-CV-SHIRT-L:3'], 'c1''s cart before checkout');

-- A variant that goes inactive or is deleted leaves the carts -------------------------------------------------
select pg_temp.act_as(pg_temp.id('c2'));
select api.cart_add_item(null, null, 1, pg_temp.sku_variant('ZQXWV-CV-SHIRT-S'));
select api.cart_add_item(null, null, 1, pg_temp.sku_variant('ZQXWV-CV-SHIRT-L'));
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select api.variant_update(pg_temp.id('shirt'), pg_temp.sku_variant('ZQXWV-CV-SHIRT-S'), '{"is_active": false}');
select pg_temp.act_as(pg_temp.id('c2'));
select is(pg_temp.lines(api.cart_get()), array['ZQXWV-CV-SHIRT-L:1'], 'a line of a variant made inactive is not shown');
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select api.variant_update(pg_temp.id('shirt'), pg_temp.sku_variant('ZQXWV-CV-SHIRT-S'), '{"is_active": true}');
select pg_temp.act_as(pg_temp.id('c2'));
select is(pg_temp.lines(api.cart_get()), array['ZQXWV-CV-SHIRT-S:1', 'ZQXWV-CV-SHIRT-L:1'], '... and is back when it is active again');
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select api.variant_delete(pg_temp.id('shirt'), pg_temp.sku_variant('ZQXWV-CV-SHIRT-S'));
reset role;
select is((select count(*) from shop.cart_items ci where ci.variant_id = pg_temp.sku_variant('ZQXWV-CV-SHIRT-S')), 0::bigint,
  'variant_delete removes the variant''s lines from every cart');
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('c2'));
select is(pg_temp.lines(api.cart_get()), array['ZQXWV-CV-SHIRT-L:1'], 'c2''s cart keeps its other line');

-- Checkout: the stock of the variants sold --------------------------------------------------------------------
reset role;
do $$
begin
  perform set_config('tests.movements', (select coalesce(max(id), 0) from shop.stock_movements)::text, true);
end
$$;
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('c1'));
select pg_temp.keep('order1', pg_temp.checkout(pg_temp.addr()));
select is(
  (select jsonb_agg(i - 'unit_price' - 'total_price' - 'name' order by i ->> 'sku') from jsonb_array_elements(pg_temp.kept('order1') -> 'items') i),
  jsonb_build_array(
    jsonb_build_object('product_id', pg_temp.id('cap'), 'variant_id', pg_temp.sku_variant('ZQXWV-CV-CAP-RED'),
                       'sku', 'ZQXWV-CV-CAP-RED', 'options', '{"Colour": "Red"}'::jsonb, 'quantity', 1),
    jsonb_build_object('product_id', pg_temp.id('mug'), 'variant_id', pg_temp.sku_variant('ZQXWV-CV-MUG'),
                       'sku', 'ZQXWV-CV-MUG', 'options', '{}'::jsonb, 'quantity', 2),
    jsonb_build_object('product_id', pg_temp.id('shirt'), 'variant_id', pg_temp.sku_variant('ZQXWV-CV-SHIRT-L'),
                       'sku', 'ZQXWV-CV-SHIRT-L', 'options', '{"Size": "L"}'::jsonb, 'quantity', 3),
    jsonb_build_object('product_id', pg_temp.id('shirt'), 'variant_id', pg_temp.sku_variant('ZQXWV-CV-SHIRT-M'),
                       'sku', 'ZQXWV-CV-SHIRT-M', 'options', '{"Size": "M"}'::jsonb, 'quantity', 2)),
  'checkout: an order line per variant, with its variant_id, SKU and options');
select is(pg_temp.kept('order1') ->> 'total_amount', '147.00', 'checkout: priced at each variant''s price');
select is(pg_temp.stock(),
  '{"ZQXWV-CV-SHIRT-S": 5, "ZQXWV-CV-SHIRT-M": 1, "ZQXWV-CV-SHIRT-L": 7, "ZQXWV-CV-SHIRT-XL": 5,
    "ZQXWV-CV-SHIRT-XXL": 5, "ZQXWV-CV-MUG": 2, "ZQXWV-CV-CAP-RED": 5, "ZQXWV-CV-CAP-BLUE": 0, "ZQXWV-CV-HAT": 4}'::jsonb,
  'checkout takes the stock of the variants sold only: their siblings keep theirs');
select is(pg_temp.lines(api.cart_get()), '{}'::text[], 'checkout empties the cart');

reset role;
select results_eq(
  format($$select v.sku::text, m.delta, m.stock_after, m.reason::text, m.product_id
           from shop.stock_movements m join shop.variants v on v.id = m.variant_id
           where m.id > %s order by v.sku$$, current_setting('tests.movements')),
  format($$values ('ZQXWV-CV-CAP-RED', -1, 5, 'sale', %1$s::bigint), ('ZQXWV-CV-MUG', -2, 2, 'sale', %2$s),
                  ('ZQXWV-CV-SHIRT-L', -3, 7, 'sale', %3$s), ('ZQXWV-CV-SHIRT-M', -2, 1, 'sale', %3$s)$$,
         pg_temp.id('cap'), pg_temp.id('mug'), pg_temp.id('shirt')),
  'the ledger has a sale row per variant sold (delta, stock after), with its product');
select is((select count(*) from shop.stock_movements m where m.id > current_setting('tests.movements')::bigint
           and m.order_id = pg_temp.id('order1')), 4::bigint, '... each naming the order');
select is((select count(*) from shop.stock_reconciliation r where r.product_id = pg_temp.id('shirt') and r.difference <> 0),
  0::bigint, 'stock_reconciliation: the ledger of every shirt variant adds up to its stock');
select is((select count(*) from shop.stock_reconciliation r where r.product_id = pg_temp.id('shirt')), 5::bigint,
  'stock_reconciliation: a row per variant (deleted ones too)');

-- Low-stock alerts: M fell to its threshold (1); L (7, threshold 2) did not.
select results_eq(
  format($$select v.sku::text, a.product_id, a.stock_quantity, a.low_stock_threshold
           from shop.low_stock_alerts a join shop.variants v on v.id = a.variant_id
           where a.product_id = %s and a.closed_at is null order by v.sku$$, pg_temp.id('shirt')),
  format($$values ('ZQXWV-CV-SHIRT-M', %s::bigint, 1, 1)$$, pg_temp.id('shirt')),
  'low-stock alerts are per variant: the one sold down to its threshold has an open alert, its siblings none');
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select is(
  (select jsonb_agg(i - 'since') from jsonb_array_elements(api.low_stock_list()::jsonb -> 'items') i
   where (i ->> 'product_id')::bigint = pg_temp.id('shirt')),
  jsonb_build_array(jsonb_build_object('product_id', pg_temp.id('shirt'), 'variant_id', pg_temp.sku_variant('ZQXWV-CV-SHIRT-M'),
    'name', 'Zqxwv Cart Shirt', 'sku', 'ZQXWV-CV-SHIRT-M', 'options', '{"Size": "M"}'::jsonb, 'stock_quantity', 1,
    'low_stock_threshold', 1)),
  'low_stock_list: the variant low on stock, with its SKU and options');
select api.variant_update(pg_temp.id('shirt'), pg_temp.sku_variant('ZQXWV-CV-SHIRT-M'), '{"stock_quantity": 6}');
reset role;
select is((select count(*) from shop.low_stock_alerts a where a.variant_id = pg_temp.sku_variant('ZQXWV-CV-SHIRT-M')
           and a.closed_at is null), 0::bigint, 'restocking the variant closes its alert');
select results_eq(
  format($$select m.delta, m.stock_after, m.reason::text from shop.stock_movements m
           where m.variant_id = %s order by m.id desc limit 1$$, pg_temp.sku_variant('ZQXWV-CV-SHIRT-M')),
  $$values (5, 6, 'adjustment')$$, 'a restock through variant_update is an adjustment of that variant in the ledger');

-- Insufficient stock at checkout names the variant --------------------------------------------------------------
-- c2 has L:1; it adds M:2, then M sells elsewhere down to 1.
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('c2'));
select api.cart_add_item(null, pg_temp.id('shirt'), 2, pg_temp.sku_variant('ZQXWV-CV-SHIRT-M'));
reset role;
update shop.variants set stock_quantity = 1 where id = pg_temp.sku_variant('ZQXWV-CV-SHIRT-M');
do $$ begin perform set_config('tests.before', pg_temp.stock()::text, true); end $$;
set local role pgshop_api;
select pg_temp.problem_is($$select pg_temp.checkout(pg_temp.addr())$$, 409, 'insufficient_stock',
  'checkout: a variant short of stock -> 409 insufficient_stock problem');
select is(pg_temp.problem($$select pg_temp.checkout(pg_temp.addr())$$),
  jsonb_build_object('status', 409, 'code', 'insufficient_stock',
    'detail', 'not enough stock for ZQXWV-CV-SHIRT-M (2 wanted, 1 in stock)',
    'products', jsonb_build_array(jsonb_build_object('product_id', pg_temp.id('shirt'),
      'variant_id', pg_temp.sku_variant('ZQXWV-CV-SHIRT-M'), 'sku', 'ZQXWV-CV-SHIRT-M', 'requested', 2, 'available', 1))),
  'insufficient_stock: the detail and the products member name the variant (SKU, variant_id), not its siblings');
select is(pg_temp.stock(), current_setting('tests.before')::jsonb,
  'after the refused checkout no variant''s stock changed (L, which had enough, included)');
select is(pg_temp.lines(api.cart_get()), array['ZQXWV-CV-SHIRT-L:1', 'ZQXWV-CV-SHIRT-M:2'], '... and the cart is as it was');

-- Cancelling gives the stock back to the variants ---------------------------------------------------------------
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select is(api.order_set_status(pg_temp.id('order1'), 'cancelled') ->> 'status', 'cancelled', 'order 1 cancelled');
select is(pg_temp.stock() - 'ZQXWV-CV-SHIRT-XXL' - 'ZQXWV-CV-CAP-BLUE' - 'ZQXWV-CV-HAT' - 'ZQXWV-CV-SHIRT-XL',
  '{"ZQXWV-CV-SHIRT-S": 5, "ZQXWV-CV-SHIRT-M": 3, "ZQXWV-CV-SHIRT-L": 10, "ZQXWV-CV-MUG": 4, "ZQXWV-CV-CAP-RED": 6}'::jsonb,
  'cancelling an order returns each line''s quantity to its variant');
reset role;
select results_eq(
  format($$select v.sku::text, m.delta from shop.stock_movements m join shop.variants v on v.id = m.variant_id
           where m.order_id = %s and m.reason = 'cancel' order by v.sku$$, pg_temp.id('order1')),
  $$values ('ZQXWV-CV-CAP-RED', 1), ('ZQXWV-CV-MUG', 2), ('ZQXWV-CV-SHIRT-L', 3), ('ZQXWV-CV-SHIRT-M', 2)$$,
  'the ledger has a cancel row per variant returned');
select is((select count(*) from shop.stock_reconciliation r where r.difference <> 0
           and r.product_id in (pg_temp.id('shirt'), pg_temp.id('mug'), pg_temp.id('cap'), pg_temp.id('hat'))),
  0::bigint, 'stock_reconciliation: every test variant''s ledger adds up to its stock');

select * from finish();
rollback;
