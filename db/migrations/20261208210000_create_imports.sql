-- migrate:up
-- Catalog import and export (CSV through COPY, db/functions/22_catalog_import.sql). A product gets a handle,
-- the stable name a file gives it (product_handle): lower-case words joined by hyphens, unique among live
-- products. Existing products get one from their name and id. shop.imports records each import: who, when,
-- the file's SHA-256, what it did or why it was refused. An applied file's hash is unique, so the same file
-- applied twice, even at the same moment, changes the catalog once.
-- The handle is filled in and constrained in this one transaction (a short lock on shop.products, as the
-- variants migration before it takes):
-- squawk-ignore-file adding-not-nullable-field, constraint-missing-not-valid, require-concurrent-index-creation
alter table shop.products add column handle text;
alter table shop.products disable trigger user;  -- a new column filled in: no change to log or announce
update shop.products p
set handle = coalesce(nullif(btrim(left(regexp_replace(lower(p.name), '[^a-z0-9]+', '-', 'g'), 200), '-'), ''), 'product')
             || '-' || p.id;
alter table shop.products enable trigger user;
alter table shop.products alter column handle set not null;
alter table shop.products add constraint products_handle_format
  check (handle ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(handle) <= 255);
create unique index products_handle_live_key on shop.products (handle) where deleted_at is null;
comment on column shop.products.handle is
  'The product''s stable name in files and URLs: lower-case letters and digits in words joined by hyphens, unique '
  'among live products (one is made from the name and id when none is given).';

create table shop.imports (
  id bigint generated always as identity primary key,
  status text not null,
  sha256 text not null,
  user_id bigint,
  db_role text not null default session_user,
  filename text,
  rows integer not null default 0,
  created integer not null default 0,
  updated integer not null default 0,
  unchanged integer not null default 0,
  changes jsonb not null default '[]',
  errors jsonb not null default '[]',
  error_count integer not null default 0,
  created_at timestamptz not null default now(),
  constraint imports_status_known check (status in ('applied', 'dry_run', 'duplicate', 'refused')),
  constraint imports_sha256_format check (sha256 ~ '^[0-9a-f]{64}$'),
  constraint imports_lists check (jsonb_typeof(changes) = 'array' and jsonb_typeof(errors) = 'array'),
  constraint imports_counts_not_negative check (least(rows, created, updated, unchanged, error_count) >= 0)
);
create unique index imports_applied_sha256_key on shop.imports (sha256) where status = 'applied';
create index imports_created_at_idx on shop.imports (created_at desc, id desc);
comment on table shop.imports is
  'Each catalog import: applied, dry_run (what it would change), duplicate (a file already applied: nothing '
  'done) or refused (its errors; nothing applied). user_id is the admin who sent it (null from the pgshop '
  'command, run by a database role that may write the catalog itself: db_role).';
comment on column shop.imports.user_id is
  'The admin (shop.users.id; no foreign key, so that imports can stay on the coordinator when users are sharded).';
comment on column shop.imports.changes is 'The first 100 differences: [{row, sku, action, fields}].';
comment on column shop.imports.errors is 'The first 1,000 errors: [{row, column, code, message}].';

insert into shop.settings (name, value, default_value, type, minimum, maximum, description) values
  ('import_timeout', '30 minutes', '30 minutes', 'interval', '1 second', null,
   'The statement timeout of a catalog import''s COPY and apply (the API''s role otherwise has 10 s).');

-- migrate:down
select shop.drop_function_layer();
delete from shop.settings where name = 'import_timeout';
drop table shop.imports;
alter table shop.products drop column handle;
