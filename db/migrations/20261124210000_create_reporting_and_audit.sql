-- migrate:up
-- Reporting for BI tools and admins, and the audit log.
-- Revenue counts orders whose status is paid, shipped or delivered; never pending or cancelled.
-- Days are UTC calendar days of the order's created_at (the order date).

-- Real-time daily sales: a rollup kept by a statement-level trigger on shop.orders. An order enters it
-- when it becomes paid (or is written paid) and leaves it when cancelled; pending orders never count.
create table shop.daily_sales (
  day date primary key,
  orders integer not null default 0,
  units integer not null default 0,
  revenue numeric(14, 2) not null default 0,
  constraint daily_sales_not_negative check (orders >= 0 and units >= 0 and revenue >= 0)
);
comment on table shop.daily_sales is
  'Rollup of revenue orders per UTC order day, kept current by tg_orders__daily_sales (no refresh needed).';

create function shop.tg_orders__daily_sales() returns trigger
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
comment on function shop.tg_orders__daily_sales() is
  'Trigger: adds orders entering revenue status to shop.daily_sales and subtracts those leaving it.';
-- Transition tables need one trigger per event; old_rows/new_rows are only read where they exist.
create trigger tg_orders__daily_sales_insert
  after insert on shop.orders
  referencing new table as new_rows
  for each statement execute function shop.tg_orders__daily_sales();
create trigger tg_orders__daily_sales_update
  after update on shop.orders
  referencing old table as old_rows new table as new_rows
  for each statement execute function shop.tg_orders__daily_sales();
create trigger tg_orders__daily_sales_delete
  after delete on shop.orders
  referencing old table as old_rows
  for each statement execute function shop.tg_orders__daily_sales();

-- Units of lines written or removed while their order already counts (an order imported as paid gets
-- its lines after it; deleting an order removes its lines first).
create function shop.tg_order_items__daily_sales() returns trigger
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
comment on function shop.tg_order_items__daily_sales() is
  'Trigger: keeps shop.daily_sales.units right when lines of an order that already counts are written or removed.';
create trigger tg_order_items__daily_sales_insert
  after insert on shop.order_items
  referencing new table as new_rows
  for each statement execute function shop.tg_order_items__daily_sales();
create trigger tg_order_items__daily_sales_update
  after update on shop.order_items
  referencing old table as old_rows new table as new_rows
  for each statement execute function shop.tg_order_items__daily_sales();
create trigger tg_order_items__daily_sales_delete
  after delete on shop.order_items
  referencing old table as old_rows
  for each statement execute function shop.tg_order_items__daily_sales();

insert into shop.daily_sales (day, orders, units, revenue)
select (o.created_at at time zone 'UTC')::date, count(*), coalesce(sum(u.units), 0), sum(o.total_amount)
from shop.orders o
left join lateral (select sum(oi.quantity) as units from shop.order_items oi where oi.order_id = o.id) u on true
where o.status in ('paid', 'shipped', 'delivered')
group by 1;

create view reporting.daily_sales as
select
  d.day,
  d.orders,
  d.units,
  d.revenue,
  round(d.revenue / nullif(d.orders, 0), 2) as average_order_value
from shop.daily_sales d
where d.orders > 0;
comment on view reporting.daily_sales is
  'Sales per day, current the moment an order is paid (no refresh). Revenue counts paid, shipped and '
  'delivered orders; never pending or cancelled. Days are UTC order dates; days without sales are absent.';
comment on column reporting.daily_sales.day is 'UTC calendar day the orders were placed.';
comment on column reporting.daily_sales.orders is 'Number of revenue orders (paid, shipped or delivered) placed that day.';
comment on column reporting.daily_sales.units is 'Units sold in those orders.';
comment on column reporting.daily_sales.revenue is 'Sum of those orders'' totals (currency units, 2 decimals).';
comment on column reporting.daily_sales.average_order_value is 'revenue / orders, rounded to cents.';

-- Heavy questions: materialized views, each with a unique index so it refreshes CONCURRENTLY.
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

-- BI: bi_reader reads reporting and nothing else (views run with their owner's rights, so only the
-- columns they show are reachable).
grant select on all tables in schema reporting to bi_reader;
alter default privileges in schema reporting grant select on tables to bi_reader;

-- Audit: one generic, statement-level trigger for every audited table.
create table audit.log (
  id bigint generated always as identity primary key,
  table_name text not null,
  row_id bigint not null,
  operation text not null,
  old_values jsonb,
  new_values jsonb,
  actor_id bigint,
  db_role text not null default session_user,
  transaction_id bigint not null default txid_current(),
  at timestamptz not null default now(),
  constraint log_operation_known check (operation in ('INSERT', 'UPDATE', 'DELETE'))
);
create index log_row_idx on audit.log (table_name, row_id, id desc);
comment on table audit.log is
  'Append-only change log of users (never the password hash), categories, products (stock changes included) '
  'and orders: the changed columns'' old and new values, who (API user, else database role), transaction, time.';
comment on column audit.log.row_id is 'Primary key (id) of the changed row.';
comment on column audit.log.old_values is 'UPDATE: the changed columns before; DELETE: the whole row.';
comment on column audit.log.new_values is 'UPDATE: the changed columns after; INSERT: the whole row.';
comment on column audit.log.actor_id is 'The API user (request.jwt.claims sub); null when changed outside the API.';
comment on column audit.log.db_role is 'The database login that made the change (pgshop_api for the API).';

create function audit.tg__log() returns trigger
language plpgsql
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
    insert into audit.log (table_name, row_id, operation, old_values, new_values, actor_id)
    select tg_table_name, d.id, tg_op, d.old_values, d.new_values, v_actor
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
      cross join lateral (select to_jsonb(o) - v_skip as old_row, to_jsonb(n) - v_skip as new_row offset 0) j
    ) d
    where d.new_values is not null
    order by d.id;
  end if;
  return null;
end
$$;
comment on function audit.tg__log() is
  'Trigger (statement level): writes audit.log rows for the rows changed; its arguments name columns never to log.';

create function audit.tg__append_only() returns trigger
language plpgsql
as $$
begin
  raise exception using
    errcode = 'PT409', message = 'append_only', detail = 'the audit log is never changed or deleted';
end
$$;
comment on function audit.tg__append_only() is 'Trigger: the audit log is append-only.';
create trigger tg_log__append_only
  before update or delete or truncate on audit.log
  for each statement execute function audit.tg__append_only();

create trigger tg_users__audit_insert after insert on shop.users
  referencing new table as new_rows for each statement execute function audit.tg__log('password_hash');
create trigger tg_users__audit_update after update on shop.users
  referencing old table as old_rows new table as new_rows for each statement execute function audit.tg__log('password_hash');
create trigger tg_users__audit_delete after delete on shop.users
  referencing old table as old_rows for each statement execute function audit.tg__log('password_hash');
create trigger tg_categories__audit_insert after insert on shop.categories
  referencing new table as new_rows for each statement execute function audit.tg__log();
create trigger tg_categories__audit_update after update on shop.categories
  referencing old table as old_rows new table as new_rows for each statement execute function audit.tg__log();
create trigger tg_categories__audit_delete after delete on shop.categories
  referencing old table as old_rows for each statement execute function audit.tg__log();
create trigger tg_products__audit_insert after insert on shop.products
  referencing new table as new_rows for each statement execute function audit.tg__log('search');
create trigger tg_products__audit_update after update on shop.products
  referencing old table as old_rows new table as new_rows for each statement execute function audit.tg__log('search');
create trigger tg_products__audit_delete after delete on shop.products
  referencing old table as old_rows for each statement execute function audit.tg__log('search');
create trigger tg_orders__audit_insert after insert on shop.orders
  referencing new table as new_rows for each statement execute function audit.tg__log();
create trigger tg_orders__audit_update after update on shop.orders
  referencing old table as old_rows new table as new_rows for each statement execute function audit.tg__log();
create trigger tg_orders__audit_delete after delete on shop.orders
  referencing old table as old_rows for each statement execute function audit.tg__log();

-- migrate:down
drop trigger tg_orders__audit_delete on shop.orders;
drop trigger tg_orders__audit_update on shop.orders;
drop trigger tg_orders__audit_insert on shop.orders;
drop trigger tg_products__audit_delete on shop.products;
drop trigger tg_products__audit_update on shop.products;
drop trigger tg_products__audit_insert on shop.products;
drop trigger tg_categories__audit_delete on shop.categories;
drop trigger tg_categories__audit_update on shop.categories;
drop trigger tg_categories__audit_insert on shop.categories;
drop trigger tg_users__audit_delete on shop.users;
drop trigger tg_users__audit_update on shop.users;
drop trigger tg_users__audit_insert on shop.users;
drop table audit.log;
drop function audit.tg__append_only();
drop function audit.tg__log();
alter default privileges in schema reporting revoke select on tables from bi_reader;
drop materialized view reporting.inventory_status;
drop materialized view reporting.customer_summary;
drop materialized view reporting.sales_by_category;
drop materialized view reporting.product_performance;
drop view reporting.daily_sales;
drop trigger tg_order_items__daily_sales_delete on shop.order_items;
drop trigger tg_order_items__daily_sales_update on shop.order_items;
drop trigger tg_order_items__daily_sales_insert on shop.order_items;
drop function shop.tg_order_items__daily_sales();
drop trigger tg_orders__daily_sales_delete on shop.orders;
drop trigger tg_orders__daily_sales_update on shop.orders;
drop trigger tg_orders__daily_sales_insert on shop.orders;
drop function shop.tg_orders__daily_sales();
drop table shop.daily_sales;
