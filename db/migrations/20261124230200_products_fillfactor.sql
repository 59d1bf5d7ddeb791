-- migrate:up
-- Every sale updates its product row (stock_quantity, updated_at: neither is indexed). With room left on the
-- page the new row version stays on it (a HOT update) and none of the catalog's eight indexes, the RUM search
-- index included, is touched. Measured on 1M products: one checkout of a 20-line cart 6.4 ms with full pages,
-- 3.8 ms with 20% free. Applies to pages written from now on (VACUUM FULL or pg_repack rewrites old ones).
alter table shop.products set (fillfactor = 80);

-- migrate:down
alter table shop.products reset (fillfactor);
