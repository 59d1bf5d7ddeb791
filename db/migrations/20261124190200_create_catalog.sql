-- migrate:up
create table shop.categories (
  id bigint generated always as identity primary key,
  name varchar(100) not null,
  description text,
  parent_id bigint references shop.categories (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint categories_name_not_blank check (btrim(name) <> ''),
  constraint categories_not_own_parent check (parent_id <> id)
);
create unique index categories_name_lower_key on shop.categories (lower(name));
create index categories_parent_id_idx on shop.categories (parent_id);
create trigger tg_categories__set_updated_at
  before update on shop.categories
  for each row execute function shop.tg__set_updated_at();

-- A category may not become its own ancestor.
create function shop.tg_categories__no_cycle() returns trigger
language plpgsql
as $$
begin
  if new.parent_id is not null and exists (
    with recursive up (id, parent_id) as (
      select c.id, c.parent_id from shop.categories c where c.id = new.parent_id
      union
      select c.id, c.parent_id from shop.categories c join up on c.id = up.parent_id
    )
    select from up where up.id = new.id
  ) then
    raise exception using
      errcode = 'PT422', message = 'category_cycle',
      detail = format('category %s cannot be placed under its own descendant %s', new.id, new.parent_id);
  end if;
  return new;
end
$$;
comment on function shop.tg_categories__no_cycle() is 'Trigger: refuses a parent_id that would make the category tree cyclic.';
create trigger tg_categories__no_cycle
  before update of parent_id on shop.categories
  for each row execute function shop.tg_categories__no_cycle();

comment on table shop.categories is 'Category tree (parent_id); product filters include the whole subtree.';
comment on column shop.categories.name is 'Unique regardless of letter case.';
comment on column shop.categories.parent_id is 'Parent category; null for a root.';

create table shop.products (
  id bigint generated always as identity primary key,
  name varchar(255) not null,
  description text,
  price numeric(12, 2) not null,
  category_id bigint references shop.categories (id),
  stock_quantity integer not null default 0,
  sku varchar(100) not null,
  is_active boolean not null default true,
  metadata jsonb not null default '{}',
  low_stock_threshold integer not null default 5,
  search tsvector generated always as (
    setweight(to_tsvector('english', coalesce(name, '')), 'A')
    || setweight(to_tsvector('english', coalesce(description, '')), 'B')
  ) stored,
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint products_name_not_blank check (btrim(name) <> ''),
  constraint products_sku_not_blank check (btrim(sku) <> ''),
  constraint products_price_not_negative check (price >= 0),
  constraint products_stock_not_negative check (stock_quantity >= 0),
  constraint products_low_stock_threshold_not_negative check (low_stock_threshold >= 0),
  constraint products_metadata_is_object check (jsonb_typeof(metadata) = 'object')
);
-- SKUs are unique among live products; a soft-deleted product frees its SKU.
create unique index products_sku_live_key on shop.products (sku) where deleted_at is null;
create index products_search_idx on shop.products using gin (search);
create index products_name_trgm_idx on shop.products using gin (name gin_trgm_ops);
-- Keyset pagination: one index per sort order, over the rows lists can show.
create index products_category_idx on shop.products (category_id) where deleted_at is null;
create index products_price_idx on shop.products (price, id) where deleted_at is null and is_active;
create index products_newest_idx on shop.products (created_at, id) where deleted_at is null and is_active;
create index products_name_idx on shop.products (name, id) where deleted_at is null and is_active;
create trigger tg_products__set_updated_at
  before update on shop.products
  for each row execute function shop.tg__set_updated_at();

comment on table shop.products is 'The catalog. Soft-deleted rows (deleted_at) stay for past orders but disappear from reads.';
comment on column shop.products.price is 'Current unit price; orders snapshot it.';
comment on column shop.products.stock_quantity is 'Units on hand; never negative.';
comment on column shop.products.low_stock_threshold is 'At or below this stock the product counts as low on stock.';
comment on column shop.products.search is 'Full-text vector: name weight A, description weight B (english).';
comment on column shop.products.deleted_at is 'Soft delete: set when an admin deletes the product.';

-- migrate:down
drop table shop.products;
drop table shop.categories;
drop function shop.tg_categories__no_cycle();
