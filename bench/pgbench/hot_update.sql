-- The hot-product ceiling: only the conditional stock decrement of one row (its triggers included): the hot
-- product's only variant, :hot.
update shop.variants set stock_quantity = stock_quantity - 1 where id = :hot and stock_quantity >= 1;
