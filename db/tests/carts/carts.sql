-- api.cart_get, cart_add_item, cart_set_item, cart_remove_item (as pgshop_api) for guests (token) and
-- signed-in users (persistent cart), and lib.purge_expired (old guest carts, idempotency keys, attempts and
-- outbox events).
begin;
select * from no_plan();
\ir ../helpers.psql

create function pg_temp.tok(p_name text) returns text
language sql stable as $$ select pg_temp.kept(p_name) ->> 'token' $$;
-- The expected JSON of a cart line for product tests.<key> (its one variant: no options; id, name, sku, price
-- remembered at set-up).
create function pg_temp.line(p_key text, p_quantity integer) returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'product_id', (p ->> 'id')::bigint, 'variant_id', (p ->> 'variant_id')::bigint, 'name', p ->> 'name',
    'sku', p ->> 'sku', 'options', '{}'::jsonb,
    'unit_price', (p ->> 'price')::numeric(12, 2)::text, 'quantity', p_quantity,
    'line_total', ((p ->> 'price')::numeric(12, 2) * p_quantity)::text)
  from (select current_setting('tests.' || p_key || '.product')::jsonb) x (p)
$$;
-- The expected JSON of a whole cart.
create function pg_temp.cart(p_token text, p_lines jsonb[]) returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'token', p_token,
    'items', coalesce((select jsonb_agg(l order by i) from unnest(p_lines) with ordinality u (l, i)), '[]'),
    'total', coalesce((select sum((l ->> 'line_total')::numeric) from unnest(p_lines) l), 0)::numeric(12, 2)::text,
    'item_count', coalesce((select sum((l ->> 'quantity')::integer) from unnest(p_lines) l), 0))
$$;

-- Function properties ---------------------------------------------------------------------------------
select function_privs_are('api', 'cart_get', array['text'], 'pgshop_api', array['EXECUTE']);
-- The line functions take an optional trailing variant id (migration 20261208200000); without it, the line is
-- the product's only variant (carts/variants.sql tests products with several).
select function_privs_are('api', 'cart_add_item', array['text', 'bigint', 'integer', 'bigint'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'cart_set_item', array['text', 'bigint', 'integer', 'bigint'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'cart_remove_item', array['text', 'bigint', 'bigint'], 'pgshop_api', array['EXECUTE']);
select volatility_is('api', 'cart_get', array['text'], 'stable');
select volatility_is('api', 'cart_add_item', array['text', 'bigint', 'integer', 'bigint'], 'volatile');
select volatility_is('api', 'cart_set_item', array['text', 'bigint', 'integer', 'bigint'], 'volatile');
select volatility_is('api', 'cart_remove_item', array['text', 'bigint', 'bigint'], 'volatile');
select is_definer('api', 'cart_get', array['text']);
select is_definer('api', 'cart_add_item', array['text', 'bigint', 'integer', 'bigint']);
select is_definer('api', 'cart_set_item', array['text', 'bigint', 'integer', 'bigint']);
select is_definer('api', 'cart_remove_item', array['text', 'bigint', 'bigint']);
select function_privs_are('lib', 'purge_expired', '{}'::text[], 'pgshop_api', '{}'::text[]);

-- Set-up ------------------------------------------------------------------------------------------------
do $$
declare
  r record;
  v_id bigint;
begin
  perform pg_temp.new_user('admin', 'zqxwv-cart-admin@zqxwv.test', 'Ad', 'Min', 'admin');
  perform pg_temp.new_user('c1', 'zqxwv-cart-one@zqxwv.test', 'Cus', 'One');
  perform pg_temp.new_user('c2', 'zqxwv-cart-two@zqxwv.test', 'Cus', 'Two');

  for r in
    select * from (values ('a', 'Zqxwv Cart Alpha', 19.99, 'ZQXWV-CART-A', 5, true, false),
                          ('b', 'Zqxwv Cart Beta', 2.50, 'ZQXWV-CART-B', 10, true, false),
                          ('g', 'Zqxwv Cart Gamma', 7.00, 'ZQXWV-CART-G', 10, true, false),
                          ('i', 'Zqxwv Cart Inactive', 1.00, 'ZQXWV-CART-I', 10, false, false),
                          ('d', 'Zqxwv Cart Deleted', 1.00, 'ZQXWV-CART-D', 10, true, true)) v (key, name, price, sku, stock,
                                                                                                is_active, deleted)
  loop
    v_id := pg_temp.new_product(r.name, r.price, r.sku, r.stock);
    update shop.products set is_active = r.is_active, deleted_at = case when r.deleted then now() end where id = v_id;
    perform set_config('tests.' || r.key, v_id::text, true);
    perform set_config('tests.' || r.key || '.product',
      json_build_object('id', v_id, 'variant_id', pg_temp.variant_of(v_id), 'name', r.name, 'sku', r.sku,
                        'price', r.price)::text,
      true);
  end loop;
  perform set_config('tests.missing', ((select max(id) from shop.products) + 1000)::text, true);
end
$$;

set local role pgshop_api;

-- Guest carts -------------------------------------------------------------------------------------------
select pg_temp.act_as(null);

select is(api.cart_get()::jsonb, pg_temp.cart(null, '{}'),
  'cart_get: a guest without a token has an empty cart (token null, no items, total "0.00", item_count 0)');
select is(api.cart_get(null)::jsonb, pg_temp.cart(null, '{}'), 'cart_get(null): the same empty cart');

select pg_temp.keep('g1', api.cart_add_item(null, pg_temp.id('a'), 2));
select ok(pg_temp.tok('g1') ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
  'cart_add_item: a guest''s first add returns a new token (a uuid) in the JSON');
select is(pg_temp.kept('g1'), pg_temp.cart(pg_temp.tok('g1'), array[pg_temp.line('a', 2)]),
  'cart_add_item: the cart has the line: product_id, variant_id, name, sku, options, unit_price "19.99", quantity, '
  'line_total "39.98"');
select is(
  array(select jsonb_typeof(pg_temp.kept('g1') -> k) from unnest(array['total', 'item_count']) k)
    || array(select jsonb_typeof(pg_temp.kept('g1') -> 'items' -> 0 -> k) from unnest(array['unit_price', 'line_total', 'quantity']) k),
  array['string', 'number', 'string', 'string', 'number'],
  'money is a JSON string (total, unit_price, line_total); item_count and quantity are numbers');

select is(api.cart_add_item(pg_temp.tok('g1'), pg_temp.id('a'), 1)::jsonb,
  pg_temp.cart(pg_temp.tok('g1'), array[pg_temp.line('a', 3)]),
  'cart_add_item with the token: the same cart, the quantity adds up (2 + 1)');
select is(api.cart_add_item(pg_temp.tok('g1'), pg_temp.id('b'), 4)::jsonb,
  pg_temp.cart(pg_temp.tok('g1'), array[pg_temp.line('a', 3), pg_temp.line('b', 4)]),
  'cart_add_item: a second product is a second line; total and item_count cover both');
select is(api.cart_get(pg_temp.tok('g1')) ->> 'total', '69.97', 'the total is 3 x 19.99 + 4 x 2.50 = "69.97"');
select is(api.cart_get(pg_temp.tok('g1'))::jsonb,
  pg_temp.cart(pg_temp.tok('g1'), array[pg_temp.line('a', 3), pg_temp.line('b', 4)]),
  'cart_get with the token sees the same cart');

select is(api.cart_set_item(pg_temp.tok('g1'), pg_temp.id('a'), 1)::jsonb,
  pg_temp.cart(pg_temp.tok('g1'), array[pg_temp.line('a', 1), pg_temp.line('b', 4)]),
  'cart_set_item sets the quantity (3 -> 1), it does not add');
select is(api.cart_set_item(pg_temp.tok('g1'), pg_temp.id('b'), 10)::jsonb,
  pg_temp.cart(pg_temp.tok('g1'), array[pg_temp.line('a', 1), pg_temp.line('b', 10)]),
  'cart_set_item: exactly the stock on hand (10) is allowed');
select is(api.cart_remove_item(pg_temp.tok('g1'), pg_temp.id('b'))::jsonb,
  pg_temp.cart(pg_temp.tok('g1'), array[pg_temp.line('a', 1)]),
  'cart_remove_item removes the line');
select is(api.cart_remove_item(pg_temp.tok('g1'), pg_temp.id('b'))::jsonb,
  pg_temp.cart(pg_temp.tok('g1'), array[pg_temp.line('a', 1)]),
  'cart_remove_item: removing an absent line is not an error and changes nothing');
select is(api.cart_set_item(pg_temp.tok('g1'), pg_temp.id('g'), 2)::jsonb,
  pg_temp.cart(pg_temp.tok('g1'), array[pg_temp.line('a', 1), pg_temp.line('g', 2)]),
  'cart_set_item on a product not in the cart creates the line');

-- Malformed and unknown tokens read as an empty cart.
select is(api.cart_get('zqxwv-not-a-uuid')::jsonb, pg_temp.cart(null, '{}'),
  'cart_get: a malformed token reads as an empty cart');
select is(api.cart_get('')::jsonb, pg_temp.cart(null, '{}'), 'cart_get: an empty token reads as an empty cart');
select is(api.cart_get(gen_random_uuid()::text)::jsonb, pg_temp.cart(null, '{}'),
  'cart_get: an unknown token reads as an empty cart');
select is(api.cart_remove_item('zqxwv-not-a-uuid', pg_temp.id('a'))::jsonb, pg_temp.cart(null, '{}'),
  'cart_remove_item: a malformed token is an empty cart, no error');
select is(api.cart_get(pg_temp.tok('g1'))::jsonb,
  pg_temp.cart(pg_temp.tok('g1'), array[pg_temp.line('a', 1), pg_temp.line('g', 2)]),
  '... and the real guest cart is untouched');

do $$ begin perform set_config('tests.unknown_token', gen_random_uuid()::text, true); end $$;
select pg_temp.keep('g2', api.cart_add_item(current_setting('tests.unknown_token'), pg_temp.id('b'), 1));
select ok(pg_temp.tok('g2') is not null and pg_temp.tok('g2') not in (current_setting('tests.unknown_token'), pg_temp.tok('g1')),
  'cart_add_item with an unknown token starts a new cart with a new token (not the one sent)');
select is(pg_temp.kept('g2'), pg_temp.cart(pg_temp.tok('g2'), array[pg_temp.line('b', 1)]),
  '... holding only the new line');

-- Expiry: a guest cart not changed for 30 days is gone.
reset role;
select pg_temp.backdate('shop.carts', format('token = %L', pg_temp.tok('g1')), now() - interval '29 days 23 hours');
set local role pgshop_api;
select is(api.cart_get(pg_temp.tok('g1'))::jsonb -> 'items', pg_temp.cart(null, array[pg_temp.line('a', 1), pg_temp.line('g', 2)]) -> 'items',
  'a guest cart last changed 29 days 23 hours ago is still found');
reset role;
select pg_temp.backdate('shop.carts', format('token = %L', pg_temp.tok('g1')), now() - interval '30 days');
set local role pgshop_api;
select is(api.cart_get(pg_temp.tok('g1'))::jsonb, pg_temp.cart(null, '{}'),
  'a guest cart last changed 30 days ago is expired: cart_get reads an empty cart');
select is(api.cart_remove_item(pg_temp.tok('g1'), pg_temp.id('a'))::jsonb, pg_temp.cart(null, '{}'),
  'cart_remove_item on an expired cart: empty cart');
select pg_temp.keep('g3', api.cart_add_item(pg_temp.tok('g1'), pg_temp.id('b'), 2));
select is(pg_temp.kept('g3') - 'token', pg_temp.cart(null, array[pg_temp.line('b', 2)]) - 'token',
  'cart_add_item with an expired token starts a new cart (the old lines do not come back)');
select isnt(pg_temp.tok('g3'), pg_temp.tok('g1'), '... under a new token');
reset role;
select is((select c.updated_at from shop.carts c where c.token = pg_temp.tok('g1')::uuid), now() - interval '30 days',
  'the expired cart itself was not revived (its updated_at is unchanged)');
set local role pgshop_api;

-- Signed-in users: a persistent cart, no token ----------------------------------------------------------
select pg_temp.act_as(pg_temp.id('c1'));
select is(api.cart_get()::jsonb, pg_temp.cart(null, '{}'), 'cart_get: a signed-in user without a cart has an empty cart');
select is(api.cart_add_item(null, pg_temp.id('a'), 2)::jsonb, pg_temp.cart(null, array[pg_temp.line('a', 2)]),
  'cart_add_item (signed in): the line is added, the token is null');
select is(api.cart_add_item(pg_temp.tok('g2'), pg_temp.id('a'), 1)::jsonb, pg_temp.cart(null, array[pg_temp.line('a', 3)]),
  'cart_add_item (signed in) ignores a guest token: the user''s cart changes');
select is(api.cart_get(pg_temp.tok('g2'))::jsonb, pg_temp.cart(null, array[pg_temp.line('a', 3)]),
  'cart_get (signed in) with a guest token shows the user''s cart');
select is(api.cart_set_item(null, pg_temp.id('g'), 4)::jsonb,
  pg_temp.cart(null, array[pg_temp.line('a', 3), pg_temp.line('g', 4)]), 'cart_set_item (signed in)');
select is(api.cart_remove_item(null, pg_temp.id('g'))::jsonb, pg_temp.cart(null, array[pg_temp.line('a', 3)]),
  'cart_remove_item (signed in)');
select is(api.cart_remove_item(null, pg_temp.id('missing'))::jsonb, pg_temp.cart(null, array[pg_temp.line('a', 3)]),
  'cart_remove_item (signed in): a product that does not exist is not an error');

select pg_temp.act_as(pg_temp.id('c2'));
select is(api.cart_get()::jsonb, pg_temp.cart(null, '{}'), 'another user does not see the first user''s cart');
select is(api.cart_remove_item(null, pg_temp.id('a'))::jsonb, pg_temp.cart(null, '{}'),
  'cart_remove_item for a user without a cart: empty cart, no error');
select pg_temp.act_as(null);
select is(api.cart_get(pg_temp.tok('g2'))::jsonb, pg_temp.cart(pg_temp.tok('g2'), array[pg_temp.line('b', 1)]),
  'the guest cart whose token the user sent is untouched');

reset role;
select results_eq(
  format($$select c.token, ci.product_id, ci.quantity from shop.carts c join shop.cart_items ci on ci.cart_id = c.id
           where c.user_id = %s order by ci.id$$, pg_temp.id('c1')),
  format($$values (null::uuid, %s::bigint, 3)$$, pg_temp.id('a')),
  'the user''s cart is stored with user_id and no token, one line of 3');
select is((select count(*) from shop.carts c where c.user_id = pg_temp.id('c2')), 0::bigint,
  'reading or removing from an empty cart creates no cart row');
set local role pgshop_api;

-- Errors ------------------------------------------------------------------------------------------------
select pg_temp.act_as(pg_temp.id('c1'));
select throws_ok(format('select api.cart_add_item(null, %s, 0)', pg_temp.id('a')), 'PT422', 'invalid_quantity',
  'cart_add_item: quantity 0 -> PT422 invalid_quantity');
select throws_ok(format('select api.cart_add_item(null, %s, null)', pg_temp.id('a')), 'PT422', 'invalid_quantity',
  'cart_add_item: quantity null -> PT422 invalid_quantity');
select throws_ok(format('select api.cart_add_item(null, %s, -1)', pg_temp.id('a')), 'PT422', 'invalid_quantity',
  'cart_add_item: a negative quantity -> PT422 invalid_quantity');
select throws_ok(format('select api.cart_set_item(null, %s, 0)', pg_temp.id('a')), 'PT422', 'invalid_quantity',
  'cart_set_item: quantity 0 -> PT422 invalid_quantity (removal is cart_remove_item)');
select throws_ok(format('select api.cart_set_item(null, %s, null)', pg_temp.id('a')), 'PT422', 'invalid_quantity',
  'cart_set_item: quantity null -> PT422 invalid_quantity');
select throws_ok(format('select api.cart_add_item(null, %s, 1)', pg_temp.id('missing')), 'PT404', 'not_found',
  'cart_add_item: an unknown product -> PT404 not_found');
select throws_ok(format('select api.cart_add_item(null, %s, 1)', pg_temp.id('i')), 'PT404', 'not_found',
  'cart_add_item: an inactive product -> PT404 not_found');
select throws_ok(format('select api.cart_add_item(null, %s, 1)', pg_temp.id('d')), 'PT404', 'not_found',
  'cart_add_item: a soft-deleted product -> PT404 not_found');
select throws_ok(format('select api.cart_set_item(null, %s, 1)', pg_temp.id('d')), 'PT404', 'not_found',
  'cart_set_item: a soft-deleted product -> PT404 not_found');

-- Alpha has 5 in stock and the cart holds 3.
select throws_ok(format('select api.cart_add_item(null, %s, 3)', pg_temp.id('a')), 'PT409', 'insufficient_stock',
  'cart_add_item: 3 + 3 above a stock of 5 -> PT409 insufficient_stock');
select is(api.cart_get()::jsonb, pg_temp.cart(null, array[pg_temp.line('a', 3)]),
  '... and the cart is unchanged afterwards');
select is((pg_temp.error_of(format('select api.cart_add_item(null, %s, 3)', pg_temp.id('a'))) ->> 'hint')::jsonb,
  jsonb_build_object('products', jsonb_build_array(jsonb_build_object('product_id', pg_temp.id('a'),
    'variant_id', pg_temp.variant_of(pg_temp.id('a')), 'sku', 'ZQXWV-CART-A', 'requested', 6, 'available', 5))),
  'insufficient_stock: the hint lists the product and its variant, the quantity requested and the stock available');
select is(pg_temp.error_of(format('select api.cart_set_item(null, %s, 6)', pg_temp.id('a'))) ->> 'detail',
  'not enough stock for ZQXWV-CART-A (6 wanted, 5 in stock)',
  'insufficient_stock: the detail names the SKU, the quantity wanted and the stock (the format of checkout)');
select throws_ok(format('select api.cart_set_item(null, %s, 6)', pg_temp.id('a')), 'PT409', 'insufficient_stock',
  'cart_set_item: 6 above a stock of 5 -> PT409 insufficient_stock');
select is(api.cart_get()::jsonb, pg_temp.cart(null, array[pg_temp.line('a', 3)]),
  '... and the cart is unchanged afterwards');
select is(api.cart_add_item(null, pg_temp.id('a'), 2)::jsonb, pg_temp.cart(null, array[pg_temp.line('a', 5)]),
  'cart_add_item: up to exactly the stock (3 + 2 = 5) is allowed');
-- Reported bug: the sum overflows integer inside the upsert before the stock check (22003 integer out of range).
select throws_ok(format('select api.cart_add_item(null, %s, 2147483647)', pg_temp.id('a')), 'PT409', 'insufficient_stock',
  'cart_add_item: a sum beyond the integer range (5 + 2147483647) is still PT409 insufficient_stock');
select is(api.cart_get()::jsonb, pg_temp.cart(null, array[pg_temp.line('a', 5)]),
  '... and the cart is unchanged afterwards');

select pg_temp.act_as(null);
reset role;
do $$ begin perform set_config('tests.carts_before', (select count(*) from shop.carts)::text, true); end $$;
set local role pgshop_api;
select throws_ok(format('select api.cart_add_item(null, %s, 6)', pg_temp.id('a')), 'PT409', 'insufficient_stock',
  'cart_add_item (guest, new cart): above the stock -> PT409 insufficient_stock');
select throws_ok(format('select api.cart_add_item(null, %s, 1)', pg_temp.id('missing')), 'PT404', 'not_found',
  'cart_add_item (guest, new cart): an unknown product -> PT404 not_found');
select throws_ok(format('select api.cart_add_item(%L, %s, 0)', pg_temp.tok('g2'), pg_temp.id('b')), 'PT422', 'invalid_quantity',
  'cart_add_item (guest): quantity 0 -> PT422 invalid_quantity');
select throws_ok(format('select api.cart_add_item(%L, %s, 10)', pg_temp.tok('g2'), pg_temp.id('b')), 'PT409', 'insufficient_stock',
  'cart_add_item (guest): 1 + 10 above a stock of 10 -> PT409 insufficient_stock');
select is(api.cart_get(pg_temp.tok('g2'))::jsonb, pg_temp.cart(pg_temp.tok('g2'), array[pg_temp.line('b', 1)]),
  '... and the guest cart is unchanged afterwards');
reset role;
select is((select count(*) from shop.carts), current_setting('tests.carts_before')::bigint,
  'a failed guest add leaves no new cart behind');

-- Soft-deleting a product removes it from every cart ----------------------------------------------------
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('c1'));
select is(api.cart_add_item(null, pg_temp.id('g'), 1)::jsonb,
  pg_temp.cart(null, array[pg_temp.line('a', 5), pg_temp.line('g', 1)]), 'the user puts Gamma in the cart');
select pg_temp.act_as(null);
select is(api.cart_add_item(pg_temp.tok('g2'), pg_temp.id('g'), 2)::jsonb,
  pg_temp.cart(pg_temp.tok('g2'), array[pg_temp.line('b', 1), pg_temp.line('g', 2)]), 'a guest puts Gamma in the cart');
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select lives_ok(format('select api.product_delete(%s)', pg_temp.id('g')), 'the admin deletes Gamma');
select pg_temp.act_as(pg_temp.id('c1'));
select is(api.cart_get()::jsonb, pg_temp.cart(null, array[pg_temp.line('a', 5)]), 'Gamma left the user''s cart');
select pg_temp.act_as(null);
select is(api.cart_get(pg_temp.tok('g2'))::jsonb, pg_temp.cart(pg_temp.tok('g2'), array[pg_temp.line('b', 1)]),
  'Gamma left the guest''s cart');
reset role;
select is((select count(*) from shop.cart_items ci where ci.product_id = pg_temp.id('g')), 0::bigint,
  'no cart line for the deleted product remains in shop.cart_items');

-- A product made inactive is hidden from the cart (and counts nowhere).
update shop.products set is_active = false where id = pg_temp.id('b');
set local role pgshop_api;
select is(api.cart_get(pg_temp.tok('g2'))::jsonb, pg_temp.cart(pg_temp.tok('g2'), '{}'),
  'an inactive product''s line is not shown and not counted in total or item_count');
reset role;
update shop.products set is_active = true where id = pg_temp.id('b');

-- lib.purge_expired ------------------------------------------------------------------------------------
do $$
declare
  v_id bigint;
  v_key text;
  v_days integer;
begin
  insert into shop.carts (token, updated_at) values (gen_random_uuid(), now() - interval '31 days') returning id into v_id;
  perform set_config('tests.cart_old', v_id::text, true);
  insert into shop.cart_items (cart_id, product_id, variant_id, quantity)
  values (v_id, pg_temp.id('a'), pg_temp.variant_of(pg_temp.id('a')), 1);
  insert into shop.carts (token, updated_at) values (gen_random_uuid(), now() - interval '30 days') returning id into v_id;
  perform set_config('tests.cart_30', v_id::text, true);
  insert into shop.carts (token, updated_at) values (gen_random_uuid(), now() - interval '29 days') returning id into v_id;
  perform set_config('tests.cart_young', v_id::text, true);
  -- A user's cart never expires.
  perform pg_temp.backdate('shop.carts', format('user_id = %s', pg_temp.id('c1')), now() - interval '400 days');
  insert into shop.idempotency_keys (user_id, key, request_hash, created_at)
  values (pg_temp.id('c1'), 'zqxwv-old', '\x00', now() - interval '25 hours'),
         (pg_temp.id('c1'), 'zqxwv-24h', '\x00', now() - interval '24 hours'),
         (pg_temp.id('c1'), 'zqxwv-young', '\x00', now() - interval '23 hours');
  -- Rate-limit attempts are purged after the longest window (shop.settings; tested in platform/rate_limits.sql).
  insert into shop.attempts (kind, key, at)
  values ('checkout', 'zqxwv-carts', now() - interval '1 day'), ('checkout', 'zqxwv-carts', now());
  -- Outbox events are purged after event_retention, with their deliveries, unless one of those is still pending:
  -- one just past it (old), one just inside it (young), one past it with a pending delivery, one past it
  -- whose delivery was delivered (each event's deliveries are only the ones made here).
  insert into shop.webhook_endpoints (url, events, secret)
  values ('https://zqxwv.example/carts', '{order.paid}', repeat('s', 32)) returning id into v_id;
  perform set_config('tests.endpoint', v_id::text, true);
  for v_key, v_days in select * from (values ('old', 1), ('young', -1), ('pending', 1), ('delivered', 1)) v loop
    insert into shop.outbox (type, resource, data, created_at)
    values ('stock.low', 'product/' || pg_temp.id('a'), '{}',
            now() - lib.setting('event_retention')::interval - make_interval(days => v_days))
    returning id into v_id;
    perform set_config('tests.ev_' || v_key, v_id::text, true);
  end loop;
  delete from shop.webhook_deliveries d
  where d.outbox_id in (pg_temp.id('ev_old'), pg_temp.id('ev_young'), pg_temp.id('ev_pending'), pg_temp.id('ev_delivered'));
  insert into shop.webhook_deliveries (endpoint_id, outbox_id, status, delivered_at)
  values (pg_temp.id('endpoint'), pg_temp.id('ev_pending'), 'pending', null),
         (pg_temp.id('endpoint'), pg_temp.id('ev_delivered'), 'delivered', now());
  perform set_config('tests.expected_purge', json_build_object(
    'guest_carts', (select count(*) from shop.carts c where c.token is not null and c.updated_at <= now() - interval '30 days'),
    'idempotency_keys', (select count(*) from shop.idempotency_keys k where k.created_at <= now() - interval '24 hours'),
    'attempts', (select count(*) from shop.attempts a
                 where a.at <= now() - greatest(interval '1 minute', lib.setting('rate_limit_login_window')::interval)),
    'events', (select count(*) from shop.outbox o
               where o.created_at <= now() - lib.setting('event_retention')::interval
                 and not exists (select from shop.webhook_deliveries d where d.outbox_id = o.id and d.status = 'pending'))
  )::text, true);
end
$$;

select is(lib.purge_expired()::jsonb, current_setting('tests.expected_purge')::jsonb,
  'purge_expired reports how many guest carts, idempotency keys, attempts and outbox events it deleted');
select is(
  array(select c.id from shop.carts c
        where c.id in (pg_temp.id('cart_old'), pg_temp.id('cart_30'), pg_temp.id('cart_young')) order by c.id),
  array[pg_temp.id('cart_young')],
  'purge_expired deletes guest carts idle for 30 days or more (31, 30) and keeps younger ones (29)');
select is((select count(*) from shop.cart_items ci where ci.cart_id = pg_temp.id('cart_old')), 0::bigint,
  'the lines of a purged cart go with it');
select is((select count(*) from shop.carts c where c.token = pg_temp.tok('g1')::uuid), 0::bigint,
  'the guest cart that expired earlier in this test is purged too');
select is((select count(*) from shop.carts c where c.user_id = pg_temp.id('c1')), 1::bigint,
  'a user''s cart is never purged, however old');
select is(
  array(select k.key::text from shop.idempotency_keys k where k.user_id = pg_temp.id('c1') order by k.key),
  array['zqxwv-young'],
  'purge_expired deletes idempotency keys 24 hours old or more and keeps younger ones');
select is(
  array(select o.id from shop.outbox o
        where o.id in (pg_temp.id('ev_old'), pg_temp.id('ev_young'), pg_temp.id('ev_pending'), pg_temp.id('ev_delivered'))
        order by o.id),
  array[pg_temp.id('ev_young'), pg_temp.id('ev_pending')],
  'purge_expired deletes outbox events older than event_retention (delivered or never delivered) and keeps younger '
  'ones and old ones with a delivery still pending');
select results_eq(
  format('select d.outbox_id, d.status from shop.webhook_deliveries d where d.endpoint_id = %s', pg_temp.id('endpoint')),
  format($$values (%s::bigint, 'pending'::text)$$, pg_temp.id('ev_pending')),
  '... the delivered delivery went with its event; the pending one stays');

reset role;
select * from finish();
rollback;
