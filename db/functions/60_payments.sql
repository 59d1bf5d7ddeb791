-- Payments. Provider events (Stripe's webhooks, verified by the HTTP layer) and admins' manual payments and
-- refund requests go into the ledger shop.payment_events once each; a matched one grows the amounts of its
-- payment (shop.payments, status derived), and the order becomes paid, by the database, when captured minus
-- refunded covers its total. The outbox events follow from triggers (below).

create or replace function lib.amount(p_value text) returns numeric
language plpgsql
immutable
as $$
declare
  v_amount numeric;
begin
  begin
    v_amount := lib.price(p_value, 'amount');
  exception when sqlstate 'PT422' then
    v_amount := null;
  end;
  if v_amount is null or v_amount = 0 then
    raise exception using
      errcode = 'PT422', message = 'invalid_amount',
      detail = 'amount must be a finite amount above 0, at most 9999999999.99, with at most 2 decimals';
  end if;
  return v_amount;
end
$$;
comment on function lib.amount(text) is 'p_value as an amount of money above 0 (lib.price''s rules); PT422 invalid_amount.';

create or replace function lib.order_pay_if_covered(p_order_id bigint) returns void
language plpgsql
volatile
as $$
begin
  perform shop.set_status_context('payment', null);
  update shop.orders o
  set status = 'paid'
  where o.id = p_order_id
    and o.status = 'pending'
    and shop.order_net_paid(o.id) >= o.total_amount;
  perform shop.set_status_context(null, null);
end
$$;
comment on function lib.order_pay_if_covered(bigint) is
  'Moves a pending order to paid (history actor payment) when captured minus refunded covers its total.';

-- A provider amount in minor units (a JSON integer) in the currency's major units; null when it is not one.
create or replace function lib.minor_units(p_value jsonb, p_currency text) returns numeric
language sql
stable
as $$
  select a.amount::numeric(12, 2)
  from shop.currencies c
  cross join lateral (select p_value::text::numeric / 10::numeric ^ c.minor_units as amount) a
  where c.code = p_currency
    and jsonb_typeof(p_value) = 'number'
    and p_value::text ~ '^[0-9]{1,12}$'
    and a.amount < 10000000000
$$;
comment on function lib.minor_units(jsonb, text) is
  'A provider''s amount in minor units (1999) as an amount of p_currency (19.99 USD, 1999 JPY); null when p_value '
  'is not a whole number, the currency is unknown, or the amount does not fit numeric(12,2).';

create or replace function lib.stripe_event_apply(p_event jsonb) returns json
language plpgsql
volatile
as $$
declare
  v_id text := p_event ->> 'id';
  v_type text := p_event ->> 'type';
  v_object jsonb := p_event #> '{data,object}';
  v_reference text;
  v_currency text;
  v_named text;
  v_payment shop.payments;
  v_order shop.orders;
  v_amount numeric;
  v_asked numeric;
  v_balance numeric;
  v_reason text;
begin
  if jsonb_typeof(p_event) is distinct from 'object' or v_id is null or length(v_id) > 255 or v_type is null
     or jsonb_typeof(v_object) is distinct from 'object' then
    return lib.problem(422, 'invalid_event', 'a Stripe event has an id, a type and a data.object');
  end if;
  if v_type not in ('payment_intent.succeeded', 'payment_intent.payment_failed',
                    'payment_intent.amount_capturable_updated', 'charge.refunded') then
    return json_build_object('event_id', v_id, 'result', 'ignored');
  end if;
  -- The same event twice, even at the same moment: the second waits for the first, then finds it recorded.
  perform pg_advisory_xact_lock(hashtextextended('stripe event ' || v_id, 0));
  if exists (select from shop.payment_events e where e.provider = 'stripe' and e.provider_event_id = v_id) then
    return json_build_object('event_id', v_id, 'result', 'duplicate');
  end if;

  -- The payment is the PaymentIntent (a charge names its own); the order is the payment's, else the one
  -- named in the metadata.
  -- The events of one payment one after another (a refund arriving with its capture waits for it), and
  -- rows locked as the other paths lock them: the order, then its payment.
  v_reference := left(coalesce(case when v_type = 'charge.refunded' then v_object ->> 'payment_intent' end,
                               v_object ->> 'id'), 255);
  perform pg_advisory_xact_lock(hashtextextended('stripe payment ' || v_reference, 0));
  v_currency := upper(v_object ->> 'currency');
  v_named := v_object #>> '{metadata,order_id}';
  select * into v_order from shop.orders o
  where o.id = coalesce((select p.order_id from shop.payments p
                         where p.provider = 'stripe' and p.provider_reference = v_reference),
                        case when v_named ~ '^[0-9]{1,18}$' then v_named::bigint end)
  for update;
  select * into v_payment from shop.payments p
  where p.provider = 'stripe' and p.provider_reference = v_reference
  for update;
  v_asked := lib.minor_units(v_object -> 'amount', v_currency);
  v_amount := lib.minor_units(v_object -> case v_type
                                when 'payment_intent.succeeded' then 'amount_received'
                                when 'payment_intent.amount_capturable_updated' then 'amount_capturable'
                                when 'charge.refunded' then 'amount_refunded'
                                else 'amount' end, v_currency);
  -- What the order still needs apart from this payment.
  v_balance := v_order.total_amount - shop.order_net_paid(v_order.id)
               + coalesce(v_payment.captured_amount - v_payment.refunded_amount, 0);
  v_reason := case
    when v_order.id is null then 'unknown_order'
    when v_currency is distinct from v_order.currency then 'currency_mismatch'
    when v_amount is null then 'amount_mismatch'
    when v_type = 'charge.refunded' and v_payment.id is null and v_order.status <> 'pending' then 'unknown_payment'
    when v_type in ('payment_intent.succeeded', 'payment_intent.amount_capturable_updated')
         and coalesce(v_payment.captured_amount, 0) = 0 and v_order.status <> 'pending' then 'order_not_payable'
    when v_type in ('payment_intent.succeeded', 'payment_intent.amount_capturable_updated')
         and coalesce(v_payment.captured_amount, 0) = 0 and v_amount <> v_balance then 'amount_mismatch'
  end;
  if v_reason is not null then
    insert into shop.payment_events (provider, provider_event_id, type, order_id, provider_reference, amount,
                                     currency, unmatched_reason, raw, recorded_by)
    values ('stripe', v_id, v_type, v_order.id, v_reference,
            coalesce(v_amount, v_asked), v_currency, v_reason, p_event,
            'provider');
    return json_build_object('event_id', v_id, 'result', 'unmatched', 'reason', v_reason, 'order_id', v_order.id);
  end if;

  -- Amounts only grow. Events are applied in the provider's order, whatever the order they arrive in: a
  -- refund cannot precede its capture at the provider, so one that arrives first waits in the ledger and is
  -- applied right after the capture (the order is paid first, then refunded, as it happened).
  insert into shop.payments as p (order_id, provider, provider_reference, currency, amount, authorized_amount,
                                  captured_amount, failed_at)
  values (v_order.id, 'stripe', v_reference, v_order.currency, coalesce(v_asked, 0),
          case when v_type = 'payment_intent.amount_capturable_updated' then v_amount else 0 end,
          case when v_type = 'payment_intent.succeeded' then v_amount else 0 end,
          case when v_type = 'payment_intent.payment_failed' then now() end)
  on conflict (provider, provider_reference) do update
  set amount = greatest(p.amount, excluded.amount),
      authorized_amount = greatest(p.authorized_amount, excluded.authorized_amount),
      captured_amount = greatest(p.captured_amount, excluded.captured_amount),
      failed_at = coalesce(p.failed_at, excluded.failed_at)
  returning * into v_payment;
  insert into shop.payment_events (provider, provider_event_id, type, order_id, payment_id, provider_reference,
                                   amount, currency, raw, recorded_by)
  values ('stripe', v_id, v_type, v_order.id, v_payment.id, v_reference, v_amount, v_currency, p_event, 'provider');
  if v_type = 'payment_intent.succeeded' then
    perform lib.order_pay_if_covered(v_order.id);
  end if;
  -- Refunds confirmed (the largest amount_refunded seen: Stripe's is cumulative), once there is a capture;
  -- what they confirm counts as requested too.
  update shop.payments p
  set refunded_amount = least(r.refunded, p.captured_amount),
      refund_requested_amount = greatest(p.refund_requested_amount, least(r.refunded, p.captured_amount))
  from (select coalesce(max(e.amount), 0) as refunded
        from shop.payment_events e
        where e.payment_id = v_payment.id
          and e.type = 'charge.refunded') r
  where p.id = v_payment.id
    and p.captured_amount > 0
    and least(r.refunded, p.captured_amount) > p.refunded_amount;
  select * into v_payment from shop.payments p where p.id = v_payment.id;
  return json_build_object('event_id', v_id, 'result', 'recorded', 'order_id', v_order.id,
                           'payment', shop.payment_document(v_payment));
end
$$;
comment on function lib.stripe_event_apply(jsonb) is
  'Records a Stripe event once: payment_intent.succeeded, payment_intent.payment_failed, '
  'payment_intent.amount_capturable_updated and charge.refunded grow their payment''s amounts (the order '
  'becomes paid when covered; a refund that arrives before its capture is applied right after it); an unknown '
  'order or payment, a non-payable order, another currency or an amount other than the balance due is recorded '
  'unmatched and changes nothing. Returns {event_id, result: recorded, unmatched, duplicate or ignored, ...}; '
  '422 invalid_event as a problem.';

create or replace function api.stripe_event_record(p_event jsonb) returns json
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  -- Only the HTTP layer's webhook route, once it has verified the Stripe-Signature, calls as this provider.
  if nullif(current_setting('request.jwt.claims', true), '')::jsonb is distinct from
     '{"role": "provider", "provider": "stripe"}'::jsonb then
    raise exception using errcode = 'PT403', message = 'forbidden', detail = 'only a verified Stripe webhook records Stripe events';
  end if;
  return lib.stripe_event_apply(p_event);
end
$$;
comment on function api.stripe_event_record(jsonb) is
  'POST /api/payments/webhooks/stripe, after the HTTP layer verified the Stripe-Signature (claims {"role": '
  '"provider", "provider": "stripe"}): lib.stripe_event_apply. PT403 for any other caller.';

create or replace function api.order_payment_create(p_order_id bigint, p_amount text, p_reference text)
returns json
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_admin bigint := lib.require_admin();
  v_amount numeric := lib.amount(p_amount);
  v_order shop.orders;
  v_payment shop.payments;
  v_balance numeric;
begin
  if not shop.has_text(p_reference) or length(btrim(p_reference)) > 255 then
    raise exception using errcode = 'PT422', message = 'invalid_reference',
      detail = 'reference (the bank transfer''s, the receipt''s) is required, at most 255 characters';
  end if;
  select * into v_order from shop.orders o where o.id = p_order_id for update;
  if v_order.id is null then
    perform lib.not_found('order', p_order_id);
  end if;
  if v_order.status <> 'pending' then
    raise exception using errcode = 'PT409', message = 'order_not_payable',
      detail = format('order %s is %s: only a pending order takes payments', p_order_id, v_order.status);
  end if;
  v_balance := v_order.total_amount - shop.order_net_paid(v_order.id);
  if v_amount > v_balance then
    raise exception using errcode = 'PT409', message = 'amount_exceeds_balance',
      detail = format('order %s has %s %s due; %s is more', p_order_id, v_balance, v_order.currency, v_amount);
  end if;
  insert into shop.payments (order_id, provider, provider_reference, currency, amount, captured_amount)
  values (v_order.id, 'manual', btrim(p_reference), v_order.currency, v_amount, v_amount)
  on conflict (provider, provider_reference) do nothing
  returning * into v_payment;
  if v_payment.id is null then
    raise exception using errcode = 'PT409', message = 'duplicate_payment',
      detail = format('a manual payment with reference %s is recorded already', btrim(p_reference));
  end if;
  insert into shop.payment_events (provider, provider_event_id, type, order_id, payment_id, provider_reference,
                                   amount, currency, raw, recorded_by, recorded_by_user)
  values ('manual', gen_random_uuid()::text, 'manual.captured', v_order.id, v_payment.id, v_payment.provider_reference,
          v_amount, v_order.currency, jsonb_build_object('amount', v_amount::text, 'reference', p_reference),
          'admin', v_admin);
  perform lib.order_pay_if_covered(v_order.id);
  select * into v_order from shop.orders o where o.id = p_order_id;
  return shop.order_document(v_order);
end
$$;
comment on function api.order_payment_create(bigint, text, text) is
  'POST /api/admin/orders/{id}/payments (admin): a manual payment (bank transfer, cash) of a pending order, '
  'captured at once; the order becomes paid when covered. PT422 invalid_amount, invalid_reference; PT404; PT409 '
  'order_not_payable, amount_exceeds_balance, duplicate_payment (same reference).';

create or replace function api.order_refund_create(p_order_id bigint, p_amount text, p_reason text) returns json
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_admin bigint := lib.require_admin();
  v_amount numeric := lib.amount(p_amount);
  v_order shop.orders;
  v_payment shop.payments;
  v_refundable numeric;
begin
  if not shop.has_text(p_reason) or length(p_reason) > 500 then
    raise exception using errcode = 'PT422', message = 'invalid_reason',
      detail = 'reason is required, at most 500 characters';
  end if;
  select * into v_order from shop.orders o where o.id = p_order_id for update;
  if v_order.id is null then
    perform lib.not_found('order', p_order_id);
  end if;
  -- The payment with the most left to refund (captured, less refunds asked or confirmed) takes it.
  select p.* into v_payment
  from shop.payments p
  where p.order_id = p_order_id
  order by p.captured_amount - greatest(p.refund_requested_amount, p.refunded_amount) desc, p.id
  limit 1
  for update;
  v_refundable := v_payment.captured_amount - greatest(v_payment.refund_requested_amount, v_payment.refunded_amount);
  if coalesce(v_refundable, 0) < v_amount then
    raise exception using errcode = 'PT409', message = 'refund_exceeds_captured',
      detail = format('order %s: at most %s %s can be refunded in one request (captured and not yet refunded)',
                      p_order_id, coalesce(v_refundable, 0), v_order.currency);
  end if;
  insert into shop.payment_events (provider, provider_event_id, type, order_id, payment_id, provider_reference,
                                   amount, currency, raw, recorded_by, recorded_by_user)
  values (v_payment.provider, gen_random_uuid()::text, 'refund.requested', v_order.id, v_payment.id,
          v_payment.provider_reference, v_amount, v_payment.currency,
          jsonb_build_object('amount', v_amount::text, 'reason', p_reason), 'admin', v_admin);
  -- A manual payment is refunded by hand, by the admin asking: confirmed at once.
  update shop.payments p
  set refund_requested_amount = greatest(p.refund_requested_amount, p.refunded_amount) + v_amount,
      refunded_amount = case when p.provider = 'manual'
                             then greatest(p.refund_requested_amount, p.refunded_amount) + v_amount
                             else p.refunded_amount end
  where p.id = v_payment.id;
  return shop.order_document(v_order);
end
$$;
comment on function api.order_refund_create(bigint, text, text) is
  'POST /api/admin/orders/{id}/refunds (admin): a refund request of at most what one payment captured and has '
  'not refunded; emits refund.requested for the integration that executes it (the provider''s charge.refunded '
  'confirms it; a manual payment''s refund is confirmed at once). PT422 invalid_amount, invalid_reason; PT404; '
  'PT409 refund_exceeds_captured.';

create or replace function api.payments_unmatched_list(p_limit integer default 20, p_cursor text default null)
returns json
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_limit integer;
  v_after jsonb := lib.cursor_decode(p_cursor, 'newest', 'bigint');
  v_rows shop.payment_events[];
begin
  perform lib.require_admin();
  v_limit := lib.page_limit(p_limit, 20);
  select array(
    select e
    from shop.payment_events e
    where e.unmatched_reason is not null
      and (v_after is null or e.id < (v_after ->> 'id')::bigint)
    order by e.id desc
    limit v_limit + 1
  ) into v_rows;
  return json_build_object(
    'items', (select coalesce(json_agg(json_build_object(
                'id', v_rows[i].id, 'provider', v_rows[i].provider, 'event_id', v_rows[i].provider_event_id,
                'type', v_rows[i].type, 'order_id', v_rows[i].order_id, 'reference', v_rows[i].provider_reference,
                'amount', v_rows[i].amount::text, 'currency', v_rows[i].currency,
                'reason', v_rows[i].unmatched_reason, 'received_at', v_rows[i].created_at) order by i), '[]')
              from generate_subscripts(v_rows, 1) i
              where i <= v_limit),
    'next_cursor', case when cardinality(v_rows) > v_limit
                        then lib.cursor_encode('newest', v_rows[v_limit].id::text, v_rows[v_limit].id) end
  );
end
$$;
comment on function api.payments_unmatched_list(integer, text) is
  'GET /api/admin/payments/unmatched (admin): provider events that matched no payable order (newest first, '
  'one keyset page), for an admin to refund or reconcile. PT422 invalid_limit, invalid_cursor.';

-- What the payments of an order net: captured minus refunded. An order is paid when this covers its total.
create or replace function shop.order_net_paid(p_order_id bigint) returns numeric
language sql
stable
as $$
  select coalesce(sum(p.captured_amount - p.refunded_amount), 0)
  from shop.payments p
  where p.order_id = p_order_id
$$;
comment on function shop.order_net_paid(bigint) is 'Captured minus refunded over an order''s payments.';

-- An order as the API and the events show it: lines, payments, the balance still due, status history.
create or replace function shop.payment_document(p_payment shop.payments) returns json
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

create or replace function shop.tg_payments__only_grow() returns trigger
language plpgsql
volatile
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
  'Trigger: a payment keeps its order, provider, reference and currency, and its amounts never shrink (PT409 '
  'payment_immutable).';

-- payment.captured / payment.refunded: when the money received or given back grows.
create or replace function shop.tg_payments__emit() returns trigger
language plpgsql
volatile
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

-- refund.requested: for the integration that executes refunds at the provider.
create or replace function shop.tg_payment_events__emit() returns trigger
language plpgsql
volatile
as $$
begin
  perform shop.emit('refund.requested', 'order/' || new.order_id, json_build_object(
    'payment', (select shop.payment_document(p) from shop.payments p where p.id = new.payment_id),
    'amount', new.amount::text, 'currency', new.currency, 'reason', new.raw ->> 'reason'));
  return null;
end
$$;
comment on function shop.tg_payment_events__emit() is
  'Trigger: refund.requested for a refund request in the ledger.';

select shop.layer_trigger('shop.payments', $$
  create trigger _200_only_grow before update on %s
  for each row execute function shop.tg_payments__only_grow()$$);

select shop.layer_trigger('shop.payments', $$
  create trigger _300_emit after insert or update on %s
  for each row execute function shop.tg_payments__emit()$$);

select shop.layer_trigger('shop.payment_events', $$
  create trigger _100_append_only before delete or update on %s
  for each row execute function shop.tg__append_only()$$);
select shop.layer_trigger('shop.payment_events', $$
  create trigger _100_append_only_truncate before truncate on %s
  for each statement execute function shop.tg__append_only()$$);

select shop.layer_trigger('shop.payment_events', $$
  create trigger _300_emit after insert on %s
  for each row
  when ((new.type = 'refund.requested'::text)) execute function shop.tg_payment_events__emit()$$);
