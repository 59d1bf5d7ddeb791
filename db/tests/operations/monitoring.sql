-- The monitoring schema (its views in db/functions/90_operations.sql): they answer, every view and column is described,
-- pgshop_monitor reads them (and is a member of pg_monitor) but nothing in shop or audit, and the API and BI
-- roles do not read them.
begin;
select * from no_plan();
\ir ../helpers.psql

select has_role('pgshop_monitor');
select is_member_of('pg_monitor', 'pgshop_monitor');
select views_are('monitoring', array['top_statements', 'cache_hit_ratio', 'connections', 'lock_waits',
  'long_transactions', 'table_health', 'index_usage', 'replication', 'wal_archiving', 'last_backup', 'webhooks']);
select is_empty(
  $$select c.relname from pg_class c where c.relnamespace = 'monitoring'::regnamespace and c.relkind = 'v'
      and obj_description(c.oid, 'pg_class') is null$$,
  'every monitoring view has a comment');
select is_empty(
  $$select c.relname, a.attname from pg_class c join pg_attribute a on a.attrelid = c.oid
    where c.relnamespace = 'monitoring'::regnamespace and c.relkind = 'v' and a.attnum > 0
      and col_description(c.oid, a.attnum) is null$$,
  'every column of every monitoring view has a comment');
select is_empty(
  $$select c.relname from pg_class c where c.relnamespace = 'monitoring'::regnamespace and c.relkind = 'v'
      and not has_table_privilege('pgshop_monitor', c.oid, 'select')$$,
  'pgshop_monitor may select every monitoring view');
select is_empty(
  $$select c.relname from pg_class c where c.relnamespace = 'monitoring'::regnamespace and c.relkind = 'v'
      and (has_table_privilege('pgshop_api', c.oid, 'select') or has_table_privilege('bi_reader', c.oid, 'select'))$$,
  'pgshop_api and bi_reader select no monitoring view');
select is_empty(
  $$select c.oid::regclass from pg_class c where c.relnamespace in ('shop'::regnamespace, 'audit'::regnamespace)
      and c.relkind in ('r', 'v', 'm') and has_table_privilege('pgshop_monitor', c.oid, 'select')$$,
  'pgshop_monitor selects nothing in shop or audit');

-- Each view answers as pgshop_monitor, the way postgres_exporter asks.
set local role pgshop_monitor;
select lives_ok('select * from monitoring.' || v, 'monitoring.' || v || ' answers as pgshop_monitor')
from unnest(array['top_statements', 'cache_hit_ratio', 'connections', 'lock_waits', 'long_transactions',
                  'table_health', 'index_usage', 'replication', 'wal_archiving', 'last_backup', 'webhooks']) v;
select throws_ok('select * from shop.users limit 1', '42501', null, 'pgshop_monitor cannot read shop.users');
select throws_ok('select * from audit.log limit 1', '42501', null, 'pgshop_monitor cannot read audit.log');
select ok((select count(*) from monitoring.connections) > 0, 'monitoring.connections sees the server''s connections');
reset role;

-- last_backup shows the latest recorded backup and its age.
insert into shop.backups (label, type, started_at, finished_at, database_bytes, repository_bytes)
values ('20260101-000000F', 'full', now() - interval '2 days', now() - interval '2 days' + interval '1 minute', 100, 10),
       ('20260102-000000F_20260102-000000I', 'incr', now() - interval '3 hours', now() - interval '2 hours', 100, 1);
select results_eq(
  $$select label, type, age = interval '2 hours' from monitoring.last_backup$$,
  $$values ('20260102-000000F_20260102-000000I', 'incr', true)$$,
  'monitoring.last_backup: the latest backup and its age');

-- webhooks: pending (and the oldest's age), failed, unmatched payments.
insert into shop.webhook_endpoints (url, events, secret) values ('https://hooks.example.com/m', '{order.paid}', repeat('s', 32));
insert into shop.outbox (type, resource, data) values ('order.paid', 'order/0', '{}'), ('order.paid', 'order/0', '{}');
update shop.webhook_deliveries set retry_from = now() - interval '10 minutes'
where id = (select min(d.id) from shop.webhook_deliveries d);
update shop.webhook_deliveries set status = 'failed' where id = (select max(d.id) from shop.webhook_deliveries d);
set local role pgshop_monitor;
select results_eq($$select pending, failed, oldest_pending_seconds from monitoring.webhooks$$,
  $$values (1::bigint, 1::bigint, 600::numeric)$$, 'monitoring.webhooks: one pending for 10 minutes, one failed');
reset role;
insert into shop.payment_events (provider, provider_event_id, type, unmatched_reason, raw, recorded_by)
values ('stripe', 'evt_monitoring', 'payment_intent.succeeded', 'unknown_order', '{}', 'provider');
set local role pgshop_monitor;
select is((select unmatched_payments from monitoring.webhooks), 1::bigint, 'monitoring.webhooks counts unmatched payments');
select throws_ok('select * from shop.webhook_endpoints', '42501', null, 'pgshop_monitor cannot read the endpoints (secrets)');
reset role;

select * from finish();
rollback;
