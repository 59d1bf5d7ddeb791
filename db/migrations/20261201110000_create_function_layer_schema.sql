-- migrate:up
-- The function layer (db/functions) is rebuilt, not patched: `make migrate` drops every routine in the
-- schemas api and lib and creates them again from the files, in one transaction, so exactly the functions
-- in the files exist there. Migrations keep everything else: tables, views, types and domains, triggers
-- and the functions that triggers, constraints and defaults call (db/README.md).
create schema lib;
comment on schema lib is
  'Helpers of the api functions (validation, JSON shapes, checkout steps, housekeeping): rebuilt from '
  'db/functions by make migrate. Nothing here is callable by pgshop_api.';

-- One mechanism grants the HTTP layer what it may call: whatever the owner creates in api.
alter default privileges in schema api grant execute on functions to pgshop_api;

create function shop.drop_function_layer() returns void
language plpgsql
volatile
as $$
declare
  v_routine regprocedure;
begin
  for v_routine in
    select p.oid::regprocedure
    from pg_catalog.pg_proc p
    where p.pronamespace in ('api'::regnamespace, 'lib'::regnamespace)
    order by p.oid
  loop
    execute format('drop routine %s', v_routine);
  end loop;
  -- The layer schedules its housekeeping (db/functions/90_schedule.sql); its jobs go with it.
  if to_regnamespace('cron') is not null then
    if has_schema_privilege('cron', 'usage') then
      perform cron.unschedule(j.jobid) from cron.job j where j.jobname like 'pgshop-%';
    end if;
  end if;
end
$$;
comment on function shop.drop_function_layer() is
  'Drops every routine of the function layer (schemas api and lib) and its pg_cron jobs. make migrate calls it '
  'before creating the layer again; every migration''s down calls it first, so no function is left '
  'referring to what the down removes.';

-- The layer lived in shop and reporting until now: those functions go (a one-time move to lib).
do $$
declare
  v_routine regprocedure;
begin
  for v_routine in
    select p.oid::regprocedure
    from pg_catalog.pg_proc p
    where (p.pronamespace = 'shop'::regnamespace and p.proname in (
            'address_in', 'auth_attempt', 'cart_for_write', 'cart_json', 'cart_merge', 'cart_token',
            'category_json', 'check_password', 'check_report_range', 'checkout', 'correct_query', 'cursor_decode',
            'cursor_encode', 'find_cart', 'is_admin', 'make_admin', 'not_found', 'order_json', 'price', 'problem',
            'problem_of', 'product_json', 'purge_expired', 'rate_limit_check', 'require_admin', 'require_user',
            'set_cart_line', 'setting', 'settings_apply', 'upsert_user', 'user_json'))
       or (p.pronamespace = 'reporting'::regnamespace and p.proname = 'refresh')
  loop
    execute format('drop routine %s', v_routine);
  end loop;
end
$$;
select shop.drop_function_layer();

-- migrate:down
select shop.drop_function_layer();
drop function shop.drop_function_layer();
alter default privileges in schema api revoke execute on functions from pgshop_api;
drop schema lib;
