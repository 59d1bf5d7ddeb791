-- Inventory: stock, its ledger and low-stock alerts. Stock is changed by one conditional update (never below
-- zero: a CHECK backs it); shop.take_stock and shop.return_stock are the one pair checkout and cancellation
-- use. Triggers on shop.products write the ledger (shop.stock_movements, append-only) and open and close the
-- alerts, so they hold whoever changes stock, psql included; shop.stock_reconciliation checks ledger against
-- balance.

create or replace function lib.insufficient_stock(p_short jsonb) returns json
language sql
immutable
as $$
  select lib.problem(409, 'insufficient_stock',
    'not enough stock for ' || string_agg(format('%s (%s wanted, %s in stock)', s ->> 'sku', s ->> 'requested',
                                                 s ->> 'available'), ', ' order by (s ->> 'product_id')::bigint),
    jsonb_build_object('products', p_short))
  from jsonb_array_elements(p_short) s
$$;
comment on function lib.insufficient_stock(jsonb) is
  'The 409 insufficient_stock problem for the lines short of stock [{product_id, sku, requested, available}].';

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
      'product_id', p.id,
      'name', p.name,
      'sku', p.sku,
      'stock_quantity', p.stock_quantity,
      'low_stock_threshold', p.low_stock_threshold,
      'since', a.opened_at
    ) order by a.opened_at, p.id), '[]'),
    'next_cursor', null
  )
  from shop.low_stock_alerts a
  join shop.products p on p.id = a.product_id
  where a.closed_at is null
    and p.deleted_at is null
    and p.stock_quantity <= p.low_stock_threshold
  );
end
$$;
comment on function api.low_stock_list() is
  'GET /api/admin/inventory/low-stock (admin): live products at or below their threshold, longest-low first, '
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
-- checkout and by the cancel trigger. Rows are locked in product id order, so concurrent checkouts and
-- cancellations cannot deadlock; the ledger trigger records the reason and the order.
create or replace function shop.take_stock(p_order_id bigint) returns jsonb
language plpgsql
volatile
as $$
declare
  v_short jsonb;
begin
  perform
  from shop.products p
  where p.id in (select oi.product_id from shop.order_items oi where oi.order_id = p_order_id)
  order by p.id
  for no key update;
  perform shop.set_stock_context('sale', p_order_id);
  -- One conditional decrement; the lines it could not take are the ones short (the outer query sees the
  -- stock as it was before the update).
  with sold as (
    update shop.products p
    set stock_quantity = p.stock_quantity - oi.quantity
    from shop.order_items oi
    where oi.order_id = p_order_id
      and oi.product_id = p.id
      and p.stock_quantity >= oi.quantity
    returning p.id
  )
  select jsonb_agg(jsonb_build_object('product_id', p.id, 'sku', p.sku, 'requested', oi.quantity,
                                      'available', p.stock_quantity) order by p.id)
  into v_short
  from shop.order_items oi
  join shop.products p on p.id = oi.product_id
  where oi.order_id = p_order_id
    and p.id not in (select sold.id from sold);
  perform shop.set_stock_context(null, null);
  return v_short;
end
$$;
comment on function shop.take_stock(bigint) is
  'Takes the stock of an order''s lines (ledger reason sale), rows locked in product id order; returns the '
  'lines it could not take as [{product_id, sku, requested, available}], or null when it took them all.';

create or replace function shop.return_stock(p_order_id bigint) returns void
language plpgsql
volatile
as $$
begin
  perform
  from shop.products p
  where p.id in (select oi.product_id from shop.order_items oi where oi.order_id = p_order_id)
  order by p.id
  for no key update;
  perform shop.set_stock_context('cancel', p_order_id);
  update shop.products p
  set stock_quantity = p.stock_quantity + oi.quantity
  from shop.order_items oi
  where oi.order_id = p_order_id
    and oi.product_id = p.id;
  perform shop.set_stock_context(null, null);
end
$$;
comment on function shop.return_stock(bigint) is
  'Gives back the stock of an order''s lines (ledger reason cancel), rows locked in product id order.';

-- Every stock change lands in the ledger, whoever makes it. The functions that change stock say why
-- (reason, order) through transaction-local settings; a change made by hand is an adjustment.
-- Statement-level with transition tables: a 20-line checkout writes its 20 movements in one insert.
create or replace function shop.tg_products__record_stock() returns trigger
language plpgsql
volatile
as $$
declare
  v_reason text := nullif(current_setting('pgshop.stock_reason', true), '');
  v_order_id bigint := nullif(current_setting('pgshop.stock_order_id', true), '')::bigint;
begin
  if tg_op = 'INSERT' then
    insert into shop.stock_movements (product_id, delta, stock_after, reason, order_id, actor_id)
    select n.id, n.stock_quantity, n.stock_quantity, coalesce(v_reason, 'initial'), v_order_id,
           shop.current_user_id()
    from new_rows n
    where n.stock_quantity <> 0
    order by n.id;
  else
    insert into shop.stock_movements (product_id, delta, stock_after, reason, order_id, actor_id)
    select n.id, n.stock_quantity - o.stock_quantity, n.stock_quantity, coalesce(v_reason, 'adjustment'),
           v_order_id, shop.current_user_id()
    from new_rows n
    join old_rows o on o.id = n.id
    where n.stock_quantity <> o.stock_quantity
    order by n.id;
  end if;
  return null;
end
$$;
comment on function shop.tg_products__record_stock() is
  'Trigger: writes a shop.stock_movements row for every change of stock_quantity (reason from '
  'pgshop.stock_reason).';

create or replace function shop.tg_products__low_stock() returns trigger
language plpgsql
volatile
as $$
begin
  if new.stock_quantity <= new.low_stock_threshold and new.deleted_at is null then
    insert into shop.low_stock_alerts (product_id, stock_quantity, low_stock_threshold)
    values (new.id, new.stock_quantity, new.low_stock_threshold)
    on conflict (product_id) where closed_at is null do nothing;
    if found then
      perform pg_notify('low_stock', json_build_object(
        'product_id', new.id, 'name', new.name, 'sku', new.sku,
        'stock_quantity', new.stock_quantity, 'low_stock_threshold', new.low_stock_threshold)::text);
    end if;
  else
    update shop.low_stock_alerts a
    set closed_at = now()
    where a.product_id = new.id
      and a.closed_at is null;
  end if;
  return null;
end
$$;
comment on function shop.tg_products__low_stock() is
  'Trigger: opens a low-stock alert and fires pg_notify(''low_stock'', product json) when stock falls to or '
  'below the threshold; closes it when stock rises above (or the product is deleted).';

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

-- stock.low: when a low-stock alert opens.
create or replace function shop.tg_low_stock_alerts__emit() returns trigger
language plpgsql
volatile
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

select shop.layer_view('shop.stock_reconciliation', $$
select
  p.id as product_id,
  p.stock_quantity,
  coalesce(m.ledger_quantity, 0)::integer as ledger_quantity,
  p.stock_quantity - coalesce(m.ledger_quantity, 0) as difference
from shop.products p
left join (
  select sm.product_id, sum(sm.delta) as ledger_quantity
  from shop.stock_movements sm
  group by sm.product_id
) m on m.product_id = p.id
$$);
comment on view shop.stock_reconciliation is
  'Stock on hand against the sum of the ledger, per product; difference is always 0.';

select shop.layer_trigger('shop.stock_movements', $$
  create trigger _100_append_only before delete or update on %s
  for each row execute function shop.tg_stock_movements__append_only()$$);
select shop.layer_trigger('shop.stock_movements', $$
  create trigger _100_append_only_truncate before truncate on %s
  for each statement execute function shop.tg_stock_movements__append_only()$$);

select shop.layer_trigger('shop.products', $$
  create trigger _400_stock_ledger_insert after insert on %s
  referencing new table as new_rows
  for each statement execute function shop.tg_products__record_stock()$$);
select shop.layer_trigger('shop.products', $$
  create trigger _400_stock_ledger_update after update on %s
  referencing old table as old_rows new table as new_rows
  for each statement execute function shop.tg_products__record_stock()$$);

select shop.layer_trigger('shop.products', $$
  create trigger _300_low_stock_insert after insert on %s
  for each row
  when ((new.stock_quantity <= new.low_stock_threshold)) execute function shop.tg_products__low_stock()$$);
select shop.layer_trigger('shop.products', $$
  create trigger _300_low_stock_update after update of stock_quantity, low_stock_threshold, deleted_at on %s
  for each row
  when (((new.stock_quantity <= new.low_stock_threshold) or (old.stock_quantity <= old.low_stock_threshold) or (new.deleted_at is distinct from old.deleted_at))) execute function shop.tg_products__low_stock()$$);

select shop.layer_trigger('shop.low_stock_alerts', $$
  create trigger _300_emit after insert on %s
  for each row execute function shop.tg_low_stock_alerts__emit()$$);
