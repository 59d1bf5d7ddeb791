-- migrate:up transaction:false
-- The expiry job looks for pending orders older than order_payment_window every minute: a small index of
-- just those, built without locking orders (CONCURRENTLY must be alone in its file, outside a transaction).
-- squawk-ignore ban-concurrent-index-creation-in-transaction
create index concurrently if not exists orders_pending_created_at_idx on shop.orders (created_at)
  where status = 'pending';

-- migrate:down
-- In a transaction, so that the layer goes first, as in every down (a rollback is a development step).
select shop.drop_function_layer();
drop index if exists shop.orders_pending_created_at_idx;
