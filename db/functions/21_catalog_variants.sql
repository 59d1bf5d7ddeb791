-- Catalog: options and variants (migration 20261208200000). A product has options (Size, Colour) with ordered
-- values, and variants: each its own SKU, price, weight and stock, with exactly one value of each option. The
-- rules hold for anyone writing, psql included:
--   - shop.variants.combination is derived here from shop.variant_option_values (never taken as written), and
--     a deferrable exclusion constraint keeps it unique among a product's live variants;
--   - that every live variant has a value for every option of its product is checked at commit: a statement
--     that changes variants, their values or a product's options queues the products (shop.variant_checks),
--     and a deferred trigger checks them, set-based, once per statement;
--   - the product's price (its default variant's: the first live one, active ones first, by position and id),
--     in_stock and search
--     vector follow its variants.
-- Options and variants are named in the API by name and value ({"Size": "M", "Colour": "Red"}), never by id.

-- A variant's option values by option name, in option order: {"Size": "M", "Colour": "Red"} ({} without options).
create or replace function lib.variant_options(p_variant_id bigint) returns json
language plpgsql
stable
as $$
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
comment on function lib.variant_options(bigint) is
  'A variant''s option values as {"option name": "value"}, in option order.';

create or replace function lib.variant_json(p_variant shop.variants) returns json
language sql
stable
as $$
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
comment on function lib.variant_json(shop.variants) is
  'A variant as the API shows it: prices as decimal strings, options by name, in_stock.';

create or replace function lib.option_json(p_option shop.product_options) returns json
language sql
stable
as $$
  select json_build_object(
    'id', p_option.id,
    'name', p_option.name,
    'position', p_option.position,
    'values', coalesce((select json_agg(json_build_object('id', v.id, 'value', v.value, 'position', v.position)
                                        order by v.position, v.id)
                        from shop.product_option_values v where v.option_id = p_option.id), '[]'))
$$;
comment on function lib.option_json(shop.product_options) is 'An option with its values, in order.';

create or replace function lib.options_json(p_product_id bigint) returns json
language plpgsql
stable
as $$
begin
  return (
    select coalesce(json_agg(lib.option_json(o) order by o.position, o.id), '[]')
    from shop.product_options o
    where o.product_id = p_product_id
  );
end
$$;
comment on function lib.options_json(bigint) is 'A product''s options, in order.';

-- The default variant of a product: its first live variant, active ones first, by position, then id.
create or replace function lib.default_variant(p_product_id bigint) returns shop.variants
language plpgsql
stable
as $$
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
comment on function lib.default_variant(bigint) is
  'A product''s default variant: its first live one, active ones first (position, id); its price, SKU and stock '
  'are the product''s.';

-- Derived columns ------------------------------------------------------------------------------------------

-- A product is in stock when a live, active variant of it has stock (inlined where it is called).
create or replace function lib.product_in_stock(p_product_id bigint) returns boolean
language sql
stable
as $$
  select exists (select from shop.variants a where a.product_id = p_product_id and a.deleted_at is null
                 and a.is_active and a.stock_quantity > 0)
$$;
comment on function lib.product_in_stock(bigint) is
  'Whether a live, active variant of the product has stock (shop.products.in_stock).';

-- Row triggers look up by key (a variant's values, a product's variants, a handle), and plpgsql keeps the plan
-- of its first calls in a session: made while the table was small (a new shop, a large import's first rows),
-- that plan scans it, and an import's statement would then scan, for each row, every row it inserted before
-- (quadratic). Without sequential scans their plans use the index whatever the table's size was.

-- The combination a variant has: its value ids, in option id order (empty without options). Whatever an
-- insert or update says, the column is what the option values say: none for a new variant (its values refer
-- to it, so they come after it).
create or replace function shop.tg_variants__combination() returns trigger
language plpgsql
volatile
set enable_seqscan = off  -- see "Row triggers look up by key" above
as $$
begin
  new.combination := case when tg_op = 'INSERT' then '' else
    (select coalesce(string_agg(vo.value_id::text, ',' order by vo.option_id), '')
     from shop.variant_option_values vo where vo.variant_id = new.id) end;
  return new;
end
$$;
comment on function shop.tg_variants__combination() is
  'Trigger: shop.variants.combination derived from its option values (the exclusion constraint compares it).';

-- After a statement on variant option values: the combinations of the variants touched are derived again, and
-- their products queued for the completeness check.
create or replace function shop.tg_variant_option_values__changed() returns trigger
language plpgsql
volatile
as $$
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
comment on function shop.tg_variant_option_values__changed() is
  'Trigger (statement): derives the combinations of the variants whose option values changed again, and queues '
  'their products for the completeness check.';

-- Products whose variants or options a statement changed, queued for the check at commit.
create or replace function shop.tg__queue_variant_check() returns trigger
language plpgsql
volatile
as $$
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
comment on function shop.tg__queue_variant_check() is
  'Trigger (statement, variants and product options): queues the products touched for the completeness check '
  '(for an update, those whose variants or options moved, or whose variants were deleted or undeleted).';

-- At commit (deferred): every live variant of the queued products has a value for each option of its product.
-- Security definer: at commit the api function that wrote has returned, and the caller (pgshop_api) may not
-- read shop.
create or replace function shop.tg_variant_checks__complete() returns trigger
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function shop.tg_variant_checks__complete() is
  'Trigger (deferred to commit): PT422 invalid_option_values when a live variant of the queued products lacks a '
  'value for an option of its product.';

-- The product's price (its default variant's) and in_stock, after a statement on its variants; written only
-- where they change, so an ordinary sale (stock down, not to zero) writes nothing here.
create or replace function shop.tg_variants__product_summary() returns trigger
language plpgsql
volatile
as $$
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
comment on function shop.tg_variants__product_summary() is
  'Trigger (statement): keeps shop.products.price (the default variant''s) and in_stock as its variants say.';

-- A product without a handle gets one from its name (its first 200 characters) and id ("Trail Tent 2" ->
-- trail-tent-2-123).
create or replace function shop.tg_products__handle() returns trigger
language plpgsql
volatile
set enable_seqscan = off  -- see "Row triggers look up by key" above
as $$
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
comment on function shop.tg_products__handle() is
  'Trigger: the handle of a product inserted without one, from its name and id (the id twice if another live '
  'product was given that handle).';

-- price and in_stock are derived: whatever a write of shop.products says (psql included), they are what its
-- variants say.
create or replace function shop.tg_products__derived() returns trigger
language plpgsql
volatile
set enable_seqscan = off  -- see "Row triggers look up by key" above
as $$
begin
  new.price := (lib.default_variant(new.id)).price;
  new.in_stock := lib.product_in_stock(new.id);
  return new;
end
$$;
comment on function shop.tg_products__derived() is
  'Trigger: shop.products.price (its default variant''s) and in_stock (a live, active variant with stock) as its '
  'variants say, whatever the write says.';

-- The full-text vector of a product: its name (A) and description (B), its live variants' SKUs (A) and the
-- option values they use (C). SKUs are parsed as a query is ('english'), so that BOOTS-42 finds itself.
create or replace function shop.product_search(p_id bigint, p_name text, p_description text) returns tsvector
language sql
stable
as $$
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
comment on function shop.product_search(bigint, text, text) is
  'A product''s search vector: name (A), description (B), live variant SKUs (A), their option values (C).';

create or replace function shop.tg_products__search() returns trigger
language plpgsql
volatile
as $$
begin
  new.search := shop.product_search(new.id, new.name, new.description);
  return new;
end
$$;
comment on function shop.tg_products__search() is 'Trigger: a product''s search vector when it is written.';

-- After a statement that changes variants or their option values: the search vector of their products.
create or replace function shop.tg__product_search_follows() returns trigger
language plpgsql
volatile
as $$
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
comment on function shop.tg__product_search_follows() is
  'Trigger (statement, variants and their option values): the search vectors of the products touched (for an '
  'update of variants, those whose SKU or deletion changed); nothing while pgshop.search_deferred is on (an '
  'import, which computes them itself).';

-- A value renamed: the search vectors of the products whose variants use it.
create or replace function shop.tg_product_option_values__search() returns trigger
language plpgsql
volatile
as $$
begin
  -- EXECUTE: planned for this statement's rows (see db/README.md, transition tables).
  execute 'update shop.products p
           set search = shop.product_search(p.id, p.name, p.description)
           where p.id in (select o.product_id from new_rows n join old_rows r on r.id = n.id
                          join shop.product_options o on o.id = n.option_id where n.value <> r.value)';
  return null;
end
$$;
comment on function shop.tg_product_option_values__search() is
  'Trigger (statement): a renamed option value reaches the search vectors of its product.';

-- A product deleted (soft) takes its variants with it, freeing their SKUs.
create or replace function shop.tg_products__delete_variants() returns trigger
language plpgsql
volatile
as $$
begin
  update shop.variants v set deleted_at = new.deleted_at where v.product_id = new.id and v.deleted_at is null;
  return null;
end
$$;
comment on function shop.tg_products__delete_variants() is
  'Trigger: a soft-deleted product soft-deletes its live variants (their SKUs are free again).';

-- Writing options and variants -----------------------------------------------------------------------------

create or replace function lib.product_for_write(p_product_id bigint) returns shop.products
language plpgsql
volatile
as $$
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
comment on function lib.product_for_write(bigint) is
  'A live product, locked for the change of its options or variants; PT404 not_found otherwise.';

-- The values of an option as a list of distinct, non-blank strings: PT422 invalid_option_values otherwise.
create or replace function lib.option_values_list(p_values jsonb) returns text[]
language plpgsql
immutable
as $$
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
comment on function lib.option_values_list(jsonb) is
  'An option''s values from a JSON list: distinct (case-insensitively), trimmed, non-blank; PT422 otherwise.';

-- An option's values become exactly p_values, in that order: new ones are added, missing ones removed (PT409
-- option_value_in_use when a live variant has one), kept ones keep their id.
create or replace function lib.option_set_values(p_option shop.product_options, p_values text[]) returns void
language plpgsql
volatile
as $$
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
comment on function lib.option_set_values(shop.product_options, text[]) is
  'Makes an option''s values exactly the given list, in order (PT409 option_value_in_use for a value a live '
  'variant has).';

-- The variants' rules checked now rather than at commit, so that the function answers with the problem: a
-- duplicate combination (PT409 variant_exists) or a missing option value (PT422 invalid_option_values).
create or replace function lib.variants_check_now() returns void
language plpgsql
volatile
as $$
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
comment on function lib.variants_check_now() is
  'Checks the deferred variant rules at once: PT409 variant_exists, PT422 invalid_option_values.';

-- A variant's option values from {"Size": "M"}: exactly one value of each option of its product, by name and
-- value (any letter case); PT422 invalid_option_values otherwise (an unknown option or value, one missing).
create or replace function lib.variant_set_options(p_variant shop.variants, p_options jsonb) returns void
language plpgsql
volatile
as $$
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
comment on function lib.variant_set_options(shop.variants, jsonb) is
  'Sets a variant''s option values from {"option": "value"}: one of each option of its product; PT422 '
  'invalid_option_values otherwise.';

-- Inserts (p_variant_id null) or updates a variant of a product from a JSON object of its writable fields.
create or replace function lib.variant_write(p_product_id bigint, p_variant_id bigint, p_fields jsonb)
returns shop.variants
language plpgsql
volatile
as $$
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
$$;
comment on function lib.variant_write(bigint, bigint, jsonb) is
  'Inserts (p_variant_id null) or updates a variant of a product from {sku, price, compare_at_price, '
  'weight_grams, stock_quantity, low_stock_threshold, is_active, position, options}. PT404, PT409 sku_taken, '
  'PT422 unknown_field, invalid_price, invalid_compare_at_price, invalid_option_values; other constraints as 23514.';

create or replace function api.product_options_list(p_product_id bigint) returns json
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if not exists (select from shop.products p where p.id = p_product_id and p.deleted_at is null
                 and (p.is_active or lib.is_admin())) then
    perform lib.not_found('product', p_product_id);
  end if;
  return json_build_object('items', lib.options_json(p_product_id), 'next_cursor', null);
end
$$;
comment on function api.product_options_list(bigint) is
  'GET /api/products/{id}/options: the product''s options with their values, in order.';

-- A new option, last; its values in the order given. A product that already has live variants gives each of
-- them the option's first value (the combinations stay distinct).
create or replace function api.product_option_create(p_product_id bigint, p_name text, p_values jsonb) returns json
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function api.product_option_create(bigint, text, jsonb) is
  'POST /api/products/{id}/options (admin) {name, values}: an option, last, with its values; existing live '
  'variants take its first value. 404, 409 option_exists, 422 invalid_option_name, invalid_option_values, '
  'too_many_options (a fourth).';

create or replace function api.product_option_update(p_product_id bigint, p_option_id bigint, p_patch jsonb)
returns json
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function api.product_option_update(bigint, bigint, jsonb) is
  'PUT /api/products/{id}/options/{option_id} (admin) {name?, position?, values?}: values replace the list, in '
  'order; removing one a live variant has is 409 option_value_in_use. 404, 409 option_exists, 422.';

-- An option removed: its values go from every variant. Variants that then share a combination are refused
-- (409 variant_exists): delete the surplus ones first.
create or replace function api.product_option_delete(p_product_id bigint, p_option_id bigint) returns void
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function api.product_option_delete(bigint, bigint) is
  'DELETE /api/products/{id}/options/{option_id} (admin): the option and its values, from every variant; 409 '
  'variant_exists when two live variants would then be the same.';

create or replace function api.variants_list(p_product_id bigint) returns json
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function api.variants_list(bigint) is
  'GET /api/products/{id}/variants: its live variants in order (inactive ones for admins only).';

create or replace function api.variant_get(p_product_id bigint, p_variant_id bigint) returns json
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function api.variant_get(bigint, bigint) is
  'GET /api/products/{id}/variants/{variant_id}: a live variant (an inactive one for admins only).';

create or replace function api.variant_create(p_product_id bigint, p_fields jsonb) returns json
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function api.variant_create(bigint, jsonb) is
  'POST /api/products/{id}/variants (admin) {sku, price, compare_at_price?, weight_grams?, stock_quantity, '
  'low_stock_threshold?, is_active?, position?, options}: a variant. 404, 409 sku_taken, variant_exists, 422 '
  'invalid_option_values, invalid_price, invalid_compare_at_price, unknown_field.';

create or replace function api.variant_update(p_product_id bigint, p_variant_id bigint, p_patch jsonb) returns json
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function api.variant_update(bigint, bigint, jsonb) is
  'PUT /api/products/{id}/variants/{variant_id} (admin): any subset of the variant''s fields (options as a whole).'
  ' 404, 409 sku_taken, variant_exists, 422.';

create or replace function api.variant_delete(p_product_id bigint, p_variant_id bigint) returns void
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function api.variant_delete(bigint, bigint) is
  'DELETE /api/products/{id}/variants/{variant_id} (admin): soft delete; it leaves every cart, orders keep it.';

-- Triggers -----------------------------------------------------------------------------------------------------

select shop.layer_trigger('shop.variants', $$
  create trigger _100_combination before insert or update of combination, product_id on %s
  for each row execute function shop.tg_variants__combination()$$);
select shop.layer_trigger('shop.variant_option_values', $$
  create trigger _400_changed_insert after insert on %s
  referencing new table as new_rows
  for each statement execute function shop.tg_variant_option_values__changed()$$);
select shop.layer_trigger('shop.variant_option_values', $$
  create trigger _400_changed_update after update on %s
  referencing old table as old_rows new table as new_rows
  for each statement execute function shop.tg_variant_option_values__changed()$$);
select shop.layer_trigger('shop.variant_option_values', $$
  create trigger _400_changed_delete after delete on %s
  referencing old table as old_rows
  for each statement execute function shop.tg_variant_option_values__changed()$$);
select shop.layer_trigger('shop.variants', $$
  create trigger _400_check_insert after insert on %s
  referencing new table as new_rows
  for each statement execute function shop.tg__queue_variant_check()$$);
select shop.layer_trigger('shop.variants', $$
  create trigger _400_check_update after update on %s
  referencing old table as old_rows new table as new_rows
  for each statement execute function shop.tg__queue_variant_check()$$);
select shop.layer_trigger('shop.product_options', $$
  create trigger _400_check_insert after insert on %s
  referencing new table as new_rows
  for each statement execute function shop.tg__queue_variant_check()$$);
select shop.layer_trigger('shop.product_options', $$
  create trigger _400_check_update after update on %s
  referencing old table as old_rows new table as new_rows
  for each statement execute function shop.tg__queue_variant_check()$$);
select shop.layer_trigger('shop.product_options', $$
  create trigger _400_check_delete after delete on %s
  referencing old table as old_rows
  for each statement execute function shop.tg__queue_variant_check()$$);
select shop.layer_trigger('shop.variant_checks', $$
  create constraint trigger variant_checks_complete after insert on %s
  deferrable initially deferred
  for each row execute function shop.tg_variant_checks__complete()$$);
select shop.layer_trigger('shop.variants', $$
  create trigger _400_product_summary_insert after insert on %s
  referencing new table as new_rows
  for each statement execute function shop.tg_variants__product_summary()$$);
select shop.layer_trigger('shop.variants', $$
  create trigger _400_product_summary_update after update on %s
  referencing old table as old_rows new table as new_rows
  for each statement execute function shop.tg_variants__product_summary()$$);
select shop.layer_trigger('shop.variants', $$
  create trigger _400_product_summary_delete after delete on %s
  referencing old table as old_rows
  for each statement execute function shop.tg_variants__product_summary()$$);
select shop.layer_trigger('shop.products', $$
  create trigger _100_handle before insert on %s
  for each row when (new.handle is null) execute function shop.tg_products__handle()$$);
select shop.layer_trigger('shop.products', $$
  create trigger _100_derived before insert or update of price, in_stock on %s
  for each row execute function shop.tg_products__derived()$$);
select shop.layer_trigger('shop.products', $$
  create trigger _100_search before insert or update of name, description on %s
  for each row execute function shop.tg_products__search()$$);
select shop.layer_trigger('shop.variants', $$
  create trigger _400_search_insert after insert on %s
  referencing new table as new_rows
  for each statement execute function shop.tg__product_search_follows()$$);
select shop.layer_trigger('shop.variants', $$
  create trigger _400_search_update after update on %s
  referencing old table as old_rows new table as new_rows
  for each statement execute function shop.tg__product_search_follows()$$);
select shop.layer_trigger('shop.variant_option_values', $$
  create trigger _400_search_insert after insert on %s
  referencing new table as new_rows
  for each statement execute function shop.tg__product_search_follows()$$);
select shop.layer_trigger('shop.variant_option_values', $$
  create trigger _400_search_update after update on %s
  referencing old table as old_rows new table as new_rows
  for each statement execute function shop.tg__product_search_follows()$$);
select shop.layer_trigger('shop.variant_option_values', $$
  create trigger _400_search_delete after delete on %s
  referencing old table as old_rows
  for each statement execute function shop.tg__product_search_follows()$$);
select shop.layer_trigger('shop.product_option_values', $$
  create trigger _400_search_update after update on %s
  referencing old table as old_rows new table as new_rows
  for each statement execute function shop.tg_product_option_values__search()$$);
select shop.layer_trigger('shop.products', $$
  create trigger _300_delete_variants after update of deleted_at on %s
  for each row
  when ((new.deleted_at is not null and old.deleted_at is null)) execute function shop.tg_products__delete_variants()$$);
