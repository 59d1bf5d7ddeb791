-- migrate:up
-- Validates what the previous migration added NOT VALID, in a transaction of its own (reads and writes go on).
alter table shop.orders validate constraint orders_currency_known;
alter table shop.order_status_history validate constraint order_status_history_actor_known;

-- migrate:down
select shop.drop_function_layer();
-- Nothing else to undo: the previous migration's down drops the constraints.
