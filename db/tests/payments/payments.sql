-- Payments: the state of shop.payments derived from its amounts (which only grow), paid by balance
-- (api.order_payment_create, the payment_required rule), refunds (api.order_refund_create), Stripe events
-- (api.stripe_event_record: once per event id, unmatched reasons, a refund before its capture),
-- api.payments_unmatched_list, an unpaid order that expired, privileges and the append-only ledger.
begin;
select * from no_plan();
\ir ../helpers.psql

-- new_order(key, total, currency, status): an order of the customer c1 written by hand (no lines, no
-- claims: history actor sql), its id kept as tests.<key>. As the superuser.
create function pg_temp.new_order(p_key text, p_total numeric, p_currency text default 'USD',
                                  p_status text default 'pending') returns void
language plpgsql as $$
declare
  v_id bigint;
begin
  perform pg_temp.act_as(null);
  insert into shop.orders (user_id, status, total_amount, shipping_address, currency)
  values (pg_temp.id('c1'), p_status, p_total, pg_temp.addr(), p_currency)
  returning id into v_id;
  perform set_config('tests.' || p_key, v_id::text, true);
end
$$;
-- claims(json): these claims for the rest of the transaction.
create function pg_temp.claims(p_claims text) returns void
language sql as $$ select set_config('request.jwt.claims', p_claims, true) $$;
-- The claims of the HTTP layer's Stripe webhook route, once it verified the signature.
create function pg_temp.as_stripe() returns void
language sql as $$
  select set_config('request.jwt.claims', '{"role": "provider", "provider": "stripe"}', true)
$$;
-- A PaymentIntent object: id, amount (minor units), the named amount field, currency, the order in metadata.
create function pg_temp.pi(p_ref text, p_order bigint, p_field text, p_minor bigint, p_currency text default 'usd')
returns jsonb
language sql immutable as $$
  select jsonb_build_object('id', p_ref, 'object', 'payment_intent', 'amount', p_minor, p_field, p_minor,
                            'currency', p_currency, 'metadata', jsonb_build_object('order_id', p_order::text))
$$;
-- A Charge object of a PaymentIntent, refunded amount_refunded (cumulative, minor units).
create function pg_temp.charge(p_ref text, p_pi text, p_minor bigint, p_refunded bigint, p_currency text default 'usd')
returns jsonb
language sql immutable as $$
  select jsonb_build_object('id', p_ref, 'object', 'charge', 'payment_intent', p_pi, 'amount', p_minor,
                            'amount_refunded', p_refunded, 'refunded', p_refunded >= p_minor, 'currency', p_currency)
$$;
-- stripe(event id, type, object): api.stripe_event_record of that event, as the Stripe webhook route.
create function pg_temp.stripe(p_id text, p_type text, p_object jsonb) returns jsonb
language plpgsql as $$
begin
  perform pg_temp.as_stripe();
  return api.stripe_event_record(jsonb_build_object('id', p_id, 'object', 'event', 'type', p_type,
                                                    'data', jsonb_build_object('object', p_object)));
end
$$;
-- The payment of a provider reference, as "status amount/authorized/captured/refunded/requested".
create function pg_temp.payment_of(p_ref text) returns text
language sql stable as $$
  select p.status || ' ' || concat_ws('/', p.amount, p.authorized_amount, p.captured_amount, p.refunded_amount,
                                      p.refund_requested_amount)
  from shop.payments p
  where p.provider_reference = p_ref
$$;
create function pg_temp.status(p_key text) returns text
language sql stable as $$ select o.status from shop.orders o where o.id = pg_temp.id(p_key) $$;
-- The outbox event types of an order, oldest first.
create function pg_temp.events(p_key text) returns text[]
language sql stable as $$
  select coalesce(array_agg(x.type order by x.id), '{}') from shop.outbox x where x.resource = 'order/' || pg_temp.id(p_key)
$$;
-- The history of an order, oldest first, as "from>to actor reason".
create function pg_temp.history(p_key text) returns text[]
language sql stable as $$
  select array_agg(concat_ws(' ', coalesce(h.from_status, '-') || '>' || h.status, h.actor, coalesce(h.reason, '-'))
                   order by h.id)
  from shop.order_status_history h
  where h.order_id = pg_temp.id(p_key)
$$;

-- Function properties and privileges --------------------------------------------------------------------
select function_privs_are('api', f, a, 'pgshop_api', array['EXECUTE'], format('pgshop_api can execute api.%s', f))
from (values ('stripe_event_record', array['jsonb']), ('order_payment_create', array['bigint', 'text', 'text']),
             ('order_refund_create', array['bigint', 'text', 'text']),
             ('payments_unmatched_list', array['integer', 'text'])) v (f, a);
select function_privs_are('lib', f, a, 'pgshop_api', '{}'::text[], format('pgshop_api cannot execute lib.%s', f))
from (values ('stripe_event_apply', array['jsonb']), ('order_pay_if_covered', array['bigint']),
             ('amount', array['text']), ('minor_units', array['jsonb', 'text'])) v (f, a);
select is_definer('api', 'stripe_event_record', array['jsonb']);
select volatility_is('api', 'payments_unmatched_list', array['integer', 'text'], 'stable');
select table_privs_are('shop', t, 'pgshop_api', '{}'::text[], format('pgshop_api has no privilege on shop.%s', t))
from unnest(array['payments', 'payment_events', 'currencies']) t;

-- Set-up ------------------------------------------------------------------------------------------------
do $$
begin
  perform pg_temp.new_user('admin', 'zqxwv-pay-admin@zqxwv.test', 'Ad', 'Min', 'admin');
  perform pg_temp.new_user('c1', 'zqxwv-pay-one@zqxwv.test', 'Cus', 'One');
  perform set_config('tests.missing_order', ((select coalesce(max(id), 0) from shop.orders) + 1000)::text, true);
end
$$;
select pg_temp.act_as(null);

-- The state machine: status from the amounts ------------------------------------------------------------
select pg_temp.new_order('sm', 10.00);
insert into shop.payments (order_id, provider, provider_reference, currency, amount)
values (pg_temp.id('sm'), 'stripe', 'pi_zq_sm', 'USD', 10.00);
select is(pg_temp.payment_of('pi_zq_sm'), 'pending 10.00/0.00/0.00/0.00/0.00', 'a payment with nothing authorized or captured is pending');
update shop.payments set authorized_amount = 10.00 where provider_reference = 'pi_zq_sm';
select is(pg_temp.payment_of('pi_zq_sm'), 'authorized 10.00/10.00/0.00/0.00/0.00', 'authorized_amount above 0 -> authorized');
update shop.payments set captured_amount = 10.00 where provider_reference = 'pi_zq_sm';
select is(pg_temp.payment_of('pi_zq_sm'), 'captured 10.00/10.00/10.00/0.00/0.00', 'captured_amount above 0 -> captured');
update shop.payments set refund_requested_amount = 4.00, refunded_amount = 4.00 where provider_reference = 'pi_zq_sm';
select is(pg_temp.payment_of('pi_zq_sm'), 'partially_refunded 10.00/10.00/10.00/4.00/4.00',
  'part of the capture refunded -> partially_refunded');
update shop.payments set refund_requested_amount = 10.00, refunded_amount = 10.00 where provider_reference = 'pi_zq_sm';
select is(pg_temp.payment_of('pi_zq_sm'), 'refunded 10.00/10.00/10.00/10.00/10.00', 'all of the capture refunded -> refunded');
insert into shop.payments (order_id, provider, provider_reference, currency, amount, failed_at)
values (pg_temp.id('sm'), 'stripe', 'pi_zq_sm_failed', 'USD', 10.00, now());
select is(pg_temp.payment_of('pi_zq_sm_failed'), 'failed 10.00/0.00/0.00/0.00/0.00', 'failed_at set, nothing captured -> failed');
update shop.payments set authorized_amount = 10.00, captured_amount = 10.00 where provider_reference = 'pi_zq_sm_failed';
select is(pg_temp.payment_of('pi_zq_sm_failed'), 'captured 10.00/10.00/10.00/0.00/0.00',
  'a capture after a failure (a retried card) -> captured: money received outranks the failure');
select is(pg_temp.status('sm'), 'pending', 'raw changes of payments do not move the order by themselves');

-- Amounts only grow; identity is fixed.
select pg_temp.new_order('sm2', 10.00);
select throws_ok(format('update shop.payments set %s where provider_reference = %L', s, r),
  'PT409', 'payment_immutable', format('payment_immutable: %s', d))
from (values ('captured_amount = 9.99', 'pi_zq_sm', 'captured_amount cannot shrink'),
             ('amount = 1.00', 'pi_zq_sm', 'amount cannot shrink'),
             ('refunded_amount = 3.00', 'pi_zq_sm', 'refunded_amount cannot shrink'),
             ('authorized_amount = 0', 'pi_zq_sm', 'authorized_amount cannot shrink'),
             ('refund_requested_amount = 9.00', 'pi_zq_sm', 'refund_requested_amount cannot shrink'),
             (format('order_id = %s', pg_temp.id('sm2')), 'pi_zq_sm', 'order_id cannot change'),
             ($$provider = 'manual'$$, 'pi_zq_sm', 'provider cannot change'),
             ($$provider_reference = 'pi_zq_other'$$, 'pi_zq_sm', 'provider_reference cannot change'),
             ($$currency = 'EUR'$$, 'pi_zq_sm', 'currency cannot change'),
             ('failed_at = null', 'pi_zq_sm_failed', 'failed_at, once set, cannot be cleared'),
             ($$failed_at = failed_at - interval '1 hour'$$, 'pi_zq_sm_failed', 'failed_at, once set, cannot move'))
     v (s, r, d);
select throws_ok($$update shop.payments set refund_requested_amount = 10.01 where provider_reference = 'pi_zq_sm_failed'$$,
  '23514', 'new row for relation "payments" violates check constraint "payments_refund_requests_within_captured"',
  'a refund request above the captured amount violates payments_refund_requests_within_captured');
select throws_ok(
  format($$insert into shop.payments (order_id, provider, provider_reference, currency, refund_requested_amount)
           values (%s, 'manual', 'zq-no-capture', 'USD', 1)$$, pg_temp.id('sm')),
  '23514', 'new row for relation "payments" violates check constraint "payments_refund_requests_within_captured"',
  'a refund request on a payment that captured nothing violates payments_refund_requests_within_captured');
select throws_ok(
  format($$insert into shop.payments (order_id, provider, provider_reference, currency, captured_amount)
           values (%s, 'paypal', 'zq-paypal', 'USD', 1)$$, pg_temp.id('sm')),
  '23514', 'new row for relation "payments" violates check constraint "payments_provider_known"',
  'a provider other than stripe or manual violates payments_provider_known');

-- Paid by balance: manual payments ----------------------------------------------------------------------
select pg_temp.new_order('a', 30.00);
select pg_temp.new_order('cx', 8.00, 'USD', 'cancelled');
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select pg_temp.keep('a1', api.order_payment_create(pg_temp.id('a'), '10.00', 'BANK-ZQ-1'));
select is(
  jsonb_build_array(pg_temp.kept('a1') ->> 'status', pg_temp.kept('a1') ->> 'balance_due',
                    pg_temp.kept('a1') #>> '{payments,0,status}', pg_temp.kept('a1') #>> '{payments,0,reference}',
                    pg_temp.kept('a1') #>> '{payments,0,captured_amount}', jsonb_array_length(pg_temp.kept('a1') -> 'payments')),
  '["pending", "20.00", "captured", "BANK-ZQ-1", "10.00", 1]',
  'a manual payment of part of the total: the order stays pending with balance_due 20.00, the payment is captured');
select throws_ok(format($$select api.order_set_status(%s, 'paid')$$, pg_temp.id('a')), 'PT409', 'payment_required',
  'order_set_status to paid while the payments do not cover the total -> PT409 payment_required');
reset role;
select throws_ok(format($$update shop.orders set status = 'paid' where id = %s$$, pg_temp.id('a')), 'PT409', 'payment_required',
  'a raw update to paid without coverage, even as the superuser -> PT409 payment_required');
set local role pgshop_api;
select throws_ok(format($$select api.order_payment_create(%s, '20.01', 'BANK-ZQ-2')$$, pg_temp.id('a')),
  'PT409', 'amount_exceeds_balance', 'a payment above the balance due -> PT409 amount_exceeds_balance');
select throws_ok(format($$select api.order_payment_create(%s, '1.00', 'BANK-ZQ-1')$$, pg_temp.id('a')),
  'PT409', 'duplicate_payment', 'a second manual payment with the same reference -> PT409 duplicate_payment');
select throws_ok(format($$select api.order_payment_create(%s, '1.00', '  BANK-ZQ-1 ')$$, pg_temp.id('a')),
  'PT409', 'duplicate_payment', 'the reference is trimmed: the same reference with spaces -> PT409 duplicate_payment');
select pg_temp.keep('a2', api.order_payment_create(pg_temp.id('a'), '20.00', 'BANK-ZQ-2'));
select is(jsonb_build_array(pg_temp.kept('a2') ->> 'status', pg_temp.kept('a2') ->> 'balance_due',
                            jsonb_array_length(pg_temp.kept('a2') -> 'payments')),
  '["paid", "0.00", 2]', 'the rest of the balance: the order is paid, balance_due 0.00, two payments');
reset role;
select is(pg_temp.history('a'), array['->pending sql -', 'pending>paid payment -'],
  'the order''s history: paid by the actor payment (not the admin who recorded it)');
select is(shop.order_net_paid(pg_temp.id('a')), 30.00, 'order_net_paid is what was captured: 30.00');
select results_eq(
  format($$select e.provider, e.type, e.amount, e.recorded_by, e.recorded_by_user, e.unmatched_reason
           from shop.payment_events e where e.order_id = %s order by e.id$$, pg_temp.id('a')),
  format($$values ('manual'::text, 'manual.captured'::text, 10.00::numeric, 'admin'::text, %1$s::bigint, null::text),
                  ('manual', 'manual.captured', 20.00, 'admin', %1$s, null)$$, pg_temp.id('admin')),
  'each manual payment is in the ledger, recorded by the admin');

-- A manual part, and Stripe for the rest: the balance is what is left.
select pg_temp.new_order('mx', 25.00);
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select is(api.order_payment_create(pg_temp.id('mx'), '5.00', 'BANK-ZQ-MX') ->> 'balance_due', '20.00',
  'a manual payment of 5.00 of 25.00 leaves 20.00 due');
select is(pg_temp.stripe('evt_zq_mx', 'payment_intent.succeeded', pg_temp.pi('pi_zq_mx', pg_temp.id('mx'), 'amount_received', 2000))
          ->> 'result', 'recorded', 'a Stripe payment of the 20.00 due matches');
reset role;
select is(pg_temp.status('mx'), 'paid', '... and the two payments together pay the order');

-- Once covered by payments, paid is allowed by hand too.
select pg_temp.new_order('b', 5.00);
insert into shop.payments (order_id, provider, provider_reference, currency, amount, captured_amount)
values (pg_temp.id('b'), 'manual', 'zq-cash-b', 'USD', 5.00, 5.00);
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select is(api.order_set_status(pg_temp.id('b'), 'paid') ->> 'status', 'paid',
  'order_set_status to paid when the payments cover the total is allowed');

-- Errors of api.order_payment_create.
select throws_ok(format($$select api.order_payment_create(%s, %L, 'BANK-ZQ-X')$$, pg_temp.id('sm2'), v), 'PT422', 'invalid_amount',
  format('order_payment_create: amount %s -> PT422 invalid_amount', coalesce(v, 'null')))
from unnest(array['0', '-1.00', 'ten', '1.001', 'NaN', '10000000000', null]) v;
select throws_ok(format($$select api.order_payment_create(%s, '1.00', %L)$$, pg_temp.id('sm2'), v), 'PT422', 'invalid_reference',
  format('order_payment_create: reference %s -> PT422 invalid_reference', d))
from (values (null, 'null'), ('   ', 'blank'), (repeat('r', 256), 'of 256 characters')) v (v, d);
select throws_ok(format($$select api.order_payment_create(%s, '1.00', 'BANK-ZQ-X')$$, pg_temp.id('missing_order')),
  'PT404', 'not_found', 'order_payment_create: an unknown order -> PT404 not_found');
select throws_ok(format($$select api.order_payment_create(%s, '1.00', 'BANK-ZQ-X')$$, pg_temp.id('a')),
  'PT409', 'order_not_payable', 'order_payment_create: a paid order -> PT409 order_not_payable');
select throws_ok(format($$select api.order_payment_create(%s, '1.00', 'BANK-ZQ-X')$$, pg_temp.id('cx')),
  'PT409', 'order_not_payable', 'order_payment_create: a cancelled order -> PT409 order_not_payable');
select pg_temp.act_as(pg_temp.id('c1'));
select throws_ok(format($$select api.order_payment_create(%s, '1.00', 'BANK-ZQ-X')$$, pg_temp.id('sm2')),
  'PT403', 'forbidden', 'order_payment_create: a customer, even for their own order -> PT403 forbidden');
select throws_ok(format($$select api.order_payment_create(%s, '0', null)$$, pg_temp.id('sm2')),
  'PT403', 'forbidden', 'order_payment_create: a customer is refused before the amount is looked at');
select pg_temp.act_as(pg_temp.id('c1'), 'admin');
select throws_ok(format($$select api.order_payment_create(%s, '1.00', 'BANK-ZQ-X')$$, pg_temp.id('sm2')),
  'PT403', 'forbidden', 'order_payment_create: a customer with an admin token -> PT403 forbidden');
select pg_temp.act_as(null);
select throws_ok(format($$select api.order_payment_create(%s, '1.00', 'BANK-ZQ-X')$$, pg_temp.id('sm2')),
  'PT401', 'unauthenticated', 'order_payment_create: anonymous -> PT401 unauthenticated');
reset role;
select is(pg_temp.status('sm2'), 'pending', 'the refused payments changed nothing: the order is pending');
select is((select count(*) from shop.payments p where p.order_id = pg_temp.id('sm2')), 0::bigint,
  '... and it has no payment');

-- Refunds ------------------------------------------------------------------------------------------------
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select throws_ok(format($$select api.order_refund_create(%s, %L, 'damaged')$$, pg_temp.id('a'), v), 'PT422', 'invalid_amount',
  format('order_refund_create: amount %s -> PT422 invalid_amount', coalesce(v, 'null')))
from unnest(array['0', '-5', '1.005', null]) v;
select throws_ok(format($$select api.order_refund_create(%s, '1.00', %L)$$, pg_temp.id('a'), v), 'PT422', 'invalid_reason',
  format('order_refund_create: reason %s -> PT422 invalid_reason', d))
from (values (null, 'null'), ('', 'empty'), (repeat('x', 501), 'of 501 characters')) v (v, d);
select throws_ok(format($$select api.order_refund_create(%s, '1.00', 'damaged')$$, pg_temp.id('missing_order')),
  'PT404', 'not_found', 'order_refund_create: an unknown order -> PT404 not_found');
select throws_ok(format($$select api.order_refund_create(%s, '20.01', 'damaged')$$, pg_temp.id('a')),
  'PT409', 'refund_exceeds_captured',
  'order_refund_create: more than any one payment captured (20.00 and 10.00) -> PT409 refund_exceeds_captured');
select throws_ok(format($$select api.order_refund_create(%s, '1.00', 'damaged')$$, pg_temp.id('sm2')),
  'PT409', 'refund_exceeds_captured', 'order_refund_create: an order without payments -> PT409 refund_exceeds_captured');
select pg_temp.keep('ar', api.order_refund_create(pg_temp.id('a'), '5.00', 'damaged in transit'));
reset role;
select is(array[pg_temp.payment_of('BANK-ZQ-1'), pg_temp.payment_of('BANK-ZQ-2')],
  array['captured 10.00/0.00/10.00/0.00/0.00', 'partially_refunded 20.00/0.00/20.00/5.00/5.00'],
  'a manual refund is confirmed at once, on the payment with the most left to refund');
select is(pg_temp.kept('ar') #>> '{payments,1,status}', 'partially_refunded', 'order_refund_create returns the order with the refund');
select is((pg_temp.events('a'))[5:], array['refund.requested', 'payment.refunded'],
  'a manual refund emits refund.requested, then payment.refunded');
select results_eq(
  format($$select e.type, e.amount, e.recorded_by, e.raw ->> 'reason' from shop.payment_events e
           where e.order_id = %s order by e.id desc limit 1$$, pg_temp.id('a')),
  $$values ('refund.requested'::text, 5.00::numeric, 'admin'::text, 'damaged in transit'::text)$$,
  'the refund request is in the ledger with its reason');
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('c1'));
select throws_ok(format($$select api.order_refund_create(%s, '1.00', 'damaged')$$, pg_temp.id('a')),
  'PT403', 'forbidden', 'order_refund_create: a customer -> PT403 forbidden');

-- Stripe events ------------------------------------------------------------------------------------------
reset role;
select pg_temp.new_order('s', 20.00);
set local role pgshop_api;
select pg_temp.as_stripe();
select pg_temp.problem_is($$select api.stripe_event_record('{"type": "payment_intent.succeeded"}')$$,
  422, 'invalid_event', 'stripe_event_record: an event without id or data.object -> 422 invalid_event problem');
select is(pg_temp.stripe('evt_zq_ignored', 'customer.created', '{"id": "cus_zq"}'),
  '{"event_id": "evt_zq_ignored", "result": "ignored"}', 'stripe_event_record: a type it does not handle -> ignored');
select pg_temp.keep('s1', pg_temp.stripe('evt_zq_s1', 'payment_intent.succeeded',
                                         pg_temp.pi('pi_zq_s', pg_temp.id('s'), 'amount_received', 2000))::json);
select is(jsonb_build_array(pg_temp.kept('s1') ->> 'result', pg_temp.kept('s1') #>> '{payment,status}',
                            pg_temp.kept('s1') #>> '{payment,captured_amount}'),
  '["recorded", "captured", "20.00"]', 'payment_intent.succeeded for the balance: recorded, the payment captured 20.00');
select is(pg_temp.stripe('evt_zq_s1', 'payment_intent.succeeded',
                         pg_temp.pi('pi_zq_s', pg_temp.id('s'), 'amount_received', 2000)),
  '{"event_id": "evt_zq_s1", "result": "duplicate"}', 'the same event id again -> duplicate');
reset role;
select is(pg_temp.status('s'), 'paid', 'the order is paid');
select is((pg_temp.history('s'))[2], 'pending>paid payment -', '... by the actor payment');
select is((select count(*) from shop.payment_events e where e.provider = 'stripe' and e.provider_event_id = 'evt_zq_s1'),
  1::bigint, 'the event is in the ledger once');
select is((select count(*) from shop.payment_events e where e.provider_event_id = 'evt_zq_ignored'), 0::bigint,
  'an ignored event is not in the ledger');
select is(pg_temp.events('s'), array['order.created', 'payment.captured', 'order.paid'],
  'one payment.captured and one order.paid: the duplicate emitted nothing');

-- A refund of a Stripe payment is only requested; Stripe's charge.refunded confirms it.
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select lives_ok(format($$select api.order_refund_create(%s, '4.00', 'customer asked')$$, pg_temp.id('s')),
  'a refund of 4.00 of the Stripe payment is requested');
reset role;
select is(pg_temp.payment_of('pi_zq_s'), 'captured 20.00/0.00/20.00/0.00/4.00',
  'a Stripe refund is requested only: refund_requested_amount 4.00, nothing refunded, still captured');
select is((pg_temp.events('s'))[4:], array['refund.requested'], '... refund.requested emitted, no payment.refunded yet');
set local role pgshop_api;
select is(pg_temp.stripe('evt_zq_s2', 'charge.refunded', pg_temp.charge('ch_zq_s', 'pi_zq_s', 2000, 400)) ->> 'result',
  'recorded', 'charge.refunded of 4.00 is recorded');
reset role;
select is(pg_temp.payment_of('pi_zq_s'), 'partially_refunded 20.00/0.00/20.00/4.00/4.00',
  'the confirmation refunds 4.00; the request is not counted twice');
select is((pg_temp.events('s'))[5:], array['payment.refunded'], '... and emits payment.refunded');
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select throws_ok(format($$select api.order_refund_create(%s, '16.01', 'customer asked')$$, pg_temp.id('s')),
  'PT409', 'refund_exceeds_captured', 'refunds asked already count: 16.01 of the 16.00 left -> PT409 refund_exceeds_captured');
select is(api.order_refund_create(pg_temp.id('s'), '16.00', 'customer asked') #>> '{payments,0,refund_requested_amount}',
  '20.00', 'the 16.00 left can be requested');

-- Currencies in minor units: a JPY order of 1999 is paid by 1999 (no decimals).
reset role;
select pg_temp.new_order('j', 1999, 'JPY');
set local role pgshop_api;
select is(pg_temp.stripe('evt_zq_j', 'payment_intent.succeeded', pg_temp.pi('pi_zq_j', pg_temp.id('j'), 'amount_received', 1999, 'jpy'))
          #>> '{payment,captured_amount}', '1999.00', 'JPY has no minor unit: amount_received 1999 is 1999 JPY');
reset role;
select is(pg_temp.status('j'), 'paid', 'the JPY order is paid');

-- Authorized, then captured; failed.
select pg_temp.new_order('au', 12.00);
select pg_temp.new_order('fl', 12.00);
set local role pgshop_api;
select is(pg_temp.stripe('evt_zq_au1', 'payment_intent.amount_capturable_updated',
                         pg_temp.pi('pi_zq_au', pg_temp.id('au'), 'amount_capturable', 1200)) #>> '{payment,status}',
  'authorized', 'payment_intent.amount_capturable_updated -> the payment is authorized');
select is(pg_temp.stripe('evt_zq_fl', 'payment_intent.payment_failed', pg_temp.pi('pi_zq_fl', pg_temp.id('fl'), 'amount', 1200))
          #>> '{payment,status}', 'failed', 'payment_intent.payment_failed -> the payment is failed');
reset role;
select is(array[pg_temp.status('au'), pg_temp.status('fl')], array['pending', 'pending'],
  'neither an authorization nor a failure pays the order');
set local role pgshop_api;
select is(pg_temp.stripe('evt_zq_au2', 'payment_intent.succeeded', pg_temp.pi('pi_zq_au', pg_temp.id('au'), 'amount_received', 1200))
          #>> '{payment,status}', 'captured', 'then payment_intent.succeeded: the authorized payment is captured');
reset role;
select is(pg_temp.status('au'), 'paid', '... and its order paid');

-- Unmatched events: recorded with the reason, nothing else changes --------------------------------------
select pg_temp.new_order('u', 15.00);
select pg_temp.new_order('np', 15.00, 'USD', 'cancelled');
do $$ begin perform set_config('tests.u_events', pg_temp.events('u')::text, true); end $$;
set local role pgshop_api;
select is(pg_temp.stripe(v.id, v.type, v.object) - 'event_id',
  jsonb_build_object('result', 'unmatched', 'reason', v.reason, 'order_id', v.order_id),
  format('unmatched %s: %s', v.reason, v.d))
from (values
  ('evt_zq_u1', 'payment_intent.succeeded', pg_temp.pi('pi_zq_u1', pg_temp.id('missing_order'), 'amount_received', 1500),
   'unknown_order', null, 'the order in the metadata does not exist'),
  ('evt_zq_u2', 'payment_intent.succeeded', pg_temp.pi('pi_zq_u2', pg_temp.id('u'), 'amount_received', 1500) - 'metadata',
   'unknown_order', null, 'no order in the metadata and an unknown PaymentIntent'),
  ('evt_zq_u3', 'payment_intent.succeeded', pg_temp.pi('pi_zq_u3', pg_temp.id('u'), 'amount_received', 1500, 'eur'),
   'currency_mismatch', pg_temp.id('u'), 'EUR for a USD order'),
  ('evt_zq_u4', 'payment_intent.succeeded', pg_temp.pi('pi_zq_u4', pg_temp.id('u'), 'amount_received', 1499),
   'amount_mismatch', pg_temp.id('u'), '14.99 for a balance of 15.00'),
  ('evt_zq_u5', 'payment_intent.succeeded',
   pg_temp.pi('pi_zq_u5', pg_temp.id('u'), 'amount_received', 1500) || '{"amount_received": "1500"}',
   'amount_mismatch', pg_temp.id('u'), 'an amount that is not a JSON integer'),
  ('evt_zq_u6', 'payment_intent.succeeded', pg_temp.pi('pi_zq_u6', pg_temp.id('np'), 'amount_received', 1500),
   'order_not_payable', pg_temp.id('np'), 'the order is cancelled'),
  ('evt_zq_u7', 'payment_intent.succeeded', pg_temp.pi('pi_zq_u7', pg_temp.id('a'), 'amount_received', 3000),
   'order_not_payable', pg_temp.id('a'), 'the order is paid already'),
  ('evt_zq_u8', 'charge.refunded', pg_temp.charge('ch_zq_u8', 'pi_zq_u8', 3000, 3000) || jsonb_build_object('metadata', jsonb_build_object('order_id', pg_temp.id('a')::text)),
   'unknown_payment', pg_temp.id('a'), 'a refund of a PaymentIntent unknown to a paid order')
) v (id, type, object, reason, order_id, d);
reset role;
select is(pg_temp.status('u'), 'pending', 'the unmatched events left the order pending');
select is(pg_temp.events('u'), current_setting('tests.u_events')::text[], '... emitted nothing for it');
select is_empty($$select * from shop.payments p where p.provider_reference like 'pi_zq_u%'$$,
  '... and made no payment');
select results_eq(
  $$select e.provider_event_id, e.unmatched_reason, e.payment_id, e.amount, e.currency from shop.payment_events e
    where e.provider_event_id like 'evt_zq_u%' order by e.provider_event_id$$,
  $$values ('evt_zq_u1'::text, 'unknown_order'::text, null::bigint, 15.00::numeric, 'USD'::text),
           ('evt_zq_u2', 'unknown_order', null, 15.00, 'USD'), ('evt_zq_u3', 'currency_mismatch', null, 15.00, 'EUR'),
           ('evt_zq_u4', 'amount_mismatch', null, 14.99, 'USD'), ('evt_zq_u5', 'amount_mismatch', null, 15.00, 'USD'),
           ('evt_zq_u6', 'order_not_payable', null, 15.00, 'USD'), ('evt_zq_u7', 'order_not_payable', null, 30.00, 'USD'),
           ('evt_zq_u8', 'unknown_payment', null, 30.00, 'USD')$$,
  'each unmatched event is in the ledger with its reason, no payment, the amount as far as it can be read');
select is(pg_temp.stripe('evt_zq_u4', 'payment_intent.succeeded', pg_temp.pi('pi_zq_u4', pg_temp.id('u'), 'amount_received', 1500)),
  '{"event_id": "evt_zq_u4", "result": "duplicate"}',
  'an unmatched event id is taken: the same id again, even corrected, -> duplicate');

set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select is(
  (select array_agg(i ->> 'event_id' || ' ' || (i ->> 'reason') order by n)
   from json_array_elements(api.payments_unmatched_list(100) -> 'items') with ordinality x (i, n)
   where i ->> 'event_id' like 'evt_zq_u%'),
  array['evt_zq_u8 unknown_payment', 'evt_zq_u7 order_not_payable', 'evt_zq_u6 order_not_payable', 'evt_zq_u5 amount_mismatch',
        'evt_zq_u4 amount_mismatch', 'evt_zq_u3 currency_mismatch', 'evt_zq_u2 unknown_order', 'evt_zq_u1 unknown_order'],
  'payments_unmatched_list: every unmatched event with its reason, newest first');
select is(
  (select i::jsonb - 'id' - 'received_at' from json_array_elements(api.payments_unmatched_list(100) -> 'items') i
   where i ->> 'event_id' = 'evt_zq_u3'),
  jsonb_build_object('provider', 'stripe', 'event_id', 'evt_zq_u3', 'type', 'payment_intent.succeeded',
                     'order_id', pg_temp.id('u'), 'reference', 'pi_zq_u3', 'amount', '15.00', 'currency', 'EUR',
                     'reason', 'currency_mismatch'),
  'payments_unmatched_list: an item names the event, its order, reference, amount, currency and reason');
select is(
  (select array_agg(i ->> 'event_id')
   from json_array_elements(api.payments_unmatched_list(2, api.payments_unmatched_list(2) ->> 'next_cursor') -> 'items') i),
  array['evt_zq_u6', 'evt_zq_u5'], 'payments_unmatched_list: next_cursor leads to the next page');
select pg_temp.act_as(pg_temp.id('c1'));
select throws_ok('select api.payments_unmatched_list()', 'PT403', 'forbidden', 'payments_unmatched_list: a customer -> PT403 forbidden');

-- A refund that arrives before its capture ends like one that arrives after ------------------------------
reset role;
select pg_temp.new_order('r1', 20.00);
select pg_temp.new_order('r2', 20.00);
set local role pgshop_api;
-- In order: captured, then refunded 5.00.
select is(pg_temp.stripe('evt_zq_r1a', 'payment_intent.succeeded', pg_temp.pi('pi_zq_r1', pg_temp.id('r1'), 'amount_received', 2000))
          ->> 'result', 'recorded', 'in order: the capture is recorded');
select is(pg_temp.stripe('evt_zq_r1b', 'charge.refunded', pg_temp.charge('ch_zq_r1', 'pi_zq_r1', 2000, 500)) ->> 'result',
  'recorded', 'in order: the refund is recorded');
-- Out of order: the refund first.
select is(pg_temp.stripe('evt_zq_r2b', 'charge.refunded', pg_temp.charge('ch_zq_r2', 'pi_zq_r2', 2000, 500)
                                                          || jsonb_build_object('metadata', jsonb_build_object('order_id', pg_temp.id('r2')::text)))
          ->> 'result', 'recorded', 'out of order: the refund that came first is recorded, held in the ledger');
reset role;
select is(array[pg_temp.payment_of('pi_zq_r2'), pg_temp.status('r2')], array['pending 20.00/0.00/0.00/0.00/0.00', 'pending'],
  '... nothing is refunded before a capture: the payment is pending, the order pending');
set local role pgshop_api;
select is(pg_temp.stripe('evt_zq_r2a', 'payment_intent.succeeded', pg_temp.pi('pi_zq_r2', pg_temp.id('r2'), 'amount_received', 2000))
          ->> 'result', 'recorded', 'out of order: then the capture is recorded');
reset role;
select is(array[pg_temp.payment_of('pi_zq_r2'), pg_temp.status('r2')], array['partially_refunded 20.00/0.00/20.00/5.00/5.00', 'paid'],
  'out of order: captured, paid, then the held refund applied: partially_refunded 5.00 of 20.00');
select is(array[pg_temp.payment_of('pi_zq_r2'), pg_temp.status('r2')], array[pg_temp.payment_of('pi_zq_r1'), pg_temp.status('r1')],
  'the same end state as in order');
select is(pg_temp.events('r2'), array['order.created', 'payment.captured', 'order.paid', 'payment.refunded'],
  'out of order: the events tell it as it happened: captured, paid, then refunded');
select is(pg_temp.events('r2'), pg_temp.events('r1'), 'the same events, in the same order, as in order');
select is(pg_temp.history('r2'), pg_temp.history('r1'), 'the same order history');
-- Stripe's amount_refunded is cumulative: an older charge.refunded that arrives late changes nothing.
set local role pgshop_api;
select is(pg_temp.stripe('evt_zq_r2c', 'charge.refunded', pg_temp.charge('ch_zq_r2', 'pi_zq_r2', 2000, 1500)) #>> '{payment,refunded_amount}',
  '15.00', 'a second refund: amount_refunded 1500 (cumulative) -> refunded 15.00');
select is(pg_temp.stripe('evt_zq_r2d', 'charge.refunded', pg_temp.charge('ch_zq_r2', 'pi_zq_r2', 2000, 1000)) #>> '{payment,refunded_amount}',
  '15.00', 'an older refund event (amount_refunded 1000) arriving after it: still 15.00, never less');
reset role;
select is(pg_temp.events('r2'), array['order.created', 'payment.captured', 'order.paid', 'payment.refunded', 'payment.refunded'],
  '... one payment.refunded for the growth, none for the stale event');
-- More refunded than captured cannot be: the amount is capped at the capture, and the table refuses it anyway.
set local role pgshop_api;
select is(pg_temp.stripe('evt_zq_r2e', 'charge.refunded', pg_temp.charge('ch_zq_r2', 'pi_zq_r2', 2000, 3000)) #>> '{payment,refunded_amount}',
  '20.00', 'amount_refunded 3000 of a 2000 capture: refunded 20.00, never more than captured');
reset role;
select throws_ok($$update shop.payments set refunded_amount = captured_amount + 1 where provider_reference = 'pi_zq_r2'$$,
  '23514', null, 'refunded_amount above captured_amount -> check violation');

-- A late payment of an expired order ---------------------------------------------------------------------
select pg_temp.new_order('ex', 9.00);
update shop.orders set created_at = now() - interval '2 hours' where id = pg_temp.id('ex');
update shop.settings set value = '60 minutes' where name = 'order_payment_window';
select cmp_ok(lib.orders_expire(), '>=', 1, 'lib.orders_expire cancels the unpaid order');
select is(pg_temp.status('ex'), 'cancelled', 'the order is cancelled');
set local role pgshop_api;
select is(pg_temp.stripe('evt_zq_ex', 'payment_intent.succeeded', pg_temp.pi('pi_zq_ex', pg_temp.id('ex'), 'amount_received', 900))
          ->> 'reason', 'order_not_payable', 'the payment that arrives after expiry is unmatched: order_not_payable');
reset role;
select is(array[pg_temp.status('ex'), coalesce(pg_temp.payment_of('pi_zq_ex'), 'no payment')], array['cancelled', 'no payment'],
  '... the order stays cancelled, without a payment');

-- Who may record Stripe events ---------------------------------------------------------------------------
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('c1'));
select throws_ok($$select api.stripe_event_record('{"id": "evt_zq_p", "type": "payment_intent.succeeded", "data": {"object": {}}}')$$,
  'PT403', 'forbidden', 'stripe_event_record: customer claims -> PT403 forbidden');
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select throws_ok($$select api.stripe_event_record('{"id": "evt_zq_p", "type": "payment_intent.succeeded", "data": {"object": {}}}')$$,
  'PT403', 'forbidden', 'stripe_event_record: admin claims -> PT403 forbidden');
select pg_temp.act_as(null);
select throws_ok($$select api.stripe_event_record('{"id": "evt_zq_p", "type": "payment_intent.succeeded", "data": {"object": {}}}')$$,
  'PT403', 'forbidden', 'stripe_event_record: no claims -> PT403 forbidden');
select pg_temp.claims('{"role": "provider", "provider": "stripe", "sub": "1"}');
select throws_ok($$select api.stripe_event_record('{"id": "evt_zq_p", "type": "payment_intent.succeeded", "data": {"object": {}}}')$$,
  'PT403', 'forbidden', 'stripe_event_record: provider claims with anything more than role and provider -> PT403 forbidden');
select pg_temp.claims('{"role": "provider", "provider": "paypal"}');
select throws_ok($$select api.stripe_event_record('{"id": "evt_zq_p", "type": "payment_intent.succeeded", "data": {"object": {}}}')$$,
  'PT403', 'forbidden', 'stripe_event_record: another provider''s claims -> PT403 forbidden');
select throws_ok('select * from shop.payments', '42501', null, 'as pgshop_api: select from shop.payments -> 42501');
select throws_ok('select * from shop.payment_events', '42501', null, 'as pgshop_api: select from shop.payment_events -> 42501');
select throws_ok($$select lib.stripe_event_apply('{}')$$, '42501', null, 'as pgshop_api: lib.stripe_event_apply -> 42501');
reset role;
select is((select count(*) from shop.payment_events e where e.provider_event_id = 'evt_zq_p'), 0::bigint,
  'the refused calls recorded nothing');

-- The ledger is append-only ------------------------------------------------------------------------------
select throws_ok($$update shop.payment_events set unmatched_reason = null, payment_id = null where provider_event_id = 'evt_zq_s1'$$,
  'PT409', 'append_only', 'update of shop.payment_events, even as the superuser -> PT409 append_only');
select throws_ok($$delete from shop.payment_events where provider_event_id = 'evt_zq_u1'$$,
  'PT409', 'append_only', 'delete from shop.payment_events -> PT409 append_only');
select throws_ok('truncate shop.payment_events cascade', 'PT409', 'append_only', 'truncate shop.payment_events -> PT409 append_only');
select is((select count(*) from shop.payment_events e where e.provider_event_id in ('evt_zq_s1', 'evt_zq_u1')), 2::bigint,
  'both rows are still there');

select * from finish();
rollback;
