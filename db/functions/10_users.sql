-- Users and authentication. Passwords are hashed here with bcrypt (pgcrypto) and never leave the database.

create or replace function lib.user_json(p_user shop.users) returns json
language sql
stable
as $$
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
comment on function lib.user_json(shop.users) is 'The public shape of a user: never any password material.';

create or replace function lib.check_password(p_password text) returns void
language plpgsql
immutable
as $$
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
comment on function lib.check_password(text) is
  'Password policy: required, 8 characters to 72 bytes (bcrypt''s limit).';

create or replace function lib.upsert_user(
  p_email text,
  p_password text,
  p_first_name text,
  p_last_name text,
  p_role text
) returns shop.users
language plpgsql
volatile
as $$
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
comment on function lib.upsert_user(text, text, text, text, text) is
  'Inserts a user with a bcrypt-hashed password (cost: setting password_hash_cost); maps constraint failures to '
  'PT409/PT422 without echoing the row.';

create or replace function api.user_register(
  p_email text,
  p_password text,
  p_first_name text,
  p_last_name text,
  p_client inet default null
) returns json
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function api.user_register(text, text, text, text, inet) is
  'POST /api/auth/register: creates a customer. 409 email_taken (any letter case), 422 invalid_email, '
  'invalid_name, missing_field, password_too_short, password_too_long (returned as problems, so the attempt '
  'counts); PT429 too_many_attempts beyond rate_limit_auth_per_address attempts a minute from p_client.';

create or replace function api.user_login(
  p_email text,
  p_password text,
  p_cart_token text default null,
  p_client inet default null
) returns json
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function api.user_login(text, text, text, inet) is
  'POST /api/auth/login: checks the password and returns {user_id, role, cart} for the token; the guest cart of '
  'p_cart_token (if live) is merged into the user''s cart (see lib.cart_merge). Unknown email and wrong '
  'password return the same 401 invalid_credentials problem and count as a failure of that email; after '
  'rate_limit_login_failures failures within rate_limit_login_window, PT429 too_many_attempts (even with the '
  'right password) until the oldest leaves the window. p_client: rate_limit_auth_per_address a minute.';

create or replace function api.profile_get() returns json
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select lib.user_json(u)
  from shop.users u
  where u.id = lib.require_user()
$$;
comment on function api.profile_get() is 'GET /api/users/profile: the caller''s own profile. PT401 when anonymous.';

create or replace function api.profile_update(p_first_name text default null, p_last_name text default null)
returns json
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function api.profile_update(text, text) is
  'PUT /api/users/profile: changes the caller''s own names (only those; email and role are not writable here).';

create or replace function lib.make_admin(p_email text, p_password text) returns text
language plpgsql
volatile
as $$
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
comment on function lib.make_admin(text, text) is
  'make admin: promotes an existing user (password unchanged) or creates an admin. Idempotent. Owner only.';
