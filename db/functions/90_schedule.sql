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
  else
    raise notice 'pg_cron is not available: schedule "select lib.purge_expired()" hourly and '
                 '"select lib.refresh_reporting()" every 15 minutes yourself';
  end if;
end
$$;
