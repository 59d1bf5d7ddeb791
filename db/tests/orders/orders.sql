-- api.orders_list, api.order_get, api.order_set_status (as pgshop_api); the status workflow trigger (paid
-- only once payments cover the order: PT409 payment_required), the status history with its actor (customer,
-- payment, admin, sql) and the stock returned on cancel.
-- The API is impersonated with SET SESSION AUTHORIZATION (not SET ROLE) so that db_role (session_user) reads
-- pgshop_api for API calls and postgres for changes made by hand.
begin;
select * from no_plan();
\ir ../helpers.psql

-- A checkout of the given lines ([[product key, quantity], ...]) by the current caller.
create function pg_temp.order_of(p_lines jsonb) returns json
language plpgsql as $$
declare
  v_line jsonb;
begin
  for v_line in select * from jsonb_array_elements(p_lines) loop
    perform api.cart_add_item(null, pg_temp.id(v_line ->> 0), (v_line ->> 1)::integer);
  end loop;
  return pg_temp.checkout(pg_temp.addr());
end
$$;
-- The ids of a page of orders.
create function pg_temp.ids(p_page json) returns bigint[]
language sql immutable as $$
  select coalesce(array_agg((i ->> 'id')::bigint order by n), '{}')
  from json_array_elements(p_page -> 'items') with ordinality x (i, n)
$$;
-- Follows next_cursor from the first page to the last: the ids of each page.
create function pg_temp.pages(p_limit integer) returns text
language plpgsql as $$
declare
  v_cursor text;
  v_page json;
  v_pages text[] := '{}';
begin
  loop
    v_page := api.orders_list(p_limit, v_cursor);
    v_pages := v_pages || pg_temp.ids(v_page)::text;
    v_cursor := v_page ->> 'next_cursor';
    exit when v_cursor is null or cardinality(v_pages) > 20;
  end loop;
  return array_to_string(v_pages, ' ');
end
$$;
-- try_status(order, status): the outcome of api.order_set_status, 'ok: <new status>' or '<sqlstate> <message>'.
create function pg_temp.try_status(p_id bigint, p_status text) returns text
language plpgsql as $$
begin
  return 'ok: ' || (api.order_set_status(p_id, p_status) ->> 'status');
exception when others then
  return sqlstate || ' ' || sqlerrm;
end
$$;
-- try_raw(order, status): the outcome of a raw update of the status, rolled back either way.
create function pg_temp.try_raw(p_id bigint, p_status text) returns text
language plpgsql as $$
begin
  update shop.orders set status = p_status where id = p_id;
  raise exception using errcode = 'ZQ001', message = 'dry run';
exception
  when sqlstate 'ZQ001' then return 'ok';
  when others then return sqlstate || ' ' || sqlerrm;
end
$$;
-- stock(key): the stock of a test product's one variant.
create function pg_temp.stock(p_key text) returns integer
language sql stable as $$ select v.stock_quantity from shop.variants v where v.product_id = pg_temp.id(p_key) $$;

-- Function properties ---------------------------------------------------------------------------------
select function_privs_are('api', 'orders_list', array['integer', 'text'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'order_get', array['bigint'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'order_set_status', array['bigint', 'text'], 'pgshop_api', array['EXECUTE']);
select volatility_is('api', 'orders_list', array['integer', 'text'], 'stable');
select volatility_is('api', 'order_get', array['bigint'], 'stable');
select volatility_is('api', 'order_set_status', array['bigint', 'text'], 'volatile');
select is_definer('api', 'orders_list', array['integer', 'text']);
select is_definer('api', 'order_get', array['bigint']);
select is_definer('api', 'order_set_status', array['bigint', 'text']);

select results_eq(
  $$select from_status, to_status from shop.order_status_transitions order by 1, 2$$,
  $$values ('paid', 'cancelled'), ('paid', 'shipped'), ('pending', 'cancelled'), ('pending', 'paid'), ('shipped', 'delivered')$$,
  'the workflow: pending -> paid -> shipped -> delivered; pending and paid -> cancelled');

-- Set-up ------------------------------------------------------------------------------------------------
do $$
begin
  perform pg_temp.new_user('admin', 'zqxwv-ord-admin@zqxwv.test', 'Ad', 'Min', 'admin');
  perform pg_temp.new_user('c1', 'zqxwv-ord-one@zqxwv.test', 'Cus', 'One');
  perform pg_temp.new_user('c2', 'zqxwv-ord-two@zqxwv.test', 'Cus', 'Two');
  perform pg_temp.new_user('m', 'zqxwv-ord-matrix@zqxwv.test', 'Mat', 'Rix');
  perform set_config('tests.p', pg_temp.new_product('Zqxwv Order P', 5.00, 'ZQXWV-ORD-P', 20, p_threshold => 0)::text, true);
  perform set_config('tests.q', pg_temp.new_product('Zqxwv Order Q', 3.00, 'ZQXWV-ORD-Q', 20, p_threshold => 0)::text, true);
  perform set_config('tests.missing_order', ((select coalesce(max(id), 0) from shop.orders) + 1000)::text, true);

end
$$;

set local session authorization pgshop_api;
select pg_temp.act_as(pg_temp.id('c1'));
select pg_temp.keep('o1', pg_temp.order_of('[["p", 1]]'));
select pg_temp.keep('o2', pg_temp.order_of('[["p", 2], ["q", 1]]'));
select pg_temp.keep('o3', pg_temp.order_of('[["p", 3], ["q", 2]]'));
select pg_temp.keep('o5', pg_temp.order_of('[["q", 1]]'));
select pg_temp.act_as(pg_temp.id('c2'));
select pg_temp.keep('o4', pg_temp.order_of('[["q", 1]]'));
reset session authorization;
-- Distinct creation times (one transaction gives all the same now()): newest first is o1, o5, o3, o2 (o5 and
-- o3 tie on created_at; the higher id comes first).
update shop.orders set created_at = now() - interval '1 hour' where id = pg_temp.id('o1');
update shop.orders set created_at = now() - interval '3 hours' where id = pg_temp.id('o2');
update shop.orders set created_at = now() - interval '2 hours' where id in (pg_temp.id('o3'), pg_temp.id('o5'));
set local session authorization pgshop_api;

-- api.orders_list ---------------------------------------------------------------------------------------
select pg_temp.act_as(pg_temp.id('c1'));
select is(pg_temp.ids(api.orders_list()), array[pg_temp.id('o1'), pg_temp.id('o5'), pg_temp.id('o3'), pg_temp.id('o2')],
  'orders_list: the caller''s own orders only, newest first (ties on created_at: higher id first)');
select is(api.orders_list() ->> 'next_cursor', null, 'orders_list: everything on one page -> next_cursor null');
select is((api.orders_list(20) -> 'items' -> 0)::jsonb, api.order_get(pg_temp.id('o1'))::jsonb,
  'orders_list items are whole orders, as order_get shows them');
select is(pg_temp.pages(1),
  format('{%s} {%s} {%s} {%s}', pg_temp.id('o1'), pg_temp.id('o5'), pg_temp.id('o3'), pg_temp.id('o2')),
  'orders_list with limit 1: following next_cursor visits every order once, in order, and stops');
select is(pg_temp.pages(2),
  format('{%s,%s} {%s,%s}', pg_temp.id('o1'), pg_temp.id('o5'), pg_temp.id('o3'), pg_temp.id('o2')),
  'orders_list with limit 2: two full pages, the last one without next_cursor');
select is(pg_temp.pages(3),
  format('{%s,%s,%s} {%s}', pg_temp.id('o1'), pg_temp.id('o5'), pg_temp.id('o3'), pg_temp.id('o2')),
  'orders_list with limit 3: a full page and the rest');
select is(pg_temp.ids(api.orders_list(null)), array[pg_temp.id('o1'), pg_temp.id('o5'), pg_temp.id('o3'), pg_temp.id('o2')],
  'orders_list: a null limit means the default');
select is(pg_temp.ids(api.orders_list(100)), array[pg_temp.id('o1'), pg_temp.id('o5'), pg_temp.id('o3'), pg_temp.id('o2')],
  'orders_list: limit 100 is allowed');
select throws_ok('select api.orders_list(0)', 'PT422', 'invalid_limit', 'orders_list: limit 0 -> PT422 invalid_limit');
select throws_ok('select api.orders_list(101)', 'PT422', 'invalid_limit', 'orders_list: limit 101 -> PT422 invalid_limit');
select throws_ok('select api.orders_list(-1)', 'PT422', 'invalid_limit', 'orders_list: limit -1 -> PT422 invalid_limit');
select throws_ok($$select api.orders_list(1, 'zqxwv-garbage')$$, 'PT422', 'invalid_cursor',
  'orders_list: a garbage cursor -> PT422 invalid_cursor');
select throws_ok(
  $$select api.orders_list(1, rtrim(translate(encode(convert_to('{"s": "price", "k": "1.00", "id": 1}', 'UTF8'), 'base64'), '+/', '-_'), '='))$$,
  'PT422', 'invalid_cursor', 'orders_list: a cursor of another sort (a products price cursor) -> PT422 invalid_cursor');
select throws_ok(
  $$select api.orders_list(1, rtrim(translate(encode(convert_to('{"s": "newest", "k": "zqxwv", "id": 1}', 'UTF8'), 'base64'), '+/', '-_'), '='))$$,
  'PT422', 'invalid_cursor', 'orders_list: a cursor whose key is not a timestamp -> PT422 invalid_cursor');

select pg_temp.act_as(pg_temp.id('c2'));
select is(pg_temp.ids(api.orders_list()), array[pg_temp.id('o4')], 'orders_list: another user sees only their own order');
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select is(api.orders_list()::jsonb, '{"items": [], "next_cursor": null}'::jsonb,
  'orders_list: an admin lists their own orders too (none): empty page');
select pg_temp.act_as(null);
select throws_ok('select api.orders_list()', 'PT401', 'unauthenticated', 'orders_list: anonymous -> PT401 unauthenticated');

-- api.order_get ------------------------------------------------------------------------------------------
select pg_temp.act_as(pg_temp.id('c1'));
select is((api.order_get(pg_temp.id('o2'))::jsonb) - 'created_at' - 'updated_at', pg_temp.kept('o2') - 'created_at' - 'updated_at',
  'order_get: the caller''s own order, as checkout returned it');
select throws_ok(format('select api.order_get(%s)', pg_temp.id('o4')), 'PT404', 'not_found',
  'order_get: another user''s order -> PT404 not_found (never 403)');
select throws_ok(format('select api.order_get(%s)', pg_temp.id('missing_order')), 'PT404', 'not_found',
  'order_get: an unknown id -> PT404 not_found');
select pg_temp.act_as(pg_temp.id('c2'), 'admin');
select throws_ok(format('select api.order_get(%s)', pg_temp.id('o1')), 'PT404', 'not_found',
  'order_get: a customer with an admin token still cannot see another user''s order');
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select is(api.order_get(pg_temp.id('o4'))::jsonb - 'created_at' - 'updated_at', pg_temp.kept('o4') - 'created_at' - 'updated_at',
  'order_get: an admin sees any order');
select throws_ok(format('select api.order_get(%s)', pg_temp.id('missing_order')), 'PT404', 'not_found',
  'order_get: an unknown id, for an admin -> PT404 not_found');
select pg_temp.act_as(null);
select throws_ok(format('select api.order_get(%s)', pg_temp.id('o1')), 'PT401', 'unauthenticated',
  'order_get: anonymous -> PT401 unauthenticated');

-- api.order_set_status: who and what ------------------------------------------------------------------
select throws_ok(format($$select api.order_set_status(%s, 'paid')$$, pg_temp.id('o1')), 'PT401', 'unauthenticated',
  'order_set_status: anonymous -> PT401 unauthenticated');
select pg_temp.act_as(pg_temp.id('c1'));
select throws_ok(format($$select api.order_set_status(%s, 'paid')$$, pg_temp.id('o1')), 'PT403', 'forbidden',
  'order_set_status: a customer, even on their own order -> PT403 forbidden');
select pg_temp.act_as(pg_temp.id('c1'), 'admin');
select throws_ok(format($$select api.order_set_status(%s, 'cancelled')$$, pg_temp.id('o1')), 'PT403', 'forbidden',
  'order_set_status: a customer with an admin token -> PT403 forbidden');
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select throws_ok(format($$select api.order_set_status(%s, 'lost')$$, pg_temp.id('o1')), 'PT422', 'invalid_status',
  'order_set_status: an unknown status -> PT422 invalid_status');
select throws_ok(format($$select api.order_set_status(%s, 'PAID')$$, pg_temp.id('o1')), 'PT422', 'invalid_status',
  'order_set_status: statuses are lower case -> PT422 invalid_status');
select throws_ok(format($$select api.order_set_status(%s, null)$$, pg_temp.id('o1')), 'PT422', 'invalid_status',
  'order_set_status: a null status -> PT422 invalid_status');
select is(pg_temp.error_of(format($$select api.order_set_status(%s, 'lost')$$, pg_temp.id('o1'))) ->> 'detail',
  'status must be one of pending, paid, shipped, delivered, cancelled',
  'invalid_status: the detail lists the statuses of shop.order_statuses, in workflow order');
select throws_ok(format($$select api.order_set_status(%s, 'paid')$$, pg_temp.id('missing_order')), 'PT404', 'not_found',
  'order_set_status: an unknown order -> PT404 not_found');
select throws_ok(format($$select api.order_set_status(%s, 'pending')$$, pg_temp.id('o1')), 'PT409', 'invalid_transition',
  'order_set_status: the status it already has -> PT409 invalid_transition');

-- Paid needs payments that cover the order --------------------------------------------------------------
select throws_ok(format($$select api.order_set_status(%s, 'paid')$$, pg_temp.id('o1')), 'PT409', 'payment_required',
  'order_set_status: pending -> paid while nothing is paid -> PT409 payment_required');
select is(pg_temp.error_of(format($$select api.order_set_status(%s, 'paid')$$, pg_temp.id('o1'))) ->> 'detail',
  format('order %s: its payments (0) do not cover its total (5.00); record a payment instead', pg_temp.id('o1')),
  'payment_required: the detail names what the payments net and the order''s total');
select is(
  (select jsonb_build_object('status', r ->> 'status', 'balance_due', r ->> 'balance_due')
   from (select api.order_payment_create(pg_temp.id('o1'), '2.00', 'zqxwv-ord-o1-a')::jsonb) x (r)),
  '{"status": "pending", "balance_due": "3.00"}',
  'a manual payment of 2.00 of 5.00: the order stays pending, 3.00 due');
select throws_ok(format($$select api.order_set_status(%s, 'paid')$$, pg_temp.id('o1')), 'PT409', 'payment_required',
  'order_set_status: paid while the payments (2.00) do not cover the total (5.00) -> PT409 payment_required');

-- The workflow, with history ---------------------------------------------------------------------------
select pg_temp.keep('o1.paid', api.order_payment_create(pg_temp.id('o1'), '3.00', 'zqxwv-ord-o1-b'));
select is(
  jsonb_build_object('status', pg_temp.kept('o1.paid') ->> 'status', 'balance_due', pg_temp.kept('o1.paid') ->> 'balance_due'),
  '{"status": "paid", "balance_due": "0.00"}',
  'a payment covering the rest moves the order to paid by itself (nothing due)');
select is(api.order_set_status(pg_temp.id('o1'), 'shipped') ->> 'status', 'shipped', 'paid -> shipped');
select is(
  array(select h ->> 'status' from json_array_elements(api.order_set_status(pg_temp.id('o1'), 'delivered') -> 'history') h),
  array['pending', 'paid', 'shipped', 'delivered'],
  'shipped -> delivered; the order''s history lists every status in order');
select is(
  (select jsonb_agg(h - 'at' order by n) from jsonb_array_elements(api.order_get(pg_temp.id('o1'))::jsonb -> 'history')
                                              with ordinality x (h, n)),
  '[{"status": "pending", "actor": "customer", "reason": null}, {"status": "paid", "actor": "payment", "reason": null},
    {"status": "shipped", "actor": "admin", "reason": null}, {"status": "delivered", "actor": "admin", "reason": null}]',
  'order_get: each history entry has its status, at, actor (customer: checkout; payment: paid by its payments; '
  'admin: the admin''s changes) and reason');
reset session authorization;
select results_eq(
  format($$select h.from_status, h.status, h.changed_by, h.db_role, h.actor, h.reason from shop.order_status_history h
           where h.order_id = %s order by h.id$$, pg_temp.id('o1')),
  format($$values (null::text, 'pending'::text, %1$s::bigint, %3$L::text, 'customer'::text, null::text),
                  ('pending', 'paid', %2$s, %3$L, 'payment', null), ('paid', 'shipped', %2$s, %3$L, 'admin', null),
                  ('shipped', 'delivered', %2$s, %3$L, 'admin', null)$$,
         pg_temp.id('c1'), pg_temp.id('admin'), 'pgshop_api'),
  'shop.order_status_history: one row per status, changed_by the customer (checkout) then the admin, db_role the '
  'API''s login pgshop_api, actor customer, then payment (the admin''s payment covered it), then admin');
select is((select o.status::text from shop.orders o where o.id = pg_temp.id('o1')), 'delivered', 'the order is delivered');

-- The raw trigger, whoever updates.
select throws_ok(format($$update shop.orders set status = 'delivered' where id = %s$$, pg_temp.id('o5')),
  'PT409', 'invalid_transition', 'a raw update of a pending order to delivered, as the superuser -> PT409 invalid_transition');
select pg_temp.act_as(null);
select throws_ok(format($$update shop.orders set status = 'paid' where id = %s$$, pg_temp.id('o5')),
  'PT409', 'payment_required', 'a raw update of an unpaid pending order to paid, as the superuser -> PT409 payment_required');
select pg_temp.pay(pg_temp.id('o5'));
update shop.orders set status = 'paid' where id = pg_temp.id('o5');
select results_eq(
  format($$select h.from_status, h.status, h.changed_by, h.db_role, h.actor, h.reason from shop.order_status_history h
           where h.order_id = %s order by h.id desc limit 1$$, pg_temp.id('o5')),
  $$values ('pending'::text, 'paid'::text, null::bigint, 'postgres'::text, 'sql'::text, null::text)$$,
  'a raw update once a payment covers the order is allowed and recorded too: changed_by null (no API user), db_role '
  'postgres, actor sql');
set local session authorization pgshop_api;

-- Cancel returns the stock, once ----------------------------------------------------------------------
reset session authorization;
do $$
begin
  perform set_config('tests.p_before', pg_temp.stock('p')::text, true);
  perform set_config('tests.q_before', pg_temp.stock('q')::text, true);
end
$$;
set local session authorization pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select is(api.order_set_status(pg_temp.id('o2'), 'cancelled') ->> 'status', 'cancelled', 'pending -> cancelled');
reset session authorization;
select is(array[pg_temp.stock('p'), pg_temp.stock('q')],
  array[current_setting('tests.p_before')::integer + 2, current_setting('tests.q_before')::integer + 1],
  'cancelling a pending order returns its stock (p + 2, q + 1)');
select results_eq(
  format($$select m.product_id, m.delta, m.reason, m.actor_id from shop.stock_movements m
           where m.order_id = %s and m.reason = 'cancel' order by m.product_id$$, pg_temp.id('o2')),
  format($$values (%s::bigint, 2, 'cancel'::text, %s::bigint), (%s, 1, 'cancel', %s)$$,
         pg_temp.id('p'), pg_temp.id('admin'), pg_temp.id('q'), pg_temp.id('admin')),
  'one cancel movement per line, with the order and the admin');
set local session authorization pgshop_api;
select throws_ok(format($$select api.order_set_status(%s, 'cancelled')$$, pg_temp.id('o2')), 'PT409', 'invalid_transition',
  'a cancelled order cannot be cancelled again -> PT409 invalid_transition');
select throws_ok(format($$select api.order_set_status(%s, 'pending')$$, pg_temp.id('o2')), 'PT409', 'invalid_transition',
  'cancelled -> pending -> PT409 invalid_transition');
select throws_ok(format($$select api.order_set_status(%s, 'paid')$$, pg_temp.id('o2')), 'PT409', 'invalid_transition',
  'cancelled -> paid -> PT409 invalid_transition');
reset session authorization;
select throws_ok(format($$update shop.orders set status = 'pending' where id = %s$$, pg_temp.id('o2')),
  'PT409', 'invalid_transition', 'a raw update out of cancelled -> PT409 invalid_transition');
select is(array[pg_temp.stock('p'), pg_temp.stock('q')],
  array[current_setting('tests.p_before')::integer + 2, current_setting('tests.q_before')::integer + 1],
  'the refused changes returned no more stock');
select is((select count(*) from shop.stock_movements m where m.order_id = pg_temp.id('o2') and m.reason = 'cancel'), 2::bigint,
  '... and wrote no more cancel movements');

set local session authorization pgshop_api;
select pg_temp.pay(pg_temp.id('o3'));
select is(api.order_set_status(pg_temp.id('o3'), 'paid') ->> 'status', 'paid',
  'o3, once a payment covers it: pending -> paid; order_set_status returns the order with its new status');
select is(
  array(select h ->> 'status' from json_array_elements(api.order_set_status(pg_temp.id('o3'), 'cancelled') -> 'history') h),
  array['pending', 'paid', 'cancelled'], 'paid -> cancelled; history pending, paid, cancelled');
reset session authorization;
select results_eq(
  format('select h.status, h.actor from shop.order_status_history h where h.order_id = %s order by h.id', pg_temp.id('o3')),
  $$values ('pending'::text, 'customer'::text), ('paid', 'admin'), ('cancelled', 'admin')$$,
  'o3''s history: actor customer (checkout), then admin for both of the admin''s changes (paid, cancelled)');
select is(array[pg_temp.stock('p'), pg_temp.stock('q')],
  array[current_setting('tests.p_before')::integer + 5, current_setting('tests.q_before')::integer + 3],
  'cancelling a paid order returns its stock (p + 3, q + 2)');
select is((select count(*) from shop.stock_movements m where m.order_id = pg_temp.id('o3') and m.reason = 'cancel'), 2::bigint,
  'one cancel movement per line of the paid order');
set local session authorization pgshop_api;
select throws_ok(format($$select api.order_set_status(%s, 'cancelled')$$, pg_temp.id('o1')), 'PT409', 'invalid_transition',
  'a delivered order cannot be cancelled -> PT409 invalid_transition');
reset session authorization;
select is(array[pg_temp.stock('p'), pg_temp.stock('q')],
  array[current_setting('tests.p_before')::integer + 5, current_setting('tests.q_before')::integer + 3],
  '... and no stock came back for it');
select is_empty(
  format('select * from shop.stock_reconciliation where product_id in (%s, %s) and difference <> 0', pg_temp.id('p'), pg_temp.id('q')),
  'the ledger of the test products agrees with their stock after sales and cancels');

-- One raw statement cancelling two orders that share a product: each order returns its own lines, each
-- movement carries its own order.
set local session authorization pgshop_api;
select pg_temp.act_as(pg_temp.id('c2'));
select pg_temp.keep('oa', pg_temp.order_of('[["p", 1]]'));
select pg_temp.keep('ob', pg_temp.order_of('[["p", 2], ["q", 1]]'));
reset session authorization;
select pg_temp.act_as(null);
do $$
begin
  perform set_config('tests.p_before', pg_temp.stock('p')::text, true);
  perform set_config('tests.q_before', pg_temp.stock('q')::text, true);
end
$$;
update shop.orders set status = 'cancelled' where id in (pg_temp.id('oa'), pg_temp.id('ob'));
select results_eq(
  format($$select m.order_id, m.product_id, m.delta, m.actor_id from shop.stock_movements m
           where m.order_id in (%s, %s) and m.reason = 'cancel' order by m.order_id, m.product_id$$,
         pg_temp.id('oa'), pg_temp.id('ob')),
  format($$values (%1$s::bigint, %3$s::bigint, 1, null::bigint), (%2$s, %3$s, 2, null), (%2$s, %4$s, 1, null)$$,
         pg_temp.id('oa'), pg_temp.id('ob'), pg_temp.id('p'), pg_temp.id('q')),
  'a raw update cancelling two orders: one cancel movement per line, each with its own order, no actor');
select is(array[pg_temp.stock('p'), pg_temp.stock('q')],
  array[current_setting('tests.p_before')::integer + 3, current_setting('tests.q_before')::integer + 1],
  '... and the stock of both comes back (p + 1 + 2, q + 1)');
select is(coalesce(current_setting('pgshop.stock_reason', true), ''), '', '... and no ledger context is left behind');

-- The full 5 x 5 matrix -------------------------------------------------------------------------------
-- One order of the matrix user per (from, to) pair, created directly in the "from" status.
do $$
declare
  v_map jsonb := '{}';
  v_raw jsonb := '{}';
  v_id bigint;
  f text;
  t text;
begin
  for f in select s.status from shop.order_statuses s loop
    for t in select s.status from shop.order_statuses s loop
      insert into shop.orders (user_id, status, total_amount, shipping_address)
      values (pg_temp.id('m'), f, 0, pg_temp.addr())
      returning id into v_id;
      v_map := v_map || jsonb_build_object(f || '>' || t, v_id);
    end loop;
    insert into shop.orders (user_id, status, total_amount, shipping_address)
    values (pg_temp.id('m'), f, 0, pg_temp.addr())
    returning id into v_id;
    v_raw := v_raw || jsonb_build_object(f, v_id);
  end loop;
  perform set_config('tests.matrix', v_map::text, true);
  perform set_config('tests.raw', v_raw::text, true);
end
$$;

set local session authorization pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
do $$
begin
  perform set_config('tests.matrix_result', (
    select jsonb_object_agg(m.key, pg_temp.try_status(m.value::bigint, split_part(m.key, '>', 2)))
    from jsonb_each_text(current_setting('tests.matrix')::jsonb) m)::text, true);
end
$$;
reset session authorization;
select results_eq(
  $$select r.key, r.value from jsonb_each_text(current_setting('tests.matrix_result')::jsonb) r order by 1$$,
  $$select f.status || '>' || t.status,
           case when exists (select from shop.order_status_transitions x where x.from_status = f.status and x.to_status = t.status)
                then 'ok: ' || t.status else 'PT409 invalid_transition' end
    from shop.order_statuses f cross join shop.order_statuses t order by 1$$,
  'order_set_status over all 25 (from, to) pairs: exactly the pairs of shop.order_status_transitions work, '
  'every other pair (same status included) -> PT409 invalid_transition');
select is(
  (select count(*) from jsonb_each_text(current_setting('tests.matrix_result')::jsonb) r where r.value like 'ok:%'), 5::bigint,
  '... 5 allowed pairs, 20 refused');
select is_empty(
  $$select m.key, o.status from jsonb_each_text(current_setting('tests.matrix')::jsonb) m
    join shop.orders o on o.id = m.value::bigint
    where o.status <> case when current_setting('tests.matrix_result')::jsonb ->> m.key like 'ok:%'
                           then split_part(m.key, '>', 2) else split_part(m.key, '>', 1) end$$,
  'every order of the matrix is in the new status when allowed, else still in the old one');
select is(
  (select count(*) from shop.order_status_history h
   where h.order_id in (select m.value::bigint from jsonb_each_text(current_setting('tests.matrix')::jsonb) m)
     and h.from_status is not null),
  5::bigint, 'only the 5 allowed changes wrote a history row');

select pg_temp.act_as(null);
select results_eq(
  $$select f.status || '>' || t.status, pg_temp.try_raw((current_setting('tests.raw')::jsonb ->> f.status)::bigint, t.status)
    from shop.order_statuses f cross join shop.order_statuses t order by 1$$,
  $$select f.status || '>' || t.status,
           case when f.status = t.status
                  or exists (select from shop.order_status_transitions x where x.from_status = f.status and x.to_status = t.status)
                then 'ok' else 'PT409 invalid_transition' end
    from shop.order_statuses f cross join shop.order_statuses t order by 1$$,
  'raw updates by the superuser over all 25 pairs: the trigger allows the transitions of the table (and no change), '
  'refuses every other pair with PT409 invalid_transition');

-- An import: an order inserted already paid needs no payment (only a change to paid does).
do $$
declare
  v_id bigint;
begin
  insert into shop.orders (user_id, status, total_amount, shipping_address)
  values (pg_temp.id('m'), 'paid', 9.99, pg_temp.addr())
  returning id into v_id;
  perform set_config('tests.import', v_id::text, true);
end
$$;
select results_eq(
  format($$select o.status::text, shop.order_net_paid(o.id), h.from_status, h.status, h.actor from shop.orders o
           join shop.order_status_history h on h.order_id = o.id where o.id = %s$$, pg_temp.id('import')),
  $$values ('paid'::text, 0::numeric, null::text, 'paid'::text, 'sql'::text)$$,
  'an order inserted as paid (an import), with no payment, is allowed; its one history row: paid, actor sql');

select * from finish();
rollback;
