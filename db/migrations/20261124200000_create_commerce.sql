-- migrate:up
-- Carts (guest and persistent), orders with a status workflow, the stock ledger and low-stock alerts.

-- api.login gains the guest cart token (cart merge at login); db/functions re-creates it. The HTTP
-- layer is the only client and moves to the new signature in the same release.
-- squawk-ignore ban-drop-function
drop function if exists api.login(text, text);

create table shop.carts (
  id bigint generated always as identity primary key,
  user_id bigint unique references shop.users (id) on delete cascade,
  token uuid unique,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint carts_owner_is_user_or_token check ((user_id is null) <> (token is null))
);
create index carts_guest_updated_at_idx on shop.carts (updated_at) where token is not null;
comment on table shop.carts is
  'One persistent cart per user, or a guest cart reached by its token. Guest carts idle for 30 days are purged.';
comment on column shop.carts.token is 'Opaque guest token (X-Cart-Token); null for a user''s cart.';
comment on column shop.carts.updated_at is 'Last change to the cart; a guest cart expires 30 days after it.';

-- The seed's cart_items, generalised: a line belongs to a cart (a user's or a guest's).
create table shop.cart_items (
  id bigint generated always as identity primary key,
  cart_id bigint not null references shop.carts (id) on delete cascade,
  product_id bigint not null references shop.products (id),
  quantity integer not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint cart_items_quantity_positive check (quantity > 0),
  constraint cart_items_one_line_per_product unique (cart_id, product_id)
);
create index cart_items_product_id_idx on shop.cart_items (product_id);
create trigger tg_cart_items__set_updated_at
  before update on shop.cart_items
  for each row execute function shop.tg__set_updated_at();
comment on table shop.cart_items is 'Cart lines: one per product and cart, quantity at least 1.';

create table shop.order_statuses (
  status text primary key,
  position integer not null unique
);
insert into shop.order_statuses (status, position)
values ('pending', 1), ('paid', 2), ('shipped', 3), ('delivered', 4), ('cancelled', 5);
comment on table shop.order_statuses is 'The order statuses, in workflow order.';

create table shop.order_status_transitions (
  from_status text not null references shop.order_statuses (status),
  to_status text not null references shop.order_statuses (status),
  primary key (from_status, to_status)
);
insert into shop.order_status_transitions (from_status, to_status)
values ('pending', 'paid'), ('pending', 'cancelled'), ('paid', 'shipped'), ('paid', 'cancelled'),
       ('shipped', 'delivered');
comment on table shop.order_status_transitions is
  'The allowed status changes; a trigger on shop.orders refuses any other.';

-- A required text: present and not only white space (tabs, newlines and no-break spaces included).
create function shop.has_text(p_value text) returns boolean
language sql
immutable
as $$
  select coalesce(p_value ~ E'[^\\s\u00a0]', false)
$$;
comment on function shop.has_text(text) is 'True when p_value has a character that is not white space.';

create table shop.orders (
  id bigint generated always as identity primary key,
  user_id bigint not null references shop.users (id),
  status varchar(50) not null default 'pending' references shop.order_statuses (status),
  total_amount numeric(12, 2) not null,
  shipping_address jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint orders_total_not_negative check (total_amount >= 0),
  constraint orders_shipping_address_complete check (
    jsonb_typeof(shipping_address) = 'object'
    and shop.has_text(shipping_address ->> 'name')
    and shop.has_text(shipping_address ->> 'line1')
    and shop.has_text(shipping_address ->> 'city')
    and shop.has_text(shipping_address ->> 'postal_code')
    and shop.has_text(shipping_address ->> 'country')
  )
);
create index orders_user_newest_idx on shop.orders (user_id, created_at desc, id desc);
create index orders_status_idx on shop.orders (status);
create trigger tg_orders__set_updated_at
  before update on shop.orders
  for each row execute function shop.tg__set_updated_at();
comment on table shop.orders is 'Orders made at checkout; status follows shop.order_status_transitions.';
comment on column shop.orders.total_amount is 'Sum of the order''s line totals, at the prices of checkout time.';
comment on column shop.orders.shipping_address is 'name, line1, city, postal_code, country (required), line2, region, phone (optional).';

create table shop.order_items (
  id bigint generated always as identity primary key,
  order_id bigint not null references shop.orders (id),
  product_id bigint not null references shop.products (id),
  name varchar(255) not null,
  sku varchar(100) not null,
  quantity integer not null,
  unit_price numeric(12, 2) not null,
  total_price numeric(12, 2) not null,
  constraint order_items_quantity_positive check (quantity > 0),
  constraint order_items_unit_price_not_negative check (unit_price >= 0),
  constraint order_items_total_is_price_times_quantity check (total_price = unit_price * quantity),
  constraint order_items_one_line_per_product unique (order_id, product_id)
);
create index order_items_product_id_idx on shop.order_items (product_id);
comment on table shop.order_items is
  'Order lines with name, SKU and unit price as they were at checkout: later product changes never alter them.';

create table shop.order_status_history (
  id bigint generated always as identity primary key,
  order_id bigint not null references shop.orders (id),
  from_status text,
  status text not null,
  changed_by bigint references shop.users (id),
  db_role text not null default session_user,
  changed_at timestamptz not null default now()
);
create index order_status_history_order_idx on shop.order_status_history (order_id, id);
comment on table shop.order_status_history is
  'Every status an order took, when, and who set it (changed_by: the API user; db_role: the database login).';

-- Refuse any status change not in the transition table, whoever makes it.
create function shop.tg_orders__check_transition() returns trigger
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
comment on function shop.tg_orders__check_transition() is
  'Trigger: refuses a status change that shop.order_status_transitions does not allow (PT409 invalid_transition).';
create trigger tg_orders__check_transition
  before update of status on shop.orders
  for each row execute function shop.tg_orders__check_transition();

create table shop.idempotency_keys (
  user_id bigint not null references shop.users (id) on delete cascade,
  key varchar(255) not null,
  request_hash bytea not null,
  order_id bigint references shop.orders (id),
  response jsonb,
  created_at timestamptz not null default now(),
  primary key (user_id, key),
  -- Claimed by a checkout in progress (both null) or done (both set); a failed checkout rolls it back.
  constraint idempotency_keys_done_together check ((order_id is null) = (response is null))
);
create index idempotency_keys_created_at_idx on shop.idempotency_keys (created_at);
comment on table shop.idempotency_keys is
  'Idempotency-Key of checkouts, per user: the request''s hash and the response to replay. Kept 24 hours at least.';

create table shop.stock_movements (
  id bigint generated always as identity primary key,
  product_id bigint not null references shop.products (id),
  delta integer not null,
  stock_after integer not null,
  reason text not null,
  order_id bigint references shop.orders (id),
  actor_id bigint references shop.users (id),
  db_role text not null default session_user,
  created_at timestamptz not null default now(),
  constraint stock_movements_delta_not_zero check (delta <> 0),
  constraint stock_movements_stock_after_not_negative check (stock_after >= 0),
  constraint stock_movements_reason_known check (reason in ('initial', 'restock', 'sale', 'cancel', 'adjustment')),
  constraint stock_movements_order_for_sale_and_cancel check ((reason in ('sale', 'cancel')) = (order_id is not null))
);
create index stock_movements_product_idx on shop.stock_movements (product_id, id);
create index stock_movements_order_idx on shop.stock_movements (order_id) where order_id is not null;
comment on table shop.stock_movements is
  'Append-only stock ledger: one row per change of a product''s stock, written by trigger on shop.products.';
comment on column shop.stock_movements.reason is
  'initial (product created with stock), restock, sale (checkout), cancel (stock returned), adjustment (admin or by hand).';
comment on column shop.stock_movements.actor_id is 'The API user who caused it; null when changed by hand in SQL (see db_role).';

create function shop.tg_stock_movements__append_only() returns trigger
language plpgsql
as $$
begin
  raise exception using
    errcode = 'PT409', message = 'append_only',
    detail = 'stock movements are never changed or deleted; record a correcting movement instead';
end
$$;
comment on function shop.tg_stock_movements__append_only() is 'Trigger: the stock ledger is append-only.';
create trigger tg_stock_movements__append_only
  before update or delete on shop.stock_movements
  for each row execute function shop.tg_stock_movements__append_only();
create trigger tg_stock_movements__no_truncate
  before truncate on shop.stock_movements
  for each statement execute function shop.tg_stock_movements__append_only();

-- Every stock change lands in the ledger, whoever makes it. The functions that change stock say why
-- (reason, order) through transaction-local settings; a change made by hand is an adjustment.
-- Statement-level with transition tables: a 20-line checkout writes its 20 movements in one insert.
create function shop.tg_products__record_stock() returns trigger
language plpgsql
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
  'Trigger: writes a shop.stock_movements row for every change of stock_quantity (reason from pgshop.stock_reason).';
create trigger tg_products__record_stock_insert
  after insert on shop.products
  referencing new table as new_rows
  for each statement execute function shop.tg_products__record_stock();
create trigger tg_products__record_stock_update
  after update on shop.products
  referencing old table as old_rows new table as new_rows
  for each statement execute function shop.tg_products__record_stock();

-- Functions that change stock tell the ledger trigger why, for the rest of the transaction or until reset.
create function shop.set_stock_context(p_reason text, p_order_id bigint) returns void
language sql
volatile
as $$
  select set_config('pgshop.stock_reason', coalesce(p_reason, ''), true),
         set_config('pgshop.stock_order_id', coalesce(p_order_id::text, ''), true)
$$;
comment on function shop.set_stock_context(text, bigint) is
  'Sets (or, with nulls, clears) the reason and order the stock ledger trigger records for the next stock changes.';

-- History of every status, and the stock of a cancelled order returned. cancelled is final (no
-- transition leaves it), so the stock comes back exactly once.
create function shop.tg_orders__status_changed() returns trigger
language plpgsql
as $$
begin
  insert into shop.order_status_history (order_id, from_status, status, changed_by)
  values (new.id, case when tg_op = 'UPDATE' then old.status end, new.status, shop.current_user_id());
  if new.status = 'cancelled' then
    perform shop.set_stock_context('cancel', new.id);
    -- Lock in product id order, as checkout does, so cancellations and checkouts cannot deadlock.
    perform
    from shop.products p
    where p.id in (select oi.product_id from shop.order_items oi where oi.order_id = new.id)
    order by p.id
    for no key update;
    update shop.products p
    set stock_quantity = p.stock_quantity + oi.quantity
    from shop.order_items oi
    where oi.order_id = new.id
      and oi.product_id = p.id;
    perform shop.set_stock_context(null, null);
  end if;
  return null;
end
$$;
comment on function shop.tg_orders__status_changed() is
  'Trigger: records each status in shop.order_status_history; on cancel returns the order''s stock (ledger reason cancel).';
create trigger tg_orders__status_created
  after insert on shop.orders
  for each row execute function shop.tg_orders__status_changed();
create trigger tg_orders__status_changed
  after update of status on shop.orders
  for each row
  when (old.status is distinct from new.status)
  execute function shop.tg_orders__status_changed();

-- Stock on hand as existing products had it becomes their opening balance.
insert into shop.stock_movements (product_id, delta, stock_after, reason)
select p.id, p.stock_quantity, p.stock_quantity, 'initial'
from shop.products p
where p.stock_quantity <> 0;

create view shop.stock_reconciliation as
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
) m on m.product_id = p.id;
comment on view shop.stock_reconciliation is
  'Stock on hand against the sum of the ledger, per product; difference is always 0.';

create table shop.low_stock_alerts (
  id bigint generated always as identity primary key,
  product_id bigint not null references shop.products (id),
  stock_quantity integer not null,
  low_stock_threshold integer not null,
  opened_at timestamptz not null default now(),
  closed_at timestamptz
);
create unique index low_stock_alerts_one_open_key on shop.low_stock_alerts (product_id) where closed_at is null;
comment on table shop.low_stock_alerts is
  'Opened when a product''s stock falls to or below its threshold (one open alert per product), closed when restocked above it.';

create function shop.tg_products__low_stock() returns trigger
language plpgsql
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
-- Row level with WHEN: a change far from the threshold (most checkouts) never runs the function.
create trigger tg_products__low_stock_insert
  after insert on shop.products
  for each row
  when (new.stock_quantity <= new.low_stock_threshold)
  execute function shop.tg_products__low_stock();
create trigger tg_products__low_stock_update
  after update of stock_quantity, low_stock_threshold, deleted_at on shop.products
  for each row
  when (new.stock_quantity <= new.low_stock_threshold
        or old.stock_quantity <= old.low_stock_threshold
        or new.deleted_at is distinct from old.deleted_at)
  execute function shop.tg_products__low_stock();

insert into shop.low_stock_alerts (product_id, stock_quantity, low_stock_threshold)
select p.id, p.stock_quantity, p.low_stock_threshold
from shop.products p
where p.stock_quantity <= p.low_stock_threshold
  and p.deleted_at is null;

-- migrate:down
drop trigger tg_products__low_stock_update on shop.products;
drop trigger tg_products__low_stock_insert on shop.products;
drop function shop.tg_products__low_stock();
drop table shop.low_stock_alerts;
drop view shop.stock_reconciliation;
drop trigger tg_products__record_stock_update on shop.products;
drop trigger tg_products__record_stock_insert on shop.products;
drop function shop.tg_products__record_stock();
drop table shop.stock_movements;
drop function shop.tg_stock_movements__append_only();
drop table shop.idempotency_keys;
drop trigger tg_orders__status_changed on shop.orders;
drop trigger tg_orders__status_created on shop.orders;
drop function shop.tg_orders__status_changed();
drop function shop.set_stock_context(text, bigint);
drop table shop.order_status_history;
drop trigger tg_orders__check_transition on shop.orders;
drop function shop.tg_orders__check_transition();
drop table shop.order_items;
drop table shop.orders;
drop table shop.order_status_transitions;
drop table shop.order_statuses;
drop table shop.cart_items;
drop table shop.carts;
drop function shop.has_text(text);
