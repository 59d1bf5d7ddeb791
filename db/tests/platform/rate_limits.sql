-- Rate limits (migration 20261201100100_create_settings_and_attempts): shop.settings and its functions,
-- lib.rate_limit_check, the login lockout per email, the login/register budget per client address, the
-- checkout budget per user, the purge of old attempts, and what pgshop_api may not touch.
-- Every setting is changed inside this transaction only (make test raises some limits for the other files).
begin;
select * from no_plan();
\ir ../helpers.psql

-- retry_after(sql): the retry_after of the PT429 a statement raises (null when it raises something else).
create function pg_temp.retry_after(p_sql text) returns numeric
language sql as $$
  select ((e ->> 'hint')::jsonb ->> 'retry_after')::numeric
  from pg_temp.error_of(p_sql) e where e ->> 'sqlstate' = 'PT429' and e ->> 'message' = 'too_many_attempts'
$$;
-- attempts(kind, key): how many attempts of a kind a key has in shop.attempts (run as the superuser).
create function pg_temp.attempts(p_kind text, p_key text) returns bigint
language sql stable as $$ select count(*) from shop.attempts a where a.kind = p_kind and a.key = p_key $$;
-- old(kind, key, ages): attempts made that long ago.
create function pg_temp.old(p_kind text, p_key text, variadic p_ages interval[]) returns void
language sql as $$ insert into shop.attempts (kind, key, at) select p_kind, p_key, now() - a from unnest(p_ages) a $$;
-- A snapshot of everything a checkout may change for the test buyer and product (run as the superuser).
create function pg_temp.state() returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'stock', (select v.stock_quantity from shop.variants v where v.product_id = pg_temp.id('p')),
    'movements', (select count(*) from shop.stock_movements m where m.product_id = pg_temp.id('p')),
    'cart', (select jsonb_agg(jsonb_build_array(ci.product_id, ci.quantity) order by ci.id)
             from shop.cart_items ci join shop.carts c on c.id = ci.cart_id where c.user_id = pg_temp.id('buyer2')),
    'orders', (select count(*) from shop.orders o where o.user_id = pg_temp.id('buyer2')),
    'keys', (select count(*) from shop.idempotency_keys k where k.user_id = pg_temp.id('buyer2')))
$$;

-- Function properties ---------------------------------------------------------------------------------
select volatility_is('lib', 'setting', array['text'], 'stable');
select volatility_is('lib', 'settings_apply', array['jsonb'], 'volatile');
select volatility_is('lib', 'auth_attempt', array['inet'], 'volatile');
select has_function('api', 'user_login', array['text', 'text', 'text', 'inet'], 'api.user_login takes the client address');
select has_function('api', 'user_register', array['text', 'text', 'text', 'text', 'inet'], 'api.user_register takes the client address');

-- shop.settings -----------------------------------------------------------------------------------------
select results_eq(
  $$select s.name, s.default_value, s.type from shop.settings s where s.name like 'rate\_limit\_%' order by s.name$$,
  $$values ('rate_limit_auth_per_address', '30', 'integer'), ('rate_limit_checkout_per_user', '60', 'integer'),
           ('rate_limit_login_failures', '5', 'integer'), ('rate_limit_login_window', '15 minutes', 'interval')$$,
  'shop.settings: the four rate-limit settings with their defaults and types');
select is_empty($$select s.name from shop.settings s where not shop.has_text(s.description)$$,
  'every setting has a description');
-- settings_apply('{}'): every setting back to its default (the environment of this cluster may differ).
select is_empty($$select s.name from lib.settings_apply('{}') s where s.value <> s.default_value$$,
  'settings_apply({}) sets every setting back to its default and returns them');
select is(lib.setting('rate_limit_login_failures'), '5', 'lib.setting reads rate_limit_login_failures: 5');
select is(lib.setting('rate_limit_login_window'), '15 minutes', 'lib.setting reads rate_limit_login_window: 15 minutes');
select throws_ok($$select lib.setting('zqxwv_nope')$$, 'P0001', 'unknown setting zqxwv_nope',
  'lib.setting of an unknown name -> error');
select throws_ok($$select lib.setting(null)$$, 'P0001', null, 'lib.setting(null) -> error');

select results_eq(
  $$select s.name, s.value from lib.settings_apply('{"rate_limit_login_failures": "7", "rate_limit_login_window": "1 hour"}') s
    where s.name like 'rate\_limit\_%'$$,
  $$values ('rate_limit_auth_per_address', '30'), ('rate_limit_checkout_per_user', '60'),
           ('rate_limit_login_failures', '7'), ('rate_limit_login_window', '1 hour')$$,
  'settings_apply sets the settings given and returns every setting (the rate-limit ones shown here)');
select results_eq(
  $$select s.name, s.value from lib.settings_apply('{"rate_limit_auth_per_address": 3}') s where s.name like 'rate\_limit\_%'$$,
  $$values ('rate_limit_auth_per_address', '3'), ('rate_limit_checkout_per_user', '60'),
           ('rate_limit_login_failures', '5'), ('rate_limit_login_window', '15 minutes')$$,
  'settings_apply takes a JSON number too, and puts the settings not given back to their defaults');
select throws_ok($$select lib.settings_apply('{"rate_limit_login_failures": "abc"}')$$,
  '22023', 'RATE_LIMIT_LOGIN_FAILURES = abc is not a valid integer from 0',
  'settings_apply refuses "abc" for an integer setting (22023)');
select throws_ok($$select lib.settings_apply('{"rate_limit_checkout_per_user": "-1"}')$$,
  '22023', 'RATE_LIMIT_CHECKOUT_PER_USER = -1 is not a valid integer from 0',
  'settings_apply refuses a negative integer (22023)');
select throws_ok($$select lib.settings_apply('{"rate_limit_login_window": "soon"}')$$,
  '22023', 'RATE_LIMIT_LOGIN_WINDOW = soon is not a valid interval from 1 second',
  'settings_apply refuses "soon" for an interval setting (22023)');
select throws_ok($$select lib.settings_apply('{"rate_limit_login_failures": "9", "rate_limit_login_window": "soon"}')$$,
  '22023', 'RATE_LIMIT_LOGIN_WINDOW = soon is not a valid interval from 1 second',
  'settings_apply with one good and one bad value -> 22023');
select throws_ok($$select lib.settings_apply('{"password_hash_cost": "3"}')$$,
  '22023', 'PASSWORD_HASH_COST = 3 is not a valid integer from 4 to 31',
  'settings_apply refuses a bcrypt cost below 4 (gen_salt would fail at every login)');
select throws_ok($$select lib.settings_apply('{"page_size_max": "0"}')$$,
  '22023', 'PAGE_SIZE_MAX = 0 is not a valid integer from 1 to 10000',
  'settings_apply refuses a page size maximum of 0');
select results_eq(
  $$select s.name, s.value from shop.settings s where s.name like 'rate\_limit\_%' order by s.name$$,
  $$values ('rate_limit_auth_per_address', '3'), ('rate_limit_checkout_per_user', '60'),
           ('rate_limit_login_failures', '5'), ('rate_limit_login_window', '15 minutes')$$,
  'a refused settings_apply changed no setting (not even the good value beside the bad one)');
select is_empty($$select s.name from lib.settings_apply('{}') s where s.value <> s.default_value$$,
  'settings_apply({}) puts everything back to the defaults');

-- lib.rate_limit_check -------------------------------------------------------------------------------
select pg_temp.old('checkout', 'zqxwv-k', '0 seconds', '10 seconds');
select lives_ok($$select lib.rate_limit_check('checkout', 'zqxwv-k', 3, '1 minute')$$,
  'rate_limit_check: 2 attempts under a limit of 3 -> passes');
select pg_temp.old('checkout', 'zqxwv-k', '20 seconds');
select throws_ok($$select lib.rate_limit_check('checkout', 'zqxwv-k', 3, '1 minute')$$, 'PT429', 'too_many_attempts',
  'rate_limit_check: 3 attempts at a limit of 3 -> PT429 too_many_attempts');
select is(pg_temp.error_of($$select lib.rate_limit_check('checkout', 'zqxwv-k', 3, '1 minute')$$) ->> 'detail',
  'too many attempts: wait before trying again', 'too_many_attempts: its detail');
select is(pg_temp.retry_after($$select lib.rate_limit_check('checkout', 'zqxwv-k', 3, '1 minute')$$), 40::numeric,
  'retry_after: the window minus the age of the oldest counted attempt (60 - 20 = 40 seconds)');
select pg_temp.old('checkout', 'zqxwv-k', '30 seconds');
select throws_ok($$select lib.rate_limit_check('checkout', 'zqxwv-k', 3, '1 minute')$$, 'PT429', 'too_many_attempts',
  'rate_limit_check: 4 attempts over a limit of 3 -> PT429 too_many_attempts');
select is(pg_temp.retry_after($$select lib.rate_limit_check('checkout', 'zqxwv-k', 3, '1 minute')$$), 40::numeric,
  'retry_after over the limit: until the count falls below the limit (the attempt 20 seconds old leaves in 40)');
select is(pg_temp.retry_after($$select lib.rate_limit_check('checkout', 'zqxwv-k', 3, '1 hour')$$), 3580::numeric,
  'retry_after with a window of 1 hour: 3600 - 20 seconds');
select lives_ok($$select lib.rate_limit_check('checkout', 'zqxwv-k', 0, '1 minute')$$,
  'rate_limit_check: limit 0 means no limit');
select lives_ok($$select lib.rate_limit_check('checkout', 'zqxwv-other', 1, '1 minute')$$,
  'rate_limit_check: another key of the same kind is not affected');
select lives_ok($$select lib.rate_limit_check('auth', 'zqxwv-k', 1, '1 minute')$$,
  'rate_limit_check: the same key of another kind is not affected');
select lives_ok($$select lib.rate_limit_check('checkout', 'zqxwv-k', 5, '1 minute')$$,
  'rate_limit_check: 4 attempts under a limit of 5 -> passes');
select lives_ok($$select lib.rate_limit_check('checkout', 'zqxwv-k', 3, '15 seconds')$$,
  'rate_limit_check: only 2 attempts within a window of 15 seconds -> passes under a limit of 3');

select pg_temp.old('checkout', 'zqxwv-old', '61 seconds', '60 seconds', '1 hour');
select lives_ok($$select lib.rate_limit_check('checkout', 'zqxwv-old', 1, '1 minute')$$,
  'rate_limit_check: attempts older than the window (or exactly as old) are ignored');
select pg_temp.old('checkout', 'zqxwv-old', '59.9 seconds');
select is(pg_temp.retry_after($$select lib.rate_limit_check('checkout', 'zqxwv-old', 1, '1 minute')$$), 1::numeric,
  'retry_after is at least 1 (an attempt 59.9 seconds old leaves the window in 0.1 second)');

-- Login lockout per email ------------------------------------------------------------------------------
do $$
begin
  perform pg_temp.new_user('locked', 'zqxwv-rl-locked@zqxwv.test', 'Lock', 'Ed');
  perform pg_temp.new_user('reset', 'zqxwv-rl-reset@zqxwv.test', 'Re', 'Set');
  perform pg_temp.new_user('stale', 'zqxwv-rl-stale@zqxwv.test', 'Sta', 'Le');
end
$$;
set local role pgshop_api;
select pg_temp.act_as(null);
select pg_temp.problem_is(
  format($$select api.user_login(%L, 'wrong password %s')$$,
         case when i % 2 = 0 then ' ZQXWV-RL-Locked@zqxwv.test ' else 'zqxwv-rl-locked@zqxwv.test' end, i),
  401, 'invalid_credentials', format('login lockout: wrong password %s of 5 -> 401 invalid_credentials problem', i))
from generate_series(1, 5) i;
reset role;
select is(pg_temp.attempts('login_failure', 'zqxwv-rl-locked@zqxwv.test'), 5::bigint,
  'the 5 failures are recorded under the email in lower case without spaces (the problem is returned: they stay)');
set local role pgshop_api;
select throws_ok($$select api.user_login('zqxwv-rl-locked@zqxwv.test', 'password123')$$, 'PT429', 'too_many_attempts',
  'login lockout: the 6th attempt, with the right password -> PT429 too_many_attempts');
select is(pg_temp.retry_after($$select api.user_login('ZQXWV-RL-LOCKED@zqxwv.test', 'password123')$$), 900::numeric,
  'login lockout: in any letter case; retry_after 900 (the 15 minute window, all failures made now)');
select throws_ok($$select api.user_login('zqxwv-rl-locked@zqxwv.test', 'wrong password 6')$$, 'PT429', 'too_many_attempts',
  'login lockout: a 6th wrong password -> PT429 too (not a 401)');
reset role;
select is(pg_temp.attempts('login_failure', 'zqxwv-rl-locked@zqxwv.test'), 5::bigint,
  'the refused attempts recorded no more failures');
set local role pgshop_api;

select pg_temp.problem_is(format($$select api.user_login('zqxwv-rl-nobody@zqxwv.test', 'password %s')$$, i),
  401, 'invalid_credentials', format('unknown email: attempt %s of 5 -> 401 invalid_credentials problem', i))
from generate_series(1, 5) i;
reset role;
select is(pg_temp.attempts('login_failure', 'zqxwv-rl-nobody@zqxwv.test'), 5::bigint,
  'unknown email: the 5 failures are recorded the same way');
set local role pgshop_api;
select throws_ok($$select api.user_login('zqxwv-rl-nobody@zqxwv.test', 'password 6')$$, 'PT429', 'too_many_attempts',
  'unknown email: the 6th attempt -> PT429 too_many_attempts (nothing tells the email does not exist)');

select pg_temp.problem_is(format($$select api.user_login('zqxwv-rl-reset@zqxwv.test', 'wrong password %s')$$, i),
  401, 'invalid_credentials', format('reset: wrong password %s of 4 -> 401 problem', i))
from generate_series(1, 4) i;
select is(api.user_login('zqxwv-rl-reset@zqxwv.test', 'password123')::jsonb ->> 'user_id', pg_temp.id('reset')::text,
  'reset: the right password after 4 failures logs in');
reset role;
select is(pg_temp.attempts('login_failure', 'zqxwv-rl-reset@zqxwv.test'), 0::bigint,
  'a successful login deletes the failures of its email');
set local role pgshop_api;
select pg_temp.problem_is(format($$select api.user_login('zqxwv-rl-reset@zqxwv.test', 'wrong password %s')$$, i),
  401, 'invalid_credentials', format('reset: after the success, wrong password %s of 4 -> 401 problem (the count starts again)', i - 4))
from generate_series(5, 8) i;
select is(api.user_login('zqxwv-rl-reset@zqxwv.test', 'password123')::jsonb ->> 'user_id', pg_temp.id('reset')::text,
  'reset: 8 failures in all, never 5 in a row: the right password still logs in');

reset role;
select pg_temp.old('login_failure', 'zqxwv-rl-stale@zqxwv.test', '15 minutes', '16 minutes', '20 minutes', '1 hour', '1 day');
set local role pgshop_api;
select is(api.user_login('zqxwv-rl-stale@zqxwv.test', 'password123')::jsonb ->> 'user_id', pg_temp.id('stale')::text,
  'failures older than rate_limit_login_window do not count');
reset role;
select is(pg_temp.attempts('login_failure', 'zqxwv-rl-stale@zqxwv.test'), 0::bigint,
  '... and the successful login deleted them too');
do $$ begin perform lib.settings_apply('{"rate_limit_login_failures": "0"}'); end $$;
set local role pgshop_api;
select is(api.user_login('zqxwv-rl-locked@zqxwv.test', 'password123')::jsonb ->> 'user_id', pg_temp.id('locked')::text,
  'rate_limit_login_failures 0: no lockout (the locked account logs in)');
reset role;
do $$ begin perform lib.settings_apply('{}'); end $$;

-- Login and register budget per client address ----------------------------------------------------------
do $$ begin perform lib.settings_apply('{"rate_limit_auth_per_address": "3"}'); end $$;
set local role pgshop_api;
select is(api.user_login('zqxwv-rl-reset@zqxwv.test', 'password123', null, '192.0.2.1')::jsonb ->> 'user_id',
  pg_temp.id('reset')::text, 'per address (limit 3): attempt 1 from 192.0.2.1, a login, passes');
select is(api.user_register('zqxwv-rl-new@zqxwv.test', 'password123', 'New', 'User', '192.0.2.1')::jsonb ->> 'email',
  'zqxwv-rl-new@zqxwv.test', 'per address: attempt 2, a registration, passes');
select pg_temp.problem_is($$select api.user_register('zqxwv-rl-new@zqxwv.test', 'password123', 'New', 'User', '192.0.2.1')$$,
  409, 'email_taken', 'per address: attempt 3, a refused registration, returns its 409 email_taken problem');
reset role;
select is(pg_temp.attempts('auth', '192.0.2.1'), 3::bigint,
  'the three attempts are recorded under the address (the refused registration too)');
set local role pgshop_api;
select throws_ok($$select api.user_login('zqxwv-rl-reset@zqxwv.test', 'password123', null, '192.0.2.1')$$,
  'PT429', 'too_many_attempts', 'per address: a 4th attempt, a login with the right password -> PT429 too_many_attempts');
select throws_ok($$select api.user_register('zqxwv-rl-new2@zqxwv.test', 'password123', 'New', 'User', '192.0.2.1/32')$$,
  'PT429', 'too_many_attempts', 'per address: a 4th attempt, a registration (same host as 192.0.2.1/32) -> PT429');
select is(pg_temp.retry_after($$select api.user_login('zqxwv-rl-reset@zqxwv.test', 'password123', null, '192.0.2.1')$$),
  60::numeric, 'per address: retry_after 60 (a window of one minute)');
select is(api.user_login('zqxwv-rl-reset@zqxwv.test', 'password123', null, '192.0.2.2')::jsonb ->> 'user_id',
  pg_temp.id('reset')::text, 'per address: another address (192.0.2.2) still passes');
select is(api.user_register('zqxwv-rl-new3@zqxwv.test', 'password123', 'New', 'User', '2001:db8::1')::jsonb ->> 'email',
  'zqxwv-rl-new3@zqxwv.test', 'per address: an IPv6 address has its own budget');
select is(
  (select count(*) from generate_series(1, 5) i
   where api.user_login('zqxwv-rl-reset@zqxwv.test', 'password123', null, null)::jsonb ? 'user_id'),
  5::bigint, 'per address: no p_client (a local caller) is never limited: 5 logins pass');
select pg_temp.problem_is($$select api.user_register('zqxwv-rl-new@zqxwv.test', 'password123', 'New', 'User')$$,
  409, 'email_taken', 'per address: no p_client, a register still answers normally');
reset role;
select results_eq(
  $$select a.key, count(*) from shop.attempts a
    where a.kind = 'auth' and (a.key like '192.0.2.%' or a.key like '2001:db8:%') group by a.key order by a.key$$,
  $$values ('192.0.2.1', 3::bigint), ('192.0.2.2', 1), ('2001:db8::1', 1)$$,
  'auth attempts: 3 for 192.0.2.1 (the refused ones not recorded), 1 each for the others, none without an address');

-- An email too long for any account is still one counted failure (under its first 254 characters), so it
-- cannot buy unlimited bcrypt rounds from one address.
set local role pgshop_api;
select pg_temp.problem_is(
  format($$select api.user_login(%L, 'password123', null, '192.0.2.3')$$,
         (select string_agg(md5(i::text), '') from generate_series(1, 100) i)),
  401, 'invalid_credentials', 'login: an email of 3200 random characters -> 401 invalid_credentials problem');
reset role;
select is(pg_temp.attempts('auth', '192.0.2.3'), 1::bigint, '... and the attempt counts against its address');
do $$ begin perform lib.settings_apply('{}'); end $$;

-- Checkout budget per user ------------------------------------------------------------------------------
do $$
declare
  v_id bigint;
begin
  perform pg_temp.new_user('buyer', 'zqxwv-rl-buyer@zqxwv.test', 'Buy', 'Er');
  perform pg_temp.new_user('buyer2', 'zqxwv-rl-buyer2@zqxwv.test', 'Buy', 'Er Two');
  v_id := pg_temp.new_product('Zqxwv Rate Limited', 3.00, 'ZQXWV-RL-P', 2, p_threshold => 0);
  perform set_config('tests.p', v_id::text, true);
  perform set_config('tests.addr', jsonb_build_object(
    'name', 'Ann Zqxwv', 'line1', '1 Zqxwv Street', 'city', 'Springfield', 'postal_code', '12345', 'country', 'US')::text,
    true);
  perform lib.settings_apply('{"rate_limit_checkout_per_user": "2"}');
end
$$;
set local role pgshop_api;
select pg_temp.act_as(null);
select throws_ok($$select pg_temp.checkout(current_setting('tests.addr')::jsonb)$$, 'PT401', 'unauthenticated',
  'checkout: anonymous -> PT401 unauthenticated, raised before any budget');
select pg_temp.act_as(pg_temp.id('buyer'));
select pg_temp.problem_is($$select pg_temp.checkout(current_setting('tests.addr')::jsonb)$$, 409, 'empty_cart',
  'checkout budget 2: attempt 1 (an empty cart) -> 409 empty_cart problem');
select pg_temp.problem_is($$select pg_temp.checkout(current_setting('tests.addr')::jsonb, 'zqxwv-rl-key')$$, 409, 'empty_cart',
  'checkout budget 2: attempt 2 (an empty cart, with a key) -> 409 empty_cart problem');
select throws_ok($$select pg_temp.checkout(current_setting('tests.addr')::jsonb)$$, 'PT429', 'too_many_attempts',
  'checkout budget 2: attempt 3 -> PT429 too_many_attempts (refused attempts count)');
select is(pg_temp.retry_after($$select pg_temp.checkout(current_setting('tests.addr')::jsonb)$$), 60::numeric,
  'checkout: retry_after 60 (a window of one minute)');
reset role;
select is(pg_temp.attempts('checkout', pg_temp.id('buyer')::text), 2::bigint,
  'the two refused checkouts are recorded under the user id; the PT429 ones are not');

set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('buyer2'));
do $$ begin perform api.cart_add_item(null, pg_temp.id('p'), 2); end $$;
reset role;
update shop.variants set stock_quantity = 1 where product_id = pg_temp.id('p');  -- sold elsewhere meanwhile
do $$ begin perform set_config('tests.before', pg_temp.state()::text, true); end $$;
set local role pgshop_api;
select pg_temp.problem_is($$select pg_temp.checkout(current_setting('tests.addr')::jsonb, 'zqxwv-rl-key')$$,
  409, 'insufficient_stock', 'another user, attempt 1: insufficient stock -> 409 insufficient_stock problem');
reset role;
select is(pg_temp.state(), current_setting('tests.before')::jsonb,
  'the refused checkout changed nothing: stock, ledger, cart lines, no order, no idempotency key');
select is(pg_temp.attempts('checkout', pg_temp.id('buyer2')::text), 1::bigint, '... but its attempt is recorded');
update shop.variants set stock_quantity = 2 where product_id = pg_temp.id('p');
set local role pgshop_api;
select is(pg_temp.checkout(current_setting('tests.addr')::jsonb, 'zqxwv-rl-key')::jsonb ->> 'total_amount', '6.00',
  'another user, attempt 2: the retry with the same key succeeds (each user has a budget of its own)');
select throws_ok($$select pg_temp.checkout(current_setting('tests.addr')::jsonb, 'zqxwv-rl-key')$$, 'PT429', 'too_many_attempts',
  'attempt 3, even a replay of a successful key -> PT429 too_many_attempts');
reset role;
select is(pg_temp.attempts('checkout', pg_temp.id('buyer2')::text), 2::bigint, 'the successful checkout counted too');
do $$ begin perform lib.settings_apply('{"rate_limit_checkout_per_user": "0"}'); end $$;
set local role pgshop_api;
select pg_temp.problem_is($$select pg_temp.checkout(current_setting('tests.addr')::jsonb)$$, 409, 'empty_cart',
  'rate_limit_checkout_per_user 0: no limit (a 3rd attempt of that user answers normally)');
reset role;
do $$ begin perform lib.settings_apply('{}'); end $$;

-- lib.purge_expired and old attempts -------------------------------------------------------------------
select pg_temp.old('login_failure', 'zqxwv-purge', '1 day', '16 minutes', '15 minutes', '14 minutes', '2 minutes', '0 seconds');
do $$
begin
  perform set_config('tests.purged', (select count(*) from shop.attempts a where a.at <= now() - interval '15 minutes')::text, true);
end
$$;
select is(lib.purge_expired()::jsonb -> 'attempts', to_jsonb(current_setting('tests.purged')::integer),
  'purge_expired reports the attempts it deleted (as old as rate_limit_login_window or older)');
select results_eq(
  $$select now() - a.at from shop.attempts a where a.key = 'zqxwv-purge' order by a.at$$,
  $$values ('14 minutes'::interval), ('2 minutes'), ('0 seconds')$$,
  'purge_expired deletes attempts 15 minutes old or older and keeps younger ones');
select is((select count(*) from shop.attempts a where a.at <= now() - interval '15 minutes'), 0::bigint,
  'no attempt as old as the window is left');
select is(pg_temp.attempts('checkout', pg_temp.id('buyer2')::text), 3::bigint, 'recent attempts of other kinds are kept');
do $$ begin perform lib.settings_apply('{"rate_limit_login_window": "30 seconds"}'); end $$;
select pg_temp.old('auth', 'zqxwv-purge', '90 seconds', '45 seconds');
do $$
begin
  perform set_config('tests.purged', (select count(*) from shop.attempts a where a.at <= now() - interval '1 minute')::text, true);
end
$$;
select cmp_ok(current_setting('tests.purged')::integer, '>=', 3, 'set-up: at least 3 attempts are 1 minute old or older');
select is(lib.purge_expired()::jsonb -> 'attempts', to_jsonb(current_setting('tests.purged')::integer),
  'with a login window of 30 seconds, purge_expired still keeps attempts for 1 minute (the per-minute budgets)');
select results_eq(
  $$select a.kind, now() - a.at from shop.attempts a where a.key = 'zqxwv-purge' order by a.at$$,
  $$values ('auth', '45 seconds'::interval), ('login_failure', '0 seconds')$$,
  '... those of 14 minutes, 2 minutes and 90 seconds; the one of 45 seconds stays');
do $$ begin perform lib.settings_apply('{}'); end $$;

-- Privileges ----------------------------------------------------------------------------------------------
select function_privs_are('lib', f, a, 'pgshop_api', '{}'::text[],
  format('pgshop_api cannot execute lib.%s(%s)', f, array_to_string(a, ', ')))
from (values ('setting', array['text']), ('settings_apply', array['jsonb']),
             ('rate_limit_check', array['text', 'text', 'integer', 'interval']),
             ('checkout', array['bigint', 'jsonb', 'text'])) v (f, a);
select table_privs_are('shop', t, 'pgshop_api', '{}'::text[], format('pgshop_api has no privilege on shop.%s', t))
from unnest(array['attempts', 'settings']) t;
set local role pgshop_api;
select throws_ok($$select lib.setting('rate_limit_login_failures')$$, '42501', null, 'as pgshop_api: lib.setting -> 42501');
select throws_ok($$select lib.settings_apply('{"rate_limit_login_failures": "0"}')$$, '42501', null,
  'as pgshop_api: lib.settings_apply -> 42501');
select throws_ok($$select lib.rate_limit_check('auth', '192.0.2.1', 0, '1 minute')$$, '42501', null,
  'as pgshop_api: lib.rate_limit_check -> 42501');
select throws_ok(format($$select lib.checkout(%s, current_setting('tests.addr')::jsonb, null)$$, pg_temp.id('buyer')),
  '42501', null, 'as pgshop_api: lib.checkout (no budget, any user) -> 42501');
select throws_ok('select * from shop.attempts', '42501', null, 'as pgshop_api: select from shop.attempts -> 42501');
select throws_ok('delete from shop.attempts', '42501', null, 'as pgshop_api: delete from shop.attempts -> 42501');
select throws_ok('select * from shop.settings', '42501', null, 'as pgshop_api: select from shop.settings -> 42501');
select throws_ok($$update shop.settings set value = '0'$$, '42501', null, 'as pgshop_api: update shop.settings -> 42501');
reset role;

select * from finish();
rollback;
