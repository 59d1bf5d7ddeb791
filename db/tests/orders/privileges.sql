-- Privileges on the tables of carts, orders, inventory and payments: pgshop_api (and bi_reader) hold nothing on
-- them, their views and helper functions; they reach them only through the security definer api functions.
begin;
select * from no_plan();

-- Tables and views ---------------------------------------------------------------------------------------
select table_privs_are('shop', t, 'pgshop_api', '{}'::text[],
  format('pgshop_api has no privilege on shop.%s', t))
from unnest(array['carts', 'cart_items', 'orders', 'order_items', 'order_status_history', 'idempotency_keys',
                  'stock_movements', 'low_stock_alerts', 'order_statuses', 'order_status_transitions',
                  'stock_reconciliation']) t;
select table_privs_are('shop', t, 'bi_reader', '{}'::text[],
  format('bi_reader has no privilege on shop.%s', t))
from unnest(array['carts', 'cart_items', 'orders', 'order_items', 'order_status_history', 'idempotency_keys',
                  'stock_movements', 'low_stock_alerts', 'order_statuses', 'order_status_transitions',
                  'stock_reconciliation']) t;

-- Functions ----------------------------------------------------------------------------------------------
select hasnt_function('api', 'user_login', array['text', 'text'], 'the two-argument api.user_login is gone');
select has_function('api', 'user_login', array['text', 'text', 'text', 'inet'],
  'api.user_login takes the guest cart token (and the client address)');
select hasnt_function('api', 'user_login', array['text', 'text', 'text'], 'the three-argument api.user_login is gone');
select has_function('lib', 'checkout', array['bigint', 'jsonb', 'text'], 'lib.checkout(user, request, key) does the checkout');
-- The helpers of the function layer live in lib; those the triggers need stay in shop (migrations).
select function_privs_are('lib', f, a, 'pgshop_api', '{}'::text[],
  format('pgshop_api cannot execute lib.%s(%s)', f, array_to_string(a, ', ')))
from (values ('cart_merge', array['bigint', 'text']), ('purge_expired', '{}'::text[]),
             ('set_cart_line', array['text', 'bigint', 'bigint', 'integer', 'boolean']),
             ('cart_variant', array['bigint', 'bigint']),
             ('cart_for_write', array['text']), ('find_cart', array['text']), ('cart_lines', array['bigint']),
             ('checkout', array['bigint', 'jsonb', 'text']), ('address_problem', array['jsonb']),
             ('idempotency_claim', array['bigint', 'text', 'jsonb']),
             ('order_place', array['bigint', 'shop.address', 'bigint'])) v (f, a);
select function_privs_are('shop', f, a, 'pgshop_api', '{}'::text[],
  format('pgshop_api cannot execute shop.%s(%s)', f, array_to_string(a, ', ')))
from (values ('set_stock_context', array['text', 'bigint']), ('take_stock', array['bigint']),
             ('return_stock', array['bigint'])) v (f, a);
select is_empty(
  $$select p.oid::regprocedure from pg_proc p
    where p.pronamespace = 'api'::regnamespace
      and p.proname in ('cart_get', 'cart_add_item', 'cart_set_item', 'cart_remove_item', 'cart_checkout', 'orders_list',
                        'order_get', 'order_set_status', 'low_stock_list', 'user_login')
      and (select r.rolsuper from pg_roles r where r.oid = p.proowner)$$,
  'the commerce api functions (security definer) are not owned by a superuser');
select is_empty(
  $$select c.oid::regclass from pg_class c
    where c.relnamespace = 'shop'::regnamespace and c.relkind = 'S'
      and (has_sequence_privilege('pgshop_api', c.oid, 'USAGE, SELECT, UPDATE')
           or has_sequence_privilege('bi_reader', c.oid, 'USAGE, SELECT, UPDATE'))$$,
  'no privilege on the identity sequences of shop either');

-- ... and as pgshop_api it is refused --------------------------------------------------------------------
set local role pgshop_api;
select throws_ok('select * from shop.carts', '42501', null, 'as pgshop_api: select from shop.carts -> 42501');
select throws_ok('select * from shop.orders', '42501', null, 'as pgshop_api: select from shop.orders -> 42501');
select throws_ok($$update shop.orders set status = 'paid'$$, '42501', null, 'as pgshop_api: update shop.orders -> 42501');
select throws_ok('delete from shop.cart_items', '42501', null, 'as pgshop_api: delete from shop.cart_items -> 42501');
select throws_ok($$insert into shop.stock_movements (product_id, variant_id, delta, stock_after, reason)
                  values (1, 1, 1, 1, 'restock')$$,
  '42501', null, 'as pgshop_api: insert into shop.stock_movements -> 42501');
select throws_ok('select * from shop.idempotency_keys', '42501', null, 'as pgshop_api: select from shop.idempotency_keys -> 42501');
select throws_ok('select * from shop.stock_reconciliation', '42501', null,
  'as pgshop_api: select from the view shop.stock_reconciliation -> 42501');
select throws_ok('select * from shop.low_stock_alerts', '42501', null, 'as pgshop_api: select from shop.low_stock_alerts -> 42501');
select throws_ok($$select lib.cart_merge(1, 'x')$$, '42501', null, 'as pgshop_api: lib.cart_merge -> 42501');
select throws_ok('select lib.purge_expired()', '42501', null, 'as pgshop_api: lib.purge_expired -> 42501');
select throws_ok($$select lib.checkout(1, '{}', null)$$, '42501', null, 'as pgshop_api: lib.checkout -> 42501');
select throws_ok($$select shop.set_stock_context('restock', null)$$, '42501', null,
  'as pgshop_api: shop.set_stock_context -> 42501');
select throws_ok('select shop.take_stock(1)', '42501', null, 'as pgshop_api: shop.take_stock -> 42501');
select throws_ok('select shop.return_stock(1)', '42501', null, 'as pgshop_api: shop.return_stock -> 42501');
reset role;

set local role bi_reader;
select throws_ok('select * from shop.orders', '42501', null, 'as bi_reader: select from shop.orders -> 42501');
reset role;

select * from finish();
rollback;
