-- api.profile_get, api.profile_update (as pgshop_api) and lib.make_admin (the owner-only "make admin").
begin;
select * from no_plan();
\ir ../helpers.psql

-- Function properties ---------------------------------------------------------------------------------
select function_privs_are('api', 'profile_get', '{}'::text[], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'profile_update', array['text', 'text'], 'pgshop_api', array['EXECUTE']);
select volatility_is('api', 'profile_get', '{}'::name[], 'stable');
select volatility_is('api', 'profile_update', array['text', 'text'], 'volatile');
select is_definer('api', 'profile_get', '{}'::name[]);
select is_definer('api', 'profile_update', array['text', 'text']);

do $$
begin
  perform pg_temp.new_user('customer_id', 'zqxwv-profile@zqxwv.test', 'Pat', 'Smith', 'customer');
  perform pg_temp.new_user('other_id', 'zqxwv-other@zqxwv.test', 'Oth', 'Er', 'customer');
  perform set_config('tests.missing_id', ((select max(id) from shop.users) + 1000)::text, true);
end
$$;

-- api.profile_get -------------------------------------------------------------------------------------
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('customer_id'));

select is(
  api.profile_get()::jsonb - 'created_at' - 'updated_at',
  jsonb_build_object('id', pg_temp.id('customer_id'), 'email', 'zqxwv-profile@zqxwv.test',
                     'first_name', 'Pat', 'last_name', 'Smith', 'role', 'customer'),
  'profile_get returns the caller''s own profile');
select is(
  array(select jsonb_object_keys(api.profile_get()::jsonb) order by 1),
  array['created_at', 'email', 'first_name', 'id', 'last_name', 'role', 'updated_at'],
  'profile_get returns exactly the public user fields (no password material)');

select pg_temp.act_as(pg_temp.id('other_id'));
select is((api.profile_get() ->> 'id')::bigint, pg_temp.id('other_id'), 'profile_get follows the claims: another user sees their own');

select pg_temp.act_as(null);
select throws_ok('select api.profile_get()', 'PT401', 'unauthenticated', 'profile_get: anonymous -> PT401 unauthenticated');
select pg_temp.act_as(pg_temp.id('missing_id'));
select throws_ok('select api.profile_get()', 'PT401', 'unauthenticated', 'profile_get: a user that does not exist -> PT401');

-- api.profile_update ----------------------------------------------------------------------------------
select pg_temp.act_as(pg_temp.id('customer_id'), 'admin');

select is(
  api.profile_update('  Patricia ', ' Jones  ')::jsonb - 'created_at' - 'updated_at',
  jsonb_build_object('id', pg_temp.id('customer_id'), 'email', 'zqxwv-profile@zqxwv.test',
                     'first_name', 'Patricia', 'last_name', 'Jones', 'role', 'customer'),
  'profile_update changes both names (trimmed) and returns the profile; role stays customer despite an admin token');
select is(
  api.profile_update(null, 'Brown')::jsonb ->> 'first_name', 'Patricia',
  'profile_update: a null first_name keeps the old one');
select is(
  api.profile_update('Pat', null)::jsonb ->> 'last_name', 'Brown',
  'profile_update: a null last_name keeps the old one');
select is(
  api.profile_update()::jsonb - 'created_at' - 'updated_at',
  jsonb_build_object('id', pg_temp.id('customer_id'), 'email', 'zqxwv-profile@zqxwv.test',
                     'first_name', 'Pat', 'last_name', 'Brown', 'role', 'customer'),
  'profile_update with no arguments changes nothing');

select throws_ok($$select api.profile_update('   ', 'Brown')$$, 'PT422', 'invalid_name',
  'profile_update: a blank first_name -> PT422 invalid_name');
select throws_ok($$select api.profile_update('Pat', '')$$, 'PT422', 'invalid_name',
  'profile_update: an empty last_name -> PT422 invalid_name');

select pg_temp.act_as(null);
select throws_ok($$select api.profile_update('Anon', 'Ymous')$$, 'PT401', 'unauthenticated',
  'profile_update: anonymous -> PT401 unauthenticated');

reset role;
select results_eq(
  $$select u.email::text, u.first_name::text, u.last_name::text, u.role
    from shop.users u where u.id in (pg_temp.id('customer_id'), pg_temp.id('other_id')) order by u.id$$,
  $$values ('zqxwv-profile@zqxwv.test', 'Pat', 'Brown', 'customer'),
           ('zqxwv-other@zqxwv.test', 'Oth', 'Er', 'customer')$$,
  'in the table: only the caller''s names changed, email and role kept, other users untouched');

-- lib.make_admin (run by the owner, here the superuser) ----------------------------------------------
select volatility_is('lib', 'make_admin', array['text', 'text'], 'volatile');
select isnt_definer('lib', 'make_admin', array['text', 'text']);

select matches(lib.make_admin('zqxwv-newadmin@zqxwv.test', 'admin-password'), '^created admin',
  'make_admin creates an admin when the email is unknown');
select results_eq(
  $$select u.role, u.first_name::text, u.last_name::text, u.password_hash = public.crypt('admin-password', u.password_hash)
    from shop.users u where u.email = 'zqxwv-newadmin@zqxwv.test'$$,
  $$values ('admin', 'Admin', 'User', true)$$,
  'the created admin has role admin, placeholder names and the given password');
select throws_ok($$select lib.make_admin('zqxwv-weak@zqxwv.test', 'short')$$, 'PT422', 'password_too_short',
  'make_admin applies the password policy to a new admin');

do $$
begin
  perform set_config('tests.customer_hash',
    (select u.password_hash from shop.users u where u.id = pg_temp.id('customer_id')), true);
end
$$;
select matches(lib.make_admin('  ZQXWV-PROFILE@zqxwv.test ', 'ignored-password'), '^promoted',
  'make_admin promotes an existing customer (email matched in any case, trimmed)');
select matches(lib.make_admin('zqxwv-profile@zqxwv.test', 'another-password'), '^promoted',
  'make_admin a second time for the same user is harmless');
select results_eq(
  $$select count(*), min(u.role), min(u.password_hash) = current_setting('tests.customer_hash'), min(u.id) = pg_temp.id('customer_id')
    from shop.users u where lower(u.email) = 'zqxwv-profile@zqxwv.test'$$,
  $$values (1::bigint, 'admin', true, true)$$,
  'after promoting twice: still one row, role admin, the password unchanged');

-- The promoted user is now an admin for the api.
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('customer_id'), 'customer');
select is(api.profile_get() ->> 'role', 'admin', 'profile_get shows the promoted role');
select lives_ok($$select api.category_create('Zqxwv profile promoted')$$, 'the promoted user may use admin-only functions');
reset role;

select * from finish();
rollback;
