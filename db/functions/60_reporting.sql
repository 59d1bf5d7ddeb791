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
  'pg_cron where available (db/functions/90_schedule.sql); the owner can also run it by hand.';

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
             count(*) as orders
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
  if p_table is null or p_table not in ('users', 'categories', 'products', 'orders') then
    raise exception using errcode = 'PT422', message = 'invalid_table',
      detail = 'table must be one of users, categories, products, orders';
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

