-- Generated data for measurements, set-based, on top of a migrated database (run as a superuser):
--   psql URL -v users=100000 -v orders=1000000 -v products=0 -f bench/generate.sql
-- products: extra catalog products to add (on top of the demo catalog). Orders spread over the last
-- 365 days with ~3 lines each; statuses 70% delivered, 10% shipped, 8% paid, 7% pending, 5% cancelled.
-- Triggers are bypassed while loading (session_replication_role = replica) and the derived state they
-- keep (daily sales rollup, status history) is rebuilt set-based at the end; stock is not touched.
\set ON_ERROR_STOP 1
\timing on
set session_replication_role = replica;

\echo [1/5] products
insert into shop.products (name, description, price, category_id, stock_quantity, sku, metadata)
select
  initcap(a.w) || ' ' || initcap(b.w) || ' ' || g,
  'A ' || a.w || ' ' || b.w || ' made for everyday use; number ' || g || '.',
  (5 + (g * 7919) % 49500 / 100.0)::numeric(12, 2),
  (select id from shop.categories order by id limit 1 offset (g % (select count(*) from shop.categories))),
  1000000,
  'GEN-' || g,
  '{}'
from generate_series(1, :products) g
cross join lateral (select (array['steel','oak','linen','carbon','wool','glass','cedar','copper'])[1 + g % 8] as w) a
cross join lateral (select (array['lamp','kettle','jacket','drone','speaker','tent','chair','watch','boots'])[1 + (g / 8) % 9] as w) b;

\echo [2/5] users
insert into shop.users (email, password_hash, first_name, last_name)
select 'gen-' || g || '@example.com', '$2a$04$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234', 'Gen', 'User ' || g
from generate_series(1, :users) g;

\echo [3/5] orders
create temporary table gen_users as select id, row_number() over (order by id) as n from shop.users where email like 'gen-%';
create temporary table gen_products as
  select id, price, sku, name, row_number() over (order by id) as n from shop.products where deleted_at is null;
insert into shop.orders (user_id, status, total_amount, shipping_address, created_at, updated_at)
select
  u.id,
  case when r < 70 then 'delivered' when r < 80 then 'shipped' when r < 88 then 'paid'
       when r < 95 then 'pending' else 'cancelled' end,
  0,
  '{"name": "Gen User", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}',
  now() - (g % 365) * interval '1 day' - (g % 86400) * interval '1 second',
  now()
from generate_series(1, :orders) g
cross join lateral (select (g * 7) % 100 as r) s
join gen_users u on u.n = 1 + (g * 13) % (select count(*) from gen_users);

\echo [4/5] order items (~3 per order)
insert into shop.order_items (order_id, product_id, name, sku, quantity, unit_price, total_price)
select o.id, p.id, p.name, p.sku, q, p.price, p.price * q
from shop.orders o
cross join lateral generate_series(1, 1 + (o.id % 5)) l
join gen_products p on p.n = 1 + (o.id * 31 + l * 997) % (select count(*) from gen_products)
cross join lateral (select 1 + (o.id + l) % 3 as q) qty
where o.total_amount = 0
on conflict (order_id, product_id) do nothing;
update shop.orders o
set total_amount = t.total
from (select order_id, sum(total_price) as total from shop.order_items group by order_id) t
where t.order_id = o.id
  and o.total_amount = 0;

\echo [5/5] derived state: status history, daily sales rollup, statistics
insert into shop.order_status_history (order_id, from_status, status, changed_at)
select o.id, null, o.status, o.created_at from shop.orders o
where not exists (select from shop.order_status_history h where h.order_id = o.id);
truncate shop.daily_sales;
insert into shop.daily_sales (day, orders, units, revenue)
select (o.created_at at time zone 'UTC')::date, count(*), sum(u.units), sum(o.total_amount)
from shop.orders o
join (select order_id, sum(quantity) as units from shop.order_items group by order_id) u on u.order_id = o.id
where o.status in ('paid', 'shipped', 'delivered')
group by 1;
set session_replication_role = origin;
analyze;
