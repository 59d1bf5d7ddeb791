-- api.products_facets (as pgshop_api): counts per option value, category (subtree-aware), price band and stock
-- over exactly the products api.products_list shows for the same filters (q, category_id, min_price,
-- max_price, in_stock, options). The database may hold demo data: every call is confined to the test's own
-- category subtree ("Zqxwv Facets ...") or to a word no demo product contains ("zqxwv").
begin;
select * from no_plan();
\ir ../helpers.psql
-- A list without q computes websearch_to_tsquery('') and PostgreSQL says "NOTICE: text-search query doesn't
-- contain lexemes": keep the output readable.
set local client_min_messages = warning;

-- The option counts of a facets result as {"option": {"value": count}} (order aside).
create function pg_temp.option_counts(p_facets json) returns jsonb
language sql immutable as $$
  select coalesce(jsonb_object_agg(o ->> 'name',
           (select jsonb_object_agg(v ->> 'value', (v ->> 'count')::integer) from jsonb_array_elements(o -> 'values') v)),
         '{}')
  from jsonb_array_elements(p_facets::jsonb -> 'options') o
$$;
-- The category counts of a facets result as {"<category key>": count}, keys from the test's categories (other
-- categories by id).
create function pg_temp.category_counts(p_facets json) returns jsonb
language sql stable as $$
  select coalesce(jsonb_object_agg(
           coalesce((select k from unnest(array['root', 'child', 'grandchild', 'other']) k
                     where pg_temp.id(k) = (c ->> 'category_id')::bigint), c ->> 'category_id'),
           (c ->> 'count')::integer), '{}')
  from jsonb_array_elements(p_facets::jsonb -> 'categories') c
$$;
-- The band counts of a facets result, in band order.
create function pg_temp.band_counts(p_facets json) returns integer[]
language sql immutable as $$
  select array(select (b ->> 'count')::integer from jsonb_array_elements(p_facets::jsonb -> 'price_bands') b)
$$;
-- The bands of shop.price_bands, {lower, upper} in order (read as the owner: callable as pgshop_api).
create function pg_temp.bands() returns table (lower numeric, upper numeric)
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select b.lower_bound, lead(b.lower_bound) over (order by b.lower_bound) from shop.price_bands b order by 1
$$;
-- The test products (keys) a list shows, by name; or the facets' total against the list's, for the same filters:
-- {total, in_stock, out_of_stock, bands} computed from every item of api.products_list, and from
-- api.products_facets.
create function pg_temp.listed(p_q text, p_category bigint, p_min numeric, p_max numeric, p_in_stock boolean,
                               p_options text[]) returns text[]
language sql stable as $$
  select array(select split_part(i ->> 'name', ' ', 2)
               from jsonb_array_elements(api.products_list(p_q, p_category, p_min, p_max, p_in_stock, 'name', 100, null,
                                                            p_options)::jsonb -> 'items') i)
$$;
create function pg_temp.from_list(p_q text, p_category bigint, p_min numeric, p_max numeric, p_in_stock boolean,
                                  p_options text[]) returns jsonb
language sql stable as $$
  with items as (
    select i from jsonb_array_elements(api.products_list(p_q, p_category, p_min, p_max, p_in_stock, 'name', 100, null,
                                                         p_options)::jsonb -> 'items') i
  )
  select jsonb_build_object(
    'total', (select count(*) from items),
    'in_stock', (select count(*) from items where (i ->> 'in_stock')::boolean),
    'out_of_stock', (select count(*) from items where not (i ->> 'in_stock')::boolean),
    'bands', (select jsonb_agg((select count(*) from items where (i ->> 'price')::numeric >= b.lower
                                  and (i ->> 'price')::numeric < coalesce(b.upper, 'Infinity'))
                               order by b.lower)
              from pg_temp.bands() b))
$$;
create function pg_temp.from_facets(p_q text, p_category bigint, p_min numeric, p_max numeric, p_in_stock boolean,
                                    p_options text[]) returns jsonb
language sql stable as $$
  select jsonb_build_object('total', f -> 'total', 'in_stock', f -> 'stock' -> 'in_stock',
                            'out_of_stock', f -> 'stock' -> 'out_of_stock', 'bands', to_jsonb(pg_temp.band_counts(f::json)))
  from (select api.products_facets(p_q, p_category, p_min, p_max, p_in_stock, p_options)::jsonb) x (f)
$$;

-- Test data ---------------------------------------------------------------------------------------------------
-- Categories: root <- child <- grandchild, and other under root.
-- Products (price = the default variant's; stock in brackets), in the root subtree:
--   Alpha    root        Colour, Size: Red/S 10.00 (5), Red/M 12.00 (0), Blue/M 14.00 (2)
--   Beta     child       Colour: Red 30.00 (0), Green 35.00 (0)                    -> out of stock
--   Gamma    grandchild  Colour, Size: Blue/L 60.00 (3)
--   Delta    other       no options: 100.00 (1)
--   Eta      root        Colour: Red 500.00 (4), Blue 510.00 (9) inactive variant
--   Epsilon  child       inactive product (Colour: Red); Zeta root, deleted (Colour: Red)
do $$
declare
  v_id bigint;
begin
  perform pg_temp.new_user('admin_id', 'zqxwv-facets-admin@zqxwv.test', 'Ad', 'Min', 'admin');
  insert into shop.categories (name) values ('Zqxwv Facets Root') returning id into v_id;
  perform set_config('tests.root', v_id::text, true);
  insert into shop.categories (name, parent_id) values ('Zqxwv Facets Child', pg_temp.id('root')) returning id into v_id;
  perform set_config('tests.child', v_id::text, true);
  insert into shop.categories (name, parent_id) values ('Zqxwv Facets Grandchild', pg_temp.id('child')) returning id into v_id;
  perform set_config('tests.grandchild', v_id::text, true);
  insert into shop.categories (name, parent_id) values ('Zqxwv Facets Other', pg_temp.id('root')) returning id into v_id;
  perform set_config('tests.other', v_id::text, true);
end
$$;

set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin_id'), 'admin');

select pg_temp.keep('alpha', api.product_create('Zqxwv Alpha', 10, 'ZQXWV-FAC-A', null, pg_temp.id('root'), 5));
select api.product_option_create(pg_temp.id('alpha'), 'Colour', '["Red", "Blue"]');
select api.product_option_create(pg_temp.id('alpha'), 'Size', '["S", "M"]');
select api.variant_create(pg_temp.id('alpha'),
  '{"sku": "ZQXWV-FAC-A-RM", "price": 12, "stock_quantity": 0, "options": {"Colour": "Red", "Size": "M"}}');
select api.variant_create(pg_temp.id('alpha'),
  '{"sku": "ZQXWV-FAC-A-BM", "price": 14, "stock_quantity": 2, "options": {"Colour": "Blue", "Size": "M"}}');

select pg_temp.keep('beta', api.product_create('Zqxwv Beta', 30, 'ZQXWV-FAC-B', null, pg_temp.id('child'), 0));
select api.product_option_create(pg_temp.id('beta'), 'Colour', '["Red", "Green"]');
select api.variant_create(pg_temp.id('beta'),
  '{"sku": "ZQXWV-FAC-B-G", "price": 35, "stock_quantity": 0, "options": {"Colour": "Green"}}');

select pg_temp.keep('gamma', api.product_create('Zqxwv Gamma', 60, 'ZQXWV-FAC-G', null, pg_temp.id('grandchild'), 3));
select api.product_option_create(pg_temp.id('gamma'), 'Colour', '["Blue"]');
select api.product_option_create(pg_temp.id('gamma'), 'Size', '["L"]');

select pg_temp.keep('delta', api.product_create('Zqxwv Delta', 100, 'ZQXWV-FAC-D', null, pg_temp.id('other'), 1));

select pg_temp.keep('eta', api.product_create('Zqxwv Eta', 500, 'ZQXWV-FAC-H', null, pg_temp.id('root'), 4));
select api.product_option_create(pg_temp.id('eta'), 'Colour', '["Red", "Blue"]');
select api.variant_create(pg_temp.id('eta'),
  '{"sku": "ZQXWV-FAC-H-B", "price": 510, "stock_quantity": 9, "is_active": false, "options": {"Colour": "Blue"}}');

select pg_temp.keep('epsilon', api.product_create('Zqxwv Epsilon', 20, 'ZQXWV-FAC-E', null, pg_temp.id('child'), 5, false));
select api.product_option_create(pg_temp.id('epsilon'), 'Colour', '["Red"]');
select pg_temp.keep('zeta', api.product_create('Zqxwv Zeta', 20, 'ZQXWV-FAC-Z', null, pg_temp.id('root'), 5));
select api.product_option_create(pg_temp.id('zeta'), 'Colour', '["Red"]');
select api.product_delete(pg_temp.id('zeta'));

-- Facets of a whole subtree --------------------------------------------------------------------------------------
select pg_temp.act_as(null);
select pg_temp.keep('f_all', api.products_facets(p_category_id => pg_temp.id('root')));
select is(
  array(select jsonb_object_keys(pg_temp.kept('f_all')) order by 1),
  array['categories', 'options', 'price_bands', 'stock', 'total'],
  'products_facets returns {total, options, categories, price_bands, stock}');
select is(pg_temp.kept('f_all') -> 'total', '5'::jsonb,
  'total: the active, live products of the subtree (not the inactive or the deleted one)');
select is(pg_temp.option_counts(pg_temp.kept('f_all')::json),
  '{"Colour": {"Red": 3, "Blue": 2, "Green": 1}, "Size": {"S": 1, "M": 1, "L": 1}}'::jsonb,
  'options: products per value; a product counts once per value (Alpha has two Red and two M variants), '
  'inactive variants do not count (Eta''s Blue)');
select is(array(select o ->> 'name' from jsonb_array_elements(pg_temp.kept('f_all') -> 'options') o), array['Colour', 'Size'],
  'options: in option order (Colour is every product''s first option)');
select is(pg_temp.kept('f_all') -> 'options' -> 1 -> 'values',
  '[{"value": "L", "count": 1}, {"value": "S", "count": 1}, {"value": "M", "count": 1}]'::jsonb,
  'options: each option''s values as [{value, count}], by their position in their products'' options (L and S '
  'first in theirs), then value');
select is(pg_temp.category_counts(pg_temp.kept('f_all')::json),
  '{"root": 5, "child": 2, "grandchild": 1, "other": 1}'::jsonb,
  'categories: a product counts in its category and every one above it');
select is(
  (select c from jsonb_array_elements(pg_temp.kept('f_all') -> 'categories') c
   where (c ->> 'category_id')::bigint = pg_temp.id('grandchild')),
  jsonb_build_object('category_id', pg_temp.id('grandchild'), 'name', 'Zqxwv Facets Grandchild',
                     'parent_id', pg_temp.id('child'), 'count', 1),
  'categories: each as {category_id, name, parent_id, count}');
select is(pg_temp.kept('f_all') -> 'price_bands',
  '[{"min": "0.00", "max": "25.00", "count": 1}, {"min": "25.00", "max": "50.00", "count": 1},
    {"min": "50.00", "max": "100.00", "count": 1}, {"min": "100.00", "max": "250.00", "count": 1},
    {"min": "250.00", "max": "500.00", "count": 0}, {"min": "500.00", "max": null, "count": 1}]'::jsonb,
  'price_bands: every band of shop.price_bands, from its lower bound (included) to the next (excluded), by the '
  'product''s price (its default variant''s); empty bands too');
select is(pg_temp.kept('f_all') -> 'stock', '{"in_stock": 4, "out_of_stock": 1}'::jsonb,
  'stock: products with a live, active variant in stock, and the others');
select is(pg_temp.from_facets(null, pg_temp.id('root'), null, null, false, null),
  pg_temp.from_list(null, pg_temp.id('root'), null, null, false, null),
  'the facets count the very products products_list shows for the subtree');

-- A subtree further down: the categories above it still count its products.
select pg_temp.keep('f_child', api.products_facets(p_category_id => pg_temp.id('child')));
select is(pg_temp.kept('f_child') -> 'total', '2'::jsonb, 'category_id: the category''s subtree only (Beta, Gamma)');
select is(pg_temp.category_counts(pg_temp.kept('f_child')::json), '{"root": 2, "child": 2, "grandchild": 1}'::jsonb,
  'category_id: the counts of the categories above the one asked are those of the results');
select is(pg_temp.option_counts(pg_temp.kept('f_child')::json),
  '{"Colour": {"Red": 1, "Blue": 1, "Green": 1}, "Size": {"L": 1}}'::jsonb, 'category_id: options of the results only');
select is(pg_temp.from_facets(null, pg_temp.id('child'), null, null, false, null),
  pg_temp.from_list(null, pg_temp.id('child'), null, null, false, null), 'category_id: the same set as products_list');
select is(api.products_facets(p_category_id => pg_temp.id('grandchild'))::jsonb -> 'stock',
  '{"in_stock": 1, "out_of_stock": 0}'::jsonb, 'category_id: a leaf category');

-- Option filters --------------------------------------------------------------------------------------------------
select is(pg_temp.listed(null, pg_temp.id('root'), null, null, false, array['Colour:Red']), array['Alpha', 'Beta', 'Eta'],
  'products_list, options Colour:Red: the products with a Red variant');
select pg_temp.keep('f_red', api.products_facets(p_category_id => pg_temp.id('root'), p_options => array['Colour:Red']));
select is(pg_temp.kept('f_red') -> 'total', '3'::jsonb, 'facets, options Colour:Red: the same three products');
select is(pg_temp.option_counts(pg_temp.kept('f_red')::json),
  '{"Colour": {"Red": 3, "Blue": 1, "Green": 1}, "Size": {"S": 1, "M": 1}}'::jsonb,
  'facets, options Colour:Red: the values of the products found (all their active variants)');
select is(pg_temp.category_counts(pg_temp.kept('f_red')::json), '{"root": 3, "child": 1}'::jsonb,
  'facets, options Colour:Red: the categories of the products found');
select is(pg_temp.from_facets(null, pg_temp.id('root'), null, null, false, array['Colour:Red']),
  pg_temp.from_list(null, pg_temp.id('root'), null, null, false, array['Colour:Red']),
  'facets, options Colour:Red: total, stock and bands as products_list''s items say');
select is(api.products_facets(p_category_id => pg_temp.id('root'), p_options => array[' colour : RED '])::jsonb,
  pg_temp.kept('f_red'), 'options: names and values in any letter case, spaces around ignored');

select is(pg_temp.listed(null, pg_temp.id('root'), null, null, false, array['Colour:Green', 'Colour:Blue']),
  array['Alpha', 'Beta', 'Gamma'],
  'products_list, Colour:Green or Colour:Blue: values of one option or''ed (Eta''s Blue variant is inactive)');
select is(pg_temp.from_facets(null, pg_temp.id('root'), null, null, false, array['Colour:Green', 'Colour:Blue']),
  pg_temp.from_list(null, pg_temp.id('root'), null, null, false, array['Colour:Green', 'Colour:Blue']),
  'facets, Colour:Green or Colour:Blue: the same set');
select is(api.products_facets(p_category_id => pg_temp.id('root'), p_options => array['Colour:Green', 'Colour:Blue'])::jsonb -> 'total',
  '3'::jsonb, 'facets, Colour:Green or Colour:Blue: total 3');

select is(pg_temp.listed(null, pg_temp.id('root'), null, null, false, array['Colour:Red', 'Size:M']), array['Alpha'],
  'products_list, Colour:Red and Size:M: options and''ed (Beta and Eta have no Size)');
select is(api.products_facets(p_category_id => pg_temp.id('root'), p_options => array['Colour:Red', 'Size:M'])::jsonb -> 'total',
  '1'::jsonb, 'facets, Colour:Red and Size:M: Alpha only');
select is(pg_temp.listed(null, pg_temp.id('root'), null, null, false, array['Colour:Blue', 'Size:S']), '{}'::text[],
  'products_list, Colour:Blue and Size:S: by one variant (Alpha has Blue/M and Red/S, no Blue/S)');
select is(api.products_facets(p_category_id => pg_temp.id('root'), p_options => array['Colour:Blue', 'Size:S'])::jsonb,
  jsonb_build_object('total', 0, 'options', '[]'::jsonb, 'categories', '[]'::jsonb,
    'price_bands', (select jsonb_agg(jsonb_build_object('min', b.lower::text, 'max', b.upper::text, 'count', 0)
                                     order by b.lower)
                    from pg_temp.bands() b),
    'stock', '{"in_stock": 0, "out_of_stock": 0}'::jsonb),
  'facets, Colour:Blue and Size:S: nothing found, every count 0 (the bands listed still)');
select is(pg_temp.listed(null, pg_temp.id('root'), null, null, false, array['Colour:Blue', 'Colour:Red', 'Size:L']),
  array['Gamma'], 'products_list, (Blue or Red) and L: Gamma');
select is(pg_temp.from_facets(null, pg_temp.id('root'), null, null, false, array['Colour:Blue', 'Colour:Red', 'Size:L']),
  pg_temp.from_list(null, pg_temp.id('root'), null, null, false, array['Colour:Blue', 'Colour:Red', 'Size:L']),
  'facets, (Blue or Red) and L: the same set');
select is(api.products_facets(p_category_id => pg_temp.id('root'), p_options => array['Fit:Slim'])::jsonb -> 'total',
  '0'::jsonb, 'facets: an option no product has finds nothing');

-- q, price, stock -----------------------------------------------------------------------------------------------
select is(pg_temp.listed('zqxwv', null, null, null, false, null), array['Alpha', 'Beta', 'Delta', 'Eta', 'Gamma'],
  'products_list, q zqxwv (whole catalog): the test products');
select pg_temp.keep('f_q', api.products_facets(p_q => 'zqxwv'));
select is(pg_temp.category_counts(pg_temp.kept('f_q')::json), '{"root": 5, "child": 2, "grandchild": 1, "other": 1}'::jsonb,
  'facets, q zqxwv over the whole catalog: categories of the matches only');
select is(pg_temp.from_facets('zqxwv', null, null, null, false, null), pg_temp.from_list('zqxwv', null, null, null, false, null),
  'facets, q zqxwv: the same set as products_list');
select is(pg_temp.listed('green', pg_temp.id('root'), null, null, false, null), array['Beta'],
  'products_list, q green: option values are searched');
select is(api.products_facets(p_q => 'green', p_category_id => pg_temp.id('root'))::jsonb -> 'total', '1'::jsonb,
  'facets, q green: Beta only');
select is(pg_temp.option_counts(api.products_facets(p_q => 'gamma', p_category_id => pg_temp.id('root'))),
  '{"Colour": {"Blue": 1}, "Size": {"L": 1}}'::jsonb, 'facets, q gamma: the options of Gamma only');

-- A query whose words as typed match nothing: products_list corrects the typo (lib.correct_query) and shows what
-- the corrected query finds; the facets must count those same products.
select is(pg_temp.listed('zqxwv gammma', pg_temp.id('root'), null, null, false, null), array['Gamma'],
  'products_list, q with a typo (gammma): corrected, it finds Gamma');
select is(pg_temp.from_facets('zqxwv gammma', pg_temp.id('root'), null, null, false, null),
  pg_temp.from_list('zqxwv gammma', pg_temp.id('root'), null, null, false, null),
  'facets, q with a typo: the same set as products_list (the corrected query''s)');

select is(pg_temp.listed(null, pg_temp.id('root'), 25, 100, false, null), array['Beta', 'Delta', 'Gamma'],
  'products_list, min_price 25, max_price 100 (both included)');
select is(pg_temp.band_counts(api.products_facets(null, pg_temp.id('root'), 25, 100)), array[0, 1, 1, 1, 0, 0],
  'facets, min_price 25, max_price 100: the bands of the three products');
select is(pg_temp.from_facets(null, pg_temp.id('root'), 25, 100, false, null), pg_temp.from_list(null, pg_temp.id('root'), 25, 100, false, null),
  'facets, price range: the same set as products_list');

select is(pg_temp.listed(null, pg_temp.id('root'), null, null, true, null), array['Alpha', 'Delta', 'Eta', 'Gamma'],
  'products_list, in_stock: products with a variant in stock');
select is(api.products_facets(p_category_id => pg_temp.id('root'), p_in_stock => true)::jsonb -> 'stock',
  '{"in_stock": 4, "out_of_stock": 0}'::jsonb, 'facets, in_stock: no product out of stock');
select is(pg_temp.option_counts(api.products_facets(p_category_id => pg_temp.id('root'), p_in_stock => true)),
  '{"Colour": {"Red": 2, "Blue": 2}, "Size": {"S": 1, "M": 1, "L": 1}}'::jsonb,
  'facets, in_stock: Beta''s Green and Red no longer counted');
select is(pg_temp.from_facets('zqxwv', pg_temp.id('root'), 10, 500, true, array['colour:red']),
  pg_temp.from_list('zqxwv', pg_temp.id('root'), 10, 500, true, array['colour:red']),
  'facets, every filter at once: the same set as products_list');
select is(api.products_facets('zqxwv', pg_temp.id('root'), 10, 500, true, array['colour:red'])::jsonb -> 'total', '2'::jsonb,
  'facets, every filter at once: Alpha and Eta');

-- The stock and price follow the variants.
select pg_temp.act_as(pg_temp.id('admin_id'), 'admin');
select api.variant_update(pg_temp.id('beta'), (select (v ->> 'id')::bigint from json_array_elements(
  api.variants_list(pg_temp.id('beta')) -> 'items') v where v ->> 'sku' = 'ZQXWV-FAC-B-G'), '{"stock_quantity": 1}');
select api.variant_update(pg_temp.id('delta'), (pg_temp.kept('delta') -> 'variants' -> 0 ->> 'id')::bigint, '{"price": "99.99"}');
select pg_temp.act_as(null);
select is(api.products_facets(p_category_id => pg_temp.id('root'))::jsonb -> 'stock', '{"in_stock": 5, "out_of_stock": 0}'::jsonb,
  'stock: a product with one variant restocked (not its default) is in stock');
select is(pg_temp.band_counts(api.products_facets(p_category_id => pg_temp.id('root'))), array[1, 1, 2, 0, 0, 1],
  'price_bands: a default variant''s new price moves its product to another band');

-- The bands are shop.price_bands' rows.
reset role;
delete from shop.price_bands;
insert into shop.price_bands (lower_bound) values (0), (50);
set local role pgshop_api;
select is(api.products_facets(p_category_id => pg_temp.id('root'))::jsonb -> 'price_bands',
  '[{"min": "0.00", "max": "50.00", "count": 2}, {"min": "50.00", "max": null, "count": 3}]'::jsonb,
  'price_bands: other rows in shop.price_bands, other bands');

-- Refusals, as products_list's -------------------------------------------------------------------------------------
select throws_ok($$select api.products_facets(p_options => array['Colour'])$$, 'PT422', 'invalid_option_filter',
  'products_facets: an option filter without a value -> PT422 invalid_option_filter');
select throws_ok($$select api.products_facets(p_options => array[':Red'])$$, 'PT422', 'invalid_option_filter',
  'products_facets: an option filter without a name -> PT422 invalid_option_filter');
select throws_ok($$select api.products_facets(p_options => array['Colour:  '])$$, 'PT422', 'invalid_option_filter',
  'products_facets: an option filter with a blank value -> PT422 invalid_option_filter');
select throws_ok($$select api.products_list(p_options => array['Colour'])$$, 'PT422', 'invalid_option_filter',
  'products_list: an option filter without a value -> PT422 invalid_option_filter');
select throws_ok($$select api.products_facets(p_min_price => 10, p_max_price => 5)$$, 'PT422', 'invalid_price_range',
  'products_facets: min_price above max_price -> PT422 invalid_price_range');
select throws_ok($$select api.products_facets(p_min_price => -1)$$, 'PT422', 'invalid_price',
  'products_facets: a negative min_price -> PT422 invalid_price');
select throws_ok($$select api.products_facets(p_max_price => 1.001)$$, 'PT422', 'invalid_price',
  'products_facets: a max_price with 3 decimals -> PT422 invalid_price');

reset role;
select * from finish();
rollback;
