-- Core helpers: the checks every api function shares. shop.current_user_id() lives in the first
-- migration, because triggers use it.
-- The HTTP layer sets request.jwt.claims (the verified JWT claims as JSON) for the transaction of each
-- call; nothing else identifies the caller. Errors follow docs/errors.md: SQLSTATE 'PT' || HTTP status,
-- MESSAGE = stable machine code, DETAIL = a sentence for humans.

create or replace function shop.require_user() returns bigint
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
comment on function shop.require_user() is
  'Returns the calling user''s id; raises PT401 unauthenticated when there is no caller or the user no longer exists.';

create or replace function shop.is_admin() returns boolean
language sql
stable
as $$
  select exists (
    select from shop.users u
    where u.id = shop.current_user_id()
      and u.role = 'admin'
  )
$$;
comment on function shop.is_admin() is
  'True when the caller is an admin according to shop.users (not merely according to the token).';

create or replace function shop.require_admin() returns bigint
language plpgsql
stable
as $$
declare
  v_id bigint := shop.require_user();
begin
  if not shop.is_admin() then
    raise exception using
      errcode = 'PT403', message = 'forbidden',
      detail = 'this action is for admins only';
  end if;
  return v_id;
end
$$;
comment on function shop.require_admin() is
  'Returns the caller''s id when the caller is an admin in shop.users; PT401 when anonymous, PT403 otherwise. '
  'Admin-only api functions call it themselves: defence in depth behind the HTTP guard.';

-- Keyset cursors: opaque to clients (base64url of {"s": sort, "k": last sort key, "id": last id}).
create or replace function shop.cursor_encode(p_sort text, p_key text, p_id bigint) returns text
language sql
immutable
as $$
  select rtrim(translate(encode(convert_to(
    jsonb_build_object('s', p_sort, 'k', p_key, 'id', p_id)::text, 'UTF8'), 'base64'), E'+/\n', '-_'), '=')
  where p_id is not null
$$;
comment on function shop.cursor_encode(text, text, bigint) is
  'The next_cursor after a row with sort key p_key and id p_id; null when p_id is null (no next page).';

create or replace function shop.cursor_decode(p_cursor text, p_sort text, p_key_type text) returns jsonb
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
comment on function shop.cursor_decode(text, text, text) is
  'Decodes a cursor made by shop.cursor_encode for sort p_sort whose key casts to p_key_type (a type name the '
  'caller fixes, never client input); null for no cursor; PT422 invalid_cursor otherwise.';
