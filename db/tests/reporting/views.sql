-- The reporting schema's shape: which views and materialized views, their columns and types, comments on
-- everything, and the unique index each materialized view needs to refresh CONCURRENTLY. Since variants
-- (migration 20261208200000, which re-creates the two views that read stock): product_performance counts a
-- product's live variants and takes its SKU, price and stock from them; inventory_status has one row per live
-- variant.
begin;
select * from no_plan();

-- What reporting holds ----------------------------------------------------------------------------------
select views_are('reporting', array['daily_sales']);
select materialized_views_are('reporting',
  array['product_performance', 'sales_by_category', 'customer_summary', 'inventory_status']);
select is_empty(
  $$select c.oid::regclass from pg_class c
    where c.relnamespace = 'reporting'::regnamespace and c.relkind in ('r', 'p', 'f', 'S')$$,
  'reporting holds no tables or sequences, only views');
select has_table('shop', 'daily_sales', 'the real-time rollup shop.daily_sales exists (behind reporting.daily_sales)');

-- Comments on every relation and every column ----------------------------------------------------------
select is_empty(
  $$select c.oid::regclass from pg_class c
    where c.relnamespace = 'reporting'::regnamespace and c.relkind in ('v', 'm')
      and coalesce(btrim(obj_description(c.oid, 'pg_class')), '') = ''$$,
  'every view and materialized view in reporting has a comment');
select is_empty(
  $$select c.oid::regclass, a.attname from pg_class c
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    where c.relnamespace = 'reporting'::regnamespace and c.relkind in ('v', 'm')
      and coalesce(btrim(col_description(c.oid, a.attnum)), '') = ''$$,
  'every column of every view and materialized view in reporting has a comment');
-- Known bug, reported: migration 20261201110100_revenue_statuses_as_data re-creates the four views with
-- comments that still say "Refreshed by reporting.refresh()", a function migration 20261201110000 dropped.
select is_empty(
  $$select c.oid::regclass from pg_class c
    where c.relnamespace = 'reporting'::regnamespace and c.relkind = 'm'
      and obj_description(c.oid, 'pg_class') not like '%lib.refresh_reporting()%'$$,
  'every materialized view''s comment says it is refreshed by lib.refresh_reporting()');
select is_empty(
  $$select p.oid::regprocedure from pg_proc p
    where p.pronamespace in ('reporting'::regnamespace, 'audit'::regnamespace)
      and coalesce(btrim(obj_description(p.oid, 'pg_proc')), '') = ''$$,
  'every function in reporting and audit has a comment');

-- A unique index on plain columns, without predicate, on each materialized view (CONCURRENTLY needs it)
select index_is_unique('reporting', 'product_performance', 'product_performance_product_id_key');
select index_is_unique('reporting', 'sales_by_category', 'sales_by_category_category_id_key');
select index_is_unique('reporting', 'customer_summary', 'customer_summary_customer_id_key');
select index_is_unique('reporting', 'inventory_status', 'inventory_status_variant_id_key');
select has_index('reporting', 'product_performance', 'product_performance_product_id_key', array['product_id']);
select has_index('reporting', 'sales_by_category', 'sales_by_category_category_id_key', array['category_id']);
select has_index('reporting', 'customer_summary', 'customer_summary_customer_id_key', array['customer_id']);
select has_index('reporting', 'inventory_status', 'inventory_status_variant_id_key', array['variant_id']);
select hasnt_index('reporting', 'inventory_status', 'inventory_status_product_id_key',
  'inventory_status is no longer unique by product (a product has a row per variant)');
select is_empty(
  $$select c.oid::regclass from pg_class c
    where c.relnamespace = 'reporting'::regnamespace and c.relkind = 'm'
      and not exists (
        select from pg_index i
        where i.indrelid = c.oid and i.indisunique and i.indisvalid
          and i.indpred is null and i.indexprs is null)$$,
  'every materialized view has a valid unique index on columns, without WHERE (so CONCURRENTLY works)');

-- Columns --------------------------------------------------------------------------------------------------
select columns_are('reporting', 'daily_sales',
  array['day', 'orders', 'units', 'revenue', 'average_order_value']);
select columns_are('reporting', 'product_performance',
  array['product_id', 'name', 'sku', 'category_id', 'current_price', 'is_active', 'is_deleted', 'units_sold',
        'revenue', 'orders', 'last_sold_at', 'stock_on_hand', 'units_last_30_days', 'days_of_cover', 'variants',
        'refreshed_at']);
select columns_are('reporting', 'sales_by_category',
  array['category_id', 'name', 'parent_id', 'orders', 'units', 'revenue', 'refreshed_at']);
select columns_are('reporting', 'customer_summary',
  array['customer_id', 'orders', 'lifetime_value', 'average_order_value', 'first_order_at', 'last_order_at',
        'refreshed_at']);
select columns_are('reporting', 'inventory_status',
  array['product_id', 'variant_id', 'name', 'sku', 'options', 'category_id', 'is_active', 'stock_quantity',
        'low_stock_threshold', 'is_low', 'low_since', 'units_last_30_days', 'days_of_cover', 'units_sold', 'revenue',
        'orders', 'last_sold_at', 'refreshed_at']);

-- Column types, in order -------------------------------------------------------------------------------------
create function pg_temp.types(p_rel regclass) returns text[]
language sql stable as $$
  select array_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) order by a.attnum)
  from pg_attribute a
  where a.attrelid = p_rel and a.attnum > 0 and not a.attisdropped
$$;
select is(pg_temp.types('reporting.daily_sales'),
  array['day date', 'orders integer', 'units integer', 'revenue numeric(14,2)', 'average_order_value numeric'],
  'reporting.daily_sales: column order and types');
select is(pg_temp.types('reporting.product_performance'),
  array['product_id bigint', 'name character varying(255)', 'sku text', 'category_id bigint',
        'current_price numeric(12,2)', 'is_active boolean', 'is_deleted boolean', 'units_sold bigint',
        'revenue numeric(14,2)', 'orders bigint', 'last_sold_at timestamp with time zone', 'stock_on_hand bigint',
        'units_last_30_days bigint', 'days_of_cover numeric', 'variants bigint', 'refreshed_at timestamp with time zone'],
  'reporting.product_performance: column order and types (sku is the variants'' text, stock_on_hand a sum over '
  'them)');
select is(pg_temp.types('reporting.sales_by_category'),
  array['category_id bigint', 'name character varying(100)', 'parent_id bigint', 'orders bigint', 'units bigint',
        'revenue numeric(14,2)', 'refreshed_at timestamp with time zone'],
  'reporting.sales_by_category: column order and types');
select is(pg_temp.types('reporting.customer_summary'),
  array['customer_id bigint', 'orders bigint', 'lifetime_value numeric(14,2)', 'average_order_value numeric',
        'first_order_at timestamp with time zone', 'last_order_at timestamp with time zone',
        'refreshed_at timestamp with time zone'],
  'reporting.customer_summary: column order and types');
select is(pg_temp.types('reporting.inventory_status'),
  array['product_id bigint', 'variant_id bigint', 'name character varying(255)', 'sku text', 'options jsonb',
        'category_id bigint', 'is_active boolean', 'stock_quantity integer', 'low_stock_threshold integer',
        'is_low boolean', 'low_since timestamp with time zone', 'units_last_30_days bigint', 'days_of_cover numeric',
        'units_sold bigint', 'revenue numeric(14,2)', 'orders bigint', 'last_sold_at timestamp with time zone',
        'refreshed_at timestamp with time zone'],
  'reporting.inventory_status: column order and types');

-- reporting.daily_sales is a plain view over the rollup (real time), not a snapshot -------------------------
select ok(
  exists (select from pg_depend d
          join pg_rewrite r on r.oid = d.objid
          where d.classid = 'pg_rewrite'::regclass
            and r.ev_class = 'reporting.daily_sales'::regclass
            and d.refobjid = 'shop.daily_sales'::regclass),
  'reporting.daily_sales reads shop.daily_sales');

select * from finish();
rollback;
