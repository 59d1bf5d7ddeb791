-- Reporting and audit privileges: bi_reader reads the reporting schema and nothing else; pgshop_api runs
-- the report and audit api functions but touches neither audit.log nor the rollup; no personal data in
-- reporting.
begin;
select * from no_plan();

-- The new api functions: pgshop_api may execute them; security definer; stable -------------------------
select function_privs_are('api', 'sales_report', array['date', 'date'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'products_report', array['integer', 'date', 'date'], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'categories_report', '{}'::text[], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'audit_list', array['text', 'bigint', 'integer', 'text'], 'pgshop_api', array['EXECUTE']);
select is_definer('api', 'sales_report', array['date', 'date']);
select is_definer('api', 'products_report', array['integer', 'date', 'date']);
select is_definer('api', 'categories_report', '{}'::name[]);
select is_definer('api', 'audit_list', array['text', 'bigint', 'integer', 'text']);
select volatility_is('api', 'sales_report', array['date', 'date'], 'stable');
select volatility_is('api', 'products_report', array['integer', 'date', 'date'], 'stable');
select volatility_is('api', 'categories_report', '{}'::name[], 'stable');
select volatility_is('api', 'audit_list', array['text', 'bigint', 'integer', 'text'], 'stable');

-- bi_reader: a group role, no login, no superuser -------------------------------------------------------
select has_role('bi_reader');
select is((select r.rolcanlogin from pg_roles r where r.rolname = 'bi_reader'), false, 'bi_reader is NOLOGIN');
select isnt_superuser('bi_reader');

-- bi_reader: SELECT (only) on every view and materialized view of reporting -----------------------------
select schema_privs_are('reporting', 'bi_reader', array['USAGE']);
select table_privs_are('reporting', 'daily_sales', 'bi_reader', array['SELECT']);
select table_privs_are('reporting', 'product_performance', 'bi_reader', array['SELECT']);
select table_privs_are('reporting', 'sales_by_category', 'bi_reader', array['SELECT']);
select table_privs_are('reporting', 'customer_summary', 'bi_reader', array['SELECT']);
select table_privs_are('reporting', 'inventory_status', 'bi_reader', array['SELECT']);
select is_empty(
  $$select c.oid::regclass from pg_class c
    where c.relnamespace = 'reporting'::regnamespace
      and c.relkind in ('r', 'v', 'm', 'p', 'f')
      and not has_table_privilege('bi_reader', c.oid, 'SELECT')$$,
  'bi_reader can select from every relation in reporting');

-- ... and nothing else anywhere: no relation outside reporting that it may both reach and read (the query
-- statistics of pg_stat_statements, which the extension grants to PUBLIC, included: the cluster set-up
-- revokes that) ----------------------------------------------------------------------------------------------
select is_empty(
  $$select c.oid::regclass from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname not in ('reporting', 'information_schema') and n.nspname !~ '^pg_'
      and c.relkind in ('r', 'v', 'm', 'p', 'f')
      and has_schema_privilege('bi_reader', n.oid, 'USAGE')
      and has_table_privilege('bi_reader', c.oid, 'SELECT')
      and not exists (select from pg_depend d join pg_extension e on e.oid = d.refobjid  -- this test's own tool
                      where d.objid = c.oid and d.deptype = 'e' and e.extname = 'pgtap')$$,
  'bi_reader reads the reporting schema and nothing else');

-- ... and nothing in shop or audit ------------------------------------------------------------------------
select schema_privs_are('shop', 'bi_reader', '{}'::text[]);
select schema_privs_are('audit', 'bi_reader', '{}'::text[]);
select table_privs_are('shop', 'users', 'bi_reader', '{}'::text[]);
select table_privs_are('shop', 'orders', 'bi_reader', '{}'::text[]);
select table_privs_are('shop', 'order_items', 'bi_reader', '{}'::text[]);
select table_privs_are('shop', 'products', 'bi_reader', '{}'::text[]);
select table_privs_are('shop', 'carts', 'bi_reader', '{}'::text[]);
select table_privs_are('shop', 'daily_sales', 'bi_reader', '{}'::text[]);
select table_privs_are('audit', 'log', 'bi_reader', '{}'::text[]);
select is_empty(
  $$select c.oid::regclass from pg_class c
    where c.relnamespace in ('shop'::regnamespace, 'audit'::regnamespace)
      and (case when c.relkind = 'S'
                then has_sequence_privilege('bi_reader', c.oid, 'USAGE, SELECT, UPDATE')
                else has_table_privilege('bi_reader', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
           end)$$,
  'bi_reader holds no privilege on any relation in shop or audit');

-- bi_reader executes no api function and cannot refresh ------------------------------------------------
select is_empty(
  $$select p.oid::regprocedure from pg_proc p
    where p.pronamespace in ('api'::regnamespace, 'lib'::regnamespace, 'reporting'::regnamespace,
                             'audit'::regnamespace, 'shop'::regnamespace)
      and has_function_privilege('bi_reader', p.oid, 'EXECUTE')$$,
  'bi_reader cannot execute any function in api, lib, reporting, audit or shop');
select function_privs_are('lib', 'refresh_reporting', '{}'::text[], 'bi_reader', '{}'::text[]);

-- pgshop_api: nothing on audit.log, the rollup, reporting; cannot refresh ----------------------------------
select table_privs_are('audit', 'log', 'pgshop_api', '{}'::text[]);
select table_privs_are('shop', 'daily_sales', 'pgshop_api', '{}'::text[]);
select schema_privs_are('audit', 'pgshop_api', '{}'::text[]);
select schema_privs_are('reporting', 'pgshop_api', '{}'::text[]);
select is_empty(
  $$select c.oid::regclass from pg_class c
    where c.relnamespace in ('reporting'::regnamespace, 'audit'::regnamespace)
      and (case when c.relkind = 'S'
                then has_sequence_privilege('pgshop_api', c.oid, 'USAGE, SELECT, UPDATE')
                else has_table_privilege('pgshop_api', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
           end)$$,
  'pgshop_api holds no privilege on any relation in reporting or audit');
select function_privs_are('lib', 'refresh_reporting', '{}'::text[], 'pgshop_api', '{}'::text[]);
select is_empty(
  $$select p.oid::regprocedure from pg_proc p
    where p.pronamespace in ('reporting'::regnamespace, 'audit'::regnamespace)
      and (has_function_privilege('pgshop_api', p.oid, 'EXECUTE')
           or p.proacl is null
           or exists (select from aclexplode(p.proacl) a where a.grantee = 0))$$,
  'no reporting or audit function is executable by pgshop_api or by PUBLIC');

-- No personal data in reporting ----------------------------------------------------------------------------
select is_empty(
  $$select c.relname, a.attname from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    where c.relnamespace = 'reporting'::regnamespace
      and c.relkind in ('r', 'v', 'm', 'p', 'f')
      and a.attnum > 0 and not a.attisdropped
      and a.attname ~* '(e_?mail|password|first_?name|last_?name|full_?name|customer_name|user_?name|person|'
                       'shipping|address|phone|birth)'$$,
  'no reporting relation has a column for email, password, names of people, address or phone');
select is_empty(
  $$select c.relname, a.attname from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    where c.relnamespace = 'reporting'::regnamespace
      and c.relkind in ('r', 'v', 'm', 'p', 'f')
      and a.attnum > 0 and not a.attisdropped
      and a.attname = 'name'
      and c.relname not in ('product_performance', 'sales_by_category', 'inventory_status')$$,
  'a name column appears only where it is a product''s or a category''s name');
select is_empty(
  $$select v.relname from pg_class v
    join pg_depend d on d.classid = 'pg_rewrite'::regclass
    join pg_rewrite r on r.oid = d.objid and r.ev_class = v.oid
    join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
    where v.relnamespace = 'reporting'::regnamespace
      and d.refobjid = 'shop.users'::regclass
      and a.attname in ('email', 'password_hash', 'first_name', 'last_name')$$,
  'no reporting view or materialized view even reads email, password_hash or the names from shop.users');
select is_empty(
  $$select v.relname from pg_class v
    join pg_depend d on d.classid = 'pg_rewrite'::regclass
    join pg_rewrite r on r.oid = d.objid and r.ev_class = v.oid
    join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
    where v.relnamespace = 'reporting'::regnamespace
      and d.refobjid = 'shop.orders'::regclass
      and a.attname = 'shipping_address'$$,
  'no reporting view or materialized view reads the shipping address');

-- As bi_reader: reporting is readable, the rest is refused -------------------------------------------------
set local role bi_reader;
select lives_ok('select * from reporting.daily_sales', 'as bi_reader: select from reporting.daily_sales');
select lives_ok('select * from reporting.product_performance', 'as bi_reader: select from reporting.product_performance');
select lives_ok('select * from reporting.sales_by_category', 'as bi_reader: select from reporting.sales_by_category');
select lives_ok('select * from reporting.customer_summary', 'as bi_reader: select from reporting.customer_summary');
select lives_ok('select * from reporting.inventory_status', 'as bi_reader: select from reporting.inventory_status');
select throws_ok('select * from shop.users', '42501', null, 'as bi_reader: select from shop.users -> 42501');
select throws_ok('select * from shop.orders', '42501', null, 'as bi_reader: select from shop.orders -> 42501');
select throws_ok('select * from shop.daily_sales', '42501', null, 'as bi_reader: select from shop.daily_sales -> 42501');
select throws_ok('select * from audit.log', '42501', null, 'as bi_reader: select from audit.log -> 42501');
select throws_ok('select lib.refresh_reporting()', '42501', null, 'as bi_reader: lib.refresh_reporting() -> 42501');
select throws_ok('refresh materialized view reporting.product_performance', '42501', null,
  'as bi_reader: refresh materialized view -> 42501 (only the owner refreshes)');
select throws_ok('select api.sales_report()', '42501', null, 'as bi_reader: api.sales_report() -> 42501');
select throws_ok('delete from reporting.daily_sales', '42501', null, 'as bi_reader: delete from a reporting view -> 42501');
reset role;

-- As pgshop_api: no audit.log, no rollup, no refresh --------------------------------------------------------
set local role pgshop_api;
select throws_ok('select * from audit.log', '42501', null, 'as pgshop_api: select from audit.log -> 42501');
select throws_ok($$insert into audit.log (table_name, row_id, operation) values ('users', 1, 'INSERT')$$, '42501', null,
  'as pgshop_api: insert into audit.log -> 42501');
select throws_ok('select * from shop.daily_sales', '42501', null, 'as pgshop_api: select from shop.daily_sales -> 42501');
select throws_ok('select lib.refresh_reporting()', '42501', null, 'as pgshop_api: lib.refresh_reporting() -> 42501');
select throws_ok('select * from reporting.daily_sales', '42501', null, 'as pgshop_api: select from reporting.daily_sales -> 42501');
reset role;

select * from finish();
rollback;
