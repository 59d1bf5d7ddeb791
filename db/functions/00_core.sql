-- Core helpers of the api functions (schema lib): who is calling, cursors and page limits, settings,
-- problems, rate limits, money. shop.current_user_id() lives in the first migration, because triggers use it.
-- The HTTP layer sets request.jwt.claims (the verified JWT claims as JSON) for the transaction of each
-- call; nothing else identifies the caller. Errors follow docs/errors.md: SQLSTATE 'PT' || HTTP status,
-- MESSAGE = stable machine code, DETAIL = a sentence for humans.

create or replace function lib.require_user() returns bigint
language plpgsql
stable
as $$
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
comment on function lib.require_user() is
  'Returns the calling user''s id; raises PT401 unauthenticated when there is no caller or the user no longer exists.';

create or replace function lib.is_admin() returns boolean
language sql
stable
as $$
  select exists (
    select from shop.users u
    where u.id = shop.current_user_id()
      and u.role = 'admin'
  )
$$;
comment on function lib.is_admin() is
  'True when the caller is an admin according to shop.users (not merely according to the token).';

create or replace function lib.require_admin() returns bigint
language plpgsql
stable
as $$
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
comment on function lib.require_admin() is
  'Returns the caller''s id when the caller is an admin in shop.users; PT401 when anonymous, PT403 otherwise. '
  'Admin-only api functions call it themselves: defence in depth behind the HTTP guard.';

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

-- Settings (shop.settings): read by name; written at deploy from the environment.
create or replace function lib.setting(p_name text) returns text
language plpgsql
stable
as $$
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
comment on function lib.setting(text) is 'The current value of a setting (shop.settings); an error for an unknown name.';

create or replace function lib.settings_apply(p_values jsonb) returns setof shop.settings
language plpgsql
volatile
as $$
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
comment on function lib.settings_apply(jsonb) is
  'Deploy: sets every setting to its value in p_values ({"name": "value"}) or back to its default; refuses a '
  'value of the wrong type or outside the setting''s range.';

-- A problem returned instead of raised: the transaction commits what the function wrote first (the attempt
-- a rate limit counts), and the HTTP layer answers with the problem. {"problem": {status, code, detail, ...}}.
create or replace function lib.problem(p_status integer, p_code text, p_detail text, p_extra jsonb default '{}')
returns json
language sql
immutable
as $$
  select jsonb_build_object('problem',
    jsonb_build_object('status', p_status, 'code', p_code, 'detail', p_detail) || coalesce(p_extra, '{}'))::json
$$;
comment on function lib.problem(integer, text, text, jsonb) is
  'A problem document for the HTTP layer to send (status, code, detail and extra members), returned rather than '
  'raised so that what the function recorded before it stays.';

create or replace function lib.problem_of(p_sqlstate text, p_message text, p_detail text, p_hint text) returns json
language sql
immutable
as $$
  select lib.problem(substr(p_sqlstate, 3)::integer, p_message, p_detail,
                      case when p_hint like '{%' then p_hint::jsonb end)
$$;
comment on function lib.problem_of(text, text, text, text) is
  'The problem document of a caught PTnnn error (its SQLSTATE, MESSAGE, DETAIL and a JSON HINT), as the HTTP '
  'layer would have built it from the raised error.';

-- A problem raised: SQLSTATE PT<status>, MESSAGE the code, DETAIL the sentence, HINT the other members.
create or replace function lib.raise_problem(p_problem json) returns void
language plpgsql
immutable
as $$
declare
  v_problem jsonb := p_problem -> 'problem';
  v_extra jsonb := v_problem - 'status' - 'code' - 'detail';
begin
  raise exception using
    errcode = 'PT' || (v_problem ->> 'status'), message = v_problem ->> 'code', detail = v_problem ->> 'detail',
    hint = case when v_extra <> '{}' then v_extra::text else '' end;
end
$$;
comment on function lib.raise_problem(json) is
  'Raises the problem document p_problem as the error PT<status> code (detail; other members as a JSON hint).';

create or replace function lib.insufficient_stock(p_short jsonb) returns json
language sql
immutable
as $$
  select lib.problem(409, 'insufficient_stock',
    'not enough stock for ' || string_agg(format('%s (%s wanted, %s in stock)', s ->> 'sku', s ->> 'requested',
                                                 s ->> 'available'), ', ' order by (s ->> 'product_id')::bigint),
    jsonb_build_object('products', p_short))
  from jsonb_array_elements(p_short) s
$$;
comment on function lib.insufficient_stock(jsonb) is
  'The 409 insufficient_stock problem for the lines short of stock [{product_id, sku, requested, available}].';

-- Rate limits: at most p_limit attempts of a kind per key within p_window (0: no limit). Beyond it, PT429
-- too_many_attempts with retry_after: the seconds until the oldest counted attempt leaves the window.
create or replace function lib.rate_limit_check(p_kind text, p_key text, p_limit integer, p_window interval)
returns void
language plpgsql
stable
as $$
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
comment on function lib.rate_limit_check(text, text, integer, interval) is
  'PT429 too_many_attempts (hint: retry_after seconds) when p_key already made p_limit attempts of p_kind within '
  'p_window (shop.attempts); p_limit 0 means no limit.';

create or replace function lib.auth_attempt(p_client inet) returns void
language plpgsql
volatile
as $$
begin
  if p_client is not null then
    perform lib.rate_limit_check('auth', host(p_client), lib.setting('rate_limit_auth_per_address')::integer,
                                  interval '1 minute');
    insert into shop.attempts (kind, key) values ('auth', host(p_client));
  end if;
end
$$;
comment on function lib.auth_attempt(inet) is
  'Counts a login or register attempt from a client address (rate_limit_auth_per_address a minute; PT429 '
  'beyond it). No address (a local caller), no limit.';

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

-- Read-your-writes on a standby: has it replayed the commit of the client's last write (its transaction id,
-- returned by the API with that write)? On the primary, every committed transaction has been.
create or replace function api.xact_replayed(p_xid xid8) returns boolean
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  return pg_xact_status(p_xid) = 'committed';
exception when others then
  return false;  -- a transaction id this server has not seen yet ("in the future")
end
$$;
comment on function api.xact_replayed(xid8) is
  'True when this server has replayed (or made) the commit of transaction p_xid: the API runs a client''s reads '
  'on a standby only then.';
