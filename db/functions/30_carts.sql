-- Carts: a signed-in user's persistent cart, or a guest cart reached by its token (X-Cart-Token).
-- Guest carts live guest_cart_lifetime (a setting, 30 days) after their last change. Lines show only live,
-- active products at current prices; a line's quantity never exceeds the stock on hand when it is set.

-- Guest carts changed at or after this moment are live.
create or replace function lib.guest_carts_since() returns timestamptz
language sql
stable
as $$
  select now() - lib.setting('guest_cart_lifetime')::interval
$$;
comment on function lib.guest_carts_since() is
  'The oldest last change a live guest cart may have: now minus the setting guest_cart_lifetime.';

create or replace function lib.cart_token(p_token text) returns uuid
language plpgsql
immutable
as $$
begin
  return p_token::uuid;
exception when invalid_text_representation then
  return null;  -- a malformed token is an unknown token
end
$$;
comment on function lib.cart_token(text) is 'A guest cart token as uuid; null when absent or malformed.';

create or replace function lib.find_cart(p_token text) returns shop.carts
language plpgsql
stable
as $$
declare
  v_cart shop.carts;
begin
  if shop.current_user_id() is not null then
    select * into v_cart from shop.carts c where c.user_id = lib.require_user();
  else
    select * into v_cart
    from shop.carts c
    where c.token = lib.cart_token(p_token)
      and c.updated_at > lib.guest_carts_since();
  end if;
  return v_cart;
end
$$;
comment on function lib.find_cart(text) is
  'The caller''s cart: the signed-in user''s, else the live guest cart of the token; null fields when none.';

create or replace function lib.cart_for_write(p_token text) returns shop.carts
language plpgsql
volatile
as $$
declare
  v_cart shop.carts;
begin
  if shop.current_user_id() is not null then
    insert into shop.carts (user_id)
    values (lib.require_user())
    on conflict (user_id) do update set updated_at = now()
    returning * into v_cart;
  else
    update shop.carts c
    set updated_at = now()
    where c.token = lib.cart_token(p_token)
      and c.updated_at > lib.guest_carts_since()
    returning * into v_cart;
    if v_cart.id is null then
      insert into shop.carts (token)
      values (gen_random_uuid())
      returning * into v_cart;
    end if;
  end if;
  return v_cart;
end
$$;
comment on function lib.cart_for_write(text) is
  'The caller''s cart, created when missing (a guest gets a new token), touched and row-locked for the change.';

-- The live lines of a cart (live, active products at their current prices): what the cart shows, what
-- checkout prices and what becomes the order's lines.
create or replace function lib.cart_lines(p_cart_id bigint)
returns table (line_id bigint, product_id bigint, variant_id bigint, name text, sku text, unit_price numeric,
               quantity integer, stock_quantity integer)
language sql
stable
as $$
  select ci.id, p.id, v.id, p.name, v.sku, v.price, ci.quantity, v.stock_quantity
  from shop.cart_items ci
  join shop.variants v on v.id = ci.variant_id
  join shop.products p on p.id = v.product_id
  where ci.cart_id = p_cart_id
    and p.deleted_at is null
    and p.is_active
    and v.deleted_at is null
    and v.is_active
$$;
comment on function lib.cart_lines(bigint) is
  'The lines of a cart that count: live, active variants of live, active products at current prices, with the '
  'stock on hand.';

create or replace function lib.cart_json(p_cart shop.carts) returns json
language sql
stable
as $$
  select json_build_object(
    'token', p_cart.token,
    'items', coalesce(json_agg(json_build_object(
      'product_id', l.product_id,
      'variant_id', l.variant_id,
      'name', l.name,
      'sku', l.sku,
      'options', lib.variant_options(l.variant_id),
      'unit_price', l.unit_price::text,
      'quantity', l.quantity,
      'line_total', (l.unit_price * l.quantity)::text
    ) order by l.line_id), '[]'),
    'total', coalesce(sum(l.unit_price * l.quantity), 0)::numeric(12, 2)::text,
    'item_count', coalesce(sum(l.quantity), 0)
  )
  from lib.cart_lines(p_cart.id) l
$$;
comment on function lib.cart_json(shop.carts) is
  'A cart as the API shows it: its live lines (lib.cart_lines), total, item_count (units).';

-- The variant a cart line is for: p_variant_id (of p_product_id when both are given), or the only variant of
-- p_product_id on sale (live and active). PT404 not_found (unknown, deleted or hidden product or variant), PT422 variant_required (the
-- product has several variants), PT409 variant_unavailable (the variant is deleted or inactive, or the product
-- has none it sells).
create or replace function lib.cart_variant(p_product_id bigint, p_variant_id bigint) returns shop.variants
language plpgsql
stable
as $$
declare
  v_variant shop.variants;
  v_live integer;
begin
  if p_variant_id is null and p_product_id is null then
    raise exception using errcode = 'PT422', message = 'variant_required',
      detail = 'say which variant: variant_id, or product_id for a product with one variant';
  elsif p_variant_id is not null then
    select v.* into v_variant
    from shop.variants v join shop.products p on p.id = v.product_id
    where v.id = p_variant_id and (p_product_id is null or v.product_id = p_product_id)
      and p.deleted_at is null and p.is_active;
    if v_variant.id is null then
      perform lib.not_found('variant', p_variant_id);
    end if;
  else
    if not exists (select from shop.products p where p.id = p_product_id and p.deleted_at is null and p.is_active) then
      perform lib.not_found('product', p_product_id);
    end if;
    select count(*) into v_live from shop.variants v
    where v.product_id = p_product_id and v.deleted_at is null and v.is_active;
    if v_live > 1 then
      raise exception using errcode = 'PT422', message = 'variant_required',
        detail = format('product %s has %s variants: say which, with variant_id', p_product_id, v_live);
    end if;
    v_variant := lib.default_variant(p_product_id);
  end if;
  if v_variant.id is null or v_variant.deleted_at is not null or not v_variant.is_active then
    raise exception using errcode = 'PT409', message = 'variant_unavailable',
      detail = format('%s is not for sale', coalesce('variant ' || v_variant.sku, 'product ' || p_product_id));
  end if;
  return v_variant;
end
$$;
comment on function lib.cart_variant(bigint, bigint) is
  'The variant a cart line is for (given, or the only one of the product): PT404, PT422 variant_required, PT409 '
  'variant_unavailable.';

create or replace function lib.set_cart_line(p_token text, p_product_id bigint, p_variant_id bigint,
                                             p_quantity integer, p_add boolean)
returns json
language plpgsql
volatile
as $$
declare
  v_variant shop.variants;
  v_cart shop.carts;
  v_quantity integer;
begin
  if p_quantity is null or p_quantity < 1 then
    raise exception using errcode = 'PT422', message = 'invalid_quantity', detail = 'quantity must be at least 1';
  end if;
  v_variant := lib.cart_variant(p_product_id, p_variant_id);
  v_cart := lib.cart_for_write(p_token);
  insert into shop.cart_items as ci (cart_id, product_id, variant_id, quantity)
  values (v_cart.id, v_variant.product_id, v_variant.id, p_quantity)
  on conflict (cart_id, variant_id) do update
    -- Summed in bigint and capped, so an absurd quantity is refused as insufficient stock, not an overflow.
    set quantity = case when p_add then least(ci.quantity::bigint + excluded.quantity, 2147483647)::integer
                        else excluded.quantity end
  returning ci.quantity into v_quantity;
  if v_quantity > v_variant.stock_quantity then
    perform lib.raise_problem(lib.insufficient_stock(jsonb_build_array(jsonb_build_object(
      'product_id', v_variant.product_id, 'variant_id', v_variant.id, 'sku', v_variant.sku,
      'requested', v_quantity, 'available', v_variant.stock_quantity))));
  end if;
  return lib.cart_json(v_cart);
end
$$;
comment on function lib.set_cart_line(text, bigint, bigint, integer, boolean) is
  'Adds to (p_add) or sets the quantity of a cart line of a variant (lib.cart_variant), creating the cart '
  'when needed; never above the stock on hand (PT409 insufficient_stock). PT422 invalid_quantity.';

create or replace function api.cart_get(p_token text default null) returns json
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select lib.cart_json(lib.find_cart(p_token))
$$;
comment on function api.cart_get(text) is
  'GET /api/cart: the caller''s cart (a signed-in user''s, else the guest cart of p_token); empty when none.';

create or replace function api.cart_add_item(p_token text, p_product_id bigint, p_quantity integer,
                                             p_variant_id bigint default null) returns json
language sql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
  select lib.set_cart_line(p_token, p_product_id, p_variant_id, p_quantity, true)
$$;
comment on function api.cart_add_item(text, bigint, integer, bigint) is
  'POST /api/cart/items {product_id?, variant_id?, quantity}: adds quantity to the line of the variant (the '
  'product''s only one when no variant_id), created when missing; a guest without a live token gets a new cart '
  'and token. PT422 invalid_quantity, variant_required, PT404 not_found, PT409 insufficient_stock, '
  'variant_unavailable.';

create or replace function api.cart_set_item(p_token text, p_product_id bigint, p_quantity integer,
                                             p_variant_id bigint default null) returns json
language sql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
  select lib.set_cart_line(p_token, p_product_id, p_variant_id, p_quantity, false)
$$;
comment on function api.cart_set_item(text, bigint, integer, bigint) is
  'PUT /api/cart/items/{product_id} {quantity, variant_id?}: sets the quantity of the line of the variant (the '
  'product''s only one when no variant_id). PT422 invalid_quantity, variant_required, PT404 not_found, PT409 '
  'insufficient_stock, variant_unavailable.';

create or replace function api.cart_remove_item(p_token text, p_product_id bigint, p_variant_id bigint default null)
returns json
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_cart shop.carts := lib.find_cart(p_token);
begin
  if v_cart.id is not null then
    delete from shop.cart_items ci
    where ci.cart_id = v_cart.id
      and ci.product_id = p_product_id
      and (p_variant_id is null or ci.variant_id = p_variant_id);
    update shop.carts c
    set updated_at = now()
    where c.id = v_cart.id;
  end if;
  return lib.cart_json(v_cart);
end
$$;
comment on function api.cart_remove_item(text, bigint, bigint) is
  'DELETE /api/cart/items/{product_id}?variant_id=: removes the line of that variant, or every line of the '
  'product (removing an absent line is not an error).';

-- Merge at login: the guest cart's quantities are added to the user's, capped at the stock on hand; the
-- guest cart is deleted. A token that is unknown, malformed or expired merges nothing.
create or replace function lib.cart_merge(p_user_id bigint, p_token text) returns json
language plpgsql
volatile
as $$
declare
  v_guest shop.carts;
  v_cart bigint;
  v_adjustments json;
begin
  select * into v_guest
  from shop.carts c
  where c.token = lib.cart_token(p_token)
    and c.updated_at > lib.guest_carts_since()
  for update;
  if v_guest.id is null then
    return json_build_object('merged', false, 'adjustments', '[]'::json);
  end if;

  insert into shop.carts (user_id)
  values (p_user_id)
  on conflict (user_id) do update set updated_at = now()
  returning id into v_cart;

  -- One statement: every part sees the carts as they were before it.
  with lines as (
    select
      g.product_id,
      g.variant_id,
      g.quantity + coalesce(u.quantity, 0) as wanted,
      case when a.sellable then least(g.quantity + coalesce(u.quantity, 0), v.stock_quantity) else 0 end as quantity,
      case when not a.sellable then 'unavailable'
           when v.stock_quantity = 0 then 'out_of_stock'
           when g.quantity + coalesce(u.quantity, 0) > v.stock_quantity then 'capped_at_stock' end as reason
    from shop.cart_items g
    join shop.variants v on v.id = g.variant_id
    join shop.products p on p.id = v.product_id
    cross join lateral (select p.deleted_at is null and p.is_active and v.deleted_at is null and v.is_active
                        as sellable) a
    left join shop.cart_items u on u.cart_id = v_cart and u.variant_id = g.variant_id
    where g.cart_id = v_guest.id
  ), kept as (
    insert into shop.cart_items as ci (cart_id, product_id, variant_id, quantity)
    select v_cart, l.product_id, l.variant_id, l.quantity
    from lines l
    where l.quantity > 0
    on conflict (cart_id, variant_id) do update set quantity = excluded.quantity
  ), emptied as (
    delete from shop.cart_items ci
    using lines l
    where ci.cart_id = v_cart
      and ci.variant_id = l.variant_id
      and l.quantity = 0
  ), guest as (
    delete from shop.carts c
    where c.id = v_guest.id
  )
  select coalesce(json_agg(json_build_object(
    'product_id', l.product_id, 'variant_id', l.variant_id, 'requested', l.wanted, 'quantity', l.quantity,
    'reason', l.reason
  ) order by l.product_id, l.variant_id) filter (where l.reason is not null), '[]')
  into v_adjustments
  from lines l;
  return json_build_object('merged', true, 'adjustments', v_adjustments);
end
$$;
comment on function lib.cart_merge(bigint, text) is
  'Merges the guest cart of p_token into the user''s cart (sum per variant, capped at stock; unavailable ones '
  'dropped), deletes the guest cart and reports {merged, adjustments: [{product_id, variant_id, requested, '
  'quantity, reason}]}.';
