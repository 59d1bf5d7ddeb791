-- Who is calling, and how a refusal is said (platform: every area uses them). The HTTP layer sets
-- request.jwt.claims (the verified JWT claims as JSON) for the transaction of each call; nothing else
-- identifies the caller, and no function takes a user id from a request. Errors follow docs/errors.md:
-- SQLSTATE 'PT' || HTTP status, MESSAGE = stable machine code, DETAIL = a sentence for humans.

-- The caller's identity: the HTTP layer sets request.jwt.claims (the verified JWT claims as JSON) for
-- the transaction of each call. Triggers use it too, so it lives here rather than in db/functions.
create or replace function shop.current_user_id() returns bigint
language sql
stable
as $$
  select (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')::bigint
$$;
comment on function shop.current_user_id() is
  'The calling user''s id from the request.jwt.claims set by the HTTP layer for this transaction; null when '
  'anonymous.';

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
