-- Who may do what: pgshop_api executes api functions and nothing else; bi_reader never touches shop; the job
-- queue (schema queue) is the owner's alone.
begin;
select * from no_plan();

-- Schemas --------------------------------------------------------------------------------------------
select has_schema('shop');
select has_schema('api');
select has_schema('reporting');
select has_schema('audit');

select is_empty(
  $$select c.relname from pg_class c where c.relnamespace = 'api'::regnamespace$$,
  'the api schema holds no tables, views or sequences');

-- The api functions and pgshop_api's EXECUTE on each -------------------------------------------------
select functions_are('api', array[
  'user_register', 'user_login', 'profile_get', 'profile_update',
  'categories_list', 'category_create',
  'product_get', 'products_list', 'product_create', 'product_update', 'product_delete',
  'products_facets', 'product_options_list', 'product_option_create', 'product_option_update', 'product_option_delete',
  'variants_list', 'variant_get', 'variant_create', 'variant_update', 'variant_delete',
  'products_export', 'export_begin', 'import_begin', 'import_apply', 'import_refuse', 'import_get', 'imports_list',
  'cart_get', 'cart_add_item', 'cart_set_item', 'cart_remove_item',
  'cart_checkout', 'orders_list', 'order_get', 'order_set_status', 'low_stock_list',
  'sales_report', 'products_report', 'categories_report', 'audit_list', 'xact_replayed',
  'stripe_event_record', 'order_payment_create', 'order_refund_create', 'payments_unmatched_list',
  'webhook_create', 'webhooks_list', 'webhook_delete', 'webhook_deliveries_list', 'webhook_redeliver'
]);

select function_privs_are('api', 'user_register', array['text', 'text', 'text', 'text', 'inet'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'user_login', array['text', 'text', 'text', 'inet'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'profile_get', '{}'::text[], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'profile_update', array['text', 'text'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'categories_list', '{}'::text[], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'category_create', array['text', 'text', 'bigint'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'product_get', array['bigint'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'products_list',
  array['text', 'bigint', 'numeric', 'numeric', 'boolean', 'text', 'integer', 'text', 'text[]'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'product_create',
  array['text', 'numeric', 'text', 'text', 'bigint', 'integer', 'boolean', 'jsonb', 'integer', 'integer', 'numeric', 'text'],
  'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'product_update', array['bigint', 'jsonb'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'product_delete', array['bigint'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'products_facets', array['text', 'bigint', 'numeric', 'numeric', 'boolean', 'text[]'],
  'pgshop_api', array['EXECUTE']);
select function_privs_are('api', f, a, 'pgshop_api', array['EXECUTE'],
  format('pgshop_api can execute api.%s(%s)', f, array_to_string(a, ', ')))
from (values ('product_options_list', array['bigint']), ('product_option_create', array['bigint', 'text', 'jsonb']),
             ('product_option_update', array['bigint', 'bigint', 'jsonb']),
             ('product_option_delete', array['bigint', 'bigint']), ('variants_list', array['bigint']),
             ('variant_get', array['bigint', 'bigint']), ('variant_create', array['bigint', 'jsonb']),
             ('variant_update', array['bigint', 'bigint', 'jsonb']), ('variant_delete', array['bigint', 'bigint']),
             ('products_export', '{}'::text[]), ('export_begin', '{}'::text[]), ('import_begin', array['text[]']),
             ('import_apply', array['text', 'boolean', 'text']), ('import_refuse', array['text', 'text', 'text[]', 'jsonb']),
             ('import_get', array['bigint']), ('imports_list', array['integer', 'text'])) v (f, a);
select function_privs_are('api', f, a, 'pgshop_api', array['EXECUTE'],
  format('pgshop_api can execute api.%s(%s)', f, array_to_string(a, ', ')))
from (values ('stripe_event_record', array['jsonb']), ('order_payment_create', array['bigint', 'text', 'text']),
             ('order_refund_create', array['bigint', 'text', 'text']), ('payments_unmatched_list', array['integer', 'text']),
             ('webhook_create', array['text', 'jsonb']), ('webhooks_list', '{}'::text[]), ('webhook_delete', array['bigint']),
             ('webhook_deliveries_list', array['bigint', 'integer', 'text']),
             ('webhook_redeliver', array['bigint', 'bigint'])) v (f, a);

select is_empty(
  $$select p.oid::regprocedure from pg_proc p
    where p.pronamespace = 'api'::regnamespace
      and (p.proacl is null or exists (select from aclexplode(p.proacl) a where a.grantee = 0))$$,
  'no api function is executable by PUBLIC (EXECUTE comes from the default privileges of schema api, to pgshop_api only)');

select is_empty(
  $$select p.oid::regprocedure from pg_proc p
    where p.pronamespace = 'api'::regnamespace and has_function_privilege('bi_reader', p.oid, 'EXECUTE')$$,
  'bi_reader cannot execute any api function');

-- Every api function: security definer, commented, with a fixed search_path --------------------------
select is_empty(
  $$select p.oid::regprocedure from pg_proc p where p.pronamespace = 'api'::regnamespace and not p.prosecdef$$,
  'every api function is security definer');

select is_empty(
  $$select p.oid::regprocedure from pg_proc p
    where p.pronamespace = 'api'::regnamespace and obj_description(p.oid, 'pg_proc') is null$$,
  'every api function has a comment');

select is_empty(
  $$select p.oid::regprocedure from pg_proc p
    where p.pronamespace = 'api'::regnamespace
      and not exists (select from unnest(p.proconfig) c where c like 'search_path=%')$$,
  'every api function sets search_path');

-- Schemas and tables: pgshop_api and bi_reader have nothing in shop ----------------------------------
select schema_privs_are('api', 'pgshop_api', array['USAGE']);
select schema_privs_are('shop', 'pgshop_api', '{}'::text[]);
select schema_privs_are('shop', 'bi_reader', '{}'::text[]);

select table_privs_are('shop', 'users', 'pgshop_api', '{}'::text[]);
select table_privs_are('shop', 'categories', 'pgshop_api', '{}'::text[]);
select table_privs_are('shop', 'products', 'pgshop_api', '{}'::text[]);
select table_privs_are('shop', 'users', 'bi_reader', '{}'::text[]);
select table_privs_are('shop', 'categories', 'bi_reader', '{}'::text[]);
select table_privs_are('shop', 'products', 'bi_reader', '{}'::text[]);
-- The catalog's variants (migration 20261208200000) and its imports (20261208210000): reached only through the api
-- functions too.
select table_privs_are('shop', t, r, '{}'::text[], format('%s has no privilege on shop.%s', r, t))
from unnest(array['product_options', 'product_option_values', 'variants', 'variant_option_values', 'variant_checks',
                  'price_bands', 'imports']) t
cross join unnest(array['pgshop_api', 'bi_reader']) r;
select table_privs_are('shop', t, r, '{}'::text[], format('%s has no privilege on shop.%s', r, t))
from unnest(array['settings', 'attempts', 'payments', 'payment_events', 'outbox', 'webhook_endpoints',
                  'webhook_deliveries']) t
cross join unnest(array['pgshop_api', 'bi_reader']) r;
-- The job queue (procrastinate's tables, schema queue) is the owner's: the delivery worker connects as it.
select schema_privs_are('queue', r, '{}'::text[], format('%s has no privilege on schema queue', r))
from unnest(array['pgshop_api', 'bi_reader']) r;

select is_empty(
  $$select r.rolname, c.oid::regclass from pg_class c
    cross join pg_roles r
    where c.relnamespace = 'shop'::regnamespace
      and r.rolname in ('pgshop_api', 'bi_reader')
      and (case when c.relkind = 'S'
                then has_sequence_privilege(r.oid, c.oid, 'USAGE, SELECT, UPDATE')
                else has_table_privilege(r.oid, c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
           end)$$,
  'neither pgshop_api nor bi_reader holds any privilege on any relation in shop');

select is_empty(
  $$select p.oid::regprocedure from pg_proc p
    where p.pronamespace = 'shop'::regnamespace and has_function_privilege('pgshop_api', p.oid, 'EXECUTE')$$,
  'pgshop_api cannot execute any shop function');

select function_privs_are('lib', 'make_admin', array['text', 'text'], 'pgshop_api', '{}'::text[]);
select function_privs_are('lib', 'upsert_user', array['text', 'text', 'text', 'text', 'text'], 'pgshop_api', '{}'::text[]);
select function_privs_are('lib', f, a, 'pgshop_api', '{}'::text[],
  format('pgshop_api cannot execute lib.%s(%s)', f, array_to_string(a, ', ')))
from (values ('setting', array['text']), ('settings_apply', array['jsonb']),
             ('rate_limit_check', array['text', 'text', 'integer', 'interval']), ('auth_attempt', array['inet']),
             ('problem', array['integer', 'text', 'text', 'jsonb']), ('problem_of', array['text', 'text', 'text', 'text']),
             ('price', array['text', 'text']), ('amount', array['text']),
             ('order_pay_if_covered', array['bigint']), ('stripe_event_apply', array['jsonb']),
             ('orders_expire', array['integer']), ('webhook_delivery_start', array['bigint']),
             ('webhook_delivery_finish', array['bigint', 'integer', 'text', 'text', 'boolean']),
             ('product_write', array['bigint', 'jsonb']), ('variant_write', array['bigint', 'bigint', 'jsonb']),
             ('variant_set_options', array['shop.variants', 'jsonb']), ('variants_check_now', '{}'::text[]),
             ('option_set_values', array['shop.product_options', 'text[]']), ('product_for_write', array['bigint']),
             ('default_variant', array['bigint']), ('product_in_stock', array['bigint']), ('option_filter', array['text[]']),
             ('products_where', array['text', 'bigint', 'numeric', 'numeric', 'boolean', 'jsonb'])) v (f, a);
select function_privs_are('shop', 'jsonb_within', array['jsonb', 'integer', 'integer'], 'pgshop_api', '{}'::text[],
  'pgshop_api cannot execute shop.jsonb_within(jsonb, integer, integer)');
select function_privs_are('shop', f, a, 'pgshop_api', '{}'::text[],
  format('pgshop_api cannot execute shop.%s(%s)', f, array_to_string(a, ', ')))
from (values ('set_status_context', array['text', 'text']), ('order_net_paid', array['bigint']),
             ('emit', array['text', 'text', 'json', 'text']), ('enqueue_deliveries', array['bigint[]'])) v (f, a);

select isnt_superuser('pgshop_api');

-- ... and as pgshop_api it is refused -----------------------------------------------------------------
set local role pgshop_api;
select throws_ok('select * from shop.users', '42501', null, 'as pgshop_api: select from shop.users -> 42501');
select throws_ok($$insert into shop.products (name) values ('Zqxwv x')$$, '42501', null,
  'as pgshop_api: insert into shop.products -> 42501');
select throws_ok($$update shop.variants set stock_quantity = 1000000$$, '42501', null,
  'as pgshop_api: update shop.variants (their stock) -> 42501');
select throws_ok($$update shop.categories set name = name$$, '42501', null,
  'as pgshop_api: update shop.categories -> 42501');
select throws_ok('delete from shop.users', '42501', null, 'as pgshop_api: delete from shop.users -> 42501');
select throws_ok($$select lib.make_admin('zqxwv-evil@zqxwv.test', 'password123')$$, '42501', null,
  'as pgshop_api: lib.make_admin -> 42501');
select throws_ok($$select lib.upsert_user('zqxwv-evil@zqxwv.test', 'password123', 'E', 'Vil', 'admin')$$, '42501', null,
  'as pgshop_api: lib.upsert_user -> 42501');
select throws_ok('select shop.current_user_id()', '42501', null, 'as pgshop_api: shop.current_user_id -> 42501');
select throws_ok('select secret from shop.webhook_endpoints', '42501', null,
  'as pgshop_api: select the webhook secrets from shop.webhook_endpoints -> 42501');
select throws_ok($$insert into shop.payments (order_id, provider, provider_reference, currency) values (1, 'manual', 'zqxwv', 'USD')$$,
  '42501', null, 'as pgshop_api: insert into shop.payments -> 42501');
select throws_ok($$select shop.set_status_context('payment', null)$$, '42501', null,
  'as pgshop_api: shop.set_status_context (naming the actor of status changes) -> 42501');
reset role;

set local role bi_reader;
select throws_ok('select * from shop.products', '42501', null, 'as bi_reader: select from shop.products -> 42501');
select throws_ok('select * from shop.variants', '42501', null, 'as bi_reader: select from shop.variants -> 42501');
reset role;

select * from finish();
rollback;
