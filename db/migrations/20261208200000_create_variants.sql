-- migrate:up
-- Variants: a product has options (Size, Colour; ordered), each with values (ordered), and variants, each with
-- its own SKU, price, weight and stock and exactly one value of each option. The database makes a duplicate
-- combination, a variant missing an option, a foreign option value and an oversold variant impossible:
--   - one value per option: the primary key (variant_id, option_id) of shop.variant_option_values;
--   - the value is of that option, the option of the variant's product: composite foreign keys;
--   - every option has a value: a deferred check at commit (shop.variant_checks, db/functions/21_catalog_variants.sql);
--   - no two live variants of a product with the same combination: a deferrable exclusion constraint over
--     the combination, which the layer derives from the option values (never written by hand).
-- Stock, its ledger, low-stock alerts, cart lines and order lines are per variant. Every existing product gets
-- one default variant with its SKU, price and stock; the ledger, lines and alerts point at it, so history and
-- the stock reconciliation stay as they were. shop.products keeps price as the price of its default variant
-- (its first live one), and in_stock (any live, active variant in stock), both derived by the layer, so lists
-- sort, filter and page on them with their own indexes.
--
-- It drops product columns that two triggers and a view of the layer use: those go first (the deploy applies
-- the new layer right after, db/README.md); the API's old functions need the new layer, so this migration is
-- deployed in a quiet moment, not under load.
-- It therefore takes its locks knowingly (one transaction, as dbmate runs it: NOT VALID, VALIDATE and
-- CONCURRENTLY would gain nothing inside it):
-- squawk-ignore-file adding-foreign-key-constraint, constraint-missing-not-valid, disallowed-unique-constraint, ban-drop-view, adding-not-nullable-field, ban-drop-generated-expression, ban-drop-not-null, require-concurrent-index-creation, require-concurrent-index-deletion
drop trigger if exists _300_low_stock_insert on shop.products;
drop trigger if exists _300_low_stock_update on shop.products;
drop view if exists shop.stock_reconciliation;

create table shop.product_options (
  id bigint generated always as identity primary key,
  product_id bigint not null references shop.products (id),
  name text not null,
  position integer not null default 0,
  created_at timestamptz not null default now(),
  constraint product_options_name_size check (btrim(name) <> '' and length(name) <= 100),
  constraint product_options_id_product_key unique (id, product_id)
);
create unique index product_options_name_key on shop.product_options (product_id, lower(name));
comment on table shop.product_options is
  'A product''s options (Size, Colour), ordered by position: every live variant of the product has exactly '
  'one value of each.';
comment on column shop.product_options.position is 'Display order of the options of a product (0 first).';

create table shop.product_option_values (
  id bigint generated always as identity primary key,
  option_id bigint not null references shop.product_options (id) on delete cascade,
  value text not null,
  position integer not null default 0,
  constraint product_option_values_value_size check (btrim(value) <> '' and length(value) <= 100),
  constraint product_option_values_id_option_key unique (id, option_id)
);
create unique index product_option_values_value_key on shop.product_option_values (option_id, lower(value));
comment on table shop.product_option_values is 'The values an option offers (S, M, L), ordered by position.';

create table shop.variants (
  id bigint generated always as identity primary key,
  product_id bigint not null references shop.products (id),
  sku text not null,
  price numeric(12, 2) not null,
  compare_at_price numeric(12, 2),
  weight_grams integer not null default 0,
  stock_quantity integer not null default 0,
  low_stock_threshold integer not null default 5,
  is_active boolean not null default true,
  position integer not null default 0,
  combination text,
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint variants_sku_size check (btrim(sku) <> '' and length(sku) <= 100),
  constraint variants_price_not_negative check (price >= 0),
  constraint variants_price_finite check (price <> 'NaN'),
  constraint variants_compare_at_price_above_price check (compare_at_price > price),
  constraint variants_compare_at_price_finite check (compare_at_price <> 'NaN'),
  constraint variants_weight_not_negative check (weight_grams >= 0),
  constraint variants_stock_not_negative check (stock_quantity >= 0),
  constraint variants_low_stock_threshold_not_negative check (low_stock_threshold >= 0),
  constraint variants_id_product_key unique (id, product_id),
  -- Two live variants of one product never share a combination; checked at commit (a variant is made first,
  -- then its option values), or earlier where a function sets it immediate.
  constraint variants_one_per_combination exclude using btree (product_id with =, combination with =)
    where (deleted_at is null) deferrable initially deferred
) with (fillfactor = 80);  -- room for HOT updates: each sale updates its variants' rows (as products had)
-- SKUs are unique among live variants, whatever their letter case; a deleted variant frees its SKU.
create unique index variants_sku_live_key on shop.variants (lower(sku)) where deleted_at is null;
create index variants_product_idx on shop.variants (product_id, position, id) where deleted_at is null;
comment on table shop.variants is
  'What is sold: a product''s variants, each with its own SKU, price, weight and stock and one value of each of '
  'the product''s options. The first live variant (position, id) is the product''s default.';
comment on column shop.variants.sku is 'Unique among live variants, in any letter case.';
comment on column shop.variants.compare_at_price is 'A former or list price shown struck through; above price.';
comment on column shop.variants.weight_grams is 'Shipping weight of one unit, in grams.';
comment on column shop.variants.stock_quantity is 'Units on hand; never negative (checkout takes it conditionally).';
comment on column shop.variants.position is 'Order among the product''s variants; the first live one is the default.';
comment on column shop.variants.combination is
  'The variant''s option value ids in option order (derived by the layer from shop.variant_option_values; '
  'empty for a product without options).';
comment on column shop.variants.deleted_at is 'Soft delete: the variant is no longer sold; past orders keep it.';

create table shop.variant_option_values (
  variant_id bigint not null,
  product_id bigint not null,
  option_id bigint not null,
  value_id bigint not null,
  constraint variant_option_values_pkey primary key (variant_id, option_id),
  constraint variant_option_values_variant_fkey foreign key (variant_id, product_id)
    references shop.variants (id, product_id),
  constraint variant_option_values_option_fkey foreign key (option_id, product_id)
    references shop.product_options (id, product_id) on delete cascade,
  constraint variant_option_values_value_fkey foreign key (value_id, option_id)
    references shop.product_option_values (id, option_id)
);
create index variant_option_values_value_idx on shop.variant_option_values (value_id);
create index variant_option_values_option_idx on shop.variant_option_values (option_id);
comment on table shop.variant_option_values is
  'The value a variant has for each option of its product: one per option (the key), of that option and '
  'product (the foreign keys); that none is missing is checked at commit.';

create table shop.variant_checks (
  id bigint generated always as identity primary key,
  product_ids bigint[] not null
);
comment on table shop.variant_checks is
  'Products whose variants a statement changed, queued for the completeness check at commit (a deferred '
  'trigger checks and removes them: empty between transactions).';

-- The price bands of the catalog's facets: each from its lower bound up to the next one's.
create table shop.price_bands (
  lower_bound numeric(12, 2) primary key,
  constraint price_bands_lower_bound_valid check (lower_bound >= 0 and lower_bound <> 'NaN')
);
comment on table shop.price_bands is
  'Price bands of GET /api/products/facets: each band runs from its lower bound up to the next one''s (the last '
  'has no upper bound). Change the rows to change the bands.';
insert into shop.price_bands (lower_bound) values (0), (25), (50), (100), (250), (500);

-- Existing live SKUs that differ only in letter case cannot both stay live variants.
do $$
declare
  v_clashes text;
begin
  select string_agg(format('%s (products %s)', skus, ids), '; ') into v_clashes
  from (select string_agg(distinct p.sku, ', ') as skus, string_agg(p.id::text, ', ') as ids
        from shop.products p where p.deleted_at is null group by lower(p.sku) having count(*) > 1) c;
  if v_clashes is not null then
    raise exception 'live SKUs that differ only in letter case: %', v_clashes
      using hint = 'rename one of each (update shop.products set sku = ...), then migrate again';
  end if;
end
$$;

-- Every product gets its default variant, with the product's SKU, price, threshold and stock.
insert into shop.variants (product_id, sku, price, stock_quantity, low_stock_threshold, combination, deleted_at,
                           created_at, updated_at)
select p.id, p.sku, p.price, p.stock_quantity, p.low_stock_threshold, '', p.deleted_at, p.created_at, p.updated_at
from shop.products p
order by p.id;

-- Lines, ledger and alerts point at the variant (the product's only one, so far).
alter table shop.cart_items add column variant_id bigint;
alter table shop.order_items add column variant_id bigint;
alter table shop.order_items add column options jsonb not null default '{}';
alter table shop.stock_movements add column variant_id bigint;
alter table shop.low_stock_alerts add column variant_id bigint;
-- Filled in as they were made: the layer's triggers (the ledger is append-only, lines roll up into daily sales)
-- are off for these updates, which change nothing they guard.
alter table shop.stock_movements disable trigger user;
alter table shop.order_items disable trigger user;
alter table shop.cart_items disable trigger user;
update shop.cart_items c set variant_id = v.id from shop.variants v where v.product_id = c.product_id;
update shop.order_items i set variant_id = v.id from shop.variants v where v.product_id = i.product_id;
update shop.stock_movements m set variant_id = v.id from shop.variants v where v.product_id = m.product_id;
update shop.low_stock_alerts a set variant_id = v.id from shop.variants v where v.product_id = a.product_id;
alter table shop.stock_movements enable trigger user;
alter table shop.order_items enable trigger user;
alter table shop.cart_items enable trigger user;
alter table shop.cart_items alter column variant_id set not null;
alter table shop.order_items alter column variant_id set not null;
alter table shop.stock_movements alter column variant_id set not null;
alter table shop.low_stock_alerts alter column variant_id set not null;

alter table shop.cart_items
  add constraint cart_items_variant_fkey foreign key (variant_id, product_id) references shop.variants (id, product_id);
-- Deferred, as the product's was: checkout writes its lines before it takes the variants' rows, and an
-- immediate check would share a hot variant's row among its buyers (migration 20261124230100).
alter table shop.order_items
  add constraint order_items_variant_fkey foreign key (variant_id, product_id) references shop.variants (id, product_id)
  deferrable initially deferred;
alter table shop.stock_movements
  add constraint stock_movements_variant_fkey foreign key (variant_id, product_id)
  references shop.variants (id, product_id);
alter table shop.low_stock_alerts
  add constraint low_stock_alerts_variant_fkey foreign key (variant_id, product_id)
  references shop.variants (id, product_id);
-- squawk-ignore ban-drop-constraint
alter table shop.cart_items drop constraint cart_items_one_line_per_product;
alter table shop.cart_items add constraint cart_items_one_line_per_variant unique (cart_id, variant_id);
-- squawk-ignore ban-drop-constraint
alter table shop.order_items drop constraint order_items_one_line_per_product;
alter table shop.order_items add constraint order_items_one_line_per_variant unique (order_id, variant_id);
-- squawk-ignore require-concurrent-index-creation
create index cart_items_variant_idx on shop.cart_items (variant_id);
-- squawk-ignore require-concurrent-index-creation
create index order_items_variant_idx on shop.order_items (variant_id);
-- squawk-ignore require-concurrent-index-creation
create index stock_movements_variant_idx on shop.stock_movements (variant_id, id);
drop index shop.low_stock_alerts_one_open_key;
-- squawk-ignore require-concurrent-index-creation
create unique index low_stock_alerts_one_open_key on shop.low_stock_alerts (variant_id) where closed_at is null;
-- squawk-ignore ban-drop-constraint
alter table shop.stock_movements drop constraint stock_movements_reason_known;
alter table shop.stock_movements add constraint stock_movements_reason_known
  check (reason in ('initial', 'restock', 'sale', 'cancel', 'adjustment', 'import'));
comment on column shop.order_items.variant_id is 'The variant sold (its SKU and options as they were: sku, options).';
comment on column shop.order_items.options is 'The variant''s option values at checkout, {"Size": "M", "Colour": "Red"}.';
comment on column shop.cart_items.variant_id is 'The variant in the cart.';
comment on column shop.stock_movements.variant_id is 'The variant whose stock changed.';
comment on column shop.low_stock_alerts.variant_id is 'The variant low on stock.';
comment on table shop.cart_items is 'Cart lines: one per variant and cart, quantity at least 1.';
comment on table shop.low_stock_alerts is
  'Opened when a variant''s stock falls to or below its threshold (one open alert per variant), closed when '
  'restocked above it.';

-- The reports that read stock from the product read it from its variants now (recreated below).
drop materialized view reporting.inventory_status;
drop materialized view reporting.product_performance;

-- The product keeps what lists sort and filter on, derived from its variants by the layer: price (its default
-- variant's) and in_stock. SKU, stock and threshold are the variants'.
-- Bookkeeping, not an edit: the previous layer's triggers (updated_at, the audit trail, the cache's announcement)
-- stay out of it.
alter table shop.products disable trigger user;
alter table shop.products add column in_stock boolean not null default false;
update shop.products p set in_stock = exists (
  select from shop.variants v where v.product_id = p.id and v.deleted_at is null and v.is_active and v.stock_quantity > 0);
-- The search vector now also holds the variants' SKUs (and option values, none yet): kept by the layer from now
-- on (shop.product_search), computed here as it computes it.
alter table shop.products alter column search drop expression;
update shop.products p set search = p.search || setweight(to_tsvector('english', p.sku), 'A');
alter table shop.products enable trigger user;
-- squawk-ignore ban-drop-column
alter table shop.products drop column sku;
-- squawk-ignore ban-drop-column
alter table shop.products drop column stock_quantity;
-- squawk-ignore ban-drop-column
alter table shop.products drop column low_stock_threshold;
alter table shop.products alter column price drop not null;
comment on column shop.products.price is
  'The price of the default variant (the first live one), derived by the layer; null without a live variant.';
comment on column shop.products.in_stock is 'True when a live, active variant has stock, derived by the layer.';
comment on column shop.products.search is
  'Full-text vector: name (A), description (B), variant SKUs (A) and option values (C), kept by the layer.';

create materialized view reporting.product_performance as
with sales as (
  select
    oi.product_id,
    sum(oi.quantity) as units_sold,
    sum(oi.total_price) as revenue,
    count(distinct oi.order_id) as orders,
    max(o.created_at) as last_sold_at,
    coalesce(sum(oi.quantity) filter (where o.created_at >= now() - interval '30 days'), 0) as units_last_30_days
  from shop.order_items oi
  join shop.orders o on o.id = oi.order_id
  where o.status in (select s.status from shop.order_statuses s where s.counts_as_revenue)
  group by oi.product_id
), stock as (
  select v.product_id, sum(v.stock_quantity) as on_hand, count(*) as variants,
         (array_agg(v.sku order by v.position, v.id))[1] as sku
  from shop.variants v
  where v.deleted_at is null
  group by v.product_id
)
select
  p.id as product_id,
  p.name,
  st.sku,
  p.category_id,
  p.price as current_price,
  p.is_active,
  p.deleted_at is not null as is_deleted,
  coalesce(s.units_sold, 0)::bigint as units_sold,
  coalesce(s.revenue, 0)::numeric(14, 2) as revenue,
  coalesce(s.orders, 0)::bigint as orders,
  s.last_sold_at,
  coalesce(st.on_hand, 0)::bigint as stock_on_hand,
  coalesce(s.units_last_30_days, 0)::bigint as units_last_30_days,
  round(coalesce(st.on_hand, 0) / nullif(s.units_last_30_days / 30.0, 0), 1) as days_of_cover,
  coalesce(st.variants, 0)::bigint as variants,
  now() as refreshed_at
from shop.products p
left join sales s on s.product_id = p.id
left join stock st on st.product_id = p.id;
-- The view was created just above: nobody writes to it yet.
-- squawk-ignore require-concurrent-index-creation
create unique index product_performance_product_id_key on reporting.product_performance (product_id);
-- squawk-ignore require-concurrent-index-creation
create index product_performance_revenue_idx on reporting.product_performance (revenue desc, product_id);
comment on materialized view reporting.product_performance is
  'One row per product (deleted ones included, flagged): what it sold (paid, shipped, delivered orders, all its '
  'variants), its stock (all live variants) and how long that stock lasts at the last 30 days'' pace. Refreshed '
  'by lib.refresh_reporting(); per variant: reporting.inventory_status.';
comment on column reporting.product_performance.product_id is 'Product id (shop.products.id).';
comment on column reporting.product_performance.name is 'Current product name.';
comment on column reporting.product_performance.sku is 'SKU of its default variant (the first live one).';
comment on column reporting.product_performance.category_id is 'Category the product is filed under.';
comment on column reporting.product_performance.current_price is
  'Current price of its default variant (orders keep the price they were sold at).';
comment on column reporting.product_performance.is_active is 'False when the product is hidden from the shop.';
comment on column reporting.product_performance.is_deleted is 'True when the product was deleted (kept for past orders).';
comment on column reporting.product_performance.units_sold is 'Units sold in revenue orders, all time, every variant.';
comment on column reporting.product_performance.revenue is 'Revenue of those units at the prices they sold for.';
comment on column reporting.product_performance.orders is 'Revenue orders with at least one line of the product.';
comment on column reporting.product_performance.last_sold_at is 'When the latest of those orders was placed.';
comment on column reporting.product_performance.stock_on_hand is 'Units on hand, all live variants, at refresh time.';
comment on column reporting.product_performance.units_last_30_days is 'Units sold in revenue orders of the last 30 days.';
comment on column reporting.product_performance.days_of_cover is
  'stock_on_hand / (units_last_30_days / 30): days until sold out at that pace; null when nothing sold.';
comment on column reporting.product_performance.variants is 'Live variants of the product.';
comment on column reporting.product_performance.refreshed_at is 'When this row was computed.';

create materialized view reporting.inventory_status as
select
  v.product_id,
  v.id as variant_id,
  p.name,
  v.sku,
  coalesce((select jsonb_object_agg(o.name, ov.value order by o.position, o.id)
            from shop.variant_option_values vo
            join shop.product_options o on o.id = vo.option_id
            join shop.product_option_values ov on ov.id = vo.value_id
            where vo.variant_id = v.id), '{}') as options,
  p.category_id,
  p.is_active and v.is_active as is_active,
  v.stock_quantity,
  v.low_stock_threshold,
  v.stock_quantity <= v.low_stock_threshold as is_low,
  a.opened_at as low_since,
  coalesce(s.units, 0)::bigint as units_last_30_days,
  round(v.stock_quantity / nullif(s.units / 30.0, 0), 1) as days_of_cover,
  coalesce(s.units_sold, 0)::bigint as units_sold,
  coalesce(s.revenue, 0)::numeric(14, 2) as revenue,
  coalesce(s.orders, 0)::bigint as orders,
  s.last_sold_at,
  now() as refreshed_at
from shop.variants v
join shop.products p on p.id = v.product_id
left join shop.low_stock_alerts a on a.variant_id = v.id and a.closed_at is null
left join (
  select oi.variant_id, sum(oi.quantity) as units_sold, sum(oi.total_price) as revenue,
         count(distinct oi.order_id) as orders, max(o.created_at) as last_sold_at,
         sum(oi.quantity) filter (where o.created_at >= now() - interval '30 days') as units
  from shop.order_items oi
  join shop.orders o on o.id = oi.order_id
  where o.status in (select s.status from shop.order_statuses s where s.counts_as_revenue)
  group by oi.variant_id
) s on s.variant_id = v.id
where v.deleted_at is null
  and p.deleted_at is null;
-- The view was created just above: nobody writes to it yet.
-- squawk-ignore require-concurrent-index-creation
create unique index inventory_status_variant_id_key on reporting.inventory_status (variant_id);
comment on materialized view reporting.inventory_status is
  'Stock position and sales of every live variant: on hand, threshold, low or not since when, days of cover at '
  'the last 30 days'' pace, and what it sold (revenue orders, all time). Refreshed by lib.refresh_reporting(); '
  'the admin API''s low-stock list is real time.';
comment on column reporting.inventory_status.product_id is 'Product id (shop.products.id).';
comment on column reporting.inventory_status.variant_id is 'Variant id (shop.variants.id): one row each.';
comment on column reporting.inventory_status.name is 'Product name.';
comment on column reporting.inventory_status.sku is 'The variant''s SKU.';
comment on column reporting.inventory_status.options is 'The variant''s option values, {"Size": "M"} ({} without options).';
comment on column reporting.inventory_status.category_id is 'Category the product is filed under.';
comment on column reporting.inventory_status.is_active is 'False when the product or the variant is hidden from the shop.';
comment on column reporting.inventory_status.stock_quantity is 'Units on hand at refresh time.';
comment on column reporting.inventory_status.low_stock_threshold is 'At or below this the variant is low on stock.';
comment on column reporting.inventory_status.is_low is 'stock_quantity <= low_stock_threshold.';
comment on column reporting.inventory_status.low_since is 'When its open low-stock alert opened (null: none open).';
comment on column reporting.inventory_status.units_last_30_days is 'Units sold in revenue orders of the last 30 days.';
comment on column reporting.inventory_status.days_of_cover is
  'stock_quantity / (units_last_30_days / 30); null when nothing sold.';
comment on column reporting.inventory_status.units_sold is 'Units of the variant sold in revenue orders, all time.';
comment on column reporting.inventory_status.revenue is 'Revenue of those units at the prices they sold for.';
comment on column reporting.inventory_status.orders is 'Revenue orders with at least one line of the variant.';
comment on column reporting.inventory_status.last_sold_at is 'When the latest of those orders was placed.';
comment on column reporting.inventory_status.refreshed_at is 'When this row was computed.';

-- migrate:down
select shop.drop_function_layer();

-- What the model before variants cannot hold is refused rather than lost: an order with two variants of one
-- product (its lines would need one product each).
do $$
begin
  if exists (select from shop.order_items oi group by oi.order_id, oi.product_id having count(*) > 1) then
    raise exception 'orders hold several variants of one product: the model before variants has one line per '
      'product; this rollback would lose them';
  end if;
end
$$;

drop materialized view reporting.inventory_status;
drop materialized view reporting.product_performance;

-- The product's own SKU, price and threshold again, from its default variant; its stock is all its variants'
-- (so that the ledger, kept whole, still adds up to it).
alter table shop.products add column sku varchar(100);
alter table shop.products add column stock_quantity integer not null default 0;
alter table shop.products add column low_stock_threshold integer not null default 5;
alter table shop.products disable trigger user;  -- bookkeeping, not an edit (see up)
update shop.products p
set sku = d.sku, stock_quantity = d.stock_quantity, low_stock_threshold = d.low_stock_threshold, price = d.price
from (select distinct on (v.product_id) v.product_id, v.sku,
             (sum(v.stock_quantity) over (partition by v.product_id))::integer as stock_quantity,
             v.low_stock_threshold, v.price
      from shop.variants v
      order by v.product_id, v.deleted_at is not null, not v.is_active, v.position, v.id) d
where d.product_id = p.id;
alter table shop.products enable trigger user;
alter table shop.products alter column sku set not null;
alter table shop.products alter column price set not null;
alter table shop.products add constraint products_sku_not_blank check (btrim(sku) <> '');
alter table shop.products add constraint products_stock_not_negative check (stock_quantity >= 0);
alter table shop.products add constraint products_low_stock_threshold_not_negative check (low_stock_threshold >= 0);
create unique index products_sku_live_key on shop.products (sku) where deleted_at is null;
alter table shop.products drop column in_stock;
alter table shop.products drop column search;
alter table shop.products add column search tsvector generated always as (
  setweight(to_tsvector('english', coalesce(name, '')), 'A')
  || setweight(to_tsvector('english', coalesce(description, '')), 'B')
) stored;
create index products_search_rum_idx on shop.products using rum (search rum_tsvector_ops)
  where deleted_at is null and is_active;

alter table shop.stock_movements drop constraint stock_movements_reason_known;
update shop.stock_movements set reason = 'adjustment' where reason = 'import';
alter table shop.stock_movements add constraint stock_movements_reason_known
  check (reason in ('initial', 'restock', 'sale', 'cancel', 'adjustment'));
drop index shop.low_stock_alerts_one_open_key;
-- One open alert per product: its first variant's, the others closed now.
update shop.low_stock_alerts a set closed_at = now()
where a.closed_at is null
  and a.id <> (select min(b.id) from shop.low_stock_alerts b where b.product_id = a.product_id and b.closed_at is null);
create unique index low_stock_alerts_one_open_key on shop.low_stock_alerts (product_id) where closed_at is null;
alter table shop.order_items drop constraint order_items_one_line_per_variant;
alter table shop.order_items add constraint order_items_one_line_per_product unique (order_id, product_id);
alter table shop.cart_items drop constraint cart_items_one_line_per_variant;
-- A cart's lines of several variants of one product become one line of that product.
update shop.cart_items ci
set quantity = t.quantity
from (select min(c.id) as id, sum(c.quantity)::integer as quantity
      from shop.cart_items c group by c.cart_id, c.product_id having count(*) > 1) t
where ci.id = t.id;
delete from shop.cart_items ci
where ci.id <> (select min(c.id) from shop.cart_items c where c.cart_id = ci.cart_id and c.product_id = ci.product_id);
alter table shop.cart_items add constraint cart_items_one_line_per_product unique (cart_id, product_id);
alter table shop.cart_items drop column variant_id;
alter table shop.order_items drop column variant_id;
alter table shop.order_items drop column options;
alter table shop.stock_movements drop column variant_id;
alter table shop.low_stock_alerts drop column variant_id;

-- The reports as they were.
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

drop table shop.price_bands;
drop table shop.variant_checks;
drop table shop.variant_option_values;
drop table shop.variants;
drop table shop.product_option_values;
drop table shop.product_options;
