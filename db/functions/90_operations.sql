-- Operations: the monitoring views (schema monitoring, for pgshop_monitor and postgres_exporter; no customer
-- data), the hourly housekeeping, and the pg_cron schedule of the layer's jobs.

select shop.layer_view('monitoring.cache_hit_ratio', $$
select
  d.datname as database,
  d.blks_hit,
  d.blks_read,
  round(100.0 * d.blks_hit / nullif(d.blks_hit + d.blks_read, 0), 2) as hit_percent,
  d.stats_reset
from pg_catalog.pg_stat_database d
where d.datname = current_database()
$$);
comment on view monitoring.cache_hit_ratio is
  'How often a block this database read was already in shared buffers; below 99 % on a warm OLTP database, '
  'the working set does not fit shared_buffers.';
comment on column monitoring.cache_hit_ratio.database is 'This database.';
comment on column monitoring.cache_hit_ratio.blks_hit is 'Blocks found in shared buffers.';
comment on column monitoring.cache_hit_ratio.blks_read is
  'Blocks read from the operating system (its cache or disk).';
comment on column monitoring.cache_hit_ratio.hit_percent is 'blks_hit / (blks_hit + blks_read), percent.';
comment on column monitoring.cache_hit_ratio.stats_reset is 'Since when these counters run.';

select shop.layer_view('monitoring.connections', $$
select
  coalesce(a.usename, a.backend_type) as role,
  coalesce(a.state, 'background') as state,
  count(*) as connections,
  max(now() - a.state_change) as longest_in_state,
  (select s.setting::integer from pg_catalog.pg_settings s where s.name = 'max_connections') as max_connections
from pg_catalog.pg_stat_activity a
group by 1, 2
$$);
comment on view monitoring.connections is
  'Server connections by role and state (active, idle, idle in transaction...), against max_connections.';
comment on column monitoring.connections.role is 'Login role, or the kind of background process.';
comment on column monitoring.connections.state is
  'active, idle, idle in transaction, ... (background for server processes).';
comment on column monitoring.connections.connections is 'How many.';
comment on column monitoring.connections.longest_in_state is
  'The longest any of them has been in that state.';
comment on column monitoring.connections.max_connections is 'The server''s max_connections.';

select shop.layer_view('monitoring.index_usage', $$
select
  i.schemaname as schema,
  i.relname as table_name,
  i.indexrelname as index_name,
  i.idx_scan as scans,
  i.idx_tup_read as entries_read,
  pg_catalog.pg_relation_size(i.indexrelid) as bytes,
  x.indisunique as is_unique
from pg_catalog.pg_stat_user_indexes i
join pg_catalog.pg_index x on x.indexrelid = i.indexrelid
$$);
comment on view monitoring.index_usage is
  'Indexes by use: a large index with no scans (and not unique) only costs writes.';
comment on column monitoring.index_usage.schema is 'Schema.';
comment on column monitoring.index_usage.table_name is 'Table.';
comment on column monitoring.index_usage.index_name is 'Index.';
comment on column monitoring.index_usage.scans is 'Index scans since the statistics were reset.';
comment on column monitoring.index_usage.entries_read is 'Index entries returned by those scans.';
comment on column monitoring.index_usage.bytes is 'Size on disk.';
comment on column monitoring.index_usage.is_unique is
  'A unique index enforces a rule even when never scanned.';

select shop.layer_view('monitoring.last_backup', $$
select
  b.label,
  b.type,
  b.finished_at,
  now() - b.finished_at as age,
  b.database_bytes,
  b.repository_bytes
from shop.backups b
order by b.finished_at desc
limit 1
$$);
comment on view monitoring.last_backup is
  'The latest backup make backup recorded, and its age (alert when older than a day). Empty before the first.';
comment on column monitoring.last_backup.label is 'pgBackRest backup label.';
comment on column monitoring.last_backup.type is 'full, diff or incr.';
comment on column monitoring.last_backup.finished_at is 'When it finished.';
comment on column monitoring.last_backup.age is 'How long ago.';
comment on column monitoring.last_backup.database_bytes is 'Size of the database it covers.';
comment on column monitoring.last_backup.repository_bytes is
  'Size it takes in the repository (compressed, this backup only).';

select shop.layer_view('monitoring.lock_waits', $$
select
  w.pid as waiting_pid,
  w.usename as waiting_role,
  w.wait_event_type,
  w.wait_event,
  now() - w.query_start as waiting_for,
  pg_catalog.pg_blocking_pids(w.pid) as blocking_pids,
  left(regexp_replace(w.query, '\s+', ' ', 'g'), 300) as waiting_query,
  (select left(regexp_replace(b.query, '\s+', ' ', 'g'), 300) from pg_catalog.pg_stat_activity b
   where b.pid = (pg_catalog.pg_blocking_pids(w.pid))[1]) as first_blocker_query
from pg_catalog.pg_stat_activity w
where cardinality(pg_catalog.pg_blocking_pids(w.pid)) > 0
$$);
comment on view monitoring.lock_waits is 'Sessions waiting for a lock, who blocks them, and for how long.';
comment on column monitoring.lock_waits.waiting_pid is 'The waiting backend.';
comment on column monitoring.lock_waits.waiting_role is 'Its login role.';
comment on column monitoring.lock_waits.wait_event_type is 'Lock, usually.';
comment on column monitoring.lock_waits.wait_event is 'The kind of lock (relation, transactionid, tuple...).';
comment on column monitoring.lock_waits.waiting_for is 'Since its statement started.';
comment on column monitoring.lock_waits.blocking_pids is 'The backends it waits for.';
comment on column monitoring.lock_waits.waiting_query is 'What it runs (normalized text, 300 characters).';
comment on column monitoring.lock_waits.first_blocker_query is 'What the first blocker runs (or last ran).';

select shop.layer_view('monitoring.long_transactions', $$
select
  a.pid,
  a.usename as role,
  a.state,
  now() - a.xact_start as open_for,
  a.backend_xmin is not null as holds_back_vacuum,
  left(regexp_replace(a.query, '\s+', ' ', 'g'), 300) as query
from pg_catalog.pg_stat_activity a
where a.xact_start is not null
  and a.pid <> pg_catalog.pg_backend_pid()
$$);
comment on view monitoring.long_transactions is
  'Open transactions, oldest first by open_for: a long one holds back vacuum and may hold locks.';
comment on column monitoring.long_transactions.pid is 'The backend.';
comment on column monitoring.long_transactions.role is 'Its login role.';
comment on column monitoring.long_transactions.state is 'active, idle in transaction, ...';
comment on column monitoring.long_transactions.open_for is 'How long the transaction has been open.';
comment on column monitoring.long_transactions.holds_back_vacuum is
  'True when its snapshot keeps dead rows from being removed.';
comment on column monitoring.long_transactions.query is 'Its current or last statement (300 characters).';

select shop.layer_view('monitoring.replication', $$
select
  r.application_name as standby,
  r.client_addr,
  r.state,
  r.sync_state,
  pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), r.replay_lsn) as replay_lag_bytes,
  r.write_lag,
  r.flush_lag,
  r.replay_lag,
  s.slot_name,
  s.active as slot_active,
  pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), s.restart_lsn) as slot_retained_bytes
from pg_catalog.pg_stat_replication r
full join pg_catalog.pg_replication_slots s on s.active_pid = r.pid
$$);
comment on view monitoring.replication is
  'On a primary, each standby (and replication slot): how far behind it is in bytes and time. Empty without a '
  'standby. On a standby, pg_last_xact_replay_timestamp() tells its own delay.';
comment on column monitoring.replication.standby is 'The standby''s application_name.';
comment on column monitoring.replication.client_addr is 'Its address (null over a unix socket).';
comment on column monitoring.replication.state is 'streaming, catchup, ...';
comment on column monitoring.replication.sync_state is 'async or sync.';
comment on column monitoring.replication.replay_lag_bytes is 'WAL written here and not yet replayed there.';
comment on column monitoring.replication.write_lag is 'Time until the standby wrote recent WAL.';
comment on column monitoring.replication.flush_lag is 'Time until it flushed it.';
comment on column monitoring.replication.replay_lag is
  'Time until it replayed it (what readers of the standby see).';
comment on column monitoring.replication.slot_name is 'Replication slot keeping WAL for it.';
comment on column monitoring.replication.slot_active is
  'False when the slot''s standby is disconnected (WAL piles up).';
comment on column monitoring.replication.slot_retained_bytes is 'WAL the slot keeps on the primary''s disk.';

select shop.layer_view('monitoring.table_health', $$
select
  t.schemaname as schema,
  t.relname as table_name,
  t.n_live_tup as live_rows,
  t.n_dead_tup as dead_rows,
  round(100.0 * t.n_dead_tup / nullif(t.n_live_tup + t.n_dead_tup, 0), 2) as dead_percent,
  greatest(t.last_vacuum, t.last_autovacuum) as last_vacuum,
  greatest(t.last_analyze, t.last_autoanalyze) as last_analyze,
  t.autovacuum_count,
  pg_catalog.pg_total_relation_size(t.relid) as total_bytes
from pg_catalog.pg_stat_user_tables t
$$);
comment on view monitoring.table_health is
  'Tables by dead rows and when (auto)vacuum and analyze last ran: many dead rows and an old last_vacuum mean '
  'autovacuum is not keeping up.';
comment on column monitoring.table_health.schema is 'Schema.';
comment on column monitoring.table_health.table_name is 'Table.';
comment on column monitoring.table_health.live_rows is 'Estimated live rows.';
comment on column monitoring.table_health.dead_rows is 'Estimated dead rows waiting for vacuum.';
comment on column monitoring.table_health.dead_percent is 'dead_rows / (live_rows + dead_rows), percent.';
comment on column monitoring.table_health.last_vacuum is 'The latest vacuum, manual or automatic.';
comment on column monitoring.table_health.last_analyze is 'The latest analyze, manual or automatic.';
comment on column monitoring.table_health.autovacuum_count is
  'Autovacuum runs since the statistics were reset.';
comment on column monitoring.table_health.total_bytes is 'Size with indexes and TOAST.';

select shop.layer_view('monitoring.top_statements', $$
select
  s.queryid,
  r.rolname as role,
  s.toplevel,
  s.calls,
  round(s.total_exec_time::numeric, 1) as total_ms,
  round(s.mean_exec_time::numeric, 3) as mean_ms,
  round(s.max_exec_time::numeric, 3) as max_ms,
  s.rows,
  round(100.0 * s.shared_blks_hit / nullif(s.shared_blks_hit + s.shared_blks_read, 0), 2) as cache_hit_percent,
  left(regexp_replace(s.query, '\s+', ' ', 'g'), 500) as query
from public.pg_stat_statements s
join pg_catalog.pg_roles r on r.oid = s.userid
where s.dbid = (select d.oid from pg_catalog.pg_database d where d.datname = current_database())
$$);
comment on view monitoring.top_statements is
  'Statements of this database by their total and mean execution time (pg_stat_statements, nested statements '
  'inside functions included: toplevel false). Order by total_ms for the load, mean_ms for the slow ones.';
comment on column monitoring.top_statements.queryid is
  'pg_stat_statements query id (stable for the same normalized text).';
comment on column monitoring.top_statements.role is 'The role that ran it (pgshop_api for the API).';
comment on column monitoring.top_statements.toplevel is 'False for a statement run inside a function.';
comment on column monitoring.top_statements.calls is 'Times executed since the statistics were reset.';
comment on column monitoring.top_statements.total_ms is 'Total execution time, milliseconds.';
comment on column monitoring.top_statements.mean_ms is 'Mean execution time, milliseconds.';
comment on column monitoring.top_statements.max_ms is 'Slowest execution, milliseconds.';
comment on column monitoring.top_statements.rows is 'Rows returned or changed, in all.';
comment on column monitoring.top_statements.cache_hit_percent is
  'Share of the blocks it read that were in shared buffers.';
comment on column monitoring.top_statements.query is
  'The normalized statement ($1 for values), first 500 characters.';

select shop.layer_view('monitoring.wal_archiving', $$
select
  a.archived_count,
  a.last_archived_wal,
  a.last_archived_time,
  now() - a.last_archived_time as since_last_archived,
  a.failed_count,
  a.last_failed_wal,
  a.last_failed_time,
  coalesce(a.last_failed_time > a.last_archived_time, a.last_failed_time is not null) as failing,
  (select s.setting from pg_catalog.pg_settings s where s.name = 'archive_mode') as archive_mode
from pg_catalog.pg_stat_archiver a
$$);
comment on view monitoring.wal_archiving is
  'WAL archiving (pgBackRest archive-push): failing means the newest attempt failed, so point-in-time '
  'recovery past last_archived_time is not possible until it works again.';
comment on column monitoring.wal_archiving.archived_count is
  'Segments archived since the statistics were reset.';
comment on column monitoring.wal_archiving.last_archived_wal is 'The latest segment archived.';
comment on column monitoring.wal_archiving.last_archived_time is 'When.';
comment on column monitoring.wal_archiving.since_last_archived is
  'How long ago (archive_timeout forces one a minute).';
comment on column monitoring.wal_archiving.failed_count is 'Failed attempts since the statistics were reset.';
comment on column monitoring.wal_archiving.last_failed_wal is 'The segment of the latest failure.';
comment on column monitoring.wal_archiving.last_failed_time is 'When it failed.';
comment on column monitoring.wal_archiving.failing is 'True when the latest attempt failed.';
comment on column monitoring.wal_archiving.archive_mode is 'on when archiving is configured.';

-- For operators (pgshop_monitor, make monitor): deliveries not yet made or given up, and payments an admin must see.
select shop.layer_view('monitoring.webhooks', $$
select
  count(*) filter (where d.status = 'pending') as pending,
  count(*) filter (where d.status = 'failed') as failed,
  coalesce(extract(epoch from now() - min(d.retry_from) filter (where d.status = 'pending')), 0)
    as oldest_pending_seconds,
  (select count(*) from shop.payment_events e where e.unmatched_reason is not null) as unmatched_payments
from shop.webhook_deliveries d
where d.status <> 'delivered'
$$);
comment on view monitoring.webhooks is
  'Webhook deliveries pending (oldest_pending_seconds: how long the oldest has waited) and failed (after 24 '
  'hours of retries or an address not allowed, kept for event_retention), and provider events recorded '
  'unmatched.';
comment on column monitoring.webhooks.pending is 'Deliveries still to be made (first try or a retry).';
comment on column monitoring.webhooks.failed is 'Deliveries given up on; an admin can redeliver them.';
comment on column monitoring.webhooks.oldest_pending_seconds is
  'How long the oldest pending delivery has been tried (since its creation or redelivery): grows without '
  'bound when no worker runs.';
comment on column monitoring.webhooks.unmatched_payments is
  'Provider events that matched no payable order (GET /api/admin/payments/unmatched).';

create or replace function lib.purge_expired() returns json
language plpgsql
volatile
as $$
declare
  v_carts integer;
  v_keys integer;
  v_attempts integer;
  v_events integer;
begin
  delete from shop.carts c
  where c.token is not null
    and c.updated_at <= lib.guest_carts_since();
  get diagnostics v_carts = row_count;
  delete from shop.idempotency_keys k
  where k.created_at <= now() - interval '24 hours';
  get diagnostics v_keys = row_count;
  -- Attempts count for at most the longest rate-limit window.
  delete from shop.attempts a
  where a.at <= now() - greatest(interval '1 minute', lib.setting('rate_limit_login_window')::interval);
  get diagnostics v_attempts = row_count;
  -- Events past event_retention go with their deliveries, unless one is still being tried.
  delete from shop.outbox o
  where o.created_at <= now() - lib.setting('event_retention')::interval
    and not exists (select from shop.webhook_deliveries d where d.outbox_id = o.id and d.status = 'pending');
  get diagnostics v_events = row_count;
  return json_build_object('guest_carts', v_carts, 'idempotency_keys', v_keys, 'attempts', v_attempts,
                           'events', v_events);
end
$$;
comment on function lib.purge_expired() is
  'Deletes guest carts idle for guest_cart_lifetime, idempotency keys older than 24 hours, rate-limit attempts older '
  'than the longest window, and outbox events (with their deliveries) older than event_retention unless a delivery '
  'is pending. Scheduled hourly with pg_cron where available; otherwise run it from any scheduler.';

-- Housekeeping jobs, scheduled with pg_cron when the cluster has it (the private cluster of make run and
-- make test preloads it; elsewhere: `create extension pg_cron` as a superuser and `grant usage on schema
-- cron` to the owner, or run the same statements from any scheduler). cron.schedule with a job name
-- replaces that job, so this file stays re-appliable.
do $$
begin
  if exists (select from pg_catalog.pg_extension where extname = 'pg_cron')
     and has_schema_privilege('cron', 'usage') then
    perform cron.schedule('pgshop-purge-expired', '17 * * * *', 'select lib.purge_expired()');
    perform cron.schedule('pgshop-refresh-reporting', '*/15 * * * *', 'select lib.refresh_reporting()');
    perform cron.schedule('pgshop-expire-unpaid-orders', '* * * * *', 'select lib.orders_expire()');
  else
    raise notice 'pg_cron is not available: schedule "select lib.purge_expired()" hourly, '
                 '"select lib.refresh_reporting()" every 15 minutes and "select lib.orders_expire()" every '
                 'minute yourself';
  end if;
end
$$;
