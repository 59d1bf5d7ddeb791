-- Inventory: stock per variant, its ledger and low-stock alerts. Stock is changed by one conditional update
-- (never below zero: a CHECK backs it); shop.take_stock and shop.return_stock are the one pair checkout and
-- cancellation use. Triggers on shop.variants write the ledger (shop.stock_movements, append-only) and open and
-- close the alerts, so they hold whoever changes stock, psql included; shop.stock_reconciliation checks ledger
-- against balance.

create or replace function lib.insufficient_stock(p_short jsonb) returns json
language sql
immutable
as $$
  select lib.problem(409, 'insufficient_stock',
    'not enough stock for ' || string_agg(format('%s (%s wanted, %s in stock)', s ->> 'sku', s ->> 'requested',
                                                 s ->> 'available'), ', '
                                                 order by (s ->> 'product_id')::bigint, (s ->> 'variant_id')::bigint),
    jsonb_build_object('products', p_short))
  from jsonb_array_elements(p_short) s
$$;
comment on function lib.insufficient_stock(jsonb) is
  'The 409 insufficient_stock problem for the lines short of stock [{product_id, variant_id, sku, requested, '
  'available}].';

create or replace function api.low_stock_list() returns json
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  perform lib.require_admin();
  return (
  select json_build_object(
    'items', coalesce(json_agg(json_build_object(
      'product_id', v.product_id,
      'variant_id', v.id,
      'name', p.name,
      'sku', v.sku,
      'options', lib.variant_options(v.id),
      'stock_quantity', v.stock_quantity,
      'low_stock_threshold', v.low_stock_threshold,
      'since', a.opened_at
    ) order by a.opened_at, v.id), '[]'),
    'next_cursor', null
  )
  from shop.low_stock_alerts a
  join shop.variants v on v.id = a.variant_id
  join shop.products p on p.id = v.product_id
  where a.closed_at is null
    and v.deleted_at is null
    and p.deleted_at is null
    and v.stock_quantity <= v.low_stock_threshold
  );
end
$$;
comment on function api.low_stock_list() is
  'GET /api/admin/inventory/low-stock (admin): live variants at or below their threshold, longest-low first, '
  'with the time their alert opened (since).';

-- Functions that change stock tell the ledger trigger why, for the rest of the transaction or until reset.
create or replace function shop.set_stock_context(p_reason text, p_order_id bigint) returns void
language sql
volatile
as $$
  select set_config('pgshop.stock_reason', coalesce(p_reason, ''), true),
         set_config('pgshop.stock_order_id', coalesce(p_order_id::text, ''), true)
$$;
comment on function shop.set_stock_context(text,bigint) is
  'Sets (or, with nulls, clears) the reason and order the stock ledger trigger records for the next stock '
  'changes.';

-- Stock taken for an order's lines at checkout and given back when it is cancelled: one pair, used by
-- checkout and by the cancel trigger. Rows are locked in variant id order, so concurrent checkouts and
-- cancellations cannot deadlock; the ledger trigger records the reason and the order.
create or replace function shop.take_stock(p_order_id bigint) returns jsonb
language plpgsql
volatile
as $$
declare
  v_short jsonb;
begin
  perform
  from shop.variants v
  where v.id in (select oi.variant_id from shop.order_items oi where oi.order_id = p_order_id)
  order by v.id
  for no key update;
  perform shop.set_stock_context('sale', p_order_id);
  -- One conditional decrement; the lines it could not take are the ones short (the outer query sees the
  -- stock as it was before the update).
  with sold as (
    update shop.variants v
    set stock_quantity = v.stock_quantity - oi.quantity
    from shop.order_items oi
    where oi.order_id = p_order_id
      and oi.variant_id = v.id
      and v.stock_quantity >= oi.quantity
    returning v.id
  )
  select jsonb_agg(jsonb_build_object('product_id', v.product_id, 'variant_id', v.id, 'sku', v.sku,
                                      'requested', oi.quantity, 'available', v.stock_quantity) order by v.id)
  into v_short
  from shop.order_items oi
  join shop.variants v on v.id = oi.variant_id
  where oi.order_id = p_order_id
    and v.id not in (select sold.id from sold);
  perform shop.set_stock_context(null, null);
  return v_short;
end
$$;
comment on function shop.take_stock(bigint) is
  'Takes the stock of an order''s lines (ledger reason sale), variant rows locked in id order; returns the '
  'lines it could not take as [{product_id, variant_id, sku, requested, available}], or null when it took them all.';

create or replace function shop.return_stock(p_order_id bigint) returns void
language plpgsql
volatile
as $$
begin
  perform
  from shop.variants v
  where v.id in (select oi.variant_id from shop.order_items oi where oi.order_id = p_order_id)
  order by v.id
  for no key update;
  perform shop.set_stock_context('cancel', p_order_id);
  update shop.variants v
  set stock_quantity = v.stock_quantity + oi.quantity
  from shop.order_items oi
  where oi.order_id = p_order_id
    and oi.variant_id = v.id;
  perform shop.set_stock_context(null, null);
end
$$;
comment on function shop.return_stock(bigint) is
  'Gives back the stock of an order''s lines (ledger reason cancel), variant rows locked in id order.';

-- Every stock change lands in the ledger, whoever makes it. The functions that change stock say why
-- (reason, order) through transaction-local settings; a change made by hand is an adjustment.
-- Statement-level with transition tables: a 20-line checkout writes its 20 movements in one insert.
create or replace function shop.tg_variants__record_stock() returns trigger
language plpgsql
volatile
as $$
declare
  v_reason text := nullif(current_setting('pgshop.stock_reason', true), '');
  v_order_id bigint := nullif(current_setting('pgshop.stock_order_id', true), '')::bigint;
begin
  if tg_op = 'INSERT' then
    insert into shop.stock_movements (product_id, variant_id, delta, stock_after, reason, order_id, actor_id)
    select n.product_id, n.id, n.stock_quantity, n.stock_quantity, coalesce(v_reason, 'initial'), v_order_id,
           shop.current_user_id()
    from new_rows n
    where n.stock_quantity <> 0
    order by n.id;
  else
  -- EXECUTE: planned for this statement's rows (see db/README.md, transition tables).
    execute 'insert into shop.stock_movements (product_id, variant_id, delta, stock_after, reason, order_id, actor_id)
             select n.product_id, n.id, n.stock_quantity - o.stock_quantity, n.stock_quantity,
                    coalesce($1, ''adjustment''), $2, shop.current_user_id()
             from new_rows n join old_rows o on o.id = n.id
             where n.stock_quantity <> o.stock_quantity
             order by n.id'
    using v_reason, v_order_id;
  end if;
  return null;
end
$$;
comment on function shop.tg_variants__record_stock() is
  'Trigger: writes a shop.stock_movements row for every change of a variant''s stock_quantity (reason from '
  'pgshop.stock_reason).';

-- Statement-level, so that a bulk change (an import) opens its alerts in one insert, and their stock.low events
-- in one more (below).
create or replace function shop.tg_variants__low_stock() returns trigger
language plpgsql
volatile
as $$
declare
  v_opened integer;
begin
  with opened as (
    insert into shop.low_stock_alerts (product_id, variant_id, stock_quantity, low_stock_threshold)
    select n.product_id, n.id, n.stock_quantity, n.low_stock_threshold
    from new_rows n
    where n.stock_quantity <= n.low_stock_threshold and n.deleted_at is null
    order by n.id
    on conflict (variant_id) where closed_at is null do nothing
    returning product_id, variant_id, stock_quantity, low_stock_threshold
  )
  select count(pg_notify('low_stock', json_build_object(
           'product_id', o.product_id, 'variant_id', o.variant_id, 'name', p.name, 'sku', v.sku,
           'stock_quantity', o.stock_quantity, 'low_stock_threshold', o.low_stock_threshold)::text))
  into v_opened
  from (select * from opened order by variant_id) o
  join shop.variants v on v.id = o.variant_id
  join shop.products p on p.id = o.product_id;
  update shop.low_stock_alerts a
  set closed_at = now()
  from new_rows n
  where a.variant_id = n.id
    and a.closed_at is null
    and not (n.stock_quantity <= n.low_stock_threshold and n.deleted_at is null);
  return null;
end
$$;
comment on function shop.tg_variants__low_stock() is
  'Trigger (statement): opens a low-stock alert and fires pg_notify(''low_stock'', variant json) for each variant '
  'whose stock is at or below its threshold without one; closes the alerts of those above it (or deleted).';

create or replace function shop.tg_stock_movements__append_only() returns trigger
language plpgsql
volatile
as $$
begin
  raise exception using
    errcode = 'PT409', message = 'append_only',
    detail = 'stock movements are never changed or deleted; record a correcting movement instead';
end
$$;
comment on function shop.tg_stock_movements__append_only() is 'Trigger: the stock ledger is append-only.';

-- stock.low: when a low-stock alert opens (one insert into the outbox per statement).
create or replace function shop.tg_low_stock_alerts__emit() returns trigger
language plpgsql
volatile
as $$
begin
  insert into shop.outbox (type, resource, data)
  select 'stock.low', 'product/' || n.product_id,
         json_build_object('product_id', v.product_id, 'variant_id', v.id, 'name', p.name, 'sku', v.sku,
                           'options', lib.variant_options(v.id), 'stock_quantity', n.stock_quantity,
                           'low_stock_threshold', n.low_stock_threshold, 'alert_id', n.id, 'opened_at', n.opened_at)
  from new_rows n
  join shop.variants v on v.id = n.variant_id
  join shop.products p on p.id = v.product_id
  order by n.id;
  return null;
end
$$;
comment on function shop.tg_low_stock_alerts__emit() is 'Trigger (statement): stock.low for each low-stock alert opened.';

select shop.layer_view('shop.stock_reconciliation', $$
select
  v.product_id,
  v.id as variant_id,
  v.stock_quantity,
  coalesce(m.ledger_quantity, 0)::integer as ledger_quantity,
  v.stock_quantity - coalesce(m.ledger_quantity, 0) as difference
from shop.variants v
left join (
  select sm.variant_id, sum(sm.delta) as ledger_quantity
  from shop.stock_movements sm
  group by sm.variant_id
) m on m.variant_id = v.id
$$);
comment on view shop.stock_reconciliation is
  'Stock on hand against the sum of the ledger, per variant; difference is always 0.';

select shop.layer_trigger('shop.stock_movements', $$
  create trigger _100_append_only before delete or update on %s
  for each row execute function shop.tg_stock_movements__append_only()$$);
select shop.layer_trigger('shop.stock_movements', $$
  create trigger _100_append_only_truncate before truncate on %s
  for each statement execute function shop.tg_stock_movements__append_only()$$);

select shop.layer_trigger('shop.variants', $$
  create trigger _400_stock_ledger_insert after insert on %s
  referencing new table as new_rows
  for each statement execute function shop.tg_variants__record_stock()$$);
select shop.layer_trigger('shop.variants', $$
  create trigger _400_stock_ledger_update after update on %s
  referencing old table as old_rows new table as new_rows
  for each statement execute function shop.tg_variants__record_stock()$$);

select shop.layer_trigger('shop.variants', $$
  create trigger _400_low_stock_insert after insert on %s
  referencing new table as new_rows
  for each statement execute function shop.tg_variants__low_stock()$$);
select shop.layer_trigger('shop.variants', $$
  create trigger _400_low_stock_update after update on %s
  referencing new table as new_rows
  for each statement execute function shop.tg_variants__low_stock()$$);

select shop.layer_trigger('shop.low_stock_alerts', $$
  create trigger _400_emit after insert on %s
  referencing new table as new_rows
  for each statement execute function shop.tg_low_stock_alerts__emit()$$);
