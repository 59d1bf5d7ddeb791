-- Revenue: the real-time rollup (shop.daily_sales, reporting.daily_sales) as orders move through their
-- statuses; api.sales_report; the materialized views after lib.refresh_reporting(); api.products_report and
-- api.categories_report. Revenue = paid, shipped and delivered orders; never pending or cancelled.
-- The database may hold other sales: figures for today are checked as deltas from the values before.
begin;
select * from no_plan();
\ir ../helpers.psql

create function pg_temp.today() returns date
language sql stable as $$ select (now() at time zone 'UTC')::date $$;
-- sales(day): what reporting.daily_sales shows for a day (zeros when it shows no row). Superuser only.
create function pg_temp.sales(p_day date) returns jsonb
language sql stable as $$
  select jsonb_build_object('orders', coalesce(max(d.orders), 0), 'units', coalesce(max(d.units), 0),
                            'revenue', coalesce(max(d.revenue), 0))
  from reporting.daily_sales d
  where d.day = p_day
$$;
-- remember(name, day) / delta(name, day): the change of a day's sales since remember was called.
create function pg_temp.remember(p_name text, p_day date) returns void
language sql as $$ select set_config('tests.before.' || p_name, pg_temp.sales(p_day)::text, true) $$;
create function pg_temp.before(p_name text) returns jsonb
language sql stable as $$ select current_setting('tests.before.' || p_name, true)::jsonb $$;
create function pg_temp.delta(p_name text, p_day date) returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'orders', (n ->> 'orders')::numeric - (b ->> 'orders')::numeric,
    'units', (n ->> 'units')::numeric - (b ->> 'units')::numeric,
    'revenue', (n ->> 'revenue')::numeric - (b ->> 'revenue')::numeric)
  from (select pg_temp.sales(p_day) as n, pg_temp.before(p_name) as b) x
$$;
-- expected_day(name, day, orders, units, revenue): the sales_report item of a day given the deltas.
create function pg_temp.expected_day(p_name text, p_day date, p_orders integer, p_units integer, p_revenue numeric)
returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'day', p_day,
    'orders', (b ->> 'orders')::integer + p_orders,
    'units', (b ->> 'units')::integer + p_units,
    'revenue', ((b ->> 'revenue')::numeric + p_revenue)::numeric(14, 2)::text,
    'average_order_value', coalesce(round(((b ->> 'revenue')::numeric + p_revenue)
                                          / nullif((b ->> 'orders')::integer + p_orders, 0), 2), 0)::numeric(14, 2)::text)
  from pg_temp.before(p_name) b
$$;
-- mine(result, key, ids): the items of an api result whose key is one of ids, in the order given (an
-- {"error": ...} from attempt() is returned as it is).
create function pg_temp.mine(p_result json, p_key text, p_ids bigint[]) returns jsonb
language sql immutable as $$
  select case when p_result::jsonb ? 'error' then p_result::jsonb else (
    select coalesce(jsonb_agg(t.item order by t.n), '[]')
    from jsonb_array_elements(p_result::jsonb -> 'items') with ordinality t (item, n)
    where (t.item ->> p_key)::bigint = any (p_ids)) end
$$;
-- attempt(sql): the JSON a statement returns, or {"error": "<sqlstate> <message>"} when it fails.
create function pg_temp.attempt(p_sql text) returns jsonb
language plpgsql as $$
declare
  v_result jsonb;
begin
  execute p_sql into v_result;
  return v_result;
exception when others then
  return jsonb_build_object('error', sqlstate || ' ' || sqlerrm);
end
$$;
create function pg_temp.products() returns bigint[]
language sql stable as $$ select array[pg_temp.id('a'), pg_temp.id('b'), pg_temp.id('c')] $$;
create function pg_temp.item(p_product text, p_units integer, p_revenue text, p_orders integer) returns jsonb
language sql stable as $$
  select jsonb_build_object('product_id', pg_temp.id(p_product),
    'name', case p_product when 'a' then 'Zqxwv Rep A' when 'b' then 'Zqxwv Rep B' else 'Zqxwv Rep C' end,
    'units_sold', p_units, 'revenue', p_revenue, 'orders', p_orders)
$$;
-- The rollup against a recomputation from the orders: the days where they differ.
create function pg_temp.rollup_mismatches() returns text
language sql stable as $$
  select $q$
    with recomputed as (
      select (o.created_at at time zone 'UTC')::date as day, count(*)::integer as orders,
             coalesce(sum(u.units), 0)::integer as units, sum(o.total_amount) as revenue
      from shop.orders o
      left join lateral (select sum(oi.quantity) as units from shop.order_items oi where oi.order_id = o.id) u on true
      where o.status in ('paid', 'shipped', 'delivered')
      group by 1
    ), rollup as (
      select d.day, d.orders, d.units, d.revenue
      from shop.daily_sales d
      where (d.orders, d.units, d.revenue) <> (0, 0, 0)
    )
    select coalesce(r.day, c.day) as day, r.orders, r.units, r.revenue, c.orders, c.units, c.revenue
    from rollup r
    full join recomputed c on c.day = r.day
    where (r.orders, r.units, r.revenue) is distinct from (c.orders, c.units, c.revenue)
  $q$
$$;

-- Set-up ---------------------------------------------------------------------------------------------------
do $$ begin perform lib.make_admin('zqxwv-rep-admin@zqxwv.test', 'password123'); end $$;
do $$
declare
  v_id bigint;
begin
  perform set_config('tests.admin', (select u.id from shop.users u where u.email = 'zqxwv-rep-admin@zqxwv.test')::text, true);
  insert into shop.users (email, password_hash, first_name, last_name)
  values ('zqxwv-rep-c1@zqxwv.test', public.crypt('x', public.gen_salt('bf', 4)), 'Cus', 'One')
  returning id into v_id;
  perform set_config('tests.c1', v_id::text, true);
  insert into shop.users (email, password_hash, first_name, last_name)
  values ('zqxwv-rep-c2@zqxwv.test', public.crypt('x', public.gen_salt('bf', 4)), 'Cus', 'Two')
  returning id into v_id;
  perform set_config('tests.c2', v_id::text, true);

  insert into shop.categories (name) values ('Zqxwv Rep Root') returning id into v_id;
  perform set_config('tests.root', v_id::text, true);
  insert into shop.categories (name, parent_id) values ('Zqxwv Rep Child', pg_temp.id('root')) returning id into v_id;
  perform set_config('tests.child', v_id::text, true);
  insert into shop.categories (name, parent_id) values ('Zqxwv Rep Grandchild', pg_temp.id('child')) returning id into v_id;
  perform set_config('tests.grand', v_id::text, true);
  insert into shop.categories (name) values ('Zqxwv Rep Empty') returning id into v_id;
  perform set_config('tests.empty', v_id::text, true);

  -- A sits in the grandchild, B in the child; B turns low at 46 units; C never sells and gets deleted.
  -- Each has one variant, with its SKU, price, stock and threshold.
  perform set_config('tests.a', pg_temp.new_product('Zqxwv Rep A', 10.00, 'ZQXWV-REP-A', 100, pg_temp.id('grand'), 5)::text, true);
  perform set_config('tests.b', pg_temp.new_product('Zqxwv Rep B', 2.50, 'ZQXWV-REP-B', 50, pg_temp.id('child'), 46)::text, true);
  perform set_config('tests.c', pg_temp.new_product('Zqxwv Rep C', 7.25, 'ZQXWV-REP-C', 8, pg_temp.id('empty'), 2)::text, true);

  perform pg_temp.remember('today', pg_temp.today());
  perform pg_temp.remember('old', pg_temp.today() - 40);
end
$$;

-- Four pending orders: o1 = 2 A + 4 B (30.00), o2 = 1 A (10.00), o3 = 3 B (7.50), o4 = 1 A + 1 B (12.50)
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('c1'));
do $$ begin perform api.cart_add_item(null, pg_temp.id('a'), 2); perform api.cart_add_item(null, pg_temp.id('b'), 4); end $$;
select pg_temp.keep('o1', pg_temp.checkout(pg_temp.addr('Zqxwv Buyer')));
do $$ begin perform api.cart_add_item(null, pg_temp.id('a'), 1); end $$;
select pg_temp.keep('o2', pg_temp.checkout(pg_temp.addr('Zqxwv Buyer')));
select pg_temp.act_as(pg_temp.id('c2'));
do $$ begin perform api.cart_add_item(null, pg_temp.id('b'), 3); end $$;
select pg_temp.keep('o3', pg_temp.checkout(pg_temp.addr('Zqxwv Buyer')));
do $$ begin perform api.cart_add_item(null, pg_temp.id('a'), 1); perform api.cart_add_item(null, pg_temp.id('b'), 1); end $$;
select pg_temp.keep('o4', pg_temp.checkout(pg_temp.addr('Zqxwv Buyer')));
reset role;

select is(
  (select array_agg(o.total_amount::text order by o.id) from shop.orders o
   where o.id in (pg_temp.id('o1'), pg_temp.id('o2'), pg_temp.id('o3'), pg_temp.id('o4'))),
  array['30.00', '10.00', '7.50', '12.50'], 'set-up: four orders of 30.00, 10.00, 7.50 and 12.50');

-- The real-time rollup ----------------------------------------------------------------------------------------
select is(pg_temp.delta('today', pg_temp.today()), '{"orders": 0, "units": 0, "revenue": 0}',
  'pending orders do not count: today''s sales are unchanged after four checkouts');
-- Each order is paid for (pg_temp.pay) before the admin moves it to paid.
select pg_temp.pay(pg_temp.id('o1'));
select is(pg_temp.delta('today', pg_temp.today()), '{"orders": 0, "units": 0, "revenue": 0}',
  'a payment alone does not count: the order is still pending until it moves to paid');

set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
do $$ begin perform api.order_set_status(pg_temp.id('o1'), 'paid'); end $$;
reset role;
select is(pg_temp.delta('today', pg_temp.today()), '{"orders": 1, "units": 6, "revenue": 30.00}',
  'an order becoming paid counts at once, no refresh: +1 order, +6 units, +30.00');
select is(
  (select d.average_order_value from reporting.daily_sales d where d.day = pg_temp.today()),
  round(((pg_temp.before('today') ->> 'revenue')::numeric + 30.00) / ((pg_temp.before('today') ->> 'orders')::integer + 1), 2),
  'average_order_value = revenue / orders, rounded to cents');

set local role pgshop_api;
do $$ begin perform pg_temp.pay(pg_temp.id('o2')); perform api.order_set_status(pg_temp.id('o2'), 'paid'); end $$;
do $$ begin perform pg_temp.pay(pg_temp.id('o3')); perform api.order_set_status(pg_temp.id('o3'), 'paid'); end $$;
reset role;
select is(pg_temp.delta('today', pg_temp.today()), '{"orders": 3, "units": 10, "revenue": 47.50}',
  'three paid orders: +3 orders, +10 units, +47.50');
select is(
  (select d.average_order_value from reporting.daily_sales d where d.day = pg_temp.today()),
  round(((pg_temp.before('today') ->> 'revenue')::numeric + 47.50) / ((pg_temp.before('today') ->> 'orders')::integer + 3), 2),
  'average_order_value follows');

set local role pgshop_api;
do $$ begin perform api.order_set_status(pg_temp.id('o1'), 'shipped'); end $$;
reset role;
select is(pg_temp.delta('today', pg_temp.today()), '{"orders": 3, "units": 10, "revenue": 47.50}',
  'paid -> shipped does not count the order twice');
set local role pgshop_api;
do $$ begin perform api.order_set_status(pg_temp.id('o1'), 'delivered'); end $$;
reset role;
select is(pg_temp.delta('today', pg_temp.today()), '{"orders": 3, "units": 10, "revenue": 47.50}',
  'shipped -> delivered does not count the order twice');

set local role pgshop_api;
select lives_ok(format($$select api.order_set_status(%s, 'cancelled')$$, pg_temp.id('o3')),
  'an admin cancels a paid order');
reset role;
select is(pg_temp.delta('today', pg_temp.today()), '{"orders": 2, "units": 7, "revenue": 40.00}',
  'cancelling a paid order takes it out: -1 order, -3 units, -7.50');
select is(
  (select d.average_order_value from reporting.daily_sales d where d.day = pg_temp.today()),
  round(((pg_temp.before('today') ->> 'revenue')::numeric + 40.00) / ((pg_temp.before('today') ->> 'orders')::integer + 2), 2),
  'average_order_value after the cancellation');

update shop.orders set shipping_address = shipping_address || '{"line2": "Flat 9"}' where id = pg_temp.id('o1');
select is(pg_temp.delta('today', pg_temp.today()), '{"orders": 2, "units": 7, "revenue": 40.00}',
  'an update that changes neither status, total nor date leaves the rollup alone');

-- o2 is re-dated 40 days back (as an import would): it moves from today to that day.
select lives_ok(
  format($$update shop.orders set created_at = now() - interval '40 days' where id = %s$$, pg_temp.id('o2')),
  're-dating a paid order works');
select is(pg_temp.delta('today', pg_temp.today()), '{"orders": 1, "units": 6, "revenue": 30.00}',
  'an order re-dated to another day leaves today...');
select is(pg_temp.delta('old', pg_temp.today() - 40), '{"orders": 1, "units": 1, "revenue": 10.00}',
  '... and counts on its new day');

select is_empty(pg_temp.rollup_mismatches(),
  'shop.daily_sales equals a recomputation from shop.orders and shop.order_items, for every day');
select is_empty(
  $$select d.day from reporting.daily_sales d
    full join (select * from shop.daily_sales where orders > 0) s on s.day = d.day
    where (d.orders, d.units, d.revenue, d.average_order_value)
          is distinct from (s.orders, s.units, s.revenue, round(s.revenue / s.orders, 2))$$,
  'reporting.daily_sales shows exactly the rollup''s days with orders, with average_order_value');
select is_empty($$select from reporting.daily_sales where orders <= 0$$, 'reporting.daily_sales shows no empty day');

-- api.sales_report ---------------------------------------------------------------------------------------------
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select is(json_array_length(api.sales_report() -> 'items'), 30, 'sales_report: 30 items by default');
select is(
  array(select (i ->> 'day')::date from json_array_elements(api.sales_report() -> 'items') i),
  array(select g::date from generate_series(pg_temp.today() - 29, pg_temp.today(), interval '1 day') g),
  'sales_report: by default one item per day, in order, for the 30 days ending today (UTC)');
select is(
  (select i::jsonb from json_array_elements(api.sales_report() -> 'items') i where (i ->> 'day')::date = pg_temp.today()),
  pg_temp.expected_day('today', pg_temp.today(), 1, 6, 30.00),
  'sales_report: today''s numbers (revenue and average as strings)');
select is(api.sales_report()::jsonb -> 'next_cursor', 'null'::jsonb, 'sales_report: next_cursor is null');
select is(
  api.sales_report('2000-01-01', '2000-01-03')::jsonb -> 'items',
  jsonb_build_array(
    '{"day": "2000-01-01", "orders": 0, "units": 0, "revenue": "0.00", "average_order_value": "0.00"}'::jsonb,
    '{"day": "2000-01-02", "orders": 0, "units": 0, "revenue": "0.00", "average_order_value": "0.00"}'::jsonb,
    '{"day": "2000-01-03", "orders": 0, "units": 0, "revenue": "0.00", "average_order_value": "0.00"}'::jsonb),
  'sales_report: days without sales are zeros ("0.00")');
select is(
  api.sales_report(pg_temp.today() - 40, pg_temp.today() - 40)::jsonb -> 'items',
  jsonb_build_array(pg_temp.expected_day('old', pg_temp.today() - 40, 1, 1, 10.00)),
  'sales_report: a one-day range gives that day, with the re-dated order');
select is(json_array_length(api.sales_report(pg_temp.today() - 6, pg_temp.today()) -> 'items'), 7,
  'sales_report: from and to are inclusive');
select is(json_array_length(api.sales_report(p_from => pg_temp.today() - 3) -> 'items'), 4,
  'sales_report: only from: up to today');
select is(json_array_length(api.sales_report('2000-01-01', '2010-01-07') -> 'items'), 3660,
  'sales_report: a range of 3660 days is allowed');
select throws_ok($$select api.sales_report('2000-01-01', '2010-01-08')$$, 'PT422', 'invalid_range',
  'sales_report: a range of more than 3660 days -> PT422 invalid_range');
select throws_ok($$select api.sales_report('2020-01-02', '2020-01-01')$$, 'PT422', 'invalid_range',
  'sales_report: from after to -> PT422 invalid_range');
select throws_ok(format('select api.sales_report(%L)', pg_temp.today() + 1), 'PT422', 'invalid_range',
  'sales_report: only from, after today -> PT422 invalid_range');
select pg_temp.act_as(pg_temp.id('c1'));
select throws_ok('select api.sales_report()', 'PT403', 'forbidden', 'sales_report: a customer -> PT403 forbidden');
select pg_temp.act_as(pg_temp.id('c1'), 'admin');
select throws_ok('select api.sales_report()', 'PT403', 'forbidden',
  'sales_report: a customer with an admin token -> PT403 forbidden');
select pg_temp.act_as(null);
select throws_ok('select api.sales_report()', 'PT401', 'unauthenticated', 'sales_report: anonymous -> PT401 unauthenticated');

-- The materialized views after lib.refresh_reporting() -------------------------------------------------------------
-- Before the refresh: A's price goes up (sales keep their price), C is deleted.
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
do $$ begin perform api.product_update(pg_temp.id('a'), '{"price": "12.00"}'); end $$;
do $$ begin perform api.product_delete(pg_temp.id('c')); end $$;
reset role;
do $$ begin perform lib.refresh_reporting(); end $$;

select is(
  (select to_jsonb(pp) - 'refreshed_at' from reporting.product_performance pp where pp.product_id = pg_temp.id('a')),
  jsonb_build_object('product_id', pg_temp.id('a'), 'name', 'Zqxwv Rep A', 'sku', 'ZQXWV-REP-A',
    'category_id', pg_temp.id('grand'), 'current_price', 12.00, 'is_active', true, 'is_deleted', false,
    'units_sold', 3, 'revenue', 30.00, 'orders', 2, 'last_sold_at', now(), 'stock_on_hand', 96,
    'units_last_30_days', 2, 'days_of_cover', 1440.0, 'variants', 1),
  'product_performance A: 3 sold in 2 orders for 30.00 at the prices sold; 2 in 30 days; 96 on hand = 1440 days; '
  'one variant (its SKU and price are the product''s)');
select is(
  (select to_jsonb(pp) - 'refreshed_at' from reporting.product_performance pp where pp.product_id = pg_temp.id('b')),
  jsonb_build_object('product_id', pg_temp.id('b'), 'name', 'Zqxwv Rep B', 'sku', 'ZQXWV-REP-B',
    'category_id', pg_temp.id('child'), 'current_price', 2.50, 'is_active', true, 'is_deleted', false,
    'units_sold', 4, 'revenue', 10.00, 'orders', 1, 'last_sold_at', now(), 'stock_on_hand', 45,
    'units_last_30_days', 4, 'days_of_cover', 337.5, 'variants', 1),
  'product_performance B: the cancelled and the pending order do not count; 45 on hand = 337.5 days');
select is(
  (select to_jsonb(pp) - 'refreshed_at' from reporting.product_performance pp where pp.product_id = pg_temp.id('c')),
  jsonb_build_object('product_id', pg_temp.id('c'), 'name', 'Zqxwv Rep C', 'sku', null,
    'category_id', pg_temp.id('empty'), 'current_price', null, 'is_active', true, 'is_deleted', true,
    'units_sold', 0, 'revenue', 0.00, 'orders', 0, 'last_sold_at', null, 'stock_on_hand', 0,
    'units_last_30_days', 0, 'days_of_cover', null, 'variants', 0),
  'product_performance C: a deleted product without sales is kept, flagged, with zeros; its variant went with it, '
  'so it has no live variant: no SKU, no current price, nothing on hand');

select is(
  (select jsonb_agg(to_jsonb(s) - 'refreshed_at' order by s.category_id) from reporting.sales_by_category s
   where s.category_id in (pg_temp.id('root'), pg_temp.id('child'), pg_temp.id('grand'), pg_temp.id('empty'))),
  jsonb_build_array(
    jsonb_build_object('category_id', pg_temp.id('root'), 'name', 'Zqxwv Rep Root', 'parent_id', null,
                       'orders', 2, 'units', 7, 'revenue', 40.00),
    jsonb_build_object('category_id', pg_temp.id('child'), 'name', 'Zqxwv Rep Child', 'parent_id', pg_temp.id('root'),
                       'orders', 2, 'units', 7, 'revenue', 40.00),
    jsonb_build_object('category_id', pg_temp.id('grand'), 'name', 'Zqxwv Rep Grandchild', 'parent_id', pg_temp.id('child'),
                       'orders', 2, 'units', 3, 'revenue', 30.00),
    jsonb_build_object('category_id', pg_temp.id('empty'), 'name', 'Zqxwv Rep Empty', 'parent_id', null,
                       'orders', 0, 'units', 0, 'revenue', 0.00)),
  'sales_by_category: the grandchild''s sales count in it, its parent and the root; a category without sales has zeros');
select is(
  (select count(*) from reporting.sales_by_category), (select count(*) from shop.categories),
  'sales_by_category: one row per category');

select is(
  (select to_jsonb(cs) - 'refreshed_at' from reporting.customer_summary cs where cs.customer_id = pg_temp.id('c1')),
  jsonb_build_object('customer_id', pg_temp.id('c1'), 'orders', 2, 'lifetime_value', 40.00,
    'average_order_value', 20.00, 'first_order_at', now() - interval '40 days', 'last_order_at', now()),
  'customer_summary: c1 has 2 revenue orders, 40.00, 20.00 on average, first 40 days ago');
select is_empty(
  format('select from reporting.customer_summary where customer_id = %s', pg_temp.id('c2')),
  'customer_summary: a customer with only a cancelled and a pending order is absent');

select is(
  (select to_jsonb(i) - 'refreshed_at' from reporting.inventory_status i where i.product_id = pg_temp.id('a')),
  jsonb_build_object('product_id', pg_temp.id('a'), 'variant_id', pg_temp.variant_of(pg_temp.id('a')),
    'name', 'Zqxwv Rep A', 'sku', 'ZQXWV-REP-A', 'options', '{}'::jsonb,
    'category_id', pg_temp.id('grand'), 'is_active', true, 'stock_quantity', 96, 'low_stock_threshold', 5,
    'is_low', false, 'low_since', null, 'units_last_30_days', 2, 'days_of_cover', 1440.0,
    'units_sold', 3, 'revenue', 30.00, 'orders', 2, 'last_sold_at', now()),
  'inventory_status A (its one variant): 96 on hand, not low, 2 sold in 30 days, 1440 days of cover; 3 sold in 2 '
  'orders for 30.00, all time');
select is(
  (select to_jsonb(i) - 'refreshed_at' from reporting.inventory_status i where i.product_id = pg_temp.id('b')),
  jsonb_build_object('product_id', pg_temp.id('b'), 'variant_id', pg_temp.variant_of(pg_temp.id('b')),
    'name', 'Zqxwv Rep B', 'sku', 'ZQXWV-REP-B', 'options', '{}'::jsonb,
    'category_id', pg_temp.id('child'), 'is_active', true, 'stock_quantity', 45, 'low_stock_threshold', 46,
    'is_low', true, 'low_since', now(), 'units_last_30_days', 4, 'days_of_cover', 337.5,
    'units_sold', 4, 'revenue', 10.00, 'orders', 1, 'last_sold_at', now()),
  'inventory_status B: 45 on hand, low since its alert opened, 337.5 days of cover');
select is_empty(
  format('select from reporting.inventory_status where product_id = %s', pg_temp.id('c')),
  'inventory_status: a deleted product is absent');
select is_empty(
  $$select from reporting.product_performance where refreshed_at <> now()
    union all select from reporting.sales_by_category where refreshed_at <> now()
    union all select from reporting.customer_summary where refreshed_at <> now()
    union all select from reporting.inventory_status where refreshed_at <> now()$$,
  'every row of every materialized view has refreshed_at = the refresh time');

-- api.products_report -------------------------------------------------------------------------------------------
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select is(
  pg_temp.mine(api.products_report(100), 'product_id', pg_temp.products()),
  jsonb_build_array(pg_temp.item('a', 3, '30.00', 2), pg_temp.item('b', 4, '10.00', 1)),
  'products_report (all time): A then B by revenue, at the prices sold; unsold C absent');
select is(
  array(select jsonb_object_keys(api.products_report(1)::jsonb -> 'items' -> 0) order by 1),
  array['name', 'orders', 'product_id', 'revenue', 'units_sold'], 'products_report: an item has exactly these fields');
select is(json_array_length(api.products_report(1) -> 'items'), 1, 'products_report: the limit applies');
select is(
  (select bool_and((i ->> 'units_sold')::integer > 0) from json_array_elements(api.products_report(100) -> 'items') i),
  true, 'products_report (all time): only products that sold');
select is(
  pg_temp.mine(api.products_report(100, pg_temp.today(), pg_temp.today()), 'product_id', pg_temp.products()),
  jsonb_build_array(pg_temp.item('a', 2, '20.00', 1), pg_temp.item('b', 4, '10.00', 1)),
  'products_report (today): only today''s revenue orders, from the orders themselves');
select is(
  pg_temp.mine(api.products_report(100, pg_temp.today() - 40, pg_temp.today() - 40), 'product_id', pg_temp.products()),
  jsonb_build_array(pg_temp.item('a', 1, '10.00', 1)),
  'products_report (40 days ago): the re-dated order');
select is(
  pg_temp.mine(api.products_report(100, pg_temp.today() - 40, pg_temp.today()), 'product_id', pg_temp.products()),
  jsonb_build_array(pg_temp.item('a', 3, '30.00', 2), pg_temp.item('b', 4, '10.00', 1)),
  'products_report (41 days ending today): both days');

-- o4 becomes paid: the dated report sees it at once; the all-time one waits for the next refresh.
do $$ begin perform pg_temp.pay(pg_temp.id('o4')); perform api.order_set_status(pg_temp.id('o4'), 'paid'); end $$;
select is(
  pg_temp.mine(api.products_report(100, pg_temp.today(), pg_temp.today()), 'product_id', pg_temp.products()),
  jsonb_build_array(pg_temp.item('a', 3, '30.00', 2), pg_temp.item('b', 5, '12.50', 2)),
  'products_report with dates is real time: the newly paid order counts at once');
select is(
  pg_temp.mine(api.products_report(100), 'product_id', pg_temp.products()),
  jsonb_build_array(pg_temp.item('a', 3, '30.00', 2), pg_temp.item('b', 4, '10.00', 1)),
  'products_report without dates is as of the last refresh');
select is(
  pg_temp.mine(pg_temp.attempt(format('select api.products_report(100, p_from => %L)', pg_temp.today()))::json,
               'product_id', pg_temp.products()),
  jsonb_build_array(pg_temp.item('a', 3, '30.00', 2), pg_temp.item('b', 5, '12.50', 2)),
  'products_report with only from: from that day on');
select is(
  pg_temp.mine(pg_temp.attempt(format('select api.products_report(100, p_to => %L)', pg_temp.today() - 1))::json,
               'product_id', pg_temp.products()),
  jsonb_build_array(pg_temp.item('a', 1, '10.00', 1)),
  'products_report with only to: up to that day');
select throws_ok('select api.products_report(0)', 'PT422', 'invalid_limit', 'products_report: limit 0 -> PT422 invalid_limit');
select throws_ok('select api.products_report(101)', 'PT422', 'invalid_limit', 'products_report: limit 101 -> PT422 invalid_limit');
select throws_ok($$select api.products_report(10, '2020-01-02', '2020-01-01')$$, 'PT422', 'invalid_range',
  'products_report: from after to -> PT422 invalid_range');
select pg_temp.act_as(pg_temp.id('c1'));
select throws_ok('select api.products_report()', 'PT403', 'forbidden', 'products_report: a customer -> PT403 forbidden');
select pg_temp.act_as(null);
select throws_ok('select api.products_report()', 'PT401', 'unauthenticated', 'products_report: anonymous -> PT401 unauthenticated');

-- api.categories_report -----------------------------------------------------------------------------------------
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select is(
  pg_temp.mine(api.categories_report(), 'category_id',
               array[pg_temp.id('root'), pg_temp.id('child'), pg_temp.id('grand'), pg_temp.id('empty')]),
  jsonb_build_array(
    jsonb_build_object('category_id', pg_temp.id('root'), 'name', 'Zqxwv Rep Root', 'parent_id', null,
                       'orders', 2, 'units', 7, 'revenue', '40.00'),
    jsonb_build_object('category_id', pg_temp.id('child'), 'name', 'Zqxwv Rep Child', 'parent_id', pg_temp.id('root'),
                       'orders', 2, 'units', 7, 'revenue', '40.00'),
    jsonb_build_object('category_id', pg_temp.id('grand'), 'name', 'Zqxwv Rep Grandchild', 'parent_id', pg_temp.id('child'),
                       'orders', 2, 'units', 3, 'revenue', '30.00'),
    jsonb_build_object('category_id', pg_temp.id('empty'), 'name', 'Zqxwv Rep Empty', 'parent_id', null,
                       'orders', 0, 'units', 0, 'revenue', '0.00')),
  'categories_report: subtrees rolled up, by revenue then id, revenue as strings (as of the last refresh)');
select is(
  (select count(*) from json_array_elements(api.categories_report() -> 'items'))::bigint,
  (select count(*) from json_array_elements(api.categories_list() -> 'items'))::bigint,
  'categories_report: every category is listed');
select pg_temp.act_as(pg_temp.id('c1'));
select throws_ok('select api.categories_report()', 'PT403', 'forbidden', 'categories_report: a customer -> PT403 forbidden');
select pg_temp.act_as(null);
select throws_ok('select api.categories_report()', 'PT401', 'unauthenticated',
  'categories_report: anonymous -> PT401 unauthenticated');
reset role;

select is(pg_temp.delta('today', pg_temp.today()), '{"orders": 2, "units": 8, "revenue": 42.50}',
  'o4 paid: today +2 orders, +8 units, +42.50');
select is_empty(pg_temp.rollup_mismatches(), 'the rollup still equals the recomputation after all that');
do $$ begin perform lib.refresh_reporting(); end $$;
select is(
  (select jsonb_build_array(pp.units_sold, pp.revenue, pp.orders) from reporting.product_performance pp
   where pp.product_id = pg_temp.id('b')),
  '[5, 12.50, 2]'::jsonb, 'after the next refresh product_performance has o4 too');

-- Orders written without the API -------------------------------------------------------------------------------
-- An order inserted already paid (an import), its lines added next (the foreign key allows no other order).
do $$
declare
  v_order bigint;
begin
  perform pg_temp.remember('import', pg_temp.today());
  insert into shop.orders (user_id, status, total_amount, shipping_address)
  values (pg_temp.id('c2'), 'paid', 5.00, pg_temp.addr('Zqxwv Buyer'))
  returning id into v_order;
  insert into shop.order_items (order_id, product_id, variant_id, name, sku, quantity, unit_price, total_price)
  values (v_order, pg_temp.id('b'), pg_temp.variant_of(pg_temp.id('b')), 'Zqxwv Rep B', 'ZQXWV-REP-B', 2, 2.50, 5.00);
  perform set_config('tests.o5', v_order::text, true);
end
$$;
select is(pg_temp.delta('import', pg_temp.today()), '{"orders": 1, "units": 2, "revenue": 5.00}',
  'an order written paid, then its lines: +1 order, +2 units, +5.00');

-- A paid order deleted (lines, history and payments first, as the foreign keys require) leaves the rollup.
do $$
declare
  v_order bigint;
begin
  insert into shop.orders (user_id, total_amount, shipping_address)
  values (pg_temp.id('c2'), 7.50, pg_temp.addr('Zqxwv Buyer'))
  returning id into v_order;
  insert into shop.order_items (order_id, product_id, variant_id, name, sku, quantity, unit_price, total_price)
  values (v_order, pg_temp.id('b'), pg_temp.variant_of(pg_temp.id('b')), 'Zqxwv Rep B', 'ZQXWV-REP-B', 3, 2.50, 7.50);
  perform pg_temp.pay(v_order);
  update shop.orders set status = 'paid' where id = v_order;
  perform set_config('tests.o6', v_order::text, true);
  perform pg_temp.remember('delete', pg_temp.today());
end
$$;
select lives_ok(
  format($q$do $d$ begin
             delete from shop.order_items where order_id = %1$s;
             delete from shop.order_status_history where order_id = %1$s;
             delete from shop.payments where order_id = %1$s;
             delete from shop.orders where id = %1$s;
           end $d$$q$, pg_temp.id('o6')),
  'a paid order can be deleted by hand (lines, history and payments first)');
select is(pg_temp.delta('delete', pg_temp.today()), '{"orders": -1, "units": -3, "revenue": -7.50}',
  'a paid order deleted: -1 order, -3 units, -7.50');

select * from finish();
rollback;
