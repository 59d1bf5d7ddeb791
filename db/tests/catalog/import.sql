-- Catalog import and export (db/functions/22_catalog_import.sql, docs/import.md): the lib.import_* helpers (as
-- the owner), then, as pgshop_api with an admin caller, what api/imports.py does with a file: api.import_begin
-- (the header), the rows into the staging table it made (COPY once, INSERT otherwise), api.import_apply (or
-- api.import_refuse when the header is refused); the applied, dry_run, duplicate and refused imports, each
-- validation error code, api.imports_list, api.import_get, api.products_export, api.export_begin, export then
-- import, who may import (customers and anonymous callers may not; the database owner may, without a user).
-- The database may hold demo data: every name, handle and SKU of this file starts with zqimp.
begin;
select * from no_plan();
\ir ../helpers.psql
-- drop table if exists says NOTICE for each staging table not made yet: keep the output readable.
set local client_min_messages = warning;

-- The columns of the format in export order, as docs/import.md lists them (lib.import_columns() is the owner's).
create function pg_temp.columns() returns text[]
language sql immutable as $$
  select array['product_handle', 'product_name', 'description', 'category_path', 'sku', 'price', 'compare_at_price',
               'stock', 'weight_grams', 'option1_name', 'option1_value', 'option2_name', 'option2_value',
               'option3_name', 'option3_value', 'active', 'metadata']
$$;
-- sha(label): the SHA-256 (hex) of a test file, from its label.
create function pg_temp.sha(p_label text) returns text
language sql immutable as $$ select encode(sha256(convert_to('zqimp ' || p_label, 'UTF8')), 'hex') $$;
-- drop_staging(): drops the tables an import made in this transaction (they go at commit; this file never
-- commits, and a second api.import_begin would find the first's), as the owner.
create function pg_temp.drop_staging() returns void
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
begin
  drop table if exists pg_temp.import_rows, pg_temp.import_lines, pg_temp.import_products, pg_temp.import_categories,
                       pg_temp.import_errors, pg_temp.import_plan, pg_temp.import_values;
end
$$;
-- import(label, rows, dry_run, filename, header): what api/imports.py run_import does with a file, as the caller:
-- api.import_begin(header), the rows inserted into the staging table it made (instead of
-- COPY), api.import_apply(sha of the label, dry_run, filename); api.import_refuse when the header is refused.
-- rows: [{column: cell}] (a column absent from an object: an empty cell, null). header: every column by default.
-- An error raised is answered {"raised": sqlstate, "message": ...} (undone), for the test to show.
create function pg_temp.import(p_label text, p_rows jsonb, p_dry_run boolean default false,
                               p_filename text default null, p_header text[] default null) returns json
language plpgsql as $$
declare
  v_header text[] := coalesce(p_header, pg_temp.columns());
  v_begin json;
begin
  perform pg_temp.drop_staging();
  v_begin := api.import_begin(v_header);
  if v_begin ->> 'copy' is null then
    return api.import_refuse(pg_temp.sha(p_label), p_filename, v_header);
  end if;
  execute format('insert into pg_temp.import_rows (%1$s) select %1$s from jsonb_populate_recordset(null::pg_temp.import_rows, $1)',
                 (select string_agg(quote_ident(c), ', ' order by i) from unnest(v_header) with ordinality u (c, i)))
  using p_rows;
  return api.import_apply(pg_temp.sha(p_label), p_dry_run, p_filename);
exception when others then
  return json_build_object('raised', sqlstate, 'message', sqlerrm);
end
$$;
-- line(handle, sku, cells): a row of a file: that handle and SKU, product_name 'Zqimp <handle>', price 10.00,
-- stock 1, and the given cells over those.
create function pg_temp.line(p_handle text, p_sku text, p_cells jsonb default '{}') returns jsonb
language sql immutable as $$
  select jsonb_strip_nulls(jsonb_build_object('product_handle', p_handle, 'product_name', 'Zqimp ' || p_handle,
                                              'sku', p_sku, 'price', '10.00', 'stock', '1')) || p_cells
$$;
-- tent(sku, cells): a row of the tent (product zqimp-tent) with its product cells as the first file sets them.
create function pg_temp.tent(p_sku text, p_cells jsonb default '{}') returns jsonb
language sql immutable as $$
  select pg_temp.line('zqimp-tent', p_sku,
    '{"product_name": "Zqimp Tent", "description": "A tent, for two", "category_path": "Zqimp Outdoor > Zqimp Tents",
      "metadata": "{\"brand\": \"Zq\"}", "option1_name": "Size", "option2_name": "Colour", "option2_value": "Red"}'
    || p_cells)
$$;
-- refusal(answer): a refused import's answer without the messages, {status, code, errors: [{row, column, code}],
-- recorded}: recorded is whether api.import_get(import_id) is that refusal (status refused, the same errors, their
-- count at least theirs). Another answer as it is.
create function pg_temp.refusal(p_result json) returns jsonb
language sql as $$
  select case when p_answer -> 'problem' ->> 'import_id' is null then p_answer else jsonb_build_object(
    'status', p_answer -> 'problem' -> 'status', 'code', p_answer -> 'problem' -> 'code',
    'errors', (select coalesce(jsonb_agg(e - 'message' order by i), '[]')
               from jsonb_array_elements(p_answer -> 'problem' -> 'errors') with ordinality x (e, i)),
    'recorded', (select g ->> 'status' = 'refused' and g -> 'errors' = p_answer -> 'problem' -> 'errors'
                        and (g ->> 'error_count')::integer >= jsonb_array_length(g -> 'errors')
                        and (g ->> 'id')::bigint = (p_answer -> 'problem' ->> 'import_id')::bigint
                 from (select api.import_get((p_answer -> 'problem' ->> 'import_id')::bigint)::jsonb) y (g))) end
  from (select p_result::jsonb) x (p_answer)
$$;
-- invalid('row column code, ...'): the refusal expected ('-' for no column).
create function pg_temp.invalid(p_errors text) returns jsonb
language sql immutable as $$
  select jsonb_build_object('status', 422, 'code', 'invalid_import', 'recorded', true, 'errors',
    coalesce((select jsonb_agg(jsonb_build_object('row', w[1]::bigint, 'column', nullif(w[2], '-'), 'code', w[3])
                               order by i)
              from unnest(string_to_array(p_errors, ',')) with ordinality x (e, i)
              cross join lateral regexp_split_to_array(btrim(e, E' \n'), '\s+') w), '[]'))
$$;
-- counts(answer): an import's answer without what each has of its own (id, sha256, user_id, db_role, filename,
-- created_at) nor its changes: {status, rows, created, updated, unchanged, errors, error_count}.
create function pg_temp.counts(p_answer jsonb) returns jsonb
language sql immutable as $$
  select p_answer - 'id' - 'sha256' - 'user_id' - 'db_role' - 'created_at' - 'changes' - 'filename'
$$;
-- catalog(handle): a live product as the shop tables hold it, as the owner: name, description, category path,
-- metadata, options with their values, live variants (price, stock, ..., option values) in position order.
create function pg_temp.catalog(p_handle text) returns jsonb
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select jsonb_build_object(
    'name', p.name, 'description', p.description, 'category', lib.category_path(p.category_id), 'metadata', p.metadata,
    'options', (select coalesce(jsonb_agg(jsonb_build_object('name', po.name, 'position', po.position, 'values',
                                  (select jsonb_agg(ov.value order by ov.position, ov.id)
                                   from shop.product_option_values ov where ov.option_id = po.id))
                                order by po.position, po.id), '[]')
                from shop.product_options po where po.product_id = p.id),
    'variants', (select coalesce(jsonb_agg(jsonb_build_object(
                   'sku', v.sku, 'price', v.price::text, 'compare_at_price', v.compare_at_price::text,
                   'stock', v.stock_quantity, 'weight_grams', v.weight_grams, 'active', v.is_active,
                   'position', v.position, 'options', lib.variant_options(v.id)) order by v.position, v.id), '[]')
                 from shop.variants v where v.product_id = p.id and v.deleted_at is null))
  from shop.products p
  where p.handle = p_handle and p.deleted_at is null
$$;
-- movements(handle): the stock ledger of a product's variants, oldest first: [sku, delta, stock_after, reason,
-- actor] (actor: 'admin' for the test's admin, else the id), as the owner.
create function pg_temp.movements(p_handle text) returns jsonb
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select coalesce(jsonb_agg(jsonb_build_array(v.sku, m.delta, m.stock_after, m.reason,
                                              case when m.actor_id = pg_temp.id('admin_id') then 'admin'
                                                   else m.actor_id::text end) order by m.id), '[]')
  from shop.stock_movements m
  join shop.variants v on v.id = m.variant_id
  join shop.products p on p.id = m.product_id
  where p.handle = p_handle
$$;
-- state(): everything this file may write to the catalog, as the owner: each zqimp product as catalog() shows
-- it, the zqimp categories, the ledger rows of zqimp variants, the zqimp option values and variant values.
create function pg_temp.state() returns jsonb
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select jsonb_build_object(
    'products', (select coalesce(jsonb_object_agg(p.handle || ' ' || p.id, pg_temp.catalog(p.handle) || jsonb_build_object(
                   'updated_at', p.updated_at, 'deleted_at', p.deleted_at)), '{}')
                 from shop.products p where p.handle like 'zqimp%'),
    'categories', (select coalesce(jsonb_agg(jsonb_build_array(c.id, c.name, c.parent_id) order by c.id), '[]')
                   from shop.categories c where c.name ilike 'zqimp%'),
    'movements', (select count(*) from shop.stock_movements m join shop.variants v on v.id = m.variant_id
                  where v.sku ilike 'zqimp%'),
    'variants', (select count(*) from shop.variants v where v.sku ilike 'zqimp%'),
    'values', (select count(*) from shop.variant_option_values vo join shop.variants v on v.id = vo.variant_id
               where v.sku ilike 'zqimp%'))
$$;
-- imports(): how many imports are recorded, as the owner.
create function pg_temp.imports() returns bigint
language sql stable security definer set search_path = pg_catalog, pg_temp as $$ select count(*) from shop.imports $$;

-- Function properties ----------------------------------------------------------------------------------------
select function_privs_are('api', f, args, 'pgshop_api', array['EXECUTE'], format('pgshop_api may call api.%s', f))
from (values ('import_begin', array['text[]']), ('import_apply', array['text', 'boolean', 'text']),
             ('import_refuse', array['text', 'text', 'text[]', 'jsonb']), ('imports_list', array['integer', 'text']),
             ('import_get', array['bigint']), ('products_export', '{}'::text[]), ('export_begin', '{}'::text[])) x (f, args);
select is_definer('api', f, args, format('api.%s is security definer', f))
from (values ('import_begin', array['text[]']), ('import_apply', array['text', 'boolean', 'text']),
             ('import_refuse', array['text', 'text', 'text[]', 'jsonb']), ('imports_list', array['integer', 'text']),
             ('import_get', array['bigint']), ('products_export', '{}'::text[]), ('export_begin', '{}'::text[])) x (f, args);
select function_privs_are('lib', f, args, 'pgshop_api', '{}'::text[], format('pgshop_api may not call lib.%s', f))
from (values ('import_columns', '{}'::text[]), ('import_header_errors', array['text[]']),
             ('import_money_ok', array['text']), ('jsonb_object_or_null', array['text']),
             ('import_copy_error', array['jsonb']), ('category_path', array['bigint']),
             ('import_record', array['text', 'text', 'text', 'bigint', 'jsonb', 'jsonb', 'jsonb', 'bigint'])) x (f, args);
select table_privs_are('shop', 'imports', 'pgshop_api', '{}'::text[], 'pgshop_api has no privilege on shop.imports');

-- Set-up (as the owner) ----------------------------------------------------------------------------------------
do $$
declare
  v_id bigint;
begin
  perform pg_temp.new_user('admin_id', 'zqimp-admin@zqimp.test', 'Ad', 'Min', 'admin');
  perform pg_temp.new_user('customer_id', 'zqimp-customer@zqimp.test', 'Cus', 'Tomer', 'customer');
  insert into shop.categories (name) values ('Zqimp Camping') returning id into v_id;
  perform set_config('tests.camping', v_id::text, true);
  insert into shop.categories (name, parent_id) values ('Zqimp Stoves', v_id) returning id into v_id;
  perform set_config('tests.stoves', v_id::text, true);
  insert into shop.categories (name, parent_id) values ('Zqimp Burners', v_id) returning id into v_id;
  perform set_config('tests.burners', v_id::text, true);
end
$$;

-- lib.import_columns, lib.import_header_errors -----------------------------------------------------------------
select is(lib.import_columns(), pg_temp.columns(), 'import_columns: the 17 columns of docs/import.md, in export order');
select is(lib.import_header_errors(pg_temp.columns()), '[]'::jsonb, 'import_header_errors: every column once: none');
select is(lib.import_header_errors(array(select c from unnest(pg_temp.columns()) c order by c desc)), '[]'::jsonb,
  'import_header_errors: the columns in any order: none');
select is(lib.import_header_errors(pg_temp.columns() || array['colour']),
  jsonb_build_array(jsonb_build_object('row', 0, 'column', 'colour', 'code', 'unknown_column', 'message',
    'colour is not a column of the format (' || array_to_string(pg_temp.columns(), ', ') || ')')),
  'import_header_errors: a column not in the format -> unknown_column, row 0, naming the format''s columns');
select is(lib.import_header_errors(pg_temp.columns() || array['sku']),
  '[{"row": 0, "column": "sku", "code": "duplicate_column", "message": "sku is in the header 2 times"}]'::jsonb,
  'import_header_errors: a column twice -> duplicate_column');
select is(lib.import_header_errors(array_remove(pg_temp.columns(), 'price')),
  '[{"row": 0, "column": "price", "code": "missing_column", "message": "the header has no price column"}]'::jsonb,
  'import_header_errors: a column absent -> missing_column');
select is(
  (select jsonb_agg(e - 'message') from jsonb_array_elements(
     lib.import_header_errors(array_remove(array_remove(pg_temp.columns(), 'sku'), 'active')
                              || array['Price', 'stock', 'zz'])) e),
  '[{"row": 0, "column": "stock", "code": "duplicate_column"}, {"row": 0, "column": "active", "code": "missing_column"},
    {"row": 0, "column": "sku", "code": "missing_column"}, {"row": 0, "column": "Price", "code": "unknown_column"},
    {"row": 0, "column": "zz", "code": "unknown_column"}]'::jsonb,
  'import_header_errors: every problem of a header, by code then column (names are case-sensitive)');
select is(jsonb_array_length(lib.import_header_errors(null)), 17, 'import_header_errors: no header -> 17 missing_column');
select is((lib.import_header_errors(pg_temp.columns() || array[null]) -> 0) - 'message',
  '{"row": 0, "column": null, "code": "unknown_column"}'::jsonb,
  'import_header_errors: a null column name -> unknown_column');

-- lib.import_money_ok, lib.jsonb_object_or_null ----------------------------------------------------------------
select is(array(select lib.import_money_ok(v) from unnest(array['0', '10', '10.5', '10.50', ' 7 ', '9999999999.99']) v),
  array[true, true, true, true, true, true], 'import_money_ok: whole amounts, 1 or 2 decimals, blanks around');
select is(array(select coalesce(lib.import_money_ok(v), false)
                from unnest(array['-1', '1.234', '1e3', '', '10000000000', 'abc', '1,50', '.5', '5.', null]) v),
  array[false, false, false, false, false, false, false, false, false, false],
  'import_money_ok: not negative, 3 decimals, exponents, empty, 11 digits, words, commas, bare points, null');
select is(lib.jsonb_object_or_null('{"a": [1, {"b": null}]}'), '{"a": [1, {"b": null}]}'::jsonb,
  'jsonb_object_or_null: a JSON object');
select is(array(select lib.jsonb_object_or_null(v) is null
                from unnest(array['[1]', '"s"', '1', 'null', '{bad', '', null, repeat('{"a": ', 9) || '1' || repeat('}', 9),
                                  jsonb_build_object('a', repeat('x', 17000))::text]) v),
  array[true, true, true, true, true, true, true, true, true],
  'jsonb_object_or_null: null for an array, string, number, null, invalid JSON, empty, null, an object nested over '
  '8 levels or over 16 KB');

-- lib.import_copy_error: the errors COPY raises (messages and contexts as PostgreSQL words them) ----------------
select is(lib.import_copy_error('{"sqlstate": "22P04", "message": "missing data for column \"stock\"",
                                  "context": "COPY import_rows, line 3: \"zqimp-x,Zqimp X\""}') - 'column',
  '{"row": 2, "code": "invalid_row", "message": "missing data for column \"stock\""}'::jsonb,
  'import_copy_error: too few cells -> invalid_row, row = line - 1 (the header is line 1)');
select is(lib.import_copy_error('{"sqlstate": "22P04", "message": "extra data after last expected column",
                                  "context": "COPY import_rows, line 2: \"a,b,c\""}') ->> 'code', 'invalid_row',
  'import_copy_error: too many cells -> invalid_row');
select is(lib.import_copy_error('{"sqlstate": "22P04", "message": "unterminated CSV quoted field",
                                  "context": "COPY import_rows, line 6: \"\"y,2,3\nz,3,4\n\""}'),
  '{"row": 5, "column": null, "code": "unclosed_quote",
    "message": "a quoted cell is not closed by the end of the file"}'::jsonb,
  'import_copy_error: an unterminated quote -> unclosed_quote at the last line');
select is(lib.import_copy_error('{"sqlstate": "22021", "message": "invalid byte sequence for encoding \"UTF8\": 0xff",
                                  "context": "COPY import_rows, line 3"}'),
  '{"row": 2, "column": null, "code": "invalid_utf8",
    "message": "not valid UTF-8: invalid byte sequence for encoding \"UTF8\": 0xff"}'::jsonb,
  'import_copy_error: an invalid byte -> invalid_utf8');
select is(lib.import_copy_error('{"sqlstate": "22021", "message": "invalid byte sequence for encoding \"UTF8\": 0x00",
                                  "context": "COPY import_rows, line 4"}'),
  '{"row": 3, "column": null, "code": "nul_byte", "message": "a NUL byte: text cannot hold it"}'::jsonb,
  'import_copy_error: a NUL byte -> nul_byte');
select is(lib.import_copy_error('{"sqlstate": "22P02", "message": "invalid input syntax",
                                  "context": "COPY import_rows, line 12, column price: \"x\""}'),
  '{"row": 11, "column": "price", "code": "invalid_file", "message": "invalid input syntax"}'::jsonb,
  'import_copy_error: a context naming the column gives it; another error -> invalid_file');
select is(lib.import_copy_error('{"sqlstate": "XX000", "message": "something else"}'),
  '{"row": 0, "column": null, "code": "invalid_file", "message": "something else"}'::jsonb,
  'import_copy_error: no line -> row 0');

-- lib.category_path --------------------------------------------------------------------------------------------
select is(lib.category_path(pg_temp.id('burners')), 'Zqimp Camping > Zqimp Stoves > Zqimp Burners',
  'category_path: the names from the root down, joined by " > "');
select is(lib.category_path(pg_temp.id('camping')), 'Zqimp Camping', 'category_path: a root category is its name');
select is(lib.category_path(null), null, 'category_path: no category -> null');

-- From here on as the API, an admin calling ----------------------------------------------------------------------
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin_id'), 'admin');

-- api.import_begin -------------------------------------------------------------------------------------------
set local statement_timeout = '10s';
select is(api.import_begin(array['sku', 'price', 'Stock Count', 'stock'])::jsonb, '{"copy": null}'::jsonb,
  'import_begin: a refused header -> {copy: null}');
select is(to_regclass('pg_temp.import_rows'), null, 'import_begin: no staging table for a refused header');
select is(current_setting('statement_timeout'), '10s', 'import_begin: a refused header keeps the statement timeout');
select is(api.import_begin(array['metadata', 'sku'] || array_remove(array_remove(pg_temp.columns(), 'sku'), 'metadata'))::jsonb,
  jsonb_build_object('copy', 'copy pg_temp.import_rows (metadata, sku, product_handle, product_name, description, '
    'category_path, price, compare_at_price, stock, weight_grams, option1_name, option1_value, option2_name, '
    'option2_value, option3_name, option3_value, active) from stdin with (format csv, header true)'),
  'import_begin: {copy: the COPY into the staging table, the columns in the header''s order}');
select is(current_setting('statement_timeout'), '30min', 'import_begin: the import runs under import_timeout (30 minutes)');
select ok(to_regclass('pg_temp.import_rows') is not null, 'import_begin: the staging table pg_temp.import_rows exists');
select lives_ok($$insert into pg_temp.import_rows (sku) values ('ZQIMP-STAGED')$$,
  'import_begin: the caller (pgshop_api) may write into the staging table');
select throws_ok($$select api.import_apply('abc')$$, 'PT422', 'validation_failed',
  'import_apply: a sha256 not of 64 hex digits -> PT422 validation_failed');
select throws_ok($$select api.import_begin(pg_temp.columns())$$, '42P07', null,
  'import_begin: a second one in the same transaction is refused (one import per transaction)');
select pg_temp.drop_staging();
select throws_ok(format('select api.import_apply(%L)', pg_temp.sha('never begun')), 'PT409', 'import_not_begun',
  'import_apply without import_begin in the transaction -> PT409 import_not_begun');
select throws_ok($$select api.import_refuse(pg_temp.sha('nothing'), null, pg_temp.columns())$$, 'PT422',
  'validation_failed', 'import_refuse: a fine header and no COPY error -> PT422 validation_failed (nothing to refuse)');

-- A new product with options and two variants, and one without options: streamed through COPY -----------------
select pg_temp.keep('imports.before', json_build_object('count', pg_temp.imports()));
select is(api.import_begin(pg_temp.columns()) ->> 'copy',
  'copy pg_temp.import_rows (product_handle, product_name, description, category_path, sku, price, compare_at_price, '
  'stock, weight_grams, option1_name, option1_value, option2_name, option2_value, option3_name, option3_value, '
  'active, metadata) from stdin with (format csv, header true)',
  'import_begin: the COPY of a header in export order');
copy pg_temp.import_rows (product_handle, product_name, description, category_path, sku, price, compare_at_price, stock, weight_grams, option1_name, option1_value, option2_name, option2_value, option3_name, option3_value, active, metadata) from stdin with (format csv, header true);
product_handle,product_name,description,category_path,sku,price,compare_at_price,stock,weight_grams,option1_name,option1_value,option2_name,option2_value,option3_name,option3_value,active,metadata
zqimp-tent, Zqimp Tent ,"A tent, for two",Zqimp Outdoor > Zqimp Tents,ZQIMP-TENT-S-RED,100.00,120.00,5,2000,Size,S,Colour,Red,,,true,"{""brand"": ""Zq""}"
Zqimp-Tent,Zqimp Tent,"A tent, for two", Zqimp Outdoor>Zqimp Tents ,ZQIMP-TENT-M-RED,110,,0,,size,M,colour,Red,,,no,"{""brand"":""Zq""}"
zqimp-mug,Zqimp Mug,,,ZQIMP-MUG,7.5,,3,350,,,,,,,,
\.
select pg_temp.keep('happy', api.import_apply(upper(pg_temp.sha('happy')), false, 'tent.csv'));
select is(pg_temp.counts(pg_temp.kept('happy')),
  '{"status": "applied", "rows": 3, "created": 3, "updated": 0, "unchanged": 0, "errors": [], "error_count": 0}'::jsonb,
  'import_apply: applied, 3 rows created');
select is(array[pg_temp.kept('happy') ->> 'sha256', pg_temp.kept('happy') ->> 'user_id', pg_temp.kept('happy') ->> 'filename'],
  array[pg_temp.sha('happy'), pg_temp.id('admin_id')::text, 'tent.csv'],
  'import_apply: the answer has the sha256 (lower-case), the admin and the filename');
select is(pg_temp.kept('happy') -> 'changes',
  '[{"row": 1, "sku": "ZQIMP-TENT-S-RED", "action": "create", "fields": {"price": {"old": null, "new": "100.00"},
     "compare_at_price": {"old": null, "new": "120.00"}, "stock": {"old": null, "new": 5},
     "weight_grams": {"old": null, "new": 2000}, "active": {"old": null, "new": true}}},
    {"row": 2, "sku": "ZQIMP-TENT-M-RED", "action": "create", "fields": {"price": {"old": null, "new": "110.00"},
     "stock": {"old": null, "new": 0}, "weight_grams": {"old": null, "new": 0}, "active": {"old": null, "new": false}}},
    {"row": 3, "sku": "ZQIMP-MUG", "action": "create", "fields": {"price": {"old": null, "new": "7.50"},
     "stock": {"old": null, "new": 3}, "weight_grams": {"old": null, "new": 350}, "active": {"old": null, "new": true}}}]'::jsonb,
  'import_apply: changes lists each created row with its fields {old, new}');
select is(pg_temp.catalog('zqimp-tent'),
  '{"name": "Zqimp Tent", "description": "A tent, for two", "category": "Zqimp Outdoor > Zqimp Tents",
    "metadata": {"brand": "Zq"},
    "options": [{"name": "Size", "position": 0, "values": ["S", "M"]}, {"name": "Colour", "position": 1, "values": ["Red"]}],
    "variants": [
      {"sku": "ZQIMP-TENT-S-RED", "price": "100.00", "compare_at_price": "120.00", "stock": 5, "weight_grams": 2000,
       "active": true, "position": 0, "options": {"Size": "S", "Colour": "Red"}},
      {"sku": "ZQIMP-TENT-M-RED", "price": "110.00", "compare_at_price": null, "stock": 0, "weight_grams": 0,
       "active": false, "position": 1, "options": {"Size": "M", "Colour": "Red"}}]}'::jsonb,
  'applied: the product (cells trimmed, handle lower-cased), its categories, options in order with their values, '
  'two variants with their option values');
select is(pg_temp.catalog('zqimp-mug'),
  '{"name": "Zqimp Mug", "description": null, "category": null, "metadata": {}, "options": [],
    "variants": [{"sku": "ZQIMP-MUG", "price": "7.50", "compare_at_price": null, "stock": 3, "weight_grams": 350,
                  "active": true, "position": 0, "options": {}}]}'::jsonb,
  'applied: a product without options: one variant; empty cells: no description, no category, metadata {}, active');
select is(pg_temp.movements('zqimp-tent') || pg_temp.movements('zqimp-mug'),
  '[["ZQIMP-TENT-S-RED", 5, 5, "import", "admin"], ["ZQIMP-MUG", 3, 3, "import", "admin"]]'::jsonb,
  'applied: the stock of the new variants is in the ledger with the reason import and the admin (none for stock 0)');
select is(pg_temp.imports(), (pg_temp.kept('imports.before') ->> 'count')::bigint + 1, 'applied: one import recorded');
select is(api.import_get(pg_temp.id('happy'))::jsonb, pg_temp.kept('happy'), 'import_get: the import as applied');
select throws_ok($$insert into pg_temp.import_rows (sku) values ('ZQIMP-LATE')$$, '42501', null,
  'import_apply: the staging table is closed to the caller (what was streamed is what was checked)');

-- Update by SKU: a changed variant, a product field, a new variant with a new option value ---------------------
select pg_temp.keep('update', pg_temp.import('update', jsonb_build_array(
  pg_temp.tent('zqimp-tent-s-red', '{"description": "A tent, for three", "price": "95", "compare_at_price": "120.00",
    "stock": "8", "weight_grams": "2000", "option1_value": "s", "active": "true"}'),
  pg_temp.tent('ZQIMP-TENT-M-RED', '{"description": "A tent, for three", "price": "110.00", "stock": "0",
    "option1_value": "M", "active": "false"}'),
  pg_temp.tent('ZQIMP-TENT-L-RED', '{"description": "A tent, for three", "price": "130", "stock": "2", "option1_value": "L"}'),
  pg_temp.line('zqimp-mug', 'ZQIMP-MUG', '{"product_name": "Zqimp Mug", "price": "7.50", "stock": "3", "weight_grams": "350"}')),
  p_filename => 'update.csv'));
select is(pg_temp.counts(pg_temp.kept('update')),
  '{"status": "applied", "rows": 4, "created": 1, "updated": 1, "unchanged": 2, "errors": [], "error_count": 0}'::jsonb,
  'update: a row matched by SKU (any letter case) that changes -> updated; rows as they are -> unchanged; a new SKU -> created');
select is(pg_temp.kept('update') -> 'changes',
  '[{"row": 1, "sku": "zqimp-tent-s-red", "action": "update", "fields": {"price": {"old": "100.00", "new": "95.00"},
     "stock": {"old": 5, "new": 8}, "description": {"old": "A tent, for two", "new": "A tent, for three"}}},
    {"row": 3, "sku": "ZQIMP-TENT-L-RED", "action": "create", "fields": {"price": {"old": null, "new": "130.00"},
     "stock": {"old": null, "new": 2}, "weight_grams": {"old": null, "new": 0}, "active": {"old": null, "new": true}}}]'::jsonb,
  'update: changes lists the changed fields {old, new} (a product''s on its first row) and the created row');
select is(pg_temp.catalog('zqimp-tent'),
  '{"name": "Zqimp Tent", "description": "A tent, for three", "category": "Zqimp Outdoor > Zqimp Tents",
    "metadata": {"brand": "Zq"},
    "options": [{"name": "Size", "position": 0, "values": ["S", "M", "L"]}, {"name": "Colour", "position": 1, "values": ["Red"]}],
    "variants": [
      {"sku": "ZQIMP-TENT-S-RED", "price": "95.00", "compare_at_price": "120.00", "stock": 8, "weight_grams": 2000,
       "active": true, "position": 0, "options": {"Size": "S", "Colour": "Red"}},
      {"sku": "ZQIMP-TENT-M-RED", "price": "110.00", "compare_at_price": null, "stock": 0, "weight_grams": 0,
       "active": false, "position": 1, "options": {"Size": "M", "Colour": "Red"}},
      {"sku": "ZQIMP-TENT-L-RED", "price": "130.00", "compare_at_price": null, "stock": 2, "weight_grams": 0,
       "active": true, "position": 2, "options": {"Size": "L", "Colour": "Red"}}]}'::jsonb,
  'update: the variant updated (its SKU as it was), the description changed, the new value L added to Size, '
  'the new variant last');
select is(pg_temp.movements('zqimp-tent'),
  '[["ZQIMP-TENT-S-RED", 5, 5, "import", "admin"], ["ZQIMP-TENT-S-RED", 3, 8, "import", "admin"],
    ["ZQIMP-TENT-L-RED", 2, 2, "import", "admin"]]'::jsonb,
  'update: the stock change is a ledger row (delta 3, reason import), and the new variant''s stock another');
select is(pg_temp.movements('zqimp-mug'), '[["ZQIMP-MUG", 3, 3, "import", "admin"]]'::jsonb,
  'update: an unchanged row writes no ledger row');

-- Dry run: counts and changes, nothing changed; then the same file applied -----------------------------------
select pg_temp.keep('state', pg_temp.state()::json);
select pg_temp.keep('dry', pg_temp.import('dry', jsonb_build_array(
  pg_temp.tent('ZQIMP-TENT-M-RED', '{"description": "A tent, for three", "price": "111", "stock": "0", "option1_value": "M",
    "active": "false"}'),
  pg_temp.line('zqimp-mug', 'ZQIMP-MUG', '{"product_name": "Zqimp Mug", "price": "7.50", "stock": "10", "weight_grams": "350"}'),
  pg_temp.tent('ZQIMP-TENT-XL-RED', '{"description": "A tent, for three", "price": "140", "stock": "4", "option1_value": "XL"}')),
  true, 'dry.csv'));
select is(pg_temp.counts(pg_temp.kept('dry')),
  '{"status": "dry_run", "rows": 3, "created": 1, "updated": 2, "unchanged": 0, "errors": [], "error_count": 0}'::jsonb,
  'dry run: status dry_run with the counts of what it would do');
select is(pg_temp.kept('dry') -> 'changes',
  '[{"row": 1, "sku": "ZQIMP-TENT-M-RED", "action": "update", "fields": {"price": {"old": "110.00", "new": "111.00"}}},
    {"row": 2, "sku": "ZQIMP-MUG", "action": "update", "fields": {"stock": {"old": 3, "new": 10}}},
    {"row": 3, "sku": "ZQIMP-TENT-XL-RED", "action": "create", "fields": {"price": {"old": null, "new": "140.00"},
     "stock": {"old": null, "new": 4}, "weight_grams": {"old": null, "new": 0}, "active": {"old": null, "new": true}}}]'::jsonb,
  'dry run: the changes it would make');
select is(pg_temp.state(), pg_temp.kept('state'), 'dry run: nothing changed (catalog, categories, ledger)');
select is(api.import_get(pg_temp.id('dry'))::jsonb ->> 'status', 'dry_run', 'dry run: recorded as dry_run');
select pg_temp.keep('dry.applied', pg_temp.import('dry', jsonb_build_array(
  pg_temp.tent('ZQIMP-TENT-M-RED', '{"description": "A tent, for three", "price": "111", "stock": "0", "option1_value": "M",
    "active": "false"}'),
  pg_temp.line('zqimp-mug', 'ZQIMP-MUG', '{"product_name": "Zqimp Mug", "price": "7.50", "stock": "10", "weight_grams": "350"}'),
  pg_temp.tent('ZQIMP-TENT-XL-RED', '{"description": "A tent, for three", "price": "140", "stock": "4", "option1_value": "XL"}')),
  false, 'dry.csv'));
select is(pg_temp.counts(pg_temp.kept('dry.applied')),
  '{"status": "applied", "rows": 3, "created": 1, "updated": 2, "unchanged": 0, "errors": [], "error_count": 0}'::jsonb,
  'a file run dry before is applied when sent for real (a dry run is not an applied import)');
select is(pg_temp.kept('dry.applied') -> 'changes', pg_temp.kept('dry') -> 'changes',
  'the applied file changes what its dry run said it would');
select is(pg_temp.movements('zqimp-mug'), '[["ZQIMP-MUG", 3, 3, "import", "admin"], ["ZQIMP-MUG", 7, 10, "import", "admin"]]'::jsonb,
  'applied: the mug''s stock change is in the ledger');

-- Duplicate: a file applied before (same sha256) changes nothing ----------------------------------------------
select pg_temp.keep('state', pg_temp.state()::json);
select pg_temp.keep('duplicate', pg_temp.import('update', jsonb_build_array(
  pg_temp.tent('ZQIMP-TENT-S-RED', '{"description": "A tent, for three", "price": "1.00", "stock": "99", "option1_value": "S"}')),
  p_filename => 'again.csv'));
select is(pg_temp.counts(pg_temp.kept('duplicate')),
  '{"status": "duplicate", "rows": 1, "created": 0, "updated": 0, "unchanged": 0, "errors": [], "error_count": 0}'::jsonb,
  'duplicate: a file whose sha256 was applied -> status duplicate, nothing counted');
select is(array[pg_temp.kept('duplicate') ->> 'sha256', pg_temp.kept('duplicate') -> 'changes' #>> '{}'],
  array[pg_temp.sha('update'), '[]'], 'duplicate: recorded with that sha256, no changes');
select is(pg_temp.state(), pg_temp.kept('state'), 'duplicate: nothing changed');
select is(pg_temp.counts(pg_temp.import('happy', '[]', true)::jsonb) ->> 'status', 'duplicate',
  'duplicate: a dry run of a file applied before is a duplicate too');
select is(api.import_get(pg_temp.id('duplicate'))::jsonb, pg_temp.kept('duplicate'), 'duplicate: recorded as answered');

-- Validation: each error, answered 422 invalid_import {import_id, errors}, recorded, nothing applied ------------
select pg_temp.keep('state', pg_temp.state()::json);
select pg_temp.keep('imports.before', json_build_object('count', pg_temp.imports()));
select is(pg_temp.refusal(pg_temp.import('bad handle', jsonb_build_array(
    pg_temp.line('zqimp-ok-1', 'ZQIMP-OK-1'),
    pg_temp.line('', 'ZQIMP-BAD-H1'),
    pg_temp.line('zqimp bad', 'ZQIMP-BAD-H2'),
    pg_temp.line('zqimp--bad', 'ZQIMP-BAD-H3'),
    pg_temp.line('zqimp-' || repeat('a', 250), 'ZQIMP-BAD-H4', '{"product_name": "Zqimp Long"}'),
    pg_temp.line('zqimp-' || repeat('a', 249), 'ZQIMP-OK-2', '{"product_name": "Zqimp Long"}')))),
  pg_temp.invalid('2 product_handle missing_value, 3 product_handle invalid_handle, 4 product_handle invalid_handle,
                   5 product_handle invalid_handle'),
  'invalid_import: an empty handle -> missing_value; not lower-case words joined by hyphens, or over 255 characters '
  '-> invalid_handle; the rows right are not reported');
select is(pg_temp.refusal(pg_temp.import('bad name sku', jsonb_build_array(
    pg_temp.line('zqimp-bad-n1', 'ZQIMP-BAD-N1', '{"product_name": "  "}'),
    pg_temp.line('zqimp-bad-n2', 'ZQIMP-BAD-N2') - 'product_name',
    pg_temp.line('zqimp-bad-s1', ' ') ,
    pg_temp.line('zqimp-bad-s2', 'x') - 'sku',
    pg_temp.line('zqimp-bad-s3', 'ZQIMP-' || repeat('X', 95)),
    pg_temp.line('zqimp-ok-3', 'ZQIMP-' || repeat('Y', 94)),
    pg_temp.line('zqimp-bad-n3', 'ZQIMP-BAD-N3', jsonb_build_object('product_name', repeat('n', 256))),
    pg_temp.line('zqimp-ok-3b', 'ZQIMP-OK-3B', jsonb_build_object('product_name', ' ' || repeat('n', 255) || ' '))))),
  pg_temp.invalid('1 product_name missing_value, 2 product_name missing_value, 3 sku missing_value, 4 sku missing_value,
                   5 sku invalid_sku, 7 product_name invalid_name'),
  'invalid_import: an empty (or blank) product_name or sku -> missing_value; a SKU over 100 characters -> invalid_sku; '
  'a product_name over 255 characters (once trimmed) -> invalid_name');
select is(pg_temp.refusal(pg_temp.import('bad price', jsonb_build_array(
    pg_temp.line('zqimp-bad-p1', 'ZQIMP-BAD-P1', '{"price": "12.345"}'),
    pg_temp.line('zqimp-bad-p2', 'ZQIMP-BAD-P2', '{"price": "-1"}'),
    pg_temp.line('zqimp-bad-p3', 'ZQIMP-BAD-P3', '{"price": "ten"}'),
    pg_temp.line('zqimp-bad-p4', 'ZQIMP-BAD-P4') - 'price',
    pg_temp.line('zqimp-bad-p5', 'ZQIMP-BAD-P5', '{"price": "10000000000"}'),
    pg_temp.line('zqimp-bad-p6', 'ZQIMP-BAD-P6', '{"compare_at_price": "1,5"}'),
    pg_temp.line('zqimp-bad-p7', 'ZQIMP-BAD-P7', '{"price": "10", "compare_at_price": "10.00"}'),
    pg_temp.line('zqimp-bad-p8', 'ZQIMP-BAD-P8', '{"price": "10", "compare_at_price": "9.99"}'),
    pg_temp.line('zqimp-ok-4', 'ZQIMP-OK-4', '{"price": "9999999999.99", "compare_at_price": " "}')))),
  pg_temp.invalid('1 price invalid_price, 2 price invalid_price, 3 price invalid_price, 4 price invalid_price,
                   5 price invalid_price, 6 compare_at_price invalid_price, 7 compare_at_price invalid_compare_at_price,
                   8 compare_at_price invalid_compare_at_price'),
  'invalid_import: a price not from 0 to 9999999999.99 with 2 decimals, or empty -> invalid_price (compare_at_price '
  'too); compare_at_price not above price -> invalid_compare_at_price');
select is(pg_temp.refusal(pg_temp.import('bad stock', jsonb_build_array(
    pg_temp.line('zqimp-bad-k1', 'ZQIMP-BAD-K1', '{"stock": "-3"}'),
    pg_temp.line('zqimp-bad-k2', 'ZQIMP-BAD-K2', '{"stock": "2.5"}'),
    pg_temp.line('zqimp-bad-k3', 'ZQIMP-BAD-K3') - 'stock',
    pg_temp.line('zqimp-bad-k4', 'ZQIMP-BAD-K4', '{"stock": "1e3"}'),
    pg_temp.line('zqimp-ok-5', 'ZQIMP-OK-5', '{"stock": " 0 "}')))),
  pg_temp.invalid('1 stock negative_stock, 2 stock invalid_stock, 3 stock invalid_stock, 4 stock invalid_stock'),
  'invalid_import: stock below 0 -> negative_stock; not a whole number, or empty -> invalid_stock');
select is(pg_temp.refusal(pg_temp.import('bad cells', jsonb_build_array(
    pg_temp.line('zqimp-bad-w1', 'ZQIMP-BAD-W1', '{"weight_grams": "-1"}'),
    pg_temp.line('zqimp-bad-w2', 'ZQIMP-BAD-W2', '{"weight_grams": "heavy"}'),
    pg_temp.line('zqimp-bad-a1', 'ZQIMP-BAD-A1', '{"active": "maybe"}'),
    pg_temp.line('zqimp-bad-m1', 'ZQIMP-BAD-M1', '{"metadata": "[1, 2]"}'),
    pg_temp.line('zqimp-bad-m2', 'ZQIMP-BAD-M2', '{"metadata": "{bad"}'),
    pg_temp.line('zqimp-ok-6', 'ZQIMP-OK-6', '{"weight_grams": "", "active": "Y", "metadata": "{}"}'),
    pg_temp.line('zqimp-bad-m3', 'ZQIMP-BAD-M3',
      jsonb_build_object('metadata', repeat('{"a": ', 9) || '1' || repeat('}', 9))),
    pg_temp.line('zqimp-bad-m4', 'ZQIMP-BAD-M4',
      jsonb_build_object('metadata', jsonb_build_object('a', repeat('x', 17000))::text)),
    pg_temp.line('zqimp-ok-7', 'ZQIMP-OK-7',
      jsonb_build_object('metadata', repeat('{"a": ', 7) || '1' || repeat('}', 7)))))),
  pg_temp.invalid('1 weight_grams invalid_weight, 2 weight_grams invalid_weight, 3 active invalid_active,
                   4 metadata invalid_metadata, 5 metadata invalid_metadata, 7 metadata invalid_metadata,
                   8 metadata invalid_metadata'),
  'invalid_import: weight_grams not a whole number from 0 -> invalid_weight; active not true/false -> invalid_active; '
  'metadata not a JSON object, nested over 8 levels or over 16 KB -> invalid_metadata');
select is(pg_temp.refusal(pg_temp.import('bad options', jsonb_build_array(
    pg_temp.line('zqimp-bad-o1', 'ZQIMP-BAD-O1', '{"option1_name": "Size"}'),
    pg_temp.line('zqimp-bad-o2', 'ZQIMP-BAD-O2', '{"option1_name": "Size", "option1_value": "S", "option2_value": "Red"}'),
    pg_temp.line('zqimp-bad-o3', 'ZQIMP-BAD-O3', '{"option1_name": "Size", "option1_value": "S", "option2_name": "size",
                                                  "option2_value": "M"}'),
    pg_temp.line('zqimp-bad-o4', 'ZQIMP-BAD-O4', '{"option3_name": "Fit", "option3_value": "  "}'),
    pg_temp.line('zqimp-bad-o5', 'ZQIMP-BAD-O5', jsonb_build_object('option1_name', repeat('n', 101),
      'option1_value', 'S', 'option2_name', 'Colour', 'option2_value', repeat('v', 101))),
    pg_temp.line('zqimp-ok-8', 'ZQIMP-OK-8', jsonb_build_object('option1_name', repeat('n', 100),
      'option1_value', ' ' || repeat('v', 100) || ' '))))),
  pg_temp.invalid('1 option1_value missing_option_value, 2 option2_name missing_option_name,
                   3 option1_name duplicate_option, 4 option3_value missing_option_value,
                   5 option1_name invalid_option_values, 5 option2_value invalid_option_values'),
  'invalid_import: a declared option without a value -> missing_option_value; a value without a name -> '
  'missing_option_name; an option named twice (any letter case) -> duplicate_option; an option name or value over '
  '100 characters (once trimmed) -> invalid_option_values');
select is(pg_temp.refusal(pg_temp.import('duplicate sku', jsonb_build_array(
    pg_temp.line('zqimp-dup-1', 'ZQIMP-DUP'),
    pg_temp.line('zqimp-dup-2', ' zqimp-dup '),
    pg_temp.line('zqimp-dup-3', 'ZQIMP-DUP-3'),
    pg_temp.line('zqimp-dup-4', 'Zqimp-Dup')))),
  pg_temp.invalid('2 sku duplicate_sku, 4 sku duplicate_sku'),
  'invalid_import: a SKU on an earlier row (any letter case) -> duplicate_sku on every later row');
select is(pg_temp.refusal(pg_temp.import('conflicting product', jsonb_build_array(
    pg_temp.tent('ZQIMP-CONF-1', '{"product_handle": "zqimp-conf", "option1_value": "S"}'),
    pg_temp.tent('ZQIMP-CONF-2', '{"product_handle": "zqimp-conf", "option1_value": "M", "product_name": "Zqimp Tent 2"}'),
    pg_temp.tent('ZQIMP-CONF-3', '{"product_handle": "zqimp-conf", "option1_value": "L", "description": "Another"}'),
    pg_temp.tent('ZQIMP-CONF-4', '{"product_handle": "zqimp-conf", "option1_value": "XL", "category_path": "Zqimp Outdoor"}'),
    pg_temp.tent('ZQIMP-CONF-5', '{"product_handle": "zqimp-conf", "option1_value": "XS", "metadata": "{}"}'),
    pg_temp.tent('ZQIMP-CONF-6', '{"product_handle": "zqimp-conf", "option1_value": "XXL", "option2_name": "Fit"}'),
    pg_temp.tent('ZQIMP-CONF-7', '{"product_handle": "zqimp-conf", "option1_value": "XXS", "option2_name": "COLOUR",
                                   "category_path": " Zqimp Outdoor>Zqimp Tents", "metadata": "{\"brand\":\"Zq\"}"}')))),
  pg_temp.invalid('2 product_name conflicting_product, 3 description conflicting_product,
                   4 category_path conflicting_product, 5 metadata conflicting_product, 6 option1_name conflicting_product'),
  'invalid_import: a row of a product that gives it another name, description, category, metadata or option names '
  'than its first row -> conflicting_product (the same after trimming and letter case is no conflict)');
select is(pg_temp.refusal(pg_temp.import('sku taken', jsonb_build_array(
    pg_temp.line('zqimp-other', 'zqimp-mug')))),
  pg_temp.invalid('1 sku sku_taken'), 'invalid_import: the SKU of another product''s live variant -> sku_taken');
select is(pg_temp.refusal(pg_temp.import('options mismatch', jsonb_build_array(
    pg_temp.tent('ZQIMP-TENT-S-RED', '{"description": "A tent, for three", "option1_value": "S"}')
      - 'option2_name' - 'option2_value',
    pg_temp.line('zqimp-mug', 'ZQIMP-MUG', '{"product_name": "Zqimp Mug", "price": "7.50", "stock": "10",
      "weight_grams": "350", "option1_name": "Colour", "option1_value": "White"}')))),
  pg_temp.invalid('1 option1_name options_mismatch, 2 option1_name options_mismatch'),
  'invalid_import: rows of an existing product that do not name exactly its options -> options_mismatch');
select is(pg_temp.refusal(pg_temp.import('variant exists', jsonb_build_array(
    pg_temp.tent('ZQIMP-TENT-S-RED-2', '{"description": "A tent, for three", "option1_value": "s", "option2_value": "RED"}'),
    pg_temp.line('zqimp-twin', 'ZQIMP-TWIN-1', '{"option1_name": "Size", "option1_value": "S"}'),
    pg_temp.line('zqimp-twin', 'ZQIMP-TWIN-2', '{"option1_name": "Size", "option1_value": "s"}'),
    pg_temp.line('zqimp-plain', 'ZQIMP-PLAIN-1'),
    pg_temp.line('zqimp-plain', 'ZQIMP-PLAIN-2')))),
  pg_temp.invalid('1 option1_value variant_exists, 3 option1_value variant_exists, 5 option1_value variant_exists'),
  'invalid_import: the option values of a live variant the file does not name, or of an earlier row of the product '
  '(any letter case; two rows of a product without options) -> variant_exists');
select is(pg_temp.refusal(pg_temp.import('category path', jsonb_build_array(
    pg_temp.line('zqimp-cat-1', 'ZQIMP-CAT-1', '{"category_path": "Zqimp Stoves"}'),
    pg_temp.line('zqimp-cat-2', 'ZQIMP-CAT-2', '{"category_path": "Zqimp Outdoor > Zqimp Burners"}'),
    pg_temp.line('zqimp-cat-3', 'ZQIMP-CAT-3', '{"category_path": "zqimp camping > ZQIMP STOVES > Zqimp Pans"}'),
    pg_temp.line('zqimp-cat-4', 'ZQIMP-CAT-4', '{"category_path": "Zqimp New > Zqimp Stoves > Zqimp Burners"}')))),
  pg_temp.invalid('1 category_path invalid_category_path, 2 category_path invalid_category_path,
                   4 category_path invalid_category_path'),
  'invalid_import: a path with a level that exists under another parent -> invalid_category_path (names match in '
  'any letter case)');
select is(pg_temp.refusal(pg_temp.import('category path levels', jsonb_build_array(
    pg_temp.line('zqimp-lvl-1', 'ZQIMP-LVL-1', '{"category_path": "Zqimp A > > Zqimp B"}'),
    pg_temp.line('zqimp-lvl-2', 'ZQIMP-LVL-2', '{"category_path": "Zqimp A >"}'),
    pg_temp.line('zqimp-lvl-3', 'ZQIMP-LVL-3', jsonb_build_object('category_path', 'Zqimp A > ' || repeat('c', 101))),
    pg_temp.line('zqimp-lvl-4', 'ZQIMP-LVL-4', jsonb_build_object('category_path', 'Zqimp A > ' || repeat('c', 100)))))),
  pg_temp.invalid('1 category_path invalid_category_path, 2 category_path invalid_category_path,
                   3 category_path invalid_category_path'),
  'invalid_import: a path with an empty level (inside or at the end) or a level over 100 characters -> '
  'invalid_category_path');
select is(pg_temp.refusal(pg_temp.import('category path root levels', jsonb_build_array(
    pg_temp.line('zqimp-lvl-5', 'ZQIMP-LVL-5', '{"category_path": " > Zqimp A"}'),
    pg_temp.line('zqimp-lvl-6', 'ZQIMP-LVL-6', '{"category_path": " >  "}')))),
  pg_temp.invalid('1 category_path invalid_category_path, 2 category_path invalid_category_path'),
  'invalid_import: a path with an empty first level, or only empty levels -> invalid_category_path');
select is(pg_temp.refusal(pg_temp.import('category two parents', jsonb_build_array(
    pg_temp.line('zqimp-lvl-7', 'ZQIMP-LVL-7', '{"category_path": "Zqimp P1 > Zqimp Twice"}'),
    pg_temp.line('zqimp-lvl-8', 'ZQIMP-LVL-8', '{"category_path": "Zqimp P1 > Zqimp Once"}'),
    pg_temp.line('zqimp-lvl-9', 'ZQIMP-LVL-9', '{"category_path": "Zqimp P2 > Zqimp Twice"}'),
    pg_temp.line('zqimp-lvl-10', 'ZQIMP-LVL-10', '{"category_path": "Zqimp P1 > zqimp twice"}')))),
  pg_temp.invalid('1 category_path invalid_category_path, 3 category_path invalid_category_path,
                   4 category_path invalid_category_path'),
  'invalid_import: a new category name under two parents in the file (any letter case) -> invalid_category_path '
  'on each row naming it');
select is(pg_temp.refusal(pg_temp.import('many', jsonb_build_array(
    pg_temp.line('zqimp-many-1', 'ZQIMP-MANY-1', '{"price": "x", "stock": "-1", "active": "?"}'),
    pg_temp.line('zqimp-many-2', 'ZQIMP-MANY-1', '{"product_handle": "Zqimp Many"}')))),
  pg_temp.invalid('1 active invalid_active, 1 price invalid_price, 1 stock negative_stock,
                   2 product_handle invalid_handle, 2 sku duplicate_sku'),
  'invalid_import: every error of a file, by row then column');
select pg_temp.keep('thousand', pg_temp.import('thousand',
  (select jsonb_agg(pg_temp.line('zqimp-k-' || i, 'ZQIMP-K-' || i, '{"price": "x"}') order by i)
   from generate_series(1, 1001) i)));
select is(array[jsonb_array_length(pg_temp.kept('thousand') -> 'problem' -> 'errors'),
                (pg_temp.kept('thousand') -> 'problem' -> 'errors' -> 999 ->> 'row')::integer,
                (api.import_get((pg_temp.kept('thousand') -> 'problem' ->> 'import_id')::bigint)::jsonb ->> 'error_count')::integer,
                (api.import_get((pg_temp.kept('thousand') -> 'problem' ->> 'import_id')::bigint)::jsonb ->> 'rows')::integer],
  array[1000, 1000, 1001, 1001], 'invalid_import: the first 1,000 errors, error_count all 1,001');
select pg_temp.keep('refused', pg_temp.import('bad price', jsonb_build_array(
  pg_temp.line('zqimp-half', 'ZQIMP-HALF-1'),
  pg_temp.line('zqimp-half', 'ZQIMP-HALF-2', '{"option1_name": "Size", "option1_value": "S", "price": "1.999"}')),
  p_filename => 'half.csv'));
select is(pg_temp.kept('refused'),
  jsonb_build_object('problem', jsonb_build_object('status', 422, 'code', 'invalid_import',
    'detail', 'the file has 2 error(s); nothing was imported',
    'import_id', (pg_temp.kept('refused') -> 'problem' ->> 'import_id')::bigint,
    'errors', '[{"row": 2, "column": "option1_name", "code": "conflicting_product",
                 "message": "product zqimp-half has another option1_name on row 1"},
                {"row": 2, "column": "price", "code": "invalid_price",
                 "message": "''1.999'' is not an amount from 0 to 9999999999.99 with at most 2 decimals"}]'::jsonb)),
  'invalid_import: the problem is returned (not raised): {status 422, code, detail, import_id, errors with messages}');
select is(api.import_get((pg_temp.kept('refused') -> 'problem' ->> 'import_id')::bigint)::jsonb
            - 'id' - 'created_at' - 'db_role',
  jsonb_build_object('status', 'refused', 'sha256', pg_temp.sha('bad price'), 'filename', 'half.csv',
    'user_id', pg_temp.id('admin_id'), 'rows', 2, 'created', 0, 'updated', 0, 'unchanged', 0, 'changes', '[]'::jsonb,
    'errors', pg_temp.kept('refused') -> 'problem' -> 'errors', 'error_count', 2),
  'invalid_import: recorded as refused with its rows, errors and error_count (a refused file may be sent again)');
select is(pg_temp.state(), pg_temp.kept('state'), 'invalid_import: nothing of any refused file was applied');
select is(pg_temp.catalog('zqimp-half'), null, 'invalid_import: not even the rows without errors');
select is(pg_temp.imports(), (pg_temp.kept('imports.before') ->> 'count')::bigint + 18,
  'invalid_import: each refused file recorded once');

-- A refused header; a COPY that failed: api.import_refuse ------------------------------------------------------
select is(pg_temp.refusal(pg_temp.import('header', '[]',
    p_header => array_remove(pg_temp.columns(), 'price') || array['Colour', 'sku'])),
  pg_temp.invalid('0 sku duplicate_column, 0 price missing_column, 0 Colour unknown_column'),
  'import_refuse: a refused header (import_begin answered copy null) -> invalid_import with its errors, row 0');
select pg_temp.keep('header', pg_temp.import('header', '[]', p_header => array['sku']));
select is(api.import_get((pg_temp.kept('header') -> 'problem' ->> 'import_id')::bigint)::jsonb ->> 'error_count', '16',
  'import_refuse: every missing column counted');
select pg_temp.drop_staging();
select is(api.import_begin(pg_temp.columns()) ->> 'copy' is not null, true, 'a COPY begun (then fails, rolled back)');
select pg_temp.keep('copy_error', api.import_refuse(upper(pg_temp.sha('copy error')), 'broken.csv', pg_temp.columns(),
  '{"sqlstate": "22P04", "message": "unterminated CSV quoted field", "context": "COPY import_rows, line 9: \"\"x\""}'));
select is(pg_temp.refusal(pg_temp.kept('copy_error')::json), pg_temp.invalid('8 - unclosed_quote'),
  'import_refuse: a COPY error -> invalid_import with that error');
select is(api.import_get((pg_temp.kept('copy_error') -> 'problem' ->> 'import_id')::bigint)::jsonb - 'id' - 'created_at'
            - 'db_role' - 'errors',
  jsonb_build_object('status', 'refused', 'sha256', pg_temp.sha('copy error'), 'filename', 'broken.csv',
    'user_id', pg_temp.id('admin_id'), 'rows', 0, 'created', 0, 'updated', 0, 'unchanged', 0, 'changes', '[]'::jsonb,
    'error_count', 1),
  'import_refuse: recorded as refused, rows 0, the sha256 in lower case');
select is(pg_temp.refusal(api.import_refuse(pg_temp.sha('both'), null, array_remove(pg_temp.columns(), 'metadata'),
    '{"sqlstate": "22021", "message": "invalid byte sequence for encoding \"UTF8\": 0xc3 0x28", "context": "COPY import_rows, line 2"}')),
  pg_temp.invalid('0 metadata missing_column, 1 - invalid_utf8'),
  'import_refuse: the header''s errors, then the COPY''s');

-- api.imports_list, api.import_get ---------------------------------------------------------------------------
select pg_temp.keep('list', api.imports_list(100));
select is((pg_temp.kept('list') -> 'items' -> 0 ->> 'id')::bigint,
  (pg_temp.kept('copy_error') -> 'problem' ->> 'import_id')::bigint + 1,
  'imports_list: newest first (the last refusal)');
select is(
  (select jsonb_agg(i ->> 'status' order by (i ->> 'id')::bigint)
   from jsonb_array_elements(pg_temp.kept('list') -> 'items') i
   where (i ->> 'id')::bigint in (pg_temp.id('happy'), pg_temp.id('update'), pg_temp.id('dry'), pg_temp.id('duplicate'),
                                  (pg_temp.kept('refused') -> 'problem' ->> 'import_id')::bigint)),
  '["applied", "applied", "dry_run", "duplicate", "refused"]'::jsonb,
  'imports_list: the applied, dry_run, duplicate and refused imports');
select is(
  array(select (i ->> 'id')::bigint from jsonb_array_elements(pg_temp.kept('list') -> 'items') with ordinality x (i, n)
        order by n),
  array(select (i ->> 'id')::bigint from jsonb_array_elements(pg_temp.kept('list') -> 'items') i order by 1 desc),
  'imports_list: ids descending');
select is(array(select jsonb_object_keys(pg_temp.kept('list') -> 'items' -> 0) order by 1),
  array['created', 'created_at', 'db_role', 'error_count', 'filename', 'id', 'rows', 'sha256', 'status', 'unchanged',
        'updated', 'user_id'],
  'imports_list: an item without its changes and errors');
select is((select i from jsonb_array_elements(pg_temp.kept('list') -> 'items') i
           where (i ->> 'id')::bigint = pg_temp.id('happy')),
  pg_temp.kept('happy') - 'changes' - 'errors', 'imports_list: an item is the import as answered, less changes and errors');
select pg_temp.keep('page1', api.imports_list(2));
select pg_temp.keep('page2', api.imports_list(2, pg_temp.kept('page1') ->> 'next_cursor'));
select is(
  (select jsonb_agg(i -> 'id') from (select jsonb_array_elements(pg_temp.kept('page1') -> 'items')
                                     union all select jsonb_array_elements(pg_temp.kept('page2') -> 'items')) x (i)),
  (select jsonb_agg(i -> 'id') from (select i from jsonb_array_elements(pg_temp.kept('list') -> 'items') with ordinality
                                     y (i, n) where n <= 4 order by n) x),
  'imports_list: keyset pages of 2 follow one another (next_cursor)');
select throws_ok($$select api.imports_list(0)$$, 'PT422', 'invalid_limit', 'imports_list: limit 0 -> PT422 invalid_limit');
select throws_ok($$select api.imports_list(2, 'zqimp')$$, 'PT422', 'invalid_cursor',
  'imports_list: a cursor not its own -> PT422 invalid_cursor');
select is(api.import_get(pg_temp.id('update'))::jsonb, pg_temp.kept('update'),
  'import_get: an import with its changes, as its answer was');
select throws_ok(format('select api.import_get(%s)', pg_temp.id('happy') + 100000), 'PT404', 'not_found',
  'import_get: an unknown id -> PT404 not_found');

-- api.products_export, api.export_begin -----------------------------------------------------------------------
select is(
  (select array_agg(a.name order by a.n) from pg_proc p
   cross join lateral unnest(p.proargnames, p.proargmodes) with ordinality a (name, mode, n)
   where p.oid = 'api.products_export()'::regprocedure and a.mode = 't'),
  pg_temp.columns(), 'products_export: the columns of the format, in its order');
select results_eq(
  $$select * from api.products_export() where product_handle in ('zqimp-tent', 'zqimp-mug')$$,
  $$values
    ('zqimp-tent', 'Zqimp Tent', 'A tent, for three', 'Zqimp Outdoor > Zqimp Tents', 'ZQIMP-TENT-S-RED', '95.00',
     '120.00', 8, 2000, 'Size', 'S', 'Colour', 'Red', null::text, null::text, 'true', '{"brand": "Zq"}'),
    ('zqimp-tent', 'Zqimp Tent', 'A tent, for three', 'Zqimp Outdoor > Zqimp Tents', 'ZQIMP-TENT-M-RED', '111.00',
     null, 0, 0, 'Size', 'M', 'Colour', 'Red', null, null, 'false', '{"brand": "Zq"}'),
    ('zqimp-tent', 'Zqimp Tent', 'A tent, for three', 'Zqimp Outdoor > Zqimp Tents', 'ZQIMP-TENT-L-RED', '130.00',
     null, 2, 0, 'Size', 'L', 'Colour', 'Red', null, null, 'true', '{"brand": "Zq"}'),
    ('zqimp-tent', 'Zqimp Tent', 'A tent, for three', 'Zqimp Outdoor > Zqimp Tents', 'ZQIMP-TENT-XL-RED', '140.00',
     null, 4, 0, 'Size', 'XL', 'Colour', 'Red', null, null, 'true', '{"brand": "Zq"}'),
    ('zqimp-mug', 'Zqimp Mug', null, null, 'ZQIMP-MUG', '7.50', null, 10, 350, null, null, null, null, null, null,
     'true', '{}')$$,
  'products_export: one row per live variant, in product and variant order, options in option order');
select pg_temp.keep('state', pg_temp.state()::json);
select pg_temp.keep('roundtrip', pg_temp.import('export', (
  select jsonb_agg(to_jsonb(e)) from api.products_export() e where e.product_handle in ('zqimp-tent', 'zqimp-mug')),
  p_filename => 'products.csv'));
select is(pg_temp.counts(pg_temp.kept('roundtrip')),
  '{"status": "applied", "rows": 5, "created": 0, "updated": 0, "unchanged": 5, "errors": [], "error_count": 0}'::jsonb,
  'export then import: every row unchanged');
select is(pg_temp.kept('roundtrip') -> 'changes', '[]'::jsonb, 'export then import: no changes');
select is(pg_temp.state(), pg_temp.kept('state'), 'export then import: the catalog as it was, no ledger row');
set local statement_timeout = '10s';
select is(api.export_begin(), 'copy (select * from api.products_export()) to stdout with (format csv, header true)',
  'export_begin: the COPY that streams the export');
select is(current_setting('statement_timeout'), '30min', 'export_begin: the export runs under import_timeout');

-- Who may import: not a customer, not anonymous; the database owner, recorded without a user --------------------
select pg_temp.drop_staging();
select pg_temp.keep('imports.before', json_build_object('count', pg_temp.imports()));
select pg_temp.act_as(pg_temp.id('customer_id'));
select throws_ok($$select api.import_begin(pg_temp.columns())$$, 'PT403', 'forbidden', 'import_begin: a customer -> PT403');
select is(to_regclass('pg_temp.import_rows'), null, 'import_begin: a customer gets no staging table');
select throws_ok(format('select api.import_apply(%L)', pg_temp.sha('customer')), 'PT403', 'forbidden',
  'import_apply: a customer -> PT403');
select throws_ok(format('select api.import_refuse(%L, null, array[''sku''])', pg_temp.sha('customer')), 'PT403',
  'forbidden', 'import_refuse: a customer -> PT403');
select throws_ok($$select api.imports_list()$$, 'PT403', 'forbidden', 'imports_list: a customer -> PT403');
select throws_ok(format('select api.import_get(%s)', pg_temp.id('happy')), 'PT403', 'forbidden',
  'import_get: a customer -> PT403');
select throws_ok($$select api.export_begin()$$, 'PT403', 'forbidden', 'export_begin: a customer -> PT403');
select throws_ok($$select count(*) from api.products_export()$$, 'PT403', 'forbidden', 'products_export: a customer -> PT403');
select pg_temp.act_as(pg_temp.id('customer_id'), 'admin');
select throws_ok($$select api.import_begin(pg_temp.columns())$$, 'PT403', 'forbidden',
  'import_begin: a customer whose token claims admin -> PT403 (shop.users decides)');
select throws_ok($$select api.imports_list()$$, 'PT403', 'forbidden',
  'imports_list: a customer whose token claims admin -> PT403');
select pg_temp.act_as(null);
select throws_ok($$select api.import_begin(pg_temp.columns())$$, 'PT401', 'unauthenticated',
  'import_begin: anonymous (as pgshop_api) -> PT401');
select throws_ok(format('select api.import_apply(%L)', pg_temp.sha('anonymous')), 'PT401', 'unauthenticated',
  'import_apply: anonymous -> PT401');
select throws_ok(format('select api.import_refuse(%L, null, array[''sku''])', pg_temp.sha('anonymous')), 'PT401',
  'unauthenticated', 'import_refuse: anonymous -> PT401');
select throws_ok($$select api.imports_list()$$, 'PT401', 'unauthenticated', 'imports_list: anonymous -> PT401');
select throws_ok(format('select api.import_get(%s)', pg_temp.id('happy')), 'PT401', 'unauthenticated',
  'import_get: anonymous -> PT401');
select throws_ok($$select api.export_begin()$$, 'PT401', 'unauthenticated', 'export_begin: anonymous -> PT401');
select throws_ok($$select count(*) from api.products_export()$$, 'PT401', 'unauthenticated',
  'products_export: anonymous -> PT401');
select is(pg_temp.imports(), (pg_temp.kept('imports.before') ->> 'count')::bigint,
  'nothing recorded for refused callers');

-- The pgshop command: the owner, no claims.
set local role pgshop;
select pg_temp.keep('owner', pg_temp.import('owner', jsonb_build_array(
  pg_temp.line('zqimp-mug', 'ZQIMP-MUG', '{"product_name": "Zqimp Mug", "price": "7.50", "stock": "12", "weight_grams": "350"}'))));
select is(pg_temp.counts(pg_temp.kept('owner')) || jsonb_build_object('user_id', pg_temp.kept('owner') -> 'user_id'),
  '{"status": "applied", "rows": 1, "created": 0, "updated": 1, "unchanged": 0, "errors": [], "error_count": 0,
    "user_id": null}'::jsonb,
  'the database owner without claims (the pgshop command) may import; recorded without a user');
select is(pg_temp.kept('owner') ->> 'db_role', session_user::text, 'the owner''s import: recorded with its db_role');
select is(pg_temp.movements('zqimp-mug') -> -1, '["ZQIMP-MUG", 2, 12, "import", null]'::jsonb,
  'the owner''s import: the ledger row without an actor');
set local role pgshop_api;
select pg_temp.act_as(null);
select throws_ok($$select api.import_begin(pg_temp.columns())$$, 'PT401', 'unauthenticated',
  'but pgshop_api without claims is anonymous (it may not write the catalog itself)');

select * from finish();
rollback;
