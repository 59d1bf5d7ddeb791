-- api.products_list (as pgshop_api): filters, full-text and typo-tolerant search, sort orders, keyset pages.
-- The database may hold demo data (hundreds of products): every check is confined to the test's own
-- category subtree ("Zqxwv ..." categories) or to made-up words no demo product contains.
begin;
select * from no_plan();
\ir ../helpers.psql
-- Every call without q makes products_list compute websearch_to_tsquery('') and PostgreSQL says
-- "NOTICE: text-search query doesn't contain lexemes" each time: keep the test output readable.
set local client_min_messages = warning;

-- The ids of the test products named, in order, as a JSON array.
create function pg_temp.expect(variadic p_names text[]) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(pg_temp.id(n) order by o), '[]') from unnest(p_names) with ordinality u (n, o)
$$;
-- The ids of a page's items, in order, as a JSON array.
create function pg_temp.ids(p_page json) returns jsonb
language sql immutable as $$ select jsonb_path_query_array(p_page::jsonb, '$.items[*].id') $$;
-- Follow next_cursor from the first page to the last: {"ids": every id seen in order, "sizes": each page's size}.
-- Calls api.products_list as whoever runs it (pgshop_api in the tests below).
create function pg_temp.page_all(
  p_sort text, p_limit integer, p_category_id bigint, p_q text default null,
  p_min_price numeric default null, p_max_price numeric default null, p_in_stock boolean default false
) returns jsonb
language plpgsql as $$
declare
  v_cursor text;
  v_page jsonb;
  v_ids jsonb := '[]';
  v_sizes jsonb := '[]';
begin
  for i in 1..1000 loop
    v_page := api.products_list(p_q, p_category_id, p_min_price, p_max_price, p_in_stock, p_sort, p_limit, v_cursor)::jsonb;
    v_ids := v_ids || jsonb_path_query_array(v_page, '$.items[*].id');
    v_sizes := v_sizes || to_jsonb(jsonb_array_length(v_page -> 'items'));
    v_cursor := v_page ->> 'next_cursor';
    if v_cursor is null then
      return jsonb_build_object('ids', v_ids, 'sizes', v_sizes);
    end if;
  end loop;
  -- Still a next_cursor after 1000 pages: a cursor that never ends (no test expects this key).
  return jsonb_build_object('ids', v_ids, 'sizes', v_sizes, 'endless', true);
end
$$;

-- Function properties ---------------------------------------------------------------------------------
select function_privs_are('api', 'products_list',
  array['text', 'bigint', 'numeric', 'numeric', 'boolean', 'text', 'integer', 'text', 'text[]'], 'pgshop_api', array['EXECUTE']);
select volatility_is('api', 'products_list',
  array['text', 'bigint', 'numeric', 'numeric', 'boolean', 'text', 'integer', 'text', 'text[]'], 'stable');
select is_definer('api', 'products_list',
  array['text', 'bigint', 'numeric', 'numeric', 'boolean', 'text', 'integer', 'text', 'text[]']);

-- Test data -------------------------------------------------------------------------------------------
-- Categories: root <- child <- grandchild; other (a second root); search (a third root).
-- Products in the root subtree (all active and live unless said otherwise), inserted in this order:
--   p1 Zqxwv Alpha lamp     10.00  stock 5  root        created 5 days ago
--   p2 Zqxwv Bravo desk     20.00  stock 0  child       created 4 days ago
--   p3 Zqxwv Charlie chair  20.00  stock 3  grandchild  created 4 days ago (same as p2)
--   p4 Zqxwv Delta shelf    35.50  stock 1  grandchild  created 1 day ago
--   p5 Zqxwv Echo rug        5.25  stock 9  child       created 10 days ago
--   p9 Zqxwv Alpha lamp     11.00  stock 2  child       created 2 days ago (same name as p1)
--   p6 Zqxwv Foxtrot (inactive), p7 Zqxwv Golf (deleted)
-- p8 Zqxwv Hotel in other; s1..s5 in search. Each has one variant (SKU ZQXWV-LIST-<key>) with its price and
-- stock; a deleted product's variant is deleted with it.
do $$
declare
  v_root bigint;
  v_child bigint;
  v_grandchild bigint;
  v_other bigint;
  v_search bigint;
  v_id bigint;
  r record;
begin
  insert into shop.categories (name) values ('Zqxwv List Root') returning id into v_root;
  insert into shop.categories (name, parent_id) values ('Zqxwv List Child', v_root) returning id into v_child;
  insert into shop.categories (name, parent_id) values ('Zqxwv List Grandchild', v_child) returning id into v_grandchild;
  insert into shop.categories (name) values ('Zqxwv List Other') returning id into v_other;
  insert into shop.categories (name) values ('Zqxwv List Search') returning id into v_search;
  perform set_config('tests.root', v_root::text, true);
  perform set_config('tests.child', v_child::text, true);
  perform set_config('tests.grandchild', v_grandchild::text, true);
  perform set_config('tests.other', v_other::text, true);
  perform set_config('tests.search', v_search::text, true);

  for r in
    select * from (values
      ('p1', 'Zqxwv Alpha lamp', null, 10.00, 5, v_root, now() - interval '5 days', true, false),
      ('p2', 'Zqxwv Bravo desk', null, 20.00, 0, v_child, now() - interval '4 days', true, false),
      ('p3', 'Zqxwv Charlie chair', null, 20.00, 3, v_grandchild, now() - interval '4 days', true, false),
      ('p4', 'Zqxwv Delta shelf', null, 35.50, 1, v_grandchild, now() - interval '1 day', true, false),
      ('p5', 'Zqxwv Echo rug', null, 5.25, 9, v_child, now() - interval '10 days', true, false),
      ('p9', 'Zqxwv Alpha lamp', null, 11.00, 2, v_child, now() - interval '2 days', true, false),
      ('p6', 'Zqxwv Foxtrot', null, 15.00, 4, v_root, now() - interval '3 days', false, false),
      ('p7', 'Zqxwv Golf', null, 15.00, 4, v_root, now() - interval '3 days', true, true),
      ('p8', 'Zqxwv Hotel', null, 12.00, 4, v_other, now() - interval '3 days', true, false),
      ('s1', 'Zqxwv Quuxblatt organiser', 'A tidy box for desks', 8.00, 1, v_search, now(), true, false),
      ('s2', 'Zqxwv tidy box', 'Fits any quuxblatt you own', 8.00, 1, v_search, now(), true, false),
      ('s3', 'Zqxwv Brownswitch keyboard', 'Mechanical, tactile', 8.00, 1, v_search, now(), true, false),
      ('s4', 'Zqxwv Quuxblatt hidden', 'quuxblatt', 8.00, 1, v_search, now(), false, false),
      ('s5', 'Zqxwv Quuxblatt deleted', 'quuxblatt', 8.00, 1, v_search, now(), true, true)
    ) v (key, name, description, price, stock, category_id, created_at, is_active, deleted)
  loop
    v_id := pg_temp.new_product(r.name, r.price, 'ZQXWV-LIST-' || r.key, r.stock, r.category_id);
    update shop.products
    set description = r.description, created_at = r.created_at, is_active = r.is_active,
        deleted_at = case when r.deleted then now() end
    where id = v_id;
    perform set_config('tests.' || r.key, v_id::text, true);
  end loop;
end
$$;

do $$
begin
  -- Live, active products with a live variant (one without any has no price and is not for sale).
  perform set_config('tests.live_count',
    (select count(*) from shop.products p where p.is_active and p.deleted_at is null
     and exists (select from shop.variants v where v.product_id = p.id and v.deleted_at is null))::text, true);
end
$$;
set local role pgshop_api;
select pg_temp.act_as(null);

-- Shape -----------------------------------------------------------------------------------------------
select is(array(select jsonb_object_keys(api.products_list()::jsonb) order by 1), array['items', 'next_cursor'],
  'products_list() returns {items, next_cursor}');
select is(jsonb_typeof(api.products_list()::jsonb -> 'items'), 'array', 'items is an array');
select ok(jsonb_typeof(api.products_list()::jsonb -> 'next_cursor') in ('null', 'string'), 'next_cursor is a string or null');
select ok(jsonb_array_length(api.products_list()::jsonb -> 'items') <= 20, 'the default page has at most 20 items');
select is(
  array(select jsonb_object_keys(api.products_list(p_category_id => pg_temp.id('root'), p_limit => 1)::jsonb -> 'items' -> 0) order by 1),
  array['category_id', 'created_at', 'description', 'handle', 'id', 'in_stock', 'is_active', 'low_stock_threshold',
        'metadata', 'name', 'price', 'price_range', 'sku', 'stock_quantity', 'updated_at'],
  'an item has the same shape as product_get, without its options and variants (those are on its own page)');
select is(
  api.products_list(p_category_id => pg_temp.id('root'), p_sort => 'price', p_limit => 1)::jsonb -> 'items' -> 0 -> 'price',
  '"5.25"'::jsonb, 'an item''s price is a decimal string');
select is(
  api.products_list(p_category_id => pg_temp.id('root'))::jsonb,
  jsonb_build_object('items', (select jsonb_agg(api.product_get(x::bigint)::jsonb - 'options' - 'variants' order by o)
                               from jsonb_array_elements_text(pg_temp.expect('p4', 'p9', 'p3', 'p2', 'p1', 'p5')) with ordinality e (x, o)),
                     'next_cursor', null),
  'without sort or q the order is newest first (ties by id, newest first); one page: next_cursor null');

-- Errors ----------------------------------------------------------------------------------------------
select throws_ok($$select api.products_list(p_limit => 0)$$, 'PT422', 'invalid_limit', 'limit 0 -> PT422 invalid_limit');
select throws_ok($$select api.products_list(p_limit => 101)$$, 'PT422', 'invalid_limit', 'limit 101 -> PT422 invalid_limit');
select lives_ok($$select api.products_list(p_limit => 100)$$, 'limit 100 is allowed');
select throws_ok($$select api.products_list(p_sort => 'cheapest')$$, 'PT422', 'invalid_sort', 'an unknown sort -> PT422 invalid_sort');
select throws_ok($$select api.products_list(p_sort => 'relevance')$$, 'PT422', 'invalid_sort',
  'sort=relevance without q -> PT422 invalid_sort');
select throws_ok($$select api.products_list(p_q => '   ', p_sort => 'relevance')$$, 'PT422', 'invalid_sort',
  'sort=relevance with a blank q -> PT422 invalid_sort');
select throws_ok($$select api.products_list(p_min_price => 20, p_max_price => 10)$$, 'PT422', 'invalid_price_range',
  'min_price above max_price -> PT422 invalid_price_range');
select throws_ok($$select api.products_list(p_cursor => 'garbage')$$, 'PT422', 'invalid_cursor',
  'a malformed cursor -> PT422 invalid_cursor');
select throws_ok($$select api.products_list(p_cursor => '!!!')$$, 'PT422', 'invalid_cursor',
  'a cursor that is not base64 -> PT422 invalid_cursor');
select throws_ok(
  format('select api.products_list(p_category_id => %s, p_sort => %L, p_cursor => %L)', pg_temp.id('root'), 'name',
    api.products_list(p_category_id => pg_temp.id('root'), p_sort => 'price', p_limit => 2) ->> 'next_cursor'),
  'PT422', 'invalid_cursor', 'a cursor from sort=price used with sort=name -> PT422 invalid_cursor');
select throws_ok(
  format('select api.products_list(p_category_id => %s, p_sort => %L, p_cursor => %L)', pg_temp.id('root'), '-price',
    api.products_list(p_category_id => pg_temp.id('root'), p_sort => 'price', p_limit => 2) ->> 'next_cursor'),
  'PT422', 'invalid_cursor', 'a cursor from sort=price used with sort=-price -> PT422 invalid_cursor');
select throws_ok(
  format('select api.products_list(p_category_id => %s, p_cursor => %L)', pg_temp.id('root'),
    api.products_list(p_category_id => pg_temp.id('root'), p_sort => 'price', p_limit => 2) ->> 'next_cursor'),
  'PT422', 'invalid_cursor', 'a cursor from sort=price used with the default sort (newest) -> PT422 invalid_cursor');
-- Known bug (reported): a well-formed cursor whose key does not fit the sort is not validated.
select throws_ok(
  format('select api.products_list(p_sort => %L, p_cursor => %L)', 'price',
    rtrim(translate(encode(convert_to('{"s": "price", "k": "abc", "id": 1}', 'utf8'), 'base64'), E'+/\n', '-_'), '=')),
  'PT422', 'invalid_cursor', 'a cursor for sort=price whose key is not a number -> PT422 invalid_cursor');

-- Category filter: the whole subtree ----------------------------------------------------------------------
select is(pg_temp.ids(api.products_list(p_category_id => pg_temp.id('root'), p_sort => 'price')),
  pg_temp.expect('p5', 'p1', 'p9', 'p2', 'p3', 'p4'),
  'filtering by the root lists the products of the root, its children and grandchildren');
select is(pg_temp.ids(api.products_list(p_category_id => pg_temp.id('child'), p_sort => 'price')),
  pg_temp.expect('p5', 'p9', 'p2', 'p3', 'p4'),
  'filtering by the child: the child and the grandchild');
select is(pg_temp.ids(api.products_list(p_category_id => pg_temp.id('grandchild'), p_sort => 'price')),
  pg_temp.expect('p3', 'p4'),
  'filtering by the grandchild (a leaf): only its own products');
select is(pg_temp.ids(api.products_list(p_category_id => pg_temp.id('other'), p_sort => 'price')),
  pg_temp.expect('p8'),
  'filtering by another root: none of the first tree''s products');

-- Price range and stock filters ---------------------------------------------------------------------------
select is(pg_temp.ids(api.products_list(p_category_id => pg_temp.id('root'), p_min_price => 10, p_max_price => 20, p_sort => 'price')),
  pg_temp.expect('p1', 'p9', 'p2', 'p3'),
  'min_price 10, max_price 20: both bounds included');
select is(pg_temp.ids(api.products_list(p_category_id => pg_temp.id('root'), p_min_price => 20, p_sort => 'price')),
  pg_temp.expect('p2', 'p3', 'p4'),
  'min_price alone');
select is(pg_temp.ids(api.products_list(p_category_id => pg_temp.id('root'), p_max_price => 10, p_sort => 'price')),
  pg_temp.expect('p5', 'p1'),
  'max_price alone');
select is(pg_temp.ids(api.products_list(p_category_id => pg_temp.id('root'), p_min_price => 20, p_max_price => 20, p_sort => 'price')),
  pg_temp.expect('p2', 'p3'),
  'min_price = max_price is a valid range');
select is(pg_temp.ids(api.products_list(p_category_id => pg_temp.id('root'), p_in_stock => true, p_sort => 'price')),
  pg_temp.expect('p5', 'p1', 'p9', 'p3', 'p4'),
  'in_stock leaves out products with no stock');
select is(pg_temp.ids(api.products_list(p_category_id => pg_temp.id('root'), p_in_stock => false, p_sort => 'price')),
  pg_temp.expect('p5', 'p1', 'p9', 'p2', 'p3', 'p4'),
  'in_stock false does not filter');
select is(pg_temp.ids(api.products_list(p_category_id => pg_temp.id('root'), p_in_stock => true,
                                        p_min_price => 10, p_max_price => 20, p_sort => 'price')),
  pg_temp.expect('p1', 'p9', 'p3'),
  'price range and in_stock together');

-- Sort orders with keyset pagination --------------------------------------------------------------------
select is(pg_temp.page_all('price', 2, pg_temp.id('root')),
  jsonb_build_object('ids', pg_temp.expect('p5', 'p1', 'p9', 'p2', 'p3', 'p4'), 'sizes', '[2, 2, 2]'::jsonb),
  'sort=price, pages of 2: every product once, cheapest first, ties by id; the last page ends the walk');
select is(pg_temp.page_all('price', 1, pg_temp.id('root')),
  jsonb_build_object('ids', pg_temp.expect('p5', 'p1', 'p9', 'p2', 'p3', 'p4'), 'sizes', '[1, 1, 1, 1, 1, 1]'::jsonb),
  'sort=price, pages of 1');
select is(pg_temp.page_all('-price', 2, pg_temp.id('root')),
  jsonb_build_object('ids', pg_temp.expect('p4', 'p3', 'p2', 'p9', 'p1', 'p5'), 'sizes', '[2, 2, 2]'::jsonb),
  'sort=-price, pages of 2: dearest first, ties by id descending');
select is(pg_temp.page_all('-price', 1, pg_temp.id('root')),
  jsonb_build_object('ids', pg_temp.expect('p4', 'p3', 'p2', 'p9', 'p1', 'p5'), 'sizes', '[1, 1, 1, 1, 1, 1]'::jsonb),
  'sort=-price, pages of 1');
select is(pg_temp.page_all('name', 2, pg_temp.id('root')),
  jsonb_build_object('ids', pg_temp.expect('p1', 'p9', 'p2', 'p3', 'p4', 'p5'), 'sizes', '[2, 2, 2]'::jsonb),
  'sort=name, pages of 2: by name, equal names by id');
select is(pg_temp.page_all('name', 1, pg_temp.id('root')),
  jsonb_build_object('ids', pg_temp.expect('p1', 'p9', 'p2', 'p3', 'p4', 'p5'), 'sizes', '[1, 1, 1, 1, 1, 1]'::jsonb),
  'sort=name, pages of 1 (a page boundary between the two equal names)');
select is(pg_temp.page_all('newest', 2, pg_temp.id('root')),
  jsonb_build_object('ids', pg_temp.expect('p4', 'p9', 'p3', 'p2', 'p1', 'p5'), 'sizes', '[2, 2, 2]'::jsonb),
  'sort=newest, pages of 2: newest first, equal times by id descending');
select is(pg_temp.page_all('newest', 1, pg_temp.id('root')),
  jsonb_build_object('ids', pg_temp.expect('p4', 'p9', 'p3', 'p2', 'p1', 'p5'), 'sizes', '[1, 1, 1, 1, 1, 1]'::jsonb),
  'sort=newest, pages of 1 (a page boundary between two equal creation times)');
select is(pg_temp.page_all('newest', 4, pg_temp.id('root')),
  jsonb_build_object('ids', pg_temp.expect('p4', 'p9', 'p3', 'p2', 'p1', 'p5'), 'sizes', '[4, 2]'::jsonb),
  'sort=newest, pages of 4: a short last page');
select is(pg_temp.page_all('price', 3, pg_temp.id('root'), p_in_stock => true, p_min_price => 6),
  jsonb_build_object('ids', pg_temp.expect('p1', 'p9', 'p3', 'p4'), 'sizes', '[3, 1]'::jsonb),
  'filters hold on every page');
select is(pg_temp.page_all('relevance', 2, pg_temp.id('root'), 'zqxwv'),
  jsonb_build_object('ids', pg_temp.ids(api.products_list('zqxwv', pg_temp.id('root'), p_limit => 100)), 'sizes', '[2, 2, 2]'::jsonb),
  'sort=relevance, pages of 2: the same order as one big page, every product once');
select is(pg_temp.page_all('relevance', 1, pg_temp.id('root'), 'zqxwv'),
  jsonb_build_object('ids', pg_temp.ids(api.products_list('zqxwv', pg_temp.id('root'), p_limit => 100)), 'sizes', '[1, 1, 1, 1, 1, 1]'::jsonb),
  'sort=relevance, pages of 1');
select is(pg_temp.page_all('relevance', 1, pg_temp.id('search'), 'quuxblatt'),
  jsonb_build_object('ids', pg_temp.expect('s1', 's2'), 'sizes', '[1, 1]'::jsonb),
  'sort=relevance, pages of 1 across different ranks');
-- Known bug (reported): the relevance cursor holds the rank as real::text, which depends on the session's
-- extra_float_digits; at 0 or below the rank no longer round-trips and paging repeats or skips products.
set local extra_float_digits = 0;
select is(pg_temp.page_all('relevance', 1, pg_temp.id('root'), 'zqxwv') -> 'ids',
  pg_temp.ids(api.products_list('zqxwv', pg_temp.id('root'), p_limit => 100)),
  'sort=relevance, pages of 1, with extra_float_digits = 0: the same order as one big page');
reset extra_float_digits;
select is(pg_temp.page_all('price', 2, pg_temp.id('root'), 'zqxwv'),
  jsonb_build_object('ids', pg_temp.expect('p5', 'p1', 'p9', 'p2', 'p3', 'p4'), 'sizes', '[2, 2, 2]'::jsonb),
  'q with sort=price: matches in price order');

select is(api.products_list(p_category_id => pg_temp.id('root'), p_sort => 'price', p_limit => 6)::jsonb -> 'next_cursor', 'null'::jsonb,
  'a page that holds the last product exactly has next_cursor null');
select is(jsonb_typeof(api.products_list(p_category_id => pg_temp.id('root'), p_sort => 'price', p_limit => 5)::jsonb -> 'next_cursor'),
  'string', 'a page with more products after it has a next_cursor');
select is(
  pg_temp.ids(api.products_list(p_category_id => pg_temp.id('root'), p_sort => 'price', p_limit => 5,
    p_cursor => api.products_list(p_category_id => pg_temp.id('root'), p_sort => 'price', p_limit => 5) ->> 'next_cursor')),
  pg_temp.expect('p4'), 'the cursor of the first page leads to the rest');
select is(
  api.products_list(p_category_id => pg_temp.id('root'), p_sort => 'price', p_limit => 5,
    p_cursor => api.products_list(p_category_id => pg_temp.id('root'), p_sort => 'price', p_limit => 5) ->> 'next_cursor')::jsonb -> 'next_cursor',
  'null'::jsonb, 'the last page has next_cursor null');
select is(api.products_list(p_category_id => pg_temp.id('root'), p_min_price => 1000000)::jsonb,
  '{"items": [], "next_cursor": null}'::jsonb, 'nothing matches: an empty page, next_cursor null');

-- The whole catalog (demo data included, if any): small pages see exactly what big pages see.
select is(pg_temp.page_all('price', 7, null) -> 'ids', pg_temp.page_all('price', 100, null) -> 'ids',
  'whole catalog, sort=price: pages of 7 and pages of 100 list the same products in the same order');
select is(pg_temp.page_all('-price', 7, null) -> 'ids', pg_temp.page_all('-price', 100, null) -> 'ids',
  'whole catalog, sort=-price: pages of 7 = pages of 100');
select is(pg_temp.page_all('name', 7, null) -> 'ids', pg_temp.page_all('name', 100, null) -> 'ids',
  'whole catalog, sort=name: pages of 7 = pages of 100');
select is(pg_temp.page_all('newest', 7, null) -> 'ids', pg_temp.page_all('newest', 100, null) -> 'ids',
  'whole catalog, sort=newest: pages of 7 = pages of 100');
select is(pg_temp.page_all('relevance', 7, null, 'keyboard') -> 'ids', pg_temp.page_all('relevance', 100, null, 'keyboard') -> 'ids',
  'whole catalog, sort=relevance (q=keyboard): pages of 7 = pages of 100');
select is(
  (select count(distinct x) from jsonb_array_elements(pg_temp.page_all('newest', 7, null) -> 'ids') x),
  current_setting('tests.live_count')::bigint,
  'whole catalog: paging visits every live, active product exactly once');

-- Full-text search ------------------------------------------------------------------------------------
select is(pg_temp.ids(api.products_list('quuxblatt', pg_temp.id('search'))),
  pg_temp.expect('s1', 's2'),
  'q: the product with the word in its name ranks above the one with it only in the description');
select is(pg_temp.ids(api.products_list('Quuxblatt', pg_temp.id('search'), p_sort => 'relevance')),
  pg_temp.expect('s1', 's2'),
  'q is case-insensitive; sort=relevance explicitly');
select ok(
  (select array_agg(x::bigint) from jsonb_array_elements_text(pg_temp.ids(api.products_list('quuxblatt', p_limit => 100))) x)
    [1:2] = array[pg_temp.id('s1'), pg_temp.id('s2')],
  'q without a category filter: the name match first, the description match second');
select is(pg_temp.ids(api.products_list('Brownswich', pg_temp.id('search'))),
  pg_temp.expect('s3'),
  'q with a typo ("Brownswich") finds the product named "... Brownswitch ..."');
select ok(
  pg_temp.page_all('relevance', 100, null, 'Brownswich') -> 'ids' @> pg_temp.expect('s3'),
  'the typo search finds it without a category filter too');
select is(pg_temp.ids(api.products_list('  quuxblatt  ', pg_temp.id('search'), p_sort => 'name')),
  pg_temp.expect('s1', 's2'), 'q is trimmed; q with sort=name');

-- Inactive and deleted products are never listed -------------------------------------------------------
select ok(not (pg_temp.page_all('relevance', 100, null, 'Zqxwv Foxtrot') -> 'ids' @> pg_temp.expect('p6')),
  'an inactive product is not found by its name');
select ok(not (pg_temp.page_all('relevance', 100, null, 'Zqxwv Golf') -> 'ids' @> pg_temp.expect('p7')),
  'a deleted product is not found by its name');
select is(pg_temp.ids(api.products_list('quuxblatt hidden', pg_temp.id('search'), p_sort => 'name')),
  '[]'::jsonb, 'an inactive product does not match a search (only it has the word "hidden")');
select is(pg_temp.ids(api.products_list(p_category_id => pg_temp.id('search'), p_sort => 'name', p_limit => 100)),
  pg_temp.expect('s3', 's1', 's2'), 'the inactive and the deleted product are not in their category''s list');

-- Also for an admin: lists show only live, active products.
reset role;
-- Control: the searches above would have found p6 and p7 were they active and live.
-- (Undeleting a product by hand does not undelete its variant: that takes its own update.)
update shop.products set is_active = true, deleted_at = null where id in (pg_temp.id('p6'), pg_temp.id('p7'));
update shop.variants set deleted_at = null where product_id = pg_temp.id('p7');
select ok(
  pg_temp.page_all('relevance', 100, null, 'Zqxwv Foxtrot') -> 'ids' @> pg_temp.expect('p6')
  and pg_temp.page_all('relevance', 100, null, 'Zqxwv Golf') -> 'ids' @> pg_temp.expect('p7'),
  'control: once active and live again, those searches find p6 and p7');
update shop.products set is_active = false where id = pg_temp.id('p6');
update shop.products set deleted_at = now() where id = pg_temp.id('p7');
do $$
begin
  perform pg_temp.new_user('admin_id', 'zqxwv-list-admin@zqxwv.test', 'Ad', 'Min', 'admin');
end
$$;
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin_id'), 'admin');
select is(pg_temp.page_all('name', 2, pg_temp.id('search')),
  jsonb_build_object('ids', pg_temp.expect('s3', 's1', 's2'), 'sizes', '[2, 1]'::jsonb),
  'an admin''s list has no inactive or deleted products either');

reset role;
select * from finish();
rollback;
