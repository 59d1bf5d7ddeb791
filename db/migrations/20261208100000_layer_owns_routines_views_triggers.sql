-- migrate:up
-- From here on every routine, plain view and trigger of the schemas shop, lib, api, audit, reporting and
-- monitoring is declared once, in db/functions/, and applied by every deploy (db/README.md); migrations hold
-- state only. The landed migrations made some of them, and their downs drop them by name: what they made is
-- kept here, as PostgreSQL prints it, so that this migration's down can put it back for them.
create table shop.layer_legacy (
  position integer generated always as identity primary key,
  kind text not null,
  identity text not null,
  definition text not null,
  constraint layer_legacy_kind_known check (kind in ('routine', 'view', 'trigger'))
);
comment on table shop.layer_legacy is
  'The routines, plain views and triggers the migrations before 20261208100000 made, as they made them: the down '
  'of that migration restores them (the earlier downs drop them by name). Nothing else reads it.';
comment on column shop.layer_legacy.position is 'Restore order within a kind: the order they were made in.';
comment on column shop.layer_legacy.kind is 'routine, view or trigger.';
comment on column shop.layer_legacy.identity is 'The routine''s signature, the view''s name, or "trigger on table".';
comment on column shop.layer_legacy.definition is 'Its definition as PostgreSQL prints it (pg_get_*def).';

insert into shop.layer_legacy (kind, identity, definition)
select 'routine', p.oid::regprocedure::text, pg_catalog.pg_get_functiondef(p.oid)
from pg_catalog.pg_proc p
where p.pronamespace in ('shop'::regnamespace, 'audit'::regnamespace, 'reporting'::regnamespace,
                         'monitoring'::regnamespace)
order by p.oid;

insert into shop.layer_legacy (kind, identity, definition)
select 'view', c.oid::regclass::text,
       format('create view %s as %s', c.oid::regclass, regexp_replace(pg_catalog.pg_get_viewdef(c.oid), ';\s*$', ''))
from pg_catalog.pg_class c
where c.relkind = 'v'
  and c.relnamespace in ('shop'::regnamespace, 'audit'::regnamespace, 'reporting'::regnamespace,
                         'monitoring'::regnamespace)
order by c.oid;

insert into shop.layer_legacy (kind, identity, definition)
select 'trigger', format('%s on %s', t.tgname, t.tgrelid::regclass), pg_catalog.pg_get_triggerdef(t.oid)
from pg_catalog.pg_trigger t
join pg_catalog.pg_class c on c.oid = t.tgrelid
where not t.tgisinternal
  and c.relnamespace in ('shop'::regnamespace, 'audit'::regnamespace, 'reporting'::regnamespace,
                         'monitoring'::regnamespace)
order by t.oid;

-- migrate:down
select shop.drop_function_layer();

-- Back as the earlier migrations left them: routines (create or replace: the ones a constraint uses, and
-- shop.drop_function_layer, are still there), then views, then triggers.
do $$
declare
  v_legacy shop.layer_legacy;
begin
  for v_legacy in
    select * from shop.layer_legacy l order by array_position(array['routine', 'view', 'trigger'], l.kind), l.position
  loop
    execute v_legacy.definition;
  end loop;
end
$$;

drop table shop.layer_legacy;
