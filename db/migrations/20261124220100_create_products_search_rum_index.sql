-- migrate:up transaction:false
-- Search that scales with the catalog: a RUM index returns the best-ranked matches straight from the index
-- (ORDER BY search <=> query), where GIN had to fetch and rank every match. Built without locking the
-- catalog; CONCURRENTLY must be alone in its file, outside a transaction.
-- squawk-ignore ban-concurrent-index-creation-in-transaction
create index concurrently if not exists products_search_rum_idx on shop.products
  using rum (search rum_tsvector_ops)
  where deleted_at is null and is_active;

-- migrate:down transaction:false
drop index concurrently if exists shop.products_search_rum_idx;
