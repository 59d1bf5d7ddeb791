-- Product options and variants: api.product_options_list, product_option_create, product_option_update,
-- product_option_delete, variants_list, variant_get, variant_create, variant_update, variant_delete (as
-- pgshop_api), the variant parts of api.product_get (options, variants, price_range, the default variant's price)
-- and the rules shop.variants and shop.variant_option_values keep for anyone writing, psql included (as the
-- owner: duplicate combinations and missing option values refused at commit, foreign values at once).
begin;
select * from no_plan();
\ir ../helpers.psql

-- An option as api.product_option_create returns it, without the ids: {name, position, values: [{value, position}]}.
create function pg_temp.no_ids(p_option json) returns jsonb
language sql immutable as $$
  select (p_option::jsonb - 'id') || jsonb_build_object('values', coalesce(
    (select jsonb_agg(v - 'id' order by n) from jsonb_array_elements(p_option::jsonb -> 'values') with ordinality x (v, n)),
    '[]'))
$$;
-- The id of value p_value of the option kept as tests.<p_option>.
create function pg_temp.value_id(p_option text, p_value text) returns bigint
language sql stable as $$
  select (v ->> 'id')::bigint from jsonb_array_elements(pg_temp.kept(p_option) -> 'values') v where v ->> 'value' = p_value
$$;
-- A variant as the API returns it, without what each row has of its own (id, created_at, updated_at).
create function pg_temp.bare(p_variant json) returns jsonb
language sql immutable as $$ select p_variant::jsonb - 'id' - 'created_at' - 'updated_at' $$;
-- The option names of a variant, in the order the JSON object lists them.
create function pg_temp.option_order(p_variant json) returns text[]
language sql immutable as $$ select array(select json_object_keys(p_variant -> 'options')) $$;
-- The SKUs of a list of variants ({items: [...]}) or of a product's variants, in order.
create function pg_temp.skus(p_variants json) returns text[]
language sql immutable as $$
  select array(select v ->> 'sku' from json_array_elements(coalesce(p_variants -> 'items', p_variants -> 'variants')) v)
$$;
-- outcome(at_commit, statements): runs the statements in turn in a subtransaction, then (at_commit) checks the
-- deferred constraints as a commit would (set constraints all immediate); returns the error raised, as
-- {sqlstate, message, detail, constraint}, or null when none. Nothing stays either way.
create function pg_temp.outcome(p_at_commit boolean, variadic p_sqls text[]) returns jsonb
language plpgsql as $$
declare
  v_sql text;
  v_state text;
  v_message text;
  v_detail text;
  v_constraint text;
begin
  begin
    foreach v_sql in array p_sqls loop
      execute v_sql;
    end loop;
    if p_at_commit then
      set constraints all immediate;
    end if;
    raise exception using errcode = 'ZQ000', message = 'no error';
  exception when others then
    get stacked diagnostics v_state = returned_sqlstate, v_message = message_text, v_detail = pg_exception_detail,
                            v_constraint = constraint_name;
  end;
  if v_state = 'ZQ000' then
    return null;
  end if;
  return jsonb_build_object('sqlstate', v_state, 'message', v_message, 'detail', v_detail,
                            'constraint', nullif(v_constraint, ''));
end
$$;

-- Function properties ---------------------------------------------------------------------------------
select function_privs_are('api', 'product_options_list', array['bigint'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'product_option_create', array['bigint', 'text', 'jsonb'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'product_option_update', array['bigint', 'bigint', 'jsonb'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'product_option_delete', array['bigint', 'bigint'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'variants_list', array['bigint'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'variant_get', array['bigint', 'bigint'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'variant_create', array['bigint', 'jsonb'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'variant_update', array['bigint', 'bigint', 'jsonb'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'variant_delete', array['bigint', 'bigint'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'products_facets',
  array['text', 'bigint', 'numeric', 'numeric', 'boolean', 'text[]'], 'pgshop_api', array['EXECUTE']);
select volatility_is('api', 'product_options_list', array['bigint'], 'stable');
select volatility_is('api', 'product_option_create', array['bigint', 'text', 'jsonb'], 'volatile');
select volatility_is('api', 'product_option_update', array['bigint', 'bigint', 'jsonb'], 'volatile');
select volatility_is('api', 'product_option_delete', array['bigint', 'bigint'], 'volatile');
select volatility_is('api', 'variants_list', array['bigint'], 'stable');
select volatility_is('api', 'variant_get', array['bigint', 'bigint'], 'stable');
select volatility_is('api', 'variant_create', array['bigint', 'jsonb'], 'volatile');
select volatility_is('api', 'variant_update', array['bigint', 'bigint', 'jsonb'], 'volatile');
select volatility_is('api', 'variant_delete', array['bigint', 'bigint'], 'volatile');
select volatility_is('api', 'products_facets', array['text', 'bigint', 'numeric', 'numeric', 'boolean', 'text[]'], 'stable');
select is_definer('api', 'product_options_list', array['bigint']);
select is_definer('api', 'product_option_create', array['bigint', 'text', 'jsonb']);
select is_definer('api', 'product_option_update', array['bigint', 'bigint', 'jsonb']);
select is_definer('api', 'product_option_delete', array['bigint', 'bigint']);
select is_definer('api', 'variants_list', array['bigint']);
select is_definer('api', 'variant_get', array['bigint', 'bigint']);
select is_definer('api', 'variant_create', array['bigint', 'jsonb']);
select is_definer('api', 'variant_update', array['bigint', 'bigint', 'jsonb']);
select is_definer('api', 'variant_delete', array['bigint', 'bigint']);
select is_definer('api', 'products_facets', array['text', 'bigint', 'numeric', 'numeric', 'boolean', 'text[]']);
-- The tables are the owner's: the API reaches them through its functions only.
select table_privs_are('shop', t, 'pgshop_api', '{}'::text[], format('pgshop_api has no privilege on shop.%s', t))
from unnest(array['product_options', 'product_option_values', 'variants', 'variant_option_values', 'variant_checks',
                  'price_bands']) t;
select ok((select condeferrable and condeferred from pg_constraint
           where conrelid = 'shop.variants'::regclass and conname = 'variants_one_per_combination'),
  'variants_one_per_combination is deferrable, initially deferred (a variant is written before its values)');
select ok((select tgdeferrable and tginitdeferred from pg_trigger
           where tgrelid = 'shop.variant_checks'::regclass and tgname = 'variant_checks_complete'),
  'variant_checks_complete is a constraint trigger deferred to commit');

-- Set-up ------------------------------------------------------------------------------------------------
do $$
declare
  v_id bigint;
begin
  perform pg_temp.new_user('admin_id', 'zqxwv-var-admin@zqxwv.test', 'Ad', 'Min', 'admin');
  perform pg_temp.new_user('customer_id', 'zqxwv-var-customer@zqxwv.test', 'Cus', 'Tomer', 'customer');
  insert into shop.categories (name) values ('Zqxwv Variants') returning id into v_id;
  perform set_config('tests.category', v_id::text, true);
  perform set_config('tests.missing_product', (coalesce((select max(id) from shop.products), 0) + 1000)::text, true);
  perform set_config('tests.missing_option', (coalesce((select max(id) from shop.product_options), 0) + 1000)::text, true);
  perform set_config('tests.missing_variant', (coalesce((select max(id) from shop.variants), 0) + 1000)::text, true);
end
$$;

set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin_id'), 'admin');

-- A product without options: one default variant ------------------------------------------------------
select pg_temp.keep('tee', api.product_create('Zqxwv Tee', 20, 'ZQXWV-TEE', 'A tee', pg_temp.id('category'), 7,
  p_low_stock_threshold => 2));
select pg_temp.keep('other', api.product_create('Zqxwv Other', 5, 'ZQXWV-OTHER', p_category_id => pg_temp.id('category')));
select is(pg_temp.kept('tee') -> 'options', '[]'::jsonb, 'product_create: a new product has no options');
select is(jsonb_array_length(pg_temp.kept('tee') -> 'variants'), 1, 'product_create: a new product has one variant');
select pg_temp.keep('tee.default', (pg_temp.kept('tee') -> 'variants' -> 0)::json);
select is(pg_temp.bare(pg_temp.kept('tee.default')::json),
  jsonb_build_object('product_id', pg_temp.id('tee'), 'sku', 'ZQXWV-TEE', 'price', '20.00', 'compare_at_price', null,
    'weight_grams', 0, 'stock_quantity', 7, 'low_stock_threshold', 2, 'is_active', true, 'position', 0,
    'options', '{}'::jsonb, 'in_stock', true, 'deleted_at', null),
  'product_create: its default variant carries the SKU, price, stock and threshold; options {}');
select is(api.variants_list(pg_temp.id('tee'))::jsonb,
  jsonb_build_object('items', jsonb_build_array(pg_temp.kept('tee.default')), 'next_cursor', null),
  'variants_list: the product''s one variant');
select is(api.product_options_list(pg_temp.id('tee'))::jsonb, '{"items": [], "next_cursor": null}'::jsonb,
  'product_options_list: no options yet');

-- api.product_option_create -----------------------------------------------------------------------------
select pg_temp.keep('size', api.product_option_create(pg_temp.id('tee'), ' Size ', '["S", " M ", "L"]'));
select is(pg_temp.no_ids(pg_temp.kept('size')::json),
  '{"name": "Size", "position": 0, "values": [{"value": "S", "position": 0}, {"value": "M", "position": 1},
    {"value": "L", "position": 2}]}'::jsonb,
  'product_option_create returns {id, name, position, values: [{id, value, position}]}; name and values trimmed');
select is(
  array(select jsonb_object_keys(pg_temp.kept('size')) order by 1), array['id', 'name', 'position', 'values'],
  'an option has exactly the fields id, name, position, values');
reset role;
select is(
  (select array_agg(ov.id order by ov.position) from shop.product_option_values ov where ov.option_id = pg_temp.id('size')),
  array[pg_temp.value_id('size', 'S'), pg_temp.value_id('size', 'M'), pg_temp.value_id('size', 'L')],
  'the value ids returned are those of the values stored, in order');
set local role pgshop_api;
select pg_temp.keep('colour', api.product_option_create(pg_temp.id('tee'), 'Colour', '["Red", "Blue"]'));
select is(pg_temp.no_ids(pg_temp.kept('colour')::json),
  '{"name": "Colour", "position": 1, "values": [{"value": "Red", "position": 0}, {"value": "Blue", "position": 1}]}'::jsonb,
  'product_option_create: a second option comes last (position 1)');
select is(api.variant_get(pg_temp.id('tee'), pg_temp.id('tee.default'))::jsonb -> 'options',
  '{"Size": "S", "Colour": "Red"}'::jsonb,
  'product_option_create: the existing variant takes the first value of each new option');
select is(pg_temp.option_order(api.variant_get(pg_temp.id('tee'), pg_temp.id('tee.default'))), array['Size', 'Colour'],
  'a variant''s options are listed in option order');
select is(api.product_options_list(pg_temp.id('tee'))::jsonb,
  jsonb_build_object('items', jsonb_build_array(pg_temp.kept('size'), pg_temp.kept('colour')), 'next_cursor', null),
  'product_options_list: the options in order, with their values');

-- The other product has options of its own (for foreign values below).
select pg_temp.keep('other.size', api.product_option_create(pg_temp.id('other'), 'Size', '["XXL"]'));
select pg_temp.keep('other.material', api.product_option_create(pg_temp.id('other'), 'Material', '["Cotton"]'));

-- api.variant_create ------------------------------------------------------------------------------------
select pg_temp.keep('m_red', api.variant_create(pg_temp.id('tee'),
  '{"sku": " ZQXWV-TEE-M-RED ", "price": "22.5", "compare_at_price": 30, "weight_grams": 200, "stock_quantity": 8,
    "low_stock_threshold": 1, "position": 1, "options": {"Size": "M", "Colour": "Red"}}'));
select is(pg_temp.bare(pg_temp.kept('m_red')::json),
  jsonb_build_object('product_id', pg_temp.id('tee'), 'sku', 'ZQXWV-TEE-M-RED', 'price', '22.50',
    'compare_at_price', '30.00', 'weight_grams', 200, 'stock_quantity', 8, 'low_stock_threshold', 1,
    'is_active', true, 'position', 1, 'options', '{"Size": "M", "Colour": "Red"}'::jsonb, 'in_stock', true,
    'deleted_at', null),
  'variant_create returns the variant: SKU trimmed, prices as strings, options by name');
select is(
  array(select jsonb_object_keys(pg_temp.kept('m_red')) order by 1),
  array['compare_at_price', 'created_at', 'deleted_at', 'id', 'in_stock', 'is_active', 'low_stock_threshold',
        'options', 'position', 'price', 'product_id', 'sku', 'stock_quantity', 'updated_at', 'weight_grams'],
  'a variant has exactly the documented fields');
select pg_temp.keep('l_blue', api.variant_create(pg_temp.id('tee'),
  '{"sku": "ZQXWV-TEE-L-BLUE", "price": 25, "position": 2, "options": {"size": "l", "COLOUR": " blue "}}'));
select is(pg_temp.kept('l_blue') -> 'options', '{"Size": "L", "Colour": "Blue"}'::jsonb,
  'variant_create: option names and values match in any letter case (and trimmed); stored as the option says');
select is(array[pg_temp.kept('l_blue') ->> 'stock_quantity', pg_temp.kept('l_blue') ->> 'in_stock'], array['0', 'false'],
  'variant_create: stock defaults to 0, so the variant is not in stock');
select is(api.variant_get(pg_temp.id('tee'), pg_temp.id('m_red'))::jsonb, pg_temp.kept('m_red'),
  'variant_get returns the variant');

-- api.product_get: options, variants, price_range --------------------------------------------------------
select pg_temp.act_as(pg_temp.id('customer_id'));
select pg_temp.keep('tee.detail', api.product_get(pg_temp.id('tee')));
select is(pg_temp.kept('tee.detail') -> 'options', jsonb_build_array(pg_temp.kept('size'), pg_temp.kept('colour')),
  'product_get: the product''s options with their values, in order');
select is(pg_temp.skus(pg_temp.kept('tee.detail')::json), array['ZQXWV-TEE', 'ZQXWV-TEE-M-RED', 'ZQXWV-TEE-L-BLUE'],
  'product_get: its variants, in position order');
select is(pg_temp.kept('tee.detail') -> 'variants' -> 1, pg_temp.kept('m_red'), 'product_get: each variant in full');
select is(pg_temp.kept('tee.detail') -> 'price_range', '{"min": "20.00", "max": "25.00"}'::jsonb,
  'product_get: price_range spans its variants'' prices');
select is(
  array[pg_temp.kept('tee.detail') ->> 'price', pg_temp.kept('tee.detail') ->> 'sku',
        pg_temp.kept('tee.detail') ->> 'stock_quantity', pg_temp.kept('tee.detail') ->> 'in_stock'],
  array['20.00', 'ZQXWV-TEE', '7', 'true'],
  'product_get: price, SKU and stock are the default variant''s (the first by position)');
select is(api.variants_list(pg_temp.id('tee'))::jsonb -> 'items', pg_temp.kept('tee.detail') -> 'variants',
  'variants_list: the same variants as product_get');

-- The product's price follows its default variant --------------------------------------------------------
select pg_temp.act_as(pg_temp.id('admin_id'), 'admin');
select api.variant_update(pg_temp.id('tee'), pg_temp.id('l_blue'), '{"position": -1}');
select is(
  (select array[p ->> 'price', p ->> 'sku', p ->> 'stock_quantity', p ->> 'in_stock']
   from (select api.product_get(pg_temp.id('tee'))::jsonb) x (p)),
  array['25.00', 'ZQXWV-TEE-L-BLUE', '0', 'true'],
  'a variant moved first becomes the default: the product shows its price, SKU and stock (in_stock: any variant)');
reset role;
select is((select p.price from shop.products p where p.id = pg_temp.id('tee')), 25.00::numeric,
  'in the table: shop.products.price is the default variant''s');
set local role pgshop_api;
select api.variant_update(pg_temp.id('tee'), pg_temp.id('l_blue'), '{"price": "26"}');
select is(api.product_get(pg_temp.id('tee')) ->> 'price', '26.00', 'the default variant''s new price is the product''s');
select is(api.variant_update(pg_temp.id('tee'), pg_temp.id('l_blue'), '{"position": 2}')::jsonb -> 'position', '2'::jsonb,
  'variant_update: position');
select is(api.product_get(pg_temp.id('tee')) ->> 'price', '20.00', 'moved back, the first variant is the default again');
select is(api.product_update(pg_temp.id('tee'), '{"price": 21}')::jsonb ->> 'price', '21.00',
  'product_update: a price changes the default variant''s');
select is(api.variant_get(pg_temp.id('tee'), pg_temp.id('tee.default')) ->> 'price', '21.00',
  '... which variant_get shows');
select is(api.variant_get(pg_temp.id('tee'), pg_temp.id('m_red')) ->> 'price', '22.50', '... and no other variant''s');

-- Inactive variants ---------------------------------------------------------------------------------------
select is(api.variant_update(pg_temp.id('tee'), pg_temp.id('l_blue'), '{"is_active": false}')::jsonb -> 'is_active',
  'false'::jsonb, 'variant_update: is_active');
select is(pg_temp.skus(api.variants_list(pg_temp.id('tee'))), array['ZQXWV-TEE', 'ZQXWV-TEE-M-RED', 'ZQXWV-TEE-L-BLUE'],
  'variants_list (admin): an inactive variant is listed');
select is(pg_temp.skus(api.product_get(pg_temp.id('tee'))), array['ZQXWV-TEE', 'ZQXWV-TEE-M-RED', 'ZQXWV-TEE-L-BLUE'],
  'product_get (admin): an inactive variant is listed');
select pg_temp.act_as(pg_temp.id('customer_id'));
select is(pg_temp.skus(api.variants_list(pg_temp.id('tee'))), array['ZQXWV-TEE', 'ZQXWV-TEE-M-RED'],
  'variants_list (customer): an inactive variant is not');
select is(pg_temp.skus(api.product_get(pg_temp.id('tee'))), array['ZQXWV-TEE', 'ZQXWV-TEE-M-RED'],
  'product_get (customer): an inactive variant is not');
select is(api.product_get(pg_temp.id('tee'))::jsonb -> 'price_range', '{"min": "21.00", "max": "22.50"}'::jsonb,
  'price_range: inactive variants do not count');
select throws_ok(format('select api.variant_get(%s, %s)', pg_temp.id('tee'), pg_temp.id('l_blue')), 'PT404', 'not_found',
  'variant_get: an inactive variant, for a customer -> PT404 not_found');
select pg_temp.act_as(pg_temp.id('admin_id'), 'admin');
select api.variant_update(pg_temp.id('tee'), pg_temp.id('l_blue'), '{"is_active": true}');

-- variant_exists: one live variant per combination ----------------------------------------------------------
select throws_ok(format($$select api.variant_create(%s, '{"sku": "ZQXWV-TEE-DUP", "price": 1, "options": {"Size": "M", "Colour": "Red"}}')$$,
  pg_temp.id('tee')), 'PT409', 'variant_exists', 'variant_create: the combination of a live variant -> PT409 variant_exists');
select throws_ok(format($$select api.variant_create(%s, '{"sku": "ZQXWV-TEE-DUP", "price": 1, "options": {"colour": "RED", "size": "m"}}')$$,
  pg_temp.id('tee')), 'PT409', 'variant_exists',
  'variant_create: the same combination in other letter case and order -> PT409 variant_exists');
select throws_ok(format($$select api.variant_update(%s, %s, '{"options": {"Size": "M", "Colour": "Red"}}')$$,
  pg_temp.id('tee'), pg_temp.id('l_blue')), 'PT409', 'variant_exists',
  'variant_update: options of another live variant -> PT409 variant_exists');
select is(api.variant_get(pg_temp.id('tee'), pg_temp.id('l_blue'))::jsonb -> 'options', '{"Size": "L", "Colour": "Blue"}'::jsonb,
  '... and the variant keeps its options');
select is(pg_temp.skus(api.variants_list(pg_temp.id('tee'))), array['ZQXWV-TEE', 'ZQXWV-TEE-M-RED', 'ZQXWV-TEE-L-BLUE'],
  'the refused variants were not made');
select is(api.variant_update(pg_temp.id('tee'), pg_temp.id('l_blue'), '{"options": {"Size": "L", "Colour": "Red"}}')::jsonb -> 'options',
  '{"Size": "L", "Colour": "Red"}'::jsonb, 'variant_update: options to a free combination');
select is(api.variant_update(pg_temp.id('tee'), pg_temp.id('l_blue'), '{"options": {"Size": "L", "Colour": "Blue"}}')::jsonb -> 'options',
  '{"Size": "L", "Colour": "Blue"}'::jsonb, '... and back');

-- A deleted variant frees its combination and its SKU.
select pg_temp.keep('s_blue', api.variant_create(pg_temp.id('tee'),
  '{"sku": "ZQXWV-TEE-S-BLUE", "price": 19, "options": {"Size": "S", "Colour": "Blue"}}'));
select lives_ok(format('select api.variant_delete(%s, %s)', pg_temp.id('tee'), pg_temp.id('s_blue')), 'variant_delete (admin)');
select throws_ok(format('select api.variant_get(%s, %s)', pg_temp.id('tee'), pg_temp.id('s_blue')), 'PT404', 'not_found',
  'variant_get: a deleted variant, even for an admin -> PT404 not_found');
select throws_ok(format('select api.variant_delete(%s, %s)', pg_temp.id('tee'), pg_temp.id('s_blue')), 'PT404', 'not_found',
  'variant_delete: deleting again -> PT404 not_found');
select throws_ok(format($$select api.variant_update(%s, %s, '{"price": 1}')$$, pg_temp.id('tee'), pg_temp.id('s_blue')),
  'PT404', 'not_found', 'variant_update: a deleted variant -> PT404 not_found');
select pg_temp.keep('s_blue2', api.variant_create(pg_temp.id('tee'),
  '{"sku": "zqxwv-tee-s-blue", "price": 19, "options": {"Size": "S", "Colour": "Blue"}}'));
select isnt(pg_temp.id('s_blue2'), pg_temp.id('s_blue'),
  'variant_create: the combination and SKU (in another letter case) of a deleted variant can be used again');
select api.variant_delete(pg_temp.id('tee'), pg_temp.id('s_blue2'));
reset role;
select results_eq(
  format('select v.sku, v.deleted_at = now() from shop.variants v where v.id = %s', pg_temp.id('s_blue')),
  $$values ('ZQXWV-TEE-S-BLUE'::text, true)$$,
  'variant_delete is a soft delete: the row stays, with deleted_at set');
set local role pgshop_api;

-- A product without options has one variant: a second one would share its (empty) combination.
select throws_ok(format($$select api.variant_create(%s, '{"sku": "ZQXWV-PLAIN-2", "price": 1}')$$,
  api.product_create('Zqxwv Plain', 3, 'ZQXWV-PLAIN') ->> 'id'), 'PT409', 'variant_exists',
  'variant_create: a second variant of a product without options -> PT409 variant_exists');

-- sku_taken: SKUs unique among live variants, in any letter case ---------------------------------------------
select throws_ok(format($$select api.variant_create(%s, '{"sku": "zqxwv-tee-m-red", "price": 1, "options": {"Size": "S", "Colour": "Blue"}}')$$,
  pg_temp.id('tee')), 'PT409', 'sku_taken', 'variant_create: a live SKU in another letter case -> PT409 sku_taken');
select throws_ok(format($$select api.variant_create(%s, '{"sku": " ZQXWV-TEE ", "price": 1, "options": {"Size": "S", "Colour": "Blue"}}')$$,
  pg_temp.id('tee')), 'PT409', 'sku_taken', 'variant_create: a live SKU with spaces around -> PT409 sku_taken');
select throws_ok(format($$select api.variant_create(%s, '{"sku": "Zqxwv-Tee-M-Red", "price": 1, "options": {"Size": "XXL", "Material": "Cotton"}}')$$,
  pg_temp.id('other')), 'PT409', 'sku_taken', 'variant_create: the SKU of another product''s variant -> PT409 sku_taken');
select throws_ok(format($$select api.variant_update(%s, %s, '{"sku": "ZQXWV-TEE-m-red"}')$$, pg_temp.id('tee'), pg_temp.id('l_blue')),
  'PT409', 'sku_taken', 'variant_update: another live variant''s SKU -> PT409 sku_taken');
select throws_ok($$select api.product_create('Zqxwv Clash', 1, 'zqxwv-tee-l-blue')$$, 'PT409', 'sku_taken',
  'product_create: the SKU of a live variant, in another letter case -> PT409 sku_taken');
select is(api.variant_update(pg_temp.id('tee'), pg_temp.id('l_blue'), '{"sku": "zqxwv-tee-l-blue"}') ->> 'sku',
  'zqxwv-tee-l-blue', 'variant_update: a variant may change the letter case of its own SKU');
select api.variant_update(pg_temp.id('tee'), pg_temp.id('l_blue'), '{"sku": "ZQXWV-TEE-L-BLUE"}');

-- invalid_option_values ---------------------------------------------------------------------------------------
select throws_ok(format($$select api.variant_create(%s, '{"sku": "ZQXWV-TEE-X", "price": 1, "options": {"Size": "S"}}')$$,
  pg_temp.id('tee')), 'PT422', 'invalid_option_values', 'variant_create: an option missing -> PT422 invalid_option_values');
select is(pg_temp.error_of(format($$select api.variant_create(%s, '{"sku": "ZQXWV-TEE-X", "price": 1, "options": {"Size": "S"}}')$$,
  pg_temp.id('tee'))) ->> 'detail', 'Colour is missing', 'invalid_option_values: the detail names the option missing');
select throws_ok(format($$select api.variant_create(%s, '{"sku": "ZQXWV-TEE-X", "price": 1}')$$, pg_temp.id('tee')),
  'PT422', 'invalid_option_values', 'variant_create: no options, for a product with options -> PT422 invalid_option_values');
select throws_ok(format($$select api.variant_create(%s, '{"sku": "ZQXWV-TEE-X", "price": 1, "options": {"Size": "S", "Colour": "Blue", "Fit": "Slim"}}')$$,
  pg_temp.id('tee')), 'PT422', 'invalid_option_values', 'variant_create: an unknown option -> PT422 invalid_option_values');
select throws_ok(format($$select api.variant_create(%s, '{"sku": "ZQXWV-TEE-X", "price": 1, "options": {"Size": "XL", "Colour": "Blue"}}')$$,
  pg_temp.id('tee')), 'PT422', 'invalid_option_values', 'variant_create: an unknown value -> PT422 invalid_option_values');
select is(pg_temp.error_of(format($$select api.variant_create(%s, '{"sku": "ZQXWV-TEE-X", "price": 1, "options": {"Size": "XL", "Colour": "Blue", "Fit": "Slim"}}')$$,
  pg_temp.id('tee'))) ->> 'detail', 'no option Fit; Size has no value XL',
  'invalid_option_values: the detail names the unknown option and value');
select throws_ok(format($$select api.variant_create(%s, '{"sku": "ZQXWV-TEE-X", "price": 1, "options": {"Size": "XXL", "Colour": "Blue"}}')$$,
  pg_temp.id('tee')), 'PT422', 'invalid_option_values',
  'variant_create: a value of another product''s option of the same name -> PT422 invalid_option_values');
select throws_ok(format($$select api.variant_create(%s, '{"sku": "ZQXWV-TEE-X", "price": 1, "options": {"Size": "S", "Colour": "Blue", "Material": "Cotton"}}')$$,
  pg_temp.id('tee')), 'PT422', 'invalid_option_values',
  'variant_create: another product''s option -> PT422 invalid_option_values');
select throws_ok(format($$select api.variant_create(%s, '{"sku": "ZQXWV-TEE-X", "price": 1, "options": ["S", "Blue"]}')$$,
  pg_temp.id('tee')), 'PT422', 'invalid_option_values', 'variant_create: options not an object -> PT422 invalid_option_values');
select throws_ok(format($$select api.variant_create(%s, '{"sku": "ZQXWV-TEE-X", "price": 1, "options": {"Size": 1, "Colour": "Blue"}}')$$,
  pg_temp.id('tee')), 'PT422', 'invalid_option_values', 'variant_create: a value not a string -> PT422 invalid_option_values');
select throws_ok(format($$select api.variant_create(%s, '{"sku": "ZQXWV-TEE-X", "price": 1, "options": {"Size": "S", "size": "L", "Colour": "Blue"}}')$$,
  pg_temp.id('tee')), 'PT422', 'invalid_option_values',
  'variant_create: one option named twice (in two letter cases) -> PT422 invalid_option_values');
select throws_ok(format($$select api.variant_update(%s, %s, '{"options": {"Size": "S"}}')$$, pg_temp.id('tee'), pg_temp.id('l_blue')),
  'PT422', 'invalid_option_values', 'variant_update: an option missing -> PT422 invalid_option_values');

-- invalid_price, invalid_compare_at_price ------------------------------------------------------------------------
select throws_ok(format($$select api.variant_create(%s, '{"sku": "ZQXWV-TEE-X", "price": "-1", "options": {"Size": "S", "Colour": "Blue"}}')$$,
  pg_temp.id('tee')), 'PT422', 'invalid_price', 'variant_create: a negative price -> PT422 invalid_price');
select throws_ok(format($$select api.variant_create(%s, '{"sku": "ZQXWV-TEE-X", "price": 10, "compare_at_price": 10, "options": {"Size": "S", "Colour": "Blue"}}')$$,
  pg_temp.id('tee')), 'PT422', 'invalid_compare_at_price',
  'variant_create: compare_at_price equal to the price -> PT422 invalid_compare_at_price');
select throws_ok(format($$select api.variant_create(%s, '{"sku": "ZQXWV-TEE-X", "price": 10, "compare_at_price": "9.99", "options": {"Size": "S", "Colour": "Blue"}}')$$,
  pg_temp.id('tee')), 'PT422', 'invalid_compare_at_price',
  'variant_create: compare_at_price below the price -> PT422 invalid_compare_at_price');
select throws_ok(format($$select api.variant_update(%s, %s, '{"price": 30}')$$, pg_temp.id('tee'), pg_temp.id('m_red')),
  'PT422', 'invalid_compare_at_price',
  'variant_update: a price up to the compare_at_price (30) -> PT422 invalid_compare_at_price');
select throws_ok(format($$select api.variant_update(%s, %s, '{"compare_at_price": "abc"}')$$, pg_temp.id('tee'), pg_temp.id('m_red')),
  'PT422', 'invalid_price', 'variant_update: a compare_at_price that is not an amount -> PT422 invalid_price');
select is(api.variant_update(pg_temp.id('tee'), pg_temp.id('m_red'), '{"compare_at_price": null}')::jsonb -> 'compare_at_price',
  'null'::jsonb, 'variant_update: compare_at_price cleared by null');
select throws_ok(format($$select api.variant_update(%s, %s, '{"stock_quantity": -1}')$$, pg_temp.id('tee'), pg_temp.id('m_red')),
  '23514', null, 'variant_update: a negative stock -> 23514');

-- unknown_field --------------------------------------------------------------------------------------------------
select throws_ok(format($$select api.variant_create(%s, '{"sku": "ZQXWV-TEE-X", "price": 1, "color": "red", "options": {"Size": "S", "Colour": "Blue"}}')$$,
  pg_temp.id('tee')), 'PT422', 'unknown_field', 'variant_create: an unknown field -> PT422 unknown_field');
select is(pg_temp.error_of(format($$select api.variant_update(%s, %s, '{"product_id": 1, "id": 2, "deleted_at": null, "price": 1}')$$,
  pg_temp.id('tee'), pg_temp.id('m_red'))) - 'hint',
  '{"sqlstate": "PT422", "message": "unknown_field", "detail": "these fields cannot be written: deleted_at, id, product_id"}'::jsonb,
  'variant_update: id, product_id, deleted_at are not writable -> PT422 unknown_field naming each');
select throws_ok(format($$select api.product_option_update(%s, %s, '{"name": "Sizes", "option_id": 1}')$$,
  pg_temp.id('tee'), pg_temp.id('size')), 'PT422', 'unknown_field', 'product_option_update: an unknown field -> PT422 unknown_field');
select is(api.product_get(pg_temp.id('tee')) -> 'options' -> 0 ->> 'name', 'Size', 'a refused patch changed nothing');

-- too_many_options: three at most (the catalog file has three option columns) ------------------------------------
select pg_temp.keep('trio', api.product_create('Zqxwv Trio', 5, 'ZQXWV-TRIO'));
select api.product_option_create(pg_temp.id('trio'), o, '["A"]') from unnest(array['One', 'Two', 'Three']) o;
select throws_ok(format($$select api.product_option_create(%s, 'Four', '["A"]')$$, pg_temp.id('trio')),
  'PT422', 'too_many_options', 'product_option_create: a fourth option -> PT422 too_many_options');
select is(jsonb_array_length(api.product_options_list(pg_temp.id('trio'))::jsonb -> 'items'), 3,
  'a refused fourth option is not there');

-- option_exists, invalid_option_name, invalid_option_values (of an option) -----------------------------------------
select throws_ok(format($$select api.product_option_create(%s, ' size ', '["A"]')$$, pg_temp.id('tee')),
  'PT409', 'option_exists', 'product_option_create: a name the product has, in any letter case -> PT409 option_exists');
select throws_ok(format($$select api.product_option_update(%s, %s, '{"name": "SIZE"}')$$, pg_temp.id('tee'), pg_temp.id('colour')),
  'PT409', 'option_exists', 'product_option_update: another option''s name -> PT409 option_exists');
select throws_ok(format($$select api.product_option_create(%s, '   ', '["A"]')$$, pg_temp.id('tee')),
  'PT422', 'invalid_option_name', 'product_option_create: a blank name -> PT422 invalid_option_name');
select throws_ok(format($$select api.product_option_create(%s, null, '["A"]')$$, pg_temp.id('tee')),
  'PT422', 'invalid_option_name', 'product_option_create: no name -> PT422 invalid_option_name');
select throws_ok(format($$select api.product_option_create(%s, %L, '["A"]')$$, pg_temp.id('tee'), repeat('n', 101)),
  'PT422', 'invalid_option_name', 'product_option_create: a name over 100 characters -> PT422 invalid_option_name');
select throws_ok(format($$select api.product_option_update(%s, %s, '{"name": " "}')$$, pg_temp.id('tee'), pg_temp.id('colour')),
  'PT422', 'invalid_option_name', 'product_option_update: a blank name -> PT422 invalid_option_name');
select throws_ok(format($$select api.product_option_create(%s, 'Fit', '[]')$$, pg_temp.id('tee')),
  'PT422', 'invalid_option_values', 'product_option_create: no values -> PT422 invalid_option_values');
select throws_ok(format($$select api.product_option_create(%s, 'Fit', '"Slim"')$$, pg_temp.id('tee')),
  'PT422', 'invalid_option_values', 'product_option_create: values not a list -> PT422 invalid_option_values');
select throws_ok(format($$select api.product_option_create(%s, 'Fit', '["Slim", "SLIM "]')$$, pg_temp.id('tee')),
  'PT422', 'invalid_option_values', 'product_option_create: values equal in another letter case -> PT422 invalid_option_values');
select throws_ok(format($$select api.product_option_create(%s, 'Fit', '["Slim", " "]')$$, pg_temp.id('tee')),
  'PT422', 'invalid_option_values', 'product_option_create: a blank value -> PT422 invalid_option_values');
select throws_ok(format($$select api.product_option_create(%s, 'Fit', '["Slim", 2]')$$, pg_temp.id('tee')),
  'PT422', 'invalid_option_values', 'product_option_create: a value not a string -> PT422 invalid_option_values');
select is(json_array_length(api.product_options_list(pg_temp.id('tee')) -> 'items'), 2,
  'the refused options were not made (the product still has two)');

-- api.product_option_update: values ---------------------------------------------------------------------------------
select is(pg_temp.no_ids(api.product_option_update(pg_temp.id('tee'), pg_temp.id('size'), '{"values": ["S", "M", "L", "XL"]}')),
  '{"name": "Size", "position": 0, "values": [{"value": "S", "position": 0}, {"value": "M", "position": 1},
    {"value": "L", "position": 2}, {"value": "XL", "position": 3}]}'::jsonb,
  'product_option_update: a value added, last');
select pg_temp.keep('size.v2', api.product_option_update(pg_temp.id('tee'), pg_temp.id('size'),
  '{"values": ["xl", "L", "M", "S"], "name": "Sizes", "position": 0}'));
select is(pg_temp.no_ids(pg_temp.kept('size.v2')::json),
  '{"name": "Sizes", "position": 0, "values": [{"value": "xl", "position": 0}, {"value": "L", "position": 1},
    {"value": "M", "position": 2}, {"value": "S", "position": 3}]}'::jsonb,
  'product_option_update: values reordered (and one renamed in letter case), option renamed');
select is(pg_temp.value_id('size.v2', 'M'), pg_temp.value_id('size', 'M'), 'a value kept keeps its id');
select is(api.variant_get(pg_temp.id('tee'), pg_temp.id('m_red'))::jsonb -> 'options', '{"Sizes": "M", "Colour": "Red"}'::jsonb,
  'the variants show the option''s new name');
select throws_ok(format($$select api.product_option_update(%s, %s, '{"values": ["S", "L", "xl"]}')$$, pg_temp.id('tee'), pg_temp.id('size')),
  'PT409', 'option_value_in_use', 'product_option_update: removing a value a live variant has -> PT409 option_value_in_use');
select is(pg_temp.error_of(format($$select api.product_option_update(%s, %s, '{"values": ["xl"]}')$$, pg_temp.id('tee'), pg_temp.id('size'))) ->> 'detail',
  'live variants of the product use L, M, S of Sizes: change or delete them first',
  'option_value_in_use: the detail names the values in use');
select is(pg_temp.no_ids(api.product_option_update(pg_temp.id('tee'), pg_temp.id('size'), '{"values": ["S", "M", "L"], "name": "Size"}')),
  '{"name": "Size", "position": 0, "values": [{"value": "S", "position": 0}, {"value": "M", "position": 1},
    {"value": "L", "position": 2}]}'::jsonb,
  'product_option_update: a value no live variant has can be removed');
-- Blue is used by deleted variants only (s_blue, s_blue2) and by l_blue: once l_blue is Red, Blue may go.
select api.variant_update(pg_temp.id('tee'), pg_temp.id('l_blue'), '{"options": {"Size": "L", "Colour": "Red"}}');
select is(pg_temp.no_ids(api.product_option_update(pg_temp.id('tee'), pg_temp.id('colour'), '{"values": ["Red", "Green"]}')),
  '{"name": "Colour", "position": 1, "values": [{"value": "Red", "position": 0}, {"value": "Green", "position": 1}]}'::jsonb,
  'product_option_update: a value only deleted variants had can be removed');
select api.product_option_update(pg_temp.id('tee'), pg_temp.id('colour'), '{"values": ["Red", "Green", "Blue"]}');
select api.variant_update(pg_temp.id('tee'), pg_temp.id('l_blue'), '{"options": {"Size": "L", "Colour": "Blue"}}');

-- api.product_option_delete ---------------------------------------------------------------------------------------
-- With M/Red and M/Blue, removing Colour leaves two variants M: refused.
select pg_temp.keep('m_blue', api.variant_create(pg_temp.id('tee'),
  '{"sku": "ZQXWV-TEE-M-BLUE", "price": 23, "options": {"Size": "M", "Colour": "Blue"}}'));
select throws_ok(format('select api.product_option_delete(%s, %s)', pg_temp.id('tee'), pg_temp.id('colour')),
  'PT409', 'variant_exists', 'product_option_delete: two live variants would be the same -> PT409 variant_exists');
select is(jsonb_array_length(api.product_options_list(pg_temp.id('tee'))::jsonb -> 'items'), 2,
  '... and the option stays');
select api.variant_delete(pg_temp.id('tee'), pg_temp.id('m_blue'));
select lives_ok(format('select api.product_option_delete(%s, %s)', pg_temp.id('tee'), pg_temp.id('colour')),
  'product_option_delete (admin)');
select is(array(select o ->> 'name' from json_array_elements(api.product_options_list(pg_temp.id('tee')) -> 'items') o),
  array['Size'], 'the product has one option left');
select is(
  array(select v ->> 'options' from jsonb_array_elements(api.variants_list(pg_temp.id('tee'))::jsonb -> 'items') v),
  array['{"Size": "S"}', '{"Size": "M"}', '{"Size": "L"}'],
  'product_option_delete: the option''s values are gone from every variant');
reset role;
select is(
  (select array_agg(v.combination order by v.position, v.id) from shop.variants v
   where v.product_id = pg_temp.id('tee') and v.deleted_at is null),
  array[pg_temp.value_id('size', 'S')::text, pg_temp.value_id('size', 'M')::text, pg_temp.value_id('size', 'L')::text],
  'the combinations are derived again from the values left');
set local role pgshop_api;
select pg_temp.keep('colour', api.product_option_create(pg_temp.id('tee'), 'Colour', '["Red", "Blue"]'));

-- not_found ---------------------------------------------------------------------------------------------------------
select throws_ok(format('select api.product_options_list(%s)', pg_temp.id('missing_product')), 'PT404', 'not_found',
  'product_options_list: an unknown product -> PT404 not_found');
select throws_ok(format('select api.variants_list(%s)', pg_temp.id('missing_product')), 'PT404', 'not_found',
  'variants_list: an unknown product -> PT404 not_found');
select throws_ok(format($$select api.product_option_create(%s, 'Fit', '["Slim"]')$$, pg_temp.id('missing_product')),
  'PT404', 'not_found', 'product_option_create: an unknown product -> PT404 not_found');
select throws_ok(format($$select api.product_option_update(%s, %s, '{"name": "Fit"}')$$, pg_temp.id('tee'), pg_temp.id('other.size')),
  'PT404', 'not_found', 'product_option_update: an option of another product -> PT404 not_found');
select throws_ok(format($$select api.product_option_update(%s, %s, '{"name": "Fit"}')$$, pg_temp.id('tee'), pg_temp.id('missing_option')),
  'PT404', 'not_found', 'product_option_update: an unknown option -> PT404 not_found');
select throws_ok(format('select api.product_option_delete(%s, %s)', pg_temp.id('tee'), pg_temp.id('other.material')),
  'PT404', 'not_found', 'product_option_delete: an option of another product -> PT404 not_found');
select throws_ok(format('select api.product_option_delete(%s, %s)', pg_temp.id('tee'), pg_temp.id('missing_option')),
  'PT404', 'not_found', 'product_option_delete: an unknown option -> PT404 not_found');
select throws_ok(format('select api.variant_get(%s, %s)', pg_temp.id('other'), pg_temp.id('m_red')), 'PT404', 'not_found',
  'variant_get: a variant of another product -> PT404 not_found');
select throws_ok(format('select api.variant_get(%s, %s)', pg_temp.id('tee'), pg_temp.id('missing_variant')), 'PT404', 'not_found',
  'variant_get: an unknown variant -> PT404 not_found');
select throws_ok(format($$select api.variant_update(%s, %s, '{"price": 1}')$$, pg_temp.id('other'), pg_temp.id('m_red')),
  'PT404', 'not_found', 'variant_update: a variant of another product -> PT404 not_found');
select throws_ok(format($$select api.variant_update(%s, %s, '{}')$$, pg_temp.id('tee'), pg_temp.id('missing_variant')),
  'PT404', 'not_found', 'variant_update: an unknown variant, empty patch -> PT404 not_found');
select throws_ok(format('select api.variant_delete(%s, %s)', pg_temp.id('other'), pg_temp.id('m_red')), 'PT404', 'not_found',
  'variant_delete: a variant of another product -> PT404 not_found');
select throws_ok(format($$select api.variant_create(%s, '{"sku": "ZQXWV-GONE-1", "price": 1}')$$, pg_temp.id('missing_product')),
  'PT404', 'not_found', 'variant_create: an unknown product -> PT404 not_found');
select is(api.variant_get(pg_temp.id('tee'), pg_temp.id('m_red')) ->> 'price', '22.50', 'the refused update changed nothing');

-- A deleted product: its options and variants are gone, its SKUs free.
select pg_temp.keep('gone', api.product_create('Zqxwv Gone', 3, 'ZQXWV-GONE'));
select api.product_option_create(pg_temp.id('gone'), 'Size', '["S", "M"]');
select api.variant_create(pg_temp.id('gone'), '{"sku": "ZQXWV-GONE-M", "price": 4, "options": {"Size": "M"}}');
select api.product_delete(pg_temp.id('gone'));
select throws_ok(format('select api.variants_list(%s)', pg_temp.id('gone')), 'PT404', 'not_found',
  'variants_list: a deleted product -> PT404 not_found');
select throws_ok(format('select api.product_options_list(%s)', pg_temp.id('gone')), 'PT404', 'not_found',
  'product_options_list: a deleted product -> PT404 not_found');
select throws_ok(format($$select api.variant_create(%s, '{"sku": "ZQXWV-GONE-L", "price": 1, "options": {"Size": "S"}}')$$,
  pg_temp.id('gone')), 'PT404', 'not_found', 'variant_create: a deleted product -> PT404 not_found');
select throws_ok(format($$select api.product_option_create(%s, 'Fit', '["Slim"]')$$, pg_temp.id('gone')),
  'PT404', 'not_found', 'product_option_create: a deleted product -> PT404 not_found');
select lives_ok($$select api.product_create('Zqxwv Reborn', 3, 'zqxwv-gone-m')$$,
  'product_delete frees the SKUs of the product''s variants');

-- An inactive product: hidden from customers.
select pg_temp.keep('hidden', api.product_create('Zqxwv Hidden', 3, 'ZQXWV-HIDDEN', p_is_active => false));
select is(pg_temp.skus(api.variants_list(pg_temp.id('hidden'))), array['ZQXWV-HIDDEN'],
  'variants_list (admin): the variants of an inactive product');
select pg_temp.act_as(pg_temp.id('customer_id'));
select throws_ok(format('select api.variants_list(%s)', pg_temp.id('hidden')), 'PT404', 'not_found',
  'variants_list: an inactive product, for a customer -> PT404 not_found');
select throws_ok(format('select api.product_options_list(%s)', pg_temp.id('hidden')), 'PT404', 'not_found',
  'product_options_list: an inactive product, for a customer -> PT404 not_found');
select throws_ok(format('select api.variant_get(%s, %s)', pg_temp.id('hidden'),
  (select pg_temp.kept('hidden') -> 'variants' -> 0 ->> 'id')), 'PT404', 'not_found',
  'variant_get: a variant of an inactive product, for a customer -> PT404 not_found');

-- forbidden, unauthenticated: the writes are for admins -----------------------------------------------------------
select is(api.product_options_list(pg_temp.id('tee'))::jsonb -> 'items' -> 0 ->> 'name', 'Size',
  'product_options_list: a customer reads the options');
select is(api.variant_get(pg_temp.id('tee'), pg_temp.id('m_red')) ->> 'sku', 'ZQXWV-TEE-M-RED', 'variant_get: a customer reads a variant');
select throws_ok(format($$select api.product_option_create(%s, 'Fit', '["Slim"]')$$, pg_temp.id('tee')),
  'PT403', 'forbidden', 'product_option_create: a customer -> PT403 forbidden');
select throws_ok(format($$select api.product_option_update(%s, %s, '{"name": "Fit"}')$$, pg_temp.id('tee'), pg_temp.id('colour')),
  'PT403', 'forbidden', 'product_option_update: a customer -> PT403 forbidden');
select throws_ok(format('select api.product_option_delete(%s, %s)', pg_temp.id('tee'), pg_temp.id('colour')),
  'PT403', 'forbidden', 'product_option_delete: a customer -> PT403 forbidden');
select throws_ok(format($$select api.variant_create(%s, '{"sku": "ZQXWV-TEE-C", "price": 1, "options": {"Size": "S", "Colour": "Blue"}}')$$,
  pg_temp.id('tee')), 'PT403', 'forbidden', 'variant_create: a customer -> PT403 forbidden');
select throws_ok(format($$select api.variant_update(%s, %s, '{"price": 0}')$$, pg_temp.id('tee'), pg_temp.id('m_red')),
  'PT403', 'forbidden', 'variant_update: a customer -> PT403 forbidden');
select throws_ok(format('select api.variant_delete(%s, %s)', pg_temp.id('tee'), pg_temp.id('m_red')),
  'PT403', 'forbidden', 'variant_delete: a customer -> PT403 forbidden');
select pg_temp.act_as(pg_temp.id('customer_id'), 'admin');
select throws_ok(format($$select api.variant_update(%s, %s, '{"price": 0}')$$, pg_temp.id('tee'), pg_temp.id('m_red')),
  'PT403', 'forbidden', 'variant_update: a customer whose token claims admin -> PT403 forbidden');
select throws_ok(format($$select api.product_option_create(%s, 'Fit', '["Slim"]')$$, pg_temp.id('tee')),
  'PT403', 'forbidden', 'product_option_create: a customer whose token claims admin -> PT403 forbidden');
select pg_temp.act_as(null);
select throws_ok(format($$select api.variant_create(%s, '{"sku": "ZQXWV-TEE-A", "price": 1, "options": {"Size": "S", "Colour": "Blue"}}')$$,
  pg_temp.id('tee')), 'PT401', 'unauthenticated', 'variant_create: anonymous -> PT401 unauthenticated');
select throws_ok(format('select api.product_option_delete(%s, %s)', pg_temp.id('tee'), pg_temp.id('colour')),
  'PT401', 'unauthenticated', 'product_option_delete: anonymous -> PT401 unauthenticated');
select is(pg_temp.skus(api.variants_list(pg_temp.id('tee'))), array['ZQXWV-TEE', 'ZQXWV-TEE-M-RED', 'ZQXWV-TEE-L-BLUE'],
  'variants_list: anonymous reads the variants; the refused writes changed nothing');

reset role;

-- Under psql: the tables' own rules (as the owner, no api function) ------------------------------------------------
-- Product raw: options Size (S, M) and Colour (Red), one complete variant S/Red; another product with Size (S).
do $$
declare
  v_product bigint;
  v_other bigint;
  v_option bigint;
  v_value bigint;
  v_variant bigint;
begin
  insert into shop.products (name, category_id) values ('Zqxwv Raw', pg_temp.id('category')) returning id into v_product;
  perform set_config('tests.raw', v_product::text, true);
  insert into shop.product_options (product_id, name, position) values (v_product, 'Size', 0) returning id into v_option;
  perform set_config('tests.raw.size', v_option::text, true);
  insert into shop.product_option_values (option_id, value, position) values (v_option, 'S', 0) returning id into v_value;
  perform set_config('tests.raw.s', v_value::text, true);
  insert into shop.product_option_values (option_id, value, position) values (v_option, 'M', 1) returning id into v_value;
  perform set_config('tests.raw.m', v_value::text, true);
  insert into shop.product_options (product_id, name, position) values (v_product, 'Colour', 1) returning id into v_option;
  perform set_config('tests.raw.colour', v_option::text, true);
  insert into shop.product_option_values (option_id, value) values (v_option, 'Red') returning id into v_value;
  perform set_config('tests.raw.red', v_value::text, true);
  insert into shop.product_option_values (option_id, value, position) values (v_option, 'Crimson', 1)
  returning id into v_value;
  perform set_config('tests.raw.crimson', v_value::text, true);
  insert into shop.variants (product_id, sku, price, stock_quantity, combination)
  values (v_product, 'ZQXWV-RAW-1', 10, 4, 'zqxwv') returning id into v_variant;
  perform set_config('tests.raw.v1', v_variant::text, true);
  perform set_config('tests.raw.v1.inserted', (select v.combination from shop.variants v where v.id = v_variant), true);
  insert into shop.variant_option_values (variant_id, product_id, option_id, value_id)
  values (v_variant, v_product, pg_temp.id('raw.size'), pg_temp.id('raw.s')),
         (v_variant, v_product, pg_temp.id('raw.colour'), pg_temp.id('raw.red'));

  insert into shop.products (name) values ('Zqxwv Raw Other') returning id into v_other;
  perform set_config('tests.raw_other', v_other::text, true);
  insert into shop.product_options (product_id, name) values (v_other, 'Size') returning id into v_option;
  perform set_config('tests.raw_other.size', v_option::text, true);
  insert into shop.product_option_values (option_id, value) values (v_option, 'S') returning id into v_value;
  perform set_config('tests.raw_other.s', v_value::text, true);
  insert into shop.variants (product_id, sku, price) values (v_other, 'ZQXWV-RAW-OTHER', 1) returning id into v_variant;
  insert into shop.variant_option_values (variant_id, product_id, option_id, value_id)
  values (v_variant, v_other, pg_temp.id('raw_other.size'), pg_temp.id('raw_other.s'));
end
$$;
-- The set-up is complete: its checks pass now, as they would at commit.
set constraints all immediate;
set constraints all deferred;

select is(current_setting('tests.raw.v1.inserted'), '',
  'a combination written by hand on insert is replaced by the derived one (no values yet: empty)');
select is((select v.combination from shop.variants v where v.id = pg_temp.id('raw.v1')),
  pg_temp.id('raw.s') || ',' || pg_temp.id('raw.red'),
  'the combination is derived from the variant''s values (value ids in option id order: Size, Colour)');
update shop.variants set combination = '1,2,3' where id = pg_temp.id('raw.v1');
select is((select v.combination from shop.variants v where v.id = pg_temp.id('raw.v1')),
  pg_temp.id('raw.s') || ',' || pg_temp.id('raw.red'),
  'a combination written by hand on update is replaced by the derived one');
select is((select p.price from shop.products p where p.id = pg_temp.id('raw')), 10.00::numeric,
  'a variant inserted by hand sets its product''s price (its default variant''s)');
update shop.variants set price = 12 where id = pg_temp.id('raw.v1');
select is((select p.price from shop.products p where p.id = pg_temp.id('raw')), 12.00::numeric,
  'a price updated by hand reaches the product');
select is((select p.in_stock from shop.products p where p.id = pg_temp.id('raw')), true, 'the product is in stock (4)');
update shop.variants set stock_quantity = 0 where id = pg_temp.id('raw.v1');
select is((select p.in_stock from shop.products p where p.id = pg_temp.id('raw')), false,
  'its only variant sold out by hand: the product is out of stock');
update shop.variants set stock_quantity = 4 where id = pg_temp.id('raw.v1');

-- The search vector follows the option values written by hand.
select ok((select p.search @@ to_tsquery('english', 'red') from shop.products p where p.id = pg_temp.id('raw')),
  'under psql: option values inserted by hand reach the product''s search vector (red)');
update shop.variant_option_values set value_id = pg_temp.id('raw.crimson')
where variant_id = pg_temp.id('raw.v1') and option_id = pg_temp.id('raw.colour');
select is((select v.combination from shop.variants v where v.id = pg_temp.id('raw.v1')),
  pg_temp.id('raw.s') || ',' || pg_temp.id('raw.crimson'),
  'under psql: a value changed by hand (update) gives the variant its new combination');
select ok((select p.search @@ to_tsquery('english', 'crimson') and not p.search @@ to_tsquery('english', 'red')
           from shop.products p where p.id = pg_temp.id('raw')),
  'under psql: a value changed by hand (update) reaches the product''s search vector (crimson, no longer red)');
update shop.variant_option_values set value_id = pg_temp.id('raw.red')
where variant_id = pg_temp.id('raw.v1') and option_id = pg_temp.id('raw.colour');

-- A second complete variant, with another combination: fine at commit.
select is(pg_temp.outcome(true,
  format($$insert into shop.variants (product_id, sku, price) values (%s, 'ZQXWV-RAW-2', 1)$$, pg_temp.id('raw')),
  format($$insert into shop.variant_option_values (variant_id, product_id, option_id, value_id)
           select v.id, v.product_id, x.option_id, x.value_id from shop.variants v, (values (%s, %s), (%s, %s)) x (option_id, value_id)
           where v.sku = 'ZQXWV-RAW-2'$$, pg_temp.id('raw.size'), pg_temp.id('raw.m'), pg_temp.id('raw.colour'), pg_temp.id('raw.red'))),
  null, 'under psql: a variant with a value of each option and a combination of its own passes the checks at commit');

-- The same combination as a live variant: accepted by the statements, refused at commit.
create function pg_temp.duplicate(p_sku text) returns text[]
language sql stable as $f$
  select array[
    format($$insert into shop.variants (product_id, sku, price) values (%s, %L, 1)$$, pg_temp.id('raw'), p_sku),
    format($$insert into shop.variant_option_values (variant_id, product_id, option_id, value_id)
             select v.id, v.product_id, x.option_id, x.value_id from shop.variants v, (values (%s, %s), (%s, %s)) x (option_id, value_id)
             where v.sku = %L$$, pg_temp.id('raw.size'), pg_temp.id('raw.s'), pg_temp.id('raw.colour'), pg_temp.id('raw.red'), p_sku)]
$f$;
select is(pg_temp.outcome(false, variadic pg_temp.duplicate('ZQXWV-RAW-DUP')), null,
  'under psql: a second live variant with the combination of another is accepted statement by statement (deferred)');
select is(pg_temp.outcome(true, variadic pg_temp.duplicate('ZQXWV-RAW-DUP')) - 'message' - 'detail',
  '{"sqlstate": "23P01", "constraint": "variants_one_per_combination"}'::jsonb,
  'under psql: ... and refused at commit (set constraints all immediate): 23P01 variants_one_per_combination');
select is(pg_temp.outcome(true, variadic pg_temp.duplicate('ZQXWV-RAW-DUP')
    || format($$update shop.variants set deleted_at = now() where sku = 'ZQXWV-RAW-DUP'$$)), null,
  'under psql: a deleted variant may have the combination of a live one');
select is(pg_temp.outcome(true,
    variadic array[format($$update shop.variants set deleted_at = now() where id = %s$$, pg_temp.id('raw.v1'))]
             || pg_temp.duplicate('ZQXWV-RAW-DUP')), null,
  'under psql: the combination of a deleted variant is free');

-- A variant lacking a value of an option: refused at commit by shop.variant_checks_complete.
create function pg_temp.incomplete(p_sku text) returns text[]
language sql stable as $f$
  select array[
    format($$insert into shop.variants (product_id, sku, price) values (%s, %L, 1)$$, pg_temp.id('raw'), p_sku),
    format($$insert into shop.variant_option_values (variant_id, product_id, option_id, value_id)
             select v.id, v.product_id, %s, %s from shop.variants v where v.sku = %L$$,
           pg_temp.id('raw.size'), pg_temp.id('raw.m'), p_sku)]
$f$;
select is(pg_temp.outcome(false, variadic pg_temp.incomplete('ZQXWV-RAW-3')), null,
  'under psql: a variant without a value for Colour is accepted statement by statement (deferred)');
select is(pg_temp.outcome(true, variadic pg_temp.incomplete('ZQXWV-RAW-3')) - 'constraint',
  '{"sqlstate": "PT422", "message": "invalid_option_values",
    "detail": "every variant needs one value of each option of its product: ZQXWV-RAW-3 lacks Colour"}'::jsonb,
  'under psql: ... and refused at commit: PT422 invalid_option_values naming the variant and the option');
select is(pg_temp.outcome(true,
    format($$insert into shop.variants (product_id, sku, price) values (%s, 'ZQXWV-RAW-4', 1)$$, pg_temp.id('raw'))) ->> 'detail',
  'every variant needs one value of each option of its product: ZQXWV-RAW-4 lacks Size, Colour',
  'under psql: a variant with no values at all -> PT422 at commit, naming each option missing');
select is(pg_temp.outcome(true, variadic pg_temp.incomplete('ZQXWV-RAW-3')
    || $$update shop.variants set deleted_at = now() where sku = 'ZQXWV-RAW-3'$$::text), null,
  'under psql: an incomplete variant deleted before commit is not checked');
select is(pg_temp.outcome(true,
    format('delete from shop.variant_option_values where variant_id = %s and option_id = %s', pg_temp.id('raw.v1'),
           pg_temp.id('raw.colour'))) ->> 'message',
  'invalid_option_values', 'under psql: removing a value from a live variant -> PT422 invalid_option_values at commit');
select is(pg_temp.outcome(true,
    format($$insert into shop.product_options (product_id, name, position) values (%s, 'Fit', 2)$$, pg_temp.id('raw'))) ->> 'detail',
  'every variant needs one value of each option of its product: ZQXWV-RAW-1 lacks Fit',
  'under psql: a new option its live variants have no value of -> PT422 invalid_option_values at commit');
select is(pg_temp.outcome(true,
    format($$insert into shop.product_options (product_id, name, position) values (%s, 'Fit', 2)$$, pg_temp.id('raw_other')),
    format($$update shop.product_options set product_id = %s where product_id = %s and name = 'Fit'$$, pg_temp.id('raw'),
           pg_temp.id('raw_other'))) ->> 'detail',
  'every variant needs one value of each option of its product: ZQXWV-RAW-1 lacks Fit',
  'under psql: an option moved to another product whose variants have no value of it -> PT422 at commit');
-- Foreign values: refused at once by the composite foreign keys.
select is(pg_temp.outcome(false,
    format('update shop.variant_option_values set value_id = %s where variant_id = %s and option_id = %s',
           pg_temp.id('raw.red'), pg_temp.id('raw.v1'), pg_temp.id('raw.size'))) - 'message' - 'detail',
  '{"sqlstate": "23503", "constraint": "variant_option_values_value_fkey"}'::jsonb,
  'under psql: a value of another option of the product -> 23503 variant_option_values_value_fkey');
select is(pg_temp.outcome(false,
    format('update shop.variant_option_values set option_id = %s, value_id = %s where variant_id = %s and option_id = %s',
           pg_temp.id('raw_other.size'), pg_temp.id('raw_other.s'), pg_temp.id('raw.v1'), pg_temp.id('raw.size'))) - 'message' - 'detail',
  '{"sqlstate": "23503", "constraint": "variant_option_values_option_fkey"}'::jsonb,
  'under psql: an option (and its value) of another product -> 23503 variant_option_values_option_fkey');
select is(pg_temp.outcome(false,
    format('update shop.variant_option_values set product_id = %s where variant_id = %s',
           pg_temp.id('raw_other'), pg_temp.id('raw.v1'))) ->> 'sqlstate',
  '23503', 'under psql: a row naming another product than its variant''s -> 23503');
select is(pg_temp.outcome(false,
    format('insert into shop.variant_option_values (variant_id, product_id, option_id, value_id) values (%s, %s, %s, %s)',
           pg_temp.id('raw.v1'), pg_temp.id('raw'), pg_temp.id('raw.size'), pg_temp.id('raw.m'))) - 'message' - 'detail',
  '{"sqlstate": "23505", "constraint": "variant_option_values_pkey"}'::jsonb,
  'under psql: a second value of one option for a variant -> 23505 variant_option_values_pkey');

-- Stock, prices, SKUs.
select is(pg_temp.outcome(false, format('update shop.variants set stock_quantity = -1 where id = %s', pg_temp.id('raw.v1')))
    - 'message' - 'detail',
  '{"sqlstate": "23514", "constraint": "variants_stock_not_negative"}'::jsonb,
  'under psql: a negative stock -> 23514 variants_stock_not_negative');
select is(pg_temp.outcome(false,
    format($$insert into shop.variants (product_id, sku, price, stock_quantity) values (%s, 'ZQXWV-RAW-NEG', 1, -1)$$,
           pg_temp.id('raw_other'))) ->> 'constraint',
  'variants_stock_not_negative', 'under psql: a variant inserted with a negative stock -> 23514');
select is(pg_temp.outcome(false,
    format('update shop.variants set compare_at_price = price where id = %s', pg_temp.id('raw.v1'))) ->> 'constraint',
  'variants_compare_at_price_above_price', 'under psql: compare_at_price not above the price -> 23514');
select is(pg_temp.outcome(false,
    format($$insert into shop.variants (product_id, sku, price) values (%s, 'zqxwv-raw-1', 1)$$, pg_temp.id('raw_other')))
    - 'message' - 'detail',
  '{"sqlstate": "23505", "constraint": "variants_sku_live_key"}'::jsonb,
  'under psql: a live SKU in another letter case -> 23505 variants_sku_live_key');
select is(pg_temp.outcome(false,
    format($$update shop.variants set sku = '  ' where id = %s$$, pg_temp.id('raw.v1'))) ->> 'constraint',
  'variants_sku_size', 'under psql: a blank SKU -> 23514 variants_sku_size');

select * from finish();
rollback;
