-- The outbox (events written by triggers in the transaction of the change), the fan-out to webhook
-- endpoints (one delivery and one queue job per subscribed endpoint), the webhook API, the worker's side
-- (lib.webhook_delivery_start / lib.webhook_delivery_finish) and lib.orders_expire.
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
-- mark(name): remembers the last outbox id as tests.<name>; since(name) are the events after it, oldest
-- first, as "type resource".
create function pg_temp.mark(p_name text) returns void
language sql as $$
  select set_config('tests.' || p_name, (select coalesce(max(x.id), 0) from shop.outbox x)::text, true)
$$;
create function pg_temp.since(p_name text) returns text[]
language sql stable as $$
  select coalesce(array_agg(x.type || ' ' || x.resource order by x.id), '{}')
  from shop.outbox x
  where x.id > pg_temp.id(p_name)
$$;
create function pg_temp.res(p_key text) returns text
language sql stable as $$ select 'order/' || pg_temp.id(p_key) $$;
-- stock(key): the stock of a test product's one variant.
create function pg_temp.stock(p_key text) returns integer
language sql stable as $$ select v.stock_quantity from shop.variants v where v.product_id = pg_temp.id(p_key) $$;
create function pg_temp.status(p_key text) returns text
language sql stable as $$ select o.status from shop.orders o where o.id = pg_temp.id(p_key) $$;
-- dry_checkout(lines): a checkout run and undone (a subtransaction rolled back, as a failed checkout is):
-- the number of outbox rows, deliveries and queue jobs it had written when it was undone.
create function pg_temp.dry_checkout(p_lines jsonb) returns jsonb
language plpgsql as $$
declare
  v_seen jsonb;
begin
  begin
    set local role pgshop_api;
    perform pg_temp.order_of(p_lines);
    reset role;
    v_seen := jsonb_build_object('outbox', (select count(*) from shop.outbox),
                                 'deliveries', (select count(*) from shop.webhook_deliveries),
                                 'jobs', (select count(*) from queue.procrastinate_jobs));
    raise exception using errcode = 'ZQ001', message = 'undo';
  exception when sqlstate 'ZQ001' then
    return v_seen;
  end;
end
$$;
create function pg_temp.counts() returns jsonb
language sql stable as $$
  select jsonb_build_object('outbox', (select count(*) from shop.outbox),
                            'deliveries', (select count(*) from shop.webhook_deliveries),
                            'jobs', (select count(*) from queue.procrastinate_jobs))
$$;
-- A delivery of an endpoint for an order event: its id.
create function pg_temp.delivery(p_endpoint text, p_type text, p_resource text) returns bigint
language sql stable as $$
  select d.id from shop.webhook_deliveries d join shop.outbox x on x.id = d.outbox_id
  where d.endpoint_id = pg_temp.id(p_endpoint) and x.type = p_type and x.resource = p_resource
$$;
-- A delivery as "status attempts response_status".
create function pg_temp.dstate(p_id bigint) returns text
language sql stable as $$
  select concat_ws(' ', d.status, d.attempts, coalesce(d.response_status::text, '-')) from shop.webhook_deliveries d where d.id = p_id
$$;
-- delays(delivery, n): the smallest and largest delay of n failed attempts (each undone), for the jitter.
create function pg_temp.delays(p_id bigint, p_n integer) returns double precision[]
language plpgsql as $$
declare
  v_delay double precision;
  v_min double precision;
  v_max double precision;
begin
  for i in 1 .. p_n loop
    begin
      v_delay := lib.webhook_delivery_finish(p_id, 500, null, 'boom');
      raise exception using errcode = 'ZQ001', message = 'undo';
    exception when sqlstate 'ZQ001' then
      v_min := least(v_min, v_delay);
      v_max := greatest(v_max, v_delay);
    end;
  end loop;
  return array[v_min, v_max];
end
$$;

-- Function properties and privileges --------------------------------------------------------------------
select function_privs_are('api', f, a, 'pgshop_api', array['EXECUTE'], format('pgshop_api can execute api.%s', f))
from (values ('webhook_create', array['text', 'jsonb']), ('webhooks_list', '{}'::text[]), ('webhook_delete', array['bigint']),
             ('webhook_deliveries_list', array['bigint', 'integer', 'text']),
             ('webhook_redeliver', array['bigint', 'bigint'])) v (f, a);
select function_privs_are('lib', f, a, 'pgshop_api', '{}'::text[], format('pgshop_api cannot execute lib.%s', f))
from (values ('webhook_delivery_start', array['bigint']),
             ('webhook_delivery_finish', array['bigint', 'integer', 'text', 'text', 'boolean']),
             ('orders_expire', array['integer']), ('webhook_url_problem', array['text'])) v (f, a);
select table_privs_are('shop', t, 'pgshop_api', '{}'::text[], format('pgshop_api has no privilege on shop.%s', t))
from unnest(array['outbox', 'event_types', 'webhook_endpoints', 'webhook_deliveries']) t;
select volatility_is('api', 'webhooks_list', '{}'::text[], 'stable');
select volatility_is('api', 'webhook_deliveries_list', array['bigint', 'integer', 'text'], 'stable');

-- Set-up ------------------------------------------------------------------------------------------------
do $$
begin
  perform pg_temp.new_user('admin', 'zqxwv-out-admin@zqxwv.test', 'Ad', 'Min', 'admin');
  perform pg_temp.new_user('c1', 'zqxwv-out-one@zqxwv.test', 'Cus', 'One');
  perform set_config('tests.p', pg_temp.new_product('Zqxwv Outbox P', 10.00, 'ZQXWV-OUT-P', 50, p_threshold => 0)::text, true);
  perform set_config('tests.l', pg_temp.new_product('Zqxwv Outbox L', 2.00, 'ZQXWV-OUT-L', 6, p_threshold => 3)::text, true);
  update shop.settings set value = '0' where name = 'rate_limit_checkout_per_user';
  update shop.settings set value = '0' where name = 'webhook_allow_private';
  update shop.settings set value = '30' where name = 'webhook_retry_base_seconds';
  update shop.settings set value = '60 minutes' where name = 'order_payment_window';
end
$$;
select pg_temp.act_as(null);

-- Events are written in the transaction of the change ---------------------------------------------------
select pg_temp.mark('m0');
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('c1'));
select pg_temp.keep('o1', pg_temp.order_of('[["p", 2], ["l", 3]]'));
reset role;
select is(pg_temp.since('m0'), array['order.created ' || pg_temp.res('o1'), 'stock.low product/' || pg_temp.id('l')],
  'a checkout writes one order.created for its order, then stock.low for the product that fell to its threshold');
select is((select x.data::jsonb from shop.outbox x where x.type = 'order.created' and x.resource = pg_temp.res('o1')),
  pg_temp.kept('o1'), 'order.created carries the order document as checkout returned it');
select is((select jsonb_array_length(x.data::jsonb -> 'items') from shop.outbox x
           where x.type = 'order.created' and x.resource = pg_temp.res('o1')),
  2, '... with its two lines');
select results_eq(
  $$select x.reason, x.event_id is not null, x.created_at = now() from shop.outbox x
    where x.type = 'order.created' and x.resource = pg_temp.res('o1')$$,
  $$values (null::text, true, true)$$, 'order.created has no reason, an event_id, and the time of the transaction');
select is(
  (select x.data::jsonb - 'alert_id' - 'opened_at' from shop.outbox x
   where x.type = 'stock.low' and x.resource = 'product/' || pg_temp.id('l')),
  jsonb_build_object('product_id', pg_temp.id('l'), 'variant_id', pg_temp.variant_of(pg_temp.id('l')),
                     'name', 'Zqxwv Outbox L', 'sku', 'ZQXWV-OUT-L', 'options', '{}'::jsonb, 'stock_quantity', 3,
                     'low_stock_threshold', 3),
  'stock.low names the product and its variant (SKU, options), its stock and its threshold');

select pg_temp.mark('m1');
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('c1'));
select pg_temp.keep('o2', pg_temp.order_of('[["l", 1]]'));
reset role;
select is(pg_temp.since('m1'), array['order.created ' || pg_temp.res('o2')],
  'stock falling further below the threshold while its alert is open: no second stock.low');

select pg_temp.mark('m2');
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select is(api.order_payment_create(pg_temp.id('o1'), '26.00', 'BANK-ZQ-O1') ->> 'status', 'paid', 'o1 is paid by a manual payment');
reset role;
select is(pg_temp.since('m2'), array['payment.captured ' || pg_temp.res('o1'), 'order.paid ' || pg_temp.res('o1')],
  'a manual payment writes payment.captured, then order.paid');
select is((select x.data::jsonb ->> 'status' from shop.outbox x where x.type = 'order.paid' and x.resource = pg_temp.res('o1')),
  'paid', 'order.paid carries the order as paid');
select is((select x.data::jsonb ->> 'status' from shop.outbox x where x.type = 'payment.captured' and x.resource = pg_temp.res('o1')),
  'captured', 'payment.captured carries the payment');

select pg_temp.mark('m3');
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select lives_ok(format($$select api.order_set_status(%s, 'cancelled')$$, pg_temp.id('o2')), 'o2 is cancelled by the admin');
reset role;
select is(pg_temp.since('m3'), array['order.cancelled ' || pg_temp.res('o2')], 'a cancel writes order.cancelled');
select is((select x.reason from shop.outbox x where x.type = 'order.cancelled' and x.resource = pg_temp.res('o2')), null,
  '... without a reason (not unpaid: an admin cancelled it)');

select pg_temp.mark('m4');
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select lives_ok(format($$select api.order_set_status(%s, 'shipped'); select api.order_set_status(%1$s, 'delivered')$$, pg_temp.id('o1')),
  'o1 is shipped, then delivered');
reset role;
select is(pg_temp.since('m4'), array['order.shipped ' || pg_temp.res('o1'), 'order.delivered ' || pg_temp.res('o1')],
  'shipping and delivery write order.shipped and order.delivered');

-- Nothing of a change that is undone.
select pg_temp.mark('m5');
select pg_temp.act_as(pg_temp.id('c1'));
do $$ begin perform set_config('tests.before', pg_temp.counts()::text, true); end $$;
select is(pg_temp.dry_checkout('[["p", 1]]') ->> 'outbox', ((current_setting('tests.before')::jsonb ->> 'outbox')::integer + 1)::text,
  'a checkout that is then undone had written its order.created');
select is(pg_temp.counts(), current_setting('tests.before')::jsonb, 'once it is undone, its event is gone');
select is(pg_temp.since('m5'), '{}'::text[], '... no event after the mark');

-- The outbox is never changed.
select throws_ok($$update shop.outbox set reason = 'zqxwv' where type = 'order.created'$$, 'PT409', 'append_only',
  'update of shop.outbox, even as the superuser -> PT409 append_only');
select throws_ok($$update shop.outbox set data = '{}' where type = 'stock.low'$$, 'PT409', 'append_only',
  'update of an event''s data -> PT409 append_only');

-- The webhook API ----------------------------------------------------------------------------------------
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select pg_temp.keep('e1', api.webhook_create('https://hooks.example.com/zqxwv/orders', '["order.paid", "order.created", "order.paid"]'));
select pg_temp.keep('e2', api.webhook_create('https://stock.example.org/zqxwv', '["stock.low"]'));
select is(array(select jsonb_object_keys(pg_temp.kept('e1')) order by 1), array['created_at', 'events', 'id', 'secret', 'url'],
  'webhook_create returns the endpoint with its secret');
select is(pg_temp.kept('e1') -> 'events', '["order.created", "order.paid"]',
  'webhook_create: the event types are kept once each, sorted');
select ok(pg_temp.kept('e1') ->> 'secret' ~ '^whsec_[0-9a-f]{64}$' and pg_temp.kept('e1') ->> 'secret' <> pg_temp.kept('e2') ->> 'secret',
  'webhook_create: a secret of its own per endpoint, whsec_ and 64 hex digits');
select is(api.webhooks_list()::jsonb,
  jsonb_build_object('items', jsonb_build_array(pg_temp.kept('e1') - 'secret', pg_temp.kept('e2') - 'secret')),
  'webhooks_list: every endpoint, oldest first, without its secret');
reset role;
select is((select e.secret from shop.webhook_endpoints e where e.id = pg_temp.id('e1')), pg_temp.kept('e1') ->> 'secret',
  'the secret shown once is the one stored (for the signatures)');
set local role pgshop_api;
select throws_ok(format('select api.webhook_create(%L, %L)', u, '["order.paid"]'), 'PT422', 'invalid_url',
  format('webhook_create with webhook_allow_private = 0: %s -> PT422 invalid_url', d))
from (values ('http://hooks.example.com/zqxwv', 'http'), ('https://localhost/zqxwv', 'localhost'),
             ('https://127.0.0.1:8443/zqxwv', 'a loopback address'), ('https://10.1.2.3/zqxwv', 'a private address'),
             ('https://192.168.0.10/zqxwv', 'a private address (192.168)'),
             ('https://169.254.169.254/latest', 'a link-local address'), ('https://[fe80::1]/zqxwv', 'an IPv6 link-local address'),
             ('https://[::1]/zqxwv', 'the IPv6 loopback'), ('https://[::ffff:127.0.0.1]/zqxwv', 'an IPv4-mapped loopback'),
             ('https://db.internal/zqxwv', 'an .internal name'), ('https://user:pw@hooks.example.com/', 'a user and password'),
             ('ftp://hooks.example.com/', 'another scheme'), ('hooks.example.com/zqxwv', 'no scheme'), (null, 'null')) v (u, d);
select throws_ok(format($$select api.webhook_create('https://hooks.example.com/zqxwv', %L)$$, v), 'PT422', 'invalid_events',
  format('webhook_create: events %s -> PT422 invalid_events', coalesce(d, v)))
from (values ('[]', null), ('["order.exploded"]', null), ('["order.paid", "ORDER.CREATED"]', null), ('"order.paid"', 'a string'),
             ('[1]', null), ('{"order.paid": true}', 'an object'), (null, 'null'),
             ((select jsonb_agg('order.paid'::text) from generate_series(1, 51))::text, '51 of them')) v (v, d);
reset role;
update shop.settings set value = '1' where name = 'webhook_allow_private';
set local role pgshop_api;
select is(array(select api.webhook_create(u, '["order.cancelled"]') ->> 'url'
                from unnest(array['http://localhost:8080/zqxwv', 'http://127.0.0.1:9000/zqxwv']) u),
  array['http://localhost:8080/zqxwv', 'http://127.0.0.1:9000/zqxwv'],
  'with webhook_allow_private = 1: http and loopback addresses are accepted');
select throws_ok($$select api.webhook_create('ftp://localhost/zqxwv', '["order.paid"]')$$, 'PT422', 'invalid_url',
  'with webhook_allow_private = 1, still only http(s) -> PT422 invalid_url');
reset role;
update shop.settings set value = '0' where name = 'webhook_allow_private';
delete from shop.webhook_endpoints where url like 'http://%/zqxwv';

-- Admins only.
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('c1'));
select throws_ok(c, 'PT403', 'forbidden', format('%s: a customer -> PT403 forbidden', split_part(split_part(c, '.', 2), '(', 1)))
from unnest(array[$$select api.webhook_create('https://hooks.example.com/zqxwv', '["order.paid"]')$$,
                  'select api.webhooks_list()', format('select api.webhook_delete(%s)', pg_temp.id('e1')),
                  format('select api.webhook_deliveries_list(%s)', pg_temp.id('e1')),
                  format('select api.webhook_redeliver(%s, 1)', pg_temp.id('e1'))]) c;
select pg_temp.act_as(null);
select throws_ok('select api.webhooks_list()', 'PT401', 'unauthenticated', 'webhooks_list: anonymous -> PT401 unauthenticated');
reset role;
select is((select count(*) from shop.webhook_endpoints), 2::bigint, 'the refused calls changed nothing: two endpoints');

-- Fan-out: one delivery and one queue job per subscribed endpoint ---------------------------------------
select pg_temp.mark('m6');
do $$ begin perform set_config('tests.jobs_before', (select coalesce(max(j.id), 0) from queue.procrastinate_jobs j)::text, true); end $$;
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('c1'));
select pg_temp.keep('o3', pg_temp.order_of('[["p", 1]]'));
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select lives_ok(format($$select api.order_payment_create(%s, '10.00', 'BANK-ZQ-O3')$$, pg_temp.id('o3')), 'o3 is paid');
reset role;
update shop.variants set stock_quantity = 1, low_stock_threshold = 2 where product_id = pg_temp.id('p');
select is(pg_temp.since('m6'),
  array['order.created ' || pg_temp.res('o3'), 'payment.captured ' || pg_temp.res('o3'), 'order.paid ' || pg_temp.res('o3'),
        'stock.low product/' || pg_temp.id('p')],
  'the events of a checkout, a payment and a stock falling low');
select results_eq(
  $$select x.type, (select array_agg(d.endpoint_id order by d.endpoint_id) from shop.webhook_deliveries d where d.outbox_id = x.id)
    from shop.outbox x where x.id > pg_temp.id('m6') order by x.id$$,
  $$values ('order.created'::text, array[pg_temp.id('e1')]), ('payment.captured', null), ('order.paid', array[pg_temp.id('e1')]),
           ('stock.low', array[pg_temp.id('e2')])$$,
  'each event has one delivery for each endpoint subscribed to its type, none for a type nobody wants');
select is((select array_agg(distinct d.status || ' ' || d.attempts) from shop.webhook_deliveries d
           join shop.outbox x on x.id = d.outbox_id where x.id > pg_temp.id('m6')),
  array['pending 0'], 'the new deliveries are pending, never tried');
select results_eq(
  $$select j.queue_name::text, j.task_name::text, j.lock, j.args, j.status::text from queue.procrastinate_jobs j
    where j.id > pg_temp.id('jobs_before') order by j.id$$,
  $$select 'webhooks'::text, 'deliver'::text, format('webhook %s %s', d.endpoint_id, x.resource), jsonb_build_object('delivery_id', d.id), 'todo'::text
    from shop.webhook_deliveries d join shop.outbox x on x.id = d.outbox_id where x.id > pg_temp.id('m6') order by d.id$$,
  'one queue job per delivery: queue webhooks, task deliver, args its delivery_id, locked per endpoint and resource');
select is((select count(*) from queue.procrastinate_jobs j where j.id > pg_temp.id('jobs_before')), 3::bigint,
  '... three jobs for three deliveries');

-- An undone checkout leaves no delivery nor job either.
select pg_temp.act_as(pg_temp.id('c1'));
do $$ begin perform set_config('tests.before', pg_temp.counts()::text, true); end $$;
select is(pg_temp.dry_checkout('[["p", 1]]') - 'outbox',
  jsonb_build_object('deliveries', (current_setting('tests.before')::jsonb ->> 'deliveries')::integer + 1,
                     'jobs', (current_setting('tests.before')::jsonb ->> 'jobs')::integer + 1),
  'a checkout that is then undone had made a delivery and a job for e1');
select is(pg_temp.counts(), current_setting('tests.before')::jsonb, 'once it is undone, no event, delivery or job is left');

-- Deliveries: list and redeliver.
do $$
begin
  perform set_config('tests.d_created', pg_temp.delivery('e1', 'order.created', pg_temp.res('o3'))::text, true);
  perform set_config('tests.d_paid', pg_temp.delivery('e1', 'order.paid', pg_temp.res('o3'))::text, true);
  perform set_config('tests.d_low', pg_temp.delivery('e2', 'stock.low', 'product/' || pg_temp.id('p'))::text, true);
end
$$;
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select is(
  (select array_agg((i ->> 'id')::bigint order by n) from json_array_elements(api.webhook_deliveries_list(pg_temp.id('e1')) -> 'items')
     with ordinality x (i, n) where (i ->> 'id')::bigint in (pg_temp.id('d_created'), pg_temp.id('d_paid'))),
  array[pg_temp.id('d_paid'), pg_temp.id('d_created')], 'webhook_deliveries_list: the endpoint''s deliveries, newest first');
select is(
  (select i::jsonb - 'event_id' - 'created_at' from json_array_elements(api.webhook_deliveries_list(pg_temp.id('e1')) -> 'items') i
   where (i ->> 'id')::bigint = pg_temp.id('d_paid')),
  jsonb_build_object('id', pg_temp.id('d_paid'), 'type', 'order.paid', 'status', 'pending', 'attempts', 0, 'last_attempt_at', null,
                     'next_attempt_at', null, 'response_status', null, 'response_excerpt', null, 'error', null, 'delivered_at', null),
  'webhook_deliveries_list: an item shows the event type, status, attempts and the last answer');
select is(
  (select array_agg(i ->> 'type') from json_array_elements(api.webhook_deliveries_list(pg_temp.id('e2')) -> 'items') i),
  array['stock.low'], 'webhook_deliveries_list: another endpoint''s deliveries are its own (the one stock.low since it exists)');
select is(api.webhook_deliveries_list(pg_temp.id('e1'), 1) -> 'items' -> 0 ->> 'id', pg_temp.id('d_paid')::text,
  'webhook_deliveries_list with limit 1: the newest');
select is(api.webhook_deliveries_list(pg_temp.id('e1'), 1, api.webhook_deliveries_list(pg_temp.id('e1'), 1) ->> 'next_cursor')
          -> 'items' -> 0 ->> 'id', pg_temp.id('d_created')::text, '... and next_cursor leads to the next one');
select throws_ok(format('select api.webhook_deliveries_list(%s)', pg_temp.id('e2') + 1000), 'PT404', 'not_found',
  'webhook_deliveries_list: an unknown endpoint -> PT404 not_found');

-- The worker's side ---------------------------------------------------------------------------------------
reset role;
select pg_temp.keep('start1', lib.webhook_delivery_start(pg_temp.id('d_created')));
select is(pg_temp.kept('start1') - 'body',
  jsonb_build_object('url', 'https://hooks.example.com/zqxwv/orders', 'secret', pg_temp.kept('e1') ->> 'secret',
                     'event_id', (select x.event_id from shop.outbox x where x.type = 'order.created' and x.resource = pg_temp.res('o3')),
                     'type', 'order.created', 'attempt', 1, 'allow_private', false),
  'webhook_delivery_start: what to send (url, secret, event_id, type), the attempt number and the address rule');
select is((pg_temp.kept('start1') ->> 'body')::jsonb - 'created_at',
  (select jsonb_build_object('id', x.event_id, 'type', x.type, 'reason', x.reason, 'data', x.data)
   from shop.outbox x where x.type = 'order.created' and x.resource = pg_temp.res('o3')),
  'webhook_delivery_start: the body is the event: id, type, reason and data');
select is(pg_temp.dstate(pg_temp.id('d_created')), 'pending 1 -', 'the attempt is counted');
select is(lib.webhook_delivery_finish(pg_temp.id('d_created'), 200, 'ok', null), null, 'webhook_delivery_finish with 200: no retry (null)');
select results_eq(
  format('select d.status, d.attempts, d.response_status, d.response_excerpt, d.delivered_at, d.next_attempt_at from shop.webhook_deliveries d where d.id = %s',
         pg_temp.id('d_created')),
  $$values ('delivered'::text, 1, 200, 'ok'::text, now(), null::timestamptz)$$,
  '... the delivery is delivered, with the answer and the time');
select is(lib.webhook_delivery_start(pg_temp.id('d_created'))::jsonb, null, 'webhook_delivery_start of a delivered delivery: null, nothing to send');
select is(pg_temp.dstate(pg_temp.id('d_created')), 'delivered 1 200', '... and no attempt counted');
select is(lib.webhook_delivery_start(-1)::jsonb, null, 'webhook_delivery_start of an unknown delivery: null');
select is(lib.webhook_delivery_finish(-1, 200, null, null), null, 'webhook_delivery_finish of an unknown delivery: null');

-- Retries: base * 2^(attempts - 1), with jitter from 75% to 125%.
select is((lib.webhook_delivery_start(pg_temp.id('d_paid')) ->> 'attempt')::integer, 1, 'the first attempt at order.paid');
select ok((select v[1] >= 22.5 and v[2] <= 37.5 and v[1] < v[2] from pg_temp.delays(pg_temp.id('d_paid'), 200) v),
  'after a first failed attempt the delay is 30 s * 2^0 with jitter: within [22.5, 37.5] over 200 draws, not all the same');
select pg_temp.keep('delay1', json_build_object('s', lib.webhook_delivery_finish(pg_temp.id('d_paid'), 500, repeat('e', 600), null)));
select ok((pg_temp.kept('delay1') ->> 's')::double precision between 22.5 and 37.5, 'webhook_delivery_finish with 500 returns the delay');
select results_eq(
  format('select d.status, d.response_status, length(d.response_excerpt), d.delivered_at, d.next_attempt_at from shop.webhook_deliveries d where d.id = %s',
         pg_temp.id('d_paid')),
  format($$values ('pending'::text, 500, 500, null::timestamptz, now() + make_interval(secs => %s))$$, pg_temp.kept('delay1') ->> 's'),
  '... the delivery stays pending, next_attempt_at after the delay, the answer cut to 500 characters');
select is((lib.webhook_delivery_start(pg_temp.id('d_paid')) ->> 'attempt')::integer, 2, 'the second attempt');
select ok((select v[1] >= 45 and v[2] <= 75 from pg_temp.delays(pg_temp.id('d_paid'), 200) v),
  'after a second failed attempt the delay doubles: within [45, 75]');
update shop.settings set value = '10' where name = 'webhook_retry_base_seconds';
select ok((select v[1] >= 15 and v[2] <= 25 from pg_temp.delays(pg_temp.id('d_paid'), 200) v),
  'webhook_retry_base_seconds 10: after a second attempt within [15, 25]');
update shop.settings set value = '30' where name = 'webhook_retry_base_seconds';
select is(lib.webhook_delivery_finish(pg_temp.id('d_paid'), 503, 'busy', null, false), null,
  'webhook_delivery_finish with p_retry false: null, no retry');
select is(pg_temp.dstate(pg_temp.id('d_paid')), 'failed 2 503', '... the delivery failed');
select is(lib.webhook_delivery_start(pg_temp.id('d_paid'))::jsonb, null, 'webhook_delivery_start of a failed delivery: null');

-- 24 hours from retry_from.
select is((lib.webhook_delivery_start(pg_temp.id('d_low')) ->> 'attempt')::integer, 1, 'a first attempt at stock.low');
update shop.webhook_deliveries set retry_from = now() - interval '23 hours' where id = pg_temp.id('d_low');
select ok(lib.webhook_delivery_finish(pg_temp.id('d_low'), null, null, 'connection refused') between 22.5 and 37.5,
  'a failure 23 hours after retry_from, the next try still within 24 hours: retried');
select is(pg_temp.dstate(pg_temp.id('d_low')), 'pending 1 -', '... the delivery stays pending');
update shop.webhook_deliveries set retry_from = now() - interval '24 hours' + interval '20 seconds' where id = pg_temp.id('d_low');
select is(lib.webhook_delivery_finish(pg_temp.id('d_low'), 500, null, 'boom'), null,
  'a failure whose next try would fall past 24 hours from retry_from: null, no retry');
select results_eq(format('select d.status, d.error from shop.webhook_deliveries d where d.id = %s', pg_temp.id('d_low')),
  $$values ('failed'::text, 'boom'::text)$$, '... the delivery failed, with the error');
select is(lib.webhook_delivery_finish(pg_temp.id('d_low'), 204, null, null), null, 'a late 204 for it: null');
select is(pg_temp.dstate(pg_temp.id('d_low')), 'delivered 1 204', '... any 2xx answer means delivered');

-- Redeliver.
do $$ begin perform set_config('tests.jobs_before', (select coalesce(max(j.id), 0) from queue.procrastinate_jobs j)::text, true); end $$;
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select pg_temp.keep('re', api.webhook_redeliver(pg_temp.id('e1'), pg_temp.id('d_paid')));
select is(jsonb_build_array(pg_temp.kept('re') ->> 'status', pg_temp.kept('re') ->> 'error', pg_temp.kept('re') -> 'attempts'),
  '["pending", null, 2]', 'webhook_redeliver: the failed delivery is pending again (its attempts kept)');
reset role;
select results_eq(
  format('select d.status, d.retry_from, d.next_attempt_at, d.delivered_at from shop.webhook_deliveries d where d.id = %s', pg_temp.id('d_paid')),
  $$values ('pending'::text, now(), now(), null::timestamptz)$$, '... with another 24 hours of retries from now');
select results_eq(
  $$select j.queue_name::text, j.task_name::text, j.lock, j.args from queue.procrastinate_jobs j where j.id > pg_temp.id('jobs_before')$$,
  format($$values ('webhooks'::text, 'deliver'::text, %L::text, %L::jsonb)$$,
         format('webhook %s %s', pg_temp.id('e1'), pg_temp.res('o3')), jsonb_build_object('delivery_id', pg_temp.id('d_paid'))),
  '... and one new queue job for it');
select is((lib.webhook_delivery_start(pg_temp.id('d_paid')) ->> 'attempt')::integer, 3, 'the worker can try it again: attempt 3');
set local role pgshop_api;
select throws_ok(format('select api.webhook_redeliver(%s, %s)', pg_temp.id('e2'), pg_temp.id('d_paid')), 'PT404', 'not_found',
  'webhook_redeliver: a delivery of another endpoint -> PT404 not_found');
select throws_ok(format('select api.webhook_redeliver(%s, %s)', pg_temp.id('e1'), pg_temp.id('d_paid') + 100000), 'PT404', 'not_found',
  'webhook_redeliver: an unknown delivery -> PT404 not_found');
select throws_ok(format('select api.webhook_redeliver(%s, %s)', pg_temp.id('e2') + 1000, pg_temp.id('d_paid')), 'PT404', 'not_found',
  'webhook_redeliver: an unknown endpoint -> PT404 not_found');
select throws_ok(format('select api.webhook_redeliver(%s, %s)', pg_temp.id('e1'), pg_temp.id('d_paid')), 'PT409',
  'delivery_pending', 'webhook_redeliver of a delivery still being tried -> PT409 delivery_pending (no second job)');

-- Delete.
select lives_ok(format('select api.webhook_delete(%s)', pg_temp.id('e1')), 'webhook_delete of e1');
select is(array(select i ->> 'id' from json_array_elements(api.webhooks_list() -> 'items') i), array[pg_temp.id('e2')::text],
  '... it is no longer listed');
select throws_ok(format('select api.webhook_delete(%s)', pg_temp.id('e1')), 'PT404', 'not_found',
  'webhook_delete of an endpoint gone -> PT404 not_found');
select throws_ok(format('select api.webhook_deliveries_list(%s)', pg_temp.id('e1')), 'PT404', 'not_found',
  'webhook_deliveries_list of an endpoint gone -> PT404 not_found');
reset role;
select is((select count(*) from shop.webhook_deliveries d where d.endpoint_id = pg_temp.id('e1')), 0::bigint,
  'its deliveries went with it');
select is((select count(*) from shop.webhook_deliveries d where d.endpoint_id = pg_temp.id('e2')), 1::bigint,
  '... and the other endpoint''s stay');
select pg_temp.mark('m7');
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('c1'));
select pg_temp.keep('o4', pg_temp.order_of('[["p", 1]]'));
reset role;
select is((select count(*) from shop.webhook_deliveries d join shop.outbox x on x.id = d.outbox_id where x.id > pg_temp.id('m7')), 0::bigint,
  'an order.created after the delete goes to no endpoint');

-- lib.orders_expire ---------------------------------------------------------------------------------------
update shop.variants set stock_quantity = 50 where product_id = pg_temp.id('p');
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('c1'));
select pg_temp.keep('o5', pg_temp.order_of('[["p", 2]]'));
select pg_temp.keep('o6', pg_temp.order_of('[["p", 1]]'));
select pg_temp.keep('o7', pg_temp.order_of('[["p", 1]]'));
select pg_temp.keep('o8', pg_temp.order_of('[["l", 1]]'));
select pg_temp.keep('o9', pg_temp.order_of('[["p", 1]]'));
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select is(api.order_payment_create(pg_temp.id('o7'), '10.00', 'BANK-ZQ-O7') ->> 'status', 'paid', 'o7 is paid');
select is(api.order_payment_create(pg_temp.id('o9'), '4.00', 'BANK-ZQ-O9') ->> 'status', 'pending', 'o9 is partly paid');
reset role;
select pg_temp.act_as(null);
update shop.orders set created_at = now() - interval '61 minutes' where id = pg_temp.id('o5');
update shop.orders set created_at = now() - interval '60 minutes' where id = pg_temp.id('o6');
update shop.orders set created_at = now() - interval '3 hours' where id in (pg_temp.id('o7'), pg_temp.id('o8'), pg_temp.id('o9'));
do $$
begin
  perform set_config('tests.p_before', pg_temp.stock('p')::text, true);
  perform set_config('tests.l_before', pg_temp.stock('l')::text, true);
end
$$;
select pg_temp.mark('m8');

update shop.settings set value = '0' where name = 'order_payment_window';
select is(lib.orders_expire(), 0, 'order_payment_window 0 disables expiry: nothing expires');
select is(array[pg_temp.status('o5'), pg_temp.status('o8')], array['pending', 'pending'], '... the old unpaid orders stay pending');
update shop.settings set value = '60 minutes' where name = 'order_payment_window';

select is(lib.orders_expire(1), 1, 'lib.orders_expire(1): one order at most');
select is(array[pg_temp.status('o8'), pg_temp.status('o5')], array['cancelled', 'pending'], '... the oldest first');
select is(lib.orders_expire(),
  1, 'the next run expires the other order unpaid past the window');
select is(array[pg_temp.status('o5'), pg_temp.status('o6'), pg_temp.status('o7')], array['cancelled', 'pending', 'paid'],
  'an order older than the window is cancelled; one exactly as old as the window is not; a paid order never expires');
select is((select concat_ws(' ', h.from_status, h.status, h.actor, h.reason, coalesce(h.changed_by::text, '-'))
           from shop.order_status_history h where h.order_id = pg_temp.id('o5') order by h.id desc limit 1),
  'pending cancelled expiry unpaid -', 'the history: cancelled by the actor expiry, reason unpaid, no user');
select is(array[pg_temp.stock('p'), pg_temp.stock('l')],
  array[current_setting('tests.p_before')::integer + 2, current_setting('tests.l_before')::integer + 1],
  'the stock of the expired orders is back (p + 2, l + 1)');
select results_eq(
  $$select m.order_id, m.product_id, m.delta from shop.stock_movements m
    where m.order_id in (pg_temp.id('o5'), pg_temp.id('o8')) and m.reason = 'cancel' order by m.order_id$$,
  $$values (pg_temp.id('o5'), pg_temp.id('p'), 2), (pg_temp.id('o8'), pg_temp.id('l'), 1)$$,
  'one cancel movement per line of each expired order');
select is(pg_temp.since('m8'), array['order.cancelled ' || pg_temp.res('o8'), 'order.cancelled ' || pg_temp.res('o5')],
  'each expiry writes order.cancelled');
select results_eq(
  $$select x.reason, x.data::jsonb ->> 'status', x.data::jsonb #>> '{history,-1,actor}', x.data::jsonb #>> '{history,-1,reason}'
    from shop.outbox x where x.id > pg_temp.id('m8') order by x.id$$,
  $$values ('unpaid'::text, 'cancelled'::text, 'expiry'::text, 'unpaid'::text), ('unpaid', 'cancelled', 'expiry', 'unpaid')$$,
  'order.cancelled of an expiry has reason unpaid, and the order shows it');
select is(coalesce(current_setting('pgshop.status_actor', true), '') || coalesce(current_setting('pgshop.status_reason', true), ''), '',
  'no status context is left behind for the rest of the transaction');

select is(lib.orders_expire(), 0, 'a second run expires nothing');
select is(pg_temp.status('o9'), 'pending', 'a partly paid order is not unpaid: it never expires');
select is(array[pg_temp.stock('p'), pg_temp.stock('l')],
  array[current_setting('tests.p_before')::integer + 2, current_setting('tests.l_before')::integer + 1],
  '... returns no more stock');
select is((select count(*) from shop.stock_movements m where m.order_id in (pg_temp.id('o5'), pg_temp.id('o8')) and m.reason = 'cancel'),
  2::bigint, '... writes no more cancel movements');
select is(cardinality(pg_temp.since('m8')), 2, '... and no more events');

select * from finish();
rollback;
