-- migrate:up
-- Trigger names belong to this schema alone (no client refers to one), so renaming them breaks nobody.
-- squawk-ignore-file renaming-object
-- Trigger names say when they fire: PostgreSQL fires the triggers of one event in name order, so each name
-- starts with its rank (graphile's convention): _100 timestamps and guards, _200 rules, _300 row
-- follow-ups, _400 statement rollups and the ledger, _500 audit.
alter trigger tg_users__set_updated_at on shop.users rename to _100_timestamps;
alter trigger tg_users__audit_insert on shop.users rename to _500_audit_insert;
alter trigger tg_users__audit_update on shop.users rename to _500_audit_update;
alter trigger tg_users__audit_delete on shop.users rename to _500_audit_delete;
alter trigger tg_categories__set_updated_at on shop.categories rename to _100_timestamps;
alter trigger tg_categories__no_cycle on shop.categories rename to _200_no_cycle;
alter trigger tg_categories__audit_insert on shop.categories rename to _500_audit_insert;
alter trigger tg_categories__audit_update on shop.categories rename to _500_audit_update;
alter trigger tg_categories__audit_delete on shop.categories rename to _500_audit_delete;
alter trigger tg_products__set_updated_at on shop.products rename to _100_timestamps;
alter trigger tg_products__low_stock_insert on shop.products rename to _300_low_stock_insert;
alter trigger tg_products__low_stock_update on shop.products rename to _300_low_stock_update;
alter trigger tg_products__search_words_insert on shop.products rename to _300_search_words_insert;
alter trigger tg_products__search_words_update on shop.products rename to _300_search_words_update;
alter trigger tg_products__record_stock_insert on shop.products rename to _400_stock_ledger_insert;
alter trigger tg_products__record_stock_update on shop.products rename to _400_stock_ledger_update;
alter trigger tg_products__audit_insert on shop.products rename to _500_audit_insert;
alter trigger tg_products__audit_update on shop.products rename to _500_audit_update;
alter trigger tg_products__audit_delete on shop.products rename to _500_audit_delete;
alter trigger tg_cart_items__set_updated_at on shop.cart_items rename to _100_timestamps;
alter trigger tg_orders__set_updated_at on shop.orders rename to _100_timestamps;
alter trigger tg_orders__check_transition on shop.orders rename to _200_check_transition;
alter trigger tg_orders__status_created on shop.orders rename to _300_status_history_insert;
alter trigger tg_orders__status_changed on shop.orders rename to _300_status_history_update;
alter trigger tg_orders__daily_sales_insert on shop.orders rename to _400_daily_sales_insert;
alter trigger tg_orders__daily_sales_update on shop.orders rename to _400_daily_sales_update;
alter trigger tg_orders__daily_sales_delete on shop.orders rename to _400_daily_sales_delete;
alter trigger tg_orders__audit_insert on shop.orders rename to _500_audit_insert;
alter trigger tg_orders__audit_update on shop.orders rename to _500_audit_update;
alter trigger tg_orders__audit_delete on shop.orders rename to _500_audit_delete;
alter trigger tg_order_items__daily_sales_insert on shop.order_items rename to _400_daily_sales_insert;
alter trigger tg_order_items__daily_sales_update on shop.order_items rename to _400_daily_sales_update;
alter trigger tg_order_items__daily_sales_delete on shop.order_items rename to _400_daily_sales_delete;
alter trigger tg_stock_movements__append_only on shop.stock_movements rename to _100_append_only;
alter trigger tg_stock_movements__no_truncate on shop.stock_movements rename to _100_append_only_truncate;
alter trigger tg_log__append_only on audit.log rename to _100_append_only;

-- Every table with updated_at has it kept by the database, carts included.
create trigger _100_timestamps
  before update on shop.carts
  for each row execute function shop.tg__set_updated_at();

-- Stock taken for an order's lines at checkout and given back when it is cancelled: one pair, used by
-- checkout and by the cancel trigger. Rows are locked in product id order, so concurrent checkouts and
-- cancellations cannot deadlock; the ledger trigger records the reason and the order.
create function shop.take_stock(p_order_id bigint) returns jsonb
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

create function shop.return_stock(p_order_id bigint) returns void
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

-- History of every status, and the stock of a cancelled order returned. cancelled is final (no transition
-- leaves it), so the stock comes back exactly once.
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

-- migrate:down
select shop.drop_function_layer();
create or replace function shop.tg_orders__status_changed() returns trigger
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
drop function shop.return_stock(bigint);
drop function shop.take_stock(bigint);
drop trigger _100_timestamps on shop.carts;
alter trigger _100_append_only on audit.log rename to tg_log__append_only;
alter trigger _100_append_only_truncate on shop.stock_movements rename to tg_stock_movements__no_truncate;
alter trigger _100_append_only on shop.stock_movements rename to tg_stock_movements__append_only;
alter trigger _400_daily_sales_delete on shop.order_items rename to tg_order_items__daily_sales_delete;
alter trigger _400_daily_sales_update on shop.order_items rename to tg_order_items__daily_sales_update;
alter trigger _400_daily_sales_insert on shop.order_items rename to tg_order_items__daily_sales_insert;
alter trigger _500_audit_delete on shop.orders rename to tg_orders__audit_delete;
alter trigger _500_audit_update on shop.orders rename to tg_orders__audit_update;
alter trigger _500_audit_insert on shop.orders rename to tg_orders__audit_insert;
alter trigger _400_daily_sales_delete on shop.orders rename to tg_orders__daily_sales_delete;
alter trigger _400_daily_sales_update on shop.orders rename to tg_orders__daily_sales_update;
alter trigger _400_daily_sales_insert on shop.orders rename to tg_orders__daily_sales_insert;
alter trigger _300_status_history_update on shop.orders rename to tg_orders__status_changed;
alter trigger _300_status_history_insert on shop.orders rename to tg_orders__status_created;
alter trigger _200_check_transition on shop.orders rename to tg_orders__check_transition;
alter trigger _100_timestamps on shop.orders rename to tg_orders__set_updated_at;
alter trigger _100_timestamps on shop.cart_items rename to tg_cart_items__set_updated_at;
alter trigger _500_audit_delete on shop.products rename to tg_products__audit_delete;
alter trigger _500_audit_update on shop.products rename to tg_products__audit_update;
alter trigger _500_audit_insert on shop.products rename to tg_products__audit_insert;
alter trigger _400_stock_ledger_update on shop.products rename to tg_products__record_stock_update;
alter trigger _400_stock_ledger_insert on shop.products rename to tg_products__record_stock_insert;
alter trigger _300_search_words_update on shop.products rename to tg_products__search_words_update;
alter trigger _300_search_words_insert on shop.products rename to tg_products__search_words_insert;
alter trigger _300_low_stock_update on shop.products rename to tg_products__low_stock_update;
alter trigger _300_low_stock_insert on shop.products rename to tg_products__low_stock_insert;
alter trigger _100_timestamps on shop.products rename to tg_products__set_updated_at;
alter trigger _500_audit_delete on shop.categories rename to tg_categories__audit_delete;
alter trigger _500_audit_update on shop.categories rename to tg_categories__audit_update;
alter trigger _500_audit_insert on shop.categories rename to tg_categories__audit_insert;
alter trigger _200_no_cycle on shop.categories rename to tg_categories__no_cycle;
alter trigger _100_timestamps on shop.categories rename to tg_categories__set_updated_at;
alter trigger _500_audit_delete on shop.users rename to tg_users__audit_delete;
alter trigger _500_audit_update on shop.users rename to tg_users__audit_update;
alter trigger _500_audit_insert on shop.users rename to tg_users__audit_insert;
alter trigger _100_timestamps on shop.users rename to tg_users__set_updated_at;
