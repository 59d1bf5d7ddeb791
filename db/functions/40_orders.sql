-- Checkout and orders. Checkout is one function in one transaction: all or nothing. Stock is taken last,
-- with one conditional update on rows locked in product-id order (crossing carts cannot deadlock), backed
-- by check (stock_quantity >= 0). Status changes are policed by a trigger (see the commerce migration).

create or replace function shop.order_json(p_order shop.orders) returns json
language sql
stable
as $$
  select json_build_object(
    'id', p_order.id,
    'status', p_order.status,
    'total_amount', p_order.total_amount::text,
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
    'history', (
      select coalesce(json_agg(json_build_object('status', h.status, 'at', h.changed_at) order by h.id), '[]')
      from shop.order_status_history h
      where h.order_id = p_order.id
    )
  )
$$;
comment on function shop.order_json(shop.orders) is 'An order as the API shows it, with its lines and status history.';

create or replace function shop.address_in(p_address jsonb) returns shop.address
language plpgsql
immutable
as $$
declare
  v_missing text;
begin
  if p_address is not null then
    return p_address::shop.address;
  end if;
  raise check_violation;
exception when check_violation then
  select string_agg(f, ', ') into v_missing
  from unnest(array['name', 'line1', 'city', 'postal_code', 'country']) f
  where not shop.has_text(p_address ->> f);
  raise exception using errcode = 'PT422', message = 'invalid_address',
    detail = case
      when jsonb_typeof(p_address) is distinct from 'object' then 'shipping_address must be an object'
      when v_missing is not null then format('shipping_address needs: %s', v_missing)
      else 'shipping_address must be a flat object of at most 20 fields (names up to 50 characters) whose values '
           'are strings of at most 200 characters'
    end;
end
$$;
comment on function shop.address_in(jsonb) is
  'p_address as a shop.address; PT422 invalid_address naming what is wrong (not an object, the missing '
  'fields, or a value that is not a short string) otherwise.';

create or replace function api.checkout(p_shipping_address jsonb, p_idempotency_key text default null)
returns json
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_user bigint := shop.require_user();
  v_state text;
  v_message text;
  v_detail text;
  v_hint text;
begin
  perform shop.rate_limit_check('checkout', v_user::text, shop.setting('rate_limit_checkout_per_user')::integer,
                                interval '1 minute');
  insert into shop.attempts (kind, key) values ('checkout', v_user::text);
  begin
    return shop.checkout(v_user, p_shipping_address, p_idempotency_key);
  exception when others then
    -- A refused checkout (say, insufficient_stock) changes nothing but still counts as an attempt.
    get stacked diagnostics v_state = returned_sqlstate, v_message = message_text, v_detail = pg_exception_detail,
                            v_hint = pg_exception_hint;
    if v_state not like 'PT%' then
      raise;
    end if;
    return shop.problem_of(v_state, v_message, v_detail, v_hint);
  end;
end
$$;
comment on function api.checkout(jsonb, text) is
  'POST /api/orders: turns the caller''s cart into a pending order in one transaction (shop.checkout). '
  'PT429 too_many_attempts beyond rate_limit_checkout_per_user attempts a minute; the refusals of '
  'shop.checkout (422 invalid_address, invalid_idempotency_key, idempotency_key_reused; 409 empty_cart, '
  'insufficient_stock with the products short, idempotency_key_in_use) are returned as problems, so each '
  'attempt counts. With an Idempotency-Key the same body replays the first order.';

create or replace function shop.checkout(p_user bigint, p_shipping_address jsonb, p_idempotency_key text)
returns json
language plpgsql
volatile
as $$
declare
  v_user bigint := p_user;
  v_address shop.address := shop.address_in(p_shipping_address);
  v_hash bytea;
  v_replay shop.idempotency_keys;
  v_cart bigint;
  v_lines integer;
  v_total numeric(12, 2);
  v_short text;
  v_short_json json;
  v_order shop.orders;
  v_sold_ids bigint[];
  v_response json;
begin
  -- Idempotency (Stripe's semantics). The first request with a key claims it by inserting it; a
  -- concurrent request with the same key waits on that row, then replays the committed response. A
  -- failed checkout rolls its claim back, so a retry runs again.
  if p_idempotency_key is not null then
    if length(p_idempotency_key) not between 1 and 255 then
      raise exception using errcode = 'PT422', message = 'invalid_idempotency_key',
        detail = 'Idempotency-Key must have 1 to 255 characters';
    end if;
    v_hash := sha256(convert_to(v_address::text, 'UTF8'));
    insert into shop.idempotency_keys (user_id, key, request_hash)
    values (v_user, p_idempotency_key, v_hash)
    on conflict (user_id, key) do nothing;
    if not found then
      select * into v_replay
      from shop.idempotency_keys k
      where k.user_id = v_user
        and k.key = p_idempotency_key;
      if v_replay.request_hash <> v_hash then
        raise exception using errcode = 'PT422', message = 'idempotency_key_reused',
          detail = 'this Idempotency-Key was used with a different request body';
      end if;
      if v_replay.response is null then
        raise exception using errcode = 'PT409', message = 'idempotency_key_in_use',
          detail = 'a request with this Idempotency-Key is still in progress';
      end if;
      return v_replay.response;
    end if;
  end if;

  select c.id into v_cart
  from shop.carts c
  where c.user_id = v_user
  for update;

  -- The cart as it is now, at current prices; lines short already fail here, before any lock.
  select
    count(*),
    sum(p.price * ci.quantity),
    string_agg(format('%s (%s wanted, %s in stock)', p.sku, ci.quantity, p.stock_quantity), ', ' order by p.id)
      filter (where p.stock_quantity < ci.quantity),
    json_agg(json_build_object('product_id', p.id, 'sku', p.sku, 'requested', ci.quantity,
                               'available', p.stock_quantity) order by p.id)
      filter (where p.stock_quantity < ci.quantity)
  into v_lines, v_total, v_short, v_short_json
  from shop.cart_items ci
  join shop.products p on p.id = ci.product_id
  where ci.cart_id = v_cart
    and p.deleted_at is null
    and p.is_active;

  if v_lines = 0 then
    raise exception using errcode = 'PT409', message = 'empty_cart', detail = 'the cart is empty';
  end if;
  if v_short is not null then
    raise exception using errcode = 'PT409', message = 'insufficient_stock',
      detail = format('not enough stock for %s', v_short),
      hint = json_build_object('products', v_short_json)::text;
  end if;

  insert into shop.orders (user_id, total_amount, shipping_address)
  values (v_user, v_total, v_address)
  returning * into v_order;
  insert into shop.order_items (order_id, product_id, name, sku, quantity, unit_price, total_price)
  select v_order.id, p.id, p.name, p.sku, ci.quantity, p.price, p.price * ci.quantity
  from shop.cart_items ci
  join shop.products p on p.id = ci.product_id
  where ci.cart_id = v_cart
    and p.deleted_at is null
    and p.is_active
  order by p.id;
  delete from shop.cart_items ci
  using shop.order_items oi
  where ci.cart_id = v_cart
    and oi.order_id = v_order.id
    and oi.product_id = ci.product_id;
  v_response := shop.order_json(v_order);
  if p_idempotency_key is not null then
    update shop.idempotency_keys k
    set order_id = v_order.id,
        response = v_response
    where k.user_id = v_user
      and k.key = p_idempotency_key;
  end if;

  -- The stock, last, so the rows stay locked only for this and the commit (a hot product sells as fast
  -- as commits allow): lock in product-id order (crossing carts cannot deadlock), then one conditional
  -- decrement. A line whose stock went since the cart was read fails the whole checkout.
  perform
  from shop.products p
  where p.id in (select oi.product_id from shop.order_items oi where oi.order_id = v_order.id)
  order by p.id
  for no key update;
  perform shop.set_stock_context('sale', v_order.id);
  with sold as (
    update shop.products p
    set stock_quantity = p.stock_quantity - oi.quantity
    from shop.order_items oi
    where oi.order_id = v_order.id
      and oi.product_id = p.id
      and p.stock_quantity >= oi.quantity
    returning p.id
  )
  select array_agg(sold.id) into v_sold_ids from sold;
  perform shop.set_stock_context(null, null);
  if coalesce(cardinality(v_sold_ids), 0) < v_lines then
    select
      string_agg(format('%s (%s wanted, %s in stock)', p.sku, oi.quantity, p.stock_quantity), ', ' order by p.id),
      json_agg(json_build_object('product_id', p.id, 'sku', p.sku, 'requested', oi.quantity,
                                 'available', p.stock_quantity) order by p.id)
    into v_short, v_short_json
    from shop.order_items oi
    join shop.products p on p.id = oi.product_id
    where oi.order_id = v_order.id
      and p.id <> all (coalesce(v_sold_ids, '{}'));
    raise exception using errcode = 'PT409', message = 'insufficient_stock',
      detail = format('not enough stock for %s', v_short),
      hint = json_build_object('products', v_short_json)::text;
  end if;
  return v_response;
end
$$;
comment on function shop.checkout(bigint, jsonb, text) is
  'Checkout of p_user''s cart into a pending order, all or nothing. PT422 invalid_address, '
  'invalid_idempotency_key, idempotency_key_reused; PT409 empty_cart, insufficient_stock (hint: JSON of the '
  'products short), idempotency_key_in_use. With an Idempotency-Key the same body replays the first order.';

create or replace function api.orders_list(p_limit integer default 20, p_cursor text default null) returns json
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_user bigint := shop.require_user();
  v_limit integer := coalesce(p_limit, 20);
  v_after jsonb := shop.cursor_decode(p_cursor, 'newest', 'timestamptz');
  v_rows shop.orders[];
  v_last shop.orders;
begin
  if v_limit not between 1 and 100 then
    raise exception using errcode = 'PT422', message = 'invalid_limit', detail = 'limit must be between 1 and 100';
  end if;
  select array(
    select o
    from shop.orders o
    where o.user_id = v_user
      and (v_after is null
           or (o.created_at, o.id) < ((v_after ->> 'k')::timestamptz, (v_after ->> 'id')::bigint))
    order by o.created_at desc, o.id desc
    limit v_limit + 1
  ) into v_rows;
  if cardinality(v_rows) > v_limit then
    v_last := v_rows[v_limit];
  end if;
  return json_build_object(
    'items', (select coalesce(json_agg(shop.order_json(v_rows[i]) order by i), '[]')
              from generate_subscripts(v_rows, 1) i
              where i <= v_limit),
    'next_cursor', shop.cursor_encode('newest', v_last.created_at::text, v_last.id)
  );
end
$$;
comment on function api.orders_list(integer, text) is
  'GET /api/orders: the caller''s orders, newest first, one keyset page {items, next_cursor}. '
  'PT422 invalid_limit, invalid_cursor.';

create or replace function api.order_get(p_id bigint) returns json
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_user bigint := shop.require_user();
  v_order shop.orders;
begin
  select * into v_order from shop.orders o where o.id = p_id;
  -- Another user's order does not exist as far as the caller can tell: 404, never 403.
  if v_order.id is null or (v_order.user_id <> v_user and not shop.is_admin()) then
    perform shop.not_found('order', p_id);
  end if;
  return shop.order_json(v_order);
end
$$;
comment on function api.order_get(bigint) is
  'GET /api/orders/{id}: the caller''s own order (admins: any order). PT404 not_found otherwise.';

create or replace function api.order_set_status(p_id bigint, p_status text) returns json
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_order shop.orders;
begin
  perform shop.require_admin();
  if not exists (select from shop.order_statuses s where s.status = p_status) then
    raise exception using errcode = 'PT422', message = 'invalid_status',
      detail = 'status must be one of pending, paid, shipped, delivered, cancelled';
  end if;
  select * into v_order from shop.orders o where o.id = p_id for update;
  if v_order.id is null then
    perform shop.not_found('order', p_id);
  end if;
  if v_order.status = p_status then
    raise exception using errcode = 'PT409', message = 'invalid_transition',
      detail = format('order %s is already %s', p_id, p_status);
  end if;
  -- tg_orders__check_transition refuses what the transition table does not allow.
  update shop.orders o
  set status = p_status
  where o.id = p_id
  returning * into v_order;
  return shop.order_json(v_order);
end
$$;
comment on function api.order_set_status(bigint, text) is
  'PUT /api/orders/{id}/status (admin): moves an order along pending -> paid -> shipped -> delivered, or to '
  'cancelled from pending or paid (stock returned once). PT422 invalid_status, PT409 invalid_transition, PT404.';

grant execute on function
  api.checkout(jsonb, text),
  api.orders_list(integer, text),
  api.order_get(bigint),
  api.order_set_status(bigint, text)
to pgshop_api;
