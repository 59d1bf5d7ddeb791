-- lib.refresh_reporting(): refreshes every materialized view CONCURRENTLY (each has the unique index that
-- needs), runs repeatedly, picks up new sales; pg_cron runs it every 15 minutes where installed.
begin;
select * from no_plan();
\ir ../helpers.psql

select has_function('lib', 'refresh_reporting', '{}'::name[]);
select function_returns('lib', 'refresh_reporting', '{}'::name[], 'void');
select volatility_is('lib', 'refresh_reporting', '{}'::name[], 'volatile');
select isnt_definer('lib', 'refresh_reporting', '{}'::name[]);

-- CONCURRENTLY for each materialized view, and none forgotten ---------------------------------------------
select ok((select p.prosrc ~* 'refresh\s+materialized\s+view\s+concurrently\s+reporting\.product_performance\M'
           from pg_proc p where p.oid = 'lib.refresh_reporting()'::regprocedure),
  'refresh() refreshes reporting.product_performance CONCURRENTLY');
select ok((select p.prosrc ~* 'refresh\s+materialized\s+view\s+concurrently\s+reporting\.sales_by_category\M'
           from pg_proc p where p.oid = 'lib.refresh_reporting()'::regprocedure),
  'refresh() refreshes reporting.sales_by_category CONCURRENTLY');
select ok((select p.prosrc ~* 'refresh\s+materialized\s+view\s+concurrently\s+reporting\.customer_summary\M'
           from pg_proc p where p.oid = 'lib.refresh_reporting()'::regprocedure),
  'refresh() refreshes reporting.customer_summary CONCURRENTLY');
select ok((select p.prosrc ~* 'refresh\s+materialized\s+view\s+concurrently\s+reporting\.inventory_status\M'
           from pg_proc p where p.oid = 'lib.refresh_reporting()'::regprocedure),
  'refresh() refreshes reporting.inventory_status CONCURRENTLY');
select is_empty(
  $$select c.relname from pg_class c
    where c.relnamespace = 'reporting'::regnamespace and c.relkind = 'm'
      and (select p.prosrc from pg_proc p where p.oid = 'lib.refresh_reporting()'::regprocedure)
          !~* ('refresh\s+materialized\s+view\s+concurrently\s+reporting\.' || c.relname || '\M')$$,
  'refresh() refreshes every materialized view of reporting concurrently (none forgotten)');
select is_empty(
  $$select c.oid::regclass from pg_class c
    where c.relnamespace = 'reporting'::regnamespace and c.relkind = 'm'
      and not exists (
        select from pg_index i
        where i.indrelid = c.oid and i.indisunique and i.indisvalid
          and i.indpred is null and i.indexprs is null)$$,
  'each materialized view has the unique index (plain columns, no WHERE) CONCURRENTLY requires');

-- It runs, again and again, as the superuser and as the owner (the cron job's user) -------------------------
select lives_ok('select lib.refresh_reporting()', 'lib.refresh_reporting() succeeds');
select lives_ok('select lib.refresh_reporting()', 'lib.refresh_reporting() succeeds a second time in a row');
set local role pgshop;
select lives_ok('select lib.refresh_reporting()', 'lib.refresh_reporting() succeeds as the owner pgshop');
reset role;
select is_empty(
  $$select c.oid::regclass from pg_class c
    where c.relnamespace = 'reporting'::regnamespace and c.relkind = 'm' and not c.relispopulated$$,
  'every materialized view is populated after the refreshes');

-- A new sale shows up in the materialized views after a refresh, not before --------------------------------
do $$
declare
  v_user bigint;
  v_product bigint;
  v_order bigint;
begin
  insert into shop.users (email, password_hash, first_name, last_name)
  values ('zqxwv-rf-c@zqxwv.test', public.crypt('x', public.gen_salt('bf', 4)), 'Ref', 'Resh')
  returning id into v_user;
  v_product := pg_temp.new_product('Zqxwv Refresh Item', 4.00, 'ZQXWV-RF-1', 10);
  insert into shop.orders (user_id, total_amount, shipping_address)
  values (v_user, 12.00, '{"name": "R", "line1": "1 Zqxwv Road", "city": "C", "postal_code": "1", "country": "US"}')
  returning id into v_order;
  insert into shop.order_items (order_id, product_id, variant_id, name, sku, quantity, unit_price, total_price)
  values (v_order, v_product, pg_temp.variant_of(v_product), 'Zqxwv Refresh Item', 'ZQXWV-RF-1', 3, 4.00, 12.00);
  perform pg_temp.pay(v_order);
  update shop.orders set status = 'paid' where id = v_order;
  perform set_config('tests.user', v_user::text, true);
  perform set_config('tests.product', v_product::text, true);
end
$$;

select is_empty(
  format('select from reporting.product_performance where product_id = %s', current_setting('tests.product')),
  'before a refresh, a new product is not in reporting.product_performance');
select is_empty(
  format('select from reporting.customer_summary where customer_id = %s', current_setting('tests.user')),
  'before a refresh, a new customer''s paid order is not in reporting.customer_summary');

do $$ begin perform lib.refresh_reporting(); end $$;

select results_eq(
  format('select units_sold, revenue, orders, refreshed_at = now() from reporting.product_performance where product_id = %s',
         current_setting('tests.product')),
  $$values (3::bigint, 12.00::numeric, 1::bigint, true)$$,
  'after lib.refresh_reporting(), product_performance shows the sale (refreshed_at = now())');
select results_eq(
  format('select orders, lifetime_value from reporting.customer_summary where customer_id = %s', current_setting('tests.user')),
  $$values (1::bigint, 12.00::numeric)$$,
  'after lib.refresh_reporting(), customer_summary shows the customer');
select results_eq(
  format('select variant_id, stock_quantity, units_last_30_days from reporting.inventory_status where product_id = %s',
         current_setting('tests.product')),
  format($$values (%s::bigint, 10, 3::bigint)$$, pg_temp.variant_of(current_setting('tests.product')::bigint)),
  'after lib.refresh_reporting(), inventory_status shows the product''s variant and its sales');

-- Scheduled with pg_cron where installed -------------------------------------------------------------------
select case when exists (select from pg_extension where extname = 'pg_cron')
  then results_eq(
    $$select format('%s | %s | %s | %s | %s', command, schedule, database, username, active)
      from cron.job where jobname = 'pgshop-refresh-reporting'$$,
    $$select format('select lib.refresh_reporting() | */15 * * * * | %s | %s | t', current_database()::text collate "default",
                    (select p.proowner::regrole::text collate "default" from pg_proc p
                     where p.oid = 'lib.refresh_reporting()'::regprocedure))$$,
    'cron job pgshop-refresh-reporting runs select lib.refresh_reporting() every 15 minutes in this database, '
    'as the owner of lib.refresh_reporting()')
  else pass('pg_cron is not installed: lib.refresh_reporting() is scheduled elsewhere') end;

select * from finish();
rollback;
