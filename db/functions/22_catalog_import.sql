-- Catalog import and export: one CSV format (lib.import_columns, docs/import.md), streamed through COPY.
-- An import is one transaction:
--   1. api.import_begin(columns of the header): checks the header, makes a temporary staging table the caller
--      may COPY into, and answers with the COPY statement to run;
--   2. the caller streams the file into it (COPY ... FROM STDIN: the file never sits whole in memory);
--   3. api.import_apply(sha256, dry_run, filename): validates every row set-based, then applies all or nothing.
-- A header or COPY that fails (unknown column, invalid UTF-8, an unclosed quote) ends that transaction; the
-- caller then records the refusal with api.import_refuse in another. Every import is recorded in shop.imports.
-- Rows upsert by SKU (live variants, any letter case); a product is named by its handle, a category by its path
-- ("Outdoor > Tents", created when missing); stock changes land in the ledger with the reason import.

create or replace function lib.import_columns() returns text[]
language sql
immutable
as $$
  select array['product_handle', 'product_name', 'description', 'category_path', 'sku', 'price', 'compare_at_price',
               'stock', 'weight_grams', 'option1_name', 'option1_value', 'option2_name', 'option2_value',
               'option3_name', 'option3_value', 'active', 'metadata']
$$;
comment on function lib.import_columns() is
  'The columns of a catalog file, in export order; an import has each once, in any order.';

-- Who may import: an admin (through the API), or a database role that may write the catalog itself (the pgshop
-- command, run by the owner); its imports are recorded without a user.
create or replace function lib.import_caller() returns bigint
language plpgsql
stable
as $$
begin
  if shop.current_user_id() is null
     and has_table_privilege(coalesce(nullif(current_setting('role'), 'none'), session_user), 'shop.variants',
                             'INSERT') then
    return null;
  end if;
  return lib.require_admin();
end
$$;
comment on function lib.import_caller() is
  'The importing admin''s id; null for a database role that may write the catalog itself (the pgshop command). '
  'PT401, PT403 otherwise.';

-- The header's problems: a column not in the format, one named twice, one missing (row 0).
create or replace function lib.import_header_errors(p_columns text[]) returns jsonb
language sql
immutable
as $$
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
comment on function lib.import_header_errors(text[]) is
  'A header''s errors as [{row: 0, column, code: unknown_column | duplicate_column | missing_column, message}].';

create or replace function api.import_begin(p_columns text[]) returns json
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function api.import_begin(text[]) is
  'POST /api/admin/imports, step 1 (admin): {copy: the COPY statement that streams the file into this '
  'transaction''s staging table}, or {copy: null} when the header is refused (then record it with '
  'api.import_refuse). PT401, PT403.';

-- A money cell: 0 to 9999999999.99, at most 2 decimals (the same rule as lib.price, as a pattern, set-based).
create or replace function lib.import_money_ok(p_value text) returns boolean
language sql
immutable
as $$
  select p_value ~ '^\s*[0-9]{1,10}(\.[0-9]{1,2})?\s*$'
$$;
comment on function lib.import_money_ok(text) is 'Whether a cell is an amount lib.price accepts.';

create or replace function lib.jsonb_object_or_null(p_value text) returns jsonb
language plpgsql
immutable
as $$
begin
  return case when jsonb_typeof(p_value::jsonb) = 'object' and shop.jsonb_within(p_value::jsonb, 8, 16384)
              then p_value::jsonb end;
exception when others then
  return null;
end
$$;
comment on function lib.jsonb_object_or_null(text) is
  'The text as a JSON object within the metadata limits (8 levels, 16 KB); null when it is not one.';

create or replace function lib.import_error(p_row bigint, p_column text, p_code text, p_message text)
returns jsonb
language sql
immutable
as $$
  select jsonb_build_object('row', p_row, 'column', p_column, 'code', p_code, 'message', p_message)
$$;
comment on function lib.import_error(bigint, text, text, text) is 'An import error {row, column, code, message}.';

-- Records an import and answers as the API shows it.
create or replace function lib.import_record(p_status text, p_sha256 text, p_filename text, p_rows bigint,
                                             p_counts jsonb, p_changes jsonb, p_errors jsonb, p_error_count bigint)
returns shop.imports
language sql
volatile
as $$
  insert into shop.imports (status, sha256, user_id, filename, rows, created, updated, unchanged, changes, errors,
                            error_count)
  values (p_status, p_sha256, shop.current_user_id(), p_filename, p_rows, coalesce((p_counts ->> 'created')::integer, 0),
          coalesce((p_counts ->> 'updated')::integer, 0), coalesce((p_counts ->> 'unchanged')::integer, 0),
          p_changes, p_errors, p_error_count)
  returning *
$$;
comment on function lib.import_record(text, text, text, bigint, jsonb, jsonb, jsonb, bigint) is
  'Inserts a shop.imports row.';

create or replace function lib.import_json(p_import shop.imports) returns json
language sql
stable
as $$
  select json_build_object(
    'id', p_import.id, 'status', p_import.status, 'sha256', p_import.sha256, 'filename', p_import.filename,
    'user_id', p_import.user_id, 'db_role', p_import.db_role, 'rows', p_import.rows,
    'created', p_import.created, 'updated', p_import.updated, 'unchanged', p_import.unchanged,
    'changes', p_import.changes, 'errors', p_import.errors, 'error_count', p_import.error_count,
    'created_at', p_import.created_at)
$$;
comment on function lib.import_json(shop.imports) is 'An import as the API shows it.';

-- A refused import: recorded, and answered as 422 invalid_import with its first 1,000 errors.
create or replace function lib.import_refused(p_sha256 text, p_filename text, p_rows bigint, p_errors jsonb,
                                              p_error_count bigint) returns json
language plpgsql
volatile
as $$
declare
  v_import shop.imports;
begin
  v_import := lib.import_record('refused', p_sha256, p_filename, p_rows, '{}', '[]', p_errors, p_error_count);
  return lib.problem(422, 'invalid_import',
                     format('the file has %s error(s); nothing was imported', p_error_count),
                     jsonb_build_object('import_id', v_import.id, 'errors', p_errors));
end
$$;
comment on function lib.import_refused(text, text, bigint, jsonb, bigint) is
  'Records a refused import and returns the problem 422 invalid_import {import_id, errors}.';

-- A COPY that failed, as an import error: PostgreSQL names the line of the file ("COPY import_rows, line 3,
-- column price: ..."); the header is line 1, so the data row is one less (the same unless a quoted cell before
-- it spans lines). An unclosed quote runs to the end of the file, whose line is the one named.
create or replace function lib.import_copy_error(p_copy_error jsonb) returns jsonb
language sql
immutable
as $$
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
comment on function lib.import_copy_error(jsonb) is
  'The import error of a failed COPY {sqlstate, message, context}: nul_byte, invalid_utf8, unclosed_quote, '
  'invalid_row (missing or extra cells), invalid_file.';

create or replace function api.import_refuse(p_sha256 text, p_filename text, p_columns text[],
                                             p_copy_error jsonb default null) returns json
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function api.import_refuse(text, text, text[], jsonb) is
  'POST /api/admin/imports, when the header or the COPY failed (admin): records the refusal and returns the '
  'problem 422 invalid_import {import_id, errors}. p_copy_error: {sqlstate, message, context} of the COPY.';

create or replace function api.import_apply(p_sha256 text, p_dry_run boolean default false,
                                            p_filename text default null) returns json
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
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
$$;
comment on function api.import_apply(text, boolean, text) is
  'POST /api/admin/imports, last step (admin): validates the rows streamed into this transaction''s staging '
  'table and applies them all, or none: {id, status: applied | dry_run | duplicate, sha256, created, updated, '
  'unchanged, changes (first 100), errors: []}, or the problem 422 invalid_import {import_id, errors (first '
  '1,000)}. The import is recorded either way.';

-- A category's path from the root: "Outdoor > Tents".
create or replace function lib.category_path(p_category_id bigint) returns text
language sql
stable
as $$
  with recursive up (id, parent_id, name, depth) as (
    select c.id, c.parent_id, c.name, 0 from shop.categories c where c.id = p_category_id
    union all
    select c.id, c.parent_id, c.name, up.depth + 1 from up join shop.categories c on c.id = up.parent_id
  )
  select string_agg(up.name, ' > ' order by up.depth desc) from up
$$;
comment on function lib.category_path(bigint) is 'A category''s names from the root down, joined by " > ".';

create or replace function api.imports_list(p_limit integer default null, p_cursor text default null) returns json
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function api.imports_list(integer, text) is
  'GET /api/admin/imports (admin): the imports, newest first, without their changes and errors (keyset pages). '
  'PT422 invalid_limit, invalid_cursor.';

create or replace function api.import_get(p_id bigint) returns json
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function api.import_get(bigint) is
  'GET /api/admin/imports/{id} (admin): an import with its changes and errors. PT404.';

-- Export: the same columns, one row per live variant of each live product (a product without options has
-- empty option cells), in product and variant order. Export then import of the same file changes nothing.
create or replace function api.products_export()
returns table (product_handle text, product_name text, description text, category_path text, sku text,
               price text, compare_at_price text, stock integer, weight_grams integer, option1_name text,
               option1_value text, option2_name text, option2_value text, option3_name text, option3_value text,
               active text, metadata text)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function api.products_export() is
  'GET /api/admin/exports/products.csv (admin): the catalog in the import format, one row per live variant '
  '(COPY (select * from api.products_export()) TO STDOUT WITH (FORMAT csv, HEADER)).';

create or replace function api.export_begin() returns text
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  perform lib.require_admin();
  perform set_config('statement_timeout',
                     (extract(epoch from lib.setting('import_timeout')::interval) * 1000)::bigint::text, true);
  return 'copy (select * from api.products_export()) to stdout with (format csv, header true)';
end
$$;
comment on function api.export_begin() is
  'GET /api/admin/exports/products.csv (admin): the COPY that streams the catalog, run next in this transaction '
  '(under the import_timeout setting, not the API''s 10 s). PT401, PT403.';
