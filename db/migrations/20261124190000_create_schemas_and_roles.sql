-- migrate:up
-- Schemas: shop (private tables), api (only functions the HTTP layer may call),
-- reporting (views for BI tools), audit (change log).
create extension if not exists pgcrypto;
create extension if not exists pg_trgm;

create schema shop;
comment on schema shop is 'Private tables of pgshop. Nobody but the owner reads or writes them directly.';
create schema api;
comment on schema api is 'The functions the HTTP layer (role pgshop_api) may execute. Holds no tables.';
create schema reporting;
comment on schema reporting is 'Views and materialized views for BI tools (role bi_reader).';
create schema audit;
comment on schema audit is 'Append-only change log.';

-- Roles are cluster-wide: create them only when missing so several databases can share a cluster.
do $$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'pgshop_api') then
    create role pgshop_api login;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'bi_reader') then
    create role bi_reader nologin;
  end if;
end
$$;
comment on role pgshop_api is 'The HTTP layer: EXECUTE on api functions and nothing else.';
comment on role bi_reader is 'Group role for BI logins: SELECT on the reporting schema only.';
alter role pgshop_api set timezone = 'UTC';
alter role pgshop_api set statement_timeout = '10s';

-- Nothing is executable by everyone by default: every function is granted explicitly.
alter default privileges revoke execute on functions from public;
grant usage on schema api to pgshop_api;
grant usage on schema reporting to bi_reader;

-- updated_at maintained by the database, whatever the client sends.
create function shop.tg__set_updated_at() returns trigger
language plpgsql
as $$
begin
  new.updated_at := now();
  return new;
end
$$;
comment on function shop.tg__set_updated_at() is 'Trigger: sets updated_at to the transaction time on every update.';

-- The caller's identity: the HTTP layer sets request.jwt.claims (the verified JWT claims as JSON) for
-- the transaction of each call. Triggers use it too, so it lives here rather than in db/functions.
create function shop.current_user_id() returns bigint
language sql
stable
as $$
  select (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')::bigint
$$;
comment on function shop.current_user_id() is
  'The calling user''s id from the request.jwt.claims set by the HTTP layer for this transaction; null when anonymous.';

-- migrate:down
drop function shop.current_user_id();
drop function shop.tg__set_updated_at();
alter default privileges grant execute on functions to public;
drop schema audit cascade;
drop schema reporting cascade;
drop schema api cascade;
drop schema shop cascade;
-- The roles may still hold privileges in another database of the cluster: keep them then.
do $$
begin
  drop role if exists pgshop_api;
  drop role if exists bi_reader;
exception when dependent_objects_still_exist then
  raise notice 'roles kept: still referenced in another database';
end
$$;
drop extension if exists pg_trgm;
drop extension if exists pgcrypto;
