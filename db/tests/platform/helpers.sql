-- shop.current_user_id, lib.require_user, lib.is_admin, lib.require_admin (who is calling) and
-- lib.cursor_encode / lib.cursor_decode (keyset cursors).
-- These helpers are not executable by pgshop_api (see platform/privileges.sql); the api functions call them as
-- their (security definer) owner, so they are tested here as the superuser, with the claims the HTTP layer sets.
begin;
select * from no_plan();
\ir ../helpers.psql

create function pg_temp.set_claims(p_claims text) returns void
language sql as $$ select set_config('request.jwt.claims', p_claims, true) $$;

-- No claims at all in this fresh session (the setting has never been defined).
select is(shop.current_user_id(), null::bigint, 'current_user_id is null when request.jwt.claims was never set');

do $$
begin
  perform pg_temp.new_user('customer_id', 'helpers-customer@zqxwv.test', 'Cus', 'Tomer', 'customer');
  perform pg_temp.new_user('admin_id', 'helpers-admin@zqxwv.test', 'Ad', 'Min', 'admin');
  perform set_config('tests.missing_id', ((select max(id) from shop.users) + 1000)::text, true);
end
$$;

-- shop.current_user_id -------------------------------------------------------------------------------
select volatility_is('shop', 'current_user_id', '{}'::name[], 'stable', 'shop.current_user_id() is stable');

select pg_temp.act_as(null);
select is(shop.current_user_id(), null::bigint, 'current_user_id is null when the claims are empty (anonymous)');

select pg_temp.set_claims('{"role": "anon"}');
select is(shop.current_user_id(), null::bigint, 'current_user_id is null when the claims have no sub');

select pg_temp.act_as(pg_temp.id('customer_id'));
select is(shop.current_user_id(), pg_temp.id('customer_id'), 'current_user_id reads sub (a string, as the HTTP layer sends it)');

select pg_temp.set_claims(json_build_object('sub', pg_temp.id('admin_id'), 'role', 'admin')::text);
select is(shop.current_user_id(), pg_temp.id('admin_id'), 'current_user_id reads a numeric sub too');

-- lib.require_user ----------------------------------------------------------------------------------
select volatility_is('lib', 'require_user', '{}'::name[], 'stable', 'lib.require_user() is stable');

select pg_temp.act_as(null);
select throws_ok('select lib.require_user()', 'PT401', 'unauthenticated', 'require_user: anonymous -> PT401 unauthenticated');

select pg_temp.set_claims('{"role": "customer"}');
select throws_ok('select lib.require_user()', 'PT401', 'unauthenticated', 'require_user: claims without sub -> PT401 unauthenticated');

select pg_temp.act_as(pg_temp.id('missing_id'));
select throws_ok('select lib.require_user()', 'PT401', 'unauthenticated',
  'require_user: a user id that does not exist -> PT401 unauthenticated');

select pg_temp.act_as(pg_temp.id('customer_id'));
select is(lib.require_user(), pg_temp.id('customer_id'), 'require_user returns the id of an existing user');

-- A user deleted after the token was issued is no longer signed in.
delete from shop.users where id = pg_temp.id('customer_id');
select throws_ok('select lib.require_user()', 'PT401', 'unauthenticated',
  'require_user: the token''s user was deleted -> PT401 unauthenticated');
insert into shop.users (id, email, password_hash, first_name, last_name, role) overriding system value
values (pg_temp.id('customer_id'), 'helpers-customer@zqxwv.test',
        public.crypt('password123', public.gen_salt('bf', 4)), 'Cus', 'Tomer', 'customer');

-- lib.is_admin ----------------------------------------------------------------------------------------
select pg_temp.act_as(null);
select is(lib.is_admin(), false, 'is_admin: anonymous -> false');

select pg_temp.act_as(pg_temp.id('customer_id'), 'admin');
select is(lib.is_admin(), false, 'is_admin: a customer whose token claims role admin -> false');

select pg_temp.act_as(pg_temp.id('admin_id'), 'customer');
select is(lib.is_admin(), true, 'is_admin: an admin in shop.users -> true, whatever role the token claims');

-- lib.require_admin -----------------------------------------------------------------------------------
select volatility_is('lib', 'require_admin', '{}'::name[], 'stable', 'lib.require_admin() is stable');

select pg_temp.act_as(null);
select throws_ok('select lib.require_admin()', 'PT401', 'unauthenticated', 'require_admin: anonymous -> PT401 unauthenticated');

select pg_temp.act_as(pg_temp.id('missing_id'), 'admin');
select throws_ok('select lib.require_admin()', 'PT401', 'unauthenticated',
  'require_admin: unknown user id claiming admin -> PT401 unauthenticated');

select pg_temp.act_as(pg_temp.id('customer_id'));
select throws_ok('select lib.require_admin()', 'PT403', 'forbidden', 'require_admin: a customer -> PT403 forbidden');

select pg_temp.act_as(pg_temp.id('customer_id'), 'admin');
select throws_ok('select lib.require_admin()', 'PT403', 'forbidden',
  'require_admin: a customer whose token claims role admin is still PT403 forbidden');

select pg_temp.act_as(pg_temp.id('admin_id'), 'admin');
select is(lib.require_admin(), pg_temp.id('admin_id'), 'require_admin returns the id of an admin');

select pg_temp.act_as(pg_temp.id('admin_id'), 'customer');
select is(lib.require_admin(), pg_temp.id('admin_id'), 'require_admin: admin status comes from shop.users, not the token''s role');

-- An admin demoted in the database loses admin rights at once, even with an old "admin" token.
update shop.users set role = 'customer' where id = pg_temp.id('admin_id');
select pg_temp.act_as(pg_temp.id('admin_id'), 'admin');
select throws_ok('select lib.require_admin()', 'PT403', 'forbidden',
  'require_admin: an admin demoted in shop.users -> PT403 forbidden despite an admin token');

-- lib.cursor_encode / lib.cursor_decode: opaque keyset cursors ----------------------------------------
create function pg_temp.b64url(p_text text) returns text
language sql immutable as $$
  select rtrim(translate(encode(convert_to(p_text, 'UTF8'), 'base64'), E'+/\n', '-_'), '=')
$$;
select is(lib.cursor_decode(lib.cursor_encode('price', '20.00', 5), 'price', 'numeric'),
  '{"s": "price", "k": "20.00", "id": 5}'::jsonb, 'cursor_decode reads back what cursor_encode wrote');
select is(lib.cursor_encode('price', '20.00', null), null, 'cursor_encode: no last row -> null (no next page)');
select is(lib.cursor_decode(null, 'price', 'numeric'), null::jsonb, 'cursor_decode: no cursor -> null');
select ok(lib.cursor_encode('name', repeat('Zqxwv ?>~ é ', 20), 9) !~ '[+/=[:space:]]',
  'a long cursor is base64url: no +, /, padding or line breaks');
select is(lib.cursor_decode(lib.cursor_encode('name', repeat('Zqxwv ?>~ é ', 20), 9), 'name', 'text') ->> 'k', repeat('Zqxwv ?>~ é ', 20),
  'a long key with non-ASCII characters survives the round trip');
select throws_ok($$select lib.cursor_decode('garbage', 'price', 'numeric')$$, 'PT422', 'invalid_cursor',
  'cursor_decode: garbage -> PT422 invalid_cursor');
select throws_ok($$select lib.cursor_decode(lib.cursor_encode('price', '20.00', 5), 'name', 'text')$$, 'PT422', 'invalid_cursor',
  'cursor_decode: a cursor of another sort -> PT422 invalid_cursor');
select throws_ok($$select lib.cursor_decode(pg_temp.b64url('[1, 2]'), 'price', 'numeric')$$, 'PT422', 'invalid_cursor',
  'cursor_decode: JSON that is not an object -> PT422 invalid_cursor');
select throws_ok($$select lib.cursor_decode(pg_temp.b64url('{"s": "price", "id": 5}'), 'price', 'numeric')$$, 'PT422', 'invalid_cursor',
  'cursor_decode: no key -> PT422 invalid_cursor');
select throws_ok($$select lib.cursor_decode(pg_temp.b64url('{"s": "price", "k": "1", "id": "x"}'), 'price', 'numeric')$$, 'PT422', 'invalid_cursor',
  'cursor_decode: an id that is not an integer -> PT422 invalid_cursor');

-- The same rules hold when the helpers run inside an api function called by pgshop_api.
update shop.users set role = 'admin' where id = pg_temp.id('admin_id');
set local role pgshop_api;

select pg_temp.act_as(null);
select throws_ok($$select api.category_create('Zqxwv helpers anonymous')$$, 'PT401', 'unauthenticated',
  'as pgshop_api: an admin-only api function, anonymous -> PT401');

select pg_temp.act_as(pg_temp.id('customer_id'), 'admin');
select throws_ok($$select api.category_create('Zqxwv helpers customer')$$, 'PT403', 'forbidden',
  'as pgshop_api: an admin-only api function, customer with an admin token -> PT403');

select pg_temp.act_as(pg_temp.id('admin_id'), 'admin');
select lives_ok($$select api.category_create('Zqxwv helpers admin')$$,
  'as pgshop_api: an admin-only api function, admin -> ok');

select pg_temp.act_as(pg_temp.id('customer_id'));
select is((api.profile_get() ->> 'id')::bigint, pg_temp.id('customer_id'),
  'as pgshop_api: api functions see the caller from request.jwt.claims');

reset role;
select * from finish();
rollback;
