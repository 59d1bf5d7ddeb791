-- api.cart_checkout (as pgshop_api): the cart becomes a pending order in one transaction; address validation,
-- stock, idempotency keys; and the constraints of shop.orders / shop.order_items. The stock, lines and ledger are
-- per variant (migration 20261208200000): each test product has one variant, which carries its SKU and stock.
begin;
select * from no_plan();
\ir ../helpers.psql

create function pg_temp.checkout_address() returns jsonb
language sql stable as $$ select current_setting('tests.addr')::jsonb $$;
create function pg_temp.lines(p_cart json) returns text[]
language sql immutable as $$
  select coalesce(array_agg((i ->> 'product_id') || ':' || (i ->> 'quantity') order by (i ->> 'product_id')::bigint), '{}')
  from json_array_elements(p_cart -> 'items') i
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
-- A snapshot of everything a checkout may change for the test products and users (run as the superuser).
create function pg_temp.state() returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'stock', (select jsonb_object_agg(v.sku, v.stock_quantity) from shop.variants v where v.sku like 'ZQXWV-CO-%'),
    'movements', (select count(*) from shop.stock_movements m
                  join shop.variants v on v.id = m.variant_id where v.sku like 'ZQXWV-CO-%'),
    'alerts', (select count(*) from shop.low_stock_alerts a
               join shop.variants v on v.id = a.variant_id where v.sku like 'ZQXWV-CO-%'),
    'cart', (select jsonb_agg(jsonb_build_array(c.user_id, ci.product_id, ci.variant_id, ci.quantity) order by ci.id)
             from shop.cart_items ci join shop.carts c on c.id = ci.cart_id
             where c.user_id in (pg_temp.id('u1'), pg_temp.id('u2'))),
    'orders', (select count(*) from shop.orders o where o.user_id in (pg_temp.id('u1'), pg_temp.id('u2'))),
    'order_items', (select count(*) from shop.order_items oi
                    join shop.orders o on o.id = oi.order_id where o.user_id in (pg_temp.id('u1'), pg_temp.id('u2'))),
    'keys', (select count(*) from shop.idempotency_keys k where k.user_id in (pg_temp.id('u1'), pg_temp.id('u2'))))
$$;

-- Function properties ---------------------------------------------------------------------------------
select function_privs_are('api', 'cart_checkout', array['jsonb', 'text'], 'pgshop_api', array['EXECUTE']);
select volatility_is('api', 'cart_checkout', array['jsonb', 'text'], 'volatile');
select ok((select condeferrable and condeferred from pg_constraint
           where conrelid = 'shop.order_items'::regclass and conname = 'order_items_product_id_fkey'),
  'order_items -> products is checked at commit (no key-share lock on a product before checkout takes it)');
select ok((select condeferrable and condeferred from pg_constraint
           where conrelid = 'shop.order_items'::regclass and conname = 'order_items_variant_fkey'),
  'order_items -> variants is checked at commit too (no key-share lock on a variant before checkout takes it)');
select is_definer('api', 'cart_checkout', array['jsonb', 'text']);
select volatility_is('lib', 'checkout', array['bigint', 'jsonb', 'text'], 'volatile');
select isnt_definer('lib', 'checkout', array['bigint', 'jsonb', 'text']);

-- Set-up ------------------------------------------------------------------------------------------------
do $$
begin
  perform pg_temp.new_user('admin', 'zqxwv-co-admin@zqxwv.test', 'Ad', 'Min', 'admin');
  perform pg_temp.new_user('u1', 'zqxwv-co-one@zqxwv.test', 'Cus', 'One');
  perform pg_temp.new_user('u2', 'zqxwv-co-two@zqxwv.test', 'Cus', 'Two');
  perform set_config('tests.' || k, pg_temp.new_product(n, p, s, q, p_threshold => 0)::text, true)
  from (values ('x', 'Zqxwv Checkout X', 10.00, 'ZQXWV-CO-X', 10),
               ('y', 'Zqxwv Checkout Y', 2.50, 'ZQXWV-CO-Y', 3),
               ('z', 'Zqxwv Checkout Z', 1.00, 'ZQXWV-CO-Z', 5)) v (k, n, p, s, q)
  order by k;
  perform set_config('tests.addr', jsonb_build_object(
    'name', 'Ann Zqxwv', 'line1', '1 Zqxwv Street', 'line2', 'Flat 2', 'city', 'Springfield',
    'postal_code', '12345', 'country', 'US')::text, true);
  -- This file checks out many times as one user: no per-user checkout limit here (platform/rate_limits.sql tests it).
  update shop.settings set value = '0' where name = 'rate_limit_checkout_per_user';
end
$$;

set local role pgshop_api;

-- Who may check out ------------------------------------------------------------------------------------
select pg_temp.act_as(null);
select throws_ok($$select pg_temp.checkout(pg_temp.checkout_address())$$, 'PT401', 'unauthenticated',
  'checkout: anonymous -> PT401 unauthenticated');
select pg_temp.act_as(pg_temp.id('u2'));
select pg_temp.problem_is($$select pg_temp.checkout(pg_temp.checkout_address())$$, 409, 'empty_cart',
  'checkout: a user without a cart -> 409 empty_cart problem');
do $$ begin perform api.cart_add_item(null, pg_temp.id('z'), 1); perform api.cart_remove_item(null, pg_temp.id('z')); end $$;
select pg_temp.problem_is($$select pg_temp.checkout(pg_temp.checkout_address())$$, 409, 'empty_cart',
  'checkout: a cart without lines -> 409 empty_cart problem');
select pg_temp.problem_is($$select pg_temp.checkout(pg_temp.checkout_address(), 'zqxwv-empty')$$, 409, 'empty_cart',
  'checkout with an idempotency key: an empty cart -> 409 empty_cart problem');

-- Address validation -----------------------------------------------------------------------------------
select pg_temp.act_as(pg_temp.id('u1'));
do $$ begin perform api.cart_add_item(null, pg_temp.id('x'), 2); perform api.cart_add_item(null, pg_temp.id('y'), 3); end $$;

select pg_temp.problem_is($$select pg_temp.checkout('"1 Zqxwv Street"'::jsonb)$$, 422, 'invalid_address',
  'checkout: an address that is a string -> 422 invalid_address problem');
select pg_temp.problem_is($$select pg_temp.checkout('[]'::jsonb)$$, 422, 'invalid_address',
  'checkout: an address that is an array -> 422 invalid_address problem');
select pg_temp.problem_is($$select pg_temp.checkout(null)$$, 422, 'invalid_address',
  'checkout: a null address -> 422 invalid_address problem');
select pg_temp.problem_is($$select pg_temp.checkout('{}'::jsonb)$$, 422, 'invalid_address',
  'checkout: an empty object -> 422 invalid_address problem');
select pg_temp.problem_is(format('select pg_temp.checkout(pg_temp.checkout_address() - %L)', f), 422, 'invalid_address',
  format('checkout: address without %s -> 422 invalid_address problem', f))
from unnest(array['name', 'line1', 'city', 'postal_code', 'country']) f;
select pg_temp.problem_is(format('select pg_temp.checkout(pg_temp.checkout_address() || jsonb_build_object(%L, %L))', f, '   '), 422, 'invalid_address',
  format('checkout: address with a blank %s -> 422 invalid_address problem', f))
from unnest(array['name', 'line1', 'city', 'postal_code', 'country']) f;
select pg_temp.problem_is($$select pg_temp.checkout(pg_temp.checkout_address() || '{"city": null}')$$, 422, 'invalid_address',
  'checkout: a JSON null city -> 422 invalid_address problem');
select is(pg_temp.problem($$select pg_temp.checkout('{"name": "Ann", "line1": "1 Zqxwv Street", "country": "US"}')$$) ->> 'detail',
  'shipping_address needs: city, postal_code', 'invalid_address: the detail names the missing fields');
select is(
  pg_temp.dry_run($$select pg_temp.checkout(pg_temp.checkout_address() - 'line2' || '{"phone": "555", "region": "IL"}')$$) -> 'shipping_address',
  pg_temp.checkout_address() - 'line2' || '{"phone": "555", "region": "IL"}',
  'checkout: line2 is optional; extra string fields are accepted and kept (dry run, rolled back)');
select pg_temp.problem_is($$select pg_temp.checkout(pg_temp.checkout_address() || '{"postal_code": 12345}')$$, 422, 'invalid_address',
  'checkout: a numeric postal_code -> 422 invalid_address problem (an address is a flat object of strings)');
select is(pg_temp.problem($$select pg_temp.checkout(pg_temp.checkout_address() || '{"postal_code": 12345}')$$) ->> 'detail',
  'shipping_address must be a flat object of at most 20 fields (names up to 50 characters) whose values are strings of at most 200 characters',
  'invalid_address: the detail of a value that is not a string');

-- The request body: an object with shipping_address only ----------------------------------------------------
select pg_temp.problem_is($$select api.cart_checkout(jsonb_build_object('shipping_address', pg_temp.checkout_address(), 'note', 'ring twice'))$$,
  422, 'validation_failed', 'checkout: a request with another member than shipping_address -> 422 validation_failed problem');
select pg_temp.problem_is($$select api.cart_checkout('[]'::jsonb)$$, 422, 'validation_failed',
  'checkout: a request that is not an object -> 422 validation_failed problem');
select pg_temp.problem_is($$select api.cart_checkout(pg_temp.checkout_address())$$, 422, 'validation_failed',
  'checkout: the address itself as the request (not under shipping_address) -> 422 validation_failed problem');
select pg_temp.problem_is(
  $$select api.cart_checkout(jsonb_build_object('shipping_address', pg_temp.checkout_address(), 'note', 'x'), 'zqxwv-extra')$$,
  422, 'validation_failed', 'checkout with an idempotency key: a request with another member -> 422 validation_failed');
reset role;
select is((select count(*) from shop.idempotency_keys k where k.key = 'zqxwv-extra'), 0::bigint,
  '... and the key is not claimed');
set local role pgshop_api;

-- Insufficient stock: all or nothing -------------------------------------------------------------------
reset role;
update shop.variants set stock_quantity = 1 where product_id = pg_temp.id('y');  -- sold elsewhere meanwhile
do $$ begin perform set_config('tests.before', pg_temp.state()::text, true); end $$;
set local role pgshop_api;
select pg_temp.problem_is($$select pg_temp.checkout(pg_temp.checkout_address())$$, 409, 'insufficient_stock',
  'checkout: a line above the stock -> 409 insufficient_stock problem');
select is(pg_temp.problem($$select pg_temp.checkout(pg_temp.checkout_address())$$),
  jsonb_build_object('status', 409, 'code', 'insufficient_stock',
    'detail', 'not enough stock for ZQXWV-CO-Y (3 wanted, 1 in stock)',
    'products', jsonb_build_array(jsonb_build_object(
      'product_id', pg_temp.id('y'), 'variant_id', pg_temp.variant_of(pg_temp.id('y')), 'sku', 'ZQXWV-CO-Y',
      'requested', 3, 'available', 1))),
  'insufficient_stock: the detail and the products member (from the JSON hint) name the short product and variant');
select pg_temp.problem_is($$select pg_temp.checkout(pg_temp.checkout_address(), 'zqxwv-retry')$$, 409, 'insufficient_stock',
  'checkout with an idempotency key: insufficient stock -> 409 insufficient_stock problem');
reset role;
select is(pg_temp.state(), current_setting('tests.before')::jsonb,
  'after the refused checkouts nothing changed: stock, ledger, alerts, cart lines, no order, no order line, no key');
select is((select v.stock_quantity from shop.variants v where v.product_id = pg_temp.id('x')), 10,
  '... in particular X, which had enough stock, was not decremented');
set local role pgshop_api;

-- The happy path ---------------------------------------------------------------------------------------
do $$ begin perform api.cart_set_item(null, pg_temp.id('y'), 1); end $$;
-- The key of the failed attempt was rolled back with it: the retry runs.
select pg_temp.keep('o1', pg_temp.checkout(pg_temp.checkout_address(), 'zqxwv-retry'));
select is(
  pg_temp.kept('o1') - 'id' - 'created_at' - 'updated_at' - 'history',
  jsonb_build_object(
    'status', 'pending',
    'currency', 'USD',
    'total_amount', '22.50',
    'balance_due', '22.50',
    'shipping_address', pg_temp.checkout_address(),
    'items', jsonb_build_array(
      jsonb_build_object('product_id', pg_temp.id('x'), 'variant_id', pg_temp.variant_of(pg_temp.id('x')),
                         'name', 'Zqxwv Checkout X', 'sku', 'ZQXWV-CO-X', 'options', '{}'::jsonb, 'quantity', 2,
                         'unit_price', '10.00', 'total_price', '20.00'),
      jsonb_build_object('product_id', pg_temp.id('y'), 'variant_id', pg_temp.variant_of(pg_temp.id('y')),
                         'name', 'Zqxwv Checkout Y', 'sku', 'ZQXWV-CO-Y', 'options', '{}'::jsonb, 'quantity', 1,
                         'unit_price', '2.50', 'total_price', '2.50')),
    'payments', '[]'::jsonb),
  'checkout returns the pending order: currency USD, total "22.50", all of it due, the address, lines with their '
  'variant, name, sku, options (none), unit_price, total_price, no payment yet');
select is(
  array(select jsonb_object_keys(pg_temp.kept('o1')) order by 1),
  array['balance_due', 'created_at', 'currency', 'history', 'id', 'items', 'payments', 'shipping_address', 'status',
        'total_amount', 'updated_at'],
  'an order has exactly the documented fields');
select is(
  (select jsonb_agg(h - 'at') from jsonb_array_elements(pg_temp.kept('o1') -> 'history') h),
  '[{"status": "pending", "actor": "customer", "reason": null}]',
  'the order''s history is [pending], by the customer, no reason');
select is(api.cart_get()::jsonb, '{"token": null, "items": [], "total": "0.00", "item_count": 0}'::jsonb,
  'the cart is empty after checkout');
select is(api.order_get(pg_temp.id('o1'))::jsonb, pg_temp.kept('o1'), 'order_get returns the same order');

reset role;
select results_eq(
  format('select o.user_id, o.status::text, o.currency, o.total_amount, o.shipping_address::jsonb from shop.orders o where o.id = %s',
         pg_temp.id('o1')),
  format($$values (%s::bigint, 'pending', 'USD', 22.50::numeric(12, 2), %L::jsonb)$$, pg_temp.id('u1'), pg_temp.checkout_address()),
  'in shop.orders: the user''s pending order, in USD (the default), total 22.50, the address as sent');
select is(
  (select o.total_amount from shop.orders o where o.id = pg_temp.id('o1')),
  (select sum(oi.total_price) from shop.order_items oi where oi.order_id = pg_temp.id('o1')),
  'the order total is the sum of its lines');
select results_eq(
  format($$select oi.product_id, oi.variant_id, oi.name::text, oi.sku::text, oi.options, oi.quantity, oi.unit_price,
                  oi.total_price
           from shop.order_items oi where oi.order_id = %s order by oi.id$$, pg_temp.id('o1')),
  format($$values (%s::bigint, %s::bigint, 'Zqxwv Checkout X', 'ZQXWV-CO-X', '{}'::jsonb, 2, 10.00::numeric(12, 2),
                   20.00::numeric(12, 2)),
                  (%s::bigint, %s::bigint, 'Zqxwv Checkout Y', 'ZQXWV-CO-Y', '{}'::jsonb, 1, 2.50, 2.50)$$,
         pg_temp.id('x'), pg_temp.variant_of(pg_temp.id('x')), pg_temp.id('y'), pg_temp.variant_of(pg_temp.id('y'))),
  'in shop.order_items: the variant, a snapshot of name, sku, options and unit_price; total_price = unit_price * '
  'quantity');
select results_eq(
  $$select v.sku, v.stock_quantity from shop.variants v where v.sku like 'ZQXWV-CO-%' order by v.sku$$,
  $$values ('ZQXWV-CO-X', 8), ('ZQXWV-CO-Y', 0), ('ZQXWV-CO-Z', 5)$$,
  'the stock is decremented by the quantities sold (X 10 -> 8, Y 1 -> 0)');
select results_eq(
  format($$select m.product_id, m.variant_id, m.delta, m.stock_after, m.reason, m.actor_id from shop.stock_movements m
           where m.order_id = %s order by m.product_id$$, pg_temp.id('o1')),
  format($$values (%s::bigint, %s::bigint, -2, 8, 'sale', %s::bigint), (%s, %s, -1, 0, 'sale', %s)$$,
         pg_temp.id('x'), pg_temp.variant_of(pg_temp.id('x')), pg_temp.id('u1'),
         pg_temp.id('y'), pg_temp.variant_of(pg_temp.id('y')), pg_temp.id('u1')),
  'one sale movement per line (of its variant), with the order id and the customer as actor');
select results_eq(
  format('select h.from_status, h.status, h.changed_by, h.actor, h.reason from shop.order_status_history h where h.order_id = %s',
         pg_temp.id('o1')),
  format($$values (null::text, 'pending'::text, %s::bigint, 'customer'::text, null::text)$$, pg_temp.id('u1')),
  'one history row: pending, set by the customer (actor customer, no reason)');
select is((select count(*) from shop.cart_items ci join shop.carts c on c.id = ci.cart_id where c.user_id = pg_temp.id('u1')),
  0::bigint, 'no cart line is left in shop.cart_items');
select results_eq(
  $$select k.order_id, k.response from shop.idempotency_keys k where k.key = 'zqxwv-retry'$$,
  format($$values (%s::bigint, %L::jsonb)$$, pg_temp.id('o1'), pg_temp.kept('o1')),
  'the idempotency key records the order and the response');

-- The ledger context is cleared after checkout: a later change by hand is an adjustment.
select is(coalesce(current_setting('pgshop.stock_reason', true), ''), '', 'after checkout no stock reason is set');
select is(coalesce(current_setting('pgshop.stock_order_id', true), ''), '', 'after checkout no stock order id is set');
select pg_temp.act_as(null);
update shop.variants set stock_quantity = stock_quantity + 1 where product_id = pg_temp.id('z');
select results_eq(
  format('select m.reason, m.order_id, m.delta from shop.stock_movements m where m.product_id = %s order by m.id desc limit 1',
         pg_temp.id('z')),
  $$values ('adjustment'::text, null::bigint, 1)$$,
  'a stock change by hand after a checkout in the same transaction is recorded as an adjustment without order');

-- Later price and name changes leave the order alone ------------------------------------------------------
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
do $$ begin perform api.product_update(pg_temp.id('x'), '{"price": "99.99", "name": "Zqxwv Renamed", "sku": "ZQXWV-CO-X2"}'); end $$;
select pg_temp.act_as(pg_temp.id('u1'));
select is(api.order_get(pg_temp.id('o1'))::jsonb - 'updated_at', pg_temp.kept('o1') - 'updated_at',
  'a later change of price, name and SKU does not alter the order');
reset role;
update shop.variants set sku = 'ZQXWV-CO-X' where product_id = pg_temp.id('x');
set local role pgshop_api;

-- Idempotency ------------------------------------------------------------------------------------------
do $$ begin perform api.cart_add_item(null, pg_temp.id('x'), 1); end $$;
select pg_temp.keep('o2', pg_temp.checkout(pg_temp.checkout_address(), 'zqxwv-key-1'));
select is(pg_temp.kept('o2') ->> 'total_amount', '99.99', 'a second order, at the new price');
do $$ begin perform api.cart_add_item(null, pg_temp.id('x'), 1); end $$;
reset role;
do $$ begin perform set_config('tests.before', pg_temp.state()::text, true); end $$;
set local role pgshop_api;
select is(pg_temp.checkout(pg_temp.checkout_address(), 'zqxwv-key-1')::jsonb, pg_temp.kept('o2'),
  'the same key with the same body replays the first order''s JSON');
select is(pg_temp.checkout(jsonb_build_object('country', 'US', 'postal_code', '12345', 'city', 'Springfield',
                                          'line2', 'Flat 2', 'line1', '1 Zqxwv Street', 'name', 'Ann Zqxwv'),
                       'zqxwv-key-1')::jsonb,
  pg_temp.kept('o2'), 'the same body with its keys in another order is the same body: replay');
select pg_temp.problem_is($$select pg_temp.checkout(pg_temp.checkout_address() || '{"line2": "Flat 3"}', 'zqxwv-key-1')$$,
  422, 'idempotency_key_reused', 'the same key with a different body -> 422 idempotency_key_reused problem');
reset role;
select is(pg_temp.state(), current_setting('tests.before')::jsonb,
  'the replays changed nothing: no second decrement, no new order, the cart line stays');
set local role pgshop_api;

-- The request's members are declared once (lib.checkout_members): an unknown or a missing one is refused, and
-- a member at its default is the same request as without it, for validation and for the idempotency hash.
-- Shown with an optional member added the way a new one would be (gift_message, default null): a client that
-- sends it at its default replays the order its earlier request made, stored before the member existed.
reset role;
select is(lib.checkout_request('{"shipping_address": {"name": "A"}, "note": "x"}'), null,
  'checkout_request: a member it does not know -> null (422 validation_failed)');
select is(lib.checkout_request('{}'), null, 'checkout_request: the required shipping_address missing -> null');
create or replace function lib.checkout_members() returns jsonb
language sql stable as $$
  select jsonb_build_object('shipping_address', jsonb_build_object('required', true),
                            'gift_message', jsonb_build_object('default', null))
$$;
select is(lib.checkout_request('{"shipping_address": {"name": "A"}, "gift_message": null}'),
  '{"shipping_address": {"name": "A"}}'::jsonb, 'checkout_request: a member at its default is left out');
select is(lib.checkout_request('{"shipping_address": {"name": "A"}, "gift_message": "Happy birthday"}'),
  '{"shipping_address": {"name": "A"}, "gift_message": "Happy birthday"}'::jsonb,
  'checkout_request: a member with a value stays');
select is(lib.idempotency_claim(pg_temp.id('u1'), 'zqxwv-key-1', lib.checkout_request(
            jsonb_build_object('shipping_address', pg_temp.checkout_address(), 'gift_message', null)))::jsonb,
  pg_temp.kept('o2'), 'the same key, the earlier body plus a new member at its default: replay, not idempotency_key_reused');
select is((lib.idempotency_claim(pg_temp.id('u1'), 'zqxwv-key-1', lib.checkout_request(
            jsonb_build_object('shipping_address', pg_temp.checkout_address(), 'gift_message', 'Hi')))::jsonb)
          -> 'problem' ->> 'code', 'idempotency_key_reused', 'the same key with the new member set: a different request');
set local role pgshop_api;

select pg_temp.problem_is(format('select pg_temp.checkout(pg_temp.checkout_address(), %L)', repeat('k', 256)),
  422, 'invalid_idempotency_key', 'a key of 256 characters -> 422 invalid_idempotency_key problem');
select pg_temp.problem_is($$select pg_temp.checkout(pg_temp.checkout_address(), '')$$,
  422, 'invalid_idempotency_key', 'an empty key -> 422 invalid_idempotency_key problem');
select pg_temp.keep('o3', pg_temp.checkout(pg_temp.checkout_address(), repeat('k', 255)));
select is(pg_temp.kept('o3') ->> 'status', 'pending', 'a key of 255 characters is accepted');

select pg_temp.act_as(pg_temp.id('u2'));
do $$ begin perform api.cart_add_item(null, pg_temp.id('z'), 1); end $$;
select pg_temp.keep('o4', pg_temp.checkout(pg_temp.checkout_address(), 'zqxwv-key-1'));
select ok(pg_temp.id('o4') not in (pg_temp.id('o2'), pg_temp.id('o3')) and pg_temp.kept('o4') -> 'items' -> 0 ->> 'product_id' = pg_temp.id('z')::text,
  'keys are per user: another user''s order with the same key is a new order of their own cart');
reset role;
select results_eq(
  $$select k.user_id, k.order_id from shop.idempotency_keys k where k.key = 'zqxwv-key-1' order by k.user_id$$,
  format($$values (%s::bigint, %s::bigint), (%s, %s)$$, pg_temp.id('u1'), pg_temp.id('o2'), pg_temp.id('u2'), pg_temp.id('o4')),
  'shop.idempotency_keys holds the key once per user, each with its own order');
select is(
  (select array_agg(o.id order by o.id) from shop.orders o where o.user_id = pg_temp.id('u1')),
  array[pg_temp.id('o1'), pg_temp.id('o2'), pg_temp.id('o3')],
  'the first user has exactly three orders');

-- A key claimed by a checkout still in progress (in real life a concurrent transaction; here a claim row
-- without response). The hash covers the whole request body, {"shipping_address": ...}.
insert into shop.idempotency_keys (user_id, key, request_hash)
values (pg_temp.id('u1'), 'zqxwv-inflight',
        sha256(convert_to(jsonb_build_object('shipping_address', pg_temp.checkout_address())::text, 'UTF8')));
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('u1'));
select pg_temp.problem_is($$select pg_temp.checkout(pg_temp.checkout_address(), 'zqxwv-inflight')$$, 409, 'idempotency_key_in_use',
  'the same key and body while the first request is in progress -> 409 idempotency_key_in_use problem');
select pg_temp.problem_is($$select pg_temp.checkout(pg_temp.checkout_address() || '{"city": "Shelbyville"}', 'zqxwv-inflight')$$,
  422, 'idempotency_key_reused', 'a different body under a key in progress -> 422 idempotency_key_reused problem');
reset role;

-- Table constraints ------------------------------------------------------------------------------------
select throws_ok(
  format($$insert into shop.orders (user_id, total_amount, shipping_address) values (%s, 1, %L::jsonb - 'country')$$,
         pg_temp.id('u1'), pg_temp.checkout_address()),
  '23514', 'value for domain shop.address violates check constraint "address_is_complete"',
  'a direct insert of an order without country violates address_is_complete (domain shop.address)');
select throws_ok(
  format($$insert into shop.orders (user_id, total_amount, shipping_address) values (%s, 1, %L::jsonb || '{"city": " "}')$$,
         pg_temp.id('u1'), pg_temp.checkout_address()),
  '23514', 'value for domain shop.address violates check constraint "address_is_complete"',
  'a direct insert of an order with a blank city violates address_is_complete (domain shop.address)');
select throws_ok(
  format($$insert into shop.orders (user_id, total_amount, shipping_address) values (%s, 1, '["a"]')$$, pg_temp.id('u1')),
  '23514', 'value for domain shop.address violates check constraint "address_is_complete"',
  'a direct insert of an order whose address is an array violates the domain shop.address (address_is_complete, '
  'the first of its checks by name)');
select throws_ok(
  format($$insert into shop.orders (user_id, total_amount, shipping_address) values (%s, -1, %L)$$, pg_temp.id('u1'), pg_temp.checkout_address()),
  '23514', 'new row for relation "orders" violates check constraint "orders_total_not_negative"',
  'a negative order total violates orders_total_not_negative');
select throws_ok(
  format($$insert into shop.order_items (order_id, product_id, variant_id, name, sku, quantity, unit_price, total_price)
           values (%s, %s, %s, 'Zqxwv', 'ZQXWV-CO-Z', 3, 1.00, 4.00)$$,
         pg_temp.id('o4'), pg_temp.id('x'), pg_temp.variant_of(pg_temp.id('x'))),
  '23514', 'new row for relation "order_items" violates check constraint "order_items_total_is_price_times_quantity"',
  'an order line whose total_price is not unit_price * quantity violates order_items_total_is_price_times_quantity');
select throws_ok(
  format($$update shop.order_items set quantity = quantity + 1 where order_id = %s$$, pg_temp.id('o1')),
  '23514', 'new row for relation "order_items" violates check constraint "order_items_total_is_price_times_quantity"',
  'changing a line''s quantity without its total violates order_items_total_is_price_times_quantity');
select lives_ok(
  format($$insert into shop.order_items (order_id, product_id, variant_id, name, sku, quantity, unit_price, total_price)
           values (%s, %s, %s, 'Zqxwv', 'ZQXWV-CO-X', 3, 1.10, 3.30)$$,
         pg_temp.id('o4'), pg_temp.id('x'), pg_temp.variant_of(pg_temp.id('x'))),
  'a line with total_price = unit_price * quantity is accepted');

select * from finish();
rollback;
