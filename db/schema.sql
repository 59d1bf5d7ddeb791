\restrict dbmate

-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: api; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA api;


--
-- Name: SCHEMA api; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA api IS 'The functions the HTTP layer (role pgshop_api) may execute. Holds no tables.';


--
-- Name: audit; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA audit;


--
-- Name: SCHEMA audit; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA audit IS 'Append-only change log.';


--
-- Name: pg_cron; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pg_cron WITH SCHEMA public;


--
-- Name: EXTENSION pg_cron; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pg_cron IS 'Job scheduler for PostgreSQL';


--
-- Name: reporting; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA reporting;


--
-- Name: SCHEMA reporting; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA reporting IS 'Views and materialized views for BI tools (role bi_reader).';


--
-- Name: shop; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA shop;


--
-- Name: SCHEMA shop; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA shop IS 'Private tables of pgshop. Nobody but the owner reads or writes them directly.';


--
-- Name: pg_trgm; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;


--
-- Name: EXTENSION pg_trgm; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pg_trgm IS 'text similarity measurement and index searching based on trigrams';


--
-- Name: pgcrypto; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;


--
-- Name: EXTENSION pgcrypto; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pgcrypto IS 'cryptographic functions';


--
-- Name: rum; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS rum WITH SCHEMA public;


--
-- Name: EXTENSION rum; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION rum IS 'RUM index access method';


--
-- Name: tg__append_only(); Type: FUNCTION; Schema: audit; Owner: -
--

CREATE FUNCTION audit.tg__append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  raise exception using
    errcode = 'PT409', message = 'append_only', detail = 'the audit log is never changed or deleted';
end
$$;


--
-- Name: FUNCTION tg__append_only(); Type: COMMENT; Schema: audit; Owner: -
--

COMMENT ON FUNCTION audit.tg__append_only() IS 'Trigger: the audit log is append-only.';


--
-- Name: tg__log(); Type: FUNCTION; Schema: audit; Owner: -
--

CREATE FUNCTION audit.tg__log() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: FUNCTION tg__log(); Type: COMMENT; Schema: audit; Owner: -
--

COMMENT ON FUNCTION audit.tg__log() IS 'Trigger (statement level): writes audit.log rows for the rows changed; its arguments name columns never to log.';


--
-- Name: current_user_id(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.current_user_id() RETURNS bigint
    LANGUAGE sql STABLE
    AS $$
  select (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')::bigint
$$;


--
-- Name: FUNCTION current_user_id(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.current_user_id() IS 'The calling user''s id from the request.jwt.claims set by the HTTP layer for this transaction; null when anonymous.';


--
-- Name: has_text(text); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.has_text(p_value text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$
  select coalesce(p_value ~ E'[^\\s\u00a0]', false)
$$;


--
-- Name: FUNCTION has_text(p_value text); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.has_text(p_value text) IS 'True when p_value has a character that is not white space.';


--
-- Name: set_stock_context(text, bigint); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.set_stock_context(p_reason text, p_order_id bigint) RETURNS void
    LANGUAGE sql
    AS $$
  select set_config('pgshop.stock_reason', coalesce(p_reason, ''), true),
         set_config('pgshop.stock_order_id', coalesce(p_order_id::text, ''), true)
$$;


--
-- Name: FUNCTION set_stock_context(p_reason text, p_order_id bigint); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.set_stock_context(p_reason text, p_order_id bigint) IS 'Sets (or, with nulls, clears) the reason and order the stock ledger trigger records for the next stock changes.';


--
-- Name: tg__set_updated_at(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg__set_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  new.updated_at := now();
  return new;
end
$$;


--
-- Name: FUNCTION tg__set_updated_at(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg__set_updated_at() IS 'Trigger: sets updated_at to the transaction time on every update.';


--
-- Name: tg_categories__no_cycle(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_categories__no_cycle() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  if new.parent_id is not null and exists (
    with recursive up (id, parent_id) as (
      select c.id, c.parent_id from shop.categories c where c.id = new.parent_id
      union
      select c.id, c.parent_id from shop.categories c join up on c.id = up.parent_id
    )
    select from up where up.id = new.id
  ) then
    raise exception using
      errcode = 'PT422', message = 'category_cycle',
      detail = format('category %s cannot be placed under its own descendant %s', new.id, new.parent_id);
  end if;
  return new;
end
$$;


--
-- Name: FUNCTION tg_categories__no_cycle(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_categories__no_cycle() IS 'Trigger: refuses a parent_id that would make the category tree cyclic.';


--
-- Name: tg_order_items__daily_sales(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_order_items__daily_sales() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: FUNCTION tg_order_items__daily_sales(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_order_items__daily_sales() IS 'Trigger: keeps shop.daily_sales.units right when lines of an order that already counts are written or removed.';


--
-- Name: tg_orders__check_transition(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_orders__check_transition() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  if new.status is distinct from old.status and not exists (
    select from shop.order_status_transitions t
    where t.from_status = old.status
      and t.to_status = new.status
  ) then
    raise exception using
      errcode = 'PT409', message = 'invalid_transition',
      detail = format('order %s cannot go from %s to %s', old.id, old.status, new.status);
  end if;
  return new;
end
$$;


--
-- Name: FUNCTION tg_orders__check_transition(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_orders__check_transition() IS 'Trigger: refuses a status change that shop.order_status_transitions does not allow (PT409 invalid_transition).';


--
-- Name: tg_orders__daily_sales(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_orders__daily_sales() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: FUNCTION tg_orders__daily_sales(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_orders__daily_sales() IS 'Trigger: adds orders entering revenue status to shop.daily_sales and subtracts those leaving it.';


--
-- Name: tg_orders__status_changed(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_orders__status_changed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  insert into shop.order_status_history (order_id, from_status, status, changed_by)
  values (new.id, case when tg_op = 'UPDATE' then old.status end, new.status, shop.current_user_id());
  if new.status = 'cancelled' then
    perform shop.set_stock_context('cancel', new.id);
    -- Lock in product id order, as checkout does, so cancellations and checkouts cannot deadlock.
    perform
    from shop.products p
    where p.id in (select oi.product_id from shop.order_items oi where oi.order_id = new.id)
    order by p.id
    for no key update;
    update shop.products p
    set stock_quantity = p.stock_quantity + oi.quantity
    from shop.order_items oi
    where oi.order_id = new.id
      and oi.product_id = p.id;
    perform shop.set_stock_context(null, null);
  end if;
  return null;
end
$$;


--
-- Name: FUNCTION tg_orders__status_changed(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_orders__status_changed() IS 'Trigger: records each status in shop.order_status_history; on cancel returns the order''s stock (ledger reason cancel).';


--
-- Name: tg_products__low_stock(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_products__low_stock() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  if new.stock_quantity <= new.low_stock_threshold and new.deleted_at is null then
    insert into shop.low_stock_alerts (product_id, stock_quantity, low_stock_threshold)
    values (new.id, new.stock_quantity, new.low_stock_threshold)
    on conflict (product_id) where closed_at is null do nothing;
    if found then
      perform pg_notify('low_stock', json_build_object(
        'product_id', new.id, 'name', new.name, 'sku', new.sku,
        'stock_quantity', new.stock_quantity, 'low_stock_threshold', new.low_stock_threshold)::text);
    end if;
  else
    update shop.low_stock_alerts a
    set closed_at = now()
    where a.product_id = new.id
      and a.closed_at is null;
  end if;
  return null;
end
$$;


--
-- Name: FUNCTION tg_products__low_stock(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_products__low_stock() IS 'Trigger: opens a low-stock alert and fires pg_notify(''low_stock'', product json) when stock falls to or below the threshold; closes it when stock rises above (or the product is deleted).';


--
-- Name: tg_products__record_stock(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_products__record_stock() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
declare
  v_reason text := nullif(current_setting('pgshop.stock_reason', true), '');
  v_order_id bigint := nullif(current_setting('pgshop.stock_order_id', true), '')::bigint;
begin
  if tg_op = 'INSERT' then
    insert into shop.stock_movements (product_id, delta, stock_after, reason, order_id, actor_id)
    select n.id, n.stock_quantity, n.stock_quantity, coalesce(v_reason, 'initial'), v_order_id,
           shop.current_user_id()
    from new_rows n
    where n.stock_quantity <> 0
    order by n.id;
  else
    insert into shop.stock_movements (product_id, delta, stock_after, reason, order_id, actor_id)
    select n.id, n.stock_quantity - o.stock_quantity, n.stock_quantity, coalesce(v_reason, 'adjustment'),
           v_order_id, shop.current_user_id()
    from new_rows n
    join old_rows o on o.id = n.id
    where n.stock_quantity <> o.stock_quantity
    order by n.id;
  end if;
  return null;
end
$$;


--
-- Name: FUNCTION tg_products__record_stock(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_products__record_stock() IS 'Trigger: writes a shop.stock_movements row for every change of stock_quantity (reason from pgshop.stock_reason).';


--
-- Name: tg_products__search_words(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_products__search_words() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  insert into shop.search_words (word)
  select distinct lower(w)
  from regexp_split_to_table(new.name, '[^[:alnum:]]+') w
  where length(w) >= 3 and w !~ '[[:digit:]]'
  on conflict do nothing;
  return null;
end
$$;


--
-- Name: FUNCTION tg_products__search_words(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_products__search_words() IS 'Trigger: adds the words of a new or renamed product to shop.search_words.';


--
-- Name: tg_stock_movements__append_only(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_stock_movements__append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  raise exception using
    errcode = 'PT409', message = 'append_only',
    detail = 'stock movements are never changed or deleted; record a correcting movement instead';
end
$$;


--
-- Name: FUNCTION tg_stock_movements__append_only(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_stock_movements__append_only() IS 'Trigger: the stock ledger is append-only.';


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: log; Type: TABLE; Schema: audit; Owner: -
--

CREATE TABLE audit.log (
    id bigint NOT NULL,
    table_name text NOT NULL,
    row_id bigint NOT NULL,
    operation text NOT NULL,
    old_values jsonb,
    new_values jsonb,
    actor_id bigint,
    db_role text DEFAULT SESSION_USER NOT NULL,
    transaction_id bigint DEFAULT txid_current() NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT log_operation_known CHECK ((operation = ANY (ARRAY['INSERT'::text, 'UPDATE'::text, 'DELETE'::text])))
);


--
-- Name: TABLE log; Type: COMMENT; Schema: audit; Owner: -
--

COMMENT ON TABLE audit.log IS 'Append-only change log of users (never the password hash), categories, products (stock changes included) and orders: the changed columns'' old and new values, who (API user, else database role), transaction, time.';


--
-- Name: COLUMN log.row_id; Type: COMMENT; Schema: audit; Owner: -
--

COMMENT ON COLUMN audit.log.row_id IS 'Primary key (id) of the changed row.';


--
-- Name: COLUMN log.old_values; Type: COMMENT; Schema: audit; Owner: -
--

COMMENT ON COLUMN audit.log.old_values IS 'UPDATE: the changed columns before; DELETE: the whole row.';


--
-- Name: COLUMN log.new_values; Type: COMMENT; Schema: audit; Owner: -
--

COMMENT ON COLUMN audit.log.new_values IS 'UPDATE: the changed columns after; INSERT: the whole row.';


--
-- Name: COLUMN log.actor_id; Type: COMMENT; Schema: audit; Owner: -
--

COMMENT ON COLUMN audit.log.actor_id IS 'The API user (request.jwt.claims sub); null when changed outside the API.';


--
-- Name: COLUMN log.db_role; Type: COMMENT; Schema: audit; Owner: -
--

COMMENT ON COLUMN audit.log.db_role IS 'The database login that made the change (pgshop_api for the API).';


--
-- Name: log_id_seq; Type: SEQUENCE; Schema: audit; Owner: -
--

ALTER TABLE audit.log ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME audit.log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version character varying NOT NULL
);


--
-- Name: orders; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.orders (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    status character varying(50) DEFAULT 'pending'::character varying NOT NULL,
    total_amount numeric(12,2) NOT NULL,
    shipping_address jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT orders_shipping_address_complete CHECK (((jsonb_typeof(shipping_address) = 'object'::text) AND shop.has_text((shipping_address ->> 'name'::text)) AND shop.has_text((shipping_address ->> 'line1'::text)) AND shop.has_text((shipping_address ->> 'city'::text)) AND shop.has_text((shipping_address ->> 'postal_code'::text)) AND shop.has_text((shipping_address ->> 'country'::text)))),
    CONSTRAINT orders_total_not_negative CHECK ((total_amount >= (0)::numeric))
);


--
-- Name: TABLE orders; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.orders IS 'Orders made at checkout; status follows shop.order_status_transitions.';


--
-- Name: COLUMN orders.total_amount; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.orders.total_amount IS 'Sum of the order''s line totals, at the prices of checkout time.';


--
-- Name: COLUMN orders.shipping_address; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.orders.shipping_address IS 'name, line1, city, postal_code, country (required), line2, region, phone (optional).';


--
-- Name: customer_summary; Type: MATERIALIZED VIEW; Schema: reporting; Owner: -
--

CREATE MATERIALIZED VIEW reporting.customer_summary AS
 SELECT o.user_id AS customer_id,
    count(*) AS orders,
    (sum(o.total_amount))::numeric(14,2) AS lifetime_value,
    round(avg(o.total_amount), 2) AS average_order_value,
    min(o.created_at) AS first_order_at,
    max(o.created_at) AS last_order_at,
    now() AS refreshed_at
   FROM shop.orders o
  WHERE ((o.status)::text = ANY ((ARRAY['paid'::character varying, 'shipped'::character varying, 'delivered'::character varying])::text[]))
  GROUP BY o.user_id
  WITH NO DATA;


--
-- Name: MATERIALIZED VIEW customer_summary; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON MATERIALIZED VIEW reporting.customer_summary IS 'One row per customer with at least one revenue order (paid, shipped, delivered). Deliberately no email, name or address: customer_id is the only key. Refreshed by reporting.refresh().';


--
-- Name: COLUMN customer_summary.customer_id; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.customer_summary.customer_id IS 'Customer id (shop.users.id); no personal data here.';


--
-- Name: COLUMN customer_summary.orders; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.customer_summary.orders IS 'Revenue orders placed by the customer.';


--
-- Name: COLUMN customer_summary.lifetime_value; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.customer_summary.lifetime_value IS 'Sum of those orders'' totals.';


--
-- Name: COLUMN customer_summary.average_order_value; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.customer_summary.average_order_value IS 'lifetime_value / orders, rounded to cents.';


--
-- Name: COLUMN customer_summary.first_order_at; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.customer_summary.first_order_at IS 'When the first revenue order was placed.';


--
-- Name: COLUMN customer_summary.last_order_at; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.customer_summary.last_order_at IS 'When the latest revenue order was placed.';


--
-- Name: COLUMN customer_summary.refreshed_at; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.customer_summary.refreshed_at IS 'When this view was last refreshed.';


--
-- Name: daily_sales; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.daily_sales (
    day date NOT NULL,
    orders integer DEFAULT 0 NOT NULL,
    units integer DEFAULT 0 NOT NULL,
    revenue numeric(14,2) DEFAULT 0 NOT NULL,
    CONSTRAINT daily_sales_not_negative CHECK (((orders >= 0) AND (units >= 0) AND (revenue >= (0)::numeric)))
);


--
-- Name: TABLE daily_sales; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.daily_sales IS 'Rollup of revenue orders per UTC order day, kept current by tg_orders__daily_sales (no refresh needed).';


--
-- Name: daily_sales; Type: VIEW; Schema: reporting; Owner: -
--

CREATE VIEW reporting.daily_sales AS
 SELECT d.day,
    d.orders,
    d.units,
    d.revenue,
    round((d.revenue / (NULLIF(d.orders, 0))::numeric), 2) AS average_order_value
   FROM shop.daily_sales d
  WHERE (d.orders > 0);


--
-- Name: VIEW daily_sales; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON VIEW reporting.daily_sales IS 'Sales per day, current the moment an order is paid (no refresh). Revenue counts paid, shipped and delivered orders; never pending or cancelled. Days are UTC order dates; days without sales are absent.';


--
-- Name: COLUMN daily_sales.day; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.daily_sales.day IS 'UTC calendar day the orders were placed.';


--
-- Name: COLUMN daily_sales.orders; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.daily_sales.orders IS 'Number of revenue orders (paid, shipped or delivered) placed that day.';


--
-- Name: COLUMN daily_sales.units; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.daily_sales.units IS 'Units sold in those orders.';


--
-- Name: COLUMN daily_sales.revenue; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.daily_sales.revenue IS 'Sum of those orders'' totals (currency units, 2 decimals).';


--
-- Name: COLUMN daily_sales.average_order_value; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.daily_sales.average_order_value IS 'revenue / orders, rounded to cents.';


--
-- Name: low_stock_alerts; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.low_stock_alerts (
    id bigint NOT NULL,
    product_id bigint NOT NULL,
    stock_quantity integer NOT NULL,
    low_stock_threshold integer NOT NULL,
    opened_at timestamp with time zone DEFAULT now() NOT NULL,
    closed_at timestamp with time zone
);


--
-- Name: TABLE low_stock_alerts; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.low_stock_alerts IS 'Opened when a product''s stock falls to or below its threshold (one open alert per product), closed when restocked above it.';


--
-- Name: order_items; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.order_items (
    id bigint NOT NULL,
    order_id bigint NOT NULL,
    product_id bigint NOT NULL,
    name character varying(255) NOT NULL,
    sku character varying(100) NOT NULL,
    quantity integer NOT NULL,
    unit_price numeric(12,2) NOT NULL,
    total_price numeric(12,2) NOT NULL,
    CONSTRAINT order_items_quantity_positive CHECK ((quantity > 0)),
    CONSTRAINT order_items_total_is_price_times_quantity CHECK ((total_price = (unit_price * (quantity)::numeric))),
    CONSTRAINT order_items_unit_price_not_negative CHECK ((unit_price >= (0)::numeric))
);


--
-- Name: TABLE order_items; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.order_items IS 'Order lines with name, SKU and unit price as they were at checkout: later product changes never alter them.';


--
-- Name: products; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.products (
    id bigint NOT NULL,
    name character varying(255) NOT NULL,
    description text,
    price numeric(12,2) NOT NULL,
    category_id bigint,
    stock_quantity integer DEFAULT 0 NOT NULL,
    sku character varying(100) NOT NULL,
    is_active boolean DEFAULT true NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    low_stock_threshold integer DEFAULT 5 NOT NULL,
    search tsvector GENERATED ALWAYS AS ((setweight(to_tsvector('english'::regconfig, (COALESCE(name, ''::character varying))::text), 'A'::"char") || setweight(to_tsvector('english'::regconfig, COALESCE(description, ''::text)), 'B'::"char"))) STORED,
    deleted_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT products_low_stock_threshold_not_negative CHECK ((low_stock_threshold >= 0)),
    CONSTRAINT products_metadata_is_object CHECK ((jsonb_typeof(metadata) = 'object'::text)),
    CONSTRAINT products_name_not_blank CHECK ((btrim((name)::text) <> ''::text)),
    CONSTRAINT products_price_not_negative CHECK ((price >= (0)::numeric)),
    CONSTRAINT products_sku_not_blank CHECK ((btrim((sku)::text) <> ''::text)),
    CONSTRAINT products_stock_not_negative CHECK ((stock_quantity >= 0))
)
WITH (fillfactor='80');


--
-- Name: TABLE products; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.products IS 'The catalog. Soft-deleted rows (deleted_at) stay for past orders but disappear from reads.';


--
-- Name: COLUMN products.price; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.products.price IS 'Current unit price; orders snapshot it.';


--
-- Name: COLUMN products.stock_quantity; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.products.stock_quantity IS 'Units on hand; never negative.';


--
-- Name: COLUMN products.low_stock_threshold; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.products.low_stock_threshold IS 'At or below this stock the product counts as low on stock.';


--
-- Name: COLUMN products.search; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.products.search IS 'Full-text vector: name weight A, description weight B (english).';


--
-- Name: COLUMN products.deleted_at; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.products.deleted_at IS 'Soft delete: set when an admin deletes the product.';


--
-- Name: inventory_status; Type: MATERIALIZED VIEW; Schema: reporting; Owner: -
--

CREATE MATERIALIZED VIEW reporting.inventory_status AS
 SELECT p.id AS product_id,
    p.name,
    p.sku,
    p.category_id,
    p.is_active,
    p.stock_quantity,
    p.low_stock_threshold,
    (p.stock_quantity <= p.low_stock_threshold) AS is_low,
    a.opened_at AS low_since,
    COALESCE(s.units, (0)::bigint) AS units_last_30_days,
    round(((p.stock_quantity)::numeric / NULLIF(((s.units)::numeric / 30.0), (0)::numeric)), 1) AS days_of_cover,
    now() AS refreshed_at
   FROM ((shop.products p
     LEFT JOIN shop.low_stock_alerts a ON (((a.product_id = p.id) AND (a.closed_at IS NULL))))
     LEFT JOIN ( SELECT oi.product_id,
            sum(oi.quantity) AS units
           FROM (shop.order_items oi
             JOIN shop.orders o ON ((o.id = oi.order_id)))
          WHERE (((o.status)::text = ANY ((ARRAY['paid'::character varying, 'shipped'::character varying, 'delivered'::character varying])::text[])) AND (o.created_at >= (now() - '30 days'::interval)))
          GROUP BY oi.product_id) s ON ((s.product_id = p.id)))
  WHERE (p.deleted_at IS NULL)
  WITH NO DATA;


--
-- Name: MATERIALIZED VIEW inventory_status; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON MATERIALIZED VIEW reporting.inventory_status IS 'Stock position of every live product: on hand, threshold, low or not since when, and days of cover at the last 30 days'' pace. Refreshed by reporting.refresh(); the admin API''s low-stock list is real time.';


--
-- Name: COLUMN inventory_status.product_id; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.product_id IS 'Product id (shop.products.id).';


--
-- Name: COLUMN inventory_status.name; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.name IS 'Product name.';


--
-- Name: COLUMN inventory_status.sku; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.sku IS 'SKU.';


--
-- Name: COLUMN inventory_status.category_id; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.category_id IS 'Category the product is filed under.';


--
-- Name: COLUMN inventory_status.is_active; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.is_active IS 'False when the product is hidden from the shop.';


--
-- Name: COLUMN inventory_status.stock_quantity; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.stock_quantity IS 'Units on hand at refresh time.';


--
-- Name: COLUMN inventory_status.low_stock_threshold; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.low_stock_threshold IS 'At or below this the product is low on stock.';


--
-- Name: COLUMN inventory_status.is_low; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.is_low IS 'stock_quantity <= low_stock_threshold.';


--
-- Name: COLUMN inventory_status.low_since; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.low_since IS 'When the open low-stock alert was raised; null when not low.';


--
-- Name: COLUMN inventory_status.units_last_30_days; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.units_last_30_days IS 'Units sold in revenue orders placed in the last 30 days.';


--
-- Name: COLUMN inventory_status.days_of_cover; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.days_of_cover IS 'Days the stock lasts at the last 30 days'' average daily sales; null when nothing sold in that time.';


--
-- Name: COLUMN inventory_status.refreshed_at; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.refreshed_at IS 'When this view was last refreshed.';


--
-- Name: product_performance; Type: MATERIALIZED VIEW; Schema: reporting; Owner: -
--

CREATE MATERIALIZED VIEW reporting.product_performance AS
 WITH sales AS (
         SELECT oi.product_id,
            sum(oi.quantity) AS units_sold,
            sum(oi.total_price) AS revenue,
            count(*) AS orders,
            max(o.created_at) AS last_sold_at,
            COALESCE(sum(oi.quantity) FILTER (WHERE (o.created_at >= (now() - '30 days'::interval))), (0)::bigint) AS units_last_30_days
           FROM (shop.order_items oi
             JOIN shop.orders o ON ((o.id = oi.order_id)))
          WHERE ((o.status)::text = ANY ((ARRAY['paid'::character varying, 'shipped'::character varying, 'delivered'::character varying])::text[]))
          GROUP BY oi.product_id
        )
 SELECT p.id AS product_id,
    p.name,
    p.sku,
    p.category_id,
    p.price AS current_price,
    p.is_active,
    (p.deleted_at IS NOT NULL) AS is_deleted,
    COALESCE(s.units_sold, (0)::bigint) AS units_sold,
    (COALESCE(s.revenue, (0)::numeric))::numeric(14,2) AS revenue,
    COALESCE(s.orders, (0)::bigint) AS orders,
    s.last_sold_at,
    p.stock_quantity AS stock_on_hand,
    COALESCE(s.units_last_30_days, (0)::bigint) AS units_last_30_days,
    round(((p.stock_quantity)::numeric / NULLIF(((s.units_last_30_days)::numeric / 30.0), (0)::numeric)), 1) AS days_of_cover,
    now() AS refreshed_at
   FROM (shop.products p
     LEFT JOIN sales s ON ((s.product_id = p.id)))
  WITH NO DATA;


--
-- Name: MATERIALIZED VIEW product_performance; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON MATERIALIZED VIEW reporting.product_performance IS 'One row per product (deleted ones included, flagged): what it sold (paid, shipped, delivered orders), its stock and how long that stock lasts at the last 30 days'' pace. Refreshed by reporting.refresh().';


--
-- Name: COLUMN product_performance.product_id; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.product_id IS 'Product id (shop.products.id).';


--
-- Name: COLUMN product_performance.name; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.name IS 'Current product name.';


--
-- Name: COLUMN product_performance.sku; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.sku IS 'Current SKU.';


--
-- Name: COLUMN product_performance.category_id; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.category_id IS 'Category the product is filed under.';


--
-- Name: COLUMN product_performance.current_price; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.current_price IS 'Current list price (orders keep the price they were sold at).';


--
-- Name: COLUMN product_performance.is_active; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.is_active IS 'False when the product is hidden from the shop.';


--
-- Name: COLUMN product_performance.is_deleted; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.is_deleted IS 'True when the product was deleted (kept for past orders).';


--
-- Name: COLUMN product_performance.units_sold; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.units_sold IS 'Units sold in revenue orders, all time.';


--
-- Name: COLUMN product_performance.revenue; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.revenue IS 'Revenue from those units at the prices they were sold at.';


--
-- Name: COLUMN product_performance.orders; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.orders IS 'Number of revenue orders containing the product.';


--
-- Name: COLUMN product_performance.last_sold_at; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.last_sold_at IS 'When the latest revenue order containing it was placed.';


--
-- Name: COLUMN product_performance.stock_on_hand; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.stock_on_hand IS 'Units in stock at refresh time.';


--
-- Name: COLUMN product_performance.units_last_30_days; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.units_last_30_days IS 'Units sold in revenue orders placed in the 30 days before refresh.';


--
-- Name: COLUMN product_performance.days_of_cover; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.days_of_cover IS 'Days the stock on hand lasts at the last 30 days'' average daily sales; null when nothing sold in that time.';


--
-- Name: COLUMN product_performance.refreshed_at; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.refreshed_at IS 'When this view was last refreshed.';


--
-- Name: categories; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.categories (
    id bigint NOT NULL,
    name character varying(100) NOT NULL,
    description text,
    parent_id bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT categories_name_not_blank CHECK ((btrim((name)::text) <> ''::text)),
    CONSTRAINT categories_not_own_parent CHECK ((parent_id <> id))
);


--
-- Name: TABLE categories; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.categories IS 'Category tree (parent_id); product filters include the whole subtree.';


--
-- Name: COLUMN categories.name; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.categories.name IS 'Unique regardless of letter case.';


--
-- Name: COLUMN categories.parent_id; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.categories.parent_id IS 'Parent category; null for a root.';


--
-- Name: sales_by_category; Type: MATERIALIZED VIEW; Schema: reporting; Owner: -
--

CREATE MATERIALIZED VIEW reporting.sales_by_category AS
 WITH RECURSIVE subtree(category_id, member_id) AS (
         SELECT c_1.id,
            c_1.id
           FROM shop.categories c_1
        UNION ALL
         SELECT s.category_id,
            c_1.id
           FROM (subtree s
             JOIN shop.categories c_1 ON ((c_1.parent_id = s.member_id)))
        ), sold AS (
         SELECT p.category_id,
            oi.order_id,
            oi.quantity,
            oi.total_price
           FROM ((shop.order_items oi
             JOIN shop.orders o ON ((o.id = oi.order_id)))
             JOIN shop.products p ON ((p.id = oi.product_id)))
          WHERE ((o.status)::text = ANY ((ARRAY['paid'::character varying, 'shipped'::character varying, 'delivered'::character varying])::text[]))
        )
 SELECT c.id AS category_id,
    c.name,
    c.parent_id,
    count(DISTINCT sold.order_id) AS orders,
    COALESCE(sum(sold.quantity), (0)::bigint) AS units,
    (COALESCE(sum(sold.total_price), (0)::numeric))::numeric(14,2) AS revenue,
    now() AS refreshed_at
   FROM ((shop.categories c
     JOIN subtree st ON ((st.category_id = c.id)))
     LEFT JOIN sold ON ((sold.category_id = st.member_id)))
  GROUP BY c.id, c.name, c.parent_id
  WITH NO DATA;


--
-- Name: MATERIALIZED VIEW sales_by_category; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON MATERIALIZED VIEW reporting.sales_by_category IS 'Sales per category with its whole subtree rolled up (a parent includes its children''s sales). Revenue orders only (paid, shipped, delivered). Refreshed by reporting.refresh().';


--
-- Name: COLUMN sales_by_category.category_id; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.sales_by_category.category_id IS 'Category id (shop.categories.id).';


--
-- Name: COLUMN sales_by_category.name; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.sales_by_category.name IS 'Category name.';


--
-- Name: COLUMN sales_by_category.parent_id; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.sales_by_category.parent_id IS 'Parent category; null for a root.';


--
-- Name: COLUMN sales_by_category.orders; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.sales_by_category.orders IS 'Revenue orders with at least one product in this category or below it.';


--
-- Name: COLUMN sales_by_category.units; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.sales_by_category.units IS 'Units sold from this category and below.';


--
-- Name: COLUMN sales_by_category.revenue; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.sales_by_category.revenue IS 'Revenue from this category and below, at the prices sold.';


--
-- Name: COLUMN sales_by_category.refreshed_at; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.sales_by_category.refreshed_at IS 'When this view was last refreshed.';


--
-- Name: cart_items; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.cart_items (
    id bigint NOT NULL,
    cart_id bigint NOT NULL,
    product_id bigint NOT NULL,
    quantity integer NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT cart_items_quantity_positive CHECK ((quantity > 0))
);


--
-- Name: TABLE cart_items; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.cart_items IS 'Cart lines: one per product and cart, quantity at least 1.';


--
-- Name: cart_items_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.cart_items ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.cart_items_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: carts; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.carts (
    id bigint NOT NULL,
    user_id bigint,
    token uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT carts_owner_is_user_or_token CHECK (((user_id IS NULL) <> (token IS NULL)))
);


--
-- Name: TABLE carts; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.carts IS 'One persistent cart per user, or a guest cart reached by its token. Guest carts idle for 30 days are purged.';


--
-- Name: COLUMN carts.token; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.carts.token IS 'Opaque guest token (X-Cart-Token); null for a user''s cart.';


--
-- Name: COLUMN carts.updated_at; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.carts.updated_at IS 'Last change to the cart; a guest cart expires 30 days after it.';


--
-- Name: carts_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.carts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.carts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: categories_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.categories ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.categories_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: idempotency_keys; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.idempotency_keys (
    user_id bigint NOT NULL,
    key character varying(255) NOT NULL,
    request_hash bytea NOT NULL,
    order_id bigint,
    response jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT idempotency_keys_done_together CHECK (((order_id IS NULL) = (response IS NULL)))
);


--
-- Name: TABLE idempotency_keys; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.idempotency_keys IS 'Idempotency-Key of checkouts, per user: the request''s hash and the response to replay. Kept 24 hours at least.';


--
-- Name: low_stock_alerts_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.low_stock_alerts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.low_stock_alerts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: order_items_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.order_items ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.order_items_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: order_status_history; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.order_status_history (
    id bigint NOT NULL,
    order_id bigint NOT NULL,
    from_status text,
    status text NOT NULL,
    changed_by bigint,
    db_role text DEFAULT SESSION_USER NOT NULL,
    changed_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: TABLE order_status_history; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.order_status_history IS 'Every status an order took, when, and who set it (changed_by: the API user; db_role: the database login).';


--
-- Name: order_status_history_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.order_status_history ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.order_status_history_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: order_status_transitions; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.order_status_transitions (
    from_status text NOT NULL,
    to_status text NOT NULL
);


--
-- Name: TABLE order_status_transitions; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.order_status_transitions IS 'The allowed status changes; a trigger on shop.orders refuses any other.';


--
-- Name: order_statuses; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.order_statuses (
    status text NOT NULL,
    "position" integer NOT NULL
);


--
-- Name: TABLE order_statuses; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.order_statuses IS 'The order statuses, in workflow order.';


--
-- Name: orders_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.orders ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.orders_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: products_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.products ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.products_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: search_words; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.search_words (
    word text NOT NULL,
    CONSTRAINT search_words_lowercase CHECK (((word = lower(word)) AND (length(word) >= 3)))
);


--
-- Name: TABLE search_words; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.search_words IS 'Every word (3+ letters, no digits, lower case) that appears in a product name: the vocabulary typos are corrected to.';


--
-- Name: stock_movements; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.stock_movements (
    id bigint NOT NULL,
    product_id bigint NOT NULL,
    delta integer NOT NULL,
    stock_after integer NOT NULL,
    reason text NOT NULL,
    order_id bigint,
    actor_id bigint,
    db_role text DEFAULT SESSION_USER NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT stock_movements_delta_not_zero CHECK ((delta <> 0)),
    CONSTRAINT stock_movements_order_for_sale_and_cancel CHECK (((reason = ANY (ARRAY['sale'::text, 'cancel'::text])) = (order_id IS NOT NULL))),
    CONSTRAINT stock_movements_reason_known CHECK ((reason = ANY (ARRAY['initial'::text, 'restock'::text, 'sale'::text, 'cancel'::text, 'adjustment'::text]))),
    CONSTRAINT stock_movements_stock_after_not_negative CHECK ((stock_after >= 0))
);


--
-- Name: TABLE stock_movements; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.stock_movements IS 'Append-only stock ledger: one row per change of a product''s stock, written by trigger on shop.products.';


--
-- Name: COLUMN stock_movements.reason; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.stock_movements.reason IS 'initial (product created with stock), restock, sale (checkout), cancel (stock returned), adjustment (admin or by hand).';


--
-- Name: COLUMN stock_movements.actor_id; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.stock_movements.actor_id IS 'The API user who caused it; null when changed by hand in SQL (see db_role).';


--
-- Name: stock_movements_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.stock_movements ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.stock_movements_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: stock_reconciliation; Type: VIEW; Schema: shop; Owner: -
--

CREATE VIEW shop.stock_reconciliation AS
 SELECT p.id AS product_id,
    p.stock_quantity,
    (COALESCE(m.ledger_quantity, (0)::bigint))::integer AS ledger_quantity,
    (p.stock_quantity - COALESCE(m.ledger_quantity, (0)::bigint)) AS difference
   FROM (shop.products p
     LEFT JOIN ( SELECT sm.product_id,
            sum(sm.delta) AS ledger_quantity
           FROM shop.stock_movements sm
          GROUP BY sm.product_id) m ON ((m.product_id = p.id)));


--
-- Name: VIEW stock_reconciliation; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON VIEW shop.stock_reconciliation IS 'Stock on hand against the sum of the ledger, per product; difference is always 0.';


--
-- Name: users; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.users (
    id bigint NOT NULL,
    email character varying(255) NOT NULL,
    password_hash text NOT NULL,
    first_name character varying(100) NOT NULL,
    last_name character varying(100) NOT NULL,
    role text DEFAULT 'customer'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT users_email_format CHECK (((email)::text ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'::text)),
    CONSTRAINT users_first_name_not_blank CHECK ((btrim((first_name)::text) <> ''::text)),
    CONSTRAINT users_last_name_not_blank CHECK ((btrim((last_name)::text) <> ''::text)),
    CONSTRAINT users_password_is_bcrypt CHECK ((password_hash ~~ '$2_$%'::text)),
    CONSTRAINT users_role_known CHECK ((role = ANY (ARRAY['customer'::text, 'admin'::text])))
);


--
-- Name: TABLE users; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.users IS 'Customers and admins. Passwords are bcrypt hashes made in the database.';


--
-- Name: COLUMN users.email; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.users.email IS 'Login; unique regardless of letter case (users_email_lower_key).';


--
-- Name: COLUMN users.password_hash; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.users.password_hash IS 'bcrypt hash (pgcrypto crypt/gen_salt(''bf'')); never leaves the database.';


--
-- Name: COLUMN users.role; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.users.role IS 'customer or admin; only an admin (or make admin) changes it.';


--
-- Name: users_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.users ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.users_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: log log_pkey; Type: CONSTRAINT; Schema: audit; Owner: -
--

ALTER TABLE ONLY audit.log
    ADD CONSTRAINT log_pkey PRIMARY KEY (id);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: cart_items cart_items_one_line_per_product; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.cart_items
    ADD CONSTRAINT cart_items_one_line_per_product UNIQUE (cart_id, product_id);


--
-- Name: cart_items cart_items_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.cart_items
    ADD CONSTRAINT cart_items_pkey PRIMARY KEY (id);


--
-- Name: carts carts_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.carts
    ADD CONSTRAINT carts_pkey PRIMARY KEY (id);


--
-- Name: carts carts_token_key; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.carts
    ADD CONSTRAINT carts_token_key UNIQUE (token);


--
-- Name: carts carts_user_id_key; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.carts
    ADD CONSTRAINT carts_user_id_key UNIQUE (user_id);


--
-- Name: categories categories_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.categories
    ADD CONSTRAINT categories_pkey PRIMARY KEY (id);


--
-- Name: daily_sales daily_sales_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.daily_sales
    ADD CONSTRAINT daily_sales_pkey PRIMARY KEY (day);


--
-- Name: idempotency_keys idempotency_keys_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.idempotency_keys
    ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (user_id, key);


--
-- Name: low_stock_alerts low_stock_alerts_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.low_stock_alerts
    ADD CONSTRAINT low_stock_alerts_pkey PRIMARY KEY (id);


--
-- Name: order_items order_items_one_line_per_product; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.order_items
    ADD CONSTRAINT order_items_one_line_per_product UNIQUE (order_id, product_id);


--
-- Name: order_items order_items_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.order_items
    ADD CONSTRAINT order_items_pkey PRIMARY KEY (id);


--
-- Name: order_status_history order_status_history_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.order_status_history
    ADD CONSTRAINT order_status_history_pkey PRIMARY KEY (id);


--
-- Name: order_status_transitions order_status_transitions_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.order_status_transitions
    ADD CONSTRAINT order_status_transitions_pkey PRIMARY KEY (from_status, to_status);


--
-- Name: order_statuses order_statuses_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.order_statuses
    ADD CONSTRAINT order_statuses_pkey PRIMARY KEY (status);


--
-- Name: order_statuses order_statuses_position_key; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.order_statuses
    ADD CONSTRAINT order_statuses_position_key UNIQUE ("position");


--
-- Name: orders orders_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (id);


--
-- Name: products products_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.products
    ADD CONSTRAINT products_pkey PRIMARY KEY (id);


--
-- Name: search_words search_words_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.search_words
    ADD CONSTRAINT search_words_pkey PRIMARY KEY (word);


--
-- Name: stock_movements stock_movements_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.stock_movements
    ADD CONSTRAINT stock_movements_pkey PRIMARY KEY (id);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: log_row_idx; Type: INDEX; Schema: audit; Owner: -
--

CREATE INDEX log_row_idx ON audit.log USING btree (table_name, row_id, id DESC);


--
-- Name: customer_summary_customer_id_key; Type: INDEX; Schema: reporting; Owner: -
--

CREATE UNIQUE INDEX customer_summary_customer_id_key ON reporting.customer_summary USING btree (customer_id);


--
-- Name: inventory_status_product_id_key; Type: INDEX; Schema: reporting; Owner: -
--

CREATE UNIQUE INDEX inventory_status_product_id_key ON reporting.inventory_status USING btree (product_id);


--
-- Name: product_performance_product_id_key; Type: INDEX; Schema: reporting; Owner: -
--

CREATE UNIQUE INDEX product_performance_product_id_key ON reporting.product_performance USING btree (product_id);


--
-- Name: product_performance_revenue_idx; Type: INDEX; Schema: reporting; Owner: -
--

CREATE INDEX product_performance_revenue_idx ON reporting.product_performance USING btree (revenue DESC, product_id);


--
-- Name: sales_by_category_category_id_key; Type: INDEX; Schema: reporting; Owner: -
--

CREATE UNIQUE INDEX sales_by_category_category_id_key ON reporting.sales_by_category USING btree (category_id);


--
-- Name: cart_items_product_id_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX cart_items_product_id_idx ON shop.cart_items USING btree (product_id);


--
-- Name: carts_guest_updated_at_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX carts_guest_updated_at_idx ON shop.carts USING btree (updated_at) WHERE (token IS NOT NULL);


--
-- Name: categories_name_lower_key; Type: INDEX; Schema: shop; Owner: -
--

CREATE UNIQUE INDEX categories_name_lower_key ON shop.categories USING btree (lower((name)::text));


--
-- Name: categories_parent_id_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX categories_parent_id_idx ON shop.categories USING btree (parent_id);


--
-- Name: idempotency_keys_created_at_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX idempotency_keys_created_at_idx ON shop.idempotency_keys USING btree (created_at);


--
-- Name: low_stock_alerts_one_open_key; Type: INDEX; Schema: shop; Owner: -
--

CREATE UNIQUE INDEX low_stock_alerts_one_open_key ON shop.low_stock_alerts USING btree (product_id) WHERE (closed_at IS NULL);


--
-- Name: order_items_product_id_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX order_items_product_id_idx ON shop.order_items USING btree (product_id);


--
-- Name: order_status_history_order_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX order_status_history_order_idx ON shop.order_status_history USING btree (order_id, id);


--
-- Name: orders_status_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX orders_status_idx ON shop.orders USING btree (status);


--
-- Name: orders_user_newest_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX orders_user_newest_idx ON shop.orders USING btree (user_id, created_at DESC, id DESC);


--
-- Name: products_category_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX products_category_idx ON shop.products USING btree (category_id) WHERE (deleted_at IS NULL);


--
-- Name: products_name_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX products_name_idx ON shop.products USING btree (name, id) WHERE ((deleted_at IS NULL) AND is_active);


--
-- Name: products_name_trgm_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX products_name_trgm_idx ON shop.products USING gin (name public.gin_trgm_ops);


--
-- Name: products_newest_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX products_newest_idx ON shop.products USING btree (created_at, id) WHERE ((deleted_at IS NULL) AND is_active);


--
-- Name: products_price_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX products_price_idx ON shop.products USING btree (price, id) WHERE ((deleted_at IS NULL) AND is_active);


--
-- Name: products_search_rum_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX products_search_rum_idx ON shop.products USING rum (search) WHERE ((deleted_at IS NULL) AND is_active);


--
-- Name: products_sku_live_key; Type: INDEX; Schema: shop; Owner: -
--

CREATE UNIQUE INDEX products_sku_live_key ON shop.products USING btree (sku) WHERE (deleted_at IS NULL);


--
-- Name: search_words_trgm_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX search_words_trgm_idx ON shop.search_words USING gist (word public.gist_trgm_ops);


--
-- Name: stock_movements_order_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX stock_movements_order_idx ON shop.stock_movements USING btree (order_id) WHERE (order_id IS NOT NULL);


--
-- Name: stock_movements_product_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX stock_movements_product_idx ON shop.stock_movements USING btree (product_id, id);


--
-- Name: users_email_lower_key; Type: INDEX; Schema: shop; Owner: -
--

CREATE UNIQUE INDEX users_email_lower_key ON shop.users USING btree (lower((email)::text));


--
-- Name: log tg_log__append_only; Type: TRIGGER; Schema: audit; Owner: -
--

CREATE TRIGGER tg_log__append_only BEFORE DELETE OR UPDATE OR TRUNCATE ON audit.log FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__append_only();


--
-- Name: cart_items tg_cart_items__set_updated_at; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_cart_items__set_updated_at BEFORE UPDATE ON shop.cart_items FOR EACH ROW EXECUTE FUNCTION shop.tg__set_updated_at();


--
-- Name: categories tg_categories__audit_delete; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_categories__audit_delete AFTER DELETE ON shop.categories REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log();


--
-- Name: categories tg_categories__audit_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_categories__audit_insert AFTER INSERT ON shop.categories REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log();


--
-- Name: categories tg_categories__audit_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_categories__audit_update AFTER UPDATE ON shop.categories REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log();


--
-- Name: categories tg_categories__no_cycle; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_categories__no_cycle BEFORE UPDATE OF parent_id ON shop.categories FOR EACH ROW EXECUTE FUNCTION shop.tg_categories__no_cycle();


--
-- Name: categories tg_categories__set_updated_at; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_categories__set_updated_at BEFORE UPDATE ON shop.categories FOR EACH ROW EXECUTE FUNCTION shop.tg__set_updated_at();


--
-- Name: order_items tg_order_items__daily_sales_delete; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_order_items__daily_sales_delete AFTER DELETE ON shop.order_items REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_order_items__daily_sales();


--
-- Name: order_items tg_order_items__daily_sales_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_order_items__daily_sales_insert AFTER INSERT ON shop.order_items REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_order_items__daily_sales();


--
-- Name: order_items tg_order_items__daily_sales_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_order_items__daily_sales_update AFTER UPDATE ON shop.order_items REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_order_items__daily_sales();


--
-- Name: orders tg_orders__audit_delete; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_orders__audit_delete AFTER DELETE ON shop.orders REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log();


--
-- Name: orders tg_orders__audit_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_orders__audit_insert AFTER INSERT ON shop.orders REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log();


--
-- Name: orders tg_orders__audit_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_orders__audit_update AFTER UPDATE ON shop.orders REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log();


--
-- Name: orders tg_orders__check_transition; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_orders__check_transition BEFORE UPDATE OF status ON shop.orders FOR EACH ROW EXECUTE FUNCTION shop.tg_orders__check_transition();


--
-- Name: orders tg_orders__daily_sales_delete; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_orders__daily_sales_delete AFTER DELETE ON shop.orders REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_orders__daily_sales();


--
-- Name: orders tg_orders__daily_sales_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_orders__daily_sales_insert AFTER INSERT ON shop.orders REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_orders__daily_sales();


--
-- Name: orders tg_orders__daily_sales_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_orders__daily_sales_update AFTER UPDATE ON shop.orders REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_orders__daily_sales();


--
-- Name: orders tg_orders__set_updated_at; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_orders__set_updated_at BEFORE UPDATE ON shop.orders FOR EACH ROW EXECUTE FUNCTION shop.tg__set_updated_at();


--
-- Name: orders tg_orders__status_changed; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_orders__status_changed AFTER UPDATE OF status ON shop.orders FOR EACH ROW WHEN (((old.status)::text IS DISTINCT FROM (new.status)::text)) EXECUTE FUNCTION shop.tg_orders__status_changed();


--
-- Name: orders tg_orders__status_created; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_orders__status_created AFTER INSERT ON shop.orders FOR EACH ROW EXECUTE FUNCTION shop.tg_orders__status_changed();


--
-- Name: products tg_products__audit_delete; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_products__audit_delete AFTER DELETE ON shop.products REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log('search');


--
-- Name: products tg_products__audit_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_products__audit_insert AFTER INSERT ON shop.products REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log('search');


--
-- Name: products tg_products__audit_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_products__audit_update AFTER UPDATE ON shop.products REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log('search');


--
-- Name: products tg_products__low_stock_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_products__low_stock_insert AFTER INSERT ON shop.products FOR EACH ROW WHEN ((new.stock_quantity <= new.low_stock_threshold)) EXECUTE FUNCTION shop.tg_products__low_stock();


--
-- Name: products tg_products__low_stock_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_products__low_stock_update AFTER UPDATE OF stock_quantity, low_stock_threshold, deleted_at ON shop.products FOR EACH ROW WHEN (((new.stock_quantity <= new.low_stock_threshold) OR (old.stock_quantity <= old.low_stock_threshold) OR (new.deleted_at IS DISTINCT FROM old.deleted_at))) EXECUTE FUNCTION shop.tg_products__low_stock();


--
-- Name: products tg_products__record_stock_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_products__record_stock_insert AFTER INSERT ON shop.products REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_products__record_stock();


--
-- Name: products tg_products__record_stock_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_products__record_stock_update AFTER UPDATE ON shop.products REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_products__record_stock();


--
-- Name: products tg_products__search_words_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_products__search_words_insert AFTER INSERT ON shop.products FOR EACH ROW EXECUTE FUNCTION shop.tg_products__search_words();


--
-- Name: products tg_products__search_words_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_products__search_words_update AFTER UPDATE OF name ON shop.products FOR EACH ROW WHEN (((old.name)::text IS DISTINCT FROM (new.name)::text)) EXECUTE FUNCTION shop.tg_products__search_words();


--
-- Name: products tg_products__set_updated_at; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_products__set_updated_at BEFORE UPDATE ON shop.products FOR EACH ROW EXECUTE FUNCTION shop.tg__set_updated_at();


--
-- Name: stock_movements tg_stock_movements__append_only; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_stock_movements__append_only BEFORE DELETE OR UPDATE ON shop.stock_movements FOR EACH ROW EXECUTE FUNCTION shop.tg_stock_movements__append_only();


--
-- Name: stock_movements tg_stock_movements__no_truncate; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_stock_movements__no_truncate BEFORE TRUNCATE ON shop.stock_movements FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_stock_movements__append_only();


--
-- Name: users tg_users__audit_delete; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_users__audit_delete AFTER DELETE ON shop.users REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log('password_hash');


--
-- Name: users tg_users__audit_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_users__audit_insert AFTER INSERT ON shop.users REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log('password_hash');


--
-- Name: users tg_users__audit_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_users__audit_update AFTER UPDATE ON shop.users REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log('password_hash');


--
-- Name: users tg_users__set_updated_at; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_users__set_updated_at BEFORE UPDATE ON shop.users FOR EACH ROW EXECUTE FUNCTION shop.tg__set_updated_at();


--
-- Name: cart_items cart_items_cart_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.cart_items
    ADD CONSTRAINT cart_items_cart_id_fkey FOREIGN KEY (cart_id) REFERENCES shop.carts(id) ON DELETE CASCADE;


--
-- Name: cart_items cart_items_product_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.cart_items
    ADD CONSTRAINT cart_items_product_id_fkey FOREIGN KEY (product_id) REFERENCES shop.products(id);


--
-- Name: carts carts_user_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.carts
    ADD CONSTRAINT carts_user_id_fkey FOREIGN KEY (user_id) REFERENCES shop.users(id) ON DELETE CASCADE;


--
-- Name: categories categories_parent_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.categories
    ADD CONSTRAINT categories_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES shop.categories(id);


--
-- Name: idempotency_keys idempotency_keys_order_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.idempotency_keys
    ADD CONSTRAINT idempotency_keys_order_id_fkey FOREIGN KEY (order_id) REFERENCES shop.orders(id);


--
-- Name: idempotency_keys idempotency_keys_user_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.idempotency_keys
    ADD CONSTRAINT idempotency_keys_user_id_fkey FOREIGN KEY (user_id) REFERENCES shop.users(id) ON DELETE CASCADE;


--
-- Name: low_stock_alerts low_stock_alerts_product_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.low_stock_alerts
    ADD CONSTRAINT low_stock_alerts_product_id_fkey FOREIGN KEY (product_id) REFERENCES shop.products(id);


--
-- Name: order_items order_items_order_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.order_items
    ADD CONSTRAINT order_items_order_id_fkey FOREIGN KEY (order_id) REFERENCES shop.orders(id);


--
-- Name: order_items order_items_product_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.order_items
    ADD CONSTRAINT order_items_product_id_fkey FOREIGN KEY (product_id) REFERENCES shop.products(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: order_status_history order_status_history_changed_by_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.order_status_history
    ADD CONSTRAINT order_status_history_changed_by_fkey FOREIGN KEY (changed_by) REFERENCES shop.users(id);


--
-- Name: order_status_history order_status_history_order_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.order_status_history
    ADD CONSTRAINT order_status_history_order_id_fkey FOREIGN KEY (order_id) REFERENCES shop.orders(id);


--
-- Name: order_status_transitions order_status_transitions_from_status_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.order_status_transitions
    ADD CONSTRAINT order_status_transitions_from_status_fkey FOREIGN KEY (from_status) REFERENCES shop.order_statuses(status);


--
-- Name: order_status_transitions order_status_transitions_to_status_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.order_status_transitions
    ADD CONSTRAINT order_status_transitions_to_status_fkey FOREIGN KEY (to_status) REFERENCES shop.order_statuses(status);


--
-- Name: orders orders_status_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.orders
    ADD CONSTRAINT orders_status_fkey FOREIGN KEY (status) REFERENCES shop.order_statuses(status);


--
-- Name: orders orders_user_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.orders
    ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES shop.users(id);


--
-- Name: products products_category_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.products
    ADD CONSTRAINT products_category_id_fkey FOREIGN KEY (category_id) REFERENCES shop.categories(id);


--
-- Name: stock_movements stock_movements_actor_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.stock_movements
    ADD CONSTRAINT stock_movements_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES shop.users(id);


--
-- Name: stock_movements stock_movements_order_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.stock_movements
    ADD CONSTRAINT stock_movements_order_id_fkey FOREIGN KEY (order_id) REFERENCES shop.orders(id);


--
-- Name: stock_movements stock_movements_product_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.stock_movements
    ADD CONSTRAINT stock_movements_product_id_fkey FOREIGN KEY (product_id) REFERENCES shop.products(id);


--
-- PostgreSQL database dump complete
--

\unrestrict dbmate


--
-- Dbmate schema migrations
--

INSERT INTO public.schema_migrations (version) VALUES
    ('20261124190000'),
    ('20261124190100'),
    ('20261124190200'),
    ('20261124200000'),
    ('20261124210000'),
    ('20261124220000'),
    ('20261124220100'),
    ('20261124220200'),
    ('20261124230000'),
    ('20261124230100'),
    ('20261124230200');
