-- Guest cart merge at login: api.user_login(email, password, cart_token) -> lib.cart_merge.
begin;
select * from no_plan();
\ir ../helpers.psql

create function pg_temp.tok(p_name text) returns text
language sql stable as $$ select pg_temp.kept(p_name) ->> 'token' $$;
-- The (product_id, quantity) lines of a cart JSON, as "id:quantity" in order.
create function pg_temp.lines(p_cart json) returns text[]
language sql immutable as $$
  select coalesce(array_agg((i ->> 'product_id') || ':' || (i ->> 'quantity') order by (i ->> 'product_id')::bigint), '{}')
  from json_array_elements(p_cart -> 'items') i
$$;
create function pg_temp.adj(p_key text, p_requested integer, p_quantity integer, p_reason text) returns jsonb
language sql stable as $$
  select jsonb_build_object('product_id', pg_temp.id(p_key), 'variant_id', pg_temp.variant_of(pg_temp.id(p_key)),
                            'requested', p_requested, 'quantity', p_quantity, 'reason', p_reason)
$$;
create function pg_temp.no_merge() returns jsonb
language sql immutable as $$ select '{"merged": false, "adjustments": []}'::jsonb $$;

-- Set-up ------------------------------------------------------------------------------------------------
do $$
begin
  perform pg_temp.new_user('u1', 'zqxwv-merge-one@zqxwv.test', 'Mer', 'One');
  perform pg_temp.new_user('u2', 'zqxwv-merge-two@zqxwv.test', 'Mer', 'Two');
  -- Products (one variant each) in id order: a (capped), b (plain), c (out of stock), d (inactive), e (deleted),
  -- f (summed).
  perform set_config('tests.' || k, pg_temp.new_product(n, p, s, q)::text, true)
  from (values ('a', 'Zqxwv Merge A', 1, 'ZQXWV-MERGE-A', 5),
               ('b', 'Zqxwv Merge B', 2, 'ZQXWV-MERGE-B', 3),
               ('c', 'Zqxwv Merge C', 3, 'ZQXWV-MERGE-C', 2),
               ('d', 'Zqxwv Merge D', 4, 'ZQXWV-MERGE-D', 9),
               ('e', 'Zqxwv Merge E', 5, 'ZQXWV-MERGE-E', 9),
               ('f', 'Zqxwv Merge F', 6, 'ZQXWV-MERGE-F', 9)) v (k, n, p, s, q)
  order by k;
end
$$;

set local role pgshop_api;

-- The user's own cart: a 2, c 1, f 1.
select pg_temp.act_as(pg_temp.id('u1'));
do $$
begin
  perform api.cart_add_item(null, pg_temp.id('a'), 2);
  perform api.cart_add_item(null, pg_temp.id('c'), 1);
  perform api.cart_add_item(null, pg_temp.id('f'), 1);
end
$$;
-- The guest cart: a 4, b 2, c 1, d 1, e 1, f 1.
select pg_temp.act_as(null);
select pg_temp.keep('guest', api.cart_add_item(null, pg_temp.id('a'), 4));
do $$
begin
  perform api.cart_add_item(pg_temp.tok('guest'), pg_temp.id(k), q)
  from (values ('b', 2), ('c', 1), ('d', 1), ('e', 1), ('f', 1)) v (k, q);
end
$$;
select is(pg_temp.lines(api.cart_get(pg_temp.tok('guest'))),
  array[pg_temp.id('a') || ':4', pg_temp.id('b') || ':2', pg_temp.id('c') || ':1', pg_temp.id('d') || ':1',
        pg_temp.id('e') || ':1', pg_temp.id('f') || ':1'],
  'set-up: the guest cart holds six lines');

-- Then the world changes: c sells out, d is deactivated, e is soft-deleted behind the API's back (its variant
-- with it).
reset role;
update shop.variants set stock_quantity = 0 where product_id = pg_temp.id('c');
update shop.products set is_active = false where id = pg_temp.id('d');
update shop.products set deleted_at = now() where id = pg_temp.id('e');
set local role pgshop_api;

select pg_temp.keep('login', api.user_login('zqxwv-merge-one@zqxwv.test', 'password123', pg_temp.tok('guest')));
select is(pg_temp.kept('login') - 'cart',
  jsonb_build_object('user_id', pg_temp.id('u1'), 'role', 'customer'),
  'login with a guest token returns user_id and role as before');
select is(pg_temp.kept('login') -> 'cart',
  jsonb_build_object('merged', true, 'adjustments', jsonb_build_array(
    pg_temp.adj('a', 6, 5, 'capped_at_stock'),
    pg_temp.adj('c', 2, 0, 'out_of_stock'),
    pg_temp.adj('d', 1, 0, 'unavailable'),
    pg_temp.adj('e', 1, 0, 'unavailable'))),
  'login reports {merged: true, adjustments}: a capped at stock (2 + 4 -> 5), c out of stock, d inactive and '
  'e deleted unavailable; b and f need no adjustment');

select pg_temp.act_as(pg_temp.id('u1'));
select is(pg_temp.lines(api.cart_get()),
  array[pg_temp.id('a') || ':5', pg_temp.id('b') || ':2', pg_temp.id('f') || ':2'],
  'the user''s cart after the merge: a capped at 5, b added, f summed (1 + 1); c, d, e dropped');
reset role;
select results_eq(
  format($$select ci.product_id, ci.quantity from shop.cart_items ci join shop.carts c on c.id = ci.cart_id
           where c.user_id = %s order by ci.product_id$$, pg_temp.id('u1')),
  format($$values (%s::bigint, 5), (%s, 2), (%s, 2)$$, pg_temp.id('a'), pg_temp.id('b'), pg_temp.id('f')),
  'in the table: no line for the out-of-stock, inactive or deleted products (not even the user''s own line of c)');
select is((select count(*) from shop.carts c where c.token = pg_temp.tok('guest')::uuid), 0::bigint,
  'the guest cart is deleted');
select is(
  (select count(*) from shop.cart_items ci
   where ci.cart_id not in (select c.id from shop.carts c)), 0::bigint,
  'no orphaned lines remain');
select is((select count(*) from shop.carts c where c.user_id = pg_temp.id('u1')), 1::bigint,
  'the user still has exactly one cart');
set local role pgshop_api;

select pg_temp.act_as(null);
select is(api.cart_get(pg_temp.tok('guest'))::jsonb,
  '{"token": null, "items": [], "total": "0.00", "item_count": 0}'::jsonb,
  'the merged guest token now reads as an empty cart');
select is(api.user_login('zqxwv-merge-one@zqxwv.test', 'password123', pg_temp.tok('guest'))::jsonb -> 'cart',
  pg_temp.no_merge(), 'logging in again with the same token merges nothing');

-- A user without a cart gets one from the guest cart.
select pg_temp.keep('guest2', api.cart_add_item(null, pg_temp.id('b'), 3));
select is(api.user_login('zqxwv-merge-two@zqxwv.test', 'password123', pg_temp.tok('guest2'))::jsonb -> 'cart',
  '{"merged": true, "adjustments": []}'::jsonb,
  'a user without a cart: merged, no adjustment (3 of b is exactly the stock)');
select pg_temp.act_as(pg_temp.id('u2'));
select is(pg_temp.lines(api.cart_get()), array[pg_temp.id('b') || ':3'], '... and the user''s new cart holds the line');

-- Tokens that merge nothing -----------------------------------------------------------------------------
select pg_temp.act_as(null);
select is(api.user_login('zqxwv-merge-one@zqxwv.test', 'password123', gen_random_uuid()::text)::jsonb -> 'cart',
  pg_temp.no_merge(), 'an unknown token: {merged: false, adjustments: []}, no error');
select is(api.user_login('zqxwv-merge-one@zqxwv.test', 'password123', 'zqxwv-not-a-uuid')::jsonb -> 'cart',
  pg_temp.no_merge(), 'a malformed token: {merged: false, adjustments: []}, no error');
select is(api.user_login('zqxwv-merge-one@zqxwv.test', 'password123', '')::jsonb -> 'cart',
  pg_temp.no_merge(), 'an empty token: {merged: false, adjustments: []}');
select is(api.user_login('zqxwv-merge-one@zqxwv.test', 'password123', null)::jsonb -> 'cart',
  pg_temp.no_merge(), 'a null token: {merged: false, adjustments: []}');

select pg_temp.keep('expired', api.cart_add_item(null, pg_temp.id('f'), 1));
reset role;
select pg_temp.backdate('shop.carts', format('token = %L', pg_temp.tok('expired')), now() - interval '31 days');
set local role pgshop_api;
select is(api.user_login('zqxwv-merge-one@zqxwv.test', 'password123', pg_temp.tok('expired'))::jsonb -> 'cart',
  pg_temp.no_merge(), 'an expired token: {merged: false, adjustments: []}, no error');
select pg_temp.act_as(pg_temp.id('u1'));
select is(pg_temp.lines(api.cart_get()),
  array[pg_temp.id('a') || ':5', pg_temp.id('b') || ':2', pg_temp.id('f') || ':2'],
  'the user''s cart is unchanged by tokens that merge nothing');
reset role;
select is((select count(*) from shop.cart_items ci join shop.carts c on c.id = ci.cart_id
           where c.token = pg_temp.tok('expired')::uuid), 1::bigint,
  'the expired guest cart is left alone (purge_expired deletes it)');

-- A failed login merges nothing -------------------------------------------------------------------------
set local role pgshop_api;
select pg_temp.act_as(null);
select pg_temp.keep('guest3', api.cart_add_item(null, pg_temp.id('a'), 1));
select pg_temp.problem_is(
  format($$select api.user_login('zqxwv-merge-one@zqxwv.test', 'wrong password', %L)$$, pg_temp.tok('guest3')),
  401, 'invalid_credentials', 'login with a wrong password and a token -> 401 invalid_credentials problem');
select pg_temp.problem_is(
  format($$select api.user_login('zqxwv-merge-nobody@zqxwv.test', 'password123', %L)$$, pg_temp.tok('guest3')),
  401, 'invalid_credentials', 'login with an unknown email and a token -> 401 invalid_credentials problem');
select is(pg_temp.lines(api.cart_get(pg_temp.tok('guest3'))), array[pg_temp.id('a') || ':1'],
  'after the failed logins the guest cart still exists with its line');
select pg_temp.act_as(pg_temp.id('u1'));
select is(pg_temp.lines(api.cart_get()),
  array[pg_temp.id('a') || ':5', pg_temp.id('b') || ':2', pg_temp.id('f') || ':2'],
  '... and the user''s cart is unchanged');

reset role;
select * from finish();
rollback;
