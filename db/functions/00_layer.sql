-- The re-applied layer (db/README.md). Every routine, plain view and trigger we own, in the schemas
-- shop, lib, api, audit, reporting and monitoring, is declared once, in a file of db/functions/, and every
-- deploy (`pgshop migrate`) applies all of them in one transaction, in file-name order:
--
--   00_layer.sql                  this file: the machinery below (create or replace)
--   select shop.layer_begin();    drops every routine nothing depends on, opens the roll call
--   the other files               routines: create or replace function; views: shop.layer_view(...);
--                                 triggers: shop.layer_trigger(...)
--   select shop.layer_end();      drops what the files no longer declare
--
-- So the database holds exactly what the files say: something removed from them is gone after the next
-- deploy, a changed body is replaced. Views and triggers are only touched when their definition changed
-- (PostgreSQL's own normalized text compared), so a deploy that changes nothing takes no lock on a table
-- and can run under load. Migrations hold state only.

-- The schemas whose routines, views and triggers the layer owns.
create or replace function shop.layer_schemas() returns regnamespace[]
language sql
immutable
as $$
  select array['shop', 'lib', 'api', 'audit', 'reporting', 'monitoring']::regnamespace[]
$$;
comment on function shop.layer_schemas() is
  'The schemas whose routines, plain views and triggers are declared in db/functions and re-applied by each deploy.';

create or replace function shop.layer_begin() returns void
language plpgsql
volatile
as $$
declare
  v_routine regprocedure;
begin
  -- One deploy at a time; the roll call of what this one declares.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pgshop layer'));
  create temporary table layer_declared (kind text, identity text, primary key (kind, identity)) on commit drop;
  -- A routine nothing depends on is dropped, so that its file may change anything about it (its signature
  -- too). One that a trigger, constraint, domain, default or view uses is replaced in place by its file.
  -- This file's own routines are already declared (written by this transaction: age 0).
  for v_routine in
    select p.oid::regprocedure
    from pg_catalog.pg_proc p
    where p.pronamespace = any (shop.layer_schemas())
      and pg_catalog.age(p.xmin) > 0
      and not exists (select from pg_catalog.pg_depend d
                      where d.refclassid = 'pg_catalog.pg_proc'::regclass and d.refobjid = p.oid and d.deptype = 'n')
    order by p.oid
  loop
    execute format('drop routine %s', v_routine);
  end loop;
  perform shop.layer_unschedule();
end
$$;
comment on function shop.layer_begin() is
  'Deploy, after 00_layer.sql: drops every routine of the layer nothing depends on and the layer''s pg_cron jobs, '
  'and starts the roll call of the views and triggers the files declare.';

-- The layer schedules its housekeeping with pg_cron (90_operations.sql); its jobs go with it.
create or replace function shop.layer_unschedule() returns void
language plpgsql
volatile
as $$
begin
  if to_regnamespace('cron') is not null and has_schema_privilege('cron', 'usage') then
    perform cron.unschedule(j.jobid) from cron.job j where j.jobname like 'pgshop-%';
  end if;
end
$$;
comment on function shop.layer_unschedule() is 'Removes the pg_cron jobs the layer scheduled (pgshop-*).';

-- A plain view, declared by its query. Created when missing; replaced (create or replace: its columns may
-- only grow at the end, as for a view others built on) when PostgreSQL reads the query differently from the
-- view's current definition; else left alone, without a lock.
create or replace function shop.layer_view(p_view text, p_query text) returns void
language plpgsql
volatile
as $$
declare
  v_existing regclass := to_regclass(p_view);
  v_wanted text;
begin
  execute format('create temporary view layer_candidate as %s', p_query);
  v_wanted := pg_catalog.pg_get_viewdef('pg_temp.layer_candidate'::regclass);
  drop view pg_temp.layer_candidate;
  if v_existing is null or pg_catalog.pg_get_viewdef(v_existing) is distinct from v_wanted then
    execute format('create or replace view %s as %s', p_view, p_query);
  end if;
  insert into pg_temp.layer_declared values ('view', to_regclass(p_view)::oid::text) on conflict do nothing;
end
$$;
comment on function shop.layer_view(text, text) is
  'Layer: declares the plain view p_view as p_query; creates or replaces it only when its definition differs.';

-- A trigger, declared by its statement with %s for the table: 'create trigger _500_x after insert on %s
-- for each row execute function shop.tg_x()'. Compared as PostgreSQL prints it (built once on an empty copy
-- of the table), and recreated only when it differs or is disabled: create or replace for a plain trigger, drop
-- and create for a constraint trigger.
create or replace function shop.layer_trigger(p_table regclass, p_statement text) returns void
language plpgsql
volatile
as $$
declare
  v_match text[] := regexp_match(p_statement, '^\s*create\s+(constraint\s+)?trigger\s+(\S+)', 'i');
  v_name name := v_match[2];
  v_existing pg_catalog.pg_trigger;
  v_wanted text;
begin
  if v_name is null then
    raise exception 'not a create trigger statement: %', p_statement;
  end if;
  select * into v_existing from pg_catalog.pg_trigger t
  where t.tgrelid = p_table and t.tgname = v_name and not t.tgisinternal;
  execute format('create temporary table layer_copy (like %s)', p_table);
  execute format(p_statement, 'pg_temp.layer_copy');
  select regexp_replace(pg_catalog.pg_get_triggerdef(t.oid), ' ON (pg_temp\w*\.)?layer_copy ', format(' ON %s ', p_table))
  into v_wanted
  from pg_catalog.pg_trigger t where t.tgrelid = 'pg_temp.layer_copy'::regclass;
  drop table pg_temp.layer_copy;
  if v_existing.oid is null then
    execute format(p_statement, p_table);
  elsif pg_catalog.pg_get_triggerdef(v_existing.oid) is distinct from v_wanted or v_existing.tgenabled <> 'O' then
    if v_match[1] is not null then
      execute format('drop trigger %I on %s', v_name, p_table);
      execute format(p_statement, p_table);
    else
      execute format(regexp_replace(p_statement, '^\s*create\s+trigger', 'create or replace trigger', 'i'), p_table);
    end if;
  end if;
  insert into pg_temp.layer_declared values ('trigger', format('%s %s', p_table::oid, v_name))
  on conflict do nothing;
end
$$;
comment on function shop.layer_trigger(regclass, text) is
  'Layer: declares a trigger on p_table by its create statement (%s for the table); creates or replaces it only '
  'when its definition differs or it is disabled.';

create or replace function shop.layer_end() returns void
language plpgsql
volatile
as $$
declare
  v_row record;
begin
  -- Triggers and views the files no longer declare, then routines they no longer declare (not written by this
  -- transaction). A routine a constraint or domain still uses cannot go: the deploy stops with PostgreSQL's
  -- message naming it (db/README.md says what to do).
  for v_row in
    select t.tgname, t.tgrelid::regclass as tbl
    from pg_catalog.pg_trigger t
    join pg_catalog.pg_class c on c.oid = t.tgrelid
    where c.relnamespace = any (shop.layer_schemas())
      and not t.tgisinternal
      and not exists (select from pg_temp.layer_declared d
                      where d.kind = 'trigger' and d.identity = format('%s %s', t.tgrelid, t.tgname))
  loop
    execute format('drop trigger %I on %s', v_row.tgname, v_row.tbl);
  end loop;
  for v_row in
    select c.oid::regclass as view
    from pg_catalog.pg_class c
    where c.relnamespace = any (shop.layer_schemas())
      and c.relkind = 'v'
      and not exists (select from pg_temp.layer_declared d where d.kind = 'view' and d.identity = c.oid::text)
  loop
    execute format('drop view %s', v_row.view);
  end loop;
  for v_row in
    select p.oid::regprocedure as routine
    from pg_catalog.pg_proc p
    where p.pronamespace = any (shop.layer_schemas())
      and pg_catalog.age(p.xmin) > 0
  loop
    execute format('drop routine %s', v_row.routine);
  end loop;
end
$$;
comment on function shop.layer_end() is
  'Deploy, after every file: drops the triggers, plain views and routines of the layer the files no longer declare.';

-- For migrations' downs, which start with it: the whole layer goes (triggers, plain views, routines), but for
-- the routines that state still uses (a CHECK constraint, a domain, a default) and this function itself, so
-- that the down may drop any table. The next deploy applies the layer again.
create or replace function shop.drop_function_layer() returns void
language plpgsql
volatile
as $$
declare
  v_schemas regnamespace[] := shop.layer_schemas();  -- read once: it goes too
  v_row record;
begin
  for v_row in
    select t.tgname, t.tgrelid::regclass as tbl
    from pg_catalog.pg_trigger t
    join pg_catalog.pg_class c on c.oid = t.tgrelid
    where c.relnamespace = any (v_schemas) and not t.tgisinternal
  loop
    execute format('drop trigger %I on %s', v_row.tgname, v_row.tbl);
  end loop;
  for v_row in
    select c.oid::regclass as view
    from pg_catalog.pg_class c
    where c.relnamespace = any (v_schemas) and c.relkind = 'v'
  loop
    execute format('drop view %s', v_row.view);
  end loop;
  perform shop.layer_unschedule();
  for v_row in
    select p.oid::regprocedure as routine
    from pg_catalog.pg_proc p
    where p.pronamespace = any (v_schemas)
      -- itself and what it calls, for the down of the migration before (when several roll back)
      and p.oid not in ('shop.drop_function_layer()'::regprocedure, 'shop.layer_schemas()'::regprocedure,
                        'shop.layer_unschedule()'::regprocedure)
      and not exists (select from pg_catalog.pg_depend d
                      where d.refclassid = 'pg_catalog.pg_proc'::regclass and d.refobjid = p.oid and d.deptype = 'n')
  loop
    execute format('drop routine %s', v_row.routine);
  end loop;
end
$$;
comment on function shop.drop_function_layer() is
  'For the down of a migration, first: drops the whole re-applied layer (triggers, plain views, routines) but for '
  'the routines a constraint, domain or default uses, so that the down may drop any table.';
