-- migrate:up
-- Money is finite: numeric accepts 'NaN', and NaN passes `price >= 0` (PostgreSQL sorts NaN above every
-- number), so a NaN price reached carts, order totals and the daily sales rollup. Every money column now
-- refuses it. JSON that readers get back is bounded: product metadata and shipping addresses. The new
-- constraints are added NOT VALID here and validated by the next migration, in a transaction of its own.

-- Existing NaN amounts cannot be repaired without knowing the real price: refuse to migrate and say which
-- rows to fix. The daily sales rollup is derived data and is rebuilt for any day it made NaN.
do $$
declare
  v_bad text;
begin
  select string_agg(x, '; ') into v_bad
  from (
    select 'shop.products ids ' || string_agg(p.id::text, ', ' order by p.id)
    from shop.products p where p.price = 'NaN'
    having count(*) > 0
    union all
    select 'shop.orders ids ' || string_agg(o.id::text, ', ' order by o.id)
    from shop.orders o where o.total_amount = 'NaN'
    having count(*) > 0
    union all
    select 'shop.order_items ids ' || string_agg(oi.id::text, ', ' order by oi.id)
    from shop.order_items oi where oi.unit_price = 'NaN' or oi.total_price = 'NaN'
    having count(*) > 0
  ) t (x);
  if v_bad is not null then
    raise exception 'NaN amounts found: %', v_bad
      using hint = 'set the real prices and totals of these rows, then migrate again';
  end if;
end
$$;

with days as (
  select d.day from shop.daily_sales d where d.revenue = 'NaN'
), fixed as (
  select (o.created_at at time zone 'UTC')::date as day, count(*) as orders,
         coalesce(sum(u.units), 0) as units, sum(o.total_amount) as revenue
  from shop.orders o
  left join lateral (select sum(oi.quantity) as units from shop.order_items oi where oi.order_id = o.id) u on true
  where o.status in ('paid', 'shipped', 'delivered')
    and (o.created_at at time zone 'UTC')::date in (select days.day from days)
  group by 1
)
update shop.daily_sales d
set orders = coalesce(f.orders, 0),
    units = coalesce(f.units, 0),
    revenue = coalesce(f.revenue, 0)
from days
left join fixed f on f.day = days.day
where d.day = days.day;

alter table shop.products
  add constraint products_price_finite check (price <> 'NaN') not valid;
alter table shop.orders
  add constraint orders_total_finite check (total_amount <> 'NaN') not valid;
alter table shop.order_items
  add constraint order_items_prices_finite check (unit_price <> 'NaN' and total_price <> 'NaN') not valid;
alter table shop.daily_sales
  add constraint daily_sales_revenue_finite check (revenue <> 'NaN') not valid;

-- Product metadata is served to every anonymous reader: at most 16 KB of JSON text, nested at most
-- 8 objects or arrays deep (the top-level object counts as one).
create function shop.jsonb_within(p_value jsonb, p_max_depth integer, p_max_bytes integer) returns boolean
language sql
immutable
parallel safe
as $$
  select octet_length(p_value::text) <= p_max_bytes
     and not jsonb_path_exists(p_value,
               format('strict $.**{%s} ? (@.type() == "object" || @.type() == "array")', p_max_depth)::jsonpath)
$$;
comment on function shop.jsonb_within(jsonb, integer, integer) is
  'True when the JSON text takes at most p_max_bytes bytes and no object or array sits deeper than '
  'p_max_depth levels (the top-level value is level 1).';

do $$
begin
  if exists (select from shop.products p where not shop.jsonb_within(p.metadata, 8, 16384)) then
    raise exception 'products with metadata beyond 8 levels or 16 KB: %',
      (select string_agg(p.id::text, ', ' order by p.id) from shop.products p
       where not shop.jsonb_within(p.metadata, 8, 16384))
      using hint = 'trim their metadata, then migrate again';
  end if;
end
$$;
alter table shop.products
  add constraint products_metadata_limits check (shop.jsonb_within(metadata, 8, 16384)) not valid;
comment on column shop.products.metadata is
  'Free-form JSON object shown with the product: at most 16 KB and 8 levels deep.';

-- A shipping address is a flat JSON object of strings: name, line1, city, postal_code and country are
-- required (not blank); line2, region, phone and any other field optional; at most 20 fields, names of at
-- most 50 characters, values of at most 200. One domain states it, for the column and for checkout's parameter.
-- A domain on purpose (docs/conventions.md: a rule about a value is stated once, for column and parameter).
create domain shop.address as jsonb
  -- squawk-ignore ban-create-domain-with-constraint
  constraint address_is_flat_object_of_strings check (
    jsonb_typeof(value) = 'object'
    and not jsonb_path_exists(value, 'strict $.* ? (@.type() != "string" || @ like_regex "^.{201}" flag "s")')
    and not jsonb_path_exists(value, 'strict $.keyvalue() ? (@.key like_regex "^.{51}" flag "s")')
    and jsonb_array_length(jsonb_path_query_array(value, 'strict $.*')) <= 20
  )
  constraint address_is_complete check (
    shop.has_text(value ->> 'name')
    and shop.has_text(value ->> 'line1')
    and shop.has_text(value ->> 'city')
    and shop.has_text(value ->> 'postal_code')
    and shop.has_text(value ->> 'country')
  );
comment on domain shop.address is
  'A shipping address: a flat JSON object of strings (at most 20 fields, names up to 50 characters, values up to '
  '200); name, line1, city, postal_code and country required and not blank; line2, region and phone optional.';

-- Orders written before the domain must fit it; if some do not, name them (the slow per-row search runs
-- only then) rather than fail on the first.
do $$
declare
  v_order record;
  v_bad bigint[] := '{}';
begin
  perform count(o.shipping_address::shop.address) from shop.orders o;
exception when check_violation then
  for v_order in select o.id, o.shipping_address from shop.orders o order by o.id loop
    begin
      perform v_order.shipping_address::shop.address;
    exception when check_violation then
      v_bad := v_bad || v_order.id;
    end;
  end loop;
  raise exception 'orders whose shipping_address is not a complete flat object of strings: %', v_bad
    using hint = 'correct these addresses, then migrate again';
end
$$;

-- The column takes the domain (the same jsonb underneath: no rewrite; each row is checked once here).
-- squawk-ignore changing-column-type
alter table shop.orders alter column shipping_address type shop.address;
-- The domain holds everything the old check did, and more.
-- squawk-ignore ban-drop-constraint
alter table shop.orders drop constraint orders_shipping_address_complete;

-- migrate:down
alter table shop.orders add constraint orders_shipping_address_complete check (
  jsonb_typeof(shipping_address) = 'object'
  and shop.has_text(shipping_address ->> 'name')
  and shop.has_text(shipping_address ->> 'line1')
  and shop.has_text(shipping_address ->> 'city')
  and shop.has_text(shipping_address ->> 'postal_code')
  and shop.has_text(shipping_address ->> 'country')
);
alter table shop.orders alter column shipping_address type jsonb;
drop domain shop.address;
alter table shop.products drop constraint products_metadata_limits;
drop function shop.jsonb_within(jsonb, integer, integer);
comment on column shop.products.metadata is null;
alter table shop.daily_sales drop constraint daily_sales_revenue_finite;
alter table shop.order_items drop constraint order_items_prices_finite;
alter table shop.orders drop constraint orders_total_finite;
alter table shop.products drop constraint products_price_finite;
