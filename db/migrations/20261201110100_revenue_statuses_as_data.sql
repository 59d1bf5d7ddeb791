-- migrate:up
-- The materialized views are replaced by the same views reading the lookup: same names, columns and
-- comments, so BI clients see no difference.
-- squawk-ignore-file ban-drop-view
-- Which statuses count as revenue is data, stated once: shop.order_statuses.counts_as_revenue. The rollup
-- triggers and the reporting views read it instead of each naming paid, shipped and delivered. The views are
-- created again (their definitions change), with their data, indexes and comments.
alter table shop.order_statuses add column counts_as_revenue boolean not null default false;
update shop.order_statuses set counts_as_revenue = true where status in ('paid', 'shipped', 'delivered');
comment on column shop.order_statuses.counts_as_revenue is
  'True for the statuses whose orders count as revenue (paid, shipped, delivered): daily sales, reports, views.';

create or replace function shop.tg_orders__daily_sales() returns trigger
language plpgsql
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
    select coalesce(jsonb_agg(c.change), '[]')
    into v_changes
    from new_rows n
    join old_rows o on o.id = n.id
    cross join lateral (
      select jsonb_build_object('order_id', o.id, 'created_at', o.created_at, 'revenue', o.total_amount, 'sign', -1)
      where o.status in (select s.status from shop.order_statuses s where s.counts_as_revenue)
      union all
      select jsonb_build_object('order_id', n.id, 'created_at', n.created_at, 'revenue', n.total_amount, 'sign', 1)
      where n.status in (select s.status from shop.order_statuses s where s.counts_as_revenue)
    ) c (change)
    where (o.status, o.total_amount, o.created_at) is distinct from (n.status, n.total_amount, n.created_at);
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

create or replace function shop.tg_order_items__daily_sales() returns trigger
language plpgsql
as $$
declare
  v_changes jsonb;
begin
  if tg_op = 'INSERT' then
    select jsonb_agg(jsonb_build_object('order_id', n.order_id, 'units', n.quantity)) into v_changes from new_rows n;
  elsif tg_op = 'DELETE' then
    select jsonb_agg(jsonb_build_object('order_id', o.order_id, 'units', -o.quantity)) into v_changes from old_rows o;
  else
    select jsonb_agg(c.change) into v_changes
    from new_rows n
    join old_rows o on o.id = n.id
    cross join lateral (
      select jsonb_build_object('order_id', o.order_id, 'units', -o.quantity)
      union all
      select jsonb_build_object('order_id', n.order_id, 'units', n.quantity)
    ) c (change)
    where (o.order_id, o.quantity) is distinct from (n.order_id, n.quantity);
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

drop materialized view reporting.inventory_status;
drop materialized view reporting.customer_summary;
drop materialized view reporting.sales_by_category;
drop materialized view reporting.product_performance;

create materialized view reporting.product_performance as
with sales as (
  select
    oi.product_id,
    sum(oi.quantity) as units_sold,
    sum(oi.total_price) as revenue,
    count(*) as orders,
    max(o.created_at) as last_sold_at,
    coalesce(sum(oi.quantity) filter (where o.created_at >= now() - interval '30 days'), 0) as units_last_30_days
  from shop.order_items oi
  join shop.orders o on o.id = oi.order_id
  where o.status in (select s.status from shop.order_statuses s where s.counts_as_revenue)
  group by oi.product_id
)
select
  p.id as product_id,
  p.name,
  p.sku,
  p.category_id,
  p.price as current_price,
  p.is_active,
  p.deleted_at is not null as is_deleted,
  coalesce(s.units_sold, 0)::bigint as units_sold,
  coalesce(s.revenue, 0)::numeric(14, 2) as revenue,
  coalesce(s.orders, 0)::bigint as orders,
  s.last_sold_at,
  p.stock_quantity as stock_on_hand,
  coalesce(s.units_last_30_days, 0)::bigint as units_last_30_days,
  round(p.stock_quantity / nullif(s.units_last_30_days / 30.0, 0), 1) as days_of_cover,
  now() as refreshed_at
from shop.products p
left join sales s on s.product_id = p.id;
-- The view was created just above: nobody writes to it yet.
-- squawk-ignore require-concurrent-index-creation
create unique index product_performance_product_id_key on reporting.product_performance (product_id);
-- The view was created just above: nobody writes to it yet.
-- squawk-ignore require-concurrent-index-creation
create index product_performance_revenue_idx on reporting.product_performance (revenue desc, product_id);
comment on materialized view reporting.product_performance is
  'One row per product (deleted ones included, flagged): what it sold (paid, shipped, delivered orders), its '
  'stock and how long that stock lasts at the last 30 days'' pace. Refreshed by lib.refresh_reporting().';
comment on column reporting.product_performance.product_id is 'Product id (shop.products.id).';
comment on column reporting.product_performance.name is 'Current product name.';
comment on column reporting.product_performance.sku is 'Current SKU.';
comment on column reporting.product_performance.category_id is 'Category the product is filed under.';
comment on column reporting.product_performance.current_price is 'Current list price (orders keep the price they were sold at).';
comment on column reporting.product_performance.is_active is 'False when the product is hidden from the shop.';
comment on column reporting.product_performance.is_deleted is 'True when the product was deleted (kept for past orders).';
comment on column reporting.product_performance.units_sold is 'Units sold in revenue orders, all time.';
comment on column reporting.product_performance.revenue is 'Revenue from those units at the prices they were sold at.';
comment on column reporting.product_performance.orders is 'Number of revenue orders containing the product.';
comment on column reporting.product_performance.last_sold_at is 'When the latest revenue order containing it was placed.';
comment on column reporting.product_performance.stock_on_hand is 'Units in stock at refresh time.';
comment on column reporting.product_performance.units_last_30_days is 'Units sold in revenue orders placed in the 30 days before refresh.';
comment on column reporting.product_performance.days_of_cover is
  'Days the stock on hand lasts at the last 30 days'' average daily sales; null when nothing sold in that time.';
comment on column reporting.product_performance.refreshed_at is 'When this view was last refreshed.';

create materialized view reporting.sales_by_category as
with recursive subtree (category_id, member_id) as (
  select c.id, c.id from shop.categories c
  union all
  select s.category_id, c.id
  from subtree s
  join shop.categories c on c.parent_id = s.member_id
), sold as (
  select p.category_id, oi.order_id, oi.quantity, oi.total_price
  from shop.order_items oi
  join shop.orders o on o.id = oi.order_id
  join shop.products p on p.id = oi.product_id
  where o.status in (select s.status from shop.order_statuses s where s.counts_as_revenue)
)
select
  c.id as category_id,
  c.name,
  c.parent_id,
  count(distinct sold.order_id) as orders,
  coalesce(sum(sold.quantity), 0)::bigint as units,
  coalesce(sum(sold.total_price), 0)::numeric(14, 2) as revenue,
  now() as refreshed_at
from shop.categories c
join subtree st on st.category_id = c.id
left join sold on sold.category_id = st.member_id
group by c.id, c.name, c.parent_id;
-- The view was created just above: nobody writes to it yet.
-- squawk-ignore require-concurrent-index-creation
create unique index sales_by_category_category_id_key on reporting.sales_by_category (category_id);
comment on materialized view reporting.sales_by_category is
  'Sales per category with its whole subtree rolled up (a parent includes its children''s sales). Revenue '
  'orders only (paid, shipped, delivered). Refreshed by lib.refresh_reporting().';
comment on column reporting.sales_by_category.category_id is 'Category id (shop.categories.id).';
comment on column reporting.sales_by_category.name is 'Category name.';
comment on column reporting.sales_by_category.parent_id is 'Parent category; null for a root.';
comment on column reporting.sales_by_category.orders is 'Revenue orders with at least one product in this category or below it.';
comment on column reporting.sales_by_category.units is 'Units sold from this category and below.';
comment on column reporting.sales_by_category.revenue is 'Revenue from this category and below, at the prices sold.';
comment on column reporting.sales_by_category.refreshed_at is 'When this view was last refreshed.';

create materialized view reporting.customer_summary as
select
  o.user_id as customer_id,
  count(*) as orders,
  sum(o.total_amount)::numeric(14, 2) as lifetime_value,
  round(avg(o.total_amount), 2) as average_order_value,
  min(o.created_at) as first_order_at,
  max(o.created_at) as last_order_at,
  now() as refreshed_at
from shop.orders o
where o.status in (select s.status from shop.order_statuses s where s.counts_as_revenue)
group by o.user_id;
-- The view was created just above: nobody writes to it yet.
-- squawk-ignore require-concurrent-index-creation
create unique index customer_summary_customer_id_key on reporting.customer_summary (customer_id);
comment on materialized view reporting.customer_summary is
  'One row per customer with at least one revenue order (paid, shipped, delivered). Deliberately no email, '
  'name or address: customer_id is the only key. Refreshed by lib.refresh_reporting().';
comment on column reporting.customer_summary.customer_id is 'Customer id (shop.users.id); no personal data here.';
comment on column reporting.customer_summary.orders is 'Revenue orders placed by the customer.';
comment on column reporting.customer_summary.lifetime_value is 'Sum of those orders'' totals.';
comment on column reporting.customer_summary.average_order_value is 'lifetime_value / orders, rounded to cents.';
comment on column reporting.customer_summary.first_order_at is 'When the first revenue order was placed.';
comment on column reporting.customer_summary.last_order_at is 'When the latest revenue order was placed.';
comment on column reporting.customer_summary.refreshed_at is 'When this view was last refreshed.';

create materialized view reporting.inventory_status as
select
  p.id as product_id,
  p.name,
  p.sku,
  p.category_id,
  p.is_active,
  p.stock_quantity,
  p.low_stock_threshold,
  p.stock_quantity <= p.low_stock_threshold as is_low,
  a.opened_at as low_since,
  coalesce(s.units, 0)::bigint as units_last_30_days,
  round(p.stock_quantity / nullif(s.units / 30.0, 0), 1) as days_of_cover,
  now() as refreshed_at
from shop.products p
left join shop.low_stock_alerts a on a.product_id = p.id and a.closed_at is null
left join (
  select oi.product_id, sum(oi.quantity) as units
  from shop.order_items oi
  join shop.orders o on o.id = oi.order_id
  where o.status in (select s.status from shop.order_statuses s where s.counts_as_revenue)
    and o.created_at >= now() - interval '30 days'
  group by oi.product_id
) s on s.product_id = p.id
where p.deleted_at is null;
-- The view was created just above: nobody writes to it yet.
-- squawk-ignore require-concurrent-index-creation
create unique index inventory_status_product_id_key on reporting.inventory_status (product_id);
comment on materialized view reporting.inventory_status is
  'Stock position of every live product: on hand, threshold, low or not since when, and days of cover at '
  'the last 30 days'' pace. Refreshed by lib.refresh_reporting(); the admin API''s low-stock list is real time.';
comment on column reporting.inventory_status.product_id is 'Product id (shop.products.id).';
comment on column reporting.inventory_status.name is 'Product name.';
comment on column reporting.inventory_status.sku is 'SKU.';
comment on column reporting.inventory_status.category_id is 'Category the product is filed under.';
comment on column reporting.inventory_status.is_active is 'False when the product is hidden from the shop.';
comment on column reporting.inventory_status.stock_quantity is 'Units on hand at refresh time.';
comment on column reporting.inventory_status.low_stock_threshold is 'At or below this the product is low on stock.';
comment on column reporting.inventory_status.is_low is 'stock_quantity <= low_stock_threshold.';
comment on column reporting.inventory_status.low_since is 'When the open low-stock alert was raised; null when not low.';
comment on column reporting.inventory_status.units_last_30_days is 'Units sold in revenue orders placed in the last 30 days.';
comment on column reporting.inventory_status.days_of_cover is
  'Days the stock lasts at the last 30 days'' average daily sales; null when nothing sold in that time.';
comment on column reporting.inventory_status.refreshed_at is 'When this view was last refreshed.';


-- migrate:down
select shop.drop_function_layer();
create or replace function shop.tg_orders__daily_sales() returns trigger
language plpgsql
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
    where n.status in ('paid', 'shipped', 'delivered');
  elsif tg_op = 'DELETE' then
    select coalesce(jsonb_agg(jsonb_build_object('order_id', o.id, 'created_at', o.created_at,
                                                 'revenue', o.total_amount, 'sign', -1)), '[]')
    into v_changes
    from old_rows o
    where o.status in ('paid', 'shipped', 'delivered');
  else
    select coalesce(jsonb_agg(c.change), '[]')
    into v_changes
    from new_rows n
    join old_rows o on o.id = n.id
    cross join lateral (
      select jsonb_build_object('order_id', o.id, 'created_at', o.created_at, 'revenue', o.total_amount, 'sign', -1)
      where o.status in ('paid', 'shipped', 'delivered')
      union all
      select jsonb_build_object('order_id', n.id, 'created_at', n.created_at, 'revenue', n.total_amount, 'sign', 1)
      where n.status in ('paid', 'shipped', 'delivered')
    ) c (change)
    where (o.status, o.total_amount, o.created_at) is distinct from (n.status, n.total_amount, n.created_at);
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

create or replace function shop.tg_order_items__daily_sales() returns trigger
language plpgsql
as $$
declare
  v_changes jsonb;
begin
  if tg_op = 'INSERT' then
    select jsonb_agg(jsonb_build_object('order_id', n.order_id, 'units', n.quantity)) into v_changes from new_rows n;
  elsif tg_op = 'DELETE' then
    select jsonb_agg(jsonb_build_object('order_id', o.order_id, 'units', -o.quantity)) into v_changes from old_rows o;
  else
    select jsonb_agg(c.change) into v_changes
    from new_rows n
    join old_rows o on o.id = n.id
    cross join lateral (
      select jsonb_build_object('order_id', o.order_id, 'units', -o.quantity)
      union all
      select jsonb_build_object('order_id', n.order_id, 'units', n.quantity)
    ) c (change)
    where (o.order_id, o.quantity) is distinct from (n.order_id, n.quantity);
  end if;
  update shop.daily_sales d
  set units = d.units + x.units
  from (
    select (o.created_at at time zone 'UTC')::date as day, sum(c.units)::integer as units
    from jsonb_to_recordset(v_changes) as c (order_id bigint, units integer)
    join shop.orders o on o.id = c.order_id
    where o.status in ('paid', 'shipped', 'delivered')
    group by 1
  ) x
  where d.day = x.day
    and x.units <> 0;
  return null;
end
$$;

drop materialized view reporting.inventory_status;
drop materialized view reporting.customer_summary;
drop materialized view reporting.sales_by_category;
drop materialized view reporting.product_performance;

create materialized view reporting.product_performance as
with sales as (
  select
    oi.product_id,
    sum(oi.quantity) as units_sold,
    sum(oi.total_price) as revenue,
    count(*) as orders,
    max(o.created_at) as last_sold_at,
    coalesce(sum(oi.quantity) filter (where o.created_at >= now() - interval '30 days'), 0) as units_last_30_days
  from shop.order_items oi
  join shop.orders o on o.id = oi.order_id
  where o.status in ('paid', 'shipped', 'delivered')
  group by oi.product_id
)
select
  p.id as product_id,
  p.name,
  p.sku,
  p.category_id,
  p.price as current_price,
  p.is_active,
  p.deleted_at is not null as is_deleted,
  coalesce(s.units_sold, 0)::bigint as units_sold,
  coalesce(s.revenue, 0)::numeric(14, 2) as revenue,
  coalesce(s.orders, 0)::bigint as orders,
  s.last_sold_at,
  p.stock_quantity as stock_on_hand,
  coalesce(s.units_last_30_days, 0)::bigint as units_last_30_days,
  round(p.stock_quantity / nullif(s.units_last_30_days / 30.0, 0), 1) as days_of_cover,
  now() as refreshed_at
from shop.products p
left join sales s on s.product_id = p.id;
-- The view was created just above: nobody writes to it yet.
-- squawk-ignore require-concurrent-index-creation
create unique index product_performance_product_id_key on reporting.product_performance (product_id);
-- The view was created just above: nobody writes to it yet.
-- squawk-ignore require-concurrent-index-creation
create index product_performance_revenue_idx on reporting.product_performance (revenue desc, product_id);
comment on materialized view reporting.product_performance is
  'One row per product (deleted ones included, flagged): what it sold (paid, shipped, delivered orders), its '
  'stock and how long that stock lasts at the last 30 days'' pace. Refreshed by reporting.refresh().';
comment on column reporting.product_performance.product_id is 'Product id (shop.products.id).';
comment on column reporting.product_performance.name is 'Current product name.';
comment on column reporting.product_performance.sku is 'Current SKU.';
comment on column reporting.product_performance.category_id is 'Category the product is filed under.';
comment on column reporting.product_performance.current_price is 'Current list price (orders keep the price they were sold at).';
comment on column reporting.product_performance.is_active is 'False when the product is hidden from the shop.';
comment on column reporting.product_performance.is_deleted is 'True when the product was deleted (kept for past orders).';
comment on column reporting.product_performance.units_sold is 'Units sold in revenue orders, all time.';
comment on column reporting.product_performance.revenue is 'Revenue from those units at the prices they were sold at.';
comment on column reporting.product_performance.orders is 'Number of revenue orders containing the product.';
comment on column reporting.product_performance.last_sold_at is 'When the latest revenue order containing it was placed.';
comment on column reporting.product_performance.stock_on_hand is 'Units in stock at refresh time.';
comment on column reporting.product_performance.units_last_30_days is 'Units sold in revenue orders placed in the 30 days before refresh.';
comment on column reporting.product_performance.days_of_cover is
  'Days the stock on hand lasts at the last 30 days'' average daily sales; null when nothing sold in that time.';
comment on column reporting.product_performance.refreshed_at is 'When this view was last refreshed.';

create materialized view reporting.sales_by_category as
with recursive subtree (category_id, member_id) as (
  select c.id, c.id from shop.categories c
  union all
  select s.category_id, c.id
  from subtree s
  join shop.categories c on c.parent_id = s.member_id
), sold as (
  select p.category_id, oi.order_id, oi.quantity, oi.total_price
  from shop.order_items oi
  join shop.orders o on o.id = oi.order_id
  join shop.products p on p.id = oi.product_id
  where o.status in ('paid', 'shipped', 'delivered')
)
select
  c.id as category_id,
  c.name,
  c.parent_id,
  count(distinct sold.order_id) as orders,
  coalesce(sum(sold.quantity), 0)::bigint as units,
  coalesce(sum(sold.total_price), 0)::numeric(14, 2) as revenue,
  now() as refreshed_at
from shop.categories c
join subtree st on st.category_id = c.id
left join sold on sold.category_id = st.member_id
group by c.id, c.name, c.parent_id;
-- The view was created just above: nobody writes to it yet.
-- squawk-ignore require-concurrent-index-creation
create unique index sales_by_category_category_id_key on reporting.sales_by_category (category_id);
comment on materialized view reporting.sales_by_category is
  'Sales per category with its whole subtree rolled up (a parent includes its children''s sales). Revenue '
  'orders only (paid, shipped, delivered). Refreshed by reporting.refresh().';
comment on column reporting.sales_by_category.category_id is 'Category id (shop.categories.id).';
comment on column reporting.sales_by_category.name is 'Category name.';
comment on column reporting.sales_by_category.parent_id is 'Parent category; null for a root.';
comment on column reporting.sales_by_category.orders is 'Revenue orders with at least one product in this category or below it.';
comment on column reporting.sales_by_category.units is 'Units sold from this category and below.';
comment on column reporting.sales_by_category.revenue is 'Revenue from this category and below, at the prices sold.';
comment on column reporting.sales_by_category.refreshed_at is 'When this view was last refreshed.';

create materialized view reporting.customer_summary as
select
  o.user_id as customer_id,
  count(*) as orders,
  sum(o.total_amount)::numeric(14, 2) as lifetime_value,
  round(avg(o.total_amount), 2) as average_order_value,
  min(o.created_at) as first_order_at,
  max(o.created_at) as last_order_at,
  now() as refreshed_at
from shop.orders o
where o.status in ('paid', 'shipped', 'delivered')
group by o.user_id;
-- The view was created just above: nobody writes to it yet.
-- squawk-ignore require-concurrent-index-creation
create unique index customer_summary_customer_id_key on reporting.customer_summary (customer_id);
comment on materialized view reporting.customer_summary is
  'One row per customer with at least one revenue order (paid, shipped, delivered). Deliberately no email, '
  'name or address: customer_id is the only key. Refreshed by reporting.refresh().';
comment on column reporting.customer_summary.customer_id is 'Customer id (shop.users.id); no personal data here.';
comment on column reporting.customer_summary.orders is 'Revenue orders placed by the customer.';
comment on column reporting.customer_summary.lifetime_value is 'Sum of those orders'' totals.';
comment on column reporting.customer_summary.average_order_value is 'lifetime_value / orders, rounded to cents.';
comment on column reporting.customer_summary.first_order_at is 'When the first revenue order was placed.';
comment on column reporting.customer_summary.last_order_at is 'When the latest revenue order was placed.';
comment on column reporting.customer_summary.refreshed_at is 'When this view was last refreshed.';

create materialized view reporting.inventory_status as
select
  p.id as product_id,
  p.name,
  p.sku,
  p.category_id,
  p.is_active,
  p.stock_quantity,
  p.low_stock_threshold,
  p.stock_quantity <= p.low_stock_threshold as is_low,
  a.opened_at as low_since,
  coalesce(s.units, 0)::bigint as units_last_30_days,
  round(p.stock_quantity / nullif(s.units / 30.0, 0), 1) as days_of_cover,
  now() as refreshed_at
from shop.products p
left join shop.low_stock_alerts a on a.product_id = p.id and a.closed_at is null
left join (
  select oi.product_id, sum(oi.quantity) as units
  from shop.order_items oi
  join shop.orders o on o.id = oi.order_id
  where o.status in ('paid', 'shipped', 'delivered')
    and o.created_at >= now() - interval '30 days'
  group by oi.product_id
) s on s.product_id = p.id
where p.deleted_at is null;
-- The view was created just above: nobody writes to it yet.
-- squawk-ignore require-concurrent-index-creation
create unique index inventory_status_product_id_key on reporting.inventory_status (product_id);
comment on materialized view reporting.inventory_status is
  'Stock position of every live product: on hand, threshold, low or not since when, and days of cover at '
  'the last 30 days'' pace. Refreshed by reporting.refresh(); the admin API''s low-stock list is real time.';
comment on column reporting.inventory_status.product_id is 'Product id (shop.products.id).';
comment on column reporting.inventory_status.name is 'Product name.';
comment on column reporting.inventory_status.sku is 'SKU.';
comment on column reporting.inventory_status.category_id is 'Category the product is filed under.';
comment on column reporting.inventory_status.is_active is 'False when the product is hidden from the shop.';
comment on column reporting.inventory_status.stock_quantity is 'Units on hand at refresh time.';
comment on column reporting.inventory_status.low_stock_threshold is 'At or below this the product is low on stock.';
comment on column reporting.inventory_status.is_low is 'stock_quantity <= low_stock_threshold.';
comment on column reporting.inventory_status.low_since is 'When the open low-stock alert was raised; null when not low.';
comment on column reporting.inventory_status.units_last_30_days is 'Units sold in revenue orders placed in the last 30 days.';
comment on column reporting.inventory_status.days_of_cover is
  'Days the stock lasts at the last 30 days'' average daily sales; null when nothing sold in that time.';
comment on column reporting.inventory_status.refreshed_at is 'When this view was last refreshed.';

alter table shop.order_statuses drop column counts_as_revenue;
