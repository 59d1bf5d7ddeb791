-- Inventory: low-stock list for admins. The ledger and alerts are kept by triggers on shop.products
-- (see the commerce migration), so they hold whoever changes stock.

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

