-- Catalog: categories (a tree) and products (full-text and typo-tolerant search, keyset pagination,
-- soft delete). Reads show active, live products; admins also see inactive ones by id.

create or replace function lib.category_json(p_category shop.categories) returns json
language sql
stable
as $$
  select json_build_object(
    'id', p_category.id,
    'name', p_category.name,
    'description', p_category.description,
    'parent_id', p_category.parent_id,
    'created_at', p_category.created_at
  )
$$;
comment on function lib.category_json(shop.categories) is 'The public shape of a category.';

create or replace function api.categories_list() returns json
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select json_build_object(
    'items', coalesce(json_agg(lib.category_json(c) order by c.id), '[]'),
    'next_cursor', null
  )
  from shop.categories c
$$;
comment on function api.categories_list() is
  'GET /api/categories: every category (the tree is small, so one page; next_cursor is always null).';

create or replace function api.category_create(
  p_name text,
  p_description text default null,
  p_parent_id bigint default null
) returns json
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function api.category_create(text, text, bigint) is
  'POST /api/categories (admin): 409 category_exists (any letter case), 422 unknown_parent.';

create or replace function lib.product_json(p_product shop.products) returns json
language sql
stable
as $$
  select json_build_object(
    'id', p_product.id,
    'name', p_product.name,
    'description', p_product.description,
    'price', p_product.price::text,
    'category_id', p_product.category_id,
    'stock_quantity', p_product.stock_quantity,
    'sku', p_product.sku,
    'is_active', p_product.is_active,
    'metadata', p_product.metadata,
    'low_stock_threshold', p_product.low_stock_threshold,
    'created_at', p_product.created_at,
    'updated_at', p_product.updated_at
  )
$$;
comment on function lib.product_json(shop.products) is 'The public shape of a product; price as a decimal string.';

create or replace function lib.not_found(p_what text, p_id bigint) returns void
language plpgsql
immutable
as $$
begin
  raise exception using
    errcode = 'PT404', message = 'not_found',
    detail = format('%s %s does not exist', p_what, p_id);
end
$$;
comment on function lib.not_found(text, bigint) is 'Raises PT404 not_found for a missing or deleted row.';

create or replace function api.product_get(p_id bigint) returns json
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
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
  return lib.product_json(v_product);
end
$$;
comment on function api.product_get(bigint) is
  'GET /api/products/{id}: a live product; inactive ones only for admins. PT404 not_found otherwise.';

-- Typo tolerance: each word of the query that no product name contains is replaced by the most similar
-- word that one does (trigram similarity at least 0.3, pg_trgm's default). Used only when the query as
-- typed matches nothing, so correct queries never pay for it.
create or replace function lib.correct_query(p_q text) returns text
language sql
stable
as $$
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
comment on function lib.correct_query(text) is
  'The query with each word unknown to product names replaced by the most similar known word (trigram); '
  'words with a digit (model codes) are kept as typed.';

create or replace function api.products_list(
  p_q text default null,
  p_category_id bigint default null,
  p_min_price numeric default null,
  p_max_price numeric default null,
  p_in_stock boolean default false,
  p_sort text default null,
  p_limit integer default 20,
  p_cursor text default null
) returns json
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_q text := nullif(btrim(p_q), '');
  v_tsq tsquery := case when v_q is not null then websearch_to_tsquery('english', v_q) end;
  v_sort text := coalesce(p_sort, case when v_q is null then 'newest' else 'relevance' end);
  v_limit integer;
  v_categories bigint[];
  v_cursor jsonb := lib.cursor_decode(p_cursor, v_sort, case
    when v_sort in ('price', '-price') then 'numeric'
    when v_sort = 'newest' then 'timestamptz'
    when v_sort = 'relevance' then 'float8'
    else 'text' end);
  v_where text := 'p.deleted_at is null and p.is_active';
  v_order text;
  v_after text;
  v_select text;
  v_typo boolean;
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
  perform lib.price(p_min_price::text, 'min_price'), lib.price(p_max_price::text, 'max_price');
  if p_min_price > p_max_price then
    raise exception using errcode = 'PT422', message = 'invalid_price_range',
      detail = 'min_price is above max_price';
  end if;
  if v_q is not null then
    v_where := v_where || ' and p.search @@ $2';
  end if;
  if p_category_id is not null then
    with recursive tree (id) as (
      select p_category_id
      union
      select c.id from shop.categories c join tree on c.parent_id = tree.id
    )
    select array_agg(tree.id) into v_categories from tree;
    v_where := v_where || ' and p.category_id = any ($3)';
  end if;
  if p_min_price is not null then
    v_where := v_where || ' and p.price >= $4';
  end if;
  if p_max_price is not null then
    v_where := v_where || ' and p.price <= $5';
  end if;
  if p_in_stock then
    v_where := v_where || ' and p.stock_quantity > 0';
  end if;

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
  using v_q, v_tsq, v_categories, p_min_price, p_max_price, v_cursor ->> 'k', (v_cursor ->> 'id')::bigint, v_limit;
  -- An empty page, and the words as typed match no product at all: correct the typos and ask again.
  -- (Dynamic SQL: a cached generic plan would look for a match with a sequential scan.)
  if cardinality(v_rows) = 0 and v_q is not null then
    execute 'select not exists (select from shop.products p where p.search @@ $1 and p.deleted_at is null and p.is_active)'
    into v_typo using v_tsq;
    if v_typo then
      v_tsq := websearch_to_tsquery('english', lib.correct_query(v_q));
      execute v_select into v_rows
      using v_q, v_tsq, v_categories, p_min_price, p_max_price, v_cursor ->> 'k', (v_cursor ->> 'id')::bigint, v_limit;
    end if;
  end if;

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
$$;
comment on function api.products_list(text, bigint, numeric, numeric, boolean, text, integer, text) is
  'GET /api/products: live active products filtered by q (full text ranked by a RUM index; typos corrected '
  'when the query matches nothing), category '
  '(whole subtree), price range and stock; sorted by relevance, price, -price, newest or name; one page of '
  '{items, next_cursor} with an opaque keyset cursor. PT422 invalid_limit, invalid_sort, invalid_cursor, '
  'invalid_price (a bound that is not an amount), invalid_price_range.';

-- Products are written from a JSON object of their fields: one list of writable fields, one place that
-- checks them (names trimmed, price an amount) and maps the refusals. An insert leaves absent fields to the
-- column defaults; an update changes the fields present.
create or replace function lib.product_write(p_id bigint, p_fields jsonb) returns json
language plpgsql
volatile
as $$
declare
  v_writable text[] := array['name', 'description', 'price', 'category_id', 'stock_quantity', 'sku', 'is_active',
                             'metadata', 'low_stock_threshold'];
  v_fields jsonb := p_fields;
  v_columns text;
  v_unknown text;
  v_product shop.products;
  v_constraint text;
begin
  select string_agg(k, ', ' order by k) filter (where k <> all (v_writable)),
         string_agg(quote_ident(k), ', ' order by k) filter (where k = any (v_writable))
  into v_unknown, v_columns
  from jsonb_object_keys(p_fields) k;
  if v_unknown is not null then
    raise exception using errcode = 'PT422', message = 'unknown_field',
      detail = format('these fields cannot be written: %s', v_unknown);
  end if;
  if v_fields ? 'price' then
    v_fields := v_fields || jsonb_build_object('price', lib.price(v_fields ->> 'price'));
  end if;
  v_fields := v_fields || coalesce((select jsonb_object_agg(k, btrim(v_fields ->> k)) from unnest(array['name', 'sku']) k
                                    where jsonb_typeof(v_fields -> k) = 'string'), '{}');
  if p_id is null then
    execute format('insert into shop.products (%1$s) select %1$s from jsonb_populate_record(null::shop.products, $1) '
                   'returning *', v_columns)
    into v_product using v_fields;
  elsif v_columns is null then
    select * into v_product from shop.products p where p.id = p_id and p.deleted_at is null;
  else
    execute format('update shop.products p set (%1$s) = (select %1$s from jsonb_populate_record(null::shop.products, $1)) '
                   'where p.id = $2 and p.deleted_at is null returning p.*', v_columns)
    into v_product using v_fields, p_id;
  end if;
  if v_product.id is null then
    perform lib.not_found('product', p_id);
  end if;
  return lib.product_json(v_product);
exception
  when unique_violation then
    raise exception using
      errcode = 'PT409', message = 'sku_taken',
      detail = format('a live product already has SKU %L', v_fields ->> 'sku');
  when foreign_key_violation then
    raise exception using
      errcode = 'PT422', message = 'unknown_category',
      detail = format('there is no category %s', v_fields ->> 'category_id');
  when check_violation then
    get stacked diagnostics v_constraint = constraint_name;
    if v_constraint = 'products_metadata_limits' then
      raise exception using
        errcode = 'PT422', message = 'invalid_metadata',
        detail = 'metadata may take at most 16 KB and nest at most 8 levels deep';
    end if;
    raise;
end
$$;
comment on function lib.product_write(bigint, jsonb) is
  'Inserts (p_id null) or updates a product from a JSON object of writable fields. PT404 not_found, PT409 '
  'sku_taken, PT422 unknown_field, unknown_category, invalid_price, invalid_metadata; other constraint '
  'failures (blank name, negative stock) as 23514, a missing required field as 23502.';

create or replace function api.product_create(
  p_name text,
  p_price numeric,
  p_sku text,
  p_description text default null,
  p_category_id bigint default null,
  p_stock_quantity integer default null,
  p_is_active boolean default null,
  p_metadata jsonb default null,
  p_low_stock_threshold integer default null
) returns json
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  perform lib.require_admin();
  -- The optional fields left null take the column defaults.
  return lib.product_write(null, jsonb_build_object('name', p_name, 'price', p_price, 'sku', p_sku) || (
    select coalesce(jsonb_object_agg(f.key, f.value), '{}')
    from jsonb_each(jsonb_build_object('description', p_description, 'category_id', p_category_id,
                                       'stock_quantity', p_stock_quantity, 'is_active', p_is_active,
                                       'metadata', p_metadata, 'low_stock_threshold', p_low_stock_threshold)) f
    where f.value <> 'null'));
end
$$;
comment on function api.product_create(text, numeric, text, text, bigint, integer, boolean, jsonb, integer) is
  'POST /api/products (admin): a product; optional fields left null take their column defaults. 409 sku_taken, '
  '422 unknown_category, invalid_price (not a finite amount >= 0 with at most 2 decimals), invalid_metadata '
  '(over 16 KB or 8 levels); constraint failures (negative stock, blank name) surface as 422.';

create or replace function api.product_update(p_id bigint, p_patch jsonb) returns json
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  perform lib.require_admin();
  return lib.product_write(p_id, p_patch);
end
$$;
comment on function api.product_update(bigint, jsonb) is
  'PUT /api/products/{id} (admin): partial update from a JSON object of the fields to change. '
  'PT404 not_found, PT409 sku_taken, PT422 unknown_field, unknown_category, invalid_price, invalid_metadata; '
  'constraint failures as 422.';

create or replace function api.product_delete(p_id bigint) returns void
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function api.product_delete(bigint) is
  'DELETE /api/products/{id} (admin): soft delete. The row stays for past orders; reads no longer show it, '
  'and it leaves every cart.';

-- A category may not become its own ancestor.
create or replace function shop.tg_categories__no_cycle() returns trigger
language plpgsql
volatile
as $$
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
comment on function shop.tg_categories__no_cycle() is
  'Trigger: refuses a parent_id that would make the category tree cyclic.';

-- The typo vocabulary holds words, not model codes: a name like "Glacier Compact Lamp 1C4F" added one
-- unique token per product, so the vocabulary grew with the catalog (1M tokens at 1M products) and every
-- correction searched all of them. Words with a digit are left out; a mistyped model code is not corrected.
create or replace function shop.tg_products__search_words() returns trigger
language plpgsql
volatile
as $$
begin
  insert into shop.search_words (word)
  select distinct lower(w)
  from regexp_split_to_table(new.name, '[^[:alnum:]]+') w
  where length(w) >= 3 and w !~ '[[:digit:]]'
  on conflict do nothing;
  return null;
end
$$;
comment on function shop.tg_products__search_words() is
  'Trigger: adds the words of a new or renamed product to shop.search_words.';

-- pg_notify, and the same message kept in a transaction-local setting (pgshop.announced, the latest one) so
-- that a test or a DBA can see what a statement announced (notifications reach listeners only at commit).
create or replace function shop.announce(p_channel text, p_payload text) returns void
language sql
volatile
as $$
  select pg_notify(p_channel, p_payload), set_config('pgshop.announced', p_channel || ' ' || p_payload, true)
$$;
comment on function shop.announce(text,text) is
  'pg_notify(p_channel, p_payload), the message also kept in the transaction-local setting pgshop.announced.';

create or replace function shop.tg__announce_catalog_change() returns trigger
language plpgsql
volatile
as $$
declare
  v_ids jsonb;
begin
  if tg_table_name = 'categories' then
    perform shop.announce('pgshop_catalog', '{"categories": true}');
    return null;
  end if;
  if tg_op = 'DELETE' then
    select jsonb_agg(o.id order by o.id) into v_ids from old_rows o;
  else
    select jsonb_agg(n.id order by n.id) into v_ids from new_rows n;
  end if;
  if v_ids is not null then
    -- A notification carries less than 8000 bytes: a big statement says "all" instead of every id.
    perform shop.announce('pgshop_catalog', case when length(v_ids::text) < 7900
      then jsonb_build_object('products', v_ids)::text else '{"products": "all"}' end);
  end if;
  return null;
end
$$;
comment on function shop.tg__announce_catalog_change() is
  'Trigger (statement level): pg_notify(''pgshop_catalog'', {"products": [ids]} or {"products": "all"} or '
  '{"categories": true}) for the catalog rows a statement changed, so that caches drop them at commit.';

select shop.layer_trigger('shop.categories', $$
  create trigger _200_no_cycle before update of parent_id on %s
  for each row execute function shop.tg_categories__no_cycle()$$);

select shop.layer_trigger('shop.products', $$
  create trigger _300_search_words_insert after insert on %s
  for each row execute function shop.tg_products__search_words()$$);
select shop.layer_trigger('shop.products', $$
  create trigger _300_search_words_update after update of name on %s
  for each row
  when (((old.name)::text is distinct from (new.name)::text)) execute function shop.tg_products__search_words()$$);

select shop.layer_trigger('shop.categories', $$
  create trigger _400_announce after insert or delete or update or truncate on %s
  for each statement execute function shop.tg__announce_catalog_change()$$);
select shop.layer_trigger('shop.products', $$
  create trigger _400_announce_delete after delete on %s
  referencing old table as old_rows
  for each statement execute function shop.tg__announce_catalog_change()$$);
select shop.layer_trigger('shop.products', $$
  create trigger _400_announce_insert after insert on %s
  referencing new table as new_rows
  for each statement execute function shop.tg__announce_catalog_change()$$);
select shop.layer_trigger('shop.products', $$
  create trigger _400_announce_update after update on %s
  referencing new table as new_rows
  for each statement execute function shop.tg__announce_catalog_change()$$);
