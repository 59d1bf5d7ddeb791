-- Generated data for measurements, set-based, on top of a migrated database (run as a superuser):
--   psql URL -v users=100000 -v orders=1000000 -v products=1000000 -f bench/generate.sql
-- products: catalog products to add, each with one variant without options (SKU GEN-n, handle gen-n; n
-- continues where the last run stopped). Run it again with users=0 orders=0 to grow the catalog only. Orders
-- spread over the last 365 days with ~3 lines each; statuses 70% delivered, 10% shipped, 8% paid, 7% pending,
-- 5% cancelled.
-- Triggers are bypassed while loading (session_replication_role = replica): what they derive is written here
-- instead, set-based: a product's price, in_stock and search vector (as shop.product_search makes it) with the
-- product, its handle given; the opening stock movements, search words, daily sales rollup and status history
-- at the end. The audit log does not record generated rows.
\set ON_ERROR_STOP 1
\timing on
set session_replication_role = replica;
-- What exists already: derived state is rebuilt for the new rows only (an anti-join against the table being
-- filled would rescan the new rows for every row: quadratic).
select coalesce(max(id), 0) as products_before from shop.products \gset
select coalesce(max(id), 0) as variants_before from shop.variants \gset
select coalesce(max(id), 0) as orders_before from shop.orders \gset

\echo [1/5] products and their variants
-- Names from 40 brands x 50 qualities x 100 product words (+ a model number), descriptions from the same
-- words: one product word matches about 1% of the catalog, a brand 2.5%, at every size. The search vector is
-- shop.product_search's for a product whose one variant has the SKU GEN-n and no options: name (A),
-- description (B), SKU ('simple', A), no option values (C), concatenated in that order.
insert into shop.products (handle, name, description, price, in_stock, category_id, metadata, search)
select
  'gen-' || g,
  t.name,
  t.description,
  t.price,
  true,
  (select id from shop.categories order by id limit 1 offset (g % (select count(*) from shop.categories))),
  jsonb_build_object('brand', initcap(b.w)),
  setweight(to_tsvector('english', t.name), 'A')
    || setweight(to_tsvector('english', t.description), 'B')
    || setweight(to_tsvector('simple', 'GEN-' || g), 'A')
    || setweight(to_tsvector('english', ''), 'C')
from (select coalesce(max(substr(sku, 5)::bigint) filter (where sku like 'GEN-%'), 0) as base from shop.variants) s
cross join generate_series(s.base + 1, s.base + :products) g
cross join lateral (select (string_to_array('acme,nordic,zenith,apex,orbit,lumen,vertex,atlas,sierra,harbor,'
  'cobalt,ember,quartz,summit,willow,falcon,aurora,pioneer,meridian,solace,kestrel,juniper,tundra,'
  'mosaic,beacon,cascade,drift,fable,glacier,haven,ionic,jasper,kinetic,lotus,monarch,nimbus,onyx,'
  'prism,quill,ridge', ','))[1 + g % 40] as w) b
cross join lateral (select (string_to_array('compact,deluxe,classic,rugged,slim,smart,portable,premium,'
  'wireless,heavy,light,modern,vintage,ergonomic,foldable,waterproof,quiet,rapid,solar,thermal,'
  'ultra,mini,pro,eco,hybrid,dual,silent,turbo,soft,hard,matte,glossy,bright,dark,warm,cool,fresh,'
  'prime,select,essential,advanced,basic,elite,studio,travel,outdoor,indoor,urban,alpine,coastal', ','))
  [1 + (g / 40) % 50] as w) q
cross join lateral (select (string_to_array('lamp,kettle,jacket,drone,speaker,tent,chair,watch,boots,'
  'backpack,blender,camera,desk,guitar,helmet,keyboard,mouse,monitor,pillow,router,scarf,sofa,stove,'
  'tablet,toaster,umbrella,vacuum,wallet,bicycle,blanket,candle,charger,cooler,drill,easel,fan,'
  'grill,hammock,headphones,heater,jersey,juicer,kayak,ladder,lantern,mattress,microphone,mixer,'
  'mug,notebook,oven,paddle,pan,printer,projector,rack,radio,rug,saw,scale,shelf,shoes,skates,'
  'sleeping-bag,sneakers,socks,stand,stool,suitcase,sweater,table,teapot,telescope,thermos,tripod,'
  'trolley,trunk,tumbler,vase,vest,wok,yoga-mat,zipper,anchor,basket,bench,binoculars,bottle,bowl,'
  'brush,bucket,cabinet,clock,compass,cushion,frame,glove,hoodie,journal,knife', ','))
  [1 + (g / 2000) % 100] as w) n
cross join lateral (select (array['steel','oak','linen','carbon','wool','glass','cedar','copper','bamboo',
  'leather','cotton','titanium'])[1 + g % 12] as w) m
cross join lateral (select (array['everyday use','the outdoors','the office','travel','the kitchen',
  'the workshop','kids','athletes','collectors','the garden'])[1 + g % 10] as w) u
cross join lateral (select
  initcap(b.w) || ' ' || initcap(q.w) || ' ' || initcap(n.w) || ' ' || upper(to_hex(g)) as name,
  'A ' || q.w || ' ' || n.w || ' by ' || initcap(b.w) || ', made of ' || m.w || ' for ' || u.w || '.' as description,
  (5 + (g * 7919) % 49500 / 100.0)::numeric(12, 2) as price) t;
-- Each product's one variant, in product order: generated variant ids follow their products' ids.
insert into shop.variants (product_id, sku, price, stock_quantity, combination)
select p.id, 'GEN-' || substr(p.handle, 5), p.price, 1000000, ''
from shop.products p
where p.id > :products_before
order by p.id;

\echo [2/5] users
insert into shop.users (email, password_hash, first_name, last_name)
select 'gen-' || g || '@example.com', '$2a$04$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234', 'Gen', 'User ' || g
from generate_series(1, :users) g;

\echo [3/5] orders
create temporary table gen_users as select id, row_number() over (order by id) as n from shop.users where email like 'gen-%';
-- One variant per product: its default one (the first live, active ones first), which is a generated product's
-- only variant; a demo product's line keeps that variant's option values, as checkout writes them.
create temporary table gen_products as
  select p.id, v.id as variant_id, v.price, v.sku, p.name,
         case when v.combination <> '' then lib.variant_options(v.id)::jsonb else '{}' end as options,
         row_number() over (order by p.id) as n
  from shop.products p
  join (select distinct on (product_id) * from shop.variants where deleted_at is null
        order by product_id, not is_active, position, id) v on v.product_id = p.id
  where p.deleted_at is null;
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
insert into shop.order_items (order_id, product_id, variant_id, name, sku, options, quantity, unit_price, total_price)
select o.id, p.id, p.variant_id, p.name, p.sku, p.options, q, p.price, p.price * q
from shop.orders o
cross join lateral generate_series(1, 1 + (o.id % 5)) l
join gen_products p on p.n = 1 + (o.id * 31 + l * 997) % (select count(*) from gen_products)
cross join lateral (select 1 + (o.id + l) % 3 as q) qty
where o.id > :orders_before
on conflict (order_id, variant_id) do nothing;
update shop.orders o
set total_amount = t.total
from (
  select oi.order_id, sum(oi.total_price) as total
  from shop.order_items oi
  join shop.orders n on n.id = oi.order_id
  where n.id > :orders_before
  group by oi.order_id
) t
where t.order_id = o.id;

\echo [5/5] derived state: opening stock in the ledger, search words, status history, daily sales rollup, statistics
insert into shop.search_words (word)
select distinct lower(w)
from shop.products p
cross join regexp_split_to_table(p.name, '[^[:alnum:]]+') w
where p.handle like 'gen-%'
  and length(w) >= 3 and w !~ '[[:digit:]]'
on conflict do nothing;
insert into shop.stock_movements (product_id, variant_id, delta, stock_after, reason)
select v.product_id, v.id, v.stock_quantity, v.stock_quantity, 'initial'
from shop.variants v
where v.id > :variants_before
  and v.stock_quantity <> 0;
insert into shop.order_status_history (order_id, from_status, status, changed_at)
select o.id, null, o.status, o.created_at from shop.orders o
where o.id > :orders_before;
truncate shop.daily_sales;
insert into shop.daily_sales (day, orders, units, revenue)
select (o.created_at at time zone 'UTC')::date, count(*), sum(u.units), sum(o.total_amount)
from shop.orders o
join (select order_id, sum(quantity) as units from shop.order_items group by order_id) u on u.order_id = o.id
where o.status in ('paid', 'shipped', 'delivered')
group by 1;
set session_replication_role = origin;
analyze;
