-- migrate:up
-- Getting paid and telling the world. Payments are state derived from an append-only ledger of provider
-- events (and admins' manual payments and refund requests); an order becomes paid when its payments cover
-- it, through the status workflow. Every change others may care about becomes an event in shop.outbox,
-- written by a trigger in the transaction of the change; each event is fanned out to the webhook endpoints
-- subscribed to its type, one delivery row and one job of the queue (procrastinate, schema queue) each.

-- The currencies orders can be in, with the decimals of their minor unit (providers count in minor units:
-- 1999 USD cents are 19.99 USD, 1999 JPY are 1999 JPY).
create table shop.currencies (
  code text primary key,
  minor_units integer not null,
  constraint currencies_code_format check (code ~ '^[A-Z]{3}$'),
  constraint currencies_minor_units_fit check (minor_units between 0 and 2)
);
insert into shop.currencies (code, minor_units)
values ('USD', 2), ('EUR', 2), ('GBP', 2), ('CHF', 2), ('CAD', 2), ('AUD', 2), ('SEK', 2), ('JPY', 0);
comment on table shop.currencies is
  'Currencies an order can be in, and the decimals of their minor unit (amounts from providers are in minor units).';

-- The shop sells in one currency today; each order records it, so payments are checked against it.
alter table shop.orders add column currency text not null default 'USD';
alter table shop.orders
  add constraint orders_currency_known foreign key (currency) references shop.currencies (code) not valid;
comment on column shop.orders.currency is 'The currency of the order''s amounts and of its payments.';

-- Who moved an order and why: the API caller's role (customer, admin), payment (its payments cover it),
-- expiry (unpaid past order_payment_window), or sql (by hand). Rows written before have neither.
alter table shop.order_status_history add column actor text;
alter table shop.order_status_history add column reason text;
alter table shop.order_status_history
  add constraint order_status_history_actor_known
  check (actor in ('customer', 'admin', 'payment', 'expiry', 'sql')) not valid;
comment on column shop.order_status_history.actor is
  'customer or admin (the API caller), payment (captured payments cover the order), expiry (unpaid in time), '
  'sql (by hand).';
comment on column shop.order_status_history.reason is 'Why, when the change says: unpaid for an expired order.';

insert into shop.settings (name, value, default_value, type, minimum, maximum, description) values
  ('order_payment_window', '60 minutes', '60 minutes', 'interval', '0', null,
   'A pending order unpaid this long after checkout is cancelled (stock returned, order.cancelled with reason '
   'unpaid) by the expiry job; 0 disables it.'),
  ('webhook_allow_private', '0', '0', 'integer', '0', '1',
   '1 lets webhook endpoints use http and private, loopback or link-local addresses (development and tests); '
   '0 requires https and public addresses.'),
  ('webhook_retry_base_seconds', '30', '30', 'integer', '1', '3600',
   'Delay before the first retry of a failed webhook delivery; each next one doubles, with jitter, for 24 hours.'),
  ('event_retention', '30 days', '30 days', 'interval', '1 day', null,
   'Outbox events and their deliveries are kept this long (an event with a pending delivery stays).');

-- Functions that change orders tell the history trigger who acts and why, for the rest of the transaction.
create function shop.set_status_context(p_actor text, p_reason text) returns void
language sql
volatile
as $$
  select set_config('pgshop.status_actor', coalesce(p_actor, ''), true),
         set_config('pgshop.status_reason', coalesce(p_reason, ''), true)
$$;
comment on function shop.set_status_context(text, text) is
  'Names the actor and reason of the order status changes that follow in this transaction (null, null resets).';

create or replace function shop.tg_orders__status_changed() returns trigger
language plpgsql
as $$
begin
  insert into shop.order_status_history (order_id, from_status, status, changed_by, actor, reason)
  values (new.id, case when tg_op = 'UPDATE' then old.status end, new.status, shop.current_user_id(),
          coalesce(nullif(current_setting('pgshop.status_actor', true), ''),
                   nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role', 'sql'),
          nullif(current_setting('pgshop.status_reason', true), ''));
  if new.status = 'cancelled' then
    perform shop.return_stock(new.id);
  end if;
  return null;
end
$$;

-- Payments: one row per payment at a provider (a Stripe PaymentIntent) or recorded by hand (manual), its
-- amounts only ever growing as events arrive, in whatever order they arrive; the status follows from them.
create table shop.payments (
  id bigint generated always as identity primary key,
  order_id bigint not null references shop.orders (id),
  provider text not null,
  provider_reference text not null,
  currency text not null references shop.currencies (code),
  amount numeric(12, 2) not null default 0,
  authorized_amount numeric(12, 2) not null default 0,
  captured_amount numeric(12, 2) not null default 0,
  refunded_amount numeric(12, 2) not null default 0,
  refund_requested_amount numeric(12, 2) not null default 0,
  failed_at timestamptz,
  status text not null generated always as (
    case
      when captured_amount > 0 and refunded_amount >= captured_amount then 'refunded'
      when captured_amount > 0 and refunded_amount > 0 then 'partially_refunded'
      when captured_amount > 0 then 'captured'
      when failed_at is not null then 'failed'
      when authorized_amount > 0 then 'authorized'
      else 'pending'
    end) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint payments_provider_known check (provider in ('stripe', 'manual')),
  constraint payments_one_per_reference unique (provider, provider_reference),
  constraint payments_reference_length check (length(provider_reference) between 1 and 255),
  constraint payments_amounts_finite check (
    amount <> 'NaN' and authorized_amount <> 'NaN' and captured_amount <> 'NaN' and refunded_amount <> 'NaN'
    and refund_requested_amount <> 'NaN'),
  constraint payments_amounts_not_negative check (
    amount >= 0 and authorized_amount >= 0 and captured_amount >= 0 and refunded_amount >= 0
    and refund_requested_amount >= 0),
  -- Refunds are asked for, and made, of what was captured, never more.
  constraint payments_refund_requests_within_captured check (refund_requested_amount <= captured_amount),
  constraint payments_refunds_within_captured check (refunded_amount <= captured_amount)
);
create index payments_order_idx on shop.payments (order_id);
comment on table shop.payments is
  'A payment of an order at a provider (stripe: a PaymentIntent) or by hand (manual: bank transfer, cash). Its '
  'amounts only grow, from the events of shop.payment_events in any order; status is derived from them.';
comment on column shop.payments.amount is 'What the payment asks for, in the order''s currency.';
comment on column shop.payments.captured_amount is 'Money received.';
comment on column shop.payments.refunded_amount is 'Money given back, as the provider confirms it (manual: at once).';
comment on column shop.payments.refund_requested_amount is
  'Refunds asked for (by admins, or seen confirmed), at most captured_amount.';
comment on column shop.payments.status is
  'refunded, partially_refunded, captured, failed, authorized or pending, derived from the amounts.';

create trigger _100_timestamps
  before update on shop.payments
  for each row execute function shop.tg__set_updated_at();

create function shop.tg_payments__only_grow() returns trigger
language plpgsql
as $$
begin
  if new.order_id <> old.order_id or new.provider <> old.provider or new.provider_reference <> old.provider_reference
     or new.currency <> old.currency or new.amount < old.amount or new.authorized_amount < old.authorized_amount
     or new.captured_amount < old.captured_amount or new.refunded_amount < old.refunded_amount
     or new.refund_requested_amount < old.refund_requested_amount
     or (old.failed_at is not null and new.failed_at is distinct from old.failed_at) then
    raise exception using
      errcode = 'PT409', message = 'payment_immutable',
      detail = format('payment %s: its identity is fixed and its amounts only grow', old.id);
  end if;
  return new;
end
$$;
comment on function shop.tg_payments__only_grow() is
  'Trigger: a payment keeps its order, provider, reference and currency, and its amounts never shrink '
  '(PT409 payment_immutable).';
create trigger _200_only_grow
  before update on shop.payments
  for each row execute function shop.tg_payments__only_grow();

-- What the payments of an order net: captured minus refunded. An order is paid when this covers its total.
create function shop.order_net_paid(p_order_id bigint) returns numeric
language sql
stable
as $$
  select coalesce(sum(p.captured_amount - p.refunded_amount), 0)
  from shop.payments p
  where p.order_id = p_order_id
$$;
comment on function shop.order_net_paid(bigint) is 'Captured minus refunded over an order''s payments.';

-- paid only when the payments cover the total, whoever asks (the API, the payment path, psql).
create or replace function shop.tg_orders__check_transition() returns trigger
language plpgsql
as $$
begin
  if new.status is distinct from old.status and not exists (
    select from shop.order_status_transitions t
    where t.from_status = old.status
      and t.to_status = new.status
  ) then
    raise exception using
      errcode = 'PT409', message = 'invalid_transition',
      detail = format('order %s cannot go from %s to %s', old.id, old.status, new.status);
  end if;
  if new.status = 'paid' and old.status <> 'paid' and shop.order_net_paid(new.id) < new.total_amount then
    raise exception using
      errcode = 'PT409', message = 'payment_required',
      detail = format('order %s: its payments (%s) do not cover its total (%s); record a payment instead',
                      old.id, shop.order_net_paid(new.id), new.total_amount);
  end if;
  return new;
end
$$;
comment on function shop.tg_orders__check_transition() is
  'Trigger: refuses a status change that shop.order_status_transitions does not allow (PT409 '
  'invalid_transition), and paid while captured minus refunded is below the total (PT409 payment_required).';

-- The ledger: every event received from a provider, every manual payment and every refund request, as it
-- came, once per (provider, provider_event_id). An event that matched no payable order is kept with the
-- reason, for an admin.
create table shop.payment_events (
  id bigint generated always as identity primary key,
  provider text not null,
  provider_event_id text not null,
  type text not null,
  order_id bigint references shop.orders (id),
  payment_id bigint references shop.payments (id),
  provider_reference text,
  amount numeric(12, 2),
  currency text,
  unmatched_reason text,
  raw jsonb not null,
  recorded_by text not null,
  recorded_by_user bigint references shop.users (id),
  created_at timestamptz not null default now(),
  constraint payment_events_once unique (provider, provider_event_id),
  constraint payment_events_id_length check (length(provider_event_id) between 1 and 255),
  constraint payment_events_amount_finite check (amount <> 'NaN'),
  constraint payment_events_matched_or_why check ((payment_id is null) = (unmatched_reason is not null)),
  constraint payment_events_reason_known check (unmatched_reason in (
    'unknown_order', 'unknown_payment', 'order_not_payable', 'amount_mismatch', 'currency_mismatch')),
  constraint payment_events_recorded_by_known check (recorded_by in ('provider', 'admin'))
);
create index payment_events_payment_idx on shop.payment_events (payment_id);
create index payment_events_order_idx on shop.payment_events (order_id);
create index payment_events_unmatched_idx on shop.payment_events (id) where unmatched_reason is not null;
comment on table shop.payment_events is
  'Append-only ledger of payment events: provider webhooks (raw as received), manual payments and refund '
  'requests (by admins). Unmatched events (unmatched_reason) changed nothing and wait for an admin.';
comment on column shop.payment_events.unmatched_reason is
  'Why the event changed nothing: unknown_order, unknown_payment, order_not_payable (cancelled, or paid '
  'already), amount_mismatch (not the balance due), currency_mismatch.';

create function shop.tg__append_only() returns trigger
language plpgsql
as $$
begin
  raise exception using
    errcode = 'PT409', message = 'append_only',
    detail = format('rows of %s.%s are never changed or deleted', tg_table_schema, tg_table_name);
end
$$;
comment on function shop.tg__append_only() is 'Trigger: refuses to change or delete rows of a ledger (PT409 append_only).';
create trigger _100_append_only
  before update or delete on shop.payment_events
  for each row execute function shop.tg__append_only();
create trigger _100_append_only_truncate
  before truncate on shop.payment_events
  for each statement execute function shop.tg__append_only();

-- Events for the world outside: one row per change, written in the change's transaction, never changed.
create table shop.event_types (
  type text primary key,
  description text not null
);
insert into shop.event_types (type, description) values
  ('order.created', 'A checkout placed an order (pending).'),
  ('order.paid', 'An order''s payments cover it.'),
  ('order.shipped', 'An order was shipped.'),
  ('order.delivered', 'An order was delivered.'),
  ('order.cancelled', 'An order was cancelled (reason unpaid when it expired); its stock is back.'),
  ('payment.captured', 'Money was received for an order.'),
  ('payment.refunded', 'Money was given back for an order (as the provider confirms it).'),
  ('refund.requested', 'An admin asked for a refund: the integration that executes it acts on this.'),
  ('stock.low', 'A product''s stock fell to or below its low-stock threshold.');
comment on table shop.event_types is 'The types of shop.outbox events that webhook endpoints can subscribe to.';

create table shop.outbox (
  id bigint generated always as identity primary key,
  event_id uuid not null default gen_random_uuid(),
  type text not null references shop.event_types (type),
  resource text not null,
  reason text,
  data jsonb not null,
  created_at timestamptz not null default now(),
  constraint outbox_event_id_key unique (event_id)
);
create index outbox_created_at_idx on shop.outbox (created_at);
comment on table shop.outbox is
  'Domain events, written by triggers in the transaction of the change: event_id (stable, for receivers to '
  'dedupe), type, the resource it is about (order/<id>, product/<id>: deliveries of one resource keep their '
  'order) and its JSON as of the change.';
create trigger _100_immutable
  before update on shop.outbox
  for each row execute function shop.tg__append_only();

-- An order as the API and the events show it: lines, payments, the balance still due, status history.
create function shop.payment_document(p_payment shop.payments) returns json
language sql
stable
as $$
  select json_build_object(
    'id', p_payment.id,
    'order_id', p_payment.order_id,
    'provider', p_payment.provider,
    'reference', p_payment.provider_reference,
    'status', p_payment.status,
    'currency', p_payment.currency,
    'amount', p_payment.amount::text,
    'captured_amount', p_payment.captured_amount::text,
    'refunded_amount', p_payment.refunded_amount::text,
    'refund_requested_amount', p_payment.refund_requested_amount::text,
    'created_at', p_payment.created_at,
    'updated_at', p_payment.updated_at
  )
$$;
comment on function shop.payment_document(shop.payments) is 'A payment as the API and the events show it.';

create function shop.order_document(p_order shop.orders) returns json
language sql
stable
as $$
  select json_build_object(
    'id', p_order.id,
    'status', p_order.status,
    'currency', p_order.currency,
    'total_amount', p_order.total_amount::text,
    'balance_due', (case when p_order.status = 'pending'
                         then greatest(p_order.total_amount - shop.order_net_paid(p_order.id), 0)
                         else 0 end)::numeric(12, 2)::text,
    'shipping_address', p_order.shipping_address,
    'created_at', p_order.created_at,
    'updated_at', p_order.updated_at,
    'items', (
      select coalesce(json_agg(json_build_object(
        'product_id', oi.product_id,
        'name', oi.name,
        'sku', oi.sku,
        'quantity', oi.quantity,
        'unit_price', oi.unit_price::text,
        'total_price', oi.total_price::text
      ) order by oi.id), '[]')
      from shop.order_items oi
      where oi.order_id = p_order.id
    ),
    'payments', (
      select coalesce(json_agg(shop.payment_document(p) order by p.id), '[]')
      from shop.payments p
      where p.order_id = p_order.id
    ),
    'history', (
      select coalesce(json_agg(json_build_object('status', h.status, 'at', h.changed_at, 'actor', h.actor,
                                                 'reason', h.reason) order by h.id), '[]')
      from shop.order_status_history h
      where h.order_id = p_order.id
    )
  )
$$;
comment on function shop.order_document(shop.orders) is
  'An order as the API and the events show it: lines, payments, balance_due (what a pending order still '
  'needs; 0 otherwise) and status history with actor and reason.';

create function shop.emit(p_type text, p_resource text, p_data json, p_reason text default null) returns void
language sql
volatile
as $$
  insert into shop.outbox (type, resource, reason, data) values (p_type, p_resource, p_reason, p_data)
$$;
comment on function shop.emit(text, text, json, text) is 'Writes an event to shop.outbox (in the caller''s transaction).';

-- order.created / paid / shipped / delivered / cancelled: after the history row of each status, when the
-- order's lines are written (checkout writes the order and its lines in one statement).
create function shop.tg_order_status_history__emit() returns trigger
language plpgsql
as $$
begin
  perform shop.emit(case when new.from_status is null then 'order.created' else 'order.' || new.status end,
                    'order/' || new.order_id,
                    (select shop.order_document(o) from shop.orders o where o.id = new.order_id), new.reason)
  where new.from_status is null or exists (select from shop.event_types t where t.type = 'order.' || new.status);
  return null;
end
$$;
comment on function shop.tg_order_status_history__emit() is
  'Trigger: order.created for an order''s first status, order.<status> for each change (to the outbox).';
create trigger _300_emit
  after insert on shop.order_status_history
  for each row execute function shop.tg_order_status_history__emit();

-- payment.captured / payment.refunded: when the money received or given back grows.
create function shop.tg_payments__emit() returns trigger
language plpgsql
as $$
begin
  if new.captured_amount > coalesce(old.captured_amount, 0) then
    perform shop.emit('payment.captured', 'order/' || new.order_id, shop.payment_document(new));
  end if;
  if new.refunded_amount > coalesce(old.refunded_amount, 0) then
    perform shop.emit('payment.refunded', 'order/' || new.order_id, shop.payment_document(new));
  end if;
  return null;
end
$$;
comment on function shop.tg_payments__emit() is
  'Trigger: payment.captured when captured_amount grows, payment.refunded when refunded_amount grows.';
create trigger _300_emit
  after insert or update on shop.payments
  for each row execute function shop.tg_payments__emit();

-- refund.requested: for the integration that executes refunds at the provider.
create function shop.tg_payment_events__emit() returns trigger
language plpgsql
as $$
begin
  perform shop.emit('refund.requested', 'order/' || new.order_id, json_build_object(
    'payment', (select shop.payment_document(p) from shop.payments p where p.id = new.payment_id),
    'amount', new.amount::text, 'currency', new.currency, 'reason', new.raw ->> 'reason'));
  return null;
end
$$;
comment on function shop.tg_payment_events__emit() is 'Trigger: refund.requested for a refund request in the ledger.';
create trigger _300_emit
  after insert on shop.payment_events
  for each row
  when (new.type = 'refund.requested')
  execute function shop.tg_payment_events__emit();

-- stock.low: when a low-stock alert opens.
create function shop.tg_low_stock_alerts__emit() returns trigger
language plpgsql
as $$
begin
  perform shop.emit('stock.low', 'product/' || new.product_id, (
    select json_build_object('product_id', p.id, 'name', p.name, 'sku', p.sku, 'stock_quantity', new.stock_quantity,
                             'low_stock_threshold', new.low_stock_threshold, 'alert_id', new.id,
                             'opened_at', new.opened_at)
    from shop.products p
    where p.id = new.product_id));
  return null;
end
$$;
comment on function shop.tg_low_stock_alerts__emit() is 'Trigger: stock.low when a low-stock alert opens.';
create trigger _300_emit
  after insert on shop.low_stock_alerts
  for each row execute function shop.tg_low_stock_alerts__emit();

-- Webhook endpoints and their deliveries.
create table shop.webhook_endpoints (
  id bigint generated always as identity primary key,
  url text not null,
  events text[] not null,
  secret text not null,
  created_by bigint,
  created_at timestamptz not null default now(),
  constraint webhook_endpoints_url_format check (url ~ '^https?://[^/?#@\s]+([/?#]\S*)?$' and length(url) <= 2000),
  constraint webhook_endpoints_events_not_empty check (cardinality(events) between 1 and 50),
  constraint webhook_endpoints_secret_length check (length(secret) >= 32)
);
comment on table shop.webhook_endpoints is
  'Where events are sent: a URL, the event types it wants, and the secret its deliveries are signed with.';
comment on column shop.webhook_endpoints.created_by is
  'The admin who subscribed it (no foreign key: a reference table in the sharding plan, docs/scaling.md).';
comment on column shop.webhook_endpoints.secret is 'HMAC-SHA256 key of the Pgshop-Signature header; shown once, at creation.';

create table shop.webhook_deliveries (
  id bigint generated always as identity primary key,
  endpoint_id bigint not null references shop.webhook_endpoints (id) on delete cascade,
  outbox_id bigint not null references shop.outbox (id) on delete cascade,
  status text not null default 'pending',
  attempts integer not null default 0,
  last_attempt_at timestamptz,
  next_attempt_at timestamptz,
  response_status integer,
  response_excerpt text,
  error text,
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  retry_from timestamptz not null default now(),
  constraint webhook_deliveries_once unique (endpoint_id, outbox_id),
  constraint webhook_deliveries_status_known check (status in ('pending', 'delivered', 'failed')),
  constraint webhook_deliveries_excerpt_short check (length(response_excerpt) <= 500 and length(error) <= 500),
  constraint webhook_deliveries_delivered_when check ((status = 'delivered') = (delivered_at is not null))
);
create index webhook_deliveries_endpoint_idx on shop.webhook_deliveries (endpoint_id, id);
create index webhook_deliveries_outbox_idx on shop.webhook_deliveries (outbox_id);
comment on table shop.webhook_deliveries is
  'One event for one endpoint: pending (a queue job will try it), delivered (a 2xx answer) or failed (24 '
  'hours of retries from retry_from, or an address that is not allowed). Only the first 500 characters of '
  'an answer are kept.';
comment on column shop.webhook_deliveries.retry_from is 'When the 24 hours of retries started (creation or redelivery).';

create index webhook_deliveries_open_idx on shop.webhook_deliveries (retry_from) where status <> 'delivered';

-- For operators (pgshop_monitor, make monitor): deliveries not yet made or given up, and payments an admin must see.
create view monitoring.webhooks as
select
  count(*) filter (where d.status = 'pending') as pending,
  count(*) filter (where d.status = 'failed') as failed,
  coalesce(extract(epoch from now() - min(d.retry_from) filter (where d.status = 'pending')), 0)
    as oldest_pending_seconds,
  (select count(*) from shop.payment_events e where e.unmatched_reason is not null) as unmatched_payments
from shop.webhook_deliveries d
where d.status <> 'delivered';
comment on view monitoring.webhooks is
  'Webhook deliveries pending (oldest_pending_seconds: how long the oldest has waited) and failed (after 24 hours '
  'of retries or an address not allowed, kept for event_retention), and provider events recorded unmatched.';
comment on column monitoring.webhooks.pending is 'Deliveries still to be made (first try or a retry).';
comment on column monitoring.webhooks.failed is 'Deliveries given up on; an admin can redeliver them.';
comment on column monitoring.webhooks.oldest_pending_seconds is
  'How long the oldest pending delivery has been tried (since its creation or redelivery): grows without bound '
  'when no worker runs.';
comment on column monitoring.webhooks.unmatched_payments is
  'Provider events that matched no payable order (GET /api/admin/payments/unmatched).';

-- The queue: procrastinate's schema, applied by the deploy into this schema (scripts/pgshop.sh).
create schema queue;
comment on schema queue is 'The job queue (procrastinate): webhook deliveries. Its tables belong to procrastinate.';

-- One job per delivery, in the queue webhooks; the lock keeps the deliveries of one resource to one
-- endpoint in order (procrastinate runs jobs of a lock one at a time, oldest first).
create function shop.enqueue_deliveries(p_deliveries bigint[]) returns void
language plpgsql
volatile
set search_path = queue, pg_catalog
as $$
begin
  perform queue.procrastinate_defer_jobs_v1(array(
    select row('webhooks', 'deliver', 0, format('webhook %s %s', d.endpoint_id, o.resource), null,
               jsonb_build_object('delivery_id', d.id), null)::queue.procrastinate_job_to_defer_v1
    from shop.webhook_deliveries d
    join shop.outbox o on o.id = d.outbox_id
    where d.id = any (p_deliveries)
    order by d.id));
end
$$;
comment on function shop.enqueue_deliveries(bigint[]) is
  'Defers one procrastinate job per delivery (queue webhooks, task deliver, locked per endpoint and resource).';

create function shop.tg_outbox__fan_out() returns trigger
language plpgsql
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
create trigger _400_fan_out
  after insert on shop.outbox
  referencing new table as new_rows
  for each statement execute function shop.tg_outbox__fan_out();

-- migrate:down
select shop.drop_function_layer();
drop trigger _400_fan_out on shop.outbox;
drop function shop.tg_outbox__fan_out();
drop function shop.enqueue_deliveries(bigint[]);
drop schema queue cascade;
drop view monitoring.webhooks;
drop table shop.webhook_deliveries;
drop table shop.webhook_endpoints;
drop trigger _300_emit on shop.low_stock_alerts;
drop function shop.tg_low_stock_alerts__emit();
drop trigger _300_emit on shop.order_status_history;
drop function shop.tg_order_status_history__emit();
drop function shop.order_document(shop.orders);
drop function shop.payment_document(shop.payments);
drop table shop.payment_events;
drop function shop.tg_payment_events__emit();
drop table shop.payments;
drop function shop.tg_payments__emit();
drop function shop.tg_payments__only_grow();
drop function shop.emit(text, text, json, text);
drop table shop.outbox;
drop table shop.event_types;
drop function shop.tg__append_only();
create or replace function shop.tg_orders__check_transition() returns trigger
language plpgsql
as $$
begin
  if new.status is distinct from old.status and not exists (
    select from shop.order_status_transitions t
    where t.from_status = old.status
      and t.to_status = new.status
  ) then
    raise exception using
      errcode = 'PT409', message = 'invalid_transition',
      detail = format('order %s cannot go from %s to %s', old.id, old.status, new.status);
  end if;
  return new;
end
$$;
drop function shop.order_net_paid(bigint);
create or replace function shop.tg_orders__status_changed() returns trigger
language plpgsql
as $$
begin
  insert into shop.order_status_history (order_id, from_status, status, changed_by)
  values (new.id, case when tg_op = 'UPDATE' then old.status end, new.status, shop.current_user_id());
  if new.status = 'cancelled' then
    perform shop.return_stock(new.id);
  end if;
  return null;
end
$$;
drop function shop.set_status_context(text, text);
delete from shop.settings
where name in ('order_payment_window', 'webhook_allow_private', 'webhook_retry_base_seconds', 'event_retention');
alter table shop.order_status_history drop column reason;
alter table shop.order_status_history drop column actor;
alter table shop.orders drop column currency;
drop table shop.currencies;
