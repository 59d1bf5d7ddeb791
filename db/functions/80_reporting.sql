-- Reporting and audit: refresh of the materialized views, the admin report endpoints and the audit trail.
-- Revenue counts the orders whose status counts_as_revenue (paid, shipped, delivered; shop.order_statuses).

create or replace function lib.refresh_reporting() returns void
language plpgsql
volatile
as $$
begin
  -- CONCURRENTLY: readers keep reading the previous contents while each view is rebuilt.
  refresh materialized view concurrently reporting.product_performance;
  refresh materialized view concurrently reporting.sales_by_category;
  refresh materialized view concurrently reporting.customer_summary;
  refresh materialized view concurrently reporting.inventory_status;
end
$$;
comment on function lib.refresh_reporting() is
  'Refreshes every reporting materialized view without blocking readers. Scheduled every 15 minutes with '
  'pg_cron where available (db/functions/90_operations.sql); the owner can also run it by hand.';

create or replace function lib.check_report_range(p_from date, p_to date, p_max_days integer) returns void
language plpgsql
immutable
as $$
begin
  if p_from > p_to then
    raise exception using errcode = 'PT422', message = 'invalid_range', detail = 'from is after to';
  end if;
  if p_to - p_from >= p_max_days then
    raise exception using errcode = 'PT422', message = 'invalid_range',
      detail = format('a range may cover at most %s days', p_max_days);
  end if;
end
$$;
comment on function lib.check_report_range(date, date, integer) is
  'PT422 invalid_range unless p_from <= p_to and the range covers at most p_max_days days (a null end is open).';

create or replace function api.sales_report(p_from date default null, p_to date default null) returns json
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_to date := coalesce(p_to, (now() at time zone 'UTC')::date);
  v_from date := coalesce(p_from, v_to - 29);
begin
  perform lib.require_admin();
  perform lib.check_report_range(v_from, v_to, lib.setting('sales_report_max_days')::integer);
  return (
    select json_build_object(
      'items', json_agg(json_build_object(
        'day', g.day::date,
        'orders', coalesce(d.orders, 0),
        'units', coalesce(d.units, 0),
        'revenue', coalesce(d.revenue, 0)::numeric(14, 2)::text,
        'average_order_value', coalesce(d.average_order_value, 0)::numeric(14, 2)::text
      ) order by g.day),
      'next_cursor', null
    )
    from generate_series(v_from, v_to, interval '1 day') as g (day)
    left join reporting.daily_sales d on d.day = g.day::date
  );
end
$$;
comment on function api.sales_report(date, date) is
  'GET /api/admin/reports/sales (admin): revenue orders, units, revenue and average order value per UTC day '
  'from p_from to p_to (default: the last 30 days), days without sales as zeros; real time. PT422 invalid_range.';

create or replace function api.products_report(
  p_limit integer default 10,
  p_from date default null,
  p_to date default null
) returns json
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_limit integer;
begin
  perform lib.require_admin();
  v_limit := lib.page_limit(p_limit, 10);
  if p_from is null and p_to is null then
    -- All time: the materialized view (as of its last refresh).
    return (
      select json_build_object('items', coalesce(json_agg(json_build_object(
        'product_id', t.product_id, 'name', t.name, 'units_sold', t.units_sold,
        'revenue', t.revenue::text, 'orders', t.orders) order by t.revenue desc, t.product_id), '[]'),
        'next_cursor', null)
      from (
        select pp.product_id, pp.name, pp.units_sold, pp.revenue, pp.orders
        from reporting.product_performance pp
        where pp.units_sold > 0
        order by pp.revenue desc, pp.product_id
        limit v_limit
      ) t
    );
  end if;
  perform lib.check_report_range(p_from, p_to, lib.setting('products_report_max_days')::integer);
  -- A date range: from the orders themselves, current to the second.
  return (
    select json_build_object('items', coalesce(json_agg(json_build_object(
      'product_id', t.product_id, 'name', t.name, 'units_sold', t.units_sold,
      'revenue', t.revenue::text, 'orders', t.orders) order by t.revenue desc, t.product_id), '[]'),
      'next_cursor', null)
    from (
      select oi.product_id, p.name, sum(oi.quantity) as units_sold, sum(oi.total_price) as revenue,
             count(distinct oi.order_id) as orders
      from shop.orders o
      join shop.order_items oi on oi.order_id = o.id
      join shop.products p on p.id = oi.product_id
      where o.status in (select s.status from shop.order_statuses s where s.counts_as_revenue)
        and (p_from is null or o.created_at >= (p_from::timestamp at time zone 'UTC'))
        and (p_to is null or o.created_at < ((p_to + 1)::timestamp at time zone 'UTC'))
      group by oi.product_id, p.name
      order by revenue desc, oi.product_id
      limit v_limit
    ) t
  );
end
$$;
comment on function api.products_report(integer, date, date) is
  'GET /api/admin/reports/products (admin): top products by revenue {product_id, name, units_sold, revenue, '
  'orders}. Without dates: all time from reporting.product_performance; with from/to (UTC days, inclusive): '
  'computed from the orders. PT422 invalid_limit, invalid_range.';

create or replace function api.categories_report() returns json
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  perform lib.require_admin();
  return (
    select json_build_object('items', coalesce(json_agg(json_build_object(
      'category_id', s.category_id, 'name', s.name, 'parent_id', s.parent_id, 'orders', s.orders,
      'units', s.units, 'revenue', s.revenue::text) order by s.revenue desc, s.category_id), '[]'),
      'next_cursor', null)
    from reporting.sales_by_category s
  );
end
$$;
comment on function api.categories_report() is
  'GET /api/admin/reports/categories (admin): sales per category with its subtree rolled up, from '
  'reporting.sales_by_category (as of its last refresh).';

create or replace function api.audit_list(
  p_table text,
  p_id bigint,
  p_limit integer default 20,
  p_cursor text default null
) returns json
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_limit integer;
  v_after jsonb;
  v_rows audit.log[];
begin
  perform lib.require_admin();
  v_after := lib.cursor_decode(p_cursor, 'audit', 'bigint');
  if p_table is null or p_table not in ('users', 'categories', 'products', 'variants', 'orders') then
    raise exception using errcode = 'PT422', message = 'invalid_table',
      detail = 'table must be one of users, categories, products, variants, orders';
  end if;
  v_limit := lib.page_limit(p_limit, 20);
  select array(
    select l
    from audit.log l
    where l.table_name = p_table
      and l.row_id = p_id
      and (v_after is null or l.id < (v_after ->> 'id')::bigint)
    order by l.id desc
    limit v_limit + 1
  ) into v_rows;
  return json_build_object(
    'items', (select coalesce(json_agg(json_build_object(
                'id', l.id, 'operation', l.operation, 'old_values', l.old_values, 'new_values', l.new_values,
                'actor_id', l.actor_id, 'db_role', l.db_role, 'transaction_id', l.transaction_id, 'at', l.at)
              order by l.id desc), '[]')
              from unnest(v_rows[1:v_limit]) l),
    'next_cursor', case when cardinality(v_rows) > v_limit
                        then lib.cursor_encode('audit', v_rows[v_limit].id::text, v_rows[v_limit].id) end
  );
end
$$;
comment on function api.audit_list(text, bigint, integer, text) is
  'GET /api/admin/audit (admin): the audit trail of one row, newest first, keyset-paginated. '
  'PT422 invalid_table, invalid_limit, invalid_cursor.';

create or replace function shop.tg_orders__daily_sales() returns trigger
language plpgsql
volatile
as $$
declare
  v_changes jsonb := '[]';
begin
  -- Each transition table exists only for its events; an UPDATE counts the rows whose status, total or
  -- date changed (out of revenue: minus the old row; into revenue: plus the new one).
  if tg_op = 'INSERT' then
    select coalesce(jsonb_agg(jsonb_build_object('order_id', n.id, 'created_at', n.created_at,
                                                 'revenue', n.total_amount, 'sign', 1)), '[]')
    into v_changes
    from new_rows n
    where n.status in (select s.status from shop.order_statuses s where s.counts_as_revenue);
  elsif tg_op = 'DELETE' then
    select coalesce(jsonb_agg(jsonb_build_object('order_id', o.id, 'created_at', o.created_at,
                                                 'revenue', o.total_amount, 'sign', -1)), '[]')
    into v_changes
    from old_rows o
    where o.status in (select s.status from shop.order_statuses s where s.counts_as_revenue);
  else
    -- EXECUTE: planned for this statement's rows (see db/README.md, transition tables).
    execute $q$
      select coalesce(jsonb_agg(c.change), '[]')
      from new_rows n
      join old_rows o on o.id = n.id
      cross join lateral (
        select jsonb_build_object('order_id', o.id, 'created_at', o.created_at, 'revenue', o.total_amount, 'sign', -1)
        where o.status in (select s.status from shop.order_statuses s where s.counts_as_revenue)
        union all
        select jsonb_build_object('order_id', n.id, 'created_at', n.created_at, 'revenue', n.total_amount, 'sign', 1)
        where n.status in (select s.status from shop.order_statuses s where s.counts_as_revenue)
      ) c (change)
      where (o.status, o.total_amount, o.created_at) is distinct from (n.status, n.total_amount, n.created_at)$q$
    into v_changes;
  end if;
  if jsonb_array_length(v_changes) = 0 then
    return null;
  end if;

  -- Update the days that have a row; insert the others (only ever positive). An INSERT ... ON CONFLICT
  -- alone would check the negative candidate row against daily_sales_not_negative.
  with net as (
    select
      (c.created_at at time zone 'UTC')::date as day,
      sum(c.sign)::integer as orders,
      sum(c.sign * coalesce(u.units, 0))::integer as units,
      sum(c.sign * c.revenue) as revenue
    from jsonb_to_recordset(v_changes) as c (order_id bigint, created_at timestamptz, revenue numeric, sign integer)
    left join lateral (
      select sum(oi.quantity) as units from shop.order_items oi where oi.order_id = c.order_id
    ) u on true
    group by 1
  ), updated as (
    update shop.daily_sales d
    set orders = d.orders + net.orders,
        units = d.units + net.units,
        revenue = d.revenue + net.revenue
    from net
    where d.day = net.day
    returning d.day
  )
  insert into shop.daily_sales as d (day, orders, units, revenue)
  select net.day, net.orders, net.units, net.revenue
  from net
  where net.day not in (select updated.day from updated)
  order by net.day
  on conflict (day) do update
    set orders = d.orders + excluded.orders,
        units = d.units + excluded.units,
        revenue = d.revenue + excluded.revenue;
  return null;
end
$$;
comment on function shop.tg_orders__daily_sales() is
  'Trigger: adds orders entering revenue status to shop.daily_sales and subtracts those leaving it.';

create or replace function shop.tg_order_items__daily_sales() returns trigger
language plpgsql
volatile
as $$
declare
  v_changes jsonb;
begin
  if tg_op = 'INSERT' then
    select jsonb_agg(jsonb_build_object('order_id', n.order_id, 'units', n.quantity)) into v_changes from new_rows n;
  elsif tg_op = 'DELETE' then
    select jsonb_agg(jsonb_build_object('order_id', o.order_id, 'units', -o.quantity)) into v_changes from old_rows o;
  else
    -- EXECUTE: planned for this statement's rows (see db/README.md, transition tables).
    execute $q$
      select jsonb_agg(c.change)
      from new_rows n
      join old_rows o on o.id = n.id
      cross join lateral (
        select jsonb_build_object('order_id', o.order_id, 'units', -o.quantity)
        union all
        select jsonb_build_object('order_id', n.order_id, 'units', n.quantity)
      ) c (change)
      where (o.order_id, o.quantity) is distinct from (n.order_id, n.quantity)$q$
    into v_changes;
  end if;
  update shop.daily_sales d
  set units = d.units + x.units
  from (
    select (o.created_at at time zone 'UTC')::date as day, sum(c.units)::integer as units
    from jsonb_to_recordset(v_changes) as c (order_id bigint, units integer)
    join shop.orders o on o.id = c.order_id
    where o.status in (select s.status from shop.order_statuses s where s.counts_as_revenue)
    group by 1
  ) x
  where d.day = x.day
    and x.units <> 0;
  return null;
end
$$;
comment on function shop.tg_order_items__daily_sales() is
  'Trigger: keeps shop.daily_sales.units right when lines of an order that already counts are written or '
  'removed.';

create or replace function audit.tg__log() returns trigger
language plpgsql
volatile
as $$
declare
  -- Columns never logged: the trigger's arguments (secrets, derived data) plus updated_at.
  v_skip text[] := array['updated_at'] || tg_argv;
  v_actor bigint := shop.current_user_id();
begin
  if tg_op = 'INSERT' then
    insert into audit.log (table_name, row_id, operation, new_values, actor_id)
    select tg_table_name, n.id, tg_op, to_jsonb(n) - v_skip, v_actor
    from new_rows n
    order by n.id;
  elsif tg_op = 'DELETE' then
    insert into audit.log (table_name, row_id, operation, old_values, actor_id)
    select tg_table_name, o.id, tg_op, to_jsonb(o) - v_skip, v_actor
    from old_rows o
    order by o.id;
  else
    -- EXECUTE: planned for this statement's rows (see db/README.md, transition tables).
    execute $q$
      insert into audit.log (table_name, row_id, operation, old_values, new_values, actor_id)
      select $1, d.id, 'UPDATE', d.old_values, d.new_values, $3
      from (
        select
          n.id,
          (select jsonb_object_agg(e.key, e.value) from jsonb_each(j.old_row) e
           where e.value is distinct from j.new_row -> e.key) as old_values,
          (select jsonb_object_agg(e.key, e.value) from jsonb_each(j.new_row) e
           where e.value is distinct from j.old_row -> e.key) as new_values
        from new_rows n
        join old_rows o on o.id = n.id
        -- Each row turned into JSON once (offset 0 keeps the planner from inlining it per use).
        cross join lateral (select to_jsonb(o) - $2 as old_row, to_jsonb(n) - $2 as new_row offset 0) j
      ) d
      where d.new_values is not null
      order by d.id$q$
    using tg_table_name, v_skip, v_actor;
  end if;
  return null;
end
$$;
comment on function audit.tg__log() is
  'Trigger (statement level): writes audit.log rows for the rows changed; its arguments name columns never to '
  'log.';

create or replace function audit.tg__append_only() returns trigger
language plpgsql
volatile
as $$
begin
  raise exception using
    errcode = 'PT409', message = 'append_only', detail = 'the audit log is never changed or deleted';
end
$$;
comment on function audit.tg__append_only() is 'Trigger: the audit log is append-only.';

select shop.layer_view('reporting.daily_sales', $$
select
  d.day,
  d.orders,
  d.units,
  d.revenue,
  round(d.revenue / nullif(d.orders, 0), 2) as average_order_value
from shop.daily_sales d
where d.orders > 0
$$);
comment on view reporting.daily_sales is
  'Sales per day, current the moment an order is paid (no refresh). Revenue counts paid, shipped and '
  'delivered orders; never pending or cancelled. Days are UTC order dates; days without sales are absent.';
comment on column reporting.daily_sales.day is 'UTC calendar day the orders were placed.';
comment on column reporting.daily_sales.orders is
  'Number of revenue orders (paid, shipped or delivered) placed that day.';
comment on column reporting.daily_sales.units is 'Units sold in those orders.';
comment on column reporting.daily_sales.revenue is
  'Sum of those orders'' totals (currency units, 2 decimals).';
comment on column reporting.daily_sales.average_order_value is 'revenue / orders, rounded to cents.';

select shop.layer_trigger('shop.orders', $$
  create trigger _400_daily_sales_delete after delete on %s
  referencing old table as old_rows
  for each statement execute function shop.tg_orders__daily_sales()$$);
select shop.layer_trigger('shop.orders', $$
  create trigger _400_daily_sales_insert after insert on %s
  referencing new table as new_rows
  for each statement execute function shop.tg_orders__daily_sales()$$);
select shop.layer_trigger('shop.orders', $$
  create trigger _400_daily_sales_update after update on %s
  referencing old table as old_rows new table as new_rows
  for each statement execute function shop.tg_orders__daily_sales()$$);

select shop.layer_trigger('shop.order_items', $$
  create trigger _400_daily_sales_delete after delete on %s
  referencing old table as old_rows
  for each statement execute function shop.tg_order_items__daily_sales()$$);
select shop.layer_trigger('shop.order_items', $$
  create trigger _400_daily_sales_insert after insert on %s
  referencing new table as new_rows
  for each statement execute function shop.tg_order_items__daily_sales()$$);
select shop.layer_trigger('shop.order_items', $$
  create trigger _400_daily_sales_update after update on %s
  referencing old table as old_rows new table as new_rows
  for each statement execute function shop.tg_order_items__daily_sales()$$);

select shop.layer_trigger('audit.log', $$
  create trigger _100_append_only before delete or update or truncate on %s
  for each statement execute function audit.tg__append_only()$$);

-- The audited tables, each with the columns its log leaves out (secrets, derived data): three statement-level
-- triggers each (one per operation: transition tables allow one event per trigger).
select shop.layer_trigger(a.tbl::regclass, format(
  'create trigger _500_audit_%s after %s on %%s referencing %s for each statement execute function audit.tg__log(%s)',
  o.op, o.op, o.tables, a.skip))
from (values ('shop.users', '''password_hash'''), ('shop.categories', ''), ('shop.products', '''search'', ''price'', ''in_stock'''),
             ('shop.variants', '''combination'''), ('shop.orders', '')) a(tbl, skip)
cross join (values ('insert', 'new table as new_rows'), ('update', 'old table as old_rows new table as new_rows'),
                   ('delete', 'old table as old_rows')) o(op, tables)
order by a.tbl, o.op;
