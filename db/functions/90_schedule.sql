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
