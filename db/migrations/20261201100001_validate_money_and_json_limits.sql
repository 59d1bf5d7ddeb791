-- migrate:up
-- Validates the constraints the previous migration added NOT VALID, in a transaction of its own: VALIDATE
-- takes a lock that lets reads and writes go on while existing rows are checked.
alter table shop.products validate constraint products_price_finite;
alter table shop.orders validate constraint orders_total_finite;
alter table shop.order_items validate constraint order_items_prices_finite;
alter table shop.daily_sales validate constraint daily_sales_revenue_finite;
alter table shop.products validate constraint products_metadata_limits;

-- migrate:down
-- Nothing to undo: the previous migration's down drops the constraints.
