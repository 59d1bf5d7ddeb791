-- Webhooks out. Admins subscribe endpoints to event types; the outbox trigger makes a delivery and a queue
-- job for each (below); the delivery worker (api/worker.py) asks lib.webhook_delivery_start
-- what to send, POSTs it, and reports with lib.webhook_delivery_finish, which decides the retry.

create or replace function shop.emit(p_type text, p_resource text, p_data json, p_reason text DEFAULT NULL::text) returns void
language sql
volatile
as $$
  insert into shop.outbox (type, resource, reason, data) values (p_type, p_resource, p_reason, p_data)
$$;
comment on function shop.emit(text,text,json,text) is
  'Writes an event to shop.outbox (in the caller''s transaction).';

-- One job per delivery, in the queue webhooks; the lock keeps the deliveries of one resource to one
-- endpoint in order (procrastinate runs jobs of a lock one at a time, oldest first).
create or replace function shop.enqueue_deliveries(p_deliveries bigint[]) returns void
language plpgsql
volatile
set search_path = queue, pg_catalog
as $$
begin
  perform queue.procrastinate_defer_jobs_v1(array(
    select row('webhooks', 'deliver', 0, format('webhook %s %s', d.endpoint_id, o.resource), null,
               jsonb_build_object('delivery_id', d.id), null)::queue.procrastinate_job_to_defer_v1
    from unnest(p_deliveries) x(id)
    join shop.webhook_deliveries d on d.id = x.id
    join shop.outbox o on o.id = d.outbox_id
    order by d.id));
end
$$;
comment on function shop.enqueue_deliveries(bigint[]) is
  'Defers one procrastinate job per delivery (queue webhooks, task deliver, locked per endpoint and '
  'resource).';

create or replace function shop.tg_outbox__fan_out() returns trigger
language plpgsql
volatile
as $$
declare
  v_deliveries bigint[];
begin
  with made as (
    insert into shop.webhook_deliveries (endpoint_id, outbox_id)
    select e.id, n.id
    from new_rows n
    join shop.webhook_endpoints e on n.type = any (e.events)
    order by n.id, e.id
    returning id
  )
  select array_agg(made.id) into v_deliveries from made;
  if v_deliveries is not null then
    perform shop.enqueue_deliveries(v_deliveries);
  end if;
  return null;
end
$$;
comment on function shop.tg_outbox__fan_out() is
  'Trigger: a delivery (and its queue job) for every endpoint subscribed to each new event.';

-- The address a system resolver (glibc's inet_aton, which getaddrinfo uses for numeric hosts) reads in a host:
-- an IPv6 literal in brackets, or IPv4 written in 1 to 4 dot-separated parts, each decimal, octal (leading 0)
-- or hexadecimal (0x), the last part filling the bytes that remain: 0xa9fea9fe, 2852039166, 0251.0376.0251.0376,
-- 169.254.43518, 012.0.0.1 (octal: 10.0.0.1) and 10.1 (10.0.0.1) are all addresses. Null for a name.
create or replace function lib.host_address(p_host text) returns inet
language plpgsql
immutable
strict
as $$
declare
  v_parts text[] := string_to_array(p_host, '.');
  v_count int := cardinality(v_parts);
  v_value numeric := 0;
  v_part numeric;
  v_digit text;
begin
  if p_host ~ '^\[.*\]$' then
    begin
      return btrim(p_host, '[]')::inet;
    exception when invalid_text_representation then
      return null;
    end;
  end if;
  if v_count not between 1 and 4 or p_host !~* '^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$' then
    return null;
  end if;
  for i in 1 .. v_count loop
    v_part := 0;
    if v_parts[i] ~* '^0x' then
      foreach v_digit in array regexp_split_to_array(lower(substr(v_parts[i], 3)), '') loop
        v_part := v_part * 16 + strpos('0123456789abcdef', v_digit) - 1;
      end loop;
    elsif v_parts[i] ~ '^0' then
      if v_parts[i] ~ '[89]' then
        return null;  -- not octal: the resolver takes it for a name
      end if;
      foreach v_digit in array regexp_split_to_array(v_parts[i], '') loop
        v_part := v_part * 8 + v_digit::int;
      end loop;
    else
      v_part := v_parts[i]::numeric;
    end if;
    -- Each part is a byte, but the last fills the bytes left: 32, 24, 16 or 8 bits.
    if v_part >= (case when i < v_count then 256 else 2 ^ (8 * (5 - v_count)) end) then
      return null;
    end if;
    v_value := case when i < v_count then v_value * 256 + v_part else v_value * 2 ^ (8 * (5 - v_count)) + v_part end;
  end loop;
  return '0.0.0.0'::inet + v_value::bigint;
end
$$;
comment on function lib.host_address(text) is
  'The address a system resolver reads in a URL host: an IPv6 literal in brackets, or IPv4 in any inet_aton '
  'spelling (1 to 4 parts, decimal, octal or hex); null for a name.';

-- An endpoint URL a webhook may go to: https on a host name or a public address; with the setting
-- webhook_allow_private = 1 also http and loopback, private and link-local addresses (development, tests).
-- Hosts are read as the resolver reads them (lib.host_address; a trailing dot ends a name as usual), so no
-- spelling of a private address passes. Early feedback for the admin: the worker checks every address a name
-- resolves to, at each delivery, against Python's list of global addresses (api/jobs.py).
create or replace function lib.webhook_url_problem(p_url text) returns text
language plpgsql
stable
as $$
declare
  v_private boolean := lib.setting('webhook_allow_private') = '1';
  v_host text := regexp_replace(lower(substring(p_url from '^[a-zA-Z]+://(\[[^]]+\]|[^][/?#:]+)')), '\.$', '');
  v_address inet := lib.host_address(v_host);
begin
  if p_url is null or length(p_url) > 2000 or p_url !~ '^https?://[^/?#@\s]+([/?#]\S*)?$' or v_host is null then
    return 'url must be an absolute http(s) URL without user or password, at most 2000 characters';
  end if;
  if v_private then
    return null;
  end if;
  if p_url !~ '^https://' then
    return 'url must use https';
  end if;
  if v_host in ('', 'localhost') or v_host ~ '\.(localhost|local|internal)$'
     or v_address <<= any (array[
       '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24',
       '192.0.2.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/3',
       '::/96', '::ffff:0:0/96', '64:ff9b::/96', '64:ff9b:1::/48', '100::/64', '2001::/23', '2001:db8::/32',
       '2002::/16', 'fc00::/7', 'fe80::/10', 'ff00::/8']::inet[]) then
    return 'url must reach a public address';
  end if;
  return null;
end
$$;
comment on function lib.webhook_url_problem(text) is
  'Null when p_url may receive webhooks (https, not a local or private host in any spelling the resolver reads; '
  'anything http(s) with webhook_allow_private = 1), else why not.';

create or replace function lib.webhook_json(p_endpoint shop.webhook_endpoints) returns json
language sql
stable
as $$
  select json_build_object('id', p_endpoint.id, 'url', p_endpoint.url, 'events', p_endpoint.events,
                           'created_at', p_endpoint.created_at)
$$;
comment on function lib.webhook_json(shop.webhook_endpoints) is 'A webhook endpoint as the API shows it (never its secret).';

create or replace function api.webhook_create(p_url text, p_events jsonb) returns json
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_admin bigint := lib.require_admin();
  v_problem text := lib.webhook_url_problem(p_url);
  v_events text[];
  v_endpoint shop.webhook_endpoints;
begin
  if v_problem is not null then
    raise exception using errcode = 'PT422', message = 'invalid_url', detail = v_problem;
  end if;
  if jsonb_typeof(p_events) = 'array' and jsonb_array_length(p_events) between 1 and 50
     and not jsonb_path_exists(p_events, '$[*] ? (@.type() != "string")') then
    select array_agg(distinct e order by e) into v_events from jsonb_array_elements_text(p_events) e;
  end if;
  if v_events is null or exists (select from unnest(v_events) e
                                 where e not in (select t.type from shop.event_types t)) then
    raise exception using errcode = 'PT422', message = 'invalid_events',
      detail = 'events is a list of 1 to 50 of: ' || (select string_agg(t.type, ', ' order by t.type)
                                                       from shop.event_types t);
  end if;
  insert into shop.webhook_endpoints (url, events, secret, created_by)
  values (p_url, v_events, 'whsec_' || encode(public.gen_random_bytes(32), 'hex'), v_admin)
  returning * into v_endpoint;
  return (lib.webhook_json(v_endpoint)::jsonb || jsonb_build_object('secret', v_endpoint.secret))::json;
end
$$;
comment on function api.webhook_create(text, jsonb) is
  'POST /api/admin/webhooks (admin): subscribes p_url to the event types p_events; returns the endpoint with '
  'its signing secret, the only time it is shown. PT422 invalid_url, invalid_events.';

create or replace function api.webhooks_list() returns json
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  perform lib.require_admin();
  return json_build_object('items', (
    select coalesce(json_agg(lib.webhook_json(e) order by e.id), '[]') from shop.webhook_endpoints e));
end
$$;
comment on function api.webhooks_list() is 'GET /api/admin/webhooks (admin): every endpoint, oldest first, without secrets.';

create or replace function lib.webhook_get(p_id bigint) returns shop.webhook_endpoints
language plpgsql
stable
as $$
declare
  v_endpoint shop.webhook_endpoints;
begin
  select * into v_endpoint from shop.webhook_endpoints e where e.id = p_id;
  if v_endpoint.id is null then
    perform lib.not_found('webhook', p_id);
  end if;
  return v_endpoint;
end
$$;
comment on function lib.webhook_get(bigint) is 'The endpoint p_id; PT404 not_found when there is none.';

create or replace function api.webhook_delete(p_id bigint) returns void
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  perform lib.require_admin();
  perform lib.webhook_get(p_id);
  -- Its deliveries go with it; their queue jobs find nothing left to send.
  delete from shop.webhook_endpoints e where e.id = p_id;
end
$$;
comment on function api.webhook_delete(bigint) is
  'DELETE /api/admin/webhooks/{id} (admin): the endpoint and its deliveries are gone; nothing more is sent. PT404.';

create or replace function lib.delivery_json(p_delivery shop.webhook_deliveries) returns json
language sql
stable
as $$
  select json_build_object(
    'id', p_delivery.id, 'event_id', o.event_id, 'type', o.type, 'status', p_delivery.status,
    'attempts', p_delivery.attempts, 'last_attempt_at', p_delivery.last_attempt_at,
    'next_attempt_at', p_delivery.next_attempt_at, 'response_status', p_delivery.response_status,
    'response_excerpt', p_delivery.response_excerpt, 'error', p_delivery.error,
    'delivered_at', p_delivery.delivered_at, 'created_at', p_delivery.created_at)
  from shop.outbox o
  where o.id = p_delivery.outbox_id
$$;
comment on function lib.delivery_json(shop.webhook_deliveries) is 'A delivery as the API shows it.';

create or replace function api.webhook_deliveries_list(p_id bigint, p_limit integer default 20,
                                                       p_cursor text default null) returns json
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_limit integer;
  v_after jsonb := lib.cursor_decode(p_cursor, 'newest', 'bigint');
  v_rows shop.webhook_deliveries[];
begin
  perform lib.require_admin();
  perform lib.webhook_get(p_id);
  v_limit := lib.page_limit(p_limit, 20);
  select array(
    select d
    from shop.webhook_deliveries d
    where d.endpoint_id = p_id
      and (v_after is null or d.id < (v_after ->> 'id')::bigint)
    order by d.id desc
    limit v_limit + 1
  ) into v_rows;
  return json_build_object(
    'items', (select coalesce(json_agg(lib.delivery_json(v_rows[i]) order by i), '[]')
              from generate_subscripts(v_rows, 1) i
              where i <= v_limit),
    'next_cursor', case when cardinality(v_rows) > v_limit
                        then lib.cursor_encode('newest', v_rows[v_limit].id::text, v_rows[v_limit].id) end
  );
end
$$;
comment on function api.webhook_deliveries_list(bigint, integer, text) is
  'GET /api/admin/webhooks/{id}/deliveries (admin): the endpoint''s deliveries, newest first, one keyset page. '
  'PT404; PT422 invalid_limit, invalid_cursor.';

create or replace function api.webhook_redeliver(p_id bigint, p_delivery_id bigint) returns json
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_delivery shop.webhook_deliveries;
begin
  perform lib.require_admin();
  perform lib.webhook_get(p_id);
  select * into v_delivery from shop.webhook_deliveries d where d.id = p_delivery_id and d.endpoint_id = p_id
  for update;
  if v_delivery.id is null then
    perform lib.not_found('delivery', p_delivery_id);
  end if;
  -- A pending one has its job already (a second would send it twice).
  if v_delivery.status = 'pending' then
    raise exception using errcode = 'PT409', message = 'delivery_pending',
      detail = format('delivery %s is still being tried (next attempt %s)', p_delivery_id,
                      coalesce(v_delivery.next_attempt_at::text, 'now'));
  end if;
  update shop.webhook_deliveries d
  set status = 'pending', delivered_at = null, next_attempt_at = now(), retry_from = now(), error = null
  where d.id = p_delivery_id
  returning * into v_delivery;
  perform shop.enqueue_deliveries(array[v_delivery.id]);
  return lib.delivery_json(v_delivery);
end
$$;
comment on function api.webhook_redeliver(bigint, bigint) is
  'POST /api/admin/webhooks/{id}/deliveries/{delivery_id}/redeliver (admin): sends a delivered or failed event '
  'again (another 24 hours of retries if it fails). PT404; PT409 delivery_pending while it is still being tried.';

-- The worker's side.
create or replace function lib.webhook_delivery_start(p_delivery_id bigint) returns json
language plpgsql
volatile
as $$
declare
  v_delivery shop.webhook_deliveries;
begin
  update shop.webhook_deliveries d
  set attempts = d.attempts + 1, last_attempt_at = now(), next_attempt_at = null
  where d.id = p_delivery_id
    and d.status = 'pending'
  returning * into v_delivery;
  if v_delivery.id is null then
    return null;  -- delivered, failed or deleted meanwhile: nothing to send
  end if;
  return (
    select json_build_object(
      'url', e.url, 'secret', e.secret, 'event_id', o.event_id, 'type', o.type, 'attempt', v_delivery.attempts,
      'allow_private', lib.setting('webhook_allow_private') = '1',
      'body', json_build_object('id', o.event_id, 'type', o.type, 'created_at', o.created_at, 'reason', o.reason,
                                'data', o.data)::text)
    from shop.webhook_endpoints e, shop.outbox o
    where e.id = v_delivery.endpoint_id
      and o.id = v_delivery.outbox_id);
end
$$;
comment on function lib.webhook_delivery_start(bigint) is
  'Worker: counts an attempt of a pending delivery and returns what to send {url, secret, event_id, type, '
  'attempt, allow_private, body}; null when the delivery is no longer pending.';

create or replace function lib.webhook_delivery_finish(p_delivery_id bigint, p_response_status integer,
                                                       p_excerpt text, p_error text, p_retry boolean default true)
returns double precision
language plpgsql
volatile
as $$
declare
  v_delivery shop.webhook_deliveries;
  v_delay double precision;
  v_ok boolean := coalesce(p_response_status between 200 and 299, false);
begin
  select * into v_delivery from shop.webhook_deliveries d where d.id = p_delivery_id for update;
  if v_delivery.id is null then
    return null;
  end if;
  -- Doubling from webhook_retry_base_seconds, each delay drawn from 75% to 125% of that (jitter), for 24 hours.
  v_delay := lib.setting('webhook_retry_base_seconds')::integer * 2 ^ least(v_delivery.attempts - 1, 20)
             * (0.75 + random() * 0.5);
  if not v_ok and (not p_retry
                   or now() + make_interval(secs => v_delay) > v_delivery.retry_from + interval '24 hours') then
    v_delay := null;
  end if;
  update shop.webhook_deliveries d
  set status = case when v_ok then 'delivered' when v_delay is null then 'failed' else 'pending' end,
      delivered_at = case when v_ok then now() end,
      next_attempt_at = case when not v_ok and v_delay is not null then now() + make_interval(secs => v_delay) end,
      response_status = p_response_status,
      response_excerpt = left(p_excerpt, 500),
      error = left(p_error, 500)
  where d.id = p_delivery_id;
  return case when v_ok then null else v_delay end;
end
$$;
comment on function lib.webhook_delivery_finish(bigint, integer, text, text, boolean) is
  'Worker: records an attempt''s outcome (HTTP status, the first 500 characters of the answer or the error). '
  'Returns the seconds to wait before the next attempt, or null: delivered (2xx), or failed (not p_retry, or '
  'past 24 hours from retry_from).';

select shop.layer_trigger('shop.outbox', $$
  create trigger _100_immutable before update on %s
  for each row execute function shop.tg__append_only()$$);

select shop.layer_trigger('shop.outbox', $$
  create trigger _400_fan_out after insert on %s
  referencing new table as new_rows
  for each statement execute function shop.tg_outbox__fan_out()$$);
