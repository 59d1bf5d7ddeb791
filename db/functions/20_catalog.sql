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

-- A product as lists show it. price, sku, stock_quantity and low_stock_threshold are its default variant's
-- (the first live one: 21_catalog_variants.sql); price_range spans its live, active variants, in_stock says
-- whether any of them has stock. p_detail adds its options and live variants (active ones only, but for an
-- admin), as a product's own page shows them. PL/pgSQL, as the helpers it calls: their statements are planned
-- once per session (a SQL function that cannot be inlined is planned again at every call, on every product read).
create or replace function lib.product_json(p_product shop.products, p_detail boolean default false,
                                            p_admin boolean default false) returns json
language plpgsql
stable
as $$
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
comment on function lib.product_json(shop.products, boolean, boolean) is
  'The public shape of a product (its default variant''s price, SKU and stock; price_range; in_stock); with '
  'p_detail its options and live variants too (inactive ones for an admin).';

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
  return lib.product_json(v_product, true, lib.is_admin());
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

-- The search of a list or its facets: the words as typed, or, when they match no product at all, with their
-- typos corrected (lib.correct_query). Dynamic SQL: a cached generic plan would look for a match with a
-- sequential scan.
create or replace function lib.products_tsquery(p_q text) returns tsquery
language plpgsql
stable
as $$
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
$$;
comment on function lib.products_tsquery(text) is
  'The tsquery of a list''s q: as typed, or typo-corrected when nothing matches it as typed; null without q.';

-- The option filter of a list: ['Colour:Red', 'Colour:Blue', 'Size:M'] grouped by option, case-insensitive:
-- [{"name": "colour", "values": ["red", "blue"]}, {"name": "size", "values": ["m"]}]. Values of one option are
-- or'ed, options and'ed, by one variant: a product matches when one of its live, active variants has, for every
-- option named, one of the values asked. PT422 invalid_option_filter for anything but "name:value".
create or replace function lib.option_filter(p_options text[]) returns jsonb
language plpgsql
immutable
as $$
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
comment on function lib.option_filter(text[]) is
  'The list''s option filter (name:value strings) grouped by option name, lower case; PT422 invalid_option_filter.';

-- The category and every category under it.
create or replace function lib.category_subtree(p_category_id bigint) returns bigint[]
language sql
stable
as $$
  with recursive tree (id) as (
    select p_category_id
    union
    select c.id from shop.categories c join tree on c.parent_id = tree.id
  )
  select array_agg(tree.id) from tree
$$;
comment on function lib.category_subtree(bigint) is 'A category''s id and those of every category below it.';

-- What a list or its facets show: the WHERE over shop.products p of the filters given, with the parameters
-- $1 q, $2 its tsquery, $3 the category subtree, $4 min_price, $5 max_price, $9 the option filter.
create or replace function lib.products_where(p_q text, p_category_id bigint, p_min_price numeric,
                                              p_max_price numeric, p_in_stock boolean, p_options jsonb) returns text
language sql
immutable
as $$
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
$$;
comment on function lib.products_where(text, bigint, numeric, numeric, boolean, jsonb) is
  'The WHERE of a product list or its facets for the filters given ($1 q, $2 tsquery, $3 categories, $4 '
  'min_price, $5 max_price, $9 options).';

-- The filters of a list or its facets, checked: PT422 invalid_price, invalid_price_range, invalid_option_filter.
create or replace function lib.products_filter_check(p_min_price numeric, p_max_price numeric) returns void
language plpgsql
immutable
as $$
begin
  perform lib.price(p_min_price::text, 'min_price'), lib.price(p_max_price::text, 'max_price');
  if p_min_price > p_max_price then
    raise exception using errcode = 'PT422', message = 'invalid_price_range',
      detail = 'min_price is above max_price';
  end if;
end
$$;
comment on function lib.products_filter_check(numeric, numeric) is
  'PT422 invalid_price or invalid_price_range for a list''s price filters.';

create or replace function api.products_list(
  p_q text default null,
  p_category_id bigint default null,
  p_min_price numeric default null,
  p_max_price numeric default null,
  p_in_stock boolean default false,
  p_sort text default null,
  p_limit integer default 20,
  p_cursor text default null,
  p_options text[] default null
) returns json
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
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
$$;
comment on function api.products_list(text, bigint, numeric, numeric, boolean, text, integer, text, text[]) is
  'GET /api/products: active, live products with a live variant; q (websearch syntax, over names, descriptions, '
  'variant SKUs and option values; typos corrected when nothing matches), category_id (its whole subtree), '
  'min_price / max_price (the default variant''s price), in_stock (any variant), options (name:value, values of '
  'one option or''ed, options and''ed, by one variant); sort relevance|price|-price|newest|name; keyset pages.';

-- Facets of a list: for the products it would show (the same filters, every page), counts per option value,
-- per category (a product counts in its category and every one above it), per price band (shop.price_bands:
-- each band from its lower bound to the next) and in stock or not. One query over the result set.
create or replace function api.products_facets(
  p_q text default null,
  p_category_id bigint default null,
  p_min_price numeric default null,
  p_max_price numeric default null,
  p_in_stock boolean default false,
  p_options text[] default null
) returns json
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
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
$$;
comment on function api.products_facets(text, bigint, numeric, numeric, boolean, text[]) is
  'GET /api/products/facets: for the products the list shows with the same filters, {total, options [{name, '
  'values [{value, count}]}], categories [{category_id, name, parent_id, count}] (subtree-aware), price_bands '
  '[{min, max, count}] (shop.price_bands), stock {in_stock, out_of_stock}}.';

-- A product written from a JSON object: its own fields (name, description, category_id, is_active, metadata)
-- and its default variant's (price, sku, stock_quantity, low_stock_threshold, weight_grams, compare_at_price):
-- a new product gets that variant, an update changes the default variant (the first live one).
create or replace function lib.product_write(p_id bigint, p_fields jsonb) returns json
language plpgsql
volatile
as $$
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
$$;
comment on function lib.product_write(bigint, jsonb) is
  'Inserts (p_id null, with its default variant) or updates a product from a JSON object of writable fields '
  '(its own and its default variant''s). PT404 not_found, PT409 sku_taken, PT422 unknown_field, '
  'unknown_category, invalid_price, invalid_metadata; other constraint failures (blank name, negative stock) '
  'as 23514, a missing required field as 23502.';

create or replace function api.product_create(
  p_name text,
  p_price numeric,
  p_sku text,
  p_description text default null,
  p_category_id bigint default null,
  p_stock_quantity integer default null,
  p_is_active boolean default null,
  p_metadata jsonb default null,
  p_low_stock_threshold integer default null,
  p_weight_grams integer default null,
  p_compare_at_price numeric default null,
  p_handle text default null
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
                                       'metadata', p_metadata, 'low_stock_threshold', p_low_stock_threshold,
                                       'weight_grams', p_weight_grams, 'compare_at_price', p_compare_at_price,
                                       'handle', p_handle)) f
    where f.value <> 'null'));
end
$$;
comment on function api.product_create(text, numeric, text, text, bigint, integer, boolean, jsonb, integer, integer,
                                       numeric, text) is
  'POST /api/products (admin): a product and its default variant; optional fields left null take their column '
  'defaults (a handle made from the name and id). 409 sku_taken, handle_taken, 422 invalid_handle, '
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
-- A variant, an option or a value changed: its product's cached JSON goes (a sale changes the stock shown).
select shop.layer_trigger(t.tbl, format('create trigger _400_announce_%s after %s on %%s referencing %s '
                                        'for each statement execute function shop.tg__announce_catalog_change()',
                                        e.op, e.op, e.tables))
from (values ('shop.variants'), ('shop.product_options'), ('shop.product_option_values')) t(tbl)
cross join (values ('insert', 'new table as new_rows'), ('update', 'new table as new_rows'),
                   ('delete', 'old table as old_rows')) e(op, tables)
order by t.tbl, e.op;
