-- api.product_create, product_get, product_update, product_delete (as pgshop_api) and the invariants of shop.products
-- and of its variants (migration 20261208200000: a product's SKU, price, stock and threshold are those of its
-- default variant, which product_create makes and product_update changes; the product JSON shows them, with
-- in_stock, price_range and, on a product's own page, its options and variants).
begin;
select * from no_plan();
\ir ../helpers.psql

-- Function properties ---------------------------------------------------------------------------------
select function_privs_are('api', 'product_create',
  array['text', 'numeric', 'text', 'text', 'bigint', 'integer', 'boolean', 'jsonb', 'integer', 'integer', 'numeric', 'text'],
  'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'product_get', array['bigint'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'product_update', array['bigint', 'jsonb'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'product_delete', array['bigint'], 'pgshop_api', array['EXECUTE']);
select volatility_is('api', 'product_create',
  array['text', 'numeric', 'text', 'text', 'bigint', 'integer', 'boolean', 'jsonb', 'integer', 'integer', 'numeric', 'text'],
  'volatile');
select volatility_is('api', 'product_get', array['bigint'], 'stable');
select volatility_is('api', 'product_update', array['bigint', 'jsonb'], 'volatile');
select volatility_is('api', 'product_delete', array['bigint'], 'volatile');
select is_definer('api', 'product_create',
  array['text', 'numeric', 'text', 'text', 'bigint', 'integer', 'boolean', 'jsonb', 'integer', 'integer', 'numeric', 'text']);
select is_definer('api', 'product_get', array['bigint']);
select is_definer('api', 'product_update', array['bigint', 'jsonb']);
select is_definer('api', 'product_delete', array['bigint']);

-- with_variant(product, patch): a product JSON whose one variant has the fields of patch changed.
create function pg_temp.with_variant(p_product jsonb, p_patch jsonb) returns jsonb
language sql immutable as $$
  select p_product || jsonb_build_object('variants', jsonb_build_array((p_product -> 'variants' -> 0) || p_patch))
$$;
-- range(min, max): a price_range.
create function pg_temp.range(p_min text, p_max text) returns jsonb
language sql immutable as $$ select jsonb_build_object('min', p_min, 'max', p_max) $$;

do $$
declare
  v_id bigint;
begin
  perform pg_temp.new_user('admin_id', 'zqxwv-prod-admin@zqxwv.test', 'Ad', 'Min', 'admin');
  perform pg_temp.new_user('customer_id', 'zqxwv-prod-customer@zqxwv.test', 'Cus', 'Tomer', 'customer');
  insert into shop.categories (name) values ('Zqxwv Products') returning id into v_id;
  perform set_config('tests.category', v_id::text, true);
  insert into shop.categories (name) values ('Zqxwv Products Other') returning id into v_id;
  perform set_config('tests.category2', v_id::text, true);
  perform set_config('tests.missing_category', ((select max(id) from shop.categories) + 1000)::text, true);
  -- A product last touched long ago (no stock), to see updated_at move.
  v_id := pg_temp.new_product('Zqxwv Old', 1, 'ZQXWV-OLD', 0);
  update shop.products set created_at = '2000-01-01 00:00:00+00' where id = v_id;
  perform pg_temp.backdate('shop.products', format('id = %s', v_id), '2000-01-01 00:00:00+00');
  perform set_config('tests.old', v_id::text, true);
  perform set_config('tests.missing_product', ((select max(id) from shop.products) + 1000)::text, true);
end
$$;

set local role pgshop_api;

-- api.product_create ----------------------------------------------------------------------------------
select pg_temp.act_as(pg_temp.id('admin_id'), 'admin');

select pg_temp.keep('p1', api.product_create(
  ' Zqxwv Widget ', 19.99, ' ZQXWV-SKU-1 ', 'A widget', pg_temp.id('category'), 7, true, '{"color": "red"}', 3));
select is(
  pg_temp.kept('p1') - 'id' - 'created_at' - 'updated_at' - 'variants',
  jsonb_build_object('name', 'Zqxwv Widget', 'description', 'A widget', 'price', '19.99',
    'category_id', pg_temp.id('category'), 'stock_quantity', 7, 'sku', 'ZQXWV-SKU-1', 'is_active', true,
    'metadata', '{"color": "red"}'::jsonb, 'low_stock_threshold', 3, 'in_stock', true,
    'price_range', pg_temp.range('19.99', '19.99'), 'options', '[]'::jsonb,
    'handle', 'zqxwv-widget-' || pg_temp.id('p1')),
  'product_create (admin) returns the product; name and sku trimmed; price as the string "19.99"; in stock, '
  'one price, no options; a handle made from its name and id');
select is(jsonb_typeof(pg_temp.kept('p1') -> 'price'), 'string', 'the price is a JSON string, not a number');
select is(
  array(select jsonb_object_keys(pg_temp.kept('p1')) order by 1),
  array['category_id', 'created_at', 'description', 'handle', 'id', 'in_stock', 'is_active', 'low_stock_threshold',
        'metadata', 'name', 'options', 'price', 'price_range', 'sku', 'stock_quantity', 'updated_at', 'variants'],
  'a product has exactly the documented fields (no search vector, no deleted_at)');
select is(jsonb_array_length(pg_temp.kept('p1') -> 'variants'), 1, 'product_create makes one variant, the default');
select is(
  (pg_temp.kept('p1') -> 'variants' -> 0) - 'created_at' - 'updated_at',
  jsonb_build_object('id', pg_temp.variant_of(pg_temp.id('p1')), 'product_id', pg_temp.id('p1'),
    'sku', 'ZQXWV-SKU-1', 'price', '19.99', 'compare_at_price', null, 'weight_grams', 0, 'stock_quantity', 7,
    'low_stock_threshold', 3, 'is_active', true, 'position', 0, 'options', '{}'::jsonb, 'in_stock', true,
    'deleted_at', null),
  '... which carries the SKU, price, stock and threshold (no options)');

select pg_temp.keep('p2', api.product_create('Zqxwv Plain', 5, 'ZQXWV-SKU-2'));
select is(
  pg_temp.kept('p2') - 'id' - 'created_at' - 'updated_at' - 'variants',
  jsonb_build_object('name', 'Zqxwv Plain', 'description', null, 'price', '5.00', 'category_id', null,
    'stock_quantity', 0, 'sku', 'ZQXWV-SKU-2', 'is_active', true, 'metadata', '{}'::jsonb, 'low_stock_threshold', 5,
    'in_stock', false, 'price_range', pg_temp.range('5.00', '5.00'), 'options', '[]'::jsonb,
    'handle', 'zqxwv-plain-' || pg_temp.id('p2')),
  'product_create defaults: stock 0 (not in stock), active, empty metadata, low stock threshold 5; price "5.00"');
select is((pg_temp.kept('p2') -> 'variants' -> 0) - 'id' - 'product_id' - 'created_at' - 'updated_at',
  jsonb_build_object('sku', 'ZQXWV-SKU-2', 'price', '5.00', 'compare_at_price', null, 'weight_grams', 0,
    'stock_quantity', 0, 'low_stock_threshold', 5, 'is_active', true, 'position', 0, 'options', '{}'::jsonb,
    'in_stock', false, 'deleted_at', null),
  '... and its variant has the defaults: weight 0, no compare-at price');

-- The default variant's weight and compare-at price (the two trailing arguments).
select pg_temp.keep('weighed', api.product_create('Zqxwv Weighed', 20, 'ZQXWV-SKU-W', p_weight_grams => 250,
                                                 p_compare_at_price => 24.5));
select is((pg_temp.kept('weighed') -> 'variants' -> 0) -> 'weight_grams', '250'::jsonb,
  'product_create: p_weight_grams is the variant''s weight');
select is((pg_temp.kept('weighed') -> 'variants' -> 0) ->> 'compare_at_price', '24.50',
  'product_create: p_compare_at_price is the variant''s compare-at price, a decimal string');
select throws_ok($$select api.product_create('Zqxwv Cheap', 20, 'ZQXWV-SKU-CMP', p_compare_at_price => 20)$$,
  'PT422', 'invalid_compare_at_price', 'product_create: a compare-at price not above the price -> PT422');

select pg_temp.keep('inactive', api.product_create('Zqxwv Hidden', 9.5, 'ZQXWV-SKU-HIDDEN', p_is_active => false));

select throws_ok($$select api.product_create('Zqxwv Again', 1, 'ZQXWV-SKU-1')$$, 'PT409', 'sku_taken',
  'product_create: a SKU in use -> PT409 sku_taken');
select throws_ok($$select api.product_create('Zqxwv Again', 1, '  ZQXWV-SKU-1 ')$$, 'PT409', 'sku_taken',
  'product_create: a SKU in use, with spaces around -> PT409 sku_taken');
select throws_ok($$select api.product_create('Zqxwv Negative', -0.01, 'ZQXWV-SKU-NEG')$$, 'PT422', 'invalid_price',
  'product_create: a negative price -> PT422 invalid_price');
select throws_ok($$select api.product_create('Zqxwv Negative', 1, 'ZQXWV-SKU-NEG', p_stock_quantity => -1)$$, '23514', null,
  'product_create: a negative stock -> 23514');
select throws_ok($$select api.product_create('  ', 1, 'ZQXWV-SKU-BLANK')$$, '23514', null,
  'product_create: a blank name -> 23514');
select throws_ok(
  format('select api.product_create(%L, 1, %L, p_category_id => %s)', 'Zqxwv Lost', 'ZQXWV-SKU-LOST', pg_temp.id('missing_category')),
  'PT422', 'unknown_category', 'product_create: a category that does not exist -> PT422 unknown_category');

-- A soft-deleted product frees its SKU.
select pg_temp.keep('gone', api.product_create('Zqxwv Gone', 3, 'ZQXWV-SKU-3'));
select api.product_delete(pg_temp.id('gone'));
select pg_temp.keep('reborn', api.product_create('Zqxwv Reborn', 4, 'ZQXWV-SKU-3'));
select isnt(pg_temp.id('reborn'), pg_temp.id('gone'), 'the SKU of a soft-deleted product can be used again');
select throws_ok($$select api.product_create('Zqxwv Again', 1, 'zqxwv-sku-1')$$, 'PT409', 'sku_taken',
  'product_create: a SKU in use in another letter case -> PT409 sku_taken (SKUs are case-insensitive)');

select pg_temp.act_as(pg_temp.id('customer_id'));
select throws_ok($$select api.product_create('Zqxwv Customer', 1, 'ZQXWV-SKU-C')$$, 'PT403', 'forbidden',
  'product_create: a customer -> PT403 forbidden');
select pg_temp.act_as(null);
select throws_ok($$select api.product_create('Zqxwv Anonymous', 1, 'ZQXWV-SKU-A')$$, 'PT401', 'unauthenticated',
  'product_create: anonymous -> PT401 unauthenticated');

-- api.product_get ---------------------------------------------------------------------------------------
select pg_temp.act_as(pg_temp.id('customer_id'));
select is(api.product_get(pg_temp.id('p1'))::jsonb, pg_temp.kept('p1'), 'product_get (customer) returns the product');
select throws_ok(format('select api.product_get(%s)', pg_temp.id('missing_product')), 'PT404', 'not_found',
  'product_get: an unknown id -> PT404 not_found');
select throws_ok(format('select api.product_get(%s)', pg_temp.id('gone')), 'PT404', 'not_found',
  'product_get: a deleted product -> PT404 not_found');
select throws_ok(format('select api.product_get(%s)', pg_temp.id('inactive')), 'PT404', 'not_found',
  'product_get: an inactive product, for a customer -> PT404 not_found');
select pg_temp.act_as(pg_temp.id('customer_id'), 'admin');
select throws_ok(format('select api.product_get(%s)', pg_temp.id('inactive')), 'PT404', 'not_found',
  'product_get: an inactive product, for a customer with an admin token -> PT404 not_found');

select pg_temp.act_as(null);
select is(api.product_get(pg_temp.id('p1'))::jsonb, pg_temp.kept('p1'), 'product_get (anonymous) returns an active product');
select throws_ok(format('select api.product_get(%s)', pg_temp.id('inactive')), 'PT404', 'not_found',
  'product_get: an inactive product, anonymous -> PT404 not_found');

select pg_temp.act_as(pg_temp.id('admin_id'), 'admin');
select is(api.product_get(pg_temp.id('inactive'))::jsonb, pg_temp.kept('inactive'), 'product_get: an admin sees an inactive product');
select throws_ok(format('select api.product_get(%s)', pg_temp.id('gone')), 'PT404', 'not_found',
  'product_get: a deleted product, even for an admin -> PT404 not_found');

-- api.product_update ------------------------------------------------------------------------------------
select pg_temp.keep('p1.v2', api.product_update(pg_temp.id('p1'), '{"price": "25"}'));
select is(pg_temp.kept('p1.v2') ->> 'price', '25.00', 'product_update: the price changes');
select is(pg_temp.kept('p1.v2') - 'price' - 'updated_at',
  pg_temp.with_variant(pg_temp.kept('p1'), '{"price": "25.00"}') - 'price' - 'updated_at'
    || jsonb_build_object('price_range', pg_temp.range('25.00', '25.00')),
  'product_update: nothing else changes (but the default variant''s price and the price range)');

select pg_temp.keep('p1.v3', api.product_update(pg_temp.id('p1'),
  '{"name": " Zqxwv Widget Pro ", "stock_quantity": 0, "metadata": {"size": "L"}, "low_stock_threshold": 1,
    "price": 30.5, "sku": "ZQXWV-SKU-1B", "category_id": null, "is_active": false}'));
select is(pg_temp.kept('p1.v3') - 'updated_at',
  pg_temp.with_variant(pg_temp.kept('p1'), '{"stock_quantity": 0, "low_stock_threshold": 1, "price": "30.50",
                                            "sku": "ZQXWV-SKU-1B", "in_stock": false}')
    - 'updated_at' || jsonb_build_object('name', 'Zqxwv Widget Pro', 'stock_quantity', 0,
    'metadata', '{"size": "L"}'::jsonb, 'low_stock_threshold', 1, 'price', '30.50', 'sku', 'ZQXWV-SKU-1B',
    'category_id', null, 'is_active', false, 'in_stock', false, 'price_range', pg_temp.range('30.50', '30.50')),
  'product_update: several fields at once (name/sku trimmed, metadata replaced, category cleared by null; '
  'SKU, price, stock and threshold are the default variant''s)');
select is(
  api.product_update(pg_temp.id('p1'), jsonb_build_object('description', null, 'category_id', pg_temp.id('category2')))::jsonb
    - 'updated_at',
  pg_temp.kept('p1.v3') - 'updated_at' || jsonb_build_object('description', null, 'category_id', pg_temp.id('category2')),
  'product_update: an explicit null clears the description; category_id set');
select is(
  api.product_update(pg_temp.id('p1'), '{}')::jsonb - 'updated_at',
  pg_temp.kept('p1.v3') - 'updated_at' || jsonb_build_object('description', null, 'category_id', pg_temp.id('category2')),
  'product_update: an empty patch changes nothing');

select throws_ok(format($$select api.product_update(%s, '{"price": 1, "role": "admin"}')$$, pg_temp.id('p1')),
  'PT422', 'unknown_field', 'product_update: an unknown key -> PT422 unknown_field');
select throws_ok(format($$select api.product_update(%s, '{"deleted_at": null}')$$, pg_temp.id('p1')),
  'PT422', 'unknown_field', 'product_update: deleted_at is not updatable -> PT422 unknown_field');
select throws_ok(format($$select api.product_update(%s, '{"id": 1}')$$, pg_temp.id('p1')),
  'PT422', 'unknown_field', 'product_update: id is not updatable -> PT422 unknown_field');
select is(pg_temp.error_of(format($$select api.product_update(%s, '{"price": 1, "role": "admin", "id": 1}')$$, pg_temp.id('p1'))) ->> 'detail',
  'these fields cannot be written: id, role', 'unknown_field: the detail names every field refused, in order');
select is(api.product_get(pg_temp.id('p1')) ->> 'price', '30.50', 'a refused patch changed nothing');
select throws_ok(format($$select api.product_update(%s, '{"price": 1}')$$, pg_temp.id('gone')),
  'PT404', 'not_found', 'product_update: a deleted product -> PT404 not_found');
select throws_ok(format($$select api.product_update(%s, '{"price": 1}')$$, pg_temp.id('missing_product')),
  'PT404', 'not_found', 'product_update: an unknown id -> PT404 not_found');
select throws_ok(format($$select api.product_update(%s, '{"sku": " ZQXWV-SKU-2 "}')$$, pg_temp.id('p1')),
  'PT409', 'sku_taken', 'product_update: another live product''s SKU -> PT409 sku_taken');
select throws_ok(format($$select api.product_update(%s, '{"category_id": %s}')$$, pg_temp.id('p1'), pg_temp.id('missing_category')),
  'PT422', 'unknown_category', 'product_update: a category that does not exist -> PT422 unknown_category');
select throws_ok(format($$select api.product_update(%s, '{"stock_quantity": -1}')$$, pg_temp.id('p1')),
  '23514', null, 'product_update: a negative stock -> 23514');

-- A patch of the default variant's fields alone (a threshold) touches the product too: the product was edited.
select is(
  (api.product_update(pg_temp.id('old'), '{"low_stock_threshold": 3}')::jsonb ->> 'updated_at')::timestamptz, now(),
  'product_update sets updated_at to now(), also for a default variant''s field alone');

select pg_temp.act_as(pg_temp.id('customer_id'), 'admin');
select throws_ok(format($$select api.product_update(%s, '{"price": 0}')$$, pg_temp.id('p2')),
  'PT403', 'forbidden', 'product_update: a customer (even with an admin token) -> PT403 forbidden');
select pg_temp.act_as(null);
select throws_ok(format($$select api.product_update(%s, '{"price": 0}')$$, pg_temp.id('p2')),
  'PT401', 'unauthenticated', 'product_update: anonymous -> PT401 unauthenticated');

-- api.product_delete ------------------------------------------------------------------------------------
select pg_temp.act_as(pg_temp.id('customer_id'));
select throws_ok(format('select api.product_delete(%s)', pg_temp.id('p2')), 'PT403', 'forbidden',
  'product_delete: a customer -> PT403 forbidden');
select pg_temp.act_as(null);
select throws_ok(format('select api.product_delete(%s)', pg_temp.id('p2')), 'PT401', 'unauthenticated',
  'product_delete: anonymous -> PT401 unauthenticated');

select pg_temp.act_as(pg_temp.id('admin_id'), 'admin');
select lives_ok(format('select api.product_delete(%s)', pg_temp.id('p2')), 'product_delete (admin)');
select throws_ok(format('select api.product_get(%s)', pg_temp.id('p2')), 'PT404', 'not_found',
  'a deleted product is gone for product_get');
select throws_ok(format('select api.product_delete(%s)', pg_temp.id('p2')), 'PT404', 'not_found',
  'product_delete: deleting again -> PT404 not_found');
select throws_ok(format('select api.product_delete(%s)', pg_temp.id('missing_product')), 'PT404', 'not_found',
  'product_delete: an unknown id -> PT404 not_found');

reset role;

select results_eq(
  format('select p.name::text, v.sku, p.deleted_at = now(), v.deleted_at = now() from shop.products p '
         'join shop.variants v on v.product_id = p.id where p.id = %s', pg_temp.id('p2')),
  $$values ('Zqxwv Plain', 'ZQXWV-SKU-2', true, true)$$,
  'product_delete is a soft delete: the row stays, with deleted_at set, and so does its variant''s');
select results_eq(
  format('select p.updated_at = now(), p.created_at from shop.products p where p.id = %s', pg_temp.id('old')),
  $$values (true, '2000-01-01 00:00:00+00'::timestamptz)$$,
  'in the table: the updated product''s updated_at is now(), created_at unchanged');

-- The updated_at trigger wins over whatever an update sets.
update shop.products set updated_at = '2000-01-01 00:00:00+00' where id = pg_temp.id('old');
select is((select p.updated_at from shop.products p where p.id = pg_temp.id('old')), now(),
  '_100_timestamps sets updated_at to now() even when an update sets it explicitly');

-- Table invariants ------------------------------------------------------------------------------------
-- The product keeps its own columns (and a derived price); SKU, price, stock and threshold are the variants'.
select col_has_check('shop', 'products', 'price', 'products has a check on price (derived, still never negative)');
select col_has_check('shop', 'variants', 'price', 'variants has a check on price');
select col_has_check('shop', 'variants', 'stock_quantity', 'variants has a check on stock_quantity');
select col_has_check('shop', 'products', 'name', 'products has a check on name');
select col_has_check('shop', 'variants', 'sku', 'variants has a check on sku');
select col_has_check('shop', 'variants', 'low_stock_threshold', 'variants has a check on low_stock_threshold');
select col_has_check('shop', 'products', 'metadata', 'products has a check on metadata');
select ok((select 'fillfactor=80' = any (reloptions) from pg_class where oid = 'shop.products'::regclass),
  'products keeps 20% of each page free, so its updates stay HOT (no index writes)');
select ok((select coalesce('fillfactor=80' = any (reloptions), false) from pg_class
           where oid = 'shop.variants'::regclass),
  'variants keeps 20% of each page free, so stock updates stay HOT (no index writes)');
select ok(not exists (select from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any (i.indkey)
                      where i.indrelid = 'shop.variants'::regclass and a.attname in ('stock_quantity', 'updated_at')),
  'no index on a variant''s stock_quantity or updated_at (an index on either would make every sale a non-HOT update)');
select ok(not exists (select from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any (i.indkey)
                      where i.indrelid = 'shop.products'::regclass and a.attname in ('in_stock', 'updated_at')),
  'no index on a product''s in_stock or updated_at (a sale that empties a variant updates the product)');

select throws_ok(format($$insert into shop.variants (product_id, sku, price) values (%s, 'ZQXWV-T1', -1)$$, pg_temp.id('old')),
  '23514', 'new row for relation "variants" violates check constraint "variants_price_not_negative"',
  'a negative price violates variants_price_not_negative');
select throws_ok(format($$insert into shop.variants (product_id, sku, price, stock_quantity) values (%s, 'ZQXWV-T2', 1, -1)$$,
                        pg_temp.id('old')),
  '23514', 'new row for relation "variants" violates check constraint "variants_stock_not_negative"',
  'a negative stock violates variants_stock_not_negative');
select throws_ok(format('update shop.variants set stock_quantity = stock_quantity - 4 where product_id = %s', pg_temp.id('old')),
  '23514', 'new row for relation "variants" violates check constraint "variants_stock_not_negative"',
  'an update taking the stock below zero violates variants_stock_not_negative');
select throws_ok(format($$insert into shop.variants (product_id, sku, price, low_stock_threshold) values (%s, 'ZQXWV-T3', 1, -1)$$,
                        pg_temp.id('old')),
  '23514', 'new row for relation "variants" violates check constraint "variants_low_stock_threshold_not_negative"',
  'a negative low stock threshold violates variants_low_stock_threshold_not_negative');
select throws_ok($$insert into shop.products (name, metadata) values ('Zqxwv T', '[]')$$,
  '23514', 'new row for relation "products" violates check constraint "products_metadata_is_object"',
  'metadata that is not an object violates products_metadata_is_object');
select throws_ok(format($$insert into shop.variants (product_id, sku, price) values (%s, ' ', 1)$$, pg_temp.id('old')),
  '23514', 'new row for relation "variants" violates check constraint "variants_sku_size"',
  'a blank SKU violates variants_sku_size');

select index_is_unique('shop', 'variants', 'variants_sku_live_key');
select is(
  (select pg_get_expr(i.indpred, i.indrelid) from pg_index i where i.indexrelid = 'shop.variants_sku_live_key'::regclass),
  '(deleted_at IS NULL)',
  'variants_sku_live_key is partial: only live variants');
select throws_ok(format($$insert into shop.variants (product_id, sku, price) values (%s, 'ZQXWV-SKU-3', 1)$$, pg_temp.id('old')),
  '23505', null, 'a second live variant with the same SKU violates variants_sku_live_key');
select throws_ok(format($$insert into shop.variants (product_id, sku, price) values (%s, 'zqxwv-sku-3', 1)$$, pg_temp.id('old')),
  '23505', null, '... in any letter case');
select lives_ok(
  format($$insert into shop.variants (product_id, sku, price, deleted_at) values (%s, 'ZQXWV-SKU-3', 1, now())$$,
         pg_temp.id('old')),
  'a deleted variant may share a SKU with a live one (and with other deleted ones)');

select * from finish();
rollback;
