-- migrate:up transaction:false
-- The RUM index (previous migration) serves every full-text query; the GIN index only cost writes.
-- squawk-ignore ban-concurrent-index-creation-in-transaction
drop index concurrently if exists shop.products_search_idx;

-- migrate:down transaction:false
create index concurrently if not exists products_search_idx on shop.products using gin (search);
