-- The re-applied layer (db/functions, db/README.md): its machinery (shop.layer_*, shop.drop_function_layer);
-- who may execute what (api through
-- the default privileges of schema api, lib nobody but the owner); and the helpers the checkout is made of:
-- lib.page_limit, lib.cart_lines, shop.take_stock / shop.return_stock, lib.idempotency_claim,
-- lib.insufficient_stock and lib.raise_problem. Tested as the superuser, with the claims the HTTP layer sets.
begin;
select * from no_plan();
\ir ../helpers.psql

create function pg_temp.request() returns jsonb
language sql immutable as $$ select jsonb_build_object('shipping_address', pg_temp.addr()) $$;
-- stock(): the stock of the products of this file (of their one variant each), by SKU.
create function pg_temp.stock() returns jsonb
language sql stable as $$
  select jsonb_object_agg(v.sku, v.stock_quantity) from shop.variants v where v.sku like 'ZQXWV-FL-%'
$$;
-- an_order(key, lines): a pending order of the customer written by hand, lines [[product key, quantity]] of the
-- product's one variant, at its price; its id kept as tests.<key>.
create function pg_temp.an_order(p_key text, p_lines jsonb) returns void
language plpgsql as $$
declare
  v_id bigint;
begin
  insert into shop.orders (user_id, total_amount, shipping_address)
  values (pg_temp.id('customer'), 0, pg_temp.addr())
  returning id into v_id;
  insert into shop.order_items (order_id, product_id, variant_id, name, sku, quantity, unit_price, total_price)
  select v_id, p.id, v.id, p.name, v.sku, (l ->> 1)::integer, v.price, v.price * (l ->> 1)::integer
  from jsonb_array_elements(p_lines) l
  join shop.products p on p.id = pg_temp.id(l ->> 0)
  join shop.variants v on v.id = pg_temp.variant_of(p.id);
  perform set_config('tests.' || p_key, v_id::text, true);
end
$$;
-- layer(): the routines of the function layer (schemas api and lib).
create function pg_temp.layer() returns bigint
language sql stable as $$
  select count(*) from pg_proc p where p.pronamespace in ('api'::regnamespace, 'lib'::regnamespace)
$$;
-- cron_jobs(): the pg_cron jobs of the layer (0 when the cluster has no pg_cron).
create function pg_temp.cron_jobs() returns bigint
language plpgsql stable as $$
declare
  v_count bigint := 0;
begin
  if to_regclass('cron.job') is not null then
    execute $q$select count(*) from cron.job j where j.jobname like 'pgshop-%'$q$ into v_count;
  end if;
  return v_count;
end
$$;

-- Schemas ---------------------------------------------------------------------------------------------------
select has_schema('lib');
select schema_privs_are('lib', 'pgshop_api', '{}'::text[], 'pgshop_api has no privilege on schema lib');
select schema_privs_are('lib', 'bi_reader', '{}'::text[], 'bi_reader has no privilege on schema lib');
select is_empty($$select c.oid::regclass from pg_class c where c.relnamespace = 'lib'::regnamespace$$,
  'lib holds functions only: no table, view or sequence');

-- api: executable by pgshop_api, security definer, search_path fixed ---------------------------------------
select cmp_ok(pg_temp.layer(), '>', 0::bigint, 'the function layer is in place');
select is_empty(
  $$select p.oid::regprocedure from pg_proc p
    where p.pronamespace = 'api'::regnamespace and not has_function_privilege('pgshop_api', p.oid, 'EXECUTE')$$,
  'every api function is executable by pgshop_api');
select is_empty(
  $$select p.oid::regprocedure from pg_proc p where p.pronamespace = 'api'::regnamespace and not p.prosecdef$$,
  'every api function is security definer');
select is_empty(
  $$select p.oid::regprocedure from pg_proc p
    where p.pronamespace = 'api'::regnamespace
      and p.proconfig is distinct from array['search_path=pg_catalog, pg_temp']$$,
  'every api function sets search_path = pg_catalog, pg_temp');

-- lib: nobody but the owner ----------------------------------------------------------------------------------
select is_empty(
  $$select p.oid::regprocedure from pg_proc p
    where p.pronamespace = 'lib'::regnamespace
      and (has_function_privilege('pgshop_api', p.oid, 'EXECUTE') or has_function_privilege('bi_reader', p.oid, 'EXECUTE'))$$,
  'no lib function is executable by pgshop_api or bi_reader');
select is_empty(
  $$select p.oid::regprocedure from pg_proc p
    where p.pronamespace = 'lib'::regnamespace
      and (p.proacl is null or exists (select from aclexplode(p.proacl) a where a.grantee = 0))$$,
  'no lib function is executable by PUBLIC');
select is_empty(
  $$select p.oid::regprocedure, a.grantee::regrole from pg_proc p cross join aclexplode(p.proacl) a
    where p.pronamespace = 'lib'::regnamespace and a.grantee <> p.proowner$$,
  'no lib function grants anything to anyone but its owner');
select is_empty(
  $$select p.oid::regprocedure from pg_proc p where p.pronamespace = 'lib'::regnamespace and p.prosecdef$$,
  'no lib function is security definer (they run as the api function that calls them)');
select is_empty(
  $$select p.oid::regprocedure from pg_proc p
    where p.pronamespace = 'lib'::regnamespace
      and p.proowner not in (select q.proowner from pg_proc q where q.pronamespace = 'api'::regnamespace)$$,
  'lib functions have the owner of the api functions');

-- Grants: the default privileges of schema api, nothing in the files ----------------------------------------
select is_empty(
  $$select distinct p.proowner::regrole from pg_proc p
    where p.pronamespace = 'api'::regnamespace
      and not exists (
        select from pg_default_acl d cross join aclexplode(d.defaclacl) a
        where d.defaclrole = p.proowner and d.defaclnamespace = 'api'::regnamespace and d.defaclobjtype = 'f'
          and a.grantee = 'pgshop_api'::regrole and a.privilege_type = 'EXECUTE')$$,
  'pg_default_acl: in schema api, the owner of the layer grants EXECUTE on new functions to pgshop_api');
select is_empty(
  $$select distinct p.proowner::regrole from pg_proc p
    where p.pronamespace = 'api'::regnamespace
      and not exists (
        select from pg_default_acl d
        where d.defaclrole = p.proowner and d.defaclnamespace = 0 and d.defaclobjtype = 'f'
          and not exists (select from aclexplode(d.defaclacl) a where a.grantee = 0))$$,
  'pg_default_acl: the owner''s functions are not executable by PUBLIC by default');
select is_empty($$select from pg_default_acl d where d.defaclnamespace = 'lib'::regnamespace$$,
  'pg_default_acl: no default privilege in schema lib');
-- The outcome: a function the owner creates in api is executable by pgshop_api at once; one in lib is not.
do $$
begin
  execute format('set local role %I',
                 (select distinct p.proowner::regrole::text from pg_proc p where p.pronamespace = 'api'::regnamespace));
  create function api.zqxwv_probe() returns integer language sql as 'select 1';
  create function lib.zqxwv_probe() returns integer language sql as 'select 1';
  reset role;
end
$$;
select function_privs_are('api', 'zqxwv_probe', '{}'::text[], 'pgshop_api', array['EXECUTE'],
  'a function the owner creates in api is executable by pgshop_api without any grant');
select function_privs_are('lib', 'zqxwv_probe', '{}'::text[], 'pgshop_api', '{}'::text[],
  'a function the owner creates in lib is not executable by pgshop_api');
select is_empty(
  $$select p.oid::regprocedure from pg_proc p cross join aclexplode(p.proacl) a
    where p.proname = 'zqxwv_probe' and a.grantee = 0$$,
  '... and neither is executable by PUBLIC');
drop function api.zqxwv_probe();
drop function lib.zqxwv_probe();

-- The settings the layer reads (migration 20261201110300) ---------------------------------------------------
select results_eq(
  $$select s.name, s.default_value, s.type from shop.settings s
    where s.name in ('guest_cart_lifetime', 'page_size_max', 'sales_report_max_days', 'products_report_max_days',
                     'password_hash_cost')
    order by s.name$$,
  $$values ('guest_cart_lifetime', '30 days', 'interval'), ('page_size_max', '100', 'integer'),
           ('password_hash_cost', '10', 'integer'), ('products_report_max_days', '36600', 'integer'),
           ('sales_report_max_days', '3660', 'integer')$$,
  'shop.settings: guest_cart_lifetime, page_size_max, password_hash_cost and the report ranges, with their defaults');
select results_eq(
  $$select s.name, s.default_value, s.type, s.minimum, s.maximum from shop.settings s
    where s.name in ('order_payment_window', 'webhook_allow_private', 'webhook_retry_base_seconds', 'event_retention')
    order by s.name$$,
  $$values ('event_retention', '30 days', 'interval', '1 day', null::text),
           ('order_payment_window', '60 minutes', 'interval', '0', null),
           ('webhook_allow_private', '0', 'integer', '0', '1'),
           ('webhook_retry_base_seconds', '30', 'integer', '1', '3600')$$,
  'shop.settings (migration 20261201140000): order_payment_window, webhook_allow_private, webhook_retry_base_seconds '
  'and event_retention, with their defaults and bounds');

-- lib.page_limit ---------------------------------------------------------------------------------------------
do $$ begin perform lib.settings_apply('{}'); end $$;  -- the environment of this cluster may differ
select is(lib.page_limit(null, 20), 20, 'page_limit: no limit -> the default');
select is(lib.page_limit(7, 20), 7, 'page_limit: the limit asked for');
select is(array[lib.page_limit(1, 20), lib.page_limit(100, 20)], array[1, 100], 'page_limit: 1 and 100 are allowed');
select throws_ok('select lib.page_limit(0, 20)', 'PT422', 'invalid_limit', 'page_limit: 0 -> PT422 invalid_limit');
select throws_ok('select lib.page_limit(-1, 20)', 'PT422', 'invalid_limit', 'page_limit: -1 -> PT422 invalid_limit');
select throws_ok('select lib.page_limit(101, 20)', 'PT422', 'invalid_limit', 'page_limit: 101 -> PT422 invalid_limit');
select is(pg_temp.error_of('select lib.page_limit(101, 20)') ->> 'detail', 'limit must be between 1 and 100',
  'invalid_limit: the detail names the bounds');
update shop.settings set value = '5' where name = 'page_size_max';
select is(lib.page_limit(5, 20), 5, 'page_size_max 5: a limit of 5 is allowed');
select is(pg_temp.error_of('select lib.page_limit(6, 20)') - 'hint',
  '{"sqlstate": "PT422", "message": "invalid_limit", "detail": "limit must be between 1 and 5"}',
  'page_size_max 5: a limit of 6 -> PT422 invalid_limit, the detail names the new bound');
update shop.settings set value = default_value where name = 'page_size_max';

-- Set-up --------------------------------------------------------------------------------------------------------
do $$
declare
  v_id bigint;
begin
  perform pg_temp.new_user('customer', 'zqxwv-fl-customer@zqxwv.test', 'Cus', 'Tomer');
  perform pg_temp.new_user('other', 'zqxwv-fl-other@zqxwv.test', 'Oth', 'Er');
  perform set_config('tests.' || k, pg_temp.new_product(n, p, s, q, p_threshold => 0)::text, true)
  from (values ('a', 'Zqxwv Layer A', 10.00, 'ZQXWV-FL-A', 10), ('b', 'Zqxwv Layer B', 2.50, 'ZQXWV-FL-B', 5),
               ('d', 'Zqxwv Layer Deleted', 1.00, 'ZQXWV-FL-D', 5),
               ('i', 'Zqxwv Layer Inactive', 1.00, 'ZQXWV-FL-I', 5)) v (k, n, p, s, q)
  order by k;
  update shop.products set is_active = false where id = pg_temp.id('i');
  update shop.products set deleted_at = now() where id = pg_temp.id('d');  -- its variant with it
  insert into shop.carts (user_id) values (pg_temp.id('customer')) returning id into v_id;
  perform set_config('tests.cart', v_id::text, true);
  insert into shop.cart_items (cart_id, product_id, variant_id, quantity)
  select pg_temp.id('cart'), pg_temp.id(k), pg_temp.variant_of(pg_temp.id(k)), q
  from (values ('a', 2), ('i', 1), ('d', 1), ('b', 3)) v (k, q);
end
$$;

-- lib.cart_lines -------------------------------------------------------------------------------------------------
select results_eq(
  format('select l.product_id, l.variant_id, l.name::text, l.sku::text, l.unit_price, l.quantity, l.stock_quantity
          from lib.cart_lines(%s) l order by l.line_id', pg_temp.id('cart')),
  format($$values (%s::bigint, %s::bigint, 'Zqxwv Layer A', 'ZQXWV-FL-A', 10.00::numeric, 2, 10),
                  (%s, %s, 'Zqxwv Layer B', 'ZQXWV-FL-B', 2.50, 3, 5)$$,
         pg_temp.id('a'), pg_temp.variant_of(pg_temp.id('a')), pg_temp.id('b'), pg_temp.variant_of(pg_temp.id('b'))),
  'cart_lines: the lines of live, active products only (not the inactive nor the deleted one), with their variant '
  'and its stock on hand');
update shop.variants set price = 11.00 where product_id = pg_temp.id('a');
select is((select l.unit_price from lib.cart_lines(pg_temp.id('cart')) l where l.product_id = pg_temp.id('a')), 11.00,
  'cart_lines: at the current price (the variant''s)');
update shop.variants set price = 10.00 where product_id = pg_temp.id('a');
update shop.variants set is_active = false where product_id = pg_temp.id('b');
select is(array(select l.product_id from lib.cart_lines(pg_temp.id('cart')) l), array[pg_temp.id('a')],
  'cart_lines: not the line of an inactive variant');
update shop.variants set is_active = true where product_id = pg_temp.id('b');
select is((select count(*) from lib.cart_lines(null)), 0::bigint, 'cart_lines(null) (no cart): no line');

-- shop.take_stock / shop.return_stock ----------------------------------------------------------------------------
select pg_temp.act_as(pg_temp.id('customer'));
do $$ begin perform pg_temp.an_order('o1', '[["a", 2], ["b", 3]]'); end $$;
select is(shop.take_stock(pg_temp.id('o1')), null, 'take_stock: every line had the stock -> null');
select is(pg_temp.stock(), '{"ZQXWV-FL-A": 8, "ZQXWV-FL-B": 2, "ZQXWV-FL-I": 5, "ZQXWV-FL-D": 5}',
  'take_stock: the stock of each line is taken (A 10 -> 8, B 5 -> 2)');
select results_eq(
  format('select m.product_id, m.delta, m.stock_after, m.reason, m.order_id, m.actor_id from shop.stock_movements m
          where m.order_id = %s order by m.id', pg_temp.id('o1')),
  format($$values (%1$s::bigint, -2, 8, 'sale'::text, %3$s::bigint, %4$s::bigint), (%2$s, -3, 2, 'sale', %3$s, %4$s)$$,
         pg_temp.id('a'), pg_temp.id('b'), pg_temp.id('o1'), pg_temp.id('customer')),
  'take_stock: one ledger row per line, in variant id order: reason sale, the order id, the caller as actor');
select is(current_setting('pgshop.stock_reason', true) || '/' || current_setting('pgshop.stock_order_id', true), '/',
  'take_stock clears the ledger context afterwards');

do $$ begin perform pg_temp.an_order('o2', '[["a", 1], ["b", 4]]'); end $$;
select is(shop.take_stock(pg_temp.id('o2')),
  jsonb_build_array(jsonb_build_object('product_id', pg_temp.id('b'), 'variant_id', pg_temp.variant_of(pg_temp.id('b')),
                                       'sku', 'ZQXWV-FL-B', 'requested', 4, 'available', 2)),
  'take_stock: a line short of stock is returned as [{product_id, variant_id, sku, requested, available}]');
select is(pg_temp.stock() - 'ZQXWV-FL-I' - 'ZQXWV-FL-D', '{"ZQXWV-FL-A": 7, "ZQXWV-FL-B": 2}',
  'take_stock takes the lines that fit and leaves the short one (lib.checkout then raises, undoing it all)');

select lives_ok(format('select shop.return_stock(%s)', pg_temp.id('o1')), 'return_stock runs');
select is(pg_temp.stock() - 'ZQXWV-FL-I' - 'ZQXWV-FL-D', '{"ZQXWV-FL-A": 9, "ZQXWV-FL-B": 5}',
  'return_stock gives the order''s quantities back (A +2, B +3)');
select results_eq(
  format($$select m.product_id, m.delta, m.reason, m.order_id from shop.stock_movements m
           where m.order_id = %s and m.reason = 'cancel' order by m.id$$, pg_temp.id('o1')),
  format($$values (%s::bigint, 2, 'cancel'::text, %s::bigint), (%s, 3, 'cancel', %s)$$,
         pg_temp.id('a'), pg_temp.id('o1'), pg_temp.id('b'), pg_temp.id('o1')),
  'return_stock: one ledger row per line: reason cancel and the order id');
select is(current_setting('pgshop.stock_reason', true) || '/' || current_setting('pgshop.stock_order_id', true), '/',
  'return_stock clears the ledger context afterwards');

-- lib.idempotency_claim ------------------------------------------------------------------------------------------
select is(lib.idempotency_claim(pg_temp.id('customer'), null, pg_temp.request())::jsonb, null, 'no key: null (go on)');
select is((select count(*) from shop.idempotency_keys k where k.user_id = pg_temp.id('customer')), 0::bigint,
  '... and nothing is claimed');
select is(lib.idempotency_claim(pg_temp.id('customer'), 'zqxwv-fl-key', pg_temp.request())::jsonb, null,
  'a new key: null (go on)');
select results_eq(
  $$select k.request_hash, k.order_id, k.response from shop.idempotency_keys k where k.key = 'zqxwv-fl-key'$$,
  $$values (sha256(convert_to(pg_temp.request()::text, 'UTF8')), null::bigint, null::jsonb)$$,
  '... and claimed: a row with the hash of the whole request, no order, no response yet');
select pg_temp.problem_is(format('select lib.idempotency_claim(%s, %L, %L)', pg_temp.id('customer'), 'zqxwv-fl-key', pg_temp.request()),
  409, 'idempotency_key_in_use', 'the same request while the claim has no response -> 409 idempotency_key_in_use');
update shop.idempotency_keys set order_id = pg_temp.id('o1'), response = '{"id": 1, "status": "pending"}'
where user_id = pg_temp.id('customer') and key = 'zqxwv-fl-key';
select is(lib.idempotency_claim(pg_temp.id('customer'), 'zqxwv-fl-key', pg_temp.request())::jsonb,
  '{"id": 1, "status": "pending"}', 'the same request once answered: the stored response (the replay)');
select is(lib.idempotency_claim(pg_temp.id('customer'), 'zqxwv-fl-key',
                                jsonb_build_object('shipping_address', jsonb_build_object(
                                  'country', 'US', 'postal_code', '12345', 'city', 'Springfield',
                                  'line1', '1 Zqxwv Street', 'name', 'Ann Zqxwv')))::jsonb,
  '{"id": 1, "status": "pending"}', 'the same request with its keys in another order: the replay');
select pg_temp.problem_is(format('select lib.idempotency_claim(%s, %L, %L)', pg_temp.id('customer'), 'zqxwv-fl-key',
                                 jsonb_build_object('shipping_address', pg_temp.addr() || '{"city": "Shelbyville"}')),
  422, 'idempotency_key_reused', 'a different request under the key -> 422 idempotency_key_reused');
select pg_temp.problem_is(format('select lib.idempotency_claim(%s, %L, %L)', pg_temp.id('customer'), 'zqxwv-fl-key',
                                 pg_temp.request() || '{"note": "leave at the door"}'),
  422, 'idempotency_key_reused', 'the same address with an extra field in the body is a different request');
select is(lib.idempotency_claim(pg_temp.id('other'), 'zqxwv-fl-key', pg_temp.request())::jsonb, null,
  'keys are per user: another user''s first use of the key goes on');
select pg_temp.problem_is(format('select lib.idempotency_claim(%s, %L, %L)', pg_temp.id('customer'), repeat('k', 256), pg_temp.request()),
  422, 'invalid_idempotency_key', 'a key of 256 characters -> 422 invalid_idempotency_key');

-- lib.insufficient_stock and lib.raise_problem ---------------------------------------------------------------------
do $$
begin
  perform set_config('tests.short', jsonb_build_array(
    jsonb_build_object('product_id', pg_temp.id('b'), 'variant_id', pg_temp.variant_of(pg_temp.id('b')), 'sku', 'ZQXWV-FL-B',
                       'requested', 9, 'available', 5),
    jsonb_build_object('product_id', pg_temp.id('a'), 'variant_id', pg_temp.variant_of(pg_temp.id('a')), 'sku', 'ZQXWV-FL-A',
                       'requested', 12, 'available', 0))::text, true);
end
$$;
select is(lib.insufficient_stock(current_setting('tests.short')::jsonb)::jsonb,
  jsonb_build_object('problem', jsonb_build_object('status', 409, 'code', 'insufficient_stock',
    'detail', 'not enough stock for ZQXWV-FL-A (12 wanted, 0 in stock), ZQXWV-FL-B (9 wanted, 5 in stock)',
    'products', current_setting('tests.short')::jsonb)),
  'insufficient_stock: 409, the detail names each SKU (in product id order), the lines as products');
select is(pg_temp.error_of($$select lib.raise_problem(lib.insufficient_stock(current_setting('tests.short')::jsonb))$$)
            || jsonb_build_object('hint', (pg_temp.error_of($$select lib.raise_problem(lib.insufficient_stock(
                 current_setting('tests.short')::jsonb))$$) ->> 'hint')::jsonb),
  jsonb_build_object('sqlstate', 'PT409', 'message', 'insufficient_stock',
    'detail', 'not enough stock for ZQXWV-FL-A (12 wanted, 0 in stock), ZQXWV-FL-B (9 wanted, 5 in stock)',
    'hint', jsonb_build_object('products', current_setting('tests.short')::jsonb)),
  'raise_problem raises PT<status>, the code as message, the detail, the other members as a JSON hint');
select is(
  (select lib.problem_of(e ->> 'sqlstate', e ->> 'message', e ->> 'detail', e ->> 'hint')::jsonb
   from pg_temp.error_of($$select lib.raise_problem(lib.insufficient_stock(current_setting('tests.short')::jsonb))$$) e),
  lib.insufficient_stock(current_setting('tests.short')::jsonb)::jsonb,
  'round trip: the problem raised, read back by problem_of, is the problem built');
select is(
  (select lib.problem_of(e ->> 'sqlstate', e ->> 'message', e ->> 'detail', e ->> 'hint')::jsonb
   from pg_temp.error_of($$select lib.raise_problem(lib.problem(404, 'not_found', 'order 7 does not exist'))$$) e),
  '{"problem": {"status": 404, "code": "not_found", "detail": "order 7 does not exist"}}',
  'round trip of a problem without extra members (no hint)');

-- lib.checkout: a line that lost its stock after the order was written ---------------------------------------------
-- A concurrent buyer, simulated: a trigger that sells out the variants of any new order line.
create function pg_temp.sell_out() returns trigger
language plpgsql as $$
begin
  update shop.variants v set stock_quantity = 0 where v.id in (select n.variant_id from new_rows n);
  return null;
end
$$;
create trigger zqxwv_sell_out after insert on shop.order_items
  referencing new table as new_rows for each statement execute function pg_temp.sell_out();
delete from shop.cart_items where cart_id = pg_temp.id('cart') and product_id <> pg_temp.id('a');
do $$ begin perform set_config('tests.orders_before', (select count(*) from shop.orders)::text, true); end $$;
select is(pg_temp.error_of($$select lib.checkout(pg_temp.id('customer'), pg_temp.request(), 'zqxwv-fl-late')$$) - 'hint',
  jsonb_build_object('sqlstate', 'PT409', 'message', 'insufficient_stock',
                     'detail', 'not enough stock for ZQXWV-FL-A (2 wanted, 0 in stock)'),
  'checkout: a line sold out after the order was written -> PT409 insufficient_stock raised, not returned');
select is(
  jsonb_build_array((select count(*) from shop.orders), (select count(*) from lib.cart_lines(pg_temp.id('cart'))),
                    (select count(*) from shop.idempotency_keys k where k.key = 'zqxwv-fl-late')),
  jsonb_build_array(current_setting('tests.orders_before')::bigint, 1, 0),
  '... and nothing of it stays: no order, the cart line is back, no idempotency claim');
drop trigger zqxwv_sell_out on shop.order_items;

-- api.xact_replayed: read-your-writes on a standby asks it; here, on the primary, committed means replayed.
select is(api.xact_replayed((select s.xmin::text from shop.settings s limit 1)::xid8), true,
  'xact_replayed: the committed transaction that wrote shop.settings -> true');
select is(api.xact_replayed((pg_current_xact_id()::text::bigint + 1000000)::text::xid8), false,
  'xact_replayed: a transaction id this server has not reached -> false, not an error');
select is(api.xact_replayed(pg_current_xact_id()), false, 'xact_replayed: a transaction still in progress -> false');
select volatility_is('api', 'xact_replayed', array['xid8'], 'stable');

-- The layer's machinery: the owner's alone --------------------------------------------------------------------
select is_empty(
  $$select p.oid::regprocedure from pg_proc p
    where p.pronamespace = 'shop'::regnamespace and p.proname like 'layer\_%'
      and (has_function_privilege('pgshop_api', p.oid, 'EXECUTE') or has_function_privilege('bi_reader', p.oid, 'EXECUTE'))$$,
  'no layer function is executable by pgshop_api or bi_reader');

-- layer_view / layer_trigger leave an unchanged object alone (no lock, same object), replace a changed one ------
create temporary table layer_declared (kind text, identity text, primary key (kind, identity));
select lives_ok($$select shop.layer_view('monitoring.cache_hit_ratio',
                  rtrim(pg_get_viewdef('monitoring.cache_hit_ratio'::regclass), ';'))$$,
  'layer_view of the same query runs');
select ok((select age(r.xmin) > 0 from pg_rewrite r where r.ev_class = 'monitoring.cache_hit_ratio'::regclass),
          '... and leaves the unchanged view as it was (not rewritten by this transaction)');
select throws_ok($$select shop.layer_view('monitoring.cache_hit_ratio', 'select 1 as database')$$, '42P16',
  'cannot drop columns from view', 'a view is only replaced compatibly (what BI users built on it keeps working)');
select lives_ok($$select shop.layer_view('monitoring.zz_layer_test', 'select 1 as a')$$, 'a new view is created');
select lives_ok($$select shop.layer_view('monitoring.zz_layer_test', 'select 2 as a, 3 as b')$$,
  'a changed query runs too');
select results_eq($$select * from monitoring.zz_layer_test$$, $$values (2, 3)$$, '... and replaces the view');
select lives_ok($$select shop.layer_trigger('shop.orders',
  'create trigger _200_check_transition before update of status on %s for each row execute function shop.tg_orders__check_transition()')$$,
  'layer_trigger of the same trigger runs');
select ok((select age(t.xmin) > 0 from pg_trigger t where t.tgrelid = 'shop.orders'::regclass
           and t.tgname = '_200_check_transition'),
          '... and leaves the unchanged trigger as it was');
select lives_ok($$select shop.layer_trigger('shop.orders',
  'create trigger _200_check_transition before update of status, total_amount on %s for each row execute function shop.tg_orders__check_transition()')$$,
  'a changed trigger runs too');
select ok((select pg_get_triggerdef(t.oid) like '%UPDATE OF status, total_amount ON shop.orders%' from pg_trigger t
           where t.tgrelid = 'shop.orders'::regclass and t.tgname = '_200_check_transition'),
          '... and replaces it');
select throws_ok($$select shop.layer_trigger('shop.orders', 'drop table shop.orders')$$, 'P0001',
  'not a create trigger statement: drop table shop.orders', 'anything but a create trigger statement is refused');
drop table pg_temp.layer_declared;

-- shop.drop_function_layer (last: the rollback at the end restores the layer) -------------------------------------
select has_function('shop', 'drop_function_layer', '{}'::name[]);
select isnt_definer('shop', 'drop_function_layer', '{}'::name[]);
select function_privs_are('shop', 'drop_function_layer', '{}'::text[], 'pgshop_api', '{}'::text[]);
do $$ begin perform set_config('tests.cron_jobs', pg_temp.cron_jobs()::text, true); end $$;
select lives_ok('select shop.drop_function_layer()', 'drop_function_layer runs');
select is(pg_temp.layer(), 0::bigint, 'drop_function_layer leaves no routine in api or lib');
select is(pg_temp.cron_jobs(), 0::bigint, '... and no pgshop- pg_cron job');
select ok(current_setting('tests.cron_jobs')::bigint = 3 or to_regclass('cron.job') is null,
  '... where there were three (purge, refresh and the expiry of unpaid orders), when the cluster has pg_cron');
select is_empty(
  $$select t.tgname from pg_trigger t join pg_class c on c.oid = t.tgrelid
    where c.relnamespace = any (array['shop', 'audit']::regnamespace[]) and not t.tgisinternal$$,
  '... no trigger on our tables');
select is_empty(
  $$select c.oid::regclass from pg_class c
    where c.relkind = 'v' and c.relnamespace = any (array['shop', 'reporting', 'monitoring']::regnamespace[])$$,
  '... no plain view');
select is_empty(
  $$select p.oid::regprocedure from pg_proc p
    where p.pronamespace = any (array['shop', 'audit', 'reporting', 'monitoring']::regnamespace[])
      and p.oid not in ('shop.has_text(text)'::regprocedure, 'shop.jsonb_within(jsonb,integer,integer)'::regprocedure,
                        'shop.drop_function_layer()'::regprocedure, 'shop.layer_schemas()'::regprocedure,
                        'shop.layer_unschedule()'::regprocedure)$$,
  '... and no routine but those a constraint or domain uses, itself and what it calls (the next down calls it)');
select has_schema('lib', 'the schemas stay (only their routines go)');


select * from finish();
rollback;
