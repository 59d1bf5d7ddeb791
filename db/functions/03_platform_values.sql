-- Values every area shares (platform): text and JSON bounds (a domain and a CHECK constraint use the first
-- two, so they are replaced in place, never dropped: db/README.md), money in, pages and cursors, and the
-- updated_at stamp of every table that has that column.

-- A required text: present and not only white space (tabs, newlines and no-break spaces included).
create or replace function shop.has_text(p_value text) returns boolean
language sql
immutable
as $$
  select coalesce(p_value ~ E'[^\\s\u00a0]', false)
$$;
comment on function shop.has_text(text) is 'True when p_value has a character that is not white space.';

-- Product metadata is served to every anonymous reader: at most 16 KB of JSON text, nested at most
-- 8 objects or arrays deep (the top-level object counts as one).
create or replace function shop.jsonb_within(p_value jsonb, p_max_depth integer, p_max_bytes integer) returns boolean
language sql
immutable
parallel safe
as $$
  select octet_length(p_value::text) <= p_max_bytes
     and not jsonb_path_exists(p_value,
               format('strict $.**{%s} ? (@.type() == "object" || @.type() == "array")', p_max_depth)::jsonpath)
$$;
comment on function shop.jsonb_within(jsonb,integer,integer) is
  'True when the JSON text takes at most p_max_bytes bytes and no object or array sits deeper than '
  'p_max_depth levels (the top-level value is level 1).';

-- Money in: a finite amount, at least 0, at most 2 decimals (never rounded silently), that fits numeric(12,2).
-- Text in, so that anything a client sent (a JSON string too) is judged here: not a number is invalid_price.
create or replace function lib.price(p_value text, p_field text default 'price') returns numeric
language plpgsql
immutable
as $$
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
comment on function lib.price(text, text) is
  'p_value as an amount of money when it is one (finite, 0 to 9999999999.99, at most 2 decimals); PT422 '
  'invalid_price naming p_field otherwise. Null passes.';

-- Keyset cursors: opaque to clients (base64url of {"s": sort, "k": last sort key, "id": last id}).
create or replace function lib.cursor_encode(p_sort text, p_key text, p_id bigint) returns text
language sql
immutable
as $$
  select rtrim(translate(encode(convert_to(
    jsonb_build_object('s', p_sort, 'k', p_key, 'id', p_id)::text, 'UTF8'), 'base64'), E'+/\n', '-_'), '=')
  where p_id is not null
$$;
comment on function lib.cursor_encode(text, text, bigint) is
  'The next_cursor after a row with sort key p_key and id p_id; null when p_id is null (no next page).';

create or replace function lib.cursor_decode(p_cursor text, p_sort text, p_key_type text) returns jsonb
language plpgsql
stable
as $$
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
comment on function lib.cursor_decode(text, text, text) is
  'Decodes a cursor made by lib.cursor_encode for sort p_sort whose key casts to p_key_type (a type name the '
  'caller fixes, never client input); null for no cursor; PT422 invalid_cursor otherwise.';

-- A list's page size: p_limit, or p_default when absent; 1 to page_size_max.
create or replace function lib.page_limit(p_limit integer, p_default integer) returns integer
language plpgsql
stable
as $$
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
comment on function lib.page_limit(integer, integer) is
  'The page size of a list: p_limit, or p_default (at most page_size_max) when null; PT422 invalid_limit '
  'outside 1..page_size_max.';

-- updated_at maintained by the database, whatever the client sends.
create or replace function shop.tg__set_updated_at() returns trigger
language plpgsql
volatile
as $$
begin
  new.updated_at := now();
  return new;
end
$$;
comment on function shop.tg__set_updated_at() is
  'Trigger: sets updated_at to the transaction time on every update.';

-- Every table of shop with an updated_at column has it stamped on update: a new table gets its trigger from
-- here, by having the column.
select shop.layer_trigger(c.oid::regclass,
                          'create trigger _100_timestamps before update on %s for each row execute function shop.tg__set_updated_at()')
from pg_catalog.pg_class c
join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attname = 'updated_at' and not a.attisdropped
where c.relnamespace = 'shop'::regnamespace
  and c.relkind = 'r'
order by c.oid;

create or replace function shop.tg__append_only() returns trigger
language plpgsql
volatile
as $$
begin
  raise exception using
    errcode = 'PT409', message = 'append_only',
    detail = format('rows of %s.%s are never changed or deleted', tg_table_schema, tg_table_name);
end
$$;
comment on function shop.tg__append_only() is
  'Trigger: refuses to change or delete rows of a ledger (PT409 append_only).';
