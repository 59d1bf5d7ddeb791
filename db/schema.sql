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
-- Name: lib; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA lib;


--
-- Name: SCHEMA lib; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA lib IS 'Helpers of the api functions (validation, JSON shapes, checkout steps, housekeeping): rebuilt from db/functions by make migrate. Nothing here is callable by pgshop_api.';


--
-- Name: monitoring; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA monitoring;


--
-- Name: SCHEMA monitoring; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA monitoring IS 'Views for monitoring (role pgshop_monitor): statements, cache, connections, locks, long transactions, table and index health, replication, WAL archiving and backups. No customer data.';


--
-- Name: queue; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA queue;


--
-- Name: SCHEMA queue; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA queue IS 'The job queue (procrastinate): webhook deliveries. Its tables belong to procrastinate.';


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
-- Name: pg_stat_statements; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pg_stat_statements WITH SCHEMA public;


--
-- Name: EXTENSION pg_stat_statements; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pg_stat_statements IS 'track planning and execution statistics of all SQL statements executed';


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
-- Name: procrastinate_job_event_type; Type: TYPE; Schema: queue; Owner: -
--

CREATE TYPE queue.procrastinate_job_event_type AS ENUM (
    'deferred',
    'started',
    'deferred_for_retry',
    'failed',
    'succeeded',
    'cancelled',
    'abort_requested',
    'aborted',
    'scheduled',
    'retried'
);


--
-- Name: procrastinate_job_status; Type: TYPE; Schema: queue; Owner: -
--

CREATE TYPE queue.procrastinate_job_status AS ENUM (
    'todo',
    'doing',
    'succeeded',
    'failed',
    'cancelled',
    'aborting',
    'aborted'
);


--
-- Name: procrastinate_job_to_defer_v1; Type: TYPE; Schema: queue; Owner: -
--

CREATE TYPE queue.procrastinate_job_to_defer_v1 AS (
	queue_name character varying,
	task_name character varying,
	priority integer,
	lock text,
	queueing_lock text,
	args jsonb,
	scheduled_at timestamp with time zone
);


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
-- Name: address; Type: DOMAIN; Schema: shop; Owner: -
--

CREATE DOMAIN shop.address AS jsonb
	CONSTRAINT address_is_complete CHECK ((shop.has_text((VALUE ->> 'name'::text)) AND shop.has_text((VALUE ->> 'line1'::text)) AND shop.has_text((VALUE ->> 'city'::text)) AND shop.has_text((VALUE ->> 'postal_code'::text)) AND shop.has_text((VALUE ->> 'country'::text))))
	CONSTRAINT address_is_flat_object_of_strings CHECK (((jsonb_typeof(VALUE) = 'object'::text) AND (NOT jsonb_path_exists(VALUE, 'strict $.*?(@.type() != "string" || @ like_regex "^.{201}" flag "s")'::jsonpath)) AND (NOT jsonb_path_exists(VALUE, 'strict $.keyvalue()?(@."key" like_regex "^.{51}" flag "s")'::jsonpath)) AND (jsonb_array_length(jsonb_path_query_array(VALUE, 'strict $.*'::jsonpath)) <= 20)));


--
-- Name: DOMAIN address; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON DOMAIN shop.address IS 'A shipping address: a flat JSON object of strings (at most 20 fields, names up to 50 characters, values up to 200); name, line1, city, postal_code and country required and not blank; line2, region and phone optional.';


--
-- Name: audit_list(text, bigint, integer, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.audit_list(p_table text, p_id bigint, p_limit integer DEFAULT 20, p_cursor text DEFAULT NULL::text) RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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


--
-- Name: FUNCTION audit_list(p_table text, p_id bigint, p_limit integer, p_cursor text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.audit_list(p_table text, p_id bigint, p_limit integer, p_cursor text) IS 'GET /api/admin/audit (admin): the audit trail of one row, newest first, keyset-paginated. PT422 invalid_table, invalid_limit, invalid_cursor.';


--
-- Name: cart_add_item(text, bigint, integer, bigint); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.cart_add_item(p_token text, p_product_id bigint, p_quantity integer, p_variant_id bigint DEFAULT NULL::bigint) RETURNS json
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select lib.set_cart_line(p_token, p_product_id, p_variant_id, p_quantity, true)
$$;


--
-- Name: FUNCTION cart_add_item(p_token text, p_product_id bigint, p_quantity integer, p_variant_id bigint); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.cart_add_item(p_token text, p_product_id bigint, p_quantity integer, p_variant_id bigint) IS 'POST /api/cart/items {product_id?, variant_id?, quantity}: adds quantity to the line of the variant (the product''s only one when no variant_id), created when missing; a guest without a live token gets a new cart and token. PT422 invalid_quantity, variant_required, PT404 not_found, PT409 insufficient_stock, variant_unavailable.';


--
-- Name: cart_checkout(jsonb, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.cart_checkout(p_request jsonb, p_idempotency_key text DEFAULT NULL::text) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_user bigint := lib.require_user();
begin
  perform lib.rate_limit_check('checkout', v_user::text, lib.setting('rate_limit_checkout_per_user')::integer,
                               interval '1 minute');
  insert into shop.attempts (kind, key) values ('checkout', v_user::text);
  return lib.checkout(v_user, p_request, p_idempotency_key);
end
$$;


--
-- Name: FUNCTION cart_checkout(p_request jsonb, p_idempotency_key text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.cart_checkout(p_request jsonb, p_idempotency_key text) IS 'POST /api/orders: the caller''s cart becomes a pending order in one transaction (lib.checkout); p_request is the request body {shipping_address}. PT429 too_many_attempts beyond rate_limit_checkout_per_user attempts a minute; refusals come back as problems (each attempt counts). With an Idempotency-Key the same request replays the first order.';


--
-- Name: cart_get(text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.cart_get(p_token text DEFAULT NULL::text) RETURNS json
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select lib.cart_json(lib.find_cart(p_token))
$$;


--
-- Name: FUNCTION cart_get(p_token text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.cart_get(p_token text) IS 'GET /api/cart: the caller''s cart (a signed-in user''s, else the guest cart of p_token); empty when none.';


--
-- Name: cart_remove_item(text, bigint, bigint); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.cart_remove_item(p_token text, p_product_id bigint, p_variant_id bigint DEFAULT NULL::bigint) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_cart shop.carts := lib.find_cart(p_token);
begin
  if v_cart.id is not null then
    delete from shop.cart_items ci
    where ci.cart_id = v_cart.id
      and ci.product_id = p_product_id
      and (p_variant_id is null or ci.variant_id = p_variant_id);
    update shop.carts c
    set updated_at = now()
    where c.id = v_cart.id;
  end if;
  return lib.cart_json(v_cart);
end
$$;


--
-- Name: FUNCTION cart_remove_item(p_token text, p_product_id bigint, p_variant_id bigint); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.cart_remove_item(p_token text, p_product_id bigint, p_variant_id bigint) IS 'DELETE /api/cart/items/{product_id}?variant_id=: removes the line of that variant, or every line of the product (removing an absent line is not an error).';


--
-- Name: cart_set_item(text, bigint, integer, bigint); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.cart_set_item(p_token text, p_product_id bigint, p_quantity integer, p_variant_id bigint DEFAULT NULL::bigint) RETURNS json
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select lib.set_cart_line(p_token, p_product_id, p_variant_id, p_quantity, false)
$$;


--
-- Name: FUNCTION cart_set_item(p_token text, p_product_id bigint, p_quantity integer, p_variant_id bigint); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.cart_set_item(p_token text, p_product_id bigint, p_quantity integer, p_variant_id bigint) IS 'PUT /api/cart/items/{product_id} {quantity, variant_id?}: sets the quantity of the line of the variant (the product''s only one when no variant_id). PT422 invalid_quantity, variant_required, PT404 not_found, PT409 insufficient_stock, variant_unavailable.';


--
-- Name: categories_list(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.categories_list() RETURNS json
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select json_build_object(
    'items', coalesce(json_agg(lib.category_json(c) order by c.id), '[]'),
    'next_cursor', null
  )
  from shop.categories c
$$;


--
-- Name: FUNCTION categories_list(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.categories_list() IS 'GET /api/categories: every category (the tree is small, so one page; next_cursor is always null).';


--
-- Name: categories_report(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.categories_report() RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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


--
-- Name: FUNCTION categories_report(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.categories_report() IS 'GET /api/admin/reports/categories (admin): sales per category with its subtree rolled up, from reporting.sales_by_category (as of its last refresh).';


--
-- Name: category_create(text, text, bigint); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.category_create(p_name text, p_description text DEFAULT NULL::text, p_parent_id bigint DEFAULT NULL::bigint) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_category shop.categories;
begin
  perform lib.require_admin();
  insert into shop.categories (name, description, parent_id)
  values (btrim(p_name), p_description, p_parent_id)
  returning * into v_category;
  return lib.category_json(v_category);
exception
  when unique_violation then
    raise exception using
      errcode = 'PT409', message = 'category_exists',
      detail = format('a category named %L already exists', btrim(p_name));
  when foreign_key_violation then
    raise exception using
      errcode = 'PT422', message = 'unknown_parent',
      detail = format('there is no category %s to be the parent', p_parent_id);
end
$$;


--
-- Name: FUNCTION category_create(p_name text, p_description text, p_parent_id bigint); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.category_create(p_name text, p_description text, p_parent_id bigint) IS 'POST /api/categories (admin): 409 category_exists (any letter case), 422 unknown_parent.';


--
-- Name: export_begin(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.export_begin() RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform lib.require_admin();
  perform set_config('statement_timeout',
                     (extract(epoch from lib.setting('import_timeout')::interval) * 1000)::bigint::text, true);
  return 'copy (select * from api.products_export()) to stdout with (format csv, header true)';
end
$$;


--
-- Name: FUNCTION export_begin(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.export_begin() IS 'GET /api/admin/exports/products.csv (admin): the COPY that streams the catalog, run next in this transaction (under the import_timeout setting, not the API''s 10 s). PT401, PT403.';


--
-- Name: import_apply(text, boolean, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.import_apply(p_sha256 text, p_dry_run boolean DEFAULT false, p_filename text DEFAULT NULL::text) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  v_sha256 text := lower(p_sha256);
  v_rows bigint;
  v_errors jsonb;
  v_error_count bigint;
  v_counts jsonb;
  v_changes jsonb;
  v_import shop.imports;
  v_depth integer;
begin
  perform lib.import_caller();
  if to_regclass('pg_temp.import_rows') is null then
    raise exception using errcode = 'PT409', message = 'import_not_begun',
      detail = 'call api.import_begin and COPY the file in this transaction first';
  end if;
  if v_sha256 !~ '^[0-9a-f]{64}$' then
    raise exception using errcode = 'PT422', message = 'validation_failed', detail = 'sha256 is 64 hex digits';
  end if;
  revoke insert on pg_temp.import_rows from pgshop_api;  -- what was streamed is what is checked
  analyze pg_temp.import_rows;
  select count(*) into v_rows from pg_temp.import_rows;

  -- A file applied before changes nothing (the unique index makes a second, concurrent apply wait for the
  -- first and then find it).
  if exists (select from shop.imports i where i.sha256 = v_sha256 and i.status = 'applied') then
    v_import := lib.import_record('duplicate', v_sha256, p_filename, v_rows, '{}', '[]', '[]', 0);
    return lib.import_json(v_import);
  end if;

  -- The rows, typed.
  create temporary table import_lines on commit drop as
  select r.n,
         lower(btrim(r.product_handle)) as handle,
         btrim(r.product_name) as name,
         r.description,
         nullif(array_to_string(array(select btrim(s) from unnest(string_to_array(r.category_path, '>')) s), ' > '), '')
           as category_path,
         btrim(r.sku) as sku,
         lower(btrim(r.sku)) as sku_key,
         r.price as price_text,
         case when lib.import_money_ok(r.price) then r.price::numeric(12, 2) end as price,
         r.compare_at_price as compare_text,
         case when lib.import_money_ok(r.compare_at_price) then r.compare_at_price::numeric(12, 2) end as compare_at_price,
         r.stock as stock_text,
         case when r.stock ~ '^\s*[0-9]{1,9}\s*$' then r.stock::integer end as stock,
         r.weight_grams as weight_text,
         case when r.weight_grams ~ '^\s*[0-9]{1,9}\s*$' then r.weight_grams::integer end as weight_grams,
         r.active as active_text,
         case when lower(btrim(r.active)) in ('true', 't', 'yes', 'y', '1') then true
              when lower(btrim(r.active)) in ('false', 'f', 'no', 'n', '0') then false end as is_active,
         r.metadata as metadata_text,
         case when nullif(btrim(r.metadata), '') is not null then lib.jsonb_object_or_null(r.metadata) end as metadata,
         -- options as [{name, value, key: lower name}], in option order; "names" is the product's list
         coalesce((select jsonb_agg(jsonb_build_object('n', o.i, 'name', coalesce(btrim(o.name), ''),
                                                 'value', coalesce(btrim(o.value), '')) order by o.i)
                   from (values (1, r.option1_name, r.option1_value), (2, r.option2_name, r.option2_value),
                                (3, r.option3_name, r.option3_value)) o(i, name, value)
                   where nullif(btrim(o.name), '') is not null or nullif(btrim(o.value), '') is not null), '[]') as options
  from pg_temp.import_rows r;
  alter table pg_temp.import_lines add primary key (n);
  create index on pg_temp.import_lines (sku_key);
  create index on pg_temp.import_lines (handle, n);
  analyze pg_temp.import_lines;

  -- The first row of each product states its product-level fields; the others must agree.
  create temporary table import_products on commit drop as
  select distinct on (l.handle) l.handle, l.n as first_row, l.name, l.description, l.category_path, l.metadata,
         l.options as first_options,
         (select array_agg(lower(o ->> 'name') order by (o ->> 'n')::integer) from jsonb_array_elements(l.options) o)
           as option_keys,
         p.id as product_id, p.name as old_name, p.description as old_description, p.category_id as old_category_id,
         p.metadata as old_metadata,
         (select array_agg(lower(po.name) order by po.position, po.id) from shop.product_options po
          where po.product_id = p.id) as old_option_keys,
         null::bigint as category_id,
         null::integer as next_position  -- of its next variant (on apply)
  from pg_temp.import_lines l
  left join shop.products p on p.handle = l.handle and p.deleted_at is null
  where l.handle <> ''
  order by l.handle, l.n;
  create unique index on pg_temp.import_products (handle);
  analyze pg_temp.import_products;

  -- Categories by path: each level a category of that name (names are unique in any letter case) under the
  -- level before; a level that does not exist yet is created (on apply).
  create temporary table import_categories on commit drop as
  select distinct l.category_path as path, s.depth, s.name,
         array_to_string((string_to_array(l.category_path, ' > '))[1:s.depth - 1], ' > ') as parent_path,
         c.id as category_id, c.parent_id as existing_parent_id
  from (select distinct category_path from pg_temp.import_lines where category_path is not null) l
  cross join lateral unnest(string_to_array(l.category_path, ' > ')) with ordinality s(name, depth)
  left join shop.categories c on lower(c.name) = lower(s.name);

  create temporary table import_errors (n bigint, col text, code text, message text) on commit drop;
  insert into pg_temp.import_errors
  select l.n, e.col, e.code, e.message
  from pg_temp.import_lines l
  cross join lateral (values
    ('product_handle', 'missing_value', 'product_handle is empty', l.handle = '' or l.handle is null),
    ('product_handle', 'invalid_handle', 'a handle is lower-case letters and digits in words joined by hyphens',
     l.handle <> '' and (l.handle !~ '^[a-z0-9]+(-[a-z0-9]+)*$' or length(l.handle) > 255)),
    ('product_name', 'missing_value', 'product_name is empty', coalesce(l.name, '') = ''),
    ('product_name', 'invalid_name', 'a product name is at most 255 characters', length(l.name) > 255),
    ('category_path', 'invalid_category_path',
     'a category path is names joined by " > ", none empty, each at most 100 characters',
     exists (select from unnest(string_to_array(l.category_path, ' > ')) c where c = '' or length(c) > 100)),
    ('sku', 'missing_value', 'sku is empty', coalesce(l.sku, '') = ''),
    ('sku', 'invalid_sku', 'a SKU is at most 100 characters', length(l.sku) > 100),
    ('price', 'invalid_price', format('%L is not an amount from 0 to 9999999999.99 with at most 2 decimals',
                                      l.price_text), l.price is null),
    ('compare_at_price', 'invalid_price', format('%L is not an amount', l.compare_text),
     nullif(btrim(l.compare_text), '') is not null and l.compare_at_price is null),
    ('compare_at_price', 'invalid_compare_at_price', 'compare_at_price must be above price',
     l.compare_at_price <= l.price),
    ('stock', 'negative_stock', format('stock %s is below 0', btrim(l.stock_text)), l.stock_text ~ '^\s*-[0-9]+\s*$'),
    ('stock', 'invalid_stock', format('%L is not a whole number of units', l.stock_text),
     l.stock is null and coalesce(l.stock_text, '') !~ '^\s*-[0-9]+\s*$'),
    ('weight_grams', 'invalid_weight', format('%L is not a whole number of grams from 0', l.weight_text),
     nullif(btrim(l.weight_text), '') is not null and l.weight_grams is null),
    ('active', 'invalid_active', format('%L is not true or false', l.active_text),
     nullif(btrim(l.active_text), '') is not null and l.is_active is null),
    ('metadata', 'invalid_metadata', 'metadata is not a JSON object (at most 16 KB, 8 levels)',
     nullif(btrim(l.metadata_text), '') is not null and l.metadata is null)
  ) e(col, code, message, failed)
  where e.failed;

  insert into pg_temp.import_errors
  select l.n, format('option%s_%s', o ->> 'n', case when o ->> 'name' = '' then 'name' else 'value' end),
         case when o ->> 'name' = '' then 'missing_option_name' else 'missing_option_value' end,
         case when o ->> 'name' = '' then format('option%s_value %L has no option name', o ->> 'n', o ->> 'value')
              else format('%s has no value', o ->> 'name') end
  from pg_temp.import_lines l cross join jsonb_array_elements(l.options) o
  where o ->> 'name' = '' or o ->> 'value' = '';

  insert into pg_temp.import_errors
  select l.n, format('option%s_%s', o ->> 'n', k.part), 'invalid_option_values',
         format('option%s_%s is longer than 100 characters', o ->> 'n', k.part)
  from pg_temp.import_lines l cross join jsonb_array_elements(l.options) o
  cross join lateral (values ('name'), ('value')) k(part)
  where length(o ->> k.part) > 100;

  -- A SKU twice in the file (any letter case): every row after the first.
  insert into pg_temp.import_errors
  select d.n, 'sku', 'duplicate_sku', format('SKU %s is also on row %s', d.sku, d.first_row)
  from (select l.n, l.sku, first_value(l.n) over w as first_row, row_number() over w as k
        from pg_temp.import_lines l where l.sku_key <> ''
        window w as (partition by l.sku_key order by l.n)) d
  where d.k > 1;

  -- Rows of one product that disagree with its first row.
  insert into pg_temp.import_errors
  select l.n, c.col, 'conflicting_product',
         format('product %s has another %s on row %s', l.handle, c.col, p.first_row)
  from pg_temp.import_lines l
  join pg_temp.import_products p on p.handle = l.handle and p.first_row <> l.n
  cross join lateral (values
    ('product_name', l.name is distinct from p.name),
    ('description', l.description is distinct from p.description),
    ('category_path', l.category_path is distinct from p.category_path),
    ('metadata', l.metadata is distinct from p.metadata),
    ('option1_name', (select array_agg(lower(o ->> 'name') order by (o ->> 'n')::integer)
                      from jsonb_array_elements(l.options) o) is distinct from p.option_keys)
  ) c(col, differs)
  where c.differs;

  -- A SKU of another product; options that are not the product's.
  insert into pg_temp.import_errors
  select l.n, 'sku', 'sku_taken', format('SKU %s belongs to product %s', v.sku, op.handle)
  from pg_temp.import_lines l
  join shop.variants v on lower(v.sku) = l.sku_key and v.deleted_at is null
  join shop.products op on op.id = v.product_id
  where op.handle <> l.handle;

  insert into pg_temp.import_errors
  select p.first_row, 'option1_name', 'options_mismatch',
         format('product %s has the options %s; the file gives %s (change options through the API)', p.handle,
                coalesce(array_to_string(p.old_option_keys, ', '), 'none'),
                coalesce(array_to_string(p.option_keys, ', '), 'none'))
  from pg_temp.import_products p
  where p.product_id is not null
    and coalesce(p.option_keys, '{}') is distinct from coalesce(p.old_option_keys, '{}');

  insert into pg_temp.import_errors
  select p.first_row, 'option1_name', 'duplicate_option', format('product %s names an option twice', p.handle)
  from pg_temp.import_products p
  where cardinality(p.option_keys) <> (select count(distinct k) from unnest(p.option_keys) k);

  -- Two rows of one product with the same option values, or one with those of a live variant the file does
  -- not name.
  insert into pg_temp.import_errors
  select d.n, 'option1_value', 'variant_exists',
         format('row %s of product %s has the same option values', d.first_row, d.handle)
  from (select l.n, l.handle, first_value(l.n) over w as first_row, row_number() over w as k
        from pg_temp.import_lines l where l.handle <> ''
        window w as (partition by l.handle, (select jsonb_agg(lower(o ->> 'value') order by (o ->> 'n')::integer)
                                             from jsonb_array_elements(l.options) o)
                     order by l.n)) d
  where d.k > 1;

  insert into pg_temp.import_errors
  select l.n, 'option1_value', 'variant_exists', format('variant %s of product %s has these option values', v.sku,
                                                        l.handle)
  from pg_temp.import_lines l
  join pg_temp.import_products p on p.handle = l.handle and p.product_id is not null
  join shop.variants v on v.product_id = p.product_id and v.deleted_at is null and lower(v.sku) <> l.sku_key
  where not exists (select from pg_temp.import_lines x where x.sku_key = lower(v.sku))
    and coalesce((select jsonb_agg(lower(ov.value) order by po.position, po.id)
                  from shop.variant_option_values vo
                  join shop.product_options po on po.id = vo.option_id
                  join shop.product_option_values ov on ov.id = vo.value_id
                  where vo.variant_id = v.id), '[]')
        = (select coalesce(jsonb_agg(lower(o ->> 'value') order by (o ->> 'n')::integer), '[]')
           from jsonb_array_elements(l.options) o);

  -- A new category name under two parents in the file, or a path whose level exists under another parent
  -- (category names are unique in any letter case).
  insert into pg_temp.import_errors
  select l.n, 'category_path', 'invalid_category_path',
         format('category %s is under two parents in the file (%s)', c.name, n.parents)
  from (select lower(c.name) as name_key,
               string_agg(distinct coalesce(nullif(lower(c.parent_path), ''), 'the root'), ', ') as parents
        from pg_temp.import_categories c
        where c.category_id is null and c.name <> ''
        group by 1
        having count(distinct lower(c.parent_path)) > 1) n
  join pg_temp.import_categories c on lower(c.name) = n.name_key
  join pg_temp.import_lines l on l.category_path = c.path
  join pg_temp.import_products p on p.first_row = l.n;

  insert into pg_temp.import_errors
  select l.n, 'category_path', 'invalid_category_path',
         format('category %s exists, but not under %s', c.name, coalesce(nullif(c.parent_path, ''), 'the root'))
  from pg_temp.import_categories c
  left join pg_temp.import_categories up on up.path = c.path and up.depth = c.depth - 1
  join pg_temp.import_lines l on l.category_path = c.path
  join pg_temp.import_products p on p.first_row = l.n
  where c.category_id is not null
    and c.existing_parent_id is distinct from up.category_id;

  select count(*), coalesce(jsonb_agg(lib.import_error(e.n, e.col, e.code, e.message) order by e.n, e.col, e.code)
                            filter (where e.k <= 1000), '[]')
  into v_error_count, v_errors
  from (select x.*, row_number() over (order by x.n, x.col, x.code) as k from pg_temp.import_errors x) e;
  if v_error_count > 0 then
    return lib.import_refused(v_sha256, p_filename, v_rows, v_errors, v_error_count);
  end if;

  -- The plan: each row's variant as it is and as the file says, field by field ([old, new] where they differ);
  -- a product's own changes count on its first row.
  create temporary table import_plan on commit drop as
  select l.n, l.sku, l.handle, v.id as variant_id, v.product_id,
         jsonb_strip_nulls(jsonb_build_object(
           'price', case when l.price is distinct from v.price then jsonb_build_array(v.price::text, l.price::text) end,
           'compare_at_price', case when l.compare_at_price is distinct from v.compare_at_price
             then jsonb_build_array(v.compare_at_price::text, l.compare_at_price::text) end,
           'stock', case when l.stock is distinct from v.stock_quantity
             then jsonb_build_array(v.stock_quantity, l.stock) end,
           'weight_grams', case when coalesce(l.weight_grams, 0) is distinct from v.weight_grams
             then jsonb_build_array(v.weight_grams, coalesce(l.weight_grams, 0)) end,
           'active', case when coalesce(l.is_active, true) is distinct from v.is_active
             then jsonb_build_array(v.is_active, coalesce(l.is_active, true)) end,
           'options', case when v.id is not null
             and (select coalesce(jsonb_object_agg(lower(o ->> 'name'), lower(o ->> 'value')), '{}')
                  from jsonb_array_elements(l.options) o)
                 <> (select coalesce(jsonb_object_agg(lower(k), lower(val)), '{}')
                     from json_each_text(lib.variant_options(v.id)) x(k, val))
             then jsonb_build_array(lib.variant_options(v.id),
                                    (select coalesce(jsonb_object_agg(o ->> 'name', o ->> 'value'), '{}')
                                     from jsonb_array_elements(l.options) o)) end
         )) || case when p.first_row = l.n and p.product_id is not null then jsonb_strip_nulls(jsonb_build_object(
           'product_name', case when l.name is distinct from p.old_name then jsonb_build_array(p.old_name, l.name) end,
           'description', case when l.description is distinct from p.old_description
             then jsonb_build_array(p.old_description, l.description) end,
           'category_path', case when l.category_path is distinct from lib.category_path(p.old_category_id)
             then jsonb_build_array(lib.category_path(p.old_category_id), l.category_path) end,
           'metadata', case when coalesce(l.metadata, '{}') is distinct from p.old_metadata
             then jsonb_build_array(p.old_metadata, coalesce(l.metadata, '{}')) end))
           else '{}' end as fields
  from pg_temp.import_lines l
  join pg_temp.import_products p on p.handle = l.handle
  left join shop.variants v on lower(v.sku) = l.sku_key and v.deleted_at is null;
  alter table pg_temp.import_plan add primary key (n);
  analyze pg_temp.import_plan;

  select jsonb_build_object('created', count(*) filter (where variant_id is null),
                            'updated', count(*) filter (where variant_id is not null and fields <> '{}'),
                            'unchanged', count(*) filter (where variant_id is not null and fields = '{}'))
  into v_counts from pg_temp.import_plan;
  select coalesce(jsonb_agg(jsonb_build_object(
           'row', c.n, 'sku', c.sku, 'action', case when c.variant_id is null then 'create' else 'update' end,
           'fields', (select coalesce(jsonb_object_agg(f.key, jsonb_build_object('old', f.value -> 0, 'new', f.value -> 1)),
                                      '{}') from jsonb_each(c.fields) f)) order by c.n), '[]')
  into v_changes
  from (select * from pg_temp.import_plan x where x.variant_id is null or x.fields <> '{}' order by x.n limit 100) c;

  if p_dry_run then
    v_import := lib.import_record('dry_run', v_sha256, p_filename, v_rows, v_counts, v_changes, '[]', 0);
    return lib.import_json(v_import);
  end if;

  -- Recorded first: a concurrent apply of the same file waits here, then finds it applied.
  begin
    v_import := lib.import_record('applied', v_sha256, p_filename, v_rows, v_counts, v_changes, '[]', 0);
  exception when unique_violation then
    v_import := lib.import_record('duplicate', v_sha256, p_filename, v_rows, '{}', '[]', '[]', 0);
    return lib.import_json(v_import);
  end;

  -- Categories, level by level.
  for v_depth in select distinct c.depth from pg_temp.import_categories c order by 1 loop
    insert into shop.categories (name, parent_id)
    select distinct on (lower(c.name)) c.name, up.category_id
    from pg_temp.import_categories c
    left join pg_temp.import_categories up on up.path = c.path and up.depth = c.depth - 1
    where c.depth = v_depth and c.category_id is null
    order by lower(c.name);
    update pg_temp.import_categories c set category_id = k.id
    from shop.categories k
    where c.depth = v_depth and c.category_id is null and lower(k.name) = lower(c.name);
  end loop;
  update pg_temp.import_products p set category_id = c.category_id
  from pg_temp.import_categories c
  where c.path = p.category_path and c.depth = cardinality(string_to_array(p.category_path, ' > '));

  -- Products: new ones, then the changes of the others.
  with made as (
    insert into shop.products (handle, name, description, category_id, metadata)
    select p.handle, p.name, p.description, p.category_id, coalesce(p.metadata, '{}')
    from pg_temp.import_products p
    where p.product_id is null
    order by p.first_row
    returning id, handle
  )
  update pg_temp.import_products p set product_id = made.id from made where made.handle = p.handle;

  update shop.products pr
  set name = p.name,
      description = p.description,
      category_id = p.category_id,
      metadata = coalesce(p.metadata, '{}')
  from pg_temp.import_plan x
  join pg_temp.import_products p on p.first_row = x.n
  where pr.id = p.product_id
    and x.fields ?| array['product_name', 'description', 'category_path', 'metadata'];

  -- Options and values the file names that the product lacks (a new product's options, new values).
  insert into shop.product_options (product_id, name, position)
  select p.product_id, o ->> 'name', (o ->> 'n')::integer - 1
  from pg_temp.import_products p cross join jsonb_array_elements(p.first_options) o
  where p.old_option_keys is null and p.option_keys is not null;
  -- A large file's tables are analysed as they grow (their statistics may predate a catalog this size), so that
  -- each statement after joins rather than scans what it takes for a few rows.
  if v_rows > 10000 then
    analyze shop.products, shop.product_options;
  end if;
  -- The values the file's products have, read before the insert below adds to them: a statement that looked
  -- them up in the table for each row it inserts would read the rows it inserted too (quadratic).
  create temporary table import_values on commit drop as
  select ov.option_id, lower(ov.value) as value_key, ov.position
  from pg_temp.import_products p
  join shop.product_options po on po.product_id = p.product_id
  join shop.product_option_values ov on ov.option_id = po.id;
  create index on pg_temp.import_values (option_id, value_key);
  analyze pg_temp.import_values;
  insert into shop.product_option_values (option_id, value, position)
  select po.id, min(o ->> 'value'),
         coalesce((select max(e.position) from pg_temp.import_values e where e.option_id = po.id), -1)
           + row_number() over (partition by po.id order by min(l.n))
  from pg_temp.import_lines l
  join pg_temp.import_products p on p.handle = l.handle
  cross join jsonb_array_elements(l.options) o
  join shop.product_options po on po.product_id = p.product_id and lower(po.name) = lower(o ->> 'name')
  where not exists (select from pg_temp.import_values e where e.option_id = po.id
                    and e.value_key = lower(o ->> 'value'))
  group by po.id, lower(o ->> 'value');
  if v_rows > 10000 then
    analyze shop.product_option_values;
  end if;

  -- Variants: changes, then new ones; the stock they change is the ledger's reason import. Their products'
  -- search vectors are computed once, after their option values (not after each statement, by trigger).
  perform shop.set_stock_context('import', null);
  perform set_config('pgshop.search_deferred', 'on', true);
  update shop.variants v
  set price = l.price,
      compare_at_price = l.compare_at_price,
      stock_quantity = l.stock,
      weight_grams = coalesce(l.weight_grams, 0),
      is_active = coalesce(l.is_active, true)
  from pg_temp.import_plan x
  join pg_temp.import_lines l on l.n = x.n
  where v.id = x.variant_id
    and x.fields ?| array['price', 'compare_at_price', 'stock', 'weight_grams', 'active'];

  -- New variants go after a product's live ones: their positions read first, for the reason above.
  update pg_temp.import_products p set next_position = m.next_position
  from (select v.product_id, max(v.position) + 1 as next_position
        from shop.variants v
        where v.product_id in (select x.product_id from pg_temp.import_products x) and v.deleted_at is null
        group by v.product_id) m
  where m.product_id = p.product_id;
  with made as (
    insert into shop.variants (product_id, sku, price, compare_at_price, stock_quantity, weight_grams, is_active,
                               position)
    select p.product_id, l.sku, l.price, l.compare_at_price, l.stock, coalesce(l.weight_grams, 0),
           coalesce(l.is_active, true),
           coalesce(p.next_position, 0) + row_number() over (partition by p.product_id order by l.n) - 1
    from pg_temp.import_plan x
    join pg_temp.import_lines l on l.n = x.n
    join pg_temp.import_products p on p.handle = l.handle
    where x.variant_id is null
    order by l.n
    returning id, product_id, sku
  )
  update pg_temp.import_plan x set variant_id = made.id, product_id = made.product_id, fields = '{"options": []}'
  from made where made.sku = x.sku and x.variant_id is null;

  if v_rows > 10000 then
    analyze shop.variants;
  end if;

  -- Option values of the new variants and of those whose values changed.
  delete from shop.variant_option_values vo
  using pg_temp.import_plan x
  where vo.variant_id = x.variant_id and x.fields ? 'options';
  insert into shop.variant_option_values (variant_id, product_id, option_id, value_id)
  select x.variant_id, po.product_id, po.id, ov.id
  from pg_temp.import_plan x
  join pg_temp.import_lines l on l.n = x.n
  join pg_temp.import_products p on p.handle = l.handle
  cross join jsonb_array_elements(l.options) o
  join shop.product_options po on po.product_id = p.product_id and lower(po.name) = lower(o ->> 'name')
  join shop.product_option_values ov on ov.option_id = po.id and lower(ov.value) = lower(o ->> 'value')
  where x.fields ? 'options';
  perform set_config('pgshop.search_deferred', '', true);
  update shop.products p
  set search = shop.product_search(p.id, p.name, p.description)
  where p.id in (select x.product_id from pg_temp.import_plan x where x.fields ? 'options');
  perform shop.set_stock_context(null, null);
  perform lib.variants_check_now();
  return lib.import_json(v_import);
end
$_$;


--
-- Name: FUNCTION import_apply(p_sha256 text, p_dry_run boolean, p_filename text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.import_apply(p_sha256 text, p_dry_run boolean, p_filename text) IS 'POST /api/admin/imports, last step (admin): validates the rows streamed into this transaction''s staging table and applies them all, or none: {id, status: applied | dry_run | duplicate, sha256, created, updated, unchanged, changes (first 100), errors: []}, or the problem 422 invalid_import {import_id, errors (first 1,000)}. The import is recorded either way.';


--
-- Name: import_begin(text[]); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.import_begin(p_columns text[]) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform lib.import_caller();
  if lib.import_header_errors(p_columns) <> '[]' then
    return json_build_object('copy', null);
  end if;
  -- The rest of the import runs under the import's own timeout, not the API's.
  perform set_config('statement_timeout',
                     (extract(epoch from lib.setting('import_timeout')::interval) * 1000)::bigint::text, true);
  create temporary table import_rows (
    n bigint generated always as identity primary key,
    product_handle text, product_name text, description text, category_path text, sku text, price text,
    compare_at_price text, stock text, weight_grams text, option1_name text, option1_value text,
    option2_name text, option2_value text, option3_name text, option3_value text, active text, metadata text
  ) on commit drop;
  grant insert on pg_temp.import_rows to pgshop_api;
  return json_build_object('copy', format(
    'copy pg_temp.import_rows (%s) from stdin with (format csv, header true)',
    (select string_agg(quote_ident(c), ', ' order by i) from unnest(p_columns) with ordinality u(c, i))));
end
$$;


--
-- Name: FUNCTION import_begin(p_columns text[]); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.import_begin(p_columns text[]) IS 'POST /api/admin/imports, step 1 (admin): {copy: the COPY statement that streams the file into this transaction''s staging table}, or {copy: null} when the header is refused (then record it with api.import_refuse). PT401, PT403.';


--
-- Name: import_get(bigint); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.import_get(p_id bigint) RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_import shop.imports;
begin
  perform lib.require_admin();
  select * into v_import from shop.imports i where i.id = p_id;
  if v_import.id is null then
    perform lib.not_found('import', p_id);
  end if;
  return lib.import_json(v_import);
end
$$;


--
-- Name: FUNCTION import_get(p_id bigint); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.import_get(p_id bigint) IS 'GET /api/admin/imports/{id} (admin): an import with its changes and errors. PT404.';


--
-- Name: import_refuse(text, text, text[], jsonb); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.import_refuse(p_sha256 text, p_filename text, p_columns text[], p_copy_error jsonb DEFAULT NULL::jsonb) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_errors jsonb := lib.import_header_errors(p_columns);
begin
  perform lib.import_caller();
  if p_copy_error is not null then
    v_errors := v_errors || jsonb_build_array(lib.import_copy_error(p_copy_error));
  end if;
  if v_errors = '[]' then
    raise exception using errcode = 'PT422', message = 'validation_failed',
      detail = 'nothing to refuse: the header is fine and no COPY error was given';
  end if;
  return lib.import_refused(lower(p_sha256), p_filename, 0, v_errors, jsonb_array_length(v_errors));
end
$$;


--
-- Name: FUNCTION import_refuse(p_sha256 text, p_filename text, p_columns text[], p_copy_error jsonb); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.import_refuse(p_sha256 text, p_filename text, p_columns text[], p_copy_error jsonb) IS 'POST /api/admin/imports, when the header or the COPY failed (admin): records the refusal and returns the problem 422 invalid_import {import_id, errors}. p_copy_error: {sqlstate, message, context} of the COPY.';


--
-- Name: imports_list(integer, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.imports_list(p_limit integer DEFAULT NULL::integer, p_cursor text DEFAULT NULL::text) RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_limit integer := lib.page_limit(p_limit, 20);
  v_after jsonb := lib.cursor_decode(p_cursor, 'imports', 'bigint');
  v_items json;
  v_last bigint;
begin
  perform lib.require_admin();
  select json_agg(json_build_object(
           'id', i.id, 'status', i.status, 'sha256', i.sha256, 'filename', i.filename, 'user_id', i.user_id,
           'db_role', i.db_role, 'rows', i.rows, 'created', i.created, 'updated', i.updated,
           'unchanged', i.unchanged, 'error_count', i.error_count, 'created_at', i.created_at) order by i.id desc),
         min(i.id)
  into v_items, v_last
  from (select * from shop.imports x
        where v_after is null or x.id < (v_after ->> 'id')::bigint
        order by x.id desc limit v_limit) i;
  return json_build_object('items', coalesce(v_items, '[]'),
    'next_cursor', case when v_last is not null and exists (select from shop.imports x where x.id < v_last)
                        then lib.cursor_encode('imports', v_last::text, v_last) end);
end
$$;


--
-- Name: FUNCTION imports_list(p_limit integer, p_cursor text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.imports_list(p_limit integer, p_cursor text) IS 'GET /api/admin/imports (admin): the imports, newest first, without their changes and errors (keyset pages). PT422 invalid_limit, invalid_cursor.';


--
-- Name: low_stock_list(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.low_stock_list() RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform lib.require_admin();
  return (
  select json_build_object(
    'items', coalesce(json_agg(json_build_object(
      'product_id', v.product_id,
      'variant_id', v.id,
      'name', p.name,
      'sku', v.sku,
      'options', lib.variant_options(v.id),
      'stock_quantity', v.stock_quantity,
      'low_stock_threshold', v.low_stock_threshold,
      'since', a.opened_at
    ) order by a.opened_at, v.id), '[]'),
    'next_cursor', null
  )
  from shop.low_stock_alerts a
  join shop.variants v on v.id = a.variant_id
  join shop.products p on p.id = v.product_id
  where a.closed_at is null
    and v.deleted_at is null
    and p.deleted_at is null
    and v.stock_quantity <= v.low_stock_threshold
  );
end
$$;


--
-- Name: FUNCTION low_stock_list(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.low_stock_list() IS 'GET /api/admin/inventory/low-stock (admin): live variants at or below their threshold, longest-low first, with the time their alert opened (since).';


--
-- Name: order_get(bigint); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.order_get(p_id bigint) RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_user bigint := lib.require_user();
  v_order shop.orders;
begin
  select * into v_order from shop.orders o where o.id = p_id;
  -- Another user's order does not exist as far as the caller can tell: 404, never 403.
  if v_order.id is null or (v_order.user_id <> v_user and not lib.is_admin()) then
    perform lib.not_found('order', p_id);
  end if;
  return shop.order_document(v_order);
end
$$;


--
-- Name: FUNCTION order_get(p_id bigint); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.order_get(p_id bigint) IS 'GET /api/orders/{id}: the caller''s own order (admins: any order). PT404 not_found otherwise.';


--
-- Name: order_payment_create(bigint, text, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.order_payment_create(p_order_id bigint, p_amount text, p_reference text) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_admin bigint := lib.require_admin();
  v_amount numeric := lib.amount(p_amount);
  v_order shop.orders;
  v_payment shop.payments;
  v_balance numeric;
begin
  if not shop.has_text(p_reference) or length(btrim(p_reference)) > 255 then
    raise exception using errcode = 'PT422', message = 'invalid_reference',
      detail = 'reference (the bank transfer''s, the receipt''s) is required, at most 255 characters';
  end if;
  select * into v_order from shop.orders o where o.id = p_order_id for update;
  if v_order.id is null then
    perform lib.not_found('order', p_order_id);
  end if;
  if v_order.status <> 'pending' then
    raise exception using errcode = 'PT409', message = 'order_not_payable',
      detail = format('order %s is %s: only a pending order takes payments', p_order_id, v_order.status);
  end if;
  v_balance := v_order.total_amount - shop.order_net_paid(v_order.id);
  if v_amount > v_balance then
    raise exception using errcode = 'PT409', message = 'amount_exceeds_balance',
      detail = format('order %s has %s %s due; %s is more', p_order_id, v_balance, v_order.currency, v_amount);
  end if;
  insert into shop.payments (order_id, provider, provider_reference, currency, amount, captured_amount)
  values (v_order.id, 'manual', btrim(p_reference), v_order.currency, v_amount, v_amount)
  on conflict (provider, provider_reference) do nothing
  returning * into v_payment;
  if v_payment.id is null then
    raise exception using errcode = 'PT409', message = 'duplicate_payment',
      detail = format('a manual payment with reference %s is recorded already', btrim(p_reference));
  end if;
  insert into shop.payment_events (provider, provider_event_id, type, order_id, payment_id, provider_reference,
                                   amount, currency, raw, recorded_by, recorded_by_user)
  values ('manual', gen_random_uuid()::text, 'manual.captured', v_order.id, v_payment.id, v_payment.provider_reference,
          v_amount, v_order.currency, jsonb_build_object('amount', v_amount::text, 'reference', p_reference),
          'admin', v_admin);
  perform lib.order_pay_if_covered(v_order.id);
  select * into v_order from shop.orders o where o.id = p_order_id;
  return shop.order_document(v_order);
end
$$;


--
-- Name: FUNCTION order_payment_create(p_order_id bigint, p_amount text, p_reference text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.order_payment_create(p_order_id bigint, p_amount text, p_reference text) IS 'POST /api/admin/orders/{id}/payments (admin): a manual payment (bank transfer, cash) of a pending order, captured at once; the order becomes paid when covered. PT422 invalid_amount, invalid_reference; PT404; PT409 order_not_payable, amount_exceeds_balance, duplicate_payment (same reference).';


--
-- Name: order_refund_create(bigint, text, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.order_refund_create(p_order_id bigint, p_amount text, p_reason text) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_admin bigint := lib.require_admin();
  v_amount numeric := lib.amount(p_amount);
  v_order shop.orders;
  v_payment shop.payments;
  v_refundable numeric;
begin
  if not shop.has_text(p_reason) or length(p_reason) > 500 then
    raise exception using errcode = 'PT422', message = 'invalid_reason',
      detail = 'reason is required, at most 500 characters';
  end if;
  select * into v_order from shop.orders o where o.id = p_order_id for update;
  if v_order.id is null then
    perform lib.not_found('order', p_order_id);
  end if;
  -- The payment with the most left to refund (captured, less refunds asked or confirmed) takes it.
  select p.* into v_payment
  from shop.payments p
  where p.order_id = p_order_id
  order by p.captured_amount - greatest(p.refund_requested_amount, p.refunded_amount) desc, p.id
  limit 1
  for update;
  v_refundable := v_payment.captured_amount - greatest(v_payment.refund_requested_amount, v_payment.refunded_amount);
  if coalesce(v_refundable, 0) < v_amount then
    raise exception using errcode = 'PT409', message = 'refund_exceeds_captured',
      detail = format('order %s: at most %s %s can be refunded in one request (captured and not yet refunded)',
                      p_order_id, coalesce(v_refundable, 0), v_order.currency);
  end if;
  insert into shop.payment_events (provider, provider_event_id, type, order_id, payment_id, provider_reference,
                                   amount, currency, raw, recorded_by, recorded_by_user)
  values (v_payment.provider, gen_random_uuid()::text, 'refund.requested', v_order.id, v_payment.id,
          v_payment.provider_reference, v_amount, v_payment.currency,
          jsonb_build_object('amount', v_amount::text, 'reason', p_reason), 'admin', v_admin);
  -- A manual payment is refunded by hand, by the admin asking: confirmed at once.
  update shop.payments p
  set refund_requested_amount = greatest(p.refund_requested_amount, p.refunded_amount) + v_amount,
      refunded_amount = case when p.provider = 'manual'
                             then greatest(p.refund_requested_amount, p.refunded_amount) + v_amount
                             else p.refunded_amount end
  where p.id = v_payment.id;
  return shop.order_document(v_order);
end
$$;


--
-- Name: FUNCTION order_refund_create(p_order_id bigint, p_amount text, p_reason text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.order_refund_create(p_order_id bigint, p_amount text, p_reason text) IS 'POST /api/admin/orders/{id}/refunds (admin): a refund request of at most what one payment captured and has not refunded; emits refund.requested for the integration that executes it (the provider''s charge.refunded confirms it; a manual payment''s refund is confirmed at once). PT422 invalid_amount, invalid_reason; PT404; PT409 refund_exceeds_captured.';


--
-- Name: order_set_status(bigint, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.order_set_status(p_id bigint, p_status text) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_order shop.orders;
begin
  perform lib.require_admin();
  if not exists (select from shop.order_statuses s where s.status = p_status) then
    raise exception using errcode = 'PT422', message = 'invalid_status',
      detail = 'status must be one of ' || (select string_agg(s.status, ', ' order by s.position)
                                             from shop.order_statuses s);
  end if;
  select * into v_order from shop.orders o where o.id = p_id for update;
  if v_order.id is null then
    perform lib.not_found('order', p_id);
  end if;
  if v_order.status = p_status then
    raise exception using errcode = 'PT409', message = 'invalid_transition',
      detail = format('order %s is already %s', p_id, p_status);
  end if;
  -- tg_orders__check_transition refuses what the transition table does not allow.
  update shop.orders o
  set status = p_status
  where o.id = p_id
  returning * into v_order;
  return shop.order_document(v_order);
end
$$;


--
-- Name: FUNCTION order_set_status(p_id bigint, p_status text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.order_set_status(p_id bigint, p_status text) IS 'PUT /api/orders/{id}/status (admin): moves an order along pending -> paid -> shipped -> delivered, or to cancelled from pending or paid (stock returned once). paid needs payments that cover the order (the payment path sets it by itself). PT422 invalid_status, PT409 invalid_transition, payment_required, PT404.';


--
-- Name: orders_list(integer, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.orders_list(p_limit integer DEFAULT 20, p_cursor text DEFAULT NULL::text) RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_user bigint := lib.require_user();
  v_limit integer;
  v_after jsonb := lib.cursor_decode(p_cursor, 'newest', 'timestamptz');
  v_rows shop.orders[];
  v_last shop.orders;
begin
  v_limit := lib.page_limit(p_limit, 20);
  select array(
    select o
    from shop.orders o
    where o.user_id = v_user
      and (v_after is null
           or (o.created_at, o.id) < ((v_after ->> 'k')::timestamptz, (v_after ->> 'id')::bigint))
    order by o.created_at desc, o.id desc
    limit v_limit + 1
  ) into v_rows;
  if cardinality(v_rows) > v_limit then
    v_last := v_rows[v_limit];
  end if;
  return json_build_object(
    'items', (select coalesce(json_agg(shop.order_document(v_rows[i]) order by i), '[]')
              from generate_subscripts(v_rows, 1) i
              where i <= v_limit),
    'next_cursor', lib.cursor_encode('newest', v_last.created_at::text, v_last.id)
  );
end
$$;


--
-- Name: FUNCTION orders_list(p_limit integer, p_cursor text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.orders_list(p_limit integer, p_cursor text) IS 'GET /api/orders: the caller''s orders, newest first, one keyset page {items, next_cursor}. PT422 invalid_limit, invalid_cursor.';


--
-- Name: payments_unmatched_list(integer, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.payments_unmatched_list(p_limit integer DEFAULT 20, p_cursor text DEFAULT NULL::text) RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_limit integer;
  v_after jsonb := lib.cursor_decode(p_cursor, 'newest', 'bigint');
  v_rows shop.payment_events[];
begin
  perform lib.require_admin();
  v_limit := lib.page_limit(p_limit, 20);
  select array(
    select e
    from shop.payment_events e
    where e.unmatched_reason is not null
      and (v_after is null or e.id < (v_after ->> 'id')::bigint)
    order by e.id desc
    limit v_limit + 1
  ) into v_rows;
  return json_build_object(
    'items', (select coalesce(json_agg(json_build_object(
                'id', v_rows[i].id, 'provider', v_rows[i].provider, 'event_id', v_rows[i].provider_event_id,
                'type', v_rows[i].type, 'order_id', v_rows[i].order_id, 'reference', v_rows[i].provider_reference,
                'amount', v_rows[i].amount::text, 'currency', v_rows[i].currency,
                'reason', v_rows[i].unmatched_reason, 'received_at', v_rows[i].created_at) order by i), '[]')
              from generate_subscripts(v_rows, 1) i
              where i <= v_limit),
    'next_cursor', case when cardinality(v_rows) > v_limit
                        then lib.cursor_encode('newest', v_rows[v_limit].id::text, v_rows[v_limit].id) end
  );
end
$$;


--
-- Name: FUNCTION payments_unmatched_list(p_limit integer, p_cursor text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.payments_unmatched_list(p_limit integer, p_cursor text) IS 'GET /api/admin/payments/unmatched (admin): provider events that matched no payable order (newest first, one keyset page), for an admin to refund or reconcile. PT422 invalid_limit, invalid_cursor.';


--
-- Name: product_create(text, numeric, text, text, bigint, integer, boolean, jsonb, integer, integer, numeric, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.product_create(p_name text, p_price numeric, p_sku text, p_description text DEFAULT NULL::text, p_category_id bigint DEFAULT NULL::bigint, p_stock_quantity integer DEFAULT NULL::integer, p_is_active boolean DEFAULT NULL::boolean, p_metadata jsonb DEFAULT NULL::jsonb, p_low_stock_threshold integer DEFAULT NULL::integer, p_weight_grams integer DEFAULT NULL::integer, p_compare_at_price numeric DEFAULT NULL::numeric, p_handle text DEFAULT NULL::text) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform lib.require_admin();
  -- The optional fields left null take the column defaults.
  return lib.product_write(null, jsonb_build_object('name', p_name, 'price', p_price, 'sku', p_sku) || (
    select coalesce(jsonb_object_agg(f.key, f.value), '{}')
    from jsonb_each(jsonb_build_object('description', p_description, 'category_id', p_category_id,
                                       'stock_quantity', p_stock_quantity, 'is_active', p_is_active,
                                       'metadata', p_metadata, 'low_stock_threshold', p_low_stock_threshold,
                                       'weight_grams', p_weight_grams, 'compare_at_price', p_compare_at_price,
                                       'handle', p_handle)) f
    where f.value <> 'null'));
end
$$;


--
-- Name: FUNCTION product_create(p_name text, p_price numeric, p_sku text, p_description text, p_category_id bigint, p_stock_quantity integer, p_is_active boolean, p_metadata jsonb, p_low_stock_threshold integer, p_weight_grams integer, p_compare_at_price numeric, p_handle text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.product_create(p_name text, p_price numeric, p_sku text, p_description text, p_category_id bigint, p_stock_quantity integer, p_is_active boolean, p_metadata jsonb, p_low_stock_threshold integer, p_weight_grams integer, p_compare_at_price numeric, p_handle text) IS 'POST /api/products (admin): a product and its default variant; optional fields left null take their column defaults (a handle made from the name and id). 409 sku_taken, handle_taken, 422 invalid_handle, 422 unknown_category, invalid_price (not a finite amount >= 0 with at most 2 decimals), invalid_metadata (over 16 KB or 8 levels); constraint failures (negative stock, blank name) surface as 422.';


--
-- Name: product_delete(bigint); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.product_delete(p_id bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform lib.require_admin();
  update shop.products p
  set deleted_at = now()
  where p.id = p_id
    and p.deleted_at is null;
  if not found then
    perform lib.not_found('product', p_id);
  end if;
  delete from shop.cart_items ci where ci.product_id = p_id;
end
$$;


--
-- Name: FUNCTION product_delete(p_id bigint); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.product_delete(p_id bigint) IS 'DELETE /api/products/{id} (admin): soft delete. The row stays for past orders; reads no longer show it, and it leaves every cart.';


--
-- Name: product_get(bigint); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.product_get(p_id bigint) RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_product shop.products;
begin
  select * into v_product
  from shop.products p
  where p.id = p_id
    and p.deleted_at is null;
  if v_product.id is null or not (v_product.is_active or lib.is_admin()) then
    perform lib.not_found('product', p_id);
  end if;
  return lib.product_json(v_product, true, lib.is_admin());
end
$$;


--
-- Name: FUNCTION product_get(p_id bigint); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.product_get(p_id bigint) IS 'GET /api/products/{id}: a live product; inactive ones only for admins. PT404 not_found otherwise.';


--
-- Name: product_option_create(bigint, text, jsonb); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.product_option_create(p_product_id bigint, p_name text, p_values jsonb) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_product shop.products;
  v_option shop.product_options;
begin
  perform lib.require_admin();
  v_product := lib.product_for_write(p_product_id);
  if (select count(*) from shop.product_options o where o.product_id = v_product.id) >= 3 then
    raise exception using errcode = 'PT422', message = 'too_many_options',
      detail = 'a product has at most 3 options (the catalog file has three option columns)';
  end if;
  begin
    insert into shop.product_options (product_id, name, position)
    values (v_product.id, btrim(p_name),
            coalesce((select max(o.position) + 1 from shop.product_options o where o.product_id = v_product.id), 0))
    returning * into v_option;
  exception
    when unique_violation then
      raise exception using errcode = 'PT409', message = 'option_exists',
        detail = format('the product already has an option %L', btrim(p_name));
    when check_violation or not_null_violation then
      raise exception using errcode = 'PT422', message = 'invalid_option_name',
        detail = 'an option name is non-blank and at most 100 characters';
  end;
  perform lib.option_set_values(v_option, lib.option_values_list(p_values));
  insert into shop.variant_option_values (variant_id, product_id, option_id, value_id)
  select v.id, v.product_id, v_option.id,
         (select ov.id from shop.product_option_values ov where ov.option_id = v_option.id
          order by ov.position, ov.id limit 1)
  from shop.variants v
  where v.product_id = v_product.id and v.deleted_at is null;
  perform lib.variants_check_now();
  return lib.option_json(v_option);
end
$$;


--
-- Name: FUNCTION product_option_create(p_product_id bigint, p_name text, p_values jsonb); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.product_option_create(p_product_id bigint, p_name text, p_values jsonb) IS 'POST /api/products/{id}/options (admin) {name, values}: an option, last, with its values; existing live variants take its first value. 404, 409 option_exists, 422 invalid_option_name, invalid_option_values, too_many_options (a fourth).';


--
-- Name: product_option_delete(bigint, bigint); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.product_option_delete(p_product_id bigint, p_option_id bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform lib.require_admin();
  perform lib.product_for_write(p_product_id);
  delete from shop.product_options o where o.id = p_option_id and o.product_id = p_product_id;
  if not found then
    perform lib.not_found('option', p_option_id);
  end if;
  perform lib.variants_check_now();
end
$$;


--
-- Name: FUNCTION product_option_delete(p_product_id bigint, p_option_id bigint); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.product_option_delete(p_product_id bigint, p_option_id bigint) IS 'DELETE /api/products/{id}/options/{option_id} (admin): the option and its values, from every variant; 409 variant_exists when two live variants would then be the same.';


--
-- Name: product_option_update(bigint, bigint, jsonb); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.product_option_update(p_product_id bigint, p_option_id bigint, p_patch jsonb) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_option shop.product_options;
  v_unknown text;
begin
  perform lib.require_admin();
  perform lib.product_for_write(p_product_id);
  select string_agg(k, ', ' order by k) into v_unknown
  from jsonb_object_keys(p_patch) k where k not in ('name', 'values', 'position');
  if v_unknown is not null then
    raise exception using errcode = 'PT422', message = 'unknown_field',
      detail = format('these fields cannot be written: %s', v_unknown);
  end if;
  select * into v_option from shop.product_options o where o.id = p_option_id and o.product_id = p_product_id
  for update;
  if v_option.id is null then
    perform lib.not_found('option', p_option_id);
  end if;
  begin
    update shop.product_options o
    set name = coalesce(btrim(p_patch ->> 'name'), o.name),
        position = coalesce((p_patch ->> 'position')::integer, o.position)
    where o.id = v_option.id
    returning * into v_option;
  exception
    when unique_violation then
      raise exception using errcode = 'PT409', message = 'option_exists',
        detail = format('the product already has an option %L', btrim(p_patch ->> 'name'));
    when check_violation then
      raise exception using errcode = 'PT422', message = 'invalid_option_name',
        detail = 'an option name is non-blank and at most 100 characters';
  end;
  if p_patch ? 'values' then
    perform lib.option_set_values(v_option, lib.option_values_list(p_patch -> 'values'));
  end if;
  return lib.option_json(v_option);
end
$$;


--
-- Name: FUNCTION product_option_update(p_product_id bigint, p_option_id bigint, p_patch jsonb); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.product_option_update(p_product_id bigint, p_option_id bigint, p_patch jsonb) IS 'PUT /api/products/{id}/options/{option_id} (admin) {name?, position?, values?}: values replace the list, in order; removing one a live variant has is 409 option_value_in_use. 404, 409 option_exists, 422.';


--
-- Name: product_options_list(bigint); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.product_options_list(p_product_id bigint) RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if not exists (select from shop.products p where p.id = p_product_id and p.deleted_at is null
                 and (p.is_active or lib.is_admin())) then
    perform lib.not_found('product', p_product_id);
  end if;
  return json_build_object('items', lib.options_json(p_product_id), 'next_cursor', null);
end
$$;


--
-- Name: FUNCTION product_options_list(p_product_id bigint); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.product_options_list(p_product_id bigint) IS 'GET /api/products/{id}/options: the product''s options with their values, in order.';


--
-- Name: product_update(bigint, jsonb); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.product_update(p_id bigint, p_patch jsonb) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform lib.require_admin();
  return lib.product_write(p_id, p_patch);
end
$$;


--
-- Name: FUNCTION product_update(p_id bigint, p_patch jsonb); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.product_update(p_id bigint, p_patch jsonb) IS 'PUT /api/products/{id} (admin): partial update from a JSON object of the fields to change. PT404 not_found, PT409 sku_taken, PT422 unknown_field, unknown_category, invalid_price, invalid_metadata; constraint failures as 422.';


--
-- Name: products_export(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.products_export() RETURNS TABLE(product_handle text, product_name text, description text, category_path text, sku text, price text, compare_at_price text, stock integer, weight_grams integer, option1_name text, option1_value text, option2_name text, option2_value text, option3_name text, option3_value text, active text, metadata text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform lib.require_admin();
  return query
  with recursive paths (id, path) as (
    select c.id, c.name::text from shop.categories c where c.parent_id is null
    union all
    select c.id, paths.path || ' > ' || c.name from shop.categories c join paths on c.parent_id = paths.id
  )
  select p.handle, p.name::text, p.description, paths.path, v.sku, v.price::text, v.compare_at_price::text,
         v.stock_quantity, v.weight_grams, o[1] ->> 0, o[1] ->> 1, o[2] ->> 0, o[2] ->> 1, o[3] ->> 0, o[3] ->> 1,
         v.is_active::text, p.metadata::text
  from shop.products p
  join shop.variants v on v.product_id = p.id and v.deleted_at is null
  left join paths on paths.id = p.category_id
  cross join lateral (
    select array_agg(jsonb_build_array(po.name, ov.value) order by po.position, po.id) as o
    from shop.variant_option_values vo
    join shop.product_options po on po.id = vo.option_id
    join shop.product_option_values ov on ov.id = vo.value_id
    where vo.variant_id = v.id) opts
  where p.deleted_at is null
  order by p.id, v.position, v.id;
end
$$;


--
-- Name: FUNCTION products_export(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.products_export() IS 'GET /api/admin/exports/products.csv (admin): the catalog in the import format, one row per live variant (COPY (select * from api.products_export()) TO STDOUT WITH (FORMAT csv, HEADER)).';


--
-- Name: products_facets(text, bigint, numeric, numeric, boolean, text[]); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.products_facets(p_q text DEFAULT NULL::text, p_category_id bigint DEFAULT NULL::bigint, p_min_price numeric DEFAULT NULL::numeric, p_max_price numeric DEFAULT NULL::numeric, p_in_stock boolean DEFAULT false, p_options text[] DEFAULT NULL::text[]) RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  v_q text := nullif(btrim(p_q), '');
  v_tsq tsquery := lib.products_tsquery(v_q);
  v_options jsonb := lib.option_filter(p_options);
  v_categories bigint[];
  v_result json;
begin
  perform lib.products_filter_check(p_min_price, p_max_price);
  if p_category_id is not null then
    v_categories := lib.category_subtree(p_category_id);
  end if;
  execute format($q$
    with recursive results as materialized (
      select p.id, p.category_id, p.price, p.in_stock from shop.products p where %s
    ), up (category_id, ancestor_id) as (
      select c.id, c.id from shop.categories c
      union all
      select up.category_id, c.parent_id from up join shop.categories c on c.id = up.ancestor_id
      where c.parent_id is not null
    ), option_counts as (
      -- Names and values in any letter case count as one, as the filter takes them.
      select lower(o.name) as name_key, min(o.name) as name, min(ov.value) as value, count(distinct r.id) as products,
             min(o.position) as option_position, min(ov.position) as value_position
      from results r
      join shop.variants v on v.product_id = r.id and v.deleted_at is null and v.is_active
      join shop.variant_option_values vo on vo.variant_id = v.id
      join shop.product_options o on o.id = vo.option_id
      join shop.product_option_values ov on ov.id = vo.value_id
      group by lower(o.name), lower(ov.value)
    ), option_names as (
      select min(oc.name) as name, json_agg(json_build_object('value', oc.value, 'count', oc.products)
                                            order by oc.value_position, oc.value) as values,
             min(oc.option_position) as position
      from option_counts oc
      group by oc.name_key
    ), category_counts as (
      select up.ancestor_id as category_id, count(*) as products
      from results r join up on up.category_id = r.category_id
      group by up.ancestor_id
    ), bands as (
      select b.lower_bound as lower, lead(b.lower_bound) over (order by b.lower_bound) as upper
      from shop.price_bands b
    )
    select json_build_object(
      'total', (select count(*) from results),
      'options', (select coalesce(json_agg(json_build_object('name', n.name, 'values', n.values)
                                           order by n.position, n.name), '[]') from option_names n),
      'categories', (select coalesce(json_agg(json_build_object('category_id', cc.category_id, 'name', c.name,
                                                                 'parent_id', c.parent_id, 'count', cc.products)
                                              order by cc.category_id), '[]')
                     from category_counts cc join shop.categories c on c.id = cc.category_id),
      'price_bands', (select coalesce(json_agg(json_build_object('min', b.lower::text, 'max', b.upper::text,
                                                                  'count', (select count(*) from results r
                                                                            where r.price >= b.lower
                                                                              and (b.upper is null or r.price < b.upper)))
                                               order by b.lower), '[]') from bands b),
      'stock', json_build_object('in_stock', (select count(*) from results r where r.in_stock),
                                 'out_of_stock', (select count(*) from results r where not r.in_stock)))
  $q$, lib.products_where(v_q, p_category_id, p_min_price, p_max_price, p_in_stock, v_options))
  into v_result
  using v_q, v_tsq, v_categories, p_min_price, p_max_price, null::text, null::bigint, null::integer, v_options;
  return v_result;
end
$_$;


--
-- Name: FUNCTION products_facets(p_q text, p_category_id bigint, p_min_price numeric, p_max_price numeric, p_in_stock boolean, p_options text[]); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.products_facets(p_q text, p_category_id bigint, p_min_price numeric, p_max_price numeric, p_in_stock boolean, p_options text[]) IS 'GET /api/products/facets: for the products the list shows with the same filters, {total, options [{name, values [{value, count}]}], categories [{category_id, name, parent_id, count}] (subtree-aware), price_bands [{min, max, count}] (shop.price_bands), stock {in_stock, out_of_stock}}.';


--
-- Name: products_list(text, bigint, numeric, numeric, boolean, text, integer, text, text[]); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.products_list(p_q text DEFAULT NULL::text, p_category_id bigint DEFAULT NULL::bigint, p_min_price numeric DEFAULT NULL::numeric, p_max_price numeric DEFAULT NULL::numeric, p_in_stock boolean DEFAULT false, p_sort text DEFAULT NULL::text, p_limit integer DEFAULT 20, p_cursor text DEFAULT NULL::text, p_options text[] DEFAULT NULL::text[]) RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  v_q text := nullif(btrim(p_q), '');
  v_tsq tsquery := lib.products_tsquery(v_q);
  v_sort text := coalesce(p_sort, case when v_q is null then 'newest' else 'relevance' end);
  v_limit integer;
  v_categories bigint[];
  v_options jsonb;
  v_cursor jsonb := lib.cursor_decode(p_cursor, v_sort, case
    when v_sort in ('price', '-price') then 'numeric'
    when v_sort = 'newest' then 'timestamptz'
    when v_sort = 'relevance' then 'float8'
    else 'text' end);
  v_where text;
  v_order text;
  v_after text;
  v_select text;
  v_rows shop.products[];
  v_last shop.products;
begin
  v_limit := lib.page_limit(p_limit, 20);
  if v_sort not in ('relevance', 'price', '-price', 'newest', 'name') then
    raise exception using errcode = 'PT422', message = 'invalid_sort',
      detail = 'sort must be one of relevance, price, -price, newest, name';
  end if;
  if v_sort = 'relevance' and v_q is null then
    raise exception using errcode = 'PT422', message = 'invalid_sort', detail = 'sort=relevance needs q';
  end if;
  perform lib.products_filter_check(p_min_price, p_max_price);
  v_options := lib.option_filter(p_options);
  if p_category_id is not null then
    v_categories := lib.category_subtree(p_category_id);
  end if;
  v_where := lib.products_where(v_q, p_category_id, p_min_price, p_max_price, p_in_stock, v_options);

  -- Keyset: each sort is a total order (ties broken by id) with its own index.
  case v_sort
    when 'price' then
      v_order := 'p.price, p.id';
      v_after := '(p.price, p.id) > ($6::numeric, $7)';
    when '-price' then
      v_order := 'p.price desc, p.id desc';
      v_after := '(p.price, p.id) < ($6::numeric, $7)';
    when 'newest' then
      v_order := 'p.created_at desc, p.id desc';
      v_after := '(p.created_at, p.id) < ($6::timestamptz, $7)';
    when 'name' then
      v_order := 'p.name, p.id';
      v_after := '(p.name, p.id) > ($6, $7)';
    else
      -- RUM distance: the inverse of the rank (name weight A above description B), served by the index.
      v_order := 'p.search operator(public.<=>) $2, p.id';
      v_after := '((p.search operator(public.<=>) $2) > $6::float8::real'
              || ' or ((p.search operator(public.<=>) $2) = $6::float8::real and p.id > $7))';
  end case;
  if v_cursor is not null then
    v_where := v_where || ' and ' || v_after;
  end if;

  v_select := format(
    'select array(select p from shop.products p where %s order by %s limit $8 + 1)', v_where, v_order);
  execute v_select into v_rows
  using v_q, v_tsq, v_categories, p_min_price, p_max_price, v_cursor ->> 'k', (v_cursor ->> 'id')::bigint, v_limit,
        v_options;

  if cardinality(v_rows) > v_limit then
    v_last := v_rows[v_limit];
  end if;
  return json_build_object(
    'items', (select coalesce(json_agg(lib.product_json(v_rows[i]) order by i), '[]')
              from generate_subscripts(v_rows, 1) i
              where i <= v_limit),
    'next_cursor', lib.cursor_encode(v_sort, case v_sort
      when 'price' then v_last.price::text
      when '-price' then v_last.price::text
      when 'newest' then v_last.created_at::text
      when 'name' then v_last.name::text
      else (v_last.search operator(public.<=>) v_tsq)::float8::text
    end, v_last.id)
  );
end
$_$;


--
-- Name: FUNCTION products_list(p_q text, p_category_id bigint, p_min_price numeric, p_max_price numeric, p_in_stock boolean, p_sort text, p_limit integer, p_cursor text, p_options text[]); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.products_list(p_q text, p_category_id bigint, p_min_price numeric, p_max_price numeric, p_in_stock boolean, p_sort text, p_limit integer, p_cursor text, p_options text[]) IS 'GET /api/products: active, live products with a live variant; q (websearch syntax, over names, descriptions, variant SKUs and option values; typos corrected when nothing matches), category_id (its whole subtree), min_price / max_price (the default variant''s price), in_stock (any variant), options (name:value, values of one option or''ed, options and''ed, by one variant); sort relevance|price|-price|newest|name; keyset pages.';


--
-- Name: products_report(integer, date, date); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.products_report(p_limit integer DEFAULT 10, p_from date DEFAULT NULL::date, p_to date DEFAULT NULL::date) RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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


--
-- Name: FUNCTION products_report(p_limit integer, p_from date, p_to date); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.products_report(p_limit integer, p_from date, p_to date) IS 'GET /api/admin/reports/products (admin): top products by revenue {product_id, name, units_sold, revenue, orders}. Without dates: all time from reporting.product_performance; with from/to (UTC days, inclusive): computed from the orders. PT422 invalid_limit, invalid_range.';


--
-- Name: profile_get(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.profile_get() RETURNS json
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select lib.user_json(u)
  from shop.users u
  where u.id = lib.require_user()
$$;


--
-- Name: FUNCTION profile_get(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.profile_get() IS 'GET /api/users/profile: the caller''s own profile. PT401 when anonymous.';


--
-- Name: profile_update(text, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.profile_update(p_first_name text DEFAULT NULL::text, p_last_name text DEFAULT NULL::text) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_user shop.users;
begin
  update shop.users u
  set first_name = coalesce(btrim(p_first_name), u.first_name),
      last_name = coalesce(btrim(p_last_name), u.last_name)
  where u.id = lib.require_user()
  returning * into v_user;
  return lib.user_json(v_user);
exception
  when check_violation then
    raise exception using
      errcode = 'PT422', message = 'invalid_name',
      detail = 'first_name and last_name must not be blank';
end
$$;


--
-- Name: FUNCTION profile_update(p_first_name text, p_last_name text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.profile_update(p_first_name text, p_last_name text) IS 'PUT /api/users/profile: changes the caller''s own names (only those; email and role are not writable here).';


--
-- Name: sales_report(date, date); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.sales_report(p_from date DEFAULT NULL::date, p_to date DEFAULT NULL::date) RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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


--
-- Name: FUNCTION sales_report(p_from date, p_to date); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.sales_report(p_from date, p_to date) IS 'GET /api/admin/reports/sales (admin): revenue orders, units, revenue and average order value per UTC day from p_from to p_to (default: the last 30 days), days without sales as zeros; real time. PT422 invalid_range.';


--
-- Name: stripe_event_record(jsonb); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.stripe_event_record(p_event jsonb) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  -- Only the HTTP layer's webhook route, once it has verified the Stripe-Signature, calls as this provider.
  if nullif(current_setting('request.jwt.claims', true), '')::jsonb is distinct from
     '{"role": "provider", "provider": "stripe"}'::jsonb then
    raise exception using errcode = 'PT403', message = 'forbidden', detail = 'only a verified Stripe webhook records Stripe events';
  end if;
  return lib.stripe_event_apply(p_event);
end
$$;


--
-- Name: FUNCTION stripe_event_record(p_event jsonb); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.stripe_event_record(p_event jsonb) IS 'POST /api/payments/webhooks/stripe, after the HTTP layer verified the Stripe-Signature (claims {"role": "provider", "provider": "stripe"}): lib.stripe_event_apply. PT403 for any other caller.';


--
-- Name: user_login(text, text, text, inet); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.user_login(p_email text, p_password text, p_cart_token text DEFAULT NULL::text, p_client inet DEFAULT NULL::inet) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  -- An address has at most 254 characters (RFC 5321); longer input is counted under its first 254.
  v_email text := left(coalesce(lower(btrim(p_email)), ''), 254);
  v_user shop.users;
begin
  perform lib.auth_attempt(p_client);
  -- One login at a time per account, so concurrent guesses are counted one after the other.
  perform pg_advisory_xact_lock(hashtextextended('pgshop.login:' || v_email, 0));
  perform lib.rate_limit_check('login_failure', v_email, lib.setting('rate_limit_login_failures')::integer,
                                lib.setting('rate_limit_login_window')::interval);

  select * into v_user
  from shop.users u
  where lower(u.email) = v_email;

  -- An unknown email costs one bcrypt round of the current cost, like a wrong password: timing tells nothing.
  if v_user.id is null
     or v_user.password_hash <> public.crypt(coalesce(p_password, ''), v_user.password_hash) then
    if v_user.id is null then
      perform public.crypt(coalesce(p_password, ''), public.gen_salt('bf', lib.setting('password_hash_cost')::integer));
    end if;
    -- Counted for any email, existing or not, and returned (not raised) so that the count is kept.
    insert into shop.attempts (kind, key) values ('login_failure', v_email);
    return lib.problem(401, 'invalid_credentials', 'the email or the password is wrong');
  end if;
  delete from shop.attempts a where a.kind = 'login_failure' and a.key = v_email;
  return json_build_object(
    'user_id', v_user.id,
    'role', v_user.role,
    'cart', lib.cart_merge(v_user.id, p_cart_token)
  );
end
$$;


--
-- Name: FUNCTION user_login(p_email text, p_password text, p_cart_token text, p_client inet); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.user_login(p_email text, p_password text, p_cart_token text, p_client inet) IS 'POST /api/auth/login: checks the password and returns {user_id, role, cart} for the token; the guest cart of p_cart_token (if live) is merged into the user''s cart (see lib.cart_merge). Unknown email and wrong password return the same 401 invalid_credentials problem and count as a failure of that email; after rate_limit_login_failures failures within rate_limit_login_window, PT429 too_many_attempts (even with the right password) until the oldest leaves the window. p_client: rate_limit_auth_per_address a minute.';


--
-- Name: user_register(text, text, text, text, inet); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.user_register(p_email text, p_password text, p_first_name text, p_last_name text, p_client inet DEFAULT NULL::inet) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_state text;
  v_message text;
  v_detail text;
  v_hint text;
begin
  perform lib.auth_attempt(p_client);
  begin
    return lib.user_json(lib.upsert_user(p_email, p_password, p_first_name, p_last_name, 'customer'));
  exception when others then
    -- Refused (say, email_taken): returned, so the attempt above still counts against the address.
    get stacked diagnostics v_state = returned_sqlstate, v_message = message_text, v_detail = pg_exception_detail,
                            v_hint = pg_exception_hint;
    if v_state not like 'PT%' then
      raise;
    end if;
    return lib.problem_of(v_state, v_message, v_detail, v_hint);
  end;
end
$$;


--
-- Name: FUNCTION user_register(p_email text, p_password text, p_first_name text, p_last_name text, p_client inet); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.user_register(p_email text, p_password text, p_first_name text, p_last_name text, p_client inet) IS 'POST /api/auth/register: creates a customer. 409 email_taken (any letter case), 422 invalid_email, invalid_name, missing_field, password_too_short, password_too_long (returned as problems, so the attempt counts); PT429 too_many_attempts beyond rate_limit_auth_per_address attempts a minute from p_client.';


--
-- Name: variant_create(bigint, jsonb); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.variant_create(p_product_id bigint, p_fields jsonb) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_variant shop.variants;
begin
  perform lib.require_admin();
  perform lib.product_for_write(p_product_id);
  v_variant := lib.variant_write(p_product_id, null, jsonb_build_object('options', '{}'::jsonb) || p_fields);
  perform lib.variants_check_now();
  select * into v_variant from shop.variants v where v.id = v_variant.id;
  return lib.variant_json(v_variant);
end
$$;


--
-- Name: FUNCTION variant_create(p_product_id bigint, p_fields jsonb); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.variant_create(p_product_id bigint, p_fields jsonb) IS 'POST /api/products/{id}/variants (admin) {sku, price, compare_at_price?, weight_grams?, stock_quantity, low_stock_threshold?, is_active?, position?, options}: a variant. 404, 409 sku_taken, variant_exists, 422 invalid_option_values, invalid_price, invalid_compare_at_price, unknown_field.';


--
-- Name: variant_delete(bigint, bigint); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.variant_delete(p_product_id bigint, p_variant_id bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform lib.require_admin();
  perform lib.product_for_write(p_product_id);
  update shop.variants v set deleted_at = now()
  where v.id = p_variant_id and v.product_id = p_product_id and v.deleted_at is null;
  if not found then
    perform lib.not_found('variant', p_variant_id);
  end if;
  delete from shop.cart_items ci where ci.variant_id = p_variant_id;
end
$$;


--
-- Name: FUNCTION variant_delete(p_product_id bigint, p_variant_id bigint); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.variant_delete(p_product_id bigint, p_variant_id bigint) IS 'DELETE /api/products/{id}/variants/{variant_id} (admin): soft delete; it leaves every cart, orders keep it.';


--
-- Name: variant_get(bigint, bigint); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.variant_get(p_product_id bigint, p_variant_id bigint) RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_variant shop.variants;
begin
  select v.* into v_variant
  from shop.variants v join shop.products p on p.id = v.product_id
  where v.id = p_variant_id and v.product_id = p_product_id and v.deleted_at is null and p.deleted_at is null
    and ((v.is_active and p.is_active) or lib.is_admin());
  if v_variant.id is null then
    perform lib.not_found('variant', p_variant_id);
  end if;
  return lib.variant_json(v_variant);
end
$$;


--
-- Name: FUNCTION variant_get(p_product_id bigint, p_variant_id bigint); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.variant_get(p_product_id bigint, p_variant_id bigint) IS 'GET /api/products/{id}/variants/{variant_id}: a live variant (an inactive one for admins only).';


--
-- Name: variant_update(bigint, bigint, jsonb); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.variant_update(p_product_id bigint, p_variant_id bigint, p_patch jsonb) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_variant shop.variants;
begin
  perform lib.require_admin();
  perform lib.product_for_write(p_product_id);
  v_variant := lib.variant_write(p_product_id, p_variant_id, p_patch);
  perform lib.variants_check_now();
  select * into v_variant from shop.variants v where v.id = v_variant.id;
  return lib.variant_json(v_variant);
end
$$;


--
-- Name: FUNCTION variant_update(p_product_id bigint, p_variant_id bigint, p_patch jsonb); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.variant_update(p_product_id bigint, p_variant_id bigint, p_patch jsonb) IS 'PUT /api/products/{id}/variants/{variant_id} (admin): any subset of the variant''s fields (options as a whole). 404, 409 sku_taken, variant_exists, 422.';


--
-- Name: variants_list(bigint); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.variants_list(p_product_id bigint) RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_admin boolean := lib.is_admin();
begin
  if not exists (select from shop.products p where p.id = p_product_id and p.deleted_at is null
                 and (p.is_active or v_admin)) then
    perform lib.not_found('product', p_product_id);
  end if;
  return json_build_object(
    'items', (select coalesce(json_agg(lib.variant_json(v) order by v.position, v.id), '[]')
              from shop.variants v
              where v.product_id = p_product_id and v.deleted_at is null and (v.is_active or v_admin)),
    'next_cursor', null);
end
$$;


--
-- Name: FUNCTION variants_list(p_product_id bigint); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.variants_list(p_product_id bigint) IS 'GET /api/products/{id}/variants: its live variants in order (inactive ones for admins only).';


--
-- Name: webhook_create(text, jsonb); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.webhook_create(p_url text, p_events jsonb) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  v_admin bigint := lib.require_admin();
  v_problem text := lib.webhook_url_problem(p_url);
  v_events text[];
  v_endpoint shop.webhook_endpoints;
begin
  if v_problem is not null then
    raise exception using errcode = 'PT422', message = 'invalid_url', detail = v_problem;
  end if;
  if jsonb_typeof(p_events) = 'array' and jsonb_array_length(p_events) between 1 and 50
     and not jsonb_path_exists(p_events, '$[*] ? (@.type() != "string")') then
    select array_agg(distinct e order by e) into v_events from jsonb_array_elements_text(p_events) e;
  end if;
  if v_events is null or exists (select from unnest(v_events) e
                                 where e not in (select t.type from shop.event_types t)) then
    raise exception using errcode = 'PT422', message = 'invalid_events',
      detail = 'events is a list of 1 to 50 of: ' || (select string_agg(t.type, ', ' order by t.type)
                                                       from shop.event_types t);
  end if;
  insert into shop.webhook_endpoints (url, events, secret, created_by)
  values (p_url, v_events, 'whsec_' || encode(public.gen_random_bytes(32), 'hex'), v_admin)
  returning * into v_endpoint;
  return (lib.webhook_json(v_endpoint)::jsonb || jsonb_build_object('secret', v_endpoint.secret))::json;
end
$_$;


--
-- Name: FUNCTION webhook_create(p_url text, p_events jsonb); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.webhook_create(p_url text, p_events jsonb) IS 'POST /api/admin/webhooks (admin): subscribes p_url to the event types p_events; returns the endpoint with its signing secret, the only time it is shown. PT422 invalid_url, invalid_events.';


--
-- Name: webhook_delete(bigint); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.webhook_delete(p_id bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform lib.require_admin();
  perform lib.webhook_get(p_id);
  -- Its deliveries go with it; their queue jobs find nothing left to send.
  delete from shop.webhook_endpoints e where e.id = p_id;
end
$$;


--
-- Name: FUNCTION webhook_delete(p_id bigint); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.webhook_delete(p_id bigint) IS 'DELETE /api/admin/webhooks/{id} (admin): the endpoint and its deliveries are gone; nothing more is sent. PT404.';


--
-- Name: webhook_deliveries_list(bigint, integer, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.webhook_deliveries_list(p_id bigint, p_limit integer DEFAULT 20, p_cursor text DEFAULT NULL::text) RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_limit integer;
  v_after jsonb := lib.cursor_decode(p_cursor, 'newest', 'bigint');
  v_rows shop.webhook_deliveries[];
begin
  perform lib.require_admin();
  perform lib.webhook_get(p_id);
  v_limit := lib.page_limit(p_limit, 20);
  select array(
    select d
    from shop.webhook_deliveries d
    where d.endpoint_id = p_id
      and (v_after is null or d.id < (v_after ->> 'id')::bigint)
    order by d.id desc
    limit v_limit + 1
  ) into v_rows;
  return json_build_object(
    'items', (select coalesce(json_agg(lib.delivery_json(v_rows[i]) order by i), '[]')
              from generate_subscripts(v_rows, 1) i
              where i <= v_limit),
    'next_cursor', case when cardinality(v_rows) > v_limit
                        then lib.cursor_encode('newest', v_rows[v_limit].id::text, v_rows[v_limit].id) end
  );
end
$$;


--
-- Name: FUNCTION webhook_deliveries_list(p_id bigint, p_limit integer, p_cursor text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.webhook_deliveries_list(p_id bigint, p_limit integer, p_cursor text) IS 'GET /api/admin/webhooks/{id}/deliveries (admin): the endpoint''s deliveries, newest first, one keyset page. PT404; PT422 invalid_limit, invalid_cursor.';


--
-- Name: webhook_redeliver(bigint, bigint); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.webhook_redeliver(p_id bigint, p_delivery_id bigint) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_delivery shop.webhook_deliveries;
begin
  perform lib.require_admin();
  perform lib.webhook_get(p_id);
  select * into v_delivery from shop.webhook_deliveries d where d.id = p_delivery_id and d.endpoint_id = p_id
  for update;
  if v_delivery.id is null then
    perform lib.not_found('delivery', p_delivery_id);
  end if;
  -- A pending one has its job already (a second would send it twice).
  if v_delivery.status = 'pending' then
    raise exception using errcode = 'PT409', message = 'delivery_pending',
      detail = format('delivery %s is still being tried (next attempt %s)', p_delivery_id,
                      coalesce(v_delivery.next_attempt_at::text, 'now'));
  end if;
  update shop.webhook_deliveries d
  set status = 'pending', delivered_at = null, next_attempt_at = now(), retry_from = now(), error = null
  where d.id = p_delivery_id
  returning * into v_delivery;
  perform shop.enqueue_deliveries(array[v_delivery.id]);
  return lib.delivery_json(v_delivery);
end
$$;


--
-- Name: FUNCTION webhook_redeliver(p_id bigint, p_delivery_id bigint); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.webhook_redeliver(p_id bigint, p_delivery_id bigint) IS 'POST /api/admin/webhooks/{id}/deliveries/{delivery_id}/redeliver (admin): sends a delivered or failed event again (another 24 hours of retries if it fails). PT404; PT409 delivery_pending while it is still being tried.';


--
-- Name: webhooks_list(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.webhooks_list() RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform lib.require_admin();
  return json_build_object('items', (
    select coalesce(json_agg(lib.webhook_json(e) order by e.id), '[]') from shop.webhook_endpoints e));
end
$$;


--
-- Name: FUNCTION webhooks_list(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.webhooks_list() IS 'GET /api/admin/webhooks (admin): every endpoint, oldest first, without secrets.';


--
-- Name: xact_replayed(xid8); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.xact_replayed(p_xid xid8) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  return pg_xact_status(p_xid) = 'committed';
exception when others then
  return false;  -- a transaction id this server has not seen yet ("in the future")
end
$$;


--
-- Name: FUNCTION xact_replayed(p_xid xid8); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.xact_replayed(p_xid xid8) IS 'True when this server has replayed (or made) the commit of transaction p_xid: the API runs a client''s reads on a standby only then.';


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
    AS $_$
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
$_$;


--
-- Name: FUNCTION tg__log(); Type: COMMENT; Schema: audit; Owner: -
--

COMMENT ON FUNCTION audit.tg__log() IS 'Trigger (statement level): writes audit.log rows for the rows changed; its arguments name columns never to log.';


--
-- Name: address_problem(jsonb); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.address_problem(p_address jsonb) RETURNS json
    LANGUAGE plpgsql IMMUTABLE
    AS $$
declare
  v_missing text;
begin
  perform p_address::shop.address;
  if p_address is not null then
    return null;
  end if;
  raise check_violation;
exception when check_violation then
  select string_agg(f, ', ') into v_missing
  from unnest(array['name', 'line1', 'city', 'postal_code', 'country']) f
  where not shop.has_text(p_address ->> f);
  return lib.problem(422, 'invalid_address', case
    when jsonb_typeof(p_address) is distinct from 'object' then 'shipping_address must be an object'
    when v_missing is not null then format('shipping_address needs: %s', v_missing)
    else 'shipping_address must be a flat object of at most 20 fields (names up to 50 characters) whose values '
         'are strings of at most 200 characters'
  end);
end
$$;


--
-- Name: FUNCTION address_problem(p_address jsonb); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.address_problem(p_address jsonb) IS 'Null when p_address is a shop.address; else the 422 invalid_address problem naming what is wrong (not an object, the missing fields, or a value that is not a short string).';


--
-- Name: amount(text); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.amount(p_value text) RETURNS numeric
    LANGUAGE plpgsql IMMUTABLE
    AS $$
declare
  v_amount numeric;
begin
  begin
    v_amount := lib.price(p_value, 'amount');
  exception when sqlstate 'PT422' then
    v_amount := null;
  end;
  if v_amount is null or v_amount = 0 then
    raise exception using
      errcode = 'PT422', message = 'invalid_amount',
      detail = 'amount must be a finite amount above 0, at most 9999999999.99, with at most 2 decimals';
  end if;
  return v_amount;
end
$$;


--
-- Name: FUNCTION amount(p_value text); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.amount(p_value text) IS 'p_value as an amount of money above 0 (lib.price''s rules); PT422 invalid_amount.';


--
-- Name: auth_attempt(inet); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.auth_attempt(p_client inet) RETURNS void
    LANGUAGE plpgsql
    AS $$
begin
  if p_client is not null then
    perform lib.rate_limit_check('auth', host(p_client), lib.setting('rate_limit_auth_per_address')::integer,
                                  interval '1 minute');
    insert into shop.attempts (kind, key) values ('auth', host(p_client));
  end if;
end
$$;


--
-- Name: FUNCTION auth_attempt(p_client inet); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.auth_attempt(p_client inet) IS 'Counts a login or register attempt from a client address (rate_limit_auth_per_address a minute; PT429 beyond it). No address (a local caller), no limit.';


SET default_tablespace = '';

SET default_table_access_method = heap;

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
-- Name: cart_for_write(text); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.cart_for_write(p_token text) RETURNS shop.carts
    LANGUAGE plpgsql
    AS $$
declare
  v_cart shop.carts;
begin
  if shop.current_user_id() is not null then
    insert into shop.carts (user_id)
    values (lib.require_user())
    on conflict (user_id) do update set updated_at = now()
    returning * into v_cart;
  else
    update shop.carts c
    set updated_at = now()
    where c.token = lib.cart_token(p_token)
      and c.updated_at > lib.guest_carts_since()
    returning * into v_cart;
    if v_cart.id is null then
      insert into shop.carts (token)
      values (gen_random_uuid())
      returning * into v_cart;
    end if;
  end if;
  return v_cart;
end
$$;


--
-- Name: FUNCTION cart_for_write(p_token text); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.cart_for_write(p_token text) IS 'The caller''s cart, created when missing (a guest gets a new token), touched and row-locked for the change.';


--
-- Name: cart_json(shop.carts); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.cart_json(p_cart shop.carts) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object(
    'token', p_cart.token,
    'items', coalesce(json_agg(json_build_object(
      'product_id', l.product_id,
      'variant_id', l.variant_id,
      'name', l.name,
      'sku', l.sku,
      'options', lib.variant_options(l.variant_id),
      'unit_price', l.unit_price::text,
      'quantity', l.quantity,
      'line_total', (l.unit_price * l.quantity)::text
    ) order by l.line_id), '[]'),
    'total', coalesce(sum(l.unit_price * l.quantity), 0)::numeric(12, 2)::text,
    'item_count', coalesce(sum(l.quantity), 0)
  )
  from lib.cart_lines(p_cart.id) l
$$;


--
-- Name: FUNCTION cart_json(p_cart shop.carts); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.cart_json(p_cart shop.carts) IS 'A cart as the API shows it: its live lines (lib.cart_lines), total, item_count (units).';


--
-- Name: cart_lines(bigint); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.cart_lines(p_cart_id bigint) RETURNS TABLE(line_id bigint, product_id bigint, variant_id bigint, name text, sku text, unit_price numeric, quantity integer, stock_quantity integer)
    LANGUAGE sql STABLE
    AS $$
  select ci.id, p.id, v.id, p.name, v.sku, v.price, ci.quantity, v.stock_quantity
  from shop.cart_items ci
  join shop.variants v on v.id = ci.variant_id
  join shop.products p on p.id = v.product_id
  where ci.cart_id = p_cart_id
    and p.deleted_at is null
    and p.is_active
    and v.deleted_at is null
    and v.is_active
$$;


--
-- Name: FUNCTION cart_lines(p_cart_id bigint); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.cart_lines(p_cart_id bigint) IS 'The lines of a cart that count: live, active variants of live, active products at current prices, with the stock on hand.';


--
-- Name: cart_merge(bigint, text); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.cart_merge(p_user_id bigint, p_token text) RETURNS json
    LANGUAGE plpgsql
    AS $$
declare
  v_guest shop.carts;
  v_cart bigint;
  v_adjustments json;
begin
  select * into v_guest
  from shop.carts c
  where c.token = lib.cart_token(p_token)
    and c.updated_at > lib.guest_carts_since()
  for update;
  if v_guest.id is null then
    return json_build_object('merged', false, 'adjustments', '[]'::json);
  end if;

  insert into shop.carts (user_id)
  values (p_user_id)
  on conflict (user_id) do update set updated_at = now()
  returning id into v_cart;

  -- One statement: every part sees the carts as they were before it.
  with lines as (
    select
      g.product_id,
      g.variant_id,
      g.quantity + coalesce(u.quantity, 0) as wanted,
      case when a.sellable then least(g.quantity + coalesce(u.quantity, 0), v.stock_quantity) else 0 end as quantity,
      case when not a.sellable then 'unavailable'
           when v.stock_quantity = 0 then 'out_of_stock'
           when g.quantity + coalesce(u.quantity, 0) > v.stock_quantity then 'capped_at_stock' end as reason
    from shop.cart_items g
    join shop.variants v on v.id = g.variant_id
    join shop.products p on p.id = v.product_id
    cross join lateral (select p.deleted_at is null and p.is_active and v.deleted_at is null and v.is_active
                        as sellable) a
    left join shop.cart_items u on u.cart_id = v_cart and u.variant_id = g.variant_id
    where g.cart_id = v_guest.id
  ), kept as (
    insert into shop.cart_items as ci (cart_id, product_id, variant_id, quantity)
    select v_cart, l.product_id, l.variant_id, l.quantity
    from lines l
    where l.quantity > 0
    on conflict (cart_id, variant_id) do update set quantity = excluded.quantity
  ), emptied as (
    delete from shop.cart_items ci
    using lines l
    where ci.cart_id = v_cart
      and ci.variant_id = l.variant_id
      and l.quantity = 0
  ), guest as (
    delete from shop.carts c
    where c.id = v_guest.id
  )
  select coalesce(json_agg(json_build_object(
    'product_id', l.product_id, 'variant_id', l.variant_id, 'requested', l.wanted, 'quantity', l.quantity,
    'reason', l.reason
  ) order by l.product_id, l.variant_id) filter (where l.reason is not null), '[]')
  into v_adjustments
  from lines l;
  return json_build_object('merged', true, 'adjustments', v_adjustments);
end
$$;


--
-- Name: FUNCTION cart_merge(p_user_id bigint, p_token text); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.cart_merge(p_user_id bigint, p_token text) IS 'Merges the guest cart of p_token into the user''s cart (sum per variant, capped at stock; unavailable ones dropped), deletes the guest cart and reports {merged, adjustments: [{product_id, variant_id, requested, quantity, reason}]}.';


--
-- Name: cart_token(text); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.cart_token(p_token text) RETURNS uuid
    LANGUAGE plpgsql IMMUTABLE
    AS $$
begin
  return p_token::uuid;
exception when invalid_text_representation then
  return null;  -- a malformed token is an unknown token
end
$$;


--
-- Name: FUNCTION cart_token(p_token text); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.cart_token(p_token text) IS 'A guest cart token as uuid; null when absent or malformed.';


--
-- Name: variants; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.variants (
    id bigint NOT NULL,
    product_id bigint NOT NULL,
    sku text NOT NULL,
    price numeric(12,2) NOT NULL,
    compare_at_price numeric(12,2),
    weight_grams integer DEFAULT 0 NOT NULL,
    stock_quantity integer DEFAULT 0 NOT NULL,
    low_stock_threshold integer DEFAULT 5 NOT NULL,
    is_active boolean DEFAULT true NOT NULL,
    "position" integer DEFAULT 0 NOT NULL,
    combination text,
    deleted_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT variants_compare_at_price_above_price CHECK ((compare_at_price > price)),
    CONSTRAINT variants_compare_at_price_finite CHECK ((compare_at_price <> 'NaN'::numeric)),
    CONSTRAINT variants_low_stock_threshold_not_negative CHECK ((low_stock_threshold >= 0)),
    CONSTRAINT variants_price_finite CHECK ((price <> 'NaN'::numeric)),
    CONSTRAINT variants_price_not_negative CHECK ((price >= (0)::numeric)),
    CONSTRAINT variants_sku_size CHECK (((btrim(sku) <> ''::text) AND (length(sku) <= 100))),
    CONSTRAINT variants_stock_not_negative CHECK ((stock_quantity >= 0)),
    CONSTRAINT variants_weight_not_negative CHECK ((weight_grams >= 0))
)
WITH (fillfactor='80');


--
-- Name: TABLE variants; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.variants IS 'What is sold: a product''s variants, each with its own SKU, price, weight and stock and one value of each of the product''s options. The first live variant (position, id) is the product''s default.';


--
-- Name: COLUMN variants.sku; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.variants.sku IS 'Unique among live variants, in any letter case.';


--
-- Name: COLUMN variants.compare_at_price; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.variants.compare_at_price IS 'A former or list price shown struck through; above price.';


--
-- Name: COLUMN variants.weight_grams; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.variants.weight_grams IS 'Shipping weight of one unit, in grams.';


--
-- Name: COLUMN variants.stock_quantity; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.variants.stock_quantity IS 'Units on hand; never negative (checkout takes it conditionally).';


--
-- Name: COLUMN variants."position"; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.variants."position" IS 'Order among the product''s variants; the first live one is the default.';


--
-- Name: COLUMN variants.combination; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.variants.combination IS 'The variant''s option value ids in option order (derived by the layer from shop.variant_option_values; empty for a product without options).';


--
-- Name: COLUMN variants.deleted_at; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.variants.deleted_at IS 'Soft delete: the variant is no longer sold; past orders keep it.';


--
-- Name: cart_variant(bigint, bigint); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.cart_variant(p_product_id bigint, p_variant_id bigint) RETURNS shop.variants
    LANGUAGE plpgsql STABLE
    AS $$
declare
  v_variant shop.variants;
  v_live integer;
begin
  if p_variant_id is null and p_product_id is null then
    raise exception using errcode = 'PT422', message = 'variant_required',
      detail = 'say which variant: variant_id, or product_id for a product with one variant';
  elsif p_variant_id is not null then
    select v.* into v_variant
    from shop.variants v join shop.products p on p.id = v.product_id
    where v.id = p_variant_id and (p_product_id is null or v.product_id = p_product_id)
      and p.deleted_at is null and p.is_active;
    if v_variant.id is null then
      perform lib.not_found('variant', p_variant_id);
    end if;
  else
    if not exists (select from shop.products p where p.id = p_product_id and p.deleted_at is null and p.is_active) then
      perform lib.not_found('product', p_product_id);
    end if;
    select count(*) into v_live from shop.variants v
    where v.product_id = p_product_id and v.deleted_at is null and v.is_active;
    if v_live > 1 then
      raise exception using errcode = 'PT422', message = 'variant_required',
        detail = format('product %s has %s variants: say which, with variant_id', p_product_id, v_live);
    end if;
    v_variant := lib.default_variant(p_product_id);
  end if;
  if v_variant.id is null or v_variant.deleted_at is not null or not v_variant.is_active then
    raise exception using errcode = 'PT409', message = 'variant_unavailable',
      detail = format('%s is not for sale', coalesce('variant ' || v_variant.sku, 'product ' || p_product_id));
  end if;
  return v_variant;
end
$$;


--
-- Name: FUNCTION cart_variant(p_product_id bigint, p_variant_id bigint); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.cart_variant(p_product_id bigint, p_variant_id bigint) IS 'The variant a cart line is for (given, or the only one of the product): PT404, PT422 variant_required, PT409 variant_unavailable.';


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
-- Name: category_json(shop.categories); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.category_json(p_category shop.categories) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object(
    'id', p_category.id,
    'name', p_category.name,
    'description', p_category.description,
    'parent_id', p_category.parent_id,
    'created_at', p_category.created_at
  )
$$;


--
-- Name: FUNCTION category_json(p_category shop.categories); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.category_json(p_category shop.categories) IS 'The public shape of a category.';


--
-- Name: category_path(bigint); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.category_path(p_category_id bigint) RETURNS text
    LANGUAGE sql STABLE
    AS $$
  with recursive up (id, parent_id, name, depth) as (
    select c.id, c.parent_id, c.name, 0 from shop.categories c where c.id = p_category_id
    union all
    select c.id, c.parent_id, c.name, up.depth + 1 from up join shop.categories c on c.id = up.parent_id
  )
  select string_agg(up.name, ' > ' order by up.depth desc) from up
$$;


--
-- Name: FUNCTION category_path(p_category_id bigint); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.category_path(p_category_id bigint) IS 'A category''s names from the root down, joined by " > ".';


--
-- Name: category_subtree(bigint); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.category_subtree(p_category_id bigint) RETURNS bigint[]
    LANGUAGE sql STABLE
    AS $$
  with recursive tree (id) as (
    select p_category_id
    union
    select c.id from shop.categories c join tree on c.parent_id = tree.id
  )
  select array_agg(tree.id) from tree
$$;


--
-- Name: FUNCTION category_subtree(p_category_id bigint); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.category_subtree(p_category_id bigint) IS 'A category''s id and those of every category below it.';


--
-- Name: check_password(text); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.check_password(p_password text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    AS $$
begin
  if p_password is null then
    raise exception using
      errcode = 'PT422', message = 'missing_field',
      detail = 'email, password, first_name and last_name are required';
  end if;
  if length(p_password) < 8 then
    raise exception using
      errcode = 'PT422', message = 'password_too_short',
      detail = 'the password needs at least 8 characters';
  end if;
  if octet_length(p_password) > 72 then
    raise exception using
      errcode = 'PT422', message = 'password_too_long',
      detail = 'the password may have at most 72 bytes (bcrypt ignores the rest)';
  end if;
end
$$;


--
-- Name: FUNCTION check_password(p_password text); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.check_password(p_password text) IS 'Password policy: required, 8 characters to 72 bytes (bcrypt''s limit).';


--
-- Name: check_report_range(date, date, integer); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.check_report_range(p_from date, p_to date, p_max_days integer) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    AS $$
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


--
-- Name: FUNCTION check_report_range(p_from date, p_to date, p_max_days integer); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.check_report_range(p_from date, p_to date, p_max_days integer) IS 'PT422 invalid_range unless p_from <= p_to and the range covers at most p_max_days days (a null end is open).';


--
-- Name: checkout(bigint, jsonb, text); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.checkout(p_user bigint, p_request jsonb, p_idempotency_key text) RETURNS json
    LANGUAGE plpgsql
    AS $$
declare
  v_answer json;
  v_cart bigint;
  v_lines integer;
  v_short jsonb;
  v_order shop.orders;
  v_response json;
  v_request jsonb := lib.checkout_request(p_request);
begin
  if v_request is null then
    return lib.problem(422, 'validation_failed', 'the request is an object of these members only: '
                       || (select string_agg(k, ', ') from jsonb_object_keys(lib.checkout_members()) k));
  end if;
  v_answer := coalesce(lib.address_problem(v_request -> 'shipping_address'),
                       lib.idempotency_claim(p_user, p_idempotency_key, v_request));
  if v_answer is not null then
    return v_answer;
  end if;

  -- The cart as it is now, at current prices; lines short already fail here, before any stock is locked.
  select c.id into v_cart from shop.carts c where c.user_id = p_user for update;
  select count(*),
         jsonb_agg(jsonb_build_object('product_id', l.product_id, 'variant_id', l.variant_id, 'sku', l.sku,
                                      'requested', l.quantity, 'available', l.stock_quantity) order by l.variant_id)
           filter (where l.stock_quantity < l.quantity)
  into v_lines, v_short
  from lib.cart_lines(v_cart) l;
  v_answer := case when v_lines = 0 then lib.problem(409, 'empty_cart', 'the cart is empty')
                   when v_short is not null then lib.insufficient_stock(v_short) end;
  if v_answer is not null then
    delete from shop.idempotency_keys k where k.user_id = p_user and k.key = p_idempotency_key;
    return v_answer;
  end if;

  v_order := lib.order_place(p_user, v_request -> 'shipping_address', v_cart);
  v_response := shop.order_document(v_order);
  update shop.idempotency_keys k
  set order_id = v_order.id,
      response = v_response
  where k.user_id = p_user
    and k.key = p_idempotency_key;

  -- The stock, last, so the rows stay locked only for this and the commit (a hot product sells as fast
  -- as commits allow). A line whose stock went since the cart was read undoes the whole checkout.
  v_short := shop.take_stock(v_order.id);
  if v_short is not null then
    perform lib.raise_problem(lib.insufficient_stock(v_short));
  end if;
  return v_response;
end
$$;


--
-- Name: FUNCTION checkout(p_user bigint, p_request jsonb, p_idempotency_key text); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.checkout(p_user bigint, p_request jsonb, p_idempotency_key text) IS 'Checkout of p_user''s cart into a pending order. Returns the order, the replay of an Idempotency-Key, or a problem found before anything was written (422 validation_failed, invalid_address, invalid_idempotency_key, idempotency_key_reused; 409 empty_cart, insufficient_stock, idempotency_key_in_use). Raises PT409 insufficient_stock when a line lost its stock after the order was written: nothing stays.';


--
-- Name: checkout_members(); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.checkout_members() RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  select jsonb_build_object(
    'shipping_address', jsonb_build_object('required', true))
$$;


--
-- Name: FUNCTION checkout_members(); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.checkout_members() IS 'The members of the checkout request {name: {required} or {default}}: the one list validation, the idempotency hash and the order read.';


--
-- Name: checkout_request(jsonb); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.checkout_request(p_request jsonb) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  select case
    when jsonb_typeof(p_request) = 'object'
         and not exists (select from jsonb_object_keys(p_request) k where not lib.checkout_members() ? k)
         and not exists (select from jsonb_each(lib.checkout_members()) m
                         where (m.value ->> 'required')::boolean and not p_request ? m.key)
    then p_request - coalesce((select array_agg(e.key) from jsonb_each(p_request) e
                               where lib.checkout_members() -> e.key -> 'default' = e.value), '{}')
  end
$$;


--
-- Name: FUNCTION checkout_request(p_request jsonb); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.checkout_request(p_request jsonb) IS 'The checkout request in its canonical form (members at their default left out), or null when it has a member lib.checkout_members() does not know or lacks a required one.';


--
-- Name: correct_query(text); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.correct_query(p_q text) RETURNS text
    LANGUAGE sql STABLE
    AS $$
  select string_agg(
    case
      when t.w ~ '[[:digit:]]' or exists (select from shop.search_words x where x.word = lower(t.w)) then t.w
      else coalesce((
        select sw.word
        from shop.search_words sw
        where sw.word operator(public.%) lower(t.w)
        order by sw.word operator(public.<->) lower(t.w)
        limit 1), t.w)
    end, ' ' order by t.n)
  from regexp_split_to_table(p_q, '\s+') with ordinality as t (w, n)
$$;


--
-- Name: FUNCTION correct_query(p_q text); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.correct_query(p_q text) IS 'The query with each word unknown to product names replaced by the most similar known word (trigram); words with a digit (model codes) are kept as typed.';


--
-- Name: cursor_decode(text, text, text); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.cursor_decode(p_cursor text, p_sort text, p_key_type text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $$
declare
  v_cursor jsonb;
begin
  if p_cursor is null then
    return null;
  end if;
  begin
    v_cursor := convert_from(
      decode(rpad(translate(p_cursor, '-_', '+/'), (length(p_cursor) + 3) / 4 * 4, '='), 'base64'),
      'UTF8')::jsonb;
    perform (v_cursor ->> 'id')::bigint;
    execute format('select %L::%s', v_cursor ->> 'k', p_key_type);  -- the key must be of the sort's type
  exception when others then
    v_cursor := null;
  end;
  if jsonb_typeof(v_cursor) is distinct from 'object' or v_cursor ->> 's' is distinct from p_sort
     or v_cursor ->> 'k' is null or v_cursor ->> 'id' is null then
    raise exception using errcode = 'PT422', message = 'invalid_cursor',
      detail = 'the cursor is malformed or belongs to another sort order';
  end if;
  return v_cursor;
end
$$;


--
-- Name: FUNCTION cursor_decode(p_cursor text, p_sort text, p_key_type text); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.cursor_decode(p_cursor text, p_sort text, p_key_type text) IS 'Decodes a cursor made by lib.cursor_encode for sort p_sort whose key casts to p_key_type (a type name the caller fixes, never client input); null for no cursor; PT422 invalid_cursor otherwise.';


--
-- Name: cursor_encode(text, text, bigint); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.cursor_encode(p_sort text, p_key text, p_id bigint) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
  select rtrim(translate(encode(convert_to(
    jsonb_build_object('s', p_sort, 'k', p_key, 'id', p_id)::text, 'UTF8'), 'base64'), E'+/\n', '-_'), '=')
  where p_id is not null
$$;


--
-- Name: FUNCTION cursor_encode(p_sort text, p_key text, p_id bigint); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.cursor_encode(p_sort text, p_key text, p_id bigint) IS 'The next_cursor after a row with sort key p_key and id p_id; null when p_id is null (no next page).';


--
-- Name: default_variant(bigint); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.default_variant(p_product_id bigint) RETURNS shop.variants
    LANGUAGE plpgsql STABLE
    AS $$
declare
  r shop.variants;
begin
  select v.* into r from shop.variants v
  where v.product_id = p_product_id and v.deleted_at is null
  order by not v.is_active, v.position, v.id
  limit 1;
  return r;
end
$$;


--
-- Name: FUNCTION default_variant(p_product_id bigint); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.default_variant(p_product_id bigint) IS 'A product''s default variant: its first live one, active ones first (position, id); its price, SKU and stock are the product''s.';


--
-- Name: webhook_deliveries; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.webhook_deliveries (
    id bigint NOT NULL,
    endpoint_id bigint NOT NULL,
    outbox_id bigint NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_attempt_at timestamp with time zone,
    next_attempt_at timestamp with time zone,
    response_status integer,
    response_excerpt text,
    error text,
    delivered_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    retry_from timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT webhook_deliveries_delivered_when CHECK (((status = 'delivered'::text) = (delivered_at IS NOT NULL))),
    CONSTRAINT webhook_deliveries_excerpt_short CHECK (((length(response_excerpt) <= 500) AND (length(error) <= 500))),
    CONSTRAINT webhook_deliveries_status_known CHECK ((status = ANY (ARRAY['pending'::text, 'delivered'::text, 'failed'::text])))
);


--
-- Name: TABLE webhook_deliveries; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.webhook_deliveries IS 'One event for one endpoint: pending (a queue job will try it), delivered (a 2xx answer) or failed (24 hours of retries from retry_from, or an address that is not allowed). Only the first 500 characters of an answer are kept.';


--
-- Name: COLUMN webhook_deliveries.retry_from; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.webhook_deliveries.retry_from IS 'When the 24 hours of retries started (creation or redelivery).';


--
-- Name: delivery_json(shop.webhook_deliveries); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.delivery_json(p_delivery shop.webhook_deliveries) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object(
    'id', p_delivery.id, 'event_id', o.event_id, 'type', o.type, 'status', p_delivery.status,
    'attempts', p_delivery.attempts, 'last_attempt_at', p_delivery.last_attempt_at,
    'next_attempt_at', p_delivery.next_attempt_at, 'response_status', p_delivery.response_status,
    'response_excerpt', p_delivery.response_excerpt, 'error', p_delivery.error,
    'delivered_at', p_delivery.delivered_at, 'created_at', p_delivery.created_at)
  from shop.outbox o
  where o.id = p_delivery.outbox_id
$$;


--
-- Name: FUNCTION delivery_json(p_delivery shop.webhook_deliveries); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.delivery_json(p_delivery shop.webhook_deliveries) IS 'A delivery as the API shows it.';


--
-- Name: find_cart(text); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.find_cart(p_token text) RETURNS shop.carts
    LANGUAGE plpgsql STABLE
    AS $$
declare
  v_cart shop.carts;
begin
  if shop.current_user_id() is not null then
    select * into v_cart from shop.carts c where c.user_id = lib.require_user();
  else
    select * into v_cart
    from shop.carts c
    where c.token = lib.cart_token(p_token)
      and c.updated_at > lib.guest_carts_since();
  end if;
  return v_cart;
end
$$;


--
-- Name: FUNCTION find_cart(p_token text); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.find_cart(p_token text) IS 'The caller''s cart: the signed-in user''s, else the live guest cart of the token; null fields when none.';


--
-- Name: guest_carts_since(); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.guest_carts_since() RETURNS timestamp with time zone
    LANGUAGE sql STABLE
    AS $$
  select now() - lib.setting('guest_cart_lifetime')::interval
$$;


--
-- Name: FUNCTION guest_carts_since(); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.guest_carts_since() IS 'The oldest last change a live guest cart may have: now minus the setting guest_cart_lifetime.';


--
-- Name: host_address(text); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.host_address(p_host text) RETURNS inet
    LANGUAGE plpgsql IMMUTABLE STRICT
    AS $_$
declare
  v_parts text[] := string_to_array(p_host, '.');
  v_count int := cardinality(v_parts);
  v_value numeric := 0;
  v_part numeric;
  v_digit text;
begin
  if p_host ~ '^\[.*\]$' then
    begin
      return btrim(p_host, '[]')::inet;
    exception when invalid_text_representation then
      return null;
    end;
  end if;
  if v_count not between 1 and 4 or p_host !~* '^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$' then
    return null;
  end if;
  for i in 1 .. v_count loop
    v_part := 0;
    if v_parts[i] ~* '^0x' then
      foreach v_digit in array regexp_split_to_array(lower(substr(v_parts[i], 3)), '') loop
        v_part := v_part * 16 + strpos('0123456789abcdef', v_digit) - 1;
      end loop;
    elsif v_parts[i] ~ '^0' then
      if v_parts[i] ~ '[89]' then
        return null;  -- not octal: the resolver takes it for a name
      end if;
      foreach v_digit in array regexp_split_to_array(v_parts[i], '') loop
        v_part := v_part * 8 + v_digit::int;
      end loop;
    else
      v_part := v_parts[i]::numeric;
    end if;
    -- Each part is a byte, but the last fills the bytes left: 32, 24, 16 or 8 bits.
    if v_part >= (case when i < v_count then 256 else 2 ^ (8 * (5 - v_count)) end) then
      return null;
    end if;
    v_value := case when i < v_count then v_value * 256 + v_part else v_value * 2 ^ (8 * (5 - v_count)) + v_part end;
  end loop;
  return '0.0.0.0'::inet + v_value::bigint;
end
$_$;


--
-- Name: FUNCTION host_address(p_host text); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.host_address(p_host text) IS 'The address a system resolver reads in a URL host: an IPv6 literal in brackets, or IPv4 in any inet_aton spelling (1 to 4 parts, decimal, octal or hex); null for a name.';


--
-- Name: idempotency_claim(bigint, text, jsonb); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.idempotency_claim(p_user bigint, p_key text, p_request jsonb) RETURNS json
    LANGUAGE plpgsql
    AS $$
declare
  v_hash bytea := sha256(convert_to(p_request::text, 'UTF8'));
  v_stored shop.idempotency_keys;
begin
  if p_key is null then
    return null;
  end if;
  if length(p_key) not between 1 and 255 then
    return lib.problem(422, 'invalid_idempotency_key', 'Idempotency-Key must have 1 to 255 characters');
  end if;
  insert into shop.idempotency_keys (user_id, key, request_hash)
  values (p_user, p_key, v_hash)
  on conflict (user_id, key) do nothing;
  if found then
    return null;
  end if;
  select * into v_stored from shop.idempotency_keys k where k.user_id = p_user and k.key = p_key;
  if v_stored.request_hash <> v_hash then
    return lib.problem(422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request body');
  end if;
  if v_stored.response is null then
    return lib.problem(409, 'idempotency_key_in_use', 'a request with this Idempotency-Key is still in progress');
  end if;
  return v_stored.response;
end
$$;


--
-- Name: FUNCTION idempotency_claim(p_user bigint, p_key text, p_request jsonb); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.idempotency_claim(p_user bigint, p_key text, p_request jsonb) IS 'Claims p_key for p_user and returns null (go on), or returns what to answer instead: the response of the checkout that used the key with the same request, or a problem (invalid_idempotency_key, idempotency_key_reused, idempotency_key_in_use).';


--
-- Name: import_caller(); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.import_caller() RETURNS bigint
    LANGUAGE plpgsql STABLE
    AS $$
begin
  if shop.current_user_id() is null
     and has_table_privilege(coalesce(nullif(current_setting('role'), 'none'), session_user), 'shop.variants',
                             'INSERT') then
    return null;
  end if;
  return lib.require_admin();
end
$$;


--
-- Name: FUNCTION import_caller(); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.import_caller() IS 'The importing admin''s id; null for a database role that may write the catalog itself (the pgshop command). PT401, PT403 otherwise.';


--
-- Name: import_columns(); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.import_columns() RETURNS text[]
    LANGUAGE sql IMMUTABLE
    AS $$
  select array['product_handle', 'product_name', 'description', 'category_path', 'sku', 'price', 'compare_at_price',
               'stock', 'weight_grams', 'option1_name', 'option1_value', 'option2_name', 'option2_value',
               'option3_name', 'option3_value', 'active', 'metadata']
$$;


--
-- Name: FUNCTION import_columns(); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.import_columns() IS 'The columns of a catalog file, in export order; an import has each once, in any order.';


--
-- Name: import_copy_error(jsonb); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.import_copy_error(p_copy_error jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    AS $$
  select lib.import_error(
    coalesce((substring(p_copy_error ->> 'context' from 'line ([0-9]+)'))::bigint - 1, 0),
    substring(p_copy_error ->> 'context' from 'line [0-9]+, column ([a-z0-9_]+)'),
    case
      when p_copy_error ->> 'message' ~ '0x00' then 'nul_byte'
      when p_copy_error ->> 'sqlstate' in ('22021', '22P05') then 'invalid_utf8'
      when p_copy_error ->> 'message' ~* 'unterminated CSV quoted field' then 'unclosed_quote'
      when p_copy_error ->> 'sqlstate' = '22P04' then 'invalid_row'
      else 'invalid_file' end,
    case
      when p_copy_error ->> 'message' ~ '0x00' then 'a NUL byte: text cannot hold it'
      when p_copy_error ->> 'message' ~* 'unterminated CSV quoted field'
        then 'a quoted cell is not closed by the end of the file'
      when p_copy_error ->> 'sqlstate' in ('22021', '22P05') then 'not valid UTF-8: ' || (p_copy_error ->> 'message')
      else p_copy_error ->> 'message' end)
$$;


--
-- Name: FUNCTION import_copy_error(p_copy_error jsonb); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.import_copy_error(p_copy_error jsonb) IS 'The import error of a failed COPY {sqlstate, message, context}: nul_byte, invalid_utf8, unclosed_quote, invalid_row (missing or extra cells), invalid_file.';


--
-- Name: import_error(bigint, text, text, text); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.import_error(p_row bigint, p_column text, p_code text, p_message text) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    AS $$
  select jsonb_build_object('row', p_row, 'column', p_column, 'code', p_code, 'message', p_message)
$$;


--
-- Name: FUNCTION import_error(p_row bigint, p_column text, p_code text, p_message text); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.import_error(p_row bigint, p_column text, p_code text, p_message text) IS 'An import error {row, column, code, message}.';


--
-- Name: import_header_errors(text[]); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.import_header_errors(p_columns text[]) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    AS $$
  select coalesce(jsonb_agg(e order by e ->> 'code', e ->> 'column'), '[]')
  from (
    select jsonb_build_object('row', 0, 'column', c, 'code', 'unknown_column',
                              'message', format('%s is not a column of the format (%s)', c,
                                                array_to_string(lib.import_columns(), ', '))) as e
    from unnest(p_columns) c where c <> all (lib.import_columns()) or c is null
    union all
    select jsonb_build_object('row', 0, 'column', c, 'code', 'duplicate_column',
                              'message', format('%s is in the header %s times', c, count(*)))
    from unnest(p_columns) c group by c having count(*) > 1
    union all
    select jsonb_build_object('row', 0, 'column', r, 'code', 'missing_column',
                              'message', format('the header has no %s column', r))
    from unnest(lib.import_columns()) r where r <> all (coalesce(p_columns, '{}'))
  ) x
$$;


--
-- Name: FUNCTION import_header_errors(p_columns text[]); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.import_header_errors(p_columns text[]) IS 'A header''s errors as [{row: 0, column, code: unknown_column | duplicate_column | missing_column, message}].';


--
-- Name: imports; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.imports (
    id bigint NOT NULL,
    status text NOT NULL,
    sha256 text NOT NULL,
    user_id bigint,
    db_role text DEFAULT SESSION_USER NOT NULL,
    filename text,
    rows integer DEFAULT 0 NOT NULL,
    created integer DEFAULT 0 NOT NULL,
    updated integer DEFAULT 0 NOT NULL,
    unchanged integer DEFAULT 0 NOT NULL,
    changes jsonb DEFAULT '[]'::jsonb NOT NULL,
    errors jsonb DEFAULT '[]'::jsonb NOT NULL,
    error_count integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT imports_counts_not_negative CHECK ((LEAST(rows, created, updated, unchanged, error_count) >= 0)),
    CONSTRAINT imports_lists CHECK (((jsonb_typeof(changes) = 'array'::text) AND (jsonb_typeof(errors) = 'array'::text))),
    CONSTRAINT imports_sha256_format CHECK ((sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT imports_status_known CHECK ((status = ANY (ARRAY['applied'::text, 'dry_run'::text, 'duplicate'::text, 'refused'::text])))
);


--
-- Name: TABLE imports; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.imports IS 'Each catalog import: applied, dry_run (what it would change), duplicate (a file already applied: nothing done) or refused (its errors; nothing applied). user_id is the admin who sent it (null from the pgshop command, run by a database role that may write the catalog itself: db_role).';


--
-- Name: COLUMN imports.user_id; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.imports.user_id IS 'The admin (shop.users.id; no foreign key, so that imports can stay on the coordinator when users are sharded).';


--
-- Name: COLUMN imports.changes; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.imports.changes IS 'The first 100 differences: [{row, sku, action, fields}].';


--
-- Name: COLUMN imports.errors; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.imports.errors IS 'The first 1,000 errors: [{row, column, code, message}].';


--
-- Name: import_json(shop.imports); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.import_json(p_import shop.imports) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object(
    'id', p_import.id, 'status', p_import.status, 'sha256', p_import.sha256, 'filename', p_import.filename,
    'user_id', p_import.user_id, 'db_role', p_import.db_role, 'rows', p_import.rows,
    'created', p_import.created, 'updated', p_import.updated, 'unchanged', p_import.unchanged,
    'changes', p_import.changes, 'errors', p_import.errors, 'error_count', p_import.error_count,
    'created_at', p_import.created_at)
$$;


--
-- Name: FUNCTION import_json(p_import shop.imports); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.import_json(p_import shop.imports) IS 'An import as the API shows it.';


--
-- Name: import_money_ok(text); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.import_money_ok(p_value text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $_$
  select p_value ~ '^\s*[0-9]{1,10}(\.[0-9]{1,2})?\s*$'
$_$;


--
-- Name: FUNCTION import_money_ok(p_value text); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.import_money_ok(p_value text) IS 'Whether a cell is an amount lib.price accepts.';


--
-- Name: import_record(text, text, text, bigint, jsonb, jsonb, jsonb, bigint); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.import_record(p_status text, p_sha256 text, p_filename text, p_rows bigint, p_counts jsonb, p_changes jsonb, p_errors jsonb, p_error_count bigint) RETURNS shop.imports
    LANGUAGE sql
    AS $$
  insert into shop.imports (status, sha256, user_id, filename, rows, created, updated, unchanged, changes, errors,
                            error_count)
  values (p_status, p_sha256, shop.current_user_id(), p_filename, p_rows, coalesce((p_counts ->> 'created')::integer, 0),
          coalesce((p_counts ->> 'updated')::integer, 0), coalesce((p_counts ->> 'unchanged')::integer, 0),
          p_changes, p_errors, p_error_count)
  returning *
$$;


--
-- Name: FUNCTION import_record(p_status text, p_sha256 text, p_filename text, p_rows bigint, p_counts jsonb, p_changes jsonb, p_errors jsonb, p_error_count bigint); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.import_record(p_status text, p_sha256 text, p_filename text, p_rows bigint, p_counts jsonb, p_changes jsonb, p_errors jsonb, p_error_count bigint) IS 'Inserts a shop.imports row.';


--
-- Name: import_refused(text, text, bigint, jsonb, bigint); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.import_refused(p_sha256 text, p_filename text, p_rows bigint, p_errors jsonb, p_error_count bigint) RETURNS json
    LANGUAGE plpgsql
    AS $$
declare
  v_import shop.imports;
begin
  v_import := lib.import_record('refused', p_sha256, p_filename, p_rows, '{}', '[]', p_errors, p_error_count);
  return lib.problem(422, 'invalid_import',
                     format('the file has %s error(s); nothing was imported', p_error_count),
                     jsonb_build_object('import_id', v_import.id, 'errors', p_errors));
end
$$;


--
-- Name: FUNCTION import_refused(p_sha256 text, p_filename text, p_rows bigint, p_errors jsonb, p_error_count bigint); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.import_refused(p_sha256 text, p_filename text, p_rows bigint, p_errors jsonb, p_error_count bigint) IS 'Records a refused import and returns the problem 422 invalid_import {import_id, errors}.';


--
-- Name: insufficient_stock(jsonb); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.insufficient_stock(p_short jsonb) RETURNS json
    LANGUAGE sql IMMUTABLE
    AS $$
  select lib.problem(409, 'insufficient_stock',
    'not enough stock for ' || string_agg(format('%s (%s wanted, %s in stock)', s ->> 'sku', s ->> 'requested',
                                                 s ->> 'available'), ', '
                                                 order by (s ->> 'product_id')::bigint, (s ->> 'variant_id')::bigint),
    jsonb_build_object('products', p_short))
  from jsonb_array_elements(p_short) s
$$;


--
-- Name: FUNCTION insufficient_stock(p_short jsonb); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.insufficient_stock(p_short jsonb) IS 'The 409 insufficient_stock problem for the lines short of stock [{product_id, variant_id, sku, requested, available}].';


--
-- Name: is_admin(); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.is_admin() RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
  select exists (
    select from shop.users u
    where u.id = shop.current_user_id()
      and u.role = 'admin'
  )
$$;


--
-- Name: FUNCTION is_admin(); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.is_admin() IS 'True when the caller is an admin according to shop.users (not merely according to the token).';


--
-- Name: jsonb_object_or_null(text); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.jsonb_object_or_null(p_value text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    AS $$
begin
  return case when jsonb_typeof(p_value::jsonb) = 'object' and shop.jsonb_within(p_value::jsonb, 8, 16384)
              then p_value::jsonb end;
exception when others then
  return null;
end
$$;


--
-- Name: FUNCTION jsonb_object_or_null(p_value text); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.jsonb_object_or_null(p_value text) IS 'The text as a JSON object within the metadata limits (8 levels, 16 KB); null when it is not one.';


--
-- Name: make_admin(text, text); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.make_admin(p_email text, p_password text) RETURNS text
    LANGUAGE plpgsql
    AS $$
begin
  update shop.users u
  set role = 'admin'
  where lower(u.email) = lower(btrim(p_email));
  if found then
    return 'promoted ' || p_email || ' to admin';
  end if;
  perform lib.upsert_user(p_email, p_password, 'Admin', 'User', 'admin');
  return 'created admin ' || p_email;
end
$$;


--
-- Name: FUNCTION make_admin(p_email text, p_password text); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.make_admin(p_email text, p_password text) IS 'make admin: promotes an existing user (password unchanged) or creates an admin. Idempotent. Owner only.';


--
-- Name: minor_units(jsonb, text); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.minor_units(p_value jsonb, p_currency text) RETURNS numeric
    LANGUAGE sql STABLE
    AS $_$
  select a.amount::numeric(12, 2)
  from shop.currencies c
  cross join lateral (select p_value::text::numeric / 10::numeric ^ c.minor_units as amount) a
  where c.code = p_currency
    and jsonb_typeof(p_value) = 'number'
    and p_value::text ~ '^[0-9]{1,12}$'
    and a.amount < 10000000000
$_$;


--
-- Name: FUNCTION minor_units(p_value jsonb, p_currency text); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.minor_units(p_value jsonb, p_currency text) IS 'A provider''s amount in minor units (1999) as an amount of p_currency (19.99 USD, 1999 JPY); null when p_value is not a whole number, the currency is unknown, or the amount does not fit numeric(12,2).';


--
-- Name: not_found(text, bigint); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.not_found(p_what text, p_id bigint) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    AS $$
begin
  raise exception using
    errcode = 'PT404', message = 'not_found',
    detail = format('%s %s does not exist', p_what, p_id);
end
$$;


--
-- Name: FUNCTION not_found(p_what text, p_id bigint); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.not_found(p_what text, p_id bigint) IS 'Raises PT404 not_found for a missing or deleted row.';


--
-- Name: option_filter(text[]); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.option_filter(p_options text[]) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    AS $$
begin
  if exists (select from unnest(p_options) f where f !~ '^[^:]*[^:\s][^:]*:\s*\S') then
    raise exception using errcode = 'PT422', message = 'invalid_option_filter',
      detail = 'option is name:value, e.g. option=Colour:Red (repeat it for more)';
  end if;
  return (
    select jsonb_agg(jsonb_build_object('name', g.name, 'values', g.values) order by g.name)
    from (select lower(btrim(split_part(f, ':', 1))) as name,
                 jsonb_agg(distinct lower(btrim(substr(f, strpos(f, ':') + 1)))) as values
          from unnest(p_options) f
          group by 1) g);
end
$$;


--
-- Name: FUNCTION option_filter(p_options text[]); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.option_filter(p_options text[]) IS 'The list''s option filter (name:value strings) grouped by option name, lower case; PT422 invalid_option_filter.';


--
-- Name: product_options; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.product_options (
    id bigint NOT NULL,
    product_id bigint NOT NULL,
    name text NOT NULL,
    "position" integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT product_options_name_size CHECK (((btrim(name) <> ''::text) AND (length(name) <= 100)))
);


--
-- Name: TABLE product_options; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.product_options IS 'A product''s options (Size, Colour), ordered by position: every live variant of the product has exactly one value of each.';


--
-- Name: COLUMN product_options."position"; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.product_options."position" IS 'Display order of the options of a product (0 first).';


--
-- Name: option_json(shop.product_options); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.option_json(p_option shop.product_options) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object(
    'id', p_option.id,
    'name', p_option.name,
    'position', p_option.position,
    'values', coalesce((select json_agg(json_build_object('id', v.id, 'value', v.value, 'position', v.position)
                                        order by v.position, v.id)
                        from shop.product_option_values v where v.option_id = p_option.id), '[]'))
$$;


--
-- Name: FUNCTION option_json(p_option shop.product_options); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.option_json(p_option shop.product_options) IS 'An option with its values, in order.';


--
-- Name: option_set_values(shop.product_options, text[]); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.option_set_values(p_option shop.product_options, p_values text[]) RETURNS void
    LANGUAGE plpgsql
    AS $$
declare
  v_in_use text;
begin
  select string_agg(ov.value, ', ' order by ov.position) into v_in_use
  from shop.product_option_values ov
  where ov.option_id = p_option.id
    and lower(ov.value) <> all (select lower(v) from unnest(p_values) v)
    and exists (select from shop.variant_option_values vo join shop.variants va on va.id = vo.variant_id
                where vo.value_id = ov.id and va.deleted_at is null);
  if v_in_use is not null then
    raise exception using errcode = 'PT409', message = 'option_value_in_use',
      detail = format('live variants of the product use %s of %s: change or delete them first', v_in_use,
                      p_option.name);
  end if;
  -- Values of deleted variants only: those rows go with the value.
  delete from shop.variant_option_values vo
  using shop.product_option_values ov
  where vo.value_id = ov.id and ov.option_id = p_option.id
    and lower(ov.value) <> all (select lower(v) from unnest(p_values) v);
  delete from shop.product_option_values ov
  where ov.option_id = p_option.id
    and lower(ov.value) <> all (select lower(v) from unnest(p_values) v);
  update shop.product_option_values ov
  set position = w.n - 1, value = w.v
  from unnest(p_values) with ordinality w(v, n)
  where ov.option_id = p_option.id and lower(ov.value) = lower(w.v)
    and (ov.position, ov.value) is distinct from (w.n - 1, w.v);
  insert into shop.product_option_values (option_id, value, position)
  select p_option.id, w.v, w.n - 1
  from unnest(p_values) with ordinality w(v, n)
  where not exists (select from shop.product_option_values ov where ov.option_id = p_option.id
                    and lower(ov.value) = lower(w.v))
  order by w.n;
end
$$;


--
-- Name: FUNCTION option_set_values(p_option shop.product_options, p_values text[]); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.option_set_values(p_option shop.product_options, p_values text[]) IS 'Makes an option''s values exactly the given list, in order (PT409 option_value_in_use for a value a live variant has).';


--
-- Name: option_values_list(jsonb); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.option_values_list(p_values jsonb) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE
    AS $$
declare
  v_values text[];
begin
  if jsonb_typeof(p_values) is distinct from 'array' or jsonb_array_length(p_values) = 0
     or exists (select from jsonb_array_elements(p_values) e where jsonb_typeof(e) <> 'string') then
    raise exception using errcode = 'PT422', message = 'invalid_option_values',
      detail = 'values must be a non-empty list of strings';
  end if;
  select array_agg(btrim(e #>> '{}') order by n) into v_values from jsonb_array_elements(p_values) with ordinality x(e, n);
  if exists (select from unnest(v_values) v where v = '' or length(v) > 100)
     or (select count(distinct lower(v)) from unnest(v_values) v) <> cardinality(v_values) then
    raise exception using errcode = 'PT422', message = 'invalid_option_values',
      detail = 'values must be distinct (in any letter case), non-blank, at most 100 characters';
  end if;
  return v_values;
end
$$;


--
-- Name: FUNCTION option_values_list(p_values jsonb); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.option_values_list(p_values jsonb) IS 'An option''s values from a JSON list: distinct (case-insensitively), trimmed, non-blank; PT422 otherwise.';


--
-- Name: options_json(bigint); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.options_json(p_product_id bigint) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return (
    select coalesce(json_agg(lib.option_json(o) order by o.position, o.id), '[]')
    from shop.product_options o
    where o.product_id = p_product_id
  );
end
$$;


--
-- Name: FUNCTION options_json(p_product_id bigint); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.options_json(p_product_id bigint) IS 'A product''s options, in order.';


--
-- Name: order_pay_if_covered(bigint); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.order_pay_if_covered(p_order_id bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
begin
  perform shop.set_status_context('payment', null);
  update shop.orders o
  set status = 'paid'
  where o.id = p_order_id
    and o.status = 'pending'
    and shop.order_net_paid(o.id) >= o.total_amount;
  perform shop.set_status_context(null, null);
end
$$;


--
-- Name: FUNCTION order_pay_if_covered(p_order_id bigint); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.order_pay_if_covered(p_order_id bigint) IS 'Moves a pending order to paid (history actor payment) when captured minus refunded covers its total.';


--
-- Name: orders; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.orders (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    status character varying(50) DEFAULT 'pending'::character varying NOT NULL,
    total_amount numeric(12,2) NOT NULL,
    shipping_address shop.address NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    currency text DEFAULT 'USD'::text NOT NULL,
    CONSTRAINT orders_total_finite CHECK ((total_amount <> 'NaN'::numeric)),
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
-- Name: COLUMN orders.currency; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.orders.currency IS 'The currency of the order''s amounts and of its payments.';


--
-- Name: order_place(bigint, shop.address, bigint); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.order_place(p_user bigint, p_address shop.address, p_cart bigint) RETURNS shop.orders
    LANGUAGE plpgsql
    AS $$
declare
  v_order shop.orders;
begin
  -- One statement, so the total and the lines are priced from the same view of the catalog.
  with lines as materialized (
    select * from lib.cart_lines(p_cart)
  ), placed as (
    insert into shop.orders (user_id, total_amount, shipping_address)
    select p_user, sum(l.unit_price * l.quantity), p_address
    from lines l
    returning *
  ), items as (
    insert into shop.order_items (order_id, product_id, variant_id, name, sku, options, quantity, unit_price,
                                  total_price)
    select o.id, l.product_id, l.variant_id, l.name, l.sku, lib.variant_options(l.variant_id)::jsonb, l.quantity,
           l.unit_price, l.unit_price * l.quantity
    from lines l
    cross join placed o
    order by l.variant_id
  )
  select * into v_order from placed;
  delete from shop.cart_items ci
  using shop.order_items oi
  where ci.cart_id = p_cart
    and oi.order_id = v_order.id
    and oi.variant_id = ci.variant_id;
  return v_order;
end
$$;


--
-- Name: FUNCTION order_place(p_user bigint, p_address shop.address, p_cart bigint); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.order_place(p_user bigint, p_address shop.address, p_cart bigint) IS 'Writes the pending order of a cart: its live lines (lib.cart_lines) at current prices, name, SKU and options snapshotted, and removes those lines from the cart. Takes no stock.';


--
-- Name: orders_expire(integer); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.orders_expire(p_limit integer DEFAULT 200) RETURNS integer
    LANGUAGE plpgsql
    AS $$
declare
  v_window interval := lib.setting('order_payment_window')::interval;
  v_due bigint[];
  v_count integer;
begin
  if v_window <= interval '0' then
    return 0;
  end if;
  -- Oldest first, in batches; an order someone else holds (a payment being recorded) is left for the next run.
  select array(
    select o.id
    from shop.orders o
    where o.status = 'pending'
      and o.created_at < now() - v_window
      and not exists (select from shop.payments p where p.order_id = o.id and p.captured_amount > 0)
    order by o.created_at
    limit p_limit
    for update skip locked
  ) into v_due;
  -- Their variants locked in id order first, as checkout locks them: the returns cannot deadlock with it.
  perform
  from shop.variants v
  where v.id in (select oi.variant_id from shop.order_items oi where oi.order_id = any (v_due))
  order by v.id
  for no key update;
  -- Checked again now that they are locked: a payment may have committed since the list was read.
  perform shop.set_status_context('expiry', 'unpaid');
  update shop.orders o
  set status = 'cancelled'
  where o.id = any (v_due)
    and o.status = 'pending'
    and not exists (select from shop.payments p where p.order_id = o.id and p.captured_amount > 0);
  get diagnostics v_count = row_count;
  perform shop.set_status_context(null, null);
  return v_count;
end
$$;


--
-- Name: FUNCTION orders_expire(p_limit integer); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.orders_expire(p_limit integer) IS 'Cancels up to p_limit pending orders older than order_payment_window (0: none) that received no money, history actor expiry and reason unpaid; returns how many. Scheduled every minute with pg_cron where available.';


--
-- Name: page_limit(integer, integer); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.page_limit(p_limit integer, p_default integer) RETURNS integer
    LANGUAGE plpgsql STABLE
    AS $$
declare
  v_max integer := lib.setting('page_size_max')::integer;
begin
  if p_limit not between 1 and v_max then
    raise exception using errcode = 'PT422', message = 'invalid_limit',
      detail = format('limit must be between 1 and %s', v_max);
  end if;
  return coalesce(p_limit, least(p_default, v_max));
end
$$;


--
-- Name: FUNCTION page_limit(p_limit integer, p_default integer); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.page_limit(p_limit integer, p_default integer) IS 'The page size of a list: p_limit, or p_default (at most page_size_max) when null; PT422 invalid_limit outside 1..page_size_max.';


--
-- Name: price(text, text); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.price(p_value text, p_field text DEFAULT 'price'::text) RETURNS numeric
    LANGUAGE plpgsql IMMUTABLE
    AS $$
declare
  v_price numeric;
begin
  if p_value is null then
    return null;
  end if;
  begin
    v_price := p_value::numeric;
  exception when invalid_text_representation or numeric_value_out_of_range then
    v_price := 'NaN';
  end;
  if v_price = 'NaN' or v_price < 0 or v_price >= 10000000000 or v_price <> round(v_price, 2) then
    raise exception using
      errcode = 'PT422', message = 'invalid_price',
      detail = format('%s must be a finite amount from 0 to 9999999999.99 with at most 2 decimals', p_field);
  end if;
  return v_price;
end
$$;


--
-- Name: FUNCTION price(p_value text, p_field text); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.price(p_value text, p_field text) IS 'p_value as an amount of money when it is one (finite, 0 to 9999999999.99, at most 2 decimals); PT422 invalid_price naming p_field otherwise. Null passes.';


--
-- Name: problem(integer, text, text, jsonb); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.problem(p_status integer, p_code text, p_detail text, p_extra jsonb DEFAULT '{}'::jsonb) RETURNS json
    LANGUAGE sql IMMUTABLE
    AS $$
  select jsonb_build_object('problem',
    jsonb_build_object('status', p_status, 'code', p_code, 'detail', p_detail) || coalesce(p_extra, '{}'))::json
$$;


--
-- Name: FUNCTION problem(p_status integer, p_code text, p_detail text, p_extra jsonb); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.problem(p_status integer, p_code text, p_detail text, p_extra jsonb) IS 'A problem document for the HTTP layer to send (status, code, detail and extra members), returned rather than raised so that what the function recorded before it stays.';


--
-- Name: problem_of(text, text, text, text); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.problem_of(p_sqlstate text, p_message text, p_detail text, p_hint text) RETURNS json
    LANGUAGE sql IMMUTABLE
    AS $$
  select lib.problem(substr(p_sqlstate, 3)::integer, p_message, p_detail,
                      case when p_hint like '{%' then p_hint::jsonb end)
$$;


--
-- Name: FUNCTION problem_of(p_sqlstate text, p_message text, p_detail text, p_hint text); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.problem_of(p_sqlstate text, p_message text, p_detail text, p_hint text) IS 'The problem document of a caught PTnnn error (its SQLSTATE, MESSAGE, DETAIL and a JSON HINT), as the HTTP layer would have built it from the raised error.';


--
-- Name: jsonb_within(jsonb, integer, integer); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.jsonb_within(p_value jsonb, p_max_depth integer, p_max_bytes integer) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $_$
  select octet_length(p_value::text) <= p_max_bytes
     and not jsonb_path_exists(p_value,
               format('strict $.**{%s} ? (@.type() == "object" || @.type() == "array")', p_max_depth)::jsonpath)
$_$;


--
-- Name: FUNCTION jsonb_within(p_value jsonb, p_max_depth integer, p_max_bytes integer); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.jsonb_within(p_value jsonb, p_max_depth integer, p_max_bytes integer) IS 'True when the JSON text takes at most p_max_bytes bytes and no object or array sits deeper than p_max_depth levels (the top-level value is level 1).';


--
-- Name: products; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.products (
    id bigint NOT NULL,
    name character varying(255) NOT NULL,
    description text,
    price numeric(12,2),
    category_id bigint,
    is_active boolean DEFAULT true NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    search tsvector,
    deleted_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    in_stock boolean DEFAULT false NOT NULL,
    handle text NOT NULL,
    CONSTRAINT products_handle_format CHECK (((handle ~ '^[a-z0-9]+(-[a-z0-9]+)*$'::text) AND (length(handle) <= 255))),
    CONSTRAINT products_metadata_is_object CHECK ((jsonb_typeof(metadata) = 'object'::text)),
    CONSTRAINT products_metadata_limits CHECK (shop.jsonb_within(metadata, 8, 16384)),
    CONSTRAINT products_name_not_blank CHECK ((btrim((name)::text) <> ''::text)),
    CONSTRAINT products_price_finite CHECK ((price <> 'NaN'::numeric)),
    CONSTRAINT products_price_not_negative CHECK ((price >= (0)::numeric))
)
WITH (fillfactor='80');


--
-- Name: TABLE products; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.products IS 'The catalog. Soft-deleted rows (deleted_at) stay for past orders but disappear from reads.';


--
-- Name: COLUMN products.price; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.products.price IS 'The price of the default variant (the first live one), derived by the layer; null without a live variant.';


--
-- Name: COLUMN products.metadata; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.products.metadata IS 'Free-form JSON object shown with the product: at most 16 KB and 8 levels deep.';


--
-- Name: COLUMN products.search; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.products.search IS 'Full-text vector: name (A), description (B), variant SKUs (A) and option values (C), kept by the layer.';


--
-- Name: COLUMN products.deleted_at; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.products.deleted_at IS 'Soft delete: set when an admin deletes the product.';


--
-- Name: COLUMN products.in_stock; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.products.in_stock IS 'True when a live, active variant has stock, derived by the layer.';


--
-- Name: COLUMN products.handle; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.products.handle IS 'The product''s stable name in files and URLs: lower-case letters and digits in words joined by hyphens, unique among live products (one is made from the name and id when none is given).';


--
-- Name: product_for_write(bigint); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.product_for_write(p_product_id bigint) RETURNS shop.products
    LANGUAGE plpgsql
    AS $$
declare
  v_product shop.products;
begin
  select * into v_product from shop.products p where p.id = p_product_id and p.deleted_at is null for update;
  if v_product.id is null then
    perform lib.not_found('product', p_product_id);
  end if;
  return v_product;
end
$$;


--
-- Name: FUNCTION product_for_write(p_product_id bigint); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.product_for_write(p_product_id bigint) IS 'A live product, locked for the change of its options or variants; PT404 not_found otherwise.';


--
-- Name: product_in_stock(bigint); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.product_in_stock(p_product_id bigint) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
  select exists (select from shop.variants a where a.product_id = p_product_id and a.deleted_at is null
                 and a.is_active and a.stock_quantity > 0)
$$;


--
-- Name: FUNCTION product_in_stock(p_product_id bigint); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.product_in_stock(p_product_id bigint) IS 'Whether a live, active variant of the product has stock (shop.products.in_stock).';


--
-- Name: product_json(shop.products, boolean, boolean); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.product_json(p_product shop.products, p_detail boolean DEFAULT false, p_admin boolean DEFAULT false) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return (
    select json_build_object(
      'id', p_product.id,
      'handle', p_product.handle,
      'name', p_product.name,
      'description', p_product.description,
      'price', p_product.price::text,
      'category_id', p_product.category_id,
      'stock_quantity', d.stock_quantity,
      'sku', d.sku,
      'is_active', p_product.is_active,
      'metadata', p_product.metadata,
      'low_stock_threshold', d.low_stock_threshold,
      'in_stock', p_product.in_stock,
      'price_range', (select json_build_object('min', min(v.price)::text, 'max', max(v.price)::text)
                      from shop.variants v
                      where v.product_id = p_product.id and v.deleted_at is null and v.is_active),
      'created_at', p_product.created_at,
      'updated_at', p_product.updated_at
    )::jsonb || case when p_detail then jsonb_build_object(
      'options', lib.options_json(p_product.id),
      'variants', (select coalesce(jsonb_agg(lib.variant_json(v) order by v.position, v.id), '[]')
                   from shop.variants v
                   where v.product_id = p_product.id and v.deleted_at is null and (v.is_active or p_admin)))
    else '{}' end
    from lib.default_variant(p_product.id) d
  );
end
$$;


--
-- Name: FUNCTION product_json(p_product shop.products, p_detail boolean, p_admin boolean); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.product_json(p_product shop.products, p_detail boolean, p_admin boolean) IS 'The public shape of a product (its default variant''s price, SKU and stock; price_range; in_stock); with p_detail its options and live variants too (inactive ones for an admin).';


--
-- Name: product_write(bigint, jsonb); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.product_write(p_id bigint, p_fields jsonb) RETURNS json
    LANGUAGE plpgsql
    AS $_$
declare
  v_own text[] := array['name', 'handle', 'description', 'category_id', 'is_active', 'metadata'];
  v_of_variant text[] := array['price', 'sku', 'stock_quantity', 'low_stock_threshold', 'weight_grams',
                               'compare_at_price'];
  v_fields jsonb := p_fields - v_of_variant;  -- the product's own (a variant's field never reaches its record)
  v_variant_fields jsonb;
  v_columns text;
  v_unknown text;
  v_product shop.products;
  v_constraint text;
begin
  select string_agg(k, ', ' order by k) filter (where k <> all (v_own || v_of_variant)),
         string_agg(quote_ident(k), ', ' order by k) filter (where k = any (v_own))
  into v_unknown, v_columns
  from jsonb_object_keys(p_fields) k;
  if v_unknown is not null then
    raise exception using errcode = 'PT422', message = 'unknown_field',
      detail = format('these fields cannot be written: %s', v_unknown);
  end if;
  select coalesce(jsonb_object_agg(f.key, f.value), '{}') into v_variant_fields
  from jsonb_each(p_fields) f where f.key = any (v_of_variant);
  if jsonb_typeof(v_fields -> 'name') = 'string' then
    v_fields := v_fields || jsonb_build_object('name', btrim(v_fields ->> 'name'));
  end if;
  if p_id is null then
    execute format('insert into shop.products (%1$s) select %1$s from jsonb_populate_record(null::shop.products, $1) '
                   'returning *', v_columns)
    into v_product using v_fields;
    perform lib.variant_write(v_product.id, null, v_variant_fields || '{"options": {}}');
  else
    if v_columns is null then  -- the default variant's fields alone: the product was edited all the same
      update shop.products p set updated_at = now() where p.id = p_id and p.deleted_at is null returning p.* into v_product;
    else
      execute format('update shop.products p set (%1$s) = (select %1$s from jsonb_populate_record(null::shop.products, $1)) '
                     'where p.id = $2 and p.deleted_at is null returning p.*', v_columns)
      into v_product using v_fields, p_id;
    end if;
    if v_product.id is null then
      perform lib.not_found('product', p_id);
    end if;
    if v_variant_fields <> '{}' then
      perform lib.variant_write(v_product.id, coalesce((lib.default_variant(v_product.id)).id, 0), v_variant_fields);
    end if;
  end if;
  perform lib.variants_check_now();
  select * into v_product from shop.products p where p.id = v_product.id;
  return lib.product_json(v_product, true, true);
exception
  when foreign_key_violation then
    raise exception using
      errcode = 'PT422', message = 'unknown_category',
      detail = format('there is no category %s', v_fields ->> 'category_id');
  when unique_violation then  -- a variant's SKU is answered by lib.variant_write
    raise exception using
      errcode = 'PT409', message = 'handle_taken',
      detail = format('a live product already has the handle %L', v_fields ->> 'handle');
  when check_violation then
    get stacked diagnostics v_constraint = constraint_name;
    if v_constraint = 'products_handle_format' then
      raise exception using
        errcode = 'PT422', message = 'invalid_handle',
        detail = 'a handle is lower-case letters and digits in words joined by hyphens, at most 255 characters';
    end if;
    if v_constraint = 'products_metadata_limits' then
      raise exception using
        errcode = 'PT422', message = 'invalid_metadata',
        detail = 'metadata may take at most 16 KB and nest at most 8 levels deep';
    end if;
    raise;
end
$_$;


--
-- Name: FUNCTION product_write(p_id bigint, p_fields jsonb); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.product_write(p_id bigint, p_fields jsonb) IS 'Inserts (p_id null, with its default variant) or updates a product from a JSON object of writable fields (its own and its default variant''s). PT404 not_found, PT409 sku_taken, PT422 unknown_field, unknown_category, invalid_price, invalid_metadata; other constraint failures (blank name, negative stock) as 23514, a missing required field as 23502.';


--
-- Name: products_filter_check(numeric, numeric); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.products_filter_check(p_min_price numeric, p_max_price numeric) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    AS $$
begin
  perform lib.price(p_min_price::text, 'min_price'), lib.price(p_max_price::text, 'max_price');
  if p_min_price > p_max_price then
    raise exception using errcode = 'PT422', message = 'invalid_price_range',
      detail = 'min_price is above max_price';
  end if;
end
$$;


--
-- Name: FUNCTION products_filter_check(p_min_price numeric, p_max_price numeric); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.products_filter_check(p_min_price numeric, p_max_price numeric) IS 'PT422 invalid_price or invalid_price_range for a list''s price filters.';


--
-- Name: products_tsquery(text); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.products_tsquery(p_q text) RETURNS tsquery
    LANGUAGE plpgsql STABLE
    AS $_$
declare
  v_tsq tsquery := websearch_to_tsquery('english', p_q);
  v_matches boolean;
begin
  if p_q is null then
    return null;
  end if;
  execute 'select exists (select from shop.products p where p.search @@ $1 and p.deleted_at is null and p.is_active)'
  into v_matches using v_tsq;
  return case when v_matches then v_tsq else websearch_to_tsquery('english', lib.correct_query(p_q)) end;
end
$_$;


--
-- Name: FUNCTION products_tsquery(p_q text); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.products_tsquery(p_q text) IS 'The tsquery of a list''s q: as typed, or typo-corrected when nothing matches it as typed; null without q.';


--
-- Name: products_where(text, bigint, numeric, numeric, boolean, jsonb); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.products_where(p_q text, p_category_id bigint, p_min_price numeric, p_max_price numeric, p_in_stock boolean, p_options jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $_$
  select concat_ws(' and ', 'p.deleted_at is null and p.is_active and p.price is not null',
    case when p_q is not null then 'p.search @@ $2' end,
    case when p_category_id is not null then 'p.category_id = any ($3)' end,
    case when p_min_price is not null then 'p.price >= $4' end,
    case when p_max_price is not null then 'p.price <= $5' end,
    case when p_in_stock then 'p.in_stock' end,
    case when p_options is not null then
      'exists (select from shop.variants v where v.product_id = p.id and v.deleted_at is null and v.is_active '
      'and not exists (select from jsonb_array_elements($9) f where not exists ('
      'select from shop.variant_option_values vo join shop.product_options o on o.id = vo.option_id '
      'join shop.product_option_values ov on ov.id = vo.value_id where vo.variant_id = v.id '
      'and lower(o.name) = f ->> ''name'' and f -> ''values'' ? lower(ov.value))))' end)
$_$;


--
-- Name: FUNCTION products_where(p_q text, p_category_id bigint, p_min_price numeric, p_max_price numeric, p_in_stock boolean, p_options jsonb); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.products_where(p_q text, p_category_id bigint, p_min_price numeric, p_max_price numeric, p_in_stock boolean, p_options jsonb) IS 'The WHERE of a product list or its facets for the filters given ($1 q, $2 tsquery, $3 categories, $4 min_price, $5 max_price, $9 options).';


--
-- Name: purge_expired(); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.purge_expired() RETURNS json
    LANGUAGE plpgsql
    AS $$
declare
  v_carts integer;
  v_keys integer;
  v_attempts integer;
  v_events integer;
begin
  delete from shop.carts c
  where c.token is not null
    and c.updated_at <= lib.guest_carts_since();
  get diagnostics v_carts = row_count;
  delete from shop.idempotency_keys k
  where k.created_at <= now() - interval '24 hours';
  get diagnostics v_keys = row_count;
  -- Attempts count for at most the longest rate-limit window.
  delete from shop.attempts a
  where a.at <= now() - greatest(interval '1 minute', lib.setting('rate_limit_login_window')::interval);
  get diagnostics v_attempts = row_count;
  -- Events past event_retention go with their deliveries, unless one is still being tried.
  delete from shop.outbox o
  where o.created_at <= now() - lib.setting('event_retention')::interval
    and not exists (select from shop.webhook_deliveries d where d.outbox_id = o.id and d.status = 'pending');
  get diagnostics v_events = row_count;
  return json_build_object('guest_carts', v_carts, 'idempotency_keys', v_keys, 'attempts', v_attempts,
                           'events', v_events);
end
$$;


--
-- Name: FUNCTION purge_expired(); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.purge_expired() IS 'Deletes guest carts idle for guest_cart_lifetime, idempotency keys older than 24 hours, rate-limit attempts older than the longest window, and outbox events (with their deliveries) older than event_retention unless a delivery is pending. Scheduled hourly with pg_cron where available; otherwise run it from any scheduler.';


--
-- Name: raise_problem(json); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.raise_problem(p_problem json) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    AS $$
declare
  v_problem jsonb := p_problem -> 'problem';
  v_extra jsonb := v_problem - 'status' - 'code' - 'detail';
begin
  raise exception using
    errcode = 'PT' || (v_problem ->> 'status'), message = v_problem ->> 'code', detail = v_problem ->> 'detail',
    hint = case when v_extra <> '{}' then v_extra::text else '' end;
end
$$;


--
-- Name: FUNCTION raise_problem(p_problem json); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.raise_problem(p_problem json) IS 'Raises the problem document p_problem as the error PT<status> code (detail; other members as a JSON hint).';


--
-- Name: rate_limit_check(text, text, integer, interval); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.rate_limit_check(p_kind text, p_key text, p_limit integer, p_window interval) RETURNS void
    LANGUAGE plpgsql STABLE
    AS $$
declare
  v_release timestamptz;
begin
  if p_limit <= 0 then
    return;
  end if;
  select a.at + p_window into v_release
  from shop.attempts a
  where a.kind = p_kind
    and a.key = p_key
    and a.at > now() - p_window
  order by a.at desc
  offset p_limit - 1
  limit 1;
  if found then
    raise exception using
      errcode = 'PT429', message = 'too_many_attempts',
      detail = 'too many attempts: wait before trying again',
      hint = json_build_object('retry_after', greatest(1, ceil(extract(epoch from v_release - now()))))::text;
  end if;
end
$$;


--
-- Name: FUNCTION rate_limit_check(p_kind text, p_key text, p_limit integer, p_window interval); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.rate_limit_check(p_kind text, p_key text, p_limit integer, p_window interval) IS 'PT429 too_many_attempts (hint: retry_after seconds) when p_key already made p_limit attempts of p_kind within p_window (shop.attempts); p_limit 0 means no limit.';


--
-- Name: refresh_reporting(); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.refresh_reporting() RETURNS void
    LANGUAGE plpgsql
    AS $$
begin
  -- CONCURRENTLY: readers keep reading the previous contents while each view is rebuilt.
  refresh materialized view concurrently reporting.product_performance;
  refresh materialized view concurrently reporting.sales_by_category;
  refresh materialized view concurrently reporting.customer_summary;
  refresh materialized view concurrently reporting.inventory_status;
end
$$;


--
-- Name: FUNCTION refresh_reporting(); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.refresh_reporting() IS 'Refreshes every reporting materialized view without blocking readers. Scheduled every 15 minutes with pg_cron where available (db/functions/90_operations.sql); the owner can also run it by hand.';


--
-- Name: require_admin(); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.require_admin() RETURNS bigint
    LANGUAGE plpgsql STABLE
    AS $$
declare
  v_id bigint := lib.require_user();
begin
  if not lib.is_admin() then
    raise exception using
      errcode = 'PT403', message = 'forbidden',
      detail = 'this action is for admins only';
  end if;
  return v_id;
end
$$;


--
-- Name: FUNCTION require_admin(); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.require_admin() IS 'Returns the caller''s id when the caller is an admin in shop.users; PT401 when anonymous, PT403 otherwise. Admin-only api functions call it themselves: defence in depth behind the HTTP guard.';


--
-- Name: require_user(); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.require_user() RETURNS bigint
    LANGUAGE plpgsql STABLE
    AS $$
declare
  v_id bigint := shop.current_user_id();
begin
  if v_id is null or not exists (select from shop.users u where u.id = v_id) then
    raise exception using
      errcode = 'PT401', message = 'unauthenticated',
      detail = 'this action needs a signed-in user';
  end if;
  return v_id;
end
$$;


--
-- Name: FUNCTION require_user(); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.require_user() IS 'Returns the calling user''s id; raises PT401 unauthenticated when there is no caller or the user no longer exists.';


--
-- Name: set_cart_line(text, bigint, bigint, integer, boolean); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.set_cart_line(p_token text, p_product_id bigint, p_variant_id bigint, p_quantity integer, p_add boolean) RETURNS json
    LANGUAGE plpgsql
    AS $$
declare
  v_variant shop.variants;
  v_cart shop.carts;
  v_quantity integer;
begin
  if p_quantity is null or p_quantity < 1 then
    raise exception using errcode = 'PT422', message = 'invalid_quantity', detail = 'quantity must be at least 1';
  end if;
  v_variant := lib.cart_variant(p_product_id, p_variant_id);
  v_cart := lib.cart_for_write(p_token);
  insert into shop.cart_items as ci (cart_id, product_id, variant_id, quantity)
  values (v_cart.id, v_variant.product_id, v_variant.id, p_quantity)
  on conflict (cart_id, variant_id) do update
    -- Summed in bigint and capped, so an absurd quantity is refused as insufficient stock, not an overflow.
    set quantity = case when p_add then least(ci.quantity::bigint + excluded.quantity, 2147483647)::integer
                        else excluded.quantity end
  returning ci.quantity into v_quantity;
  if v_quantity > v_variant.stock_quantity then
    perform lib.raise_problem(lib.insufficient_stock(jsonb_build_array(jsonb_build_object(
      'product_id', v_variant.product_id, 'variant_id', v_variant.id, 'sku', v_variant.sku,
      'requested', v_quantity, 'available', v_variant.stock_quantity))));
  end if;
  return lib.cart_json(v_cart);
end
$$;


--
-- Name: FUNCTION set_cart_line(p_token text, p_product_id bigint, p_variant_id bigint, p_quantity integer, p_add boolean); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.set_cart_line(p_token text, p_product_id bigint, p_variant_id bigint, p_quantity integer, p_add boolean) IS 'Adds to (p_add) or sets the quantity of a cart line of a variant (lib.cart_variant), creating the cart when needed; never above the stock on hand (PT409 insufficient_stock). PT422 invalid_quantity.';


--
-- Name: setting(text); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.setting(p_name text) RETURNS text
    LANGUAGE plpgsql STABLE
    AS $$
declare
  v_value text;
begin
  select s.value into v_value from shop.settings s where s.name = p_name;
  if not found then
    raise exception 'unknown setting %', p_name;
  end if;
  return v_value;
end
$$;


--
-- Name: FUNCTION setting(p_name text); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.setting(p_name text) IS 'The current value of a setting (shop.settings); an error for an unknown name.';


--
-- Name: settings; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.settings (
    name text NOT NULL,
    value text NOT NULL,
    default_value text NOT NULL,
    type text NOT NULL,
    minimum text NOT NULL,
    maximum text,
    description text NOT NULL,
    CONSTRAINT settings_name_format CHECK ((name ~ '^[a-z][a-z0-9_]*$'::text)),
    CONSTRAINT settings_type_known CHECK ((type = ANY (ARRAY['integer'::text, 'interval'::text])))
);


--
-- Name: TABLE settings; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.settings IS 'Operator settings: value, default, type and range (minimum, maximum: null for none). Deploys set them from environment variables named like the setting in upper case; the functions read them by name.';


--
-- Name: settings_apply(jsonb); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.settings_apply(p_values jsonb) RETURNS SETOF shop.settings
    LANGUAGE plpgsql
    AS $$
declare
  v_setting shop.settings;
  v_value text;
  v_ok boolean;
begin
  for v_setting in select * from shop.settings s order by s.name for update loop
    v_value := coalesce(p_values ->> v_setting.name, v_setting.default_value);
    begin
      v_ok := case v_setting.type
        when 'integer' then v_value::integer between v_setting.minimum::integer
                                                 and coalesce(v_setting.maximum::integer, 2147483647)
        else v_value::interval >= v_setting.minimum::interval
             and (v_setting.maximum is null or v_value::interval <= v_setting.maximum::interval) end;
    exception when others then
      v_ok := false;
    end;
    if not v_ok then
      raise exception '% = % is not a valid %', upper(v_setting.name), v_value,
        v_setting.type || ' from ' || v_setting.minimum || coalesce(' to ' || v_setting.maximum, '')
        using errcode = 'invalid_parameter_value', hint = v_setting.description;
    end if;
    update shop.settings s set value = v_value where s.name = v_setting.name and s.value <> v_value;
  end loop;
  return query select * from shop.settings s order by s.name;
end
$$;


--
-- Name: FUNCTION settings_apply(p_values jsonb); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.settings_apply(p_values jsonb) IS 'Deploy: sets every setting to its value in p_values ({"name": "value"}) or back to its default; refuses a value of the wrong type or outside the setting''s range.';


--
-- Name: stripe_event_apply(jsonb); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.stripe_event_apply(p_event jsonb) RETURNS json
    LANGUAGE plpgsql
    AS $_$
declare
  v_id text := p_event ->> 'id';
  v_type text := p_event ->> 'type';
  v_object jsonb := p_event #> '{data,object}';
  v_reference text;
  v_currency text;
  v_named text;
  v_payment shop.payments;
  v_order shop.orders;
  v_amount numeric;
  v_asked numeric;
  v_balance numeric;
  v_reason text;
begin
  if jsonb_typeof(p_event) is distinct from 'object' or v_id is null or length(v_id) > 255 or v_type is null
     or jsonb_typeof(v_object) is distinct from 'object' then
    return lib.problem(422, 'invalid_event', 'a Stripe event has an id, a type and a data.object');
  end if;
  if v_type not in ('payment_intent.succeeded', 'payment_intent.payment_failed',
                    'payment_intent.amount_capturable_updated', 'charge.refunded') then
    return json_build_object('event_id', v_id, 'result', 'ignored');
  end if;
  -- The same event twice, even at the same moment: the second waits for the first, then finds it recorded.
  perform pg_advisory_xact_lock(hashtextextended('stripe event ' || v_id, 0));
  if exists (select from shop.payment_events e where e.provider = 'stripe' and e.provider_event_id = v_id) then
    return json_build_object('event_id', v_id, 'result', 'duplicate');
  end if;

  -- The payment is the PaymentIntent (a charge names its own); the order is the payment's, else the one
  -- named in the metadata.
  -- The events of one payment one after another (a refund arriving with its capture waits for it), and
  -- rows locked as the other paths lock them: the order, then its payment.
  v_reference := left(coalesce(case when v_type = 'charge.refunded' then v_object ->> 'payment_intent' end,
                               v_object ->> 'id'), 255);
  perform pg_advisory_xact_lock(hashtextextended('stripe payment ' || v_reference, 0));
  v_currency := upper(v_object ->> 'currency');
  v_named := v_object #>> '{metadata,order_id}';
  select * into v_order from shop.orders o
  where o.id = coalesce((select p.order_id from shop.payments p
                         where p.provider = 'stripe' and p.provider_reference = v_reference),
                        case when v_named ~ '^[0-9]{1,18}$' then v_named::bigint end)
  for update;
  select * into v_payment from shop.payments p
  where p.provider = 'stripe' and p.provider_reference = v_reference
  for update;
  v_asked := lib.minor_units(v_object -> 'amount', v_currency);
  v_amount := lib.minor_units(v_object -> case v_type
                                when 'payment_intent.succeeded' then 'amount_received'
                                when 'payment_intent.amount_capturable_updated' then 'amount_capturable'
                                when 'charge.refunded' then 'amount_refunded'
                                else 'amount' end, v_currency);
  -- What the order still needs apart from this payment.
  v_balance := v_order.total_amount - shop.order_net_paid(v_order.id)
               + coalesce(v_payment.captured_amount - v_payment.refunded_amount, 0);
  v_reason := case
    when v_order.id is null then 'unknown_order'
    when v_currency is distinct from v_order.currency then 'currency_mismatch'
    when v_amount is null then 'amount_mismatch'
    when v_type = 'charge.refunded' and v_payment.id is null and v_order.status <> 'pending' then 'unknown_payment'
    when v_type in ('payment_intent.succeeded', 'payment_intent.amount_capturable_updated')
         and coalesce(v_payment.captured_amount, 0) = 0 and v_order.status <> 'pending' then 'order_not_payable'
    when v_type in ('payment_intent.succeeded', 'payment_intent.amount_capturable_updated')
         and coalesce(v_payment.captured_amount, 0) = 0 and v_amount <> v_balance then 'amount_mismatch'
  end;
  if v_reason is not null then
    insert into shop.payment_events (provider, provider_event_id, type, order_id, provider_reference, amount,
                                     currency, unmatched_reason, raw, recorded_by)
    values ('stripe', v_id, v_type, v_order.id, v_reference,
            coalesce(v_amount, v_asked), v_currency, v_reason, p_event,
            'provider');
    return json_build_object('event_id', v_id, 'result', 'unmatched', 'reason', v_reason, 'order_id', v_order.id);
  end if;

  -- Amounts only grow. Events are applied in the provider's order, whatever the order they arrive in: a
  -- refund cannot precede its capture at the provider, so one that arrives first waits in the ledger and is
  -- applied right after the capture (the order is paid first, then refunded, as it happened).
  insert into shop.payments as p (order_id, provider, provider_reference, currency, amount, authorized_amount,
                                  captured_amount, failed_at)
  values (v_order.id, 'stripe', v_reference, v_order.currency, coalesce(v_asked, 0),
          case when v_type = 'payment_intent.amount_capturable_updated' then v_amount else 0 end,
          case when v_type = 'payment_intent.succeeded' then v_amount else 0 end,
          case when v_type = 'payment_intent.payment_failed' then now() end)
  on conflict (provider, provider_reference) do update
  set amount = greatest(p.amount, excluded.amount),
      authorized_amount = greatest(p.authorized_amount, excluded.authorized_amount),
      captured_amount = greatest(p.captured_amount, excluded.captured_amount),
      failed_at = coalesce(p.failed_at, excluded.failed_at)
  returning * into v_payment;
  insert into shop.payment_events (provider, provider_event_id, type, order_id, payment_id, provider_reference,
                                   amount, currency, raw, recorded_by)
  values ('stripe', v_id, v_type, v_order.id, v_payment.id, v_reference, v_amount, v_currency, p_event, 'provider');
  if v_type = 'payment_intent.succeeded' then
    perform lib.order_pay_if_covered(v_order.id);
  end if;
  -- Refunds confirmed (the largest amount_refunded seen: Stripe's is cumulative), once there is a capture;
  -- what they confirm counts as requested too.
  update shop.payments p
  set refunded_amount = least(r.refunded, p.captured_amount),
      refund_requested_amount = greatest(p.refund_requested_amount, least(r.refunded, p.captured_amount))
  from (select coalesce(max(e.amount), 0) as refunded
        from shop.payment_events e
        where e.payment_id = v_payment.id
          and e.type = 'charge.refunded') r
  where p.id = v_payment.id
    and p.captured_amount > 0
    and least(r.refunded, p.captured_amount) > p.refunded_amount;
  select * into v_payment from shop.payments p where p.id = v_payment.id;
  return json_build_object('event_id', v_id, 'result', 'recorded', 'order_id', v_order.id,
                           'payment', shop.payment_document(v_payment));
end
$_$;


--
-- Name: FUNCTION stripe_event_apply(p_event jsonb); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.stripe_event_apply(p_event jsonb) IS 'Records a Stripe event once: payment_intent.succeeded, payment_intent.payment_failed, payment_intent.amount_capturable_updated and charge.refunded grow their payment''s amounts (the order becomes paid when covered; a refund that arrives before its capture is applied right after it); an unknown order or payment, a non-payable order, another currency or an amount other than the balance due is recorded unmatched and changes nothing. Returns {event_id, result: recorded, unmatched, duplicate or ignored, ...}; 422 invalid_event as a problem.';


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
-- Name: upsert_user(text, text, text, text, text); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.upsert_user(p_email text, p_password text, p_first_name text, p_last_name text, p_role text) RETURNS shop.users
    LANGUAGE plpgsql
    AS $$
declare
  v_user shop.users;
  v_constraint text;
begin
  perform lib.check_password(p_password);
  insert into shop.users (email, password_hash, first_name, last_name, role)
  values (btrim(p_email), public.crypt(p_password, public.gen_salt('bf', lib.setting('password_hash_cost')::integer)),
          btrim(p_first_name), btrim(p_last_name), p_role)
  returning * into v_user;
  return v_user;
exception
  -- Re-raised without the failing row: PostgreSQL's own DETAIL would carry the password hash.
  when unique_violation then
    raise exception using
      errcode = 'PT409', message = 'email_taken',
      detail = 'an account with this email already exists';
  when not_null_violation then
    raise exception using
      errcode = 'PT422', message = 'missing_field',
      detail = 'email, password, first_name and last_name are required';
  when string_data_right_truncation then
    raise exception using
      errcode = 'PT422',
      message = case when length(btrim(p_email)) > 255 then 'invalid_email' else 'invalid_name' end,
      detail = 'email may have at most 255 characters, first_name and last_name at most 100';
  when check_violation then
    get stacked diagnostics v_constraint = constraint_name;
    raise exception using
      errcode = 'PT422',
      message = case v_constraint when 'users_email_format' then 'invalid_email' else 'invalid_name' end,
      detail = case v_constraint
        when 'users_email_format' then 'the email address is not valid'
        else 'first_name and last_name must not be blank'
      end;
end
$$;


--
-- Name: FUNCTION upsert_user(p_email text, p_password text, p_first_name text, p_last_name text, p_role text); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.upsert_user(p_email text, p_password text, p_first_name text, p_last_name text, p_role text) IS 'Inserts a user with a bcrypt-hashed password (cost: setting password_hash_cost); maps constraint failures to PT409/PT422 without echoing the row.';


--
-- Name: user_json(shop.users); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.user_json(p_user shop.users) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object(
    'id', p_user.id,
    'email', p_user.email,
    'first_name', p_user.first_name,
    'last_name', p_user.last_name,
    'role', p_user.role,
    'created_at', p_user.created_at,
    'updated_at', p_user.updated_at
  )
$$;


--
-- Name: FUNCTION user_json(p_user shop.users); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.user_json(p_user shop.users) IS 'The public shape of a user: never any password material.';


--
-- Name: variant_json(shop.variants); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.variant_json(p_variant shop.variants) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object(
    'id', p_variant.id,
    'product_id', p_variant.product_id,
    'sku', p_variant.sku,
    'price', p_variant.price::text,
    'compare_at_price', p_variant.compare_at_price::text,
    'weight_grams', p_variant.weight_grams,
    'stock_quantity', p_variant.stock_quantity,
    'low_stock_threshold', p_variant.low_stock_threshold,
    'is_active', p_variant.is_active,
    'position', p_variant.position,
    'options', lib.variant_options(p_variant.id),
    'in_stock', p_variant.deleted_at is null and p_variant.is_active and p_variant.stock_quantity > 0,
    'deleted_at', p_variant.deleted_at,
    'created_at', p_variant.created_at,
    'updated_at', p_variant.updated_at
  )
$$;


--
-- Name: FUNCTION variant_json(p_variant shop.variants); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.variant_json(p_variant shop.variants) IS 'A variant as the API shows it: prices as decimal strings, options by name, in_stock.';


--
-- Name: variant_options(bigint); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.variant_options(p_variant_id bigint) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return (
    select coalesce(json_object_agg(o.name, ov.value order by o.position, o.id), '{}')
    from shop.variant_option_values vo
    join shop.product_options o on o.id = vo.option_id
    join shop.product_option_values ov on ov.id = vo.value_id
    where vo.variant_id = p_variant_id
  );
end
$$;


--
-- Name: FUNCTION variant_options(p_variant_id bigint); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.variant_options(p_variant_id bigint) IS 'A variant''s option values as {"option name": "value"}, in option order.';


--
-- Name: variant_set_options(shop.variants, jsonb); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.variant_set_options(p_variant shop.variants, p_options jsonb) RETURNS void
    LANGUAGE plpgsql
    AS $$
declare
  v_problem text;
begin
  if jsonb_typeof(p_options) is distinct from 'object'
     or exists (select from jsonb_each(p_options) e where jsonb_typeof(e.value) <> 'string') then
    raise exception using errcode = 'PT422', message = 'invalid_option_values',
      detail = 'options must be an object of option name to value, {"Size": "M"}';
  end if;
  if (select count(distinct lower(k)) <> count(*) from jsonb_object_keys(p_options) k) then
    raise exception using errcode = 'PT422', message = 'invalid_option_values',
      detail = 'options name an option twice';
  end if;
  select string_agg(p.problem, '; ' order by p.kind, p.problem) into v_problem
  from (
    select 1 as kind, format('no option %s', e.key) as problem
    from jsonb_each_text(p_options) e
    where not exists (select from shop.product_options o where o.product_id = p_variant.product_id
                      and lower(o.name) = lower(e.key))
    union all
    select 2, format('%s has no value %s', o.name, e.value)
    from jsonb_each_text(p_options) e
    join shop.product_options o on o.product_id = p_variant.product_id and lower(o.name) = lower(e.key)
    where not exists (select from shop.product_option_values ov where ov.option_id = o.id
                      and lower(ov.value) = lower(btrim(e.value)))
    union all
    select 3, format('%s is missing', o.name)
    from shop.product_options o
    where o.product_id = p_variant.product_id
      and not exists (select from jsonb_object_keys(p_options) k where lower(k) = lower(o.name))
  ) p;
  if v_problem is not null then
    raise exception using errcode = 'PT422', message = 'invalid_option_values', detail = v_problem;
  end if;
  delete from shop.variant_option_values vo where vo.variant_id = p_variant.id;
  insert into shop.variant_option_values (variant_id, product_id, option_id, value_id)
  select p_variant.id, p_variant.product_id, o.id, ov.id
  from jsonb_each_text(p_options) e
  join shop.product_options o on o.product_id = p_variant.product_id and lower(o.name) = lower(e.key)
  join shop.product_option_values ov on ov.option_id = o.id and lower(ov.value) = lower(btrim(e.value));
end
$$;


--
-- Name: FUNCTION variant_set_options(p_variant shop.variants, p_options jsonb); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.variant_set_options(p_variant shop.variants, p_options jsonb) IS 'Sets a variant''s option values from {"option": "value"}: one of each option of its product; PT422 invalid_option_values otherwise.';


--
-- Name: variant_write(bigint, bigint, jsonb); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.variant_write(p_product_id bigint, p_variant_id bigint, p_fields jsonb) RETURNS shop.variants
    LANGUAGE plpgsql
    AS $_$
declare
  v_writable text[] := array['sku', 'price', 'compare_at_price', 'weight_grams', 'stock_quantity',
                             'low_stock_threshold', 'is_active', 'position'];
  v_fields jsonb := p_fields - 'options';
  v_columns text;
  v_unknown text;
  v_variant shop.variants;
  v_constraint text;
begin
  select string_agg(k, ', ' order by k) filter (where k <> all (v_writable)),
         string_agg(quote_ident(k), ', ' order by k) filter (where k = any (v_writable))
  into v_unknown, v_columns
  from jsonb_object_keys(v_fields) k;
  if v_unknown is not null then
    raise exception using errcode = 'PT422', message = 'unknown_field',
      detail = format('these fields cannot be written: %s', v_unknown);
  end if;
  if v_fields ? 'price' then
    v_fields := v_fields || jsonb_build_object('price', lib.price(v_fields ->> 'price'));
  end if;
  if jsonb_typeof(v_fields -> 'compare_at_price') = 'string' or jsonb_typeof(v_fields -> 'compare_at_price') = 'number' then
    v_fields := v_fields || jsonb_build_object('compare_at_price', lib.price(v_fields ->> 'compare_at_price',
                                                                             'compare_at_price'));
  end if;
  if jsonb_typeof(v_fields -> 'sku') = 'string' then
    v_fields := v_fields || jsonb_build_object('sku', btrim(v_fields ->> 'sku'));
  end if;
  v_fields := v_fields || jsonb_build_object('product_id', p_product_id);
  if p_variant_id is null then
    execute format('insert into shop.variants (product_id%1$s) select product_id%1$s '
                   'from jsonb_populate_record(null::shop.variants, $1) returning *',
                   coalesce(', ' || v_columns, ''))
    into v_variant using v_fields;
  elsif v_columns is null then
    select * into v_variant from shop.variants v
    where v.id = p_variant_id and v.product_id = p_product_id and v.deleted_at is null;
  else
    execute format('update shop.variants v set (%1$s) = (select %1$s from jsonb_populate_record(null::shop.variants, $1)) '
                   'where v.id = $2 and v.product_id = $3 and v.deleted_at is null returning v.*', v_columns)
    into v_variant using v_fields, p_variant_id, p_product_id;
  end if;
  if v_variant.id is null then
    perform lib.not_found('variant', p_variant_id);
  end if;
  if p_fields ? 'options' then
    perform lib.variant_set_options(v_variant, p_fields -> 'options');
  end if;
  return v_variant;
exception
  when unique_violation then
    get stacked diagnostics v_constraint = constraint_name;
    if v_constraint = 'variants_sku_live_key' then
      raise exception using
        errcode = 'PT409', message = 'sku_taken',
        detail = format('a live variant already has SKU %L (in any letter case)', v_fields ->> 'sku');
    end if;
    raise;
  when check_violation then
    get stacked diagnostics v_constraint = constraint_name;
    if v_constraint = 'variants_compare_at_price_above_price' then
      raise exception using
        errcode = 'PT422', message = 'invalid_compare_at_price',
        detail = 'compare_at_price must be above price';
    end if;
    raise;
end
$_$;


--
-- Name: FUNCTION variant_write(p_product_id bigint, p_variant_id bigint, p_fields jsonb); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.variant_write(p_product_id bigint, p_variant_id bigint, p_fields jsonb) IS 'Inserts (p_variant_id null) or updates a variant of a product from {sku, price, compare_at_price, weight_grams, stock_quantity, low_stock_threshold, is_active, position, options}. PT404, PT409 sku_taken, PT422 unknown_field, invalid_price, invalid_compare_at_price, invalid_option_values; other constraints as 23514.';


--
-- Name: variants_check_now(); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.variants_check_now() RETURNS void
    LANGUAGE plpgsql
    AS $$
begin
  set constraints shop.variants_one_per_combination, shop.variant_checks_complete immediate;
  set constraints shop.variants_one_per_combination, shop.variant_checks_complete deferred;
exception
  when exclusion_violation or deadlock_detected then
    -- A deadlock here is two transactions writing the same combination, each waiting for the other's.
    raise exception using errcode = 'PT409', message = 'variant_exists',
      detail = 'a live variant of this product already has these option values';
end
$$;


--
-- Name: FUNCTION variants_check_now(); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.variants_check_now() IS 'Checks the deferred variant rules at once: PT409 variant_exists, PT422 invalid_option_values.';


--
-- Name: webhook_delivery_finish(bigint, integer, text, text, boolean); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.webhook_delivery_finish(p_delivery_id bigint, p_response_status integer, p_excerpt text, p_error text, p_retry boolean DEFAULT true) RETURNS double precision
    LANGUAGE plpgsql
    AS $$
declare
  v_delivery shop.webhook_deliveries;
  v_delay double precision;
  v_ok boolean := coalesce(p_response_status between 200 and 299, false);
begin
  select * into v_delivery from shop.webhook_deliveries d where d.id = p_delivery_id for update;
  if v_delivery.id is null then
    return null;
  end if;
  -- Doubling from webhook_retry_base_seconds, each delay drawn from 75% to 125% of that (jitter), for 24 hours.
  v_delay := lib.setting('webhook_retry_base_seconds')::integer * 2 ^ least(v_delivery.attempts - 1, 20)
             * (0.75 + random() * 0.5);
  if not v_ok and (not p_retry
                   or now() + make_interval(secs => v_delay) > v_delivery.retry_from + interval '24 hours') then
    v_delay := null;
  end if;
  update shop.webhook_deliveries d
  set status = case when v_ok then 'delivered' when v_delay is null then 'failed' else 'pending' end,
      delivered_at = case when v_ok then now() end,
      next_attempt_at = case when not v_ok and v_delay is not null then now() + make_interval(secs => v_delay) end,
      response_status = p_response_status,
      response_excerpt = left(p_excerpt, 500),
      error = left(p_error, 500)
  where d.id = p_delivery_id;
  return case when v_ok then null else v_delay end;
end
$$;


--
-- Name: FUNCTION webhook_delivery_finish(p_delivery_id bigint, p_response_status integer, p_excerpt text, p_error text, p_retry boolean); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.webhook_delivery_finish(p_delivery_id bigint, p_response_status integer, p_excerpt text, p_error text, p_retry boolean) IS 'Worker: records an attempt''s outcome (HTTP status, the first 500 characters of the answer or the error). Returns the seconds to wait before the next attempt, or null: delivered (2xx), or failed (not p_retry, or past 24 hours from retry_from).';


--
-- Name: webhook_delivery_start(bigint); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.webhook_delivery_start(p_delivery_id bigint) RETURNS json
    LANGUAGE plpgsql
    AS $$
declare
  v_delivery shop.webhook_deliveries;
begin
  update shop.webhook_deliveries d
  set attempts = d.attempts + 1, last_attempt_at = now(), next_attempt_at = null
  where d.id = p_delivery_id
    and d.status = 'pending'
  returning * into v_delivery;
  if v_delivery.id is null then
    return null;  -- delivered, failed or deleted meanwhile: nothing to send
  end if;
  return (
    select json_build_object(
      'url', e.url, 'secret', e.secret, 'event_id', o.event_id, 'type', o.type, 'attempt', v_delivery.attempts,
      'allow_private', lib.setting('webhook_allow_private') = '1',
      'body', json_build_object('id', o.event_id, 'type', o.type, 'created_at', o.created_at, 'reason', o.reason,
                                'data', o.data)::text)
    from shop.webhook_endpoints e, shop.outbox o
    where e.id = v_delivery.endpoint_id
      and o.id = v_delivery.outbox_id);
end
$$;


--
-- Name: FUNCTION webhook_delivery_start(p_delivery_id bigint); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.webhook_delivery_start(p_delivery_id bigint) IS 'Worker: counts an attempt of a pending delivery and returns what to send {url, secret, event_id, type, attempt, allow_private, body}; null when the delivery is no longer pending.';


--
-- Name: webhook_endpoints; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.webhook_endpoints (
    id bigint NOT NULL,
    url text NOT NULL,
    events text[] NOT NULL,
    secret text NOT NULL,
    created_by bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT webhook_endpoints_events_not_empty CHECK (((cardinality(events) >= 1) AND (cardinality(events) <= 50))),
    CONSTRAINT webhook_endpoints_secret_length CHECK ((length(secret) >= 32)),
    CONSTRAINT webhook_endpoints_url_format CHECK (((url ~ '^https?://[^/?#@\s]+([/?#]\S*)?$'::text) AND (length(url) <= 2000)))
);


--
-- Name: TABLE webhook_endpoints; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.webhook_endpoints IS 'Where events are sent: a URL, the event types it wants, and the secret its deliveries are signed with.';


--
-- Name: COLUMN webhook_endpoints.secret; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.webhook_endpoints.secret IS 'HMAC-SHA256 key of the Pgshop-Signature header; shown once, at creation.';


--
-- Name: COLUMN webhook_endpoints.created_by; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.webhook_endpoints.created_by IS 'The admin who subscribed it (no foreign key: a reference table in the sharding plan, docs/scaling.md).';


--
-- Name: webhook_get(bigint); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.webhook_get(p_id bigint) RETURNS shop.webhook_endpoints
    LANGUAGE plpgsql STABLE
    AS $$
declare
  v_endpoint shop.webhook_endpoints;
begin
  select * into v_endpoint from shop.webhook_endpoints e where e.id = p_id;
  if v_endpoint.id is null then
    perform lib.not_found('webhook', p_id);
  end if;
  return v_endpoint;
end
$$;


--
-- Name: FUNCTION webhook_get(p_id bigint); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.webhook_get(p_id bigint) IS 'The endpoint p_id; PT404 not_found when there is none.';


--
-- Name: webhook_json(shop.webhook_endpoints); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.webhook_json(p_endpoint shop.webhook_endpoints) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('id', p_endpoint.id, 'url', p_endpoint.url, 'events', p_endpoint.events,
                           'created_at', p_endpoint.created_at)
$$;


--
-- Name: FUNCTION webhook_json(p_endpoint shop.webhook_endpoints); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.webhook_json(p_endpoint shop.webhook_endpoints) IS 'A webhook endpoint as the API shows it (never its secret).';


--
-- Name: webhook_url_problem(text); Type: FUNCTION; Schema: lib; Owner: -
--

CREATE FUNCTION lib.webhook_url_problem(p_url text) RETURNS text
    LANGUAGE plpgsql STABLE
    AS $_$
declare
  v_private boolean := lib.setting('webhook_allow_private') = '1';
  v_host text := regexp_replace(lower(substring(p_url from '^[a-zA-Z]+://(\[[^]]+\]|[^][/?#:]+)')), '\.$', '');
  v_address inet := lib.host_address(v_host);
begin
  if p_url is null or length(p_url) > 2000 or p_url !~ '^https?://[^/?#@\s]+([/?#]\S*)?$' or v_host is null then
    return 'url must be an absolute http(s) URL without user or password, at most 2000 characters';
  end if;
  if v_private then
    return null;
  end if;
  if p_url !~ '^https://' then
    return 'url must use https';
  end if;
  if v_host in ('', 'localhost') or v_host ~ '\.(localhost|local|internal)$'
     or v_address <<= any (array[
       '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24',
       '192.0.2.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/3',
       '::/96', '::ffff:0:0/96', '64:ff9b::/96', '64:ff9b:1::/48', '100::/64', '2001::/23', '2001:db8::/32',
       '2002::/16', 'fc00::/7', 'fe80::/10', 'ff00::/8']::inet[]) then
    return 'url must reach a public address';
  end if;
  return null;
end
$_$;


--
-- Name: FUNCTION webhook_url_problem(p_url text); Type: COMMENT; Schema: lib; Owner: -
--

COMMENT ON FUNCTION lib.webhook_url_problem(p_url text) IS 'Null when p_url may receive webhooks (https, not a local or private host in any spelling the resolver reads; anything http(s) with webhook_allow_private = 1), else why not.';


--
-- Name: procrastinate_cancel_job_v1(bigint, boolean, boolean); Type: FUNCTION; Schema: queue; Owner: -
--

CREATE FUNCTION queue.procrastinate_cancel_job_v1(job_id bigint, abort boolean, delete_job boolean) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
DECLARE
    _job_id bigint;
BEGIN
    IF delete_job THEN
        DELETE FROM procrastinate_jobs
        WHERE id = job_id AND status = 'todo'
        RETURNING id INTO _job_id;
    END IF;
    IF _job_id IS NULL THEN
        IF abort THEN
            UPDATE procrastinate_jobs
            SET abort_requested = true,
                status = CASE status
                    WHEN 'todo' THEN 'cancelled'::procrastinate_job_status ELSE status
                END
            WHERE id = job_id AND status IN ('todo', 'doing')
            RETURNING id INTO _job_id;
        ELSE
            UPDATE procrastinate_jobs
            SET status = 'cancelled'::procrastinate_job_status
            WHERE id = job_id AND status = 'todo'
            RETURNING id INTO _job_id;
        END IF;
    END IF;
    RETURN _job_id;
END;
$$;


--
-- Name: procrastinate_defer_jobs_v1(queue.procrastinate_job_to_defer_v1[]); Type: FUNCTION; Schema: queue; Owner: -
--

CREATE FUNCTION queue.procrastinate_defer_jobs_v1(jobs queue.procrastinate_job_to_defer_v1[]) RETURNS bigint[]
    LANGUAGE plpgsql
    AS $$
DECLARE
    job_ids bigint[];
BEGIN
    WITH inserted_jobs AS (
        INSERT INTO procrastinate_jobs (queue_name, task_name, priority, lock, queueing_lock, args, scheduled_at)
        SELECT (job).queue_name,
               (job).task_name,
               (job).priority,
               (job).lock,
               (job).queueing_lock,
               (job).args,
               (job).scheduled_at
        FROM unnest(jobs) AS job
        RETURNING id
    )
    SELECT array_agg(id) FROM inserted_jobs INTO job_ids;

    RETURN job_ids;
END;
$$;


--
-- Name: procrastinate_defer_periodic_job_v2(character varying, character varying, character varying, character varying, integer, character varying, bigint, jsonb); Type: FUNCTION; Schema: queue; Owner: -
--

CREATE FUNCTION queue.procrastinate_defer_periodic_job_v2(_queue_name character varying, _lock character varying, _queueing_lock character varying, _task_name character varying, _priority integer, _periodic_id character varying, _defer_timestamp bigint, _args jsonb) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
DECLARE
	_job_id bigint;
	_defer_id bigint;
BEGIN
    INSERT
        INTO procrastinate_periodic_defers (task_name, periodic_id, defer_timestamp)
        VALUES (_task_name, _periodic_id, _defer_timestamp)
        ON CONFLICT DO NOTHING
        RETURNING id into _defer_id;

    IF _defer_id IS NULL THEN
        RETURN NULL;
    END IF;

    UPDATE procrastinate_periodic_defers
        SET job_id = (
            SELECT COALESCE((
                SELECT unnest(procrastinate_defer_jobs_v1(
                    ARRAY[
                        ROW(
                            _queue_name,
                            _task_name,
                            _priority,
                            _lock,
                            _queueing_lock,
                            _args,
                            NULL::timestamptz
                        )
                    ]::procrastinate_job_to_defer_v1[]
                ))
            ), NULL)
        )
        WHERE id = _defer_id
        RETURNING job_id INTO _job_id;

    DELETE
        FROM procrastinate_periodic_defers
        USING (
            SELECT id
            FROM procrastinate_periodic_defers
            WHERE procrastinate_periodic_defers.task_name = _task_name
            AND procrastinate_periodic_defers.periodic_id = _periodic_id
            AND procrastinate_periodic_defers.defer_timestamp < _defer_timestamp
            ORDER BY id
            FOR UPDATE
        ) to_delete
        WHERE procrastinate_periodic_defers.id = to_delete.id;

    RETURN _job_id;
END;
$$;


--
-- Name: procrastinate_jobs; Type: TABLE; Schema: queue; Owner: -
--

CREATE TABLE queue.procrastinate_jobs (
    id bigint NOT NULL,
    queue_name character varying(128) NOT NULL,
    task_name character varying(128) NOT NULL,
    priority integer DEFAULT 0 NOT NULL,
    lock text,
    queueing_lock text,
    args jsonb DEFAULT '{}'::jsonb NOT NULL,
    status queue.procrastinate_job_status DEFAULT 'todo'::queue.procrastinate_job_status NOT NULL,
    scheduled_at timestamp with time zone,
    attempts integer DEFAULT 0 NOT NULL,
    abort_requested boolean DEFAULT false NOT NULL,
    worker_id bigint,
    CONSTRAINT check_not_todo_abort_requested CHECK ((NOT ((status = 'todo'::queue.procrastinate_job_status) AND (abort_requested = true))))
);


--
-- Name: procrastinate_fetch_job_v2(character varying[], bigint); Type: FUNCTION; Schema: queue; Owner: -
--

CREATE FUNCTION queue.procrastinate_fetch_job_v2(target_queue_names character varying[], p_worker_id bigint) RETURNS queue.procrastinate_jobs
    LANGUAGE plpgsql
    AS $$
DECLARE
	found_jobs procrastinate_jobs;
BEGIN
    WITH candidate AS (
        SELECT jobs.*
            FROM procrastinate_jobs AS jobs
            WHERE
                -- reject the job if its lock has earlier or higher priority jobs
                NOT EXISTS (
                    SELECT 1
                        FROM procrastinate_jobs AS other_jobs
                        WHERE
                            jobs.lock IS NOT NULL
                            AND other_jobs.lock = jobs.lock
                            AND (
                                -- job with same lock is already running
                                other_jobs.status = 'doing'
                                OR
                                -- job with same lock is waiting and has higher priority (or same priority but was queued first)
                                (
                                    other_jobs.status = 'todo'
                                    AND (
                                        other_jobs.priority > jobs.priority
                                        OR (
                                        other_jobs.priority = jobs.priority
                                        AND other_jobs.id < jobs.id
                                        )
                                    )
                                )
                            )
                )
                AND jobs.status = 'todo'
                AND (target_queue_names IS NULL OR jobs.queue_name = ANY( target_queue_names ))
                AND (jobs.scheduled_at IS NULL OR jobs.scheduled_at <= now())
            ORDER BY jobs.priority DESC, jobs.id ASC LIMIT 1
            FOR UPDATE OF jobs SKIP LOCKED
    )
    UPDATE procrastinate_jobs
        SET status = 'doing', worker_id = p_worker_id
        FROM candidate
        WHERE procrastinate_jobs.id = candidate.id
        RETURNING procrastinate_jobs.* INTO found_jobs;

 RETURN found_jobs;
END;
$$;


--
-- Name: procrastinate_finish_job_v1(bigint, queue.procrastinate_job_status, boolean); Type: FUNCTION; Schema: queue; Owner: -
--

CREATE FUNCTION queue.procrastinate_finish_job_v1(job_id bigint, end_status queue.procrastinate_job_status, delete_job boolean) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    _job_id bigint;
BEGIN
    IF end_status NOT IN ('succeeded', 'failed', 'aborted') THEN
        RAISE 'End status should be either "succeeded", "failed" or "aborted" (job id: %)', job_id;
    END IF;
    IF delete_job THEN
        DELETE FROM procrastinate_jobs
        WHERE id = job_id AND status IN ('todo', 'doing')
        RETURNING id INTO _job_id;
    ELSE
        UPDATE procrastinate_jobs
        SET status = end_status,
            abort_requested = false,
            attempts = CASE status
                WHEN 'doing' THEN attempts + 1 ELSE attempts
            END
        WHERE id = job_id AND status IN ('todo', 'doing')
        RETURNING id INTO _job_id;
    END IF;
    IF _job_id IS NULL THEN
        RAISE 'Job was not found or not in "doing" or "todo" status (job id: %)', job_id;
    END IF;
END;
$$;


--
-- Name: procrastinate_notify_queue_abort_job_v1(); Type: FUNCTION; Schema: queue; Owner: -
--

CREATE FUNCTION queue.procrastinate_notify_queue_abort_job_v1() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    payload TEXT;
BEGIN
    SELECT json_build_object('type', 'abort_job_requested', 'job_id', NEW.id)::text INTO payload;
	PERFORM pg_notify('procrastinate_queue_v1#' || NEW.queue_name, payload);
	PERFORM pg_notify('procrastinate_any_queue_v1', payload);
	RETURN NEW;
END;
$$;


--
-- Name: procrastinate_notify_queue_job_inserted_v1(); Type: FUNCTION; Schema: queue; Owner: -
--

CREATE FUNCTION queue.procrastinate_notify_queue_job_inserted_v1() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    payload TEXT;
BEGIN
    SELECT json_build_object('type', 'job_inserted', 'job_id', NEW.id)::text INTO payload;
	PERFORM pg_notify('procrastinate_queue_v1#' || NEW.queue_name, payload);
	PERFORM pg_notify('procrastinate_any_queue_v1', payload);
	RETURN NEW;
END;
$$;


--
-- Name: procrastinate_prune_stalled_workers_v1(double precision); Type: FUNCTION; Schema: queue; Owner: -
--

CREATE FUNCTION queue.procrastinate_prune_stalled_workers_v1(seconds_since_heartbeat double precision) RETURNS TABLE(worker_id bigint)
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN QUERY
    DELETE FROM procrastinate_workers
    WHERE last_heartbeat < NOW() - (seconds_since_heartbeat || 'SECOND')::INTERVAL
    RETURNING procrastinate_workers.id;
END;
$$;


--
-- Name: procrastinate_register_worker_v1(); Type: FUNCTION; Schema: queue; Owner: -
--

CREATE FUNCTION queue.procrastinate_register_worker_v1() RETURNS TABLE(worker_id bigint)
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN QUERY
    INSERT INTO procrastinate_workers DEFAULT VALUES
    RETURNING procrastinate_workers.id;
END;
$$;


--
-- Name: procrastinate_retry_job_v1(bigint, timestamp with time zone, integer, character varying, character varying); Type: FUNCTION; Schema: queue; Owner: -
--

CREATE FUNCTION queue.procrastinate_retry_job_v1(job_id bigint, retry_at timestamp with time zone, new_priority integer, new_queue_name character varying, new_lock character varying) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    _job_id bigint;
    _abort_requested boolean;
BEGIN
    SELECT abort_requested FROM procrastinate_jobs
    WHERE id = job_id AND status = 'doing'
    FOR UPDATE
    INTO _abort_requested;
    IF _abort_requested THEN
        UPDATE procrastinate_jobs
        SET status = 'failed'::procrastinate_job_status
        WHERE id = job_id AND status = 'doing'
        RETURNING id INTO _job_id;
    ELSE
        UPDATE procrastinate_jobs
        SET status = 'todo'::procrastinate_job_status,
            attempts = attempts + 1,
            scheduled_at = retry_at,
            priority = COALESCE(new_priority, priority),
            queue_name = COALESCE(new_queue_name, queue_name),
            lock = COALESCE(new_lock, lock)
        WHERE id = job_id AND status = 'doing'
        RETURNING id INTO _job_id;
    END IF;

    IF _job_id IS NULL THEN
        RAISE 'Job was not found or not in "doing" status (job id: %)', job_id;
    END IF;
END;
$$;


--
-- Name: procrastinate_retry_job_v2(bigint, timestamp with time zone, integer, character varying, character varying); Type: FUNCTION; Schema: queue; Owner: -
--

CREATE FUNCTION queue.procrastinate_retry_job_v2(job_id bigint, retry_at timestamp with time zone, new_priority integer, new_queue_name character varying, new_lock character varying) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    _job_id bigint;
    _abort_requested boolean;
    _current_status procrastinate_job_status;
BEGIN
    SELECT status, abort_requested FROM procrastinate_jobs
    WHERE id = job_id AND status IN ('doing', 'failed')
    FOR UPDATE
    INTO _current_status, _abort_requested;
    IF _current_status = 'doing' AND _abort_requested THEN
        UPDATE procrastinate_jobs
        SET status = 'failed'::procrastinate_job_status
        WHERE id = job_id AND status = 'doing'
        RETURNING id INTO _job_id;
    ELSE
        UPDATE procrastinate_jobs
        SET status = 'todo'::procrastinate_job_status,
            attempts = attempts + 1,
            scheduled_at = retry_at,
            priority = COALESCE(new_priority, priority),
            queue_name = COALESCE(new_queue_name, queue_name),
            lock = COALESCE(new_lock, lock)
        WHERE id = job_id AND status IN ('doing', 'failed')
        RETURNING id INTO _job_id;
    END IF;

    IF _job_id IS NULL THEN
        RAISE 'Job was not found or has an invalid status to retry (job id: %)', job_id;
    END IF;

END;
$$;


--
-- Name: procrastinate_trigger_abort_requested_events_procedure_v1(); Type: FUNCTION; Schema: queue; Owner: -
--

CREATE FUNCTION queue.procrastinate_trigger_abort_requested_events_procedure_v1() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO procrastinate_events(job_id, type)
        VALUES (NEW.id, 'abort_requested'::procrastinate_job_event_type);
    RETURN NEW;
END;
$$;


--
-- Name: procrastinate_trigger_function_scheduled_events_v1(); Type: FUNCTION; Schema: queue; Owner: -
--

CREATE FUNCTION queue.procrastinate_trigger_function_scheduled_events_v1() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO procrastinate_events(job_id, type, at)
        VALUES (NEW.id, 'scheduled'::procrastinate_job_event_type, NEW.scheduled_at);

	RETURN NEW;
END;
$$;


--
-- Name: procrastinate_trigger_function_status_events_insert_v1(); Type: FUNCTION; Schema: queue; Owner: -
--

CREATE FUNCTION queue.procrastinate_trigger_function_status_events_insert_v1() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO procrastinate_events(job_id, type)
        VALUES (NEW.id, 'deferred'::procrastinate_job_event_type);
	RETURN NEW;
END;
$$;


--
-- Name: procrastinate_trigger_function_status_events_update_v1(); Type: FUNCTION; Schema: queue; Owner: -
--

CREATE FUNCTION queue.procrastinate_trigger_function_status_events_update_v1() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    WITH t AS (
        SELECT CASE
            WHEN OLD.status = 'todo'::procrastinate_job_status
                AND NEW.status = 'doing'::procrastinate_job_status
                THEN 'started'::procrastinate_job_event_type
            WHEN OLD.status = 'doing'::procrastinate_job_status
                AND NEW.status = 'todo'::procrastinate_job_status
                THEN 'deferred_for_retry'::procrastinate_job_event_type
            WHEN OLD.status = 'doing'::procrastinate_job_status
                AND NEW.status = 'failed'::procrastinate_job_status
                THEN 'failed'::procrastinate_job_event_type
            WHEN OLD.status = 'doing'::procrastinate_job_status
                AND NEW.status = 'succeeded'::procrastinate_job_status
                THEN 'succeeded'::procrastinate_job_event_type
            WHEN OLD.status = 'todo'::procrastinate_job_status
                AND (
                    NEW.status = 'cancelled'::procrastinate_job_status
                    OR NEW.status = 'failed'::procrastinate_job_status
                    OR NEW.status = 'succeeded'::procrastinate_job_status
                )
                THEN 'cancelled'::procrastinate_job_event_type
            WHEN OLD.status = 'doing'::procrastinate_job_status
                AND NEW.status = 'aborted'::procrastinate_job_status
                THEN 'aborted'::procrastinate_job_event_type
            WHEN OLD.status = 'failed'::procrastinate_job_status
                AND NEW.status = 'todo'::procrastinate_job_status
                THEN 'retried'::procrastinate_job_event_type
            ELSE NULL
        END as event_type
    )
    INSERT INTO procrastinate_events(job_id, type)
        SELECT NEW.id, t.event_type
        FROM t
        WHERE t.event_type IS NOT NULL;
	RETURN NEW;
END;
$$;


--
-- Name: procrastinate_unlink_periodic_defers_v1(); Type: FUNCTION; Schema: queue; Owner: -
--

CREATE FUNCTION queue.procrastinate_unlink_periodic_defers_v1() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE procrastinate_periodic_defers
    SET job_id = NULL
    WHERE job_id = OLD.id;
    RETURN OLD;
END;
$$;


--
-- Name: procrastinate_unregister_worker_v1(bigint); Type: FUNCTION; Schema: queue; Owner: -
--

CREATE FUNCTION queue.procrastinate_unregister_worker_v1(worker_id bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    DELETE FROM procrastinate_workers
    WHERE id = worker_id;
END;
$$;


--
-- Name: procrastinate_update_heartbeat_v1(bigint); Type: FUNCTION; Schema: queue; Owner: -
--

CREATE FUNCTION queue.procrastinate_update_heartbeat_v1(worker_id bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE procrastinate_workers
    SET last_heartbeat = NOW()
    WHERE id = worker_id;
END;
$$;


--
-- Name: announce(text, text); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.announce(p_channel text, p_payload text) RETURNS void
    LANGUAGE sql
    AS $$
  select pg_notify(p_channel, p_payload), set_config('pgshop.announced', p_channel || ' ' || p_payload, true)
$$;


--
-- Name: FUNCTION announce(p_channel text, p_payload text); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.announce(p_channel text, p_payload text) IS 'pg_notify(p_channel, p_payload), the message also kept in the transaction-local setting pgshop.announced.';


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
-- Name: drop_function_layer(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.drop_function_layer() RETURNS void
    LANGUAGE plpgsql
    AS $$
declare
  v_schemas regnamespace[] := shop.layer_schemas();  -- read once: it goes too
  v_row record;
begin
  for v_row in
    select t.tgname, t.tgrelid::regclass as tbl
    from pg_catalog.pg_trigger t
    join pg_catalog.pg_class c on c.oid = t.tgrelid
    where c.relnamespace = any (v_schemas) and not t.tgisinternal
  loop
    execute format('drop trigger %I on %s', v_row.tgname, v_row.tbl);
  end loop;
  for v_row in
    select c.oid::regclass as view
    from pg_catalog.pg_class c
    where c.relnamespace = any (v_schemas) and c.relkind = 'v'
  loop
    execute format('drop view %s', v_row.view);
  end loop;
  perform shop.layer_unschedule();
  for v_row in
    select p.oid::regprocedure as routine
    from pg_catalog.pg_proc p
    where p.pronamespace = any (v_schemas)
      -- itself and what it calls, for the down of the migration before (when several roll back)
      and p.oid not in ('shop.drop_function_layer()'::regprocedure, 'shop.layer_schemas()'::regprocedure,
                        'shop.layer_unschedule()'::regprocedure)
      and not exists (select from pg_catalog.pg_depend d
                      where d.refclassid = 'pg_catalog.pg_proc'::regclass and d.refobjid = p.oid and d.deptype = 'n')
  loop
    execute format('drop routine %s', v_row.routine);
  end loop;
end
$$;


--
-- Name: FUNCTION drop_function_layer(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.drop_function_layer() IS 'For the down of a migration, first: drops the whole re-applied layer (triggers, plain views, routines) but for the routines a constraint, domain or default uses, so that the down may drop any table.';


--
-- Name: emit(text, text, json, text); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.emit(p_type text, p_resource text, p_data json, p_reason text DEFAULT NULL::text) RETURNS void
    LANGUAGE sql
    AS $$
  insert into shop.outbox (type, resource, reason, data) values (p_type, p_resource, p_reason, p_data)
$$;


--
-- Name: FUNCTION emit(p_type text, p_resource text, p_data json, p_reason text); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.emit(p_type text, p_resource text, p_data json, p_reason text) IS 'Writes an event to shop.outbox (in the caller''s transaction).';


--
-- Name: enqueue_deliveries(bigint[]); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.enqueue_deliveries(p_deliveries bigint[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'queue', 'pg_catalog'
    AS $$
begin
  perform queue.procrastinate_defer_jobs_v1(array(
    select row('webhooks', 'deliver', 0, format('webhook %s %s', d.endpoint_id, o.resource), null,
               jsonb_build_object('delivery_id', d.id), null)::queue.procrastinate_job_to_defer_v1
    from unnest(p_deliveries) x(id)
    join shop.webhook_deliveries d on d.id = x.id
    join shop.outbox o on o.id = d.outbox_id
    order by d.id));
end
$$;


--
-- Name: FUNCTION enqueue_deliveries(p_deliveries bigint[]); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.enqueue_deliveries(p_deliveries bigint[]) IS 'Defers one procrastinate job per delivery (queue webhooks, task deliver, locked per endpoint and resource).';


--
-- Name: layer_begin(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.layer_begin() RETURNS void
    LANGUAGE plpgsql
    AS $$
declare
  v_routine regprocedure;
begin
  -- One deploy at a time; the roll call of what this one declares.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pgshop layer'));
  create temporary table layer_declared (kind text, identity text, primary key (kind, identity)) on commit drop;
  -- A routine nothing depends on is dropped, so that its file may change anything about it (its signature
  -- too). One that a trigger, constraint, domain, default or view uses is replaced in place by its file.
  -- This file's own routines are already declared (written by this transaction: age 0).
  for v_routine in
    select p.oid::regprocedure
    from pg_catalog.pg_proc p
    where p.pronamespace = any (shop.layer_schemas())
      and pg_catalog.age(p.xmin) > 0
      and not exists (select from pg_catalog.pg_depend d
                      where d.refclassid = 'pg_catalog.pg_proc'::regclass and d.refobjid = p.oid and d.deptype = 'n')
    order by p.oid
  loop
    execute format('drop routine %s', v_routine);
  end loop;
  perform shop.layer_unschedule();
end
$$;


--
-- Name: FUNCTION layer_begin(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.layer_begin() IS 'Deploy, after 00_layer.sql: drops every routine of the layer nothing depends on and the layer''s pg_cron jobs, and starts the roll call of the views and triggers the files declare.';


--
-- Name: layer_end(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.layer_end() RETURNS void
    LANGUAGE plpgsql
    AS $$
declare
  v_row record;
begin
  -- Triggers and views the files no longer declare, then routines they no longer declare (not written by this
  -- transaction). A routine a constraint or domain still uses cannot go: the deploy stops with PostgreSQL's
  -- message naming it (db/README.md says what to do).
  for v_row in
    select t.tgname, t.tgrelid::regclass as tbl
    from pg_catalog.pg_trigger t
    join pg_catalog.pg_class c on c.oid = t.tgrelid
    where c.relnamespace = any (shop.layer_schemas())
      and not t.tgisinternal
      and not exists (select from pg_temp.layer_declared d
                      where d.kind = 'trigger' and d.identity = format('%s %s', t.tgrelid, t.tgname))
  loop
    execute format('drop trigger %I on %s', v_row.tgname, v_row.tbl);
  end loop;
  for v_row in
    select c.oid::regclass as view
    from pg_catalog.pg_class c
    where c.relnamespace = any (shop.layer_schemas())
      and c.relkind = 'v'
      and not exists (select from pg_temp.layer_declared d where d.kind = 'view' and d.identity = c.oid::text)
  loop
    execute format('drop view %s', v_row.view);
  end loop;
  for v_row in
    select p.oid::regprocedure as routine
    from pg_catalog.pg_proc p
    where p.pronamespace = any (shop.layer_schemas())
      and pg_catalog.age(p.xmin) > 0
  loop
    execute format('drop routine %s', v_row.routine);
  end loop;
end
$$;


--
-- Name: FUNCTION layer_end(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.layer_end() IS 'Deploy, after every file: drops the triggers, plain views and routines of the layer the files no longer declare.';


--
-- Name: layer_schemas(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.layer_schemas() RETURNS regnamespace[]
    LANGUAGE sql IMMUTABLE
    AS $$
  select array['shop', 'lib', 'api', 'audit', 'reporting', 'monitoring']::regnamespace[]
$$;


--
-- Name: FUNCTION layer_schemas(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.layer_schemas() IS 'The schemas whose routines, plain views and triggers are declared in db/functions and re-applied by each deploy.';


--
-- Name: layer_trigger(regclass, text); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.layer_trigger(p_table regclass, p_statement text) RETURNS void
    LANGUAGE plpgsql
    AS $$
declare
  v_match text[] := regexp_match(p_statement, '^\s*create\s+(constraint\s+)?trigger\s+(\S+)', 'i');
  v_name name := v_match[2];
  v_existing pg_catalog.pg_trigger;
  v_wanted text;
begin
  if v_name is null then
    raise exception 'not a create trigger statement: %', p_statement;
  end if;
  select * into v_existing from pg_catalog.pg_trigger t
  where t.tgrelid = p_table and t.tgname = v_name and not t.tgisinternal;
  execute format('create temporary table layer_copy (like %s)', p_table);
  execute format(p_statement, 'pg_temp.layer_copy');
  select regexp_replace(pg_catalog.pg_get_triggerdef(t.oid), ' ON (pg_temp\w*\.)?layer_copy ', format(' ON %s ', p_table))
  into v_wanted
  from pg_catalog.pg_trigger t where t.tgrelid = 'pg_temp.layer_copy'::regclass;
  drop table pg_temp.layer_copy;
  if v_existing.oid is null then
    execute format(p_statement, p_table);
  elsif pg_catalog.pg_get_triggerdef(v_existing.oid) is distinct from v_wanted or v_existing.tgenabled <> 'O' then
    if v_match[1] is not null then
      execute format('drop trigger %I on %s', v_name, p_table);
      execute format(p_statement, p_table);
    else
      execute format(regexp_replace(p_statement, '^\s*create\s+trigger', 'create or replace trigger', 'i'), p_table);
    end if;
  end if;
  insert into pg_temp.layer_declared values ('trigger', format('%s %s', p_table::oid, v_name))
  on conflict do nothing;
end
$$;


--
-- Name: FUNCTION layer_trigger(p_table regclass, p_statement text); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.layer_trigger(p_table regclass, p_statement text) IS 'Layer: declares a trigger on p_table by its create statement (%s for the table); creates or replaces it only when its definition differs or it is disabled.';


--
-- Name: layer_unschedule(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.layer_unschedule() RETURNS void
    LANGUAGE plpgsql
    AS $$
begin
  if to_regnamespace('cron') is not null and has_schema_privilege('cron', 'usage') then
    perform cron.unschedule(j.jobid) from cron.job j where j.jobname like 'pgshop-%';
  end if;
end
$$;


--
-- Name: FUNCTION layer_unschedule(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.layer_unschedule() IS 'Removes the pg_cron jobs the layer scheduled (pgshop-*).';


--
-- Name: layer_view(text, text); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.layer_view(p_view text, p_query text) RETURNS void
    LANGUAGE plpgsql
    AS $$
declare
  v_existing regclass := to_regclass(p_view);
  v_wanted text;
begin
  execute format('create temporary view layer_candidate as %s', p_query);
  v_wanted := pg_catalog.pg_get_viewdef('pg_temp.layer_candidate'::regclass);
  drop view pg_temp.layer_candidate;
  if v_existing is null or pg_catalog.pg_get_viewdef(v_existing) is distinct from v_wanted then
    execute format('create or replace view %s as %s', p_view, p_query);
  end if;
  insert into pg_temp.layer_declared values ('view', to_regclass(p_view)::oid::text) on conflict do nothing;
end
$$;


--
-- Name: FUNCTION layer_view(p_view text, p_query text); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.layer_view(p_view text, p_query text) IS 'Layer: declares the plain view p_view as p_query; creates or replaces it only when its definition differs.';


--
-- Name: order_document(shop.orders); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.order_document(p_order shop.orders) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return (
    select json_build_object(
      'id', p_order.id,
      'status', p_order.status,
      'currency', p_order.currency,
      'total_amount', p_order.total_amount::text,
      'balance_due', (case when p_order.status = 'pending'
                           then greatest(p_order.total_amount - shop.order_net_paid(p_order.id), 0)
                           else 0 end)::numeric(12, 2)::text,
      'shipping_address', p_order.shipping_address,
      'created_at', p_order.created_at,
      'updated_at', p_order.updated_at,
      'items', (
        select coalesce(json_agg(json_build_object(
          'product_id', oi.product_id,
          'variant_id', oi.variant_id,
          'name', oi.name,
          'sku', oi.sku,
          'options', oi.options,
          'quantity', oi.quantity,
          'unit_price', oi.unit_price::text,
          'total_price', oi.total_price::text
        ) order by oi.id), '[]')
        from shop.order_items oi
        where oi.order_id = p_order.id
      ),
      'payments', (
        select coalesce(json_agg(shop.payment_document(p) order by p.id), '[]')
        from shop.payments p
        where p.order_id = p_order.id
      ),
      'history', (
        select coalesce(json_agg(json_build_object('status', h.status, 'at', h.changed_at, 'actor', h.actor,
                                                   'reason', h.reason) order by h.id), '[]')
        from shop.order_status_history h
        where h.order_id = p_order.id
      )
    )
  );
end
$$;


--
-- Name: FUNCTION order_document(p_order shop.orders); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.order_document(p_order shop.orders) IS 'An order as the API and the events show it: lines, payments, balance_due (what a pending order still needs; 0 otherwise) and status history with actor and reason.';


--
-- Name: order_net_paid(bigint); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.order_net_paid(p_order_id bigint) RETURNS numeric
    LANGUAGE sql STABLE
    AS $$
  select coalesce(sum(p.captured_amount - p.refunded_amount), 0)
  from shop.payments p
  where p.order_id = p_order_id
$$;


--
-- Name: FUNCTION order_net_paid(p_order_id bigint); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.order_net_paid(p_order_id bigint) IS 'Captured minus refunded over an order''s payments.';


--
-- Name: payments; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.payments (
    id bigint NOT NULL,
    order_id bigint NOT NULL,
    provider text NOT NULL,
    provider_reference text NOT NULL,
    currency text NOT NULL,
    amount numeric(12,2) DEFAULT 0 NOT NULL,
    authorized_amount numeric(12,2) DEFAULT 0 NOT NULL,
    captured_amount numeric(12,2) DEFAULT 0 NOT NULL,
    refunded_amount numeric(12,2) DEFAULT 0 NOT NULL,
    refund_requested_amount numeric(12,2) DEFAULT 0 NOT NULL,
    failed_at timestamp with time zone,
    status text GENERATED ALWAYS AS (
CASE
    WHEN ((captured_amount > (0)::numeric) AND (refunded_amount >= captured_amount)) THEN 'refunded'::text
    WHEN ((captured_amount > (0)::numeric) AND (refunded_amount > (0)::numeric)) THEN 'partially_refunded'::text
    WHEN (captured_amount > (0)::numeric) THEN 'captured'::text
    WHEN (failed_at IS NOT NULL) THEN 'failed'::text
    WHEN (authorized_amount > (0)::numeric) THEN 'authorized'::text
    ELSE 'pending'::text
END) STORED NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT payments_amounts_finite CHECK (((amount <> 'NaN'::numeric) AND (authorized_amount <> 'NaN'::numeric) AND (captured_amount <> 'NaN'::numeric) AND (refunded_amount <> 'NaN'::numeric) AND (refund_requested_amount <> 'NaN'::numeric))),
    CONSTRAINT payments_amounts_not_negative CHECK (((amount >= (0)::numeric) AND (authorized_amount >= (0)::numeric) AND (captured_amount >= (0)::numeric) AND (refunded_amount >= (0)::numeric) AND (refund_requested_amount >= (0)::numeric))),
    CONSTRAINT payments_provider_known CHECK ((provider = ANY (ARRAY['stripe'::text, 'manual'::text]))),
    CONSTRAINT payments_reference_length CHECK (((length(provider_reference) >= 1) AND (length(provider_reference) <= 255))),
    CONSTRAINT payments_refund_requests_within_captured CHECK ((refund_requested_amount <= captured_amount)),
    CONSTRAINT payments_refunds_within_captured CHECK ((refunded_amount <= captured_amount))
);


--
-- Name: TABLE payments; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.payments IS 'A payment of an order at a provider (stripe: a PaymentIntent) or by hand (manual: bank transfer, cash). Its amounts only grow, from the events of shop.payment_events in any order; status is derived from them.';


--
-- Name: COLUMN payments.amount; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.payments.amount IS 'What the payment asks for, in the order''s currency.';


--
-- Name: COLUMN payments.captured_amount; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.payments.captured_amount IS 'Money received.';


--
-- Name: COLUMN payments.refunded_amount; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.payments.refunded_amount IS 'Money given back, as the provider confirms it (manual: at once).';


--
-- Name: COLUMN payments.refund_requested_amount; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.payments.refund_requested_amount IS 'Refunds asked for (by admins, or seen confirmed), at most captured_amount.';


--
-- Name: COLUMN payments.status; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.payments.status IS 'refunded, partially_refunded, captured, failed, authorized or pending, derived from the amounts.';


--
-- Name: payment_document(shop.payments); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.payment_document(p_payment shop.payments) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object(
    'id', p_payment.id,
    'order_id', p_payment.order_id,
    'provider', p_payment.provider,
    'reference', p_payment.provider_reference,
    'status', p_payment.status,
    'currency', p_payment.currency,
    'amount', p_payment.amount::text,
    'captured_amount', p_payment.captured_amount::text,
    'refunded_amount', p_payment.refunded_amount::text,
    'refund_requested_amount', p_payment.refund_requested_amount::text,
    'created_at', p_payment.created_at,
    'updated_at', p_payment.updated_at
  )
$$;


--
-- Name: FUNCTION payment_document(p_payment shop.payments); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.payment_document(p_payment shop.payments) IS 'A payment as the API and the events show it.';


--
-- Name: product_search(bigint, text, text); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.product_search(p_id bigint, p_name text, p_description text) RETURNS tsvector
    LANGUAGE sql STABLE
    AS $$
  select setweight(to_tsvector('english', coalesce(p_name, '')), 'A')
         || setweight(to_tsvector('english', coalesce(p_description, '')), 'B')
         || setweight(to_tsvector('english', coalesce((select string_agg(v.sku, ' ') from shop.variants v
                                                       where v.product_id = p_id and v.deleted_at is null), '')), 'A')
         || setweight(to_tsvector('english', coalesce((
              select string_agg(distinct ov.value, ' ')
              from shop.variants v
              join shop.variant_option_values vo on vo.variant_id = v.id
              join shop.product_option_values ov on ov.id = vo.value_id
              where v.product_id = p_id and v.deleted_at is null), '')), 'C')
$$;


--
-- Name: FUNCTION product_search(p_id bigint, p_name text, p_description text); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.product_search(p_id bigint, p_name text, p_description text) IS 'A product''s search vector: name (A), description (B), live variant SKUs (A), their option values (C).';


--
-- Name: return_stock(bigint); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.return_stock(p_order_id bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
begin
  perform
  from shop.variants v
  where v.id in (select oi.variant_id from shop.order_items oi where oi.order_id = p_order_id)
  order by v.id
  for no key update;
  perform shop.set_stock_context('cancel', p_order_id);
  update shop.variants v
  set stock_quantity = v.stock_quantity + oi.quantity
  from shop.order_items oi
  where oi.order_id = p_order_id
    and oi.variant_id = v.id;
  perform shop.set_stock_context(null, null);
end
$$;


--
-- Name: FUNCTION return_stock(p_order_id bigint); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.return_stock(p_order_id bigint) IS 'Gives back the stock of an order''s lines (ledger reason cancel), variant rows locked in id order.';


--
-- Name: set_status_context(text, text); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.set_status_context(p_actor text, p_reason text) RETURNS void
    LANGUAGE sql
    AS $$
  select set_config('pgshop.status_actor', coalesce(p_actor, ''), true),
         set_config('pgshop.status_reason', coalesce(p_reason, ''), true)
$$;


--
-- Name: FUNCTION set_status_context(p_actor text, p_reason text); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.set_status_context(p_actor text, p_reason text) IS 'Names the actor and reason of the order status changes that follow in this transaction (null, null resets).';


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
-- Name: take_stock(bigint); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.take_stock(p_order_id bigint) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
declare
  v_short jsonb;
begin
  perform
  from shop.variants v
  where v.id in (select oi.variant_id from shop.order_items oi where oi.order_id = p_order_id)
  order by v.id
  for no key update;
  perform shop.set_stock_context('sale', p_order_id);
  -- One conditional decrement; the lines it could not take are the ones short (the outer query sees the
  -- stock as it was before the update).
  with sold as (
    update shop.variants v
    set stock_quantity = v.stock_quantity - oi.quantity
    from shop.order_items oi
    where oi.order_id = p_order_id
      and oi.variant_id = v.id
      and v.stock_quantity >= oi.quantity
    returning v.id
  )
  select jsonb_agg(jsonb_build_object('product_id', v.product_id, 'variant_id', v.id, 'sku', v.sku,
                                      'requested', oi.quantity, 'available', v.stock_quantity) order by v.id)
  into v_short
  from shop.order_items oi
  join shop.variants v on v.id = oi.variant_id
  where oi.order_id = p_order_id
    and v.id not in (select sold.id from sold);
  perform shop.set_stock_context(null, null);
  return v_short;
end
$$;


--
-- Name: FUNCTION take_stock(p_order_id bigint); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.take_stock(p_order_id bigint) IS 'Takes the stock of an order''s lines (ledger reason sale), variant rows locked in id order; returns the lines it could not take as [{product_id, variant_id, sku, requested, available}], or null when it took them all.';


--
-- Name: tg__announce_catalog_change(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg__announce_catalog_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
declare
  v_ids bigint[];
begin
  if tg_table_name = 'categories' then
    perform shop.announce('pgshop_catalog', '{"categories": true}');
    return null;
  end if;
  -- The products concerned: the rows themselves, or the product of a variant, an option or an option value.
  -- (Each branch names only its own table's columns: PL/pgSQL plans a statement when it first runs it.)
  if tg_table_name = 'products' then
    if tg_op = 'DELETE' then select array_agg(o.id) into v_ids from old_rows o;
    else select array_agg(n.id) into v_ids from new_rows n; end if;
  elsif tg_table_name = 'product_option_values' then
    if tg_op = 'DELETE' then
      select array_agg(o.product_id) into v_ids from shop.product_options o where o.id in (select r.option_id from old_rows r);
    else
      select array_agg(o.product_id) into v_ids from shop.product_options o where o.id in (select r.option_id from new_rows r);
    end if;
  elsif tg_op = 'DELETE' then
    select array_agg(distinct o.product_id) into v_ids from old_rows o;
  else
    select array_agg(distinct n.product_id) into v_ids from new_rows n;
  end if;
  if v_ids is not null then
    -- A notification carries less than 8000 bytes: a big statement says "all" instead of every id.
    perform shop.announce('pgshop_catalog', coalesce(
      (select m.message from (select jsonb_build_object('products', jsonb_agg(distinct i order by i))::text as message
                              from unnest(v_ids) i where cardinality(v_ids) <= 2000) m
       where length(m.message) < 7900),
      '{"products": "all"}'));
  end if;
  return null;
end
$$;


--
-- Name: FUNCTION tg__announce_catalog_change(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg__announce_catalog_change() IS 'Trigger (statement level): pg_notify(''pgshop_catalog'', {"products": [ids]} or {"products": "all"} or {"categories": true}) for the catalog rows a statement changed, so that caches drop them at commit.';


--
-- Name: tg__append_only(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg__append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  raise exception using
    errcode = 'PT409', message = 'append_only',
    detail = format('rows of %s.%s are never changed or deleted', tg_table_schema, tg_table_name);
end
$$;


--
-- Name: FUNCTION tg__append_only(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg__append_only() IS 'Trigger: refuses to change or delete rows of a ledger (PT409 append_only).';


--
-- Name: tg__product_search_follows(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg__product_search_follows() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
declare
  v_products bigint[];
begin
  if current_setting('pgshop.search_deferred', true) = 'on' then
    return null;  -- an import writes variants, then their values: it computes the vectors once, after both
  end if;
  if tg_op = 'DELETE' then
    select array_agg(distinct o.product_id) into v_products from old_rows o;
  elsif tg_op = 'INSERT' then
    select array_agg(distinct n.product_id) into v_products from new_rows n;
  elsif tg_table_name = 'variant_option_values' then
    select array_agg(distinct r.product_id) into v_products
    from (select n.product_id from new_rows n union select o.product_id from old_rows o) r;
  else
    -- Variants whose SKU changed, or that were deleted or undeleted: a sale changes no product's vector.
    -- EXECUTE: planned for this statement's rows (see db/README.md, transition tables).
    execute 'select array_agg(distinct n.product_id) from new_rows n join old_rows o on o.id = n.id
             where n.sku <> o.sku or n.deleted_at is distinct from o.deleted_at'
    into v_products;
  end if;
  if v_products is not null then
    update shop.products p
    set search = shop.product_search(p.id, p.name, p.description)
    from unnest(v_products) x(id)
    where p.id = x.id;
  end if;
  return null;
end
$$;


--
-- Name: FUNCTION tg__product_search_follows(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg__product_search_follows() IS 'Trigger (statement, variants and their option values): the search vectors of the products touched (for an update of variants, those whose SKU or deletion changed); nothing while pgshop.search_deferred is on (an import, which computes them itself).';


--
-- Name: tg__queue_variant_check(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg__queue_variant_check() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
declare
  v_products bigint[];
begin
  if tg_op = 'DELETE' then
    select array_agg(distinct o.product_id) into v_products from old_rows o;
  elsif tg_op = 'INSERT' then
    select array_agg(distinct n.product_id) into v_products from new_rows n;
  else
    -- A variant or option moved to another product, a variant deleted or undeleted: a sale (stock only)
    -- queues nothing. EXECUTE: planned for this statement's rows (see db/README.md, transition tables).
    execute 'select array_agg(distinct n.product_id) from new_rows n join old_rows o on o.id = n.id
             where n.product_id <> o.product_id'
            || case when tg_table_name = 'variants' then ' or n.deleted_at is distinct from o.deleted_at' else '' end
    into v_products;
  end if;
  if v_products is not null then
    insert into shop.variant_checks (product_ids) values (v_products);
  end if;
  return null;
end
$$;


--
-- Name: FUNCTION tg__queue_variant_check(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg__queue_variant_check() IS 'Trigger (statement, variants and product options): queues the products touched for the completeness check (for an update, those whose variants or options moved, or whose variants were deleted or undeleted).';


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
-- Name: tg_low_stock_alerts__emit(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_low_stock_alerts__emit() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  insert into shop.outbox (type, resource, data)
  select 'stock.low', 'product/' || n.product_id,
         json_build_object('product_id', v.product_id, 'variant_id', v.id, 'name', p.name, 'sku', v.sku,
                           'options', lib.variant_options(v.id), 'stock_quantity', n.stock_quantity,
                           'low_stock_threshold', n.low_stock_threshold, 'alert_id', n.id, 'opened_at', n.opened_at)
  from new_rows n
  join shop.variants v on v.id = n.variant_id
  join shop.products p on p.id = v.product_id
  order by n.id;
  return null;
end
$$;


--
-- Name: FUNCTION tg_low_stock_alerts__emit(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_low_stock_alerts__emit() IS 'Trigger (statement): stock.low for each low-stock alert opened.';


--
-- Name: tg_order_items__daily_sales(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_order_items__daily_sales() RETURNS trigger
    LANGUAGE plpgsql
    AS $_$
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
$_$;


--
-- Name: FUNCTION tg_order_items__daily_sales(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_order_items__daily_sales() IS 'Trigger: keeps shop.daily_sales.units right when lines of an order that already counts are written or removed.';


--
-- Name: tg_order_status_history__emit(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_order_status_history__emit() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  perform shop.emit(case when new.from_status is null then 'order.created' else 'order.' || new.status end,
                    'order/' || new.order_id,
                    (select shop.order_document(o) from shop.orders o where o.id = new.order_id), new.reason)
  where new.from_status is null or exists (select from shop.event_types t where t.type = 'order.' || new.status);
  return null;
end
$$;


--
-- Name: FUNCTION tg_order_status_history__emit(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_order_status_history__emit() IS 'Trigger: order.created for an order''s first status, order.<status> for each change (to the outbox).';


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
  if new.status = 'paid' and old.status <> 'paid' and shop.order_net_paid(new.id) < new.total_amount then
    raise exception using
      errcode = 'PT409', message = 'payment_required',
      detail = format('order %s: its payments (%s) do not cover its total (%s); record a payment instead',
                      old.id, shop.order_net_paid(new.id), new.total_amount);
  end if;
  return new;
end
$$;


--
-- Name: FUNCTION tg_orders__check_transition(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_orders__check_transition() IS 'Trigger: refuses a status change that shop.order_status_transitions does not allow (PT409 invalid_transition), and paid while captured minus refunded is below the total (PT409 payment_required).';


--
-- Name: tg_orders__daily_sales(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_orders__daily_sales() RETURNS trigger
    LANGUAGE plpgsql
    AS $_$
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
$_$;


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
  insert into shop.order_status_history (order_id, from_status, status, changed_by, actor, reason)
  values (new.id, case when tg_op = 'UPDATE' then old.status end, new.status, shop.current_user_id(),
          coalesce(nullif(current_setting('pgshop.status_actor', true), ''),
                   nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role', 'sql'),
          nullif(current_setting('pgshop.status_reason', true), ''));
  if new.status = 'cancelled' then
    perform shop.return_stock(new.id);
  end if;
  return null;
end
$$;


--
-- Name: FUNCTION tg_orders__status_changed(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_orders__status_changed() IS 'Trigger: records each status in shop.order_status_history; on cancel returns the order''s stock (ledger reason cancel).';


--
-- Name: tg_outbox__fan_out(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_outbox__fan_out() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
declare
  v_deliveries bigint[];
begin
  with made as (
    insert into shop.webhook_deliveries (endpoint_id, outbox_id)
    select e.id, n.id
    from new_rows n
    join shop.webhook_endpoints e on n.type = any (e.events)
    order by n.id, e.id
    returning id
  )
  select array_agg(made.id) into v_deliveries from made;
  if v_deliveries is not null then
    perform shop.enqueue_deliveries(v_deliveries);
  end if;
  return null;
end
$$;


--
-- Name: FUNCTION tg_outbox__fan_out(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_outbox__fan_out() IS 'Trigger: a delivery (and its queue job) for every endpoint subscribed to each new event.';


--
-- Name: tg_payment_events__emit(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_payment_events__emit() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  perform shop.emit('refund.requested', 'order/' || new.order_id, json_build_object(
    'payment', (select shop.payment_document(p) from shop.payments p where p.id = new.payment_id),
    'amount', new.amount::text, 'currency', new.currency, 'reason', new.raw ->> 'reason'));
  return null;
end
$$;


--
-- Name: FUNCTION tg_payment_events__emit(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_payment_events__emit() IS 'Trigger: refund.requested for a refund request in the ledger.';


--
-- Name: tg_payments__emit(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_payments__emit() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  if new.captured_amount > coalesce(old.captured_amount, 0) then
    perform shop.emit('payment.captured', 'order/' || new.order_id, shop.payment_document(new));
  end if;
  if new.refunded_amount > coalesce(old.refunded_amount, 0) then
    perform shop.emit('payment.refunded', 'order/' || new.order_id, shop.payment_document(new));
  end if;
  return null;
end
$$;


--
-- Name: FUNCTION tg_payments__emit(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_payments__emit() IS 'Trigger: payment.captured when captured_amount grows, payment.refunded when refunded_amount grows.';


--
-- Name: tg_payments__only_grow(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_payments__only_grow() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  if new.order_id <> old.order_id or new.provider <> old.provider or new.provider_reference <> old.provider_reference
     or new.currency <> old.currency or new.amount < old.amount or new.authorized_amount < old.authorized_amount
     or new.captured_amount < old.captured_amount or new.refunded_amount < old.refunded_amount
     or new.refund_requested_amount < old.refund_requested_amount
     or (old.failed_at is not null and new.failed_at is distinct from old.failed_at) then
    raise exception using
      errcode = 'PT409', message = 'payment_immutable',
      detail = format('payment %s: its identity is fixed and its amounts only grow', old.id);
  end if;
  return new;
end
$$;


--
-- Name: FUNCTION tg_payments__only_grow(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_payments__only_grow() IS 'Trigger: a payment keeps its order, provider, reference and currency, and its amounts never shrink (PT409 payment_immutable).';


--
-- Name: tg_product_option_values__search(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_product_option_values__search() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  -- EXECUTE: planned for this statement's rows (see db/README.md, transition tables).
  execute 'update shop.products p
           set search = shop.product_search(p.id, p.name, p.description)
           where p.id in (select o.product_id from new_rows n join old_rows r on r.id = n.id
                          join shop.product_options o on o.id = n.option_id where n.value <> r.value)';
  return null;
end
$$;


--
-- Name: FUNCTION tg_product_option_values__search(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_product_option_values__search() IS 'Trigger (statement): a renamed option value reaches the search vectors of its product.';


--
-- Name: tg_products__delete_variants(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_products__delete_variants() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  update shop.variants v set deleted_at = new.deleted_at where v.product_id = new.id and v.deleted_at is null;
  return null;
end
$$;


--
-- Name: FUNCTION tg_products__delete_variants(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_products__delete_variants() IS 'Trigger: a soft-deleted product soft-deletes its live variants (their SKUs are free again).';


--
-- Name: tg_products__derived(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_products__derived() RETURNS trigger
    LANGUAGE plpgsql
    SET enable_seqscan TO 'off'
    AS $$
begin
  new.price := (lib.default_variant(new.id)).price;
  new.in_stock := lib.product_in_stock(new.id);
  return new;
end
$$;


--
-- Name: FUNCTION tg_products__derived(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_products__derived() IS 'Trigger: shop.products.price (its default variant''s) and in_stock (a live, active variant with stock) as its variants say, whatever the write says.';


--
-- Name: tg_products__handle(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_products__handle() RETURNS trigger
    LANGUAGE plpgsql
    SET enable_seqscan TO 'off'
    AS $$
begin
  new.handle := coalesce(nullif(btrim(left(regexp_replace(lower(new.name), '[^a-z0-9]+', '-', 'g'), 200), '-'), ''), 'product')
                || '-' || new.id;
  -- Someone may have chosen this very handle for another product: the id once more makes it this one's.
  if exists (select from shop.products p where p.handle = new.handle and p.deleted_at is null) then
    new.handle := new.handle || '-' || new.id;
  end if;
  return new;
end
$$;


--
-- Name: FUNCTION tg_products__handle(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_products__handle() IS 'Trigger: the handle of a product inserted without one, from its name and id (the id twice if another live product was given that handle).';


--
-- Name: tg_products__search(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_products__search() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  new.search := shop.product_search(new.id, new.name, new.description);
  return new;
end
$$;


--
-- Name: FUNCTION tg_products__search(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_products__search() IS 'Trigger: a product''s search vector when it is written.';


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


--
-- Name: tg_variant_checks__complete(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_variant_checks__complete() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_missing text;
begin
  select string_agg(format('%s lacks %s', v.sku, m.options), '; ' order by v.id) into v_missing
  from unnest(new.product_ids) q(id)
  join shop.variants v on v.product_id = q.id
  cross join lateral (
    select string_agg(o.name, ', ' order by o.position, o.id) as options
    from shop.product_options o
    where o.product_id = v.product_id
      and not exists (select from shop.variant_option_values vo where vo.variant_id = v.id and vo.option_id = o.id)
  ) m
  where v.deleted_at is null
    and m.options is not null;
  delete from shop.variant_checks c where c.id = new.id;
  if v_missing is not null then
    raise exception using
      errcode = 'PT422', message = 'invalid_option_values',
      detail = format('every variant needs one value of each option of its product: %s', left(v_missing, 500));
  end if;
  return null;
end
$$;


--
-- Name: FUNCTION tg_variant_checks__complete(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_variant_checks__complete() IS 'Trigger (deferred to commit): PT422 invalid_option_values when a live variant of the queued products lacks a value for an option of its product.';


--
-- Name: tg_variant_option_values__changed(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_variant_option_values__changed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
declare
  v_variants bigint[];
  v_products bigint[];
begin
  if tg_op = 'INSERT' then
    select array_agg(distinct n.variant_id), array_agg(distinct n.product_id) into v_variants, v_products
    from new_rows n;
  elsif tg_op = 'DELETE' then
    select array_agg(distinct o.variant_id), array_agg(distinct o.product_id) into v_variants, v_products
    from old_rows o;
  else
    select array_agg(distinct r.variant_id), array_agg(distinct r.product_id) into v_variants, v_products
    from (select n.variant_id, n.product_id from new_rows n union select o.variant_id, o.product_id from old_rows o) r;
  end if;
  if v_variants is not null then
    -- Joined with unnest, not "= any (array)": a cached plan would search the array once per row (an import's
    -- million variants).
    update shop.variants v set combination = null from unnest(v_variants) x(id) where v.id = x.id;
    insert into shop.variant_checks (product_ids) values (v_products);
  end if;
  return null;
end
$$;


--
-- Name: FUNCTION tg_variant_option_values__changed(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_variant_option_values__changed() IS 'Trigger (statement): derives the combinations of the variants whose option values changed again, and queues their products for the completeness check.';


--
-- Name: tg_variants__combination(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_variants__combination() RETURNS trigger
    LANGUAGE plpgsql
    SET enable_seqscan TO 'off'
    AS $$
begin
  new.combination := case when tg_op = 'INSERT' then '' else
    (select coalesce(string_agg(vo.value_id::text, ',' order by vo.option_id), '')
     from shop.variant_option_values vo where vo.variant_id = new.id) end;
  return new;
end
$$;


--
-- Name: FUNCTION tg_variants__combination(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_variants__combination() IS 'Trigger: shop.variants.combination derived from its option values (the exclusion constraint compares it).';


--
-- Name: tg_variants__low_stock(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_variants__low_stock() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
declare
  v_opened integer;
begin
  with opened as (
    insert into shop.low_stock_alerts (product_id, variant_id, stock_quantity, low_stock_threshold)
    select n.product_id, n.id, n.stock_quantity, n.low_stock_threshold
    from new_rows n
    where n.stock_quantity <= n.low_stock_threshold and n.deleted_at is null
    order by n.id
    on conflict (variant_id) where closed_at is null do nothing
    returning product_id, variant_id, stock_quantity, low_stock_threshold
  )
  select count(pg_notify('low_stock', json_build_object(
           'product_id', o.product_id, 'variant_id', o.variant_id, 'name', p.name, 'sku', v.sku,
           'stock_quantity', o.stock_quantity, 'low_stock_threshold', o.low_stock_threshold)::text))
  into v_opened
  from (select * from opened order by variant_id) o
  join shop.variants v on v.id = o.variant_id
  join shop.products p on p.id = o.product_id;
  update shop.low_stock_alerts a
  set closed_at = now()
  from new_rows n
  where a.variant_id = n.id
    and a.closed_at is null
    and not (n.stock_quantity <= n.low_stock_threshold and n.deleted_at is null);
  return null;
end
$$;


--
-- Name: FUNCTION tg_variants__low_stock(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_variants__low_stock() IS 'Trigger (statement): opens a low-stock alert and fires pg_notify(''low_stock'', variant json) for each variant whose stock is at or below its threshold without one; closes the alerts of those above it (or deleted).';


--
-- Name: tg_variants__product_summary(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_variants__product_summary() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
declare
  v_products bigint[];
begin
  if tg_op = 'INSERT' then
    select array_agg(distinct n.product_id) into v_products from new_rows n;
  elsif tg_op = 'DELETE' then
    select array_agg(distinct o.product_id) into v_products from old_rows o;
  else
    -- EXECUTE: planned for this statement's rows (see db/README.md, transition tables).
    execute 'select array_agg(distinct n.product_id) from new_rows n join old_rows o on o.id = n.id
             where n.price <> o.price or n.position <> o.position or n.is_active <> o.is_active
                or n.deleted_at is distinct from o.deleted_at or n.product_id <> o.product_id
                or (n.stock_quantity > 0) <> (o.stock_quantity > 0)'
    into v_products;
  end if;
  if v_products is not null then
    -- The products locked first, in id order: two buyers emptying sibling variants at once each see the other's
    -- stock as it was; the second waits here for the first to commit, and the update below, a statement of its
    -- own, sees both.
    perform from unnest(v_products) q(id) join shop.products p on p.id = q.id order by p.id for no key update of p;
    update shop.products p
    set price = s.price, in_stock = s.in_stock
    from (select q.id,
                 (lib.default_variant(q.id)).price,
                 lib.product_in_stock(q.id) as in_stock
          from unnest(v_products) q(id)) s
    where p.id = s.id
      and (p.price is distinct from s.price or p.in_stock <> s.in_stock);
  end if;
  return null;
end
$$;


--
-- Name: FUNCTION tg_variants__product_summary(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_variants__product_summary() IS 'Trigger (statement): keeps shop.products.price (the default variant''s) and in_stock as its variants say.';


--
-- Name: tg_variants__record_stock(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_variants__record_stock() RETURNS trigger
    LANGUAGE plpgsql
    AS $_$
declare
  v_reason text := nullif(current_setting('pgshop.stock_reason', true), '');
  v_order_id bigint := nullif(current_setting('pgshop.stock_order_id', true), '')::bigint;
begin
  if tg_op = 'INSERT' then
    insert into shop.stock_movements (product_id, variant_id, delta, stock_after, reason, order_id, actor_id)
    select n.product_id, n.id, n.stock_quantity, n.stock_quantity, coalesce(v_reason, 'initial'), v_order_id,
           shop.current_user_id()
    from new_rows n
    where n.stock_quantity <> 0
    order by n.id;
  else
  -- EXECUTE: planned for this statement's rows (see db/README.md, transition tables).
    execute 'insert into shop.stock_movements (product_id, variant_id, delta, stock_after, reason, order_id, actor_id)
             select n.product_id, n.id, n.stock_quantity - o.stock_quantity, n.stock_quantity,
                    coalesce($1, ''adjustment''), $2, shop.current_user_id()
             from new_rows n join old_rows o on o.id = n.id
             where n.stock_quantity <> o.stock_quantity
             order by n.id'
    using v_reason, v_order_id;
  end if;
  return null;
end
$_$;


--
-- Name: FUNCTION tg_variants__record_stock(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_variants__record_stock() IS 'Trigger: writes a shop.stock_movements row for every change of a variant''s stock_quantity (reason from pgshop.stock_reason).';


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
-- Name: cache_hit_ratio; Type: VIEW; Schema: monitoring; Owner: -
--

CREATE VIEW monitoring.cache_hit_ratio AS
 SELECT d.datname AS database,
    d.blks_hit,
    d.blks_read,
    round(((100.0 * (d.blks_hit)::numeric) / (NULLIF((d.blks_hit + d.blks_read), 0))::numeric), 2) AS hit_percent,
    d.stats_reset
   FROM pg_stat_database d
  WHERE (d.datname = current_database());


--
-- Name: VIEW cache_hit_ratio; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON VIEW monitoring.cache_hit_ratio IS 'How often a block this database read was already in shared buffers; below 99 % on a warm OLTP database, the working set does not fit shared_buffers.';


--
-- Name: COLUMN cache_hit_ratio.database; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.cache_hit_ratio.database IS 'This database.';


--
-- Name: COLUMN cache_hit_ratio.blks_hit; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.cache_hit_ratio.blks_hit IS 'Blocks found in shared buffers.';


--
-- Name: COLUMN cache_hit_ratio.blks_read; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.cache_hit_ratio.blks_read IS 'Blocks read from the operating system (its cache or disk).';


--
-- Name: COLUMN cache_hit_ratio.hit_percent; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.cache_hit_ratio.hit_percent IS 'blks_hit / (blks_hit + blks_read), percent.';


--
-- Name: COLUMN cache_hit_ratio.stats_reset; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.cache_hit_ratio.stats_reset IS 'Since when these counters run.';


--
-- Name: connections; Type: VIEW; Schema: monitoring; Owner: -
--

CREATE VIEW monitoring.connections AS
 SELECT COALESCE(a.usename, (a.backend_type)::name) AS role,
    COALESCE(a.state, 'background'::text) AS state,
    count(*) AS connections,
    max((now() - a.state_change)) AS longest_in_state,
    ( SELECT (s.setting)::integer AS setting
           FROM pg_settings s
          WHERE (s.name = 'max_connections'::text)) AS max_connections
   FROM pg_stat_activity a
  GROUP BY COALESCE(a.usename, (a.backend_type)::name), COALESCE(a.state, 'background'::text);


--
-- Name: VIEW connections; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON VIEW monitoring.connections IS 'Server connections by role and state (active, idle, idle in transaction...), against max_connections.';


--
-- Name: COLUMN connections.role; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.connections.role IS 'Login role, or the kind of background process.';


--
-- Name: COLUMN connections.state; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.connections.state IS 'active, idle, idle in transaction, ... (background for server processes).';


--
-- Name: COLUMN connections.connections; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.connections.connections IS 'How many.';


--
-- Name: COLUMN connections.longest_in_state; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.connections.longest_in_state IS 'The longest any of them has been in that state.';


--
-- Name: COLUMN connections.max_connections; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.connections.max_connections IS 'The server''s max_connections.';


--
-- Name: index_usage; Type: VIEW; Schema: monitoring; Owner: -
--

CREATE VIEW monitoring.index_usage AS
 SELECT i.schemaname AS schema,
    i.relname AS table_name,
    i.indexrelname AS index_name,
    i.idx_scan AS scans,
    i.idx_tup_read AS entries_read,
    pg_relation_size((i.indexrelid)::regclass) AS bytes,
    x.indisunique AS is_unique
   FROM (pg_stat_user_indexes i
     JOIN pg_index x ON ((x.indexrelid = i.indexrelid)));


--
-- Name: VIEW index_usage; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON VIEW monitoring.index_usage IS 'Indexes by use: a large index with no scans (and not unique) only costs writes.';


--
-- Name: COLUMN index_usage.schema; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.index_usage.schema IS 'Schema.';


--
-- Name: COLUMN index_usage.table_name; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.index_usage.table_name IS 'Table.';


--
-- Name: COLUMN index_usage.index_name; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.index_usage.index_name IS 'Index.';


--
-- Name: COLUMN index_usage.scans; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.index_usage.scans IS 'Index scans since the statistics were reset.';


--
-- Name: COLUMN index_usage.entries_read; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.index_usage.entries_read IS 'Index entries returned by those scans.';


--
-- Name: COLUMN index_usage.bytes; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.index_usage.bytes IS 'Size on disk.';


--
-- Name: COLUMN index_usage.is_unique; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.index_usage.is_unique IS 'A unique index enforces a rule even when never scanned.';


--
-- Name: backups; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.backups (
    label text NOT NULL,
    type text NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone NOT NULL,
    database_bytes bigint NOT NULL,
    repository_bytes bigint NOT NULL,
    CONSTRAINT backups_finished_after_start CHECK ((finished_at >= started_at)),
    CONSTRAINT backups_type_known CHECK ((type = ANY (ARRAY['full'::text, 'diff'::text, 'incr'::text])))
);


--
-- Name: TABLE backups; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.backups IS 'pgBackRest backups recorded by make backup (label, type, times, sizes). A restore to an earlier time forgets the backups taken after it; the repository still has them (make backups).';


--
-- Name: last_backup; Type: VIEW; Schema: monitoring; Owner: -
--

CREATE VIEW monitoring.last_backup AS
 SELECT b.label,
    b.type,
    b.finished_at,
    (now() - b.finished_at) AS age,
    b.database_bytes,
    b.repository_bytes
   FROM shop.backups b
  ORDER BY b.finished_at DESC
 LIMIT 1;


--
-- Name: VIEW last_backup; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON VIEW monitoring.last_backup IS 'The latest backup make backup recorded, and its age (alert when older than a day). Empty before the first.';


--
-- Name: COLUMN last_backup.label; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.last_backup.label IS 'pgBackRest backup label.';


--
-- Name: COLUMN last_backup.type; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.last_backup.type IS 'full, diff or incr.';


--
-- Name: COLUMN last_backup.finished_at; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.last_backup.finished_at IS 'When it finished.';


--
-- Name: COLUMN last_backup.age; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.last_backup.age IS 'How long ago.';


--
-- Name: COLUMN last_backup.database_bytes; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.last_backup.database_bytes IS 'Size of the database it covers.';


--
-- Name: COLUMN last_backup.repository_bytes; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.last_backup.repository_bytes IS 'Size it takes in the repository (compressed, this backup only).';


--
-- Name: lock_waits; Type: VIEW; Schema: monitoring; Owner: -
--

CREATE VIEW monitoring.lock_waits AS
 SELECT w.pid AS waiting_pid,
    w.usename AS waiting_role,
    w.wait_event_type,
    w.wait_event,
    (now() - w.query_start) AS waiting_for,
    pg_blocking_pids(w.pid) AS blocking_pids,
    "left"(regexp_replace(w.query, '\s+'::text, ' '::text, 'g'::text), 300) AS waiting_query,
    ( SELECT "left"(regexp_replace(b.query, '\s+'::text, ' '::text, 'g'::text), 300) AS "left"
           FROM pg_stat_activity b
          WHERE (b.pid = (pg_blocking_pids(w.pid))[1])) AS first_blocker_query
   FROM pg_stat_activity w
  WHERE (cardinality(pg_blocking_pids(w.pid)) > 0);


--
-- Name: VIEW lock_waits; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON VIEW monitoring.lock_waits IS 'Sessions waiting for a lock, who blocks them, and for how long.';


--
-- Name: COLUMN lock_waits.waiting_pid; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.lock_waits.waiting_pid IS 'The waiting backend.';


--
-- Name: COLUMN lock_waits.waiting_role; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.lock_waits.waiting_role IS 'Its login role.';


--
-- Name: COLUMN lock_waits.wait_event_type; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.lock_waits.wait_event_type IS 'Lock, usually.';


--
-- Name: COLUMN lock_waits.wait_event; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.lock_waits.wait_event IS 'The kind of lock (relation, transactionid, tuple...).';


--
-- Name: COLUMN lock_waits.waiting_for; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.lock_waits.waiting_for IS 'Since its statement started.';


--
-- Name: COLUMN lock_waits.blocking_pids; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.lock_waits.blocking_pids IS 'The backends it waits for.';


--
-- Name: COLUMN lock_waits.waiting_query; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.lock_waits.waiting_query IS 'What it runs (normalized text, 300 characters).';


--
-- Name: COLUMN lock_waits.first_blocker_query; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.lock_waits.first_blocker_query IS 'What the first blocker runs (or last ran).';


--
-- Name: long_transactions; Type: VIEW; Schema: monitoring; Owner: -
--

CREATE VIEW monitoring.long_transactions AS
 SELECT a.pid,
    a.usename AS role,
    a.state,
    (now() - a.xact_start) AS open_for,
    (a.backend_xmin IS NOT NULL) AS holds_back_vacuum,
    "left"(regexp_replace(a.query, '\s+'::text, ' '::text, 'g'::text), 300) AS query
   FROM pg_stat_activity a
  WHERE ((a.xact_start IS NOT NULL) AND (a.pid <> pg_backend_pid()));


--
-- Name: VIEW long_transactions; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON VIEW monitoring.long_transactions IS 'Open transactions, oldest first by open_for: a long one holds back vacuum and may hold locks.';


--
-- Name: COLUMN long_transactions.pid; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.long_transactions.pid IS 'The backend.';


--
-- Name: COLUMN long_transactions.role; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.long_transactions.role IS 'Its login role.';


--
-- Name: COLUMN long_transactions.state; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.long_transactions.state IS 'active, idle in transaction, ...';


--
-- Name: COLUMN long_transactions.open_for; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.long_transactions.open_for IS 'How long the transaction has been open.';


--
-- Name: COLUMN long_transactions.holds_back_vacuum; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.long_transactions.holds_back_vacuum IS 'True when its snapshot keeps dead rows from being removed.';


--
-- Name: COLUMN long_transactions.query; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.long_transactions.query IS 'Its current or last statement (300 characters).';


--
-- Name: replication; Type: VIEW; Schema: monitoring; Owner: -
--

CREATE VIEW monitoring.replication AS
 SELECT r.application_name AS standby,
    r.client_addr,
    r.state,
    r.sync_state,
    pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn) AS replay_lag_bytes,
    r.write_lag,
    r.flush_lag,
    r.replay_lag,
    s.slot_name,
    s.active AS slot_active,
    pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn) AS slot_retained_bytes
   FROM (pg_stat_replication r
     FULL JOIN pg_replication_slots s ON ((s.active_pid = r.pid)));


--
-- Name: VIEW replication; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON VIEW monitoring.replication IS 'On a primary, each standby (and replication slot): how far behind it is in bytes and time. Empty without a standby. On a standby, pg_last_xact_replay_timestamp() tells its own delay.';


--
-- Name: COLUMN replication.standby; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.replication.standby IS 'The standby''s application_name.';


--
-- Name: COLUMN replication.client_addr; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.replication.client_addr IS 'Its address (null over a unix socket).';


--
-- Name: COLUMN replication.state; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.replication.state IS 'streaming, catchup, ...';


--
-- Name: COLUMN replication.sync_state; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.replication.sync_state IS 'async or sync.';


--
-- Name: COLUMN replication.replay_lag_bytes; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.replication.replay_lag_bytes IS 'WAL written here and not yet replayed there.';


--
-- Name: COLUMN replication.write_lag; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.replication.write_lag IS 'Time until the standby wrote recent WAL.';


--
-- Name: COLUMN replication.flush_lag; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.replication.flush_lag IS 'Time until it flushed it.';


--
-- Name: COLUMN replication.replay_lag; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.replication.replay_lag IS 'Time until it replayed it (what readers of the standby see).';


--
-- Name: COLUMN replication.slot_name; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.replication.slot_name IS 'Replication slot keeping WAL for it.';


--
-- Name: COLUMN replication.slot_active; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.replication.slot_active IS 'False when the slot''s standby is disconnected (WAL piles up).';


--
-- Name: COLUMN replication.slot_retained_bytes; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.replication.slot_retained_bytes IS 'WAL the slot keeps on the primary''s disk.';


--
-- Name: table_health; Type: VIEW; Schema: monitoring; Owner: -
--

CREATE VIEW monitoring.table_health AS
 SELECT t.schemaname AS schema,
    t.relname AS table_name,
    t.n_live_tup AS live_rows,
    t.n_dead_tup AS dead_rows,
    round(((100.0 * (t.n_dead_tup)::numeric) / (NULLIF((t.n_live_tup + t.n_dead_tup), 0))::numeric), 2) AS dead_percent,
    GREATEST(t.last_vacuum, t.last_autovacuum) AS last_vacuum,
    GREATEST(t.last_analyze, t.last_autoanalyze) AS last_analyze,
    t.autovacuum_count,
    pg_total_relation_size((t.relid)::regclass) AS total_bytes
   FROM pg_stat_user_tables t;


--
-- Name: VIEW table_health; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON VIEW monitoring.table_health IS 'Tables by dead rows and when (auto)vacuum and analyze last ran: many dead rows and an old last_vacuum mean autovacuum is not keeping up.';


--
-- Name: COLUMN table_health.schema; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.table_health.schema IS 'Schema.';


--
-- Name: COLUMN table_health.table_name; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.table_health.table_name IS 'Table.';


--
-- Name: COLUMN table_health.live_rows; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.table_health.live_rows IS 'Estimated live rows.';


--
-- Name: COLUMN table_health.dead_rows; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.table_health.dead_rows IS 'Estimated dead rows waiting for vacuum.';


--
-- Name: COLUMN table_health.dead_percent; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.table_health.dead_percent IS 'dead_rows / (live_rows + dead_rows), percent.';


--
-- Name: COLUMN table_health.last_vacuum; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.table_health.last_vacuum IS 'The latest vacuum, manual or automatic.';


--
-- Name: COLUMN table_health.last_analyze; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.table_health.last_analyze IS 'The latest analyze, manual or automatic.';


--
-- Name: COLUMN table_health.autovacuum_count; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.table_health.autovacuum_count IS 'Autovacuum runs since the statistics were reset.';


--
-- Name: COLUMN table_health.total_bytes; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.table_health.total_bytes IS 'Size with indexes and TOAST.';


--
-- Name: top_statements; Type: VIEW; Schema: monitoring; Owner: -
--

CREATE VIEW monitoring.top_statements AS
 SELECT s.queryid,
    r.rolname AS role,
    s.toplevel,
    s.calls,
    round((s.total_exec_time)::numeric, 1) AS total_ms,
    round((s.mean_exec_time)::numeric, 3) AS mean_ms,
    round((s.max_exec_time)::numeric, 3) AS max_ms,
    s.rows,
    round(((100.0 * (s.shared_blks_hit)::numeric) / (NULLIF((s.shared_blks_hit + s.shared_blks_read), 0))::numeric), 2) AS cache_hit_percent,
    "left"(regexp_replace(s.query, '\s+'::text, ' '::text, 'g'::text), 500) AS query
   FROM (public.pg_stat_statements s
     JOIN pg_roles r ON ((r.oid = s.userid)))
  WHERE (s.dbid = ( SELECT d.oid
           FROM pg_database d
          WHERE (d.datname = current_database())));


--
-- Name: VIEW top_statements; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON VIEW monitoring.top_statements IS 'Statements of this database by their total and mean execution time (pg_stat_statements, nested statements inside functions included: toplevel false). Order by total_ms for the load, mean_ms for the slow ones.';


--
-- Name: COLUMN top_statements.queryid; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.top_statements.queryid IS 'pg_stat_statements query id (stable for the same normalized text).';


--
-- Name: COLUMN top_statements.role; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.top_statements.role IS 'The role that ran it (pgshop_api for the API).';


--
-- Name: COLUMN top_statements.toplevel; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.top_statements.toplevel IS 'False for a statement run inside a function.';


--
-- Name: COLUMN top_statements.calls; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.top_statements.calls IS 'Times executed since the statistics were reset.';


--
-- Name: COLUMN top_statements.total_ms; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.top_statements.total_ms IS 'Total execution time, milliseconds.';


--
-- Name: COLUMN top_statements.mean_ms; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.top_statements.mean_ms IS 'Mean execution time, milliseconds.';


--
-- Name: COLUMN top_statements.max_ms; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.top_statements.max_ms IS 'Slowest execution, milliseconds.';


--
-- Name: COLUMN top_statements.rows; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.top_statements.rows IS 'Rows returned or changed, in all.';


--
-- Name: COLUMN top_statements.cache_hit_percent; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.top_statements.cache_hit_percent IS 'Share of the blocks it read that were in shared buffers.';


--
-- Name: COLUMN top_statements.query; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.top_statements.query IS 'The normalized statement ($1 for values), first 500 characters.';


--
-- Name: wal_archiving; Type: VIEW; Schema: monitoring; Owner: -
--

CREATE VIEW monitoring.wal_archiving AS
 SELECT a.archived_count,
    a.last_archived_wal,
    a.last_archived_time,
    (now() - a.last_archived_time) AS since_last_archived,
    a.failed_count,
    a.last_failed_wal,
    a.last_failed_time,
    COALESCE((a.last_failed_time > a.last_archived_time), (a.last_failed_time IS NOT NULL)) AS failing,
    ( SELECT s.setting
           FROM pg_settings s
          WHERE (s.name = 'archive_mode'::text)) AS archive_mode
   FROM pg_stat_archiver a;


--
-- Name: VIEW wal_archiving; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON VIEW monitoring.wal_archiving IS 'WAL archiving (pgBackRest archive-push): failing means the newest attempt failed, so point-in-time recovery past last_archived_time is not possible until it works again.';


--
-- Name: COLUMN wal_archiving.archived_count; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.wal_archiving.archived_count IS 'Segments archived since the statistics were reset.';


--
-- Name: COLUMN wal_archiving.last_archived_wal; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.wal_archiving.last_archived_wal IS 'The latest segment archived.';


--
-- Name: COLUMN wal_archiving.last_archived_time; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.wal_archiving.last_archived_time IS 'When.';


--
-- Name: COLUMN wal_archiving.since_last_archived; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.wal_archiving.since_last_archived IS 'How long ago (archive_timeout forces one a minute).';


--
-- Name: COLUMN wal_archiving.failed_count; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.wal_archiving.failed_count IS 'Failed attempts since the statistics were reset.';


--
-- Name: COLUMN wal_archiving.last_failed_wal; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.wal_archiving.last_failed_wal IS 'The segment of the latest failure.';


--
-- Name: COLUMN wal_archiving.last_failed_time; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.wal_archiving.last_failed_time IS 'When it failed.';


--
-- Name: COLUMN wal_archiving.failing; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.wal_archiving.failing IS 'True when the latest attempt failed.';


--
-- Name: COLUMN wal_archiving.archive_mode; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.wal_archiving.archive_mode IS 'on when archiving is configured.';


--
-- Name: payment_events; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.payment_events (
    id bigint NOT NULL,
    provider text NOT NULL,
    provider_event_id text NOT NULL,
    type text NOT NULL,
    order_id bigint,
    payment_id bigint,
    provider_reference text,
    amount numeric(12,2),
    currency text,
    unmatched_reason text,
    raw jsonb NOT NULL,
    recorded_by text NOT NULL,
    recorded_by_user bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT payment_events_amount_finite CHECK ((amount <> 'NaN'::numeric)),
    CONSTRAINT payment_events_id_length CHECK (((length(provider_event_id) >= 1) AND (length(provider_event_id) <= 255))),
    CONSTRAINT payment_events_matched_or_why CHECK (((payment_id IS NULL) = (unmatched_reason IS NOT NULL))),
    CONSTRAINT payment_events_reason_known CHECK ((unmatched_reason = ANY (ARRAY['unknown_order'::text, 'unknown_payment'::text, 'order_not_payable'::text, 'amount_mismatch'::text, 'currency_mismatch'::text]))),
    CONSTRAINT payment_events_recorded_by_known CHECK ((recorded_by = ANY (ARRAY['provider'::text, 'admin'::text])))
);


--
-- Name: TABLE payment_events; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.payment_events IS 'Append-only ledger of payment events: provider webhooks (raw as received), manual payments and refund requests (by admins). Unmatched events (unmatched_reason) changed nothing and wait for an admin.';


--
-- Name: COLUMN payment_events.unmatched_reason; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.payment_events.unmatched_reason IS 'Why the event changed nothing: unknown_order, unknown_payment, order_not_payable (cancelled, or paid already), amount_mismatch (not the balance due), currency_mismatch.';


--
-- Name: webhooks; Type: VIEW; Schema: monitoring; Owner: -
--

CREATE VIEW monitoring.webhooks AS
 SELECT count(*) FILTER (WHERE (d.status = 'pending'::text)) AS pending,
    count(*) FILTER (WHERE (d.status = 'failed'::text)) AS failed,
    COALESCE(EXTRACT(epoch FROM (now() - min(d.retry_from) FILTER (WHERE (d.status = 'pending'::text)))), (0)::numeric) AS oldest_pending_seconds,
    ( SELECT count(*) AS count
           FROM shop.payment_events e
          WHERE (e.unmatched_reason IS NOT NULL)) AS unmatched_payments
   FROM shop.webhook_deliveries d
  WHERE (d.status <> 'delivered'::text);


--
-- Name: VIEW webhooks; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON VIEW monitoring.webhooks IS 'Webhook deliveries pending (oldest_pending_seconds: how long the oldest has waited) and failed (after 24 hours of retries or an address not allowed, kept for event_retention), and provider events recorded unmatched.';


--
-- Name: COLUMN webhooks.pending; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.webhooks.pending IS 'Deliveries still to be made (first try or a retry).';


--
-- Name: COLUMN webhooks.failed; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.webhooks.failed IS 'Deliveries given up on; an admin can redeliver them.';


--
-- Name: COLUMN webhooks.oldest_pending_seconds; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.webhooks.oldest_pending_seconds IS 'How long the oldest pending delivery has been tried (since its creation or redelivery): grows without bound when no worker runs.';


--
-- Name: COLUMN webhooks.unmatched_payments; Type: COMMENT; Schema: monitoring; Owner: -
--

COMMENT ON COLUMN monitoring.webhooks.unmatched_payments IS 'Provider events that matched no payable order (GET /api/admin/payments/unmatched).';


--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version character varying NOT NULL
);


--
-- Name: procrastinate_events; Type: TABLE; Schema: queue; Owner: -
--

CREATE TABLE queue.procrastinate_events (
    id bigint NOT NULL,
    job_id bigint NOT NULL,
    type queue.procrastinate_job_event_type,
    at timestamp with time zone DEFAULT now()
);


--
-- Name: procrastinate_events_id_seq; Type: SEQUENCE; Schema: queue; Owner: -
--

CREATE SEQUENCE queue.procrastinate_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: procrastinate_events_id_seq; Type: SEQUENCE OWNED BY; Schema: queue; Owner: -
--

ALTER SEQUENCE queue.procrastinate_events_id_seq OWNED BY queue.procrastinate_events.id;


--
-- Name: procrastinate_jobs_id_seq; Type: SEQUENCE; Schema: queue; Owner: -
--

CREATE SEQUENCE queue.procrastinate_jobs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: procrastinate_jobs_id_seq; Type: SEQUENCE OWNED BY; Schema: queue; Owner: -
--

ALTER SEQUENCE queue.procrastinate_jobs_id_seq OWNED BY queue.procrastinate_jobs.id;


--
-- Name: procrastinate_periodic_defers; Type: TABLE; Schema: queue; Owner: -
--

CREATE TABLE queue.procrastinate_periodic_defers (
    id bigint NOT NULL,
    task_name character varying(128) NOT NULL,
    defer_timestamp bigint,
    job_id bigint,
    periodic_id character varying(128) DEFAULT ''::character varying NOT NULL
);


--
-- Name: procrastinate_periodic_defers_id_seq; Type: SEQUENCE; Schema: queue; Owner: -
--

CREATE SEQUENCE queue.procrastinate_periodic_defers_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: procrastinate_periodic_defers_id_seq; Type: SEQUENCE OWNED BY; Schema: queue; Owner: -
--

ALTER SEQUENCE queue.procrastinate_periodic_defers_id_seq OWNED BY queue.procrastinate_periodic_defers.id;


--
-- Name: procrastinate_workers; Type: TABLE; Schema: queue; Owner: -
--

CREATE TABLE queue.procrastinate_workers (
    id bigint NOT NULL,
    last_heartbeat timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: procrastinate_workers_id_seq; Type: SEQUENCE; Schema: queue; Owner: -
--

ALTER TABLE queue.procrastinate_workers ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME queue.procrastinate_workers_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: order_statuses; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.order_statuses (
    status text NOT NULL,
    "position" integer NOT NULL,
    counts_as_revenue boolean DEFAULT false NOT NULL
);


--
-- Name: TABLE order_statuses; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.order_statuses IS 'The order statuses, in workflow order.';


--
-- Name: COLUMN order_statuses.counts_as_revenue; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.order_statuses.counts_as_revenue IS 'True for the statuses whose orders count as revenue (paid, shipped, delivered): daily sales, reports, views.';


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
  WHERE ((o.status)::text IN ( SELECT s.status
           FROM shop.order_statuses s
          WHERE s.counts_as_revenue))
  GROUP BY o.user_id
  WITH NO DATA;


--
-- Name: MATERIALIZED VIEW customer_summary; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON MATERIALIZED VIEW reporting.customer_summary IS 'One row per customer with at least one revenue order (paid, shipped, delivered). Deliberately no email, name or address: customer_id is the only key. Refreshed by lib.refresh_reporting().';


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
    CONSTRAINT daily_sales_not_negative CHECK (((orders >= 0) AND (units >= 0) AND (revenue >= (0)::numeric))),
    CONSTRAINT daily_sales_revenue_finite CHECK ((revenue <> 'NaN'::numeric))
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
    closed_at timestamp with time zone,
    variant_id bigint NOT NULL
);


--
-- Name: TABLE low_stock_alerts; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.low_stock_alerts IS 'Opened when a variant''s stock falls to or below its threshold (one open alert per variant), closed when restocked above it.';


--
-- Name: COLUMN low_stock_alerts.variant_id; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.low_stock_alerts.variant_id IS 'The variant low on stock.';


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
    variant_id bigint NOT NULL,
    options jsonb DEFAULT '{}'::jsonb NOT NULL,
    CONSTRAINT order_items_prices_finite CHECK (((unit_price <> 'NaN'::numeric) AND (total_price <> 'NaN'::numeric))),
    CONSTRAINT order_items_quantity_positive CHECK ((quantity > 0)),
    CONSTRAINT order_items_total_is_price_times_quantity CHECK ((total_price = (unit_price * (quantity)::numeric))),
    CONSTRAINT order_items_unit_price_not_negative CHECK ((unit_price >= (0)::numeric))
);


--
-- Name: TABLE order_items; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.order_items IS 'Order lines with name, SKU and unit price as they were at checkout: later product changes never alter them.';


--
-- Name: COLUMN order_items.variant_id; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.order_items.variant_id IS 'The variant sold (its SKU and options as they were: sku, options).';


--
-- Name: COLUMN order_items.options; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.order_items.options IS 'The variant''s option values at checkout, {"Size": "M", "Colour": "Red"}.';


--
-- Name: product_option_values; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.product_option_values (
    id bigint NOT NULL,
    option_id bigint NOT NULL,
    value text NOT NULL,
    "position" integer DEFAULT 0 NOT NULL,
    CONSTRAINT product_option_values_value_size CHECK (((btrim(value) <> ''::text) AND (length(value) <= 100)))
);


--
-- Name: TABLE product_option_values; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.product_option_values IS 'The values an option offers (S, M, L), ordered by position.';


--
-- Name: variant_option_values; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.variant_option_values (
    variant_id bigint NOT NULL,
    product_id bigint NOT NULL,
    option_id bigint NOT NULL,
    value_id bigint NOT NULL
);


--
-- Name: TABLE variant_option_values; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.variant_option_values IS 'The value a variant has for each option of its product: one per option (the key), of that option and product (the foreign keys); that none is missing is checked at commit.';


--
-- Name: inventory_status; Type: MATERIALIZED VIEW; Schema: reporting; Owner: -
--

CREATE MATERIALIZED VIEW reporting.inventory_status AS
 SELECT v.product_id,
    v.id AS variant_id,
    p.name,
    v.sku,
    COALESCE(( SELECT jsonb_object_agg(o.name, ov.value ORDER BY o."position", o.id) AS jsonb_object_agg
           FROM ((shop.variant_option_values vo
             JOIN shop.product_options o ON ((o.id = vo.option_id)))
             JOIN shop.product_option_values ov ON ((ov.id = vo.value_id)))
          WHERE (vo.variant_id = v.id)), '{}'::jsonb) AS options,
    p.category_id,
    (p.is_active AND v.is_active) AS is_active,
    v.stock_quantity,
    v.low_stock_threshold,
    (v.stock_quantity <= v.low_stock_threshold) AS is_low,
    a.opened_at AS low_since,
    COALESCE(s.units, (0)::bigint) AS units_last_30_days,
    round(((v.stock_quantity)::numeric / NULLIF(((s.units)::numeric / 30.0), (0)::numeric)), 1) AS days_of_cover,
    COALESCE(s.units_sold, (0)::bigint) AS units_sold,
    (COALESCE(s.revenue, (0)::numeric))::numeric(14,2) AS revenue,
    COALESCE(s.orders, (0)::bigint) AS orders,
    s.last_sold_at,
    now() AS refreshed_at
   FROM (((shop.variants v
     JOIN shop.products p ON ((p.id = v.product_id)))
     LEFT JOIN shop.low_stock_alerts a ON (((a.variant_id = v.id) AND (a.closed_at IS NULL))))
     LEFT JOIN ( SELECT oi.variant_id,
            sum(oi.quantity) AS units_sold,
            sum(oi.total_price) AS revenue,
            count(DISTINCT oi.order_id) AS orders,
            max(o.created_at) AS last_sold_at,
            sum(oi.quantity) FILTER (WHERE (o.created_at >= (now() - '30 days'::interval))) AS units
           FROM (shop.order_items oi
             JOIN shop.orders o ON ((o.id = oi.order_id)))
          WHERE ((o.status)::text IN ( SELECT s_1.status
                   FROM shop.order_statuses s_1
                  WHERE s_1.counts_as_revenue))
          GROUP BY oi.variant_id) s ON ((s.variant_id = v.id)))
  WHERE ((v.deleted_at IS NULL) AND (p.deleted_at IS NULL))
  WITH NO DATA;


--
-- Name: MATERIALIZED VIEW inventory_status; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON MATERIALIZED VIEW reporting.inventory_status IS 'Stock position and sales of every live variant: on hand, threshold, low or not since when, days of cover at the last 30 days'' pace, and what it sold (revenue orders, all time). Refreshed by lib.refresh_reporting(); the admin API''s low-stock list is real time.';


--
-- Name: COLUMN inventory_status.product_id; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.product_id IS 'Product id (shop.products.id).';


--
-- Name: COLUMN inventory_status.variant_id; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.variant_id IS 'Variant id (shop.variants.id): one row each.';


--
-- Name: COLUMN inventory_status.name; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.name IS 'Product name.';


--
-- Name: COLUMN inventory_status.sku; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.sku IS 'The variant''s SKU.';


--
-- Name: COLUMN inventory_status.options; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.options IS 'The variant''s option values, {"Size": "M"} ({} without options).';


--
-- Name: COLUMN inventory_status.category_id; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.category_id IS 'Category the product is filed under.';


--
-- Name: COLUMN inventory_status.is_active; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.is_active IS 'False when the product or the variant is hidden from the shop.';


--
-- Name: COLUMN inventory_status.stock_quantity; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.stock_quantity IS 'Units on hand at refresh time.';


--
-- Name: COLUMN inventory_status.low_stock_threshold; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.low_stock_threshold IS 'At or below this the variant is low on stock.';


--
-- Name: COLUMN inventory_status.is_low; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.is_low IS 'stock_quantity <= low_stock_threshold.';


--
-- Name: COLUMN inventory_status.low_since; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.low_since IS 'When its open low-stock alert opened (null: none open).';


--
-- Name: COLUMN inventory_status.units_last_30_days; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.units_last_30_days IS 'Units sold in revenue orders of the last 30 days.';


--
-- Name: COLUMN inventory_status.days_of_cover; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.days_of_cover IS 'stock_quantity / (units_last_30_days / 30); null when nothing sold.';


--
-- Name: COLUMN inventory_status.units_sold; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.units_sold IS 'Units of the variant sold in revenue orders, all time.';


--
-- Name: COLUMN inventory_status.revenue; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.revenue IS 'Revenue of those units at the prices they sold for.';


--
-- Name: COLUMN inventory_status.orders; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.orders IS 'Revenue orders with at least one line of the variant.';


--
-- Name: COLUMN inventory_status.last_sold_at; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.last_sold_at IS 'When the latest of those orders was placed.';


--
-- Name: COLUMN inventory_status.refreshed_at; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_status.refreshed_at IS 'When this row was computed.';


--
-- Name: product_performance; Type: MATERIALIZED VIEW; Schema: reporting; Owner: -
--

CREATE MATERIALIZED VIEW reporting.product_performance AS
 WITH sales AS (
         SELECT oi.product_id,
            sum(oi.quantity) AS units_sold,
            sum(oi.total_price) AS revenue,
            count(DISTINCT oi.order_id) AS orders,
            max(o.created_at) AS last_sold_at,
            COALESCE(sum(oi.quantity) FILTER (WHERE (o.created_at >= (now() - '30 days'::interval))), (0)::bigint) AS units_last_30_days
           FROM (shop.order_items oi
             JOIN shop.orders o ON ((o.id = oi.order_id)))
          WHERE ((o.status)::text IN ( SELECT s_1.status
                   FROM shop.order_statuses s_1
                  WHERE s_1.counts_as_revenue))
          GROUP BY oi.product_id
        ), stock AS (
         SELECT v.product_id,
            sum(v.stock_quantity) AS on_hand,
            count(*) AS variants,
            (array_agg(v.sku ORDER BY v."position", v.id))[1] AS sku
           FROM shop.variants v
          WHERE (v.deleted_at IS NULL)
          GROUP BY v.product_id
        )
 SELECT p.id AS product_id,
    p.name,
    st.sku,
    p.category_id,
    p.price AS current_price,
    p.is_active,
    (p.deleted_at IS NOT NULL) AS is_deleted,
    COALESCE(s.units_sold, (0)::bigint) AS units_sold,
    (COALESCE(s.revenue, (0)::numeric))::numeric(14,2) AS revenue,
    COALESCE(s.orders, (0)::bigint) AS orders,
    s.last_sold_at,
    COALESCE(st.on_hand, (0)::bigint) AS stock_on_hand,
    COALESCE(s.units_last_30_days, (0)::bigint) AS units_last_30_days,
    round(((COALESCE(st.on_hand, (0)::bigint))::numeric / NULLIF(((s.units_last_30_days)::numeric / 30.0), (0)::numeric)), 1) AS days_of_cover,
    COALESCE(st.variants, (0)::bigint) AS variants,
    now() AS refreshed_at
   FROM ((shop.products p
     LEFT JOIN sales s ON ((s.product_id = p.id)))
     LEFT JOIN stock st ON ((st.product_id = p.id)))
  WITH NO DATA;


--
-- Name: MATERIALIZED VIEW product_performance; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON MATERIALIZED VIEW reporting.product_performance IS 'One row per product (deleted ones included, flagged): what it sold (paid, shipped, delivered orders, all its variants), its stock (all live variants) and how long that stock lasts at the last 30 days'' pace. Refreshed by lib.refresh_reporting(); per variant: reporting.inventory_status.';


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

COMMENT ON COLUMN reporting.product_performance.sku IS 'SKU of its default variant (the first live one).';


--
-- Name: COLUMN product_performance.category_id; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.category_id IS 'Category the product is filed under.';


--
-- Name: COLUMN product_performance.current_price; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.current_price IS 'Current price of its default variant (orders keep the price they were sold at).';


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

COMMENT ON COLUMN reporting.product_performance.units_sold IS 'Units sold in revenue orders, all time, every variant.';


--
-- Name: COLUMN product_performance.revenue; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.revenue IS 'Revenue of those units at the prices they sold for.';


--
-- Name: COLUMN product_performance.orders; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.orders IS 'Revenue orders with at least one line of the product.';


--
-- Name: COLUMN product_performance.last_sold_at; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.last_sold_at IS 'When the latest of those orders was placed.';


--
-- Name: COLUMN product_performance.stock_on_hand; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.stock_on_hand IS 'Units on hand, all live variants, at refresh time.';


--
-- Name: COLUMN product_performance.units_last_30_days; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.units_last_30_days IS 'Units sold in revenue orders of the last 30 days.';


--
-- Name: COLUMN product_performance.days_of_cover; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.days_of_cover IS 'stock_on_hand / (units_last_30_days / 30): days until sold out at that pace; null when nothing sold.';


--
-- Name: COLUMN product_performance.variants; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.variants IS 'Live variants of the product.';


--
-- Name: COLUMN product_performance.refreshed_at; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.product_performance.refreshed_at IS 'When this row was computed.';


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
          WHERE ((o.status)::text IN ( SELECT s.status
                   FROM shop.order_statuses s
                  WHERE s.counts_as_revenue))
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

COMMENT ON MATERIALIZED VIEW reporting.sales_by_category IS 'Sales per category with its whole subtree rolled up (a parent includes its children''s sales). Revenue orders only (paid, shipped, delivered). Refreshed by lib.refresh_reporting().';


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
-- Name: attempts; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.attempts (
    id bigint NOT NULL,
    kind text NOT NULL,
    key text NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT attempts_kind_known CHECK ((kind = ANY (ARRAY['login_failure'::text, 'auth'::text, 'checkout'::text])))
);


--
-- Name: TABLE attempts; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.attempts IS 'Rate-limited attempts: login_failure (key: email in lower case, existing or not), auth (key: client address; logins and registrations), checkout (key: user id). Purged after the longest window.';


--
-- Name: attempts_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


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
    variant_id bigint NOT NULL,
    CONSTRAINT cart_items_quantity_positive CHECK ((quantity > 0))
);


--
-- Name: TABLE cart_items; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.cart_items IS 'Cart lines: one per variant and cart, quantity at least 1.';


--
-- Name: COLUMN cart_items.variant_id; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.cart_items.variant_id IS 'The variant in the cart.';


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
-- Name: currencies; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.currencies (
    code text NOT NULL,
    minor_units integer NOT NULL,
    CONSTRAINT currencies_code_format CHECK ((code ~ '^[A-Z]{3}$'::text)),
    CONSTRAINT currencies_minor_units_fit CHECK (((minor_units >= 0) AND (minor_units <= 2)))
);


--
-- Name: TABLE currencies; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.currencies IS 'Currencies an order can be in, and the decimals of their minor unit (amounts from providers are in minor units).';


--
-- Name: event_types; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.event_types (
    type text NOT NULL,
    description text NOT NULL
);


--
-- Name: TABLE event_types; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.event_types IS 'The types of shop.outbox events that webhook endpoints can subscribe to.';


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
-- Name: imports_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.imports ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.imports_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: layer_legacy; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.layer_legacy (
    "position" integer NOT NULL,
    kind text NOT NULL,
    identity text NOT NULL,
    definition text NOT NULL,
    CONSTRAINT layer_legacy_kind_known CHECK ((kind = ANY (ARRAY['routine'::text, 'view'::text, 'trigger'::text])))
);


--
-- Name: TABLE layer_legacy; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.layer_legacy IS 'The routines, plain views and triggers the migrations before 20261208100000 made, as they made them: the down of that migration restores them (the earlier downs drop them by name). Nothing else reads it.';


--
-- Name: COLUMN layer_legacy."position"; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.layer_legacy."position" IS 'Restore order within a kind: the order they were made in.';


--
-- Name: COLUMN layer_legacy.kind; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.layer_legacy.kind IS 'routine, view or trigger.';


--
-- Name: COLUMN layer_legacy.identity; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.layer_legacy.identity IS 'The routine''s signature, the view''s name, or "trigger on table".';


--
-- Name: COLUMN layer_legacy.definition; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.layer_legacy.definition IS 'Its definition as PostgreSQL prints it (pg_get_*def).';


--
-- Name: layer_legacy_position_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.layer_legacy ALTER COLUMN "position" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.layer_legacy_position_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


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
    changed_at timestamp with time zone DEFAULT now() NOT NULL,
    actor text,
    reason text,
    CONSTRAINT order_status_history_actor_known CHECK ((actor = ANY (ARRAY['customer'::text, 'admin'::text, 'payment'::text, 'expiry'::text, 'sql'::text])))
);


--
-- Name: TABLE order_status_history; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.order_status_history IS 'Every status an order took, when, and who set it (changed_by: the API user; db_role: the database login).';


--
-- Name: COLUMN order_status_history.actor; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.order_status_history.actor IS 'customer or admin (the API caller), payment (captured payments cover the order), expiry (unpaid in time), sql (by hand).';


--
-- Name: COLUMN order_status_history.reason; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.order_status_history.reason IS 'Why, when the change says: unpaid for an expired order.';


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
-- Name: outbox; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.outbox (
    id bigint NOT NULL,
    event_id uuid DEFAULT gen_random_uuid() NOT NULL,
    type text NOT NULL,
    resource text NOT NULL,
    reason text,
    data jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: TABLE outbox; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.outbox IS 'Domain events, written by triggers in the transaction of the change: event_id (stable, for receivers to dedupe), type, the resource it is about (order/<id>, product/<id>: deliveries of one resource keep their order) and its JSON as of the change.';


--
-- Name: outbox_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.outbox ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.outbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: payment_events_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.payment_events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.payment_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: payments_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.payments ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.payments_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: price_bands; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.price_bands (
    lower_bound numeric(12,2) NOT NULL,
    CONSTRAINT price_bands_lower_bound_valid CHECK (((lower_bound >= (0)::numeric) AND (lower_bound <> 'NaN'::numeric)))
);


--
-- Name: TABLE price_bands; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.price_bands IS 'Price bands of GET /api/products/facets: each band runs from its lower bound up to the next one''s (the last has no upper bound). Change the rows to change the bands.';


--
-- Name: product_option_values_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.product_option_values ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.product_option_values_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: product_options_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.product_options ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.product_options_id_seq
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
    variant_id bigint NOT NULL,
    CONSTRAINT stock_movements_delta_not_zero CHECK ((delta <> 0)),
    CONSTRAINT stock_movements_order_for_sale_and_cancel CHECK (((reason = ANY (ARRAY['sale'::text, 'cancel'::text])) = (order_id IS NOT NULL))),
    CONSTRAINT stock_movements_reason_known CHECK ((reason = ANY (ARRAY['initial'::text, 'restock'::text, 'sale'::text, 'cancel'::text, 'adjustment'::text, 'import'::text]))),
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
-- Name: COLUMN stock_movements.variant_id; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.stock_movements.variant_id IS 'The variant whose stock changed.';


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
 SELECT v.product_id,
    v.id AS variant_id,
    v.stock_quantity,
    (COALESCE(m.ledger_quantity, (0)::bigint))::integer AS ledger_quantity,
    (v.stock_quantity - COALESCE(m.ledger_quantity, (0)::bigint)) AS difference
   FROM (shop.variants v
     LEFT JOIN ( SELECT sm.variant_id,
            sum(sm.delta) AS ledger_quantity
           FROM shop.stock_movements sm
          GROUP BY sm.variant_id) m ON ((m.variant_id = v.id)));


--
-- Name: VIEW stock_reconciliation; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON VIEW shop.stock_reconciliation IS 'Stock on hand against the sum of the ledger, per variant; difference is always 0.';


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
-- Name: variant_checks; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.variant_checks (
    id bigint NOT NULL,
    product_ids bigint[] NOT NULL
);


--
-- Name: TABLE variant_checks; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.variant_checks IS 'Products whose variants a statement changed, queued for the completeness check at commit (a deferred trigger checks and removes them: empty between transactions).';


--
-- Name: variant_checks_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.variant_checks ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.variant_checks_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: variants_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.variants ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.variants_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: webhook_deliveries_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.webhook_deliveries ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.webhook_deliveries_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: webhook_endpoints_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.webhook_endpoints ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.webhook_endpoints_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: procrastinate_events id; Type: DEFAULT; Schema: queue; Owner: -
--

ALTER TABLE ONLY queue.procrastinate_events ALTER COLUMN id SET DEFAULT nextval('queue.procrastinate_events_id_seq'::regclass);


--
-- Name: procrastinate_jobs id; Type: DEFAULT; Schema: queue; Owner: -
--

ALTER TABLE ONLY queue.procrastinate_jobs ALTER COLUMN id SET DEFAULT nextval('queue.procrastinate_jobs_id_seq'::regclass);


--
-- Name: procrastinate_periodic_defers id; Type: DEFAULT; Schema: queue; Owner: -
--

ALTER TABLE ONLY queue.procrastinate_periodic_defers ALTER COLUMN id SET DEFAULT nextval('queue.procrastinate_periodic_defers_id_seq'::regclass);


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
-- Name: procrastinate_events procrastinate_events_pkey; Type: CONSTRAINT; Schema: queue; Owner: -
--

ALTER TABLE ONLY queue.procrastinate_events
    ADD CONSTRAINT procrastinate_events_pkey PRIMARY KEY (id);


--
-- Name: procrastinate_jobs procrastinate_jobs_pkey; Type: CONSTRAINT; Schema: queue; Owner: -
--

ALTER TABLE ONLY queue.procrastinate_jobs
    ADD CONSTRAINT procrastinate_jobs_pkey PRIMARY KEY (id);


--
-- Name: procrastinate_periodic_defers procrastinate_periodic_defers_pkey; Type: CONSTRAINT; Schema: queue; Owner: -
--

ALTER TABLE ONLY queue.procrastinate_periodic_defers
    ADD CONSTRAINT procrastinate_periodic_defers_pkey PRIMARY KEY (id);


--
-- Name: procrastinate_periodic_defers procrastinate_periodic_defers_unique; Type: CONSTRAINT; Schema: queue; Owner: -
--

ALTER TABLE ONLY queue.procrastinate_periodic_defers
    ADD CONSTRAINT procrastinate_periodic_defers_unique UNIQUE (task_name, periodic_id, defer_timestamp);


--
-- Name: procrastinate_workers procrastinate_workers_pkey; Type: CONSTRAINT; Schema: queue; Owner: -
--

ALTER TABLE ONLY queue.procrastinate_workers
    ADD CONSTRAINT procrastinate_workers_pkey PRIMARY KEY (id);


--
-- Name: attempts attempts_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.attempts
    ADD CONSTRAINT attempts_pkey PRIMARY KEY (id);


--
-- Name: backups backups_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.backups
    ADD CONSTRAINT backups_pkey PRIMARY KEY (label);


--
-- Name: cart_items cart_items_one_line_per_variant; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.cart_items
    ADD CONSTRAINT cart_items_one_line_per_variant UNIQUE (cart_id, variant_id);


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
-- Name: currencies currencies_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.currencies
    ADD CONSTRAINT currencies_pkey PRIMARY KEY (code);


--
-- Name: daily_sales daily_sales_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.daily_sales
    ADD CONSTRAINT daily_sales_pkey PRIMARY KEY (day);


--
-- Name: event_types event_types_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.event_types
    ADD CONSTRAINT event_types_pkey PRIMARY KEY (type);


--
-- Name: idempotency_keys idempotency_keys_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.idempotency_keys
    ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (user_id, key);


--
-- Name: imports imports_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.imports
    ADD CONSTRAINT imports_pkey PRIMARY KEY (id);


--
-- Name: layer_legacy layer_legacy_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.layer_legacy
    ADD CONSTRAINT layer_legacy_pkey PRIMARY KEY ("position");


--
-- Name: low_stock_alerts low_stock_alerts_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.low_stock_alerts
    ADD CONSTRAINT low_stock_alerts_pkey PRIMARY KEY (id);


--
-- Name: order_items order_items_one_line_per_variant; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.order_items
    ADD CONSTRAINT order_items_one_line_per_variant UNIQUE (order_id, variant_id);


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
-- Name: outbox outbox_event_id_key; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.outbox
    ADD CONSTRAINT outbox_event_id_key UNIQUE (event_id);


--
-- Name: outbox outbox_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.outbox
    ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);


--
-- Name: payment_events payment_events_once; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.payment_events
    ADD CONSTRAINT payment_events_once UNIQUE (provider, provider_event_id);


--
-- Name: payment_events payment_events_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.payment_events
    ADD CONSTRAINT payment_events_pkey PRIMARY KEY (id);


--
-- Name: payments payments_one_per_reference; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.payments
    ADD CONSTRAINT payments_one_per_reference UNIQUE (provider, provider_reference);


--
-- Name: payments payments_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.payments
    ADD CONSTRAINT payments_pkey PRIMARY KEY (id);


--
-- Name: price_bands price_bands_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.price_bands
    ADD CONSTRAINT price_bands_pkey PRIMARY KEY (lower_bound);


--
-- Name: product_option_values product_option_values_id_option_key; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.product_option_values
    ADD CONSTRAINT product_option_values_id_option_key UNIQUE (id, option_id);


--
-- Name: product_option_values product_option_values_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.product_option_values
    ADD CONSTRAINT product_option_values_pkey PRIMARY KEY (id);


--
-- Name: product_options product_options_id_product_key; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.product_options
    ADD CONSTRAINT product_options_id_product_key UNIQUE (id, product_id);


--
-- Name: product_options product_options_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.product_options
    ADD CONSTRAINT product_options_pkey PRIMARY KEY (id);


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
-- Name: settings settings_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.settings
    ADD CONSTRAINT settings_pkey PRIMARY KEY (name);


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
-- Name: variant_checks variant_checks_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.variant_checks
    ADD CONSTRAINT variant_checks_pkey PRIMARY KEY (id);


--
-- Name: variant_option_values variant_option_values_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.variant_option_values
    ADD CONSTRAINT variant_option_values_pkey PRIMARY KEY (variant_id, option_id);


--
-- Name: variants variants_id_product_key; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.variants
    ADD CONSTRAINT variants_id_product_key UNIQUE (id, product_id);


--
-- Name: variants variants_one_per_combination; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.variants
    ADD CONSTRAINT variants_one_per_combination EXCLUDE USING btree (product_id WITH =, combination WITH =) WHERE ((deleted_at IS NULL)) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: variants variants_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.variants
    ADD CONSTRAINT variants_pkey PRIMARY KEY (id);


--
-- Name: webhook_deliveries webhook_deliveries_once; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_once UNIQUE (endpoint_id, outbox_id);


--
-- Name: webhook_deliveries webhook_deliveries_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (id);


--
-- Name: webhook_endpoints webhook_endpoints_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.webhook_endpoints
    ADD CONSTRAINT webhook_endpoints_pkey PRIMARY KEY (id);


--
-- Name: log_row_idx; Type: INDEX; Schema: audit; Owner: -
--

CREATE INDEX log_row_idx ON audit.log USING btree (table_name, row_id, id DESC);


--
-- Name: idx_procrastinate_jobs_worker_not_null; Type: INDEX; Schema: queue; Owner: -
--

CREATE INDEX idx_procrastinate_jobs_worker_not_null ON queue.procrastinate_jobs USING btree (worker_id) WHERE ((worker_id IS NOT NULL) AND (status = 'doing'::queue.procrastinate_job_status));


--
-- Name: idx_procrastinate_workers_last_heartbeat; Type: INDEX; Schema: queue; Owner: -
--

CREATE INDEX idx_procrastinate_workers_last_heartbeat ON queue.procrastinate_workers USING btree (last_heartbeat);


--
-- Name: pgshop_jobs_lock_idx; Type: INDEX; Schema: queue; Owner: -
--

CREATE INDEX pgshop_jobs_lock_idx ON queue.procrastinate_jobs USING btree (lock, id) WHERE (status = ANY (ARRAY['todo'::queue.procrastinate_job_status, 'doing'::queue.procrastinate_job_status]));


--
-- Name: procrastinate_events_job_id_fkey_v1; Type: INDEX; Schema: queue; Owner: -
--

CREATE INDEX procrastinate_events_job_id_fkey_v1 ON queue.procrastinate_events USING btree (job_id);


--
-- Name: procrastinate_jobs_id_lock_idx_v1; Type: INDEX; Schema: queue; Owner: -
--

CREATE INDEX procrastinate_jobs_id_lock_idx_v1 ON queue.procrastinate_jobs USING btree (id, lock) WHERE (status = ANY (ARRAY['todo'::queue.procrastinate_job_status, 'doing'::queue.procrastinate_job_status]));


--
-- Name: procrastinate_jobs_lock_idx_v1; Type: INDEX; Schema: queue; Owner: -
--

CREATE UNIQUE INDEX procrastinate_jobs_lock_idx_v1 ON queue.procrastinate_jobs USING btree (lock) WHERE (status = 'doing'::queue.procrastinate_job_status);


--
-- Name: procrastinate_jobs_priority_idx_v1; Type: INDEX; Schema: queue; Owner: -
--

CREATE INDEX procrastinate_jobs_priority_idx_v1 ON queue.procrastinate_jobs USING btree (priority DESC, id) WHERE (status = 'todo'::queue.procrastinate_job_status);


--
-- Name: procrastinate_jobs_queue_name_idx_v1; Type: INDEX; Schema: queue; Owner: -
--

CREATE INDEX procrastinate_jobs_queue_name_idx_v1 ON queue.procrastinate_jobs USING btree (queue_name);


--
-- Name: procrastinate_jobs_queueing_lock_idx_v1; Type: INDEX; Schema: queue; Owner: -
--

CREATE UNIQUE INDEX procrastinate_jobs_queueing_lock_idx_v1 ON queue.procrastinate_jobs USING btree (queueing_lock) WHERE (status = 'todo'::queue.procrastinate_job_status);


--
-- Name: procrastinate_periodic_defers_job_id_fkey_v1; Type: INDEX; Schema: queue; Owner: -
--

CREATE INDEX procrastinate_periodic_defers_job_id_fkey_v1 ON queue.procrastinate_periodic_defers USING btree (job_id);


--
-- Name: customer_summary_customer_id_key; Type: INDEX; Schema: reporting; Owner: -
--

CREATE UNIQUE INDEX customer_summary_customer_id_key ON reporting.customer_summary USING btree (customer_id);


--
-- Name: inventory_status_variant_id_key; Type: INDEX; Schema: reporting; Owner: -
--

CREATE UNIQUE INDEX inventory_status_variant_id_key ON reporting.inventory_status USING btree (variant_id);


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
-- Name: attempts_at_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX attempts_at_idx ON shop.attempts USING btree (at);


--
-- Name: attempts_kind_key_at_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX attempts_kind_key_at_idx ON shop.attempts USING btree (kind, key, at);


--
-- Name: cart_items_product_id_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX cart_items_product_id_idx ON shop.cart_items USING btree (product_id);


--
-- Name: cart_items_variant_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX cart_items_variant_idx ON shop.cart_items USING btree (variant_id);


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
-- Name: imports_applied_sha256_key; Type: INDEX; Schema: shop; Owner: -
--

CREATE UNIQUE INDEX imports_applied_sha256_key ON shop.imports USING btree (sha256) WHERE (status = 'applied'::text);


--
-- Name: imports_created_at_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX imports_created_at_idx ON shop.imports USING btree (created_at DESC, id DESC);


--
-- Name: low_stock_alerts_one_open_key; Type: INDEX; Schema: shop; Owner: -
--

CREATE UNIQUE INDEX low_stock_alerts_one_open_key ON shop.low_stock_alerts USING btree (variant_id) WHERE (closed_at IS NULL);


--
-- Name: order_items_product_id_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX order_items_product_id_idx ON shop.order_items USING btree (product_id);


--
-- Name: order_items_variant_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX order_items_variant_idx ON shop.order_items USING btree (variant_id);


--
-- Name: order_status_history_order_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX order_status_history_order_idx ON shop.order_status_history USING btree (order_id, id);


--
-- Name: orders_pending_created_at_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX orders_pending_created_at_idx ON shop.orders USING btree (created_at) WHERE ((status)::text = 'pending'::text);


--
-- Name: orders_status_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX orders_status_idx ON shop.orders USING btree (status);


--
-- Name: orders_user_newest_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX orders_user_newest_idx ON shop.orders USING btree (user_id, created_at DESC, id DESC);


--
-- Name: outbox_created_at_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX outbox_created_at_idx ON shop.outbox USING btree (created_at);


--
-- Name: payment_events_order_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX payment_events_order_idx ON shop.payment_events USING btree (order_id);


--
-- Name: payment_events_payment_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX payment_events_payment_idx ON shop.payment_events USING btree (payment_id);


--
-- Name: payment_events_unmatched_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX payment_events_unmatched_idx ON shop.payment_events USING btree (id) WHERE (unmatched_reason IS NOT NULL);


--
-- Name: payments_order_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX payments_order_idx ON shop.payments USING btree (order_id);


--
-- Name: product_option_values_value_key; Type: INDEX; Schema: shop; Owner: -
--

CREATE UNIQUE INDEX product_option_values_value_key ON shop.product_option_values USING btree (option_id, lower(value));


--
-- Name: product_options_name_key; Type: INDEX; Schema: shop; Owner: -
--

CREATE UNIQUE INDEX product_options_name_key ON shop.product_options USING btree (product_id, lower(name));


--
-- Name: products_category_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX products_category_idx ON shop.products USING btree (category_id) WHERE (deleted_at IS NULL);


--
-- Name: products_handle_live_key; Type: INDEX; Schema: shop; Owner: -
--

CREATE UNIQUE INDEX products_handle_live_key ON shop.products USING btree (handle) WHERE (deleted_at IS NULL);


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
-- Name: stock_movements_variant_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX stock_movements_variant_idx ON shop.stock_movements USING btree (variant_id, id);


--
-- Name: users_email_lower_key; Type: INDEX; Schema: shop; Owner: -
--

CREATE UNIQUE INDEX users_email_lower_key ON shop.users USING btree (lower((email)::text));


--
-- Name: variant_option_values_option_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX variant_option_values_option_idx ON shop.variant_option_values USING btree (option_id);


--
-- Name: variant_option_values_value_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX variant_option_values_value_idx ON shop.variant_option_values USING btree (value_id);


--
-- Name: variants_product_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX variants_product_idx ON shop.variants USING btree (product_id, "position", id) WHERE (deleted_at IS NULL);


--
-- Name: variants_sku_live_key; Type: INDEX; Schema: shop; Owner: -
--

CREATE UNIQUE INDEX variants_sku_live_key ON shop.variants USING btree (lower(sku)) WHERE (deleted_at IS NULL);


--
-- Name: webhook_deliveries_endpoint_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX webhook_deliveries_endpoint_idx ON shop.webhook_deliveries USING btree (endpoint_id, id);


--
-- Name: webhook_deliveries_open_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX webhook_deliveries_open_idx ON shop.webhook_deliveries USING btree (retry_from) WHERE (status <> 'delivered'::text);


--
-- Name: webhook_deliveries_outbox_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX webhook_deliveries_outbox_idx ON shop.webhook_deliveries USING btree (outbox_id);


--
-- Name: log _100_append_only; Type: TRIGGER; Schema: audit; Owner: -
--

CREATE TRIGGER _100_append_only BEFORE DELETE OR UPDATE OR TRUNCATE ON audit.log FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__append_only();


--
-- Name: procrastinate_jobs procrastinate_jobs_notify_queue_job_aborted_v1; Type: TRIGGER; Schema: queue; Owner: -
--

CREATE TRIGGER procrastinate_jobs_notify_queue_job_aborted_v1 AFTER UPDATE OF abort_requested ON queue.procrastinate_jobs FOR EACH ROW WHEN (((old.abort_requested = false) AND (new.abort_requested = true) AND (new.status = 'doing'::queue.procrastinate_job_status))) EXECUTE FUNCTION queue.procrastinate_notify_queue_abort_job_v1();


--
-- Name: procrastinate_jobs procrastinate_jobs_notify_queue_job_inserted_v1; Type: TRIGGER; Schema: queue; Owner: -
--

CREATE TRIGGER procrastinate_jobs_notify_queue_job_inserted_v1 AFTER INSERT ON queue.procrastinate_jobs FOR EACH ROW WHEN ((new.status = 'todo'::queue.procrastinate_job_status)) EXECUTE FUNCTION queue.procrastinate_notify_queue_job_inserted_v1();


--
-- Name: procrastinate_jobs procrastinate_trigger_abort_requested_events_v1; Type: TRIGGER; Schema: queue; Owner: -
--

CREATE TRIGGER procrastinate_trigger_abort_requested_events_v1 AFTER UPDATE OF abort_requested ON queue.procrastinate_jobs FOR EACH ROW WHEN ((new.abort_requested = true)) EXECUTE FUNCTION queue.procrastinate_trigger_abort_requested_events_procedure_v1();


--
-- Name: procrastinate_jobs procrastinate_trigger_delete_jobs_v1; Type: TRIGGER; Schema: queue; Owner: -
--

CREATE TRIGGER procrastinate_trigger_delete_jobs_v1 BEFORE DELETE ON queue.procrastinate_jobs FOR EACH ROW EXECUTE FUNCTION queue.procrastinate_unlink_periodic_defers_v1();


--
-- Name: procrastinate_jobs procrastinate_trigger_scheduled_events_v1; Type: TRIGGER; Schema: queue; Owner: -
--

CREATE TRIGGER procrastinate_trigger_scheduled_events_v1 AFTER INSERT OR UPDATE ON queue.procrastinate_jobs FOR EACH ROW WHEN (((new.scheduled_at IS NOT NULL) AND (new.status = 'todo'::queue.procrastinate_job_status))) EXECUTE FUNCTION queue.procrastinate_trigger_function_scheduled_events_v1();


--
-- Name: procrastinate_jobs procrastinate_trigger_status_events_insert_v1; Type: TRIGGER; Schema: queue; Owner: -
--

CREATE TRIGGER procrastinate_trigger_status_events_insert_v1 AFTER INSERT ON queue.procrastinate_jobs FOR EACH ROW WHEN ((new.status = 'todo'::queue.procrastinate_job_status)) EXECUTE FUNCTION queue.procrastinate_trigger_function_status_events_insert_v1();


--
-- Name: procrastinate_jobs procrastinate_trigger_status_events_update_v1; Type: TRIGGER; Schema: queue; Owner: -
--

CREATE TRIGGER procrastinate_trigger_status_events_update_v1 AFTER UPDATE OF status ON queue.procrastinate_jobs FOR EACH ROW EXECUTE FUNCTION queue.procrastinate_trigger_function_status_events_update_v1();


--
-- Name: payment_events _100_append_only; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _100_append_only BEFORE DELETE OR UPDATE ON shop.payment_events FOR EACH ROW EXECUTE FUNCTION shop.tg__append_only();


--
-- Name: stock_movements _100_append_only; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _100_append_only BEFORE DELETE OR UPDATE ON shop.stock_movements FOR EACH ROW EXECUTE FUNCTION shop.tg_stock_movements__append_only();


--
-- Name: payment_events _100_append_only_truncate; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _100_append_only_truncate BEFORE TRUNCATE ON shop.payment_events FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__append_only();


--
-- Name: stock_movements _100_append_only_truncate; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _100_append_only_truncate BEFORE TRUNCATE ON shop.stock_movements FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_stock_movements__append_only();


--
-- Name: variants _100_combination; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _100_combination BEFORE INSERT OR UPDATE OF combination, product_id ON shop.variants FOR EACH ROW EXECUTE FUNCTION shop.tg_variants__combination();


--
-- Name: products _100_derived; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _100_derived BEFORE INSERT OR UPDATE OF price, in_stock ON shop.products FOR EACH ROW EXECUTE FUNCTION shop.tg_products__derived();


--
-- Name: products _100_handle; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _100_handle BEFORE INSERT ON shop.products FOR EACH ROW WHEN ((new.handle IS NULL)) EXECUTE FUNCTION shop.tg_products__handle();


--
-- Name: outbox _100_immutable; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _100_immutable BEFORE UPDATE ON shop.outbox FOR EACH ROW EXECUTE FUNCTION shop.tg__append_only();


--
-- Name: products _100_search; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _100_search BEFORE INSERT OR UPDATE OF name, description ON shop.products FOR EACH ROW EXECUTE FUNCTION shop.tg_products__search();


--
-- Name: cart_items _100_timestamps; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE UPDATE ON shop.cart_items FOR EACH ROW EXECUTE FUNCTION shop.tg__set_updated_at();


--
-- Name: carts _100_timestamps; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE UPDATE ON shop.carts FOR EACH ROW EXECUTE FUNCTION shop.tg__set_updated_at();


--
-- Name: categories _100_timestamps; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE UPDATE ON shop.categories FOR EACH ROW EXECUTE FUNCTION shop.tg__set_updated_at();


--
-- Name: orders _100_timestamps; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE UPDATE ON shop.orders FOR EACH ROW EXECUTE FUNCTION shop.tg__set_updated_at();


--
-- Name: payments _100_timestamps; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE UPDATE ON shop.payments FOR EACH ROW EXECUTE FUNCTION shop.tg__set_updated_at();


--
-- Name: products _100_timestamps; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE UPDATE ON shop.products FOR EACH ROW EXECUTE FUNCTION shop.tg__set_updated_at();


--
-- Name: users _100_timestamps; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE UPDATE ON shop.users FOR EACH ROW EXECUTE FUNCTION shop.tg__set_updated_at();


--
-- Name: variants _100_timestamps; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE UPDATE ON shop.variants FOR EACH ROW EXECUTE FUNCTION shop.tg__set_updated_at();


--
-- Name: orders _200_check_transition; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _200_check_transition BEFORE UPDATE OF status ON shop.orders FOR EACH ROW EXECUTE FUNCTION shop.tg_orders__check_transition();


--
-- Name: categories _200_no_cycle; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _200_no_cycle BEFORE UPDATE OF parent_id ON shop.categories FOR EACH ROW EXECUTE FUNCTION shop.tg_categories__no_cycle();


--
-- Name: payments _200_only_grow; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _200_only_grow BEFORE UPDATE ON shop.payments FOR EACH ROW EXECUTE FUNCTION shop.tg_payments__only_grow();


--
-- Name: products _300_delete_variants; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _300_delete_variants AFTER UPDATE OF deleted_at ON shop.products FOR EACH ROW WHEN (((new.deleted_at IS NOT NULL) AND (old.deleted_at IS NULL))) EXECUTE FUNCTION shop.tg_products__delete_variants();


--
-- Name: order_status_history _300_emit; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _300_emit AFTER INSERT ON shop.order_status_history FOR EACH ROW EXECUTE FUNCTION shop.tg_order_status_history__emit();


--
-- Name: payment_events _300_emit; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _300_emit AFTER INSERT ON shop.payment_events FOR EACH ROW WHEN ((new.type = 'refund.requested'::text)) EXECUTE FUNCTION shop.tg_payment_events__emit();


--
-- Name: payments _300_emit; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _300_emit AFTER INSERT OR UPDATE ON shop.payments FOR EACH ROW EXECUTE FUNCTION shop.tg_payments__emit();


--
-- Name: products _300_search_words_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _300_search_words_insert AFTER INSERT ON shop.products FOR EACH ROW EXECUTE FUNCTION shop.tg_products__search_words();


--
-- Name: products _300_search_words_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _300_search_words_update AFTER UPDATE OF name ON shop.products FOR EACH ROW WHEN (((old.name)::text IS DISTINCT FROM (new.name)::text)) EXECUTE FUNCTION shop.tg_products__search_words();


--
-- Name: orders _300_status_history_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _300_status_history_insert AFTER INSERT ON shop.orders FOR EACH ROW EXECUTE FUNCTION shop.tg_orders__status_changed();


--
-- Name: orders _300_status_history_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _300_status_history_update AFTER UPDATE OF status ON shop.orders FOR EACH ROW WHEN (((old.status)::text IS DISTINCT FROM (new.status)::text)) EXECUTE FUNCTION shop.tg_orders__status_changed();


--
-- Name: categories _400_announce; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_announce AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON shop.categories FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__announce_catalog_change();


--
-- Name: product_option_values _400_announce_delete; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_announce_delete AFTER DELETE ON shop.product_option_values REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__announce_catalog_change();


--
-- Name: product_options _400_announce_delete; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_announce_delete AFTER DELETE ON shop.product_options REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__announce_catalog_change();


--
-- Name: products _400_announce_delete; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_announce_delete AFTER DELETE ON shop.products REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__announce_catalog_change();


--
-- Name: variants _400_announce_delete; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_announce_delete AFTER DELETE ON shop.variants REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__announce_catalog_change();


--
-- Name: product_option_values _400_announce_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_announce_insert AFTER INSERT ON shop.product_option_values REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__announce_catalog_change();


--
-- Name: product_options _400_announce_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_announce_insert AFTER INSERT ON shop.product_options REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__announce_catalog_change();


--
-- Name: products _400_announce_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_announce_insert AFTER INSERT ON shop.products REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__announce_catalog_change();


--
-- Name: variants _400_announce_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_announce_insert AFTER INSERT ON shop.variants REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__announce_catalog_change();


--
-- Name: product_option_values _400_announce_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_announce_update AFTER UPDATE ON shop.product_option_values REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__announce_catalog_change();


--
-- Name: product_options _400_announce_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_announce_update AFTER UPDATE ON shop.product_options REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__announce_catalog_change();


--
-- Name: products _400_announce_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_announce_update AFTER UPDATE ON shop.products REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__announce_catalog_change();


--
-- Name: variants _400_announce_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_announce_update AFTER UPDATE ON shop.variants REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__announce_catalog_change();


--
-- Name: variant_option_values _400_changed_delete; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_changed_delete AFTER DELETE ON shop.variant_option_values REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_variant_option_values__changed();


--
-- Name: variant_option_values _400_changed_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_changed_insert AFTER INSERT ON shop.variant_option_values REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_variant_option_values__changed();


--
-- Name: variant_option_values _400_changed_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_changed_update AFTER UPDATE ON shop.variant_option_values REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_variant_option_values__changed();


--
-- Name: product_options _400_check_delete; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_check_delete AFTER DELETE ON shop.product_options REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__queue_variant_check();


--
-- Name: product_options _400_check_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_check_insert AFTER INSERT ON shop.product_options REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__queue_variant_check();


--
-- Name: variants _400_check_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_check_insert AFTER INSERT ON shop.variants REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__queue_variant_check();


--
-- Name: product_options _400_check_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_check_update AFTER UPDATE ON shop.product_options REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__queue_variant_check();


--
-- Name: variants _400_check_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_check_update AFTER UPDATE ON shop.variants REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__queue_variant_check();


--
-- Name: order_items _400_daily_sales_delete; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_daily_sales_delete AFTER DELETE ON shop.order_items REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_order_items__daily_sales();


--
-- Name: orders _400_daily_sales_delete; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_daily_sales_delete AFTER DELETE ON shop.orders REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_orders__daily_sales();


--
-- Name: order_items _400_daily_sales_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_daily_sales_insert AFTER INSERT ON shop.order_items REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_order_items__daily_sales();


--
-- Name: orders _400_daily_sales_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_daily_sales_insert AFTER INSERT ON shop.orders REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_orders__daily_sales();


--
-- Name: order_items _400_daily_sales_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_daily_sales_update AFTER UPDATE ON shop.order_items REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_order_items__daily_sales();


--
-- Name: orders _400_daily_sales_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_daily_sales_update AFTER UPDATE ON shop.orders REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_orders__daily_sales();


--
-- Name: low_stock_alerts _400_emit; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_emit AFTER INSERT ON shop.low_stock_alerts REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_low_stock_alerts__emit();


--
-- Name: outbox _400_fan_out; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_fan_out AFTER INSERT ON shop.outbox REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_outbox__fan_out();


--
-- Name: variants _400_low_stock_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_low_stock_insert AFTER INSERT ON shop.variants REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_variants__low_stock();


--
-- Name: variants _400_low_stock_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_low_stock_update AFTER UPDATE ON shop.variants REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_variants__low_stock();


--
-- Name: variants _400_product_summary_delete; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_product_summary_delete AFTER DELETE ON shop.variants REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_variants__product_summary();


--
-- Name: variants _400_product_summary_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_product_summary_insert AFTER INSERT ON shop.variants REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_variants__product_summary();


--
-- Name: variants _400_product_summary_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_product_summary_update AFTER UPDATE ON shop.variants REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_variants__product_summary();


--
-- Name: variant_option_values _400_search_delete; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_search_delete AFTER DELETE ON shop.variant_option_values REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__product_search_follows();


--
-- Name: variant_option_values _400_search_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_search_insert AFTER INSERT ON shop.variant_option_values REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__product_search_follows();


--
-- Name: variants _400_search_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_search_insert AFTER INSERT ON shop.variants REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__product_search_follows();


--
-- Name: product_option_values _400_search_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_search_update AFTER UPDATE ON shop.product_option_values REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_product_option_values__search();


--
-- Name: variant_option_values _400_search_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_search_update AFTER UPDATE ON shop.variant_option_values REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__product_search_follows();


--
-- Name: variants _400_search_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_search_update AFTER UPDATE ON shop.variants REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg__product_search_follows();


--
-- Name: variants _400_stock_ledger_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_stock_ledger_insert AFTER INSERT ON shop.variants REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_variants__record_stock();


--
-- Name: variants _400_stock_ledger_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _400_stock_ledger_update AFTER UPDATE ON shop.variants REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shop.tg_variants__record_stock();


--
-- Name: categories _500_audit_delete; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _500_audit_delete AFTER DELETE ON shop.categories REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log();


--
-- Name: orders _500_audit_delete; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _500_audit_delete AFTER DELETE ON shop.orders REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log();


--
-- Name: products _500_audit_delete; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _500_audit_delete AFTER DELETE ON shop.products REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log('search', 'price', 'in_stock');


--
-- Name: users _500_audit_delete; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _500_audit_delete AFTER DELETE ON shop.users REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log('password_hash');


--
-- Name: variants _500_audit_delete; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _500_audit_delete AFTER DELETE ON shop.variants REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log('combination');


--
-- Name: categories _500_audit_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _500_audit_insert AFTER INSERT ON shop.categories REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log();


--
-- Name: orders _500_audit_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _500_audit_insert AFTER INSERT ON shop.orders REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log();


--
-- Name: products _500_audit_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _500_audit_insert AFTER INSERT ON shop.products REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log('search', 'price', 'in_stock');


--
-- Name: users _500_audit_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _500_audit_insert AFTER INSERT ON shop.users REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log('password_hash');


--
-- Name: variants _500_audit_insert; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _500_audit_insert AFTER INSERT ON shop.variants REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log('combination');


--
-- Name: categories _500_audit_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _500_audit_update AFTER UPDATE ON shop.categories REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log();


--
-- Name: orders _500_audit_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _500_audit_update AFTER UPDATE ON shop.orders REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log();


--
-- Name: products _500_audit_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _500_audit_update AFTER UPDATE ON shop.products REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log('search', 'price', 'in_stock');


--
-- Name: users _500_audit_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _500_audit_update AFTER UPDATE ON shop.users REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log('password_hash');


--
-- Name: variants _500_audit_update; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER _500_audit_update AFTER UPDATE ON shop.variants REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.tg__log('combination');


--
-- Name: variant_checks variant_checks_complete; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE CONSTRAINT TRIGGER variant_checks_complete AFTER INSERT ON shop.variant_checks DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION shop.tg_variant_checks__complete();


--
-- Name: procrastinate_events procrastinate_events_job_id_fkey; Type: FK CONSTRAINT; Schema: queue; Owner: -
--

ALTER TABLE ONLY queue.procrastinate_events
    ADD CONSTRAINT procrastinate_events_job_id_fkey FOREIGN KEY (job_id) REFERENCES queue.procrastinate_jobs(id) ON DELETE CASCADE;


--
-- Name: procrastinate_jobs procrastinate_jobs_worker_id_fkey; Type: FK CONSTRAINT; Schema: queue; Owner: -
--

ALTER TABLE ONLY queue.procrastinate_jobs
    ADD CONSTRAINT procrastinate_jobs_worker_id_fkey FOREIGN KEY (worker_id) REFERENCES queue.procrastinate_workers(id) ON DELETE SET NULL;


--
-- Name: procrastinate_periodic_defers procrastinate_periodic_defers_job_id_fkey; Type: FK CONSTRAINT; Schema: queue; Owner: -
--

ALTER TABLE ONLY queue.procrastinate_periodic_defers
    ADD CONSTRAINT procrastinate_periodic_defers_job_id_fkey FOREIGN KEY (job_id) REFERENCES queue.procrastinate_jobs(id);


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
-- Name: cart_items cart_items_variant_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.cart_items
    ADD CONSTRAINT cart_items_variant_fkey FOREIGN KEY (variant_id, product_id) REFERENCES shop.variants(id, product_id);


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
-- Name: low_stock_alerts low_stock_alerts_variant_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.low_stock_alerts
    ADD CONSTRAINT low_stock_alerts_variant_fkey FOREIGN KEY (variant_id, product_id) REFERENCES shop.variants(id, product_id);


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
-- Name: order_items order_items_variant_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.order_items
    ADD CONSTRAINT order_items_variant_fkey FOREIGN KEY (variant_id, product_id) REFERENCES shop.variants(id, product_id) DEFERRABLE INITIALLY DEFERRED;


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
-- Name: orders orders_currency_known; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.orders
    ADD CONSTRAINT orders_currency_known FOREIGN KEY (currency) REFERENCES shop.currencies(code);


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
-- Name: outbox outbox_type_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.outbox
    ADD CONSTRAINT outbox_type_fkey FOREIGN KEY (type) REFERENCES shop.event_types(type);


--
-- Name: payment_events payment_events_order_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.payment_events
    ADD CONSTRAINT payment_events_order_id_fkey FOREIGN KEY (order_id) REFERENCES shop.orders(id);


--
-- Name: payment_events payment_events_payment_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.payment_events
    ADD CONSTRAINT payment_events_payment_id_fkey FOREIGN KEY (payment_id) REFERENCES shop.payments(id);


--
-- Name: payment_events payment_events_recorded_by_user_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.payment_events
    ADD CONSTRAINT payment_events_recorded_by_user_fkey FOREIGN KEY (recorded_by_user) REFERENCES shop.users(id);


--
-- Name: payments payments_currency_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.payments
    ADD CONSTRAINT payments_currency_fkey FOREIGN KEY (currency) REFERENCES shop.currencies(code);


--
-- Name: payments payments_order_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.payments
    ADD CONSTRAINT payments_order_id_fkey FOREIGN KEY (order_id) REFERENCES shop.orders(id);


--
-- Name: product_option_values product_option_values_option_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.product_option_values
    ADD CONSTRAINT product_option_values_option_id_fkey FOREIGN KEY (option_id) REFERENCES shop.product_options(id) ON DELETE CASCADE;


--
-- Name: product_options product_options_product_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.product_options
    ADD CONSTRAINT product_options_product_id_fkey FOREIGN KEY (product_id) REFERENCES shop.products(id);


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
-- Name: stock_movements stock_movements_variant_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.stock_movements
    ADD CONSTRAINT stock_movements_variant_fkey FOREIGN KEY (variant_id, product_id) REFERENCES shop.variants(id, product_id);


--
-- Name: variant_option_values variant_option_values_option_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.variant_option_values
    ADD CONSTRAINT variant_option_values_option_fkey FOREIGN KEY (option_id, product_id) REFERENCES shop.product_options(id, product_id) ON DELETE CASCADE;


--
-- Name: variant_option_values variant_option_values_value_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.variant_option_values
    ADD CONSTRAINT variant_option_values_value_fkey FOREIGN KEY (value_id, option_id) REFERENCES shop.product_option_values(id, option_id);


--
-- Name: variant_option_values variant_option_values_variant_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.variant_option_values
    ADD CONSTRAINT variant_option_values_variant_fkey FOREIGN KEY (variant_id, product_id) REFERENCES shop.variants(id, product_id);


--
-- Name: variants variants_product_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.variants
    ADD CONSTRAINT variants_product_id_fkey FOREIGN KEY (product_id) REFERENCES shop.products(id);


--
-- Name: webhook_deliveries webhook_deliveries_endpoint_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_endpoint_id_fkey FOREIGN KEY (endpoint_id) REFERENCES shop.webhook_endpoints(id) ON DELETE CASCADE;


--
-- Name: webhook_deliveries webhook_deliveries_outbox_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_outbox_id_fkey FOREIGN KEY (outbox_id) REFERENCES shop.outbox(id) ON DELETE CASCADE;


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
    ('20261124230200'),
    ('20261201100000'),
    ('20261201100001'),
    ('20261201100100'),
    ('20261201110000'),
    ('20261201110100'),
    ('20261201110200'),
    ('20261201110300'),
    ('20261201120000'),
    ('20261201130000'),
    ('20261201140000'),
    ('20261201140001'),
    ('20261201140002'),
    ('20261201150000'),
    ('20261208100000'),
    ('20261208200000'),
    ('20261208210000');
