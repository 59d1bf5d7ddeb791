-- migrate:up
-- Checkout writes the order lines before it takes the product rows (so those stay locked only for the
-- decrement and the commit). An immediate foreign key check takes FOR KEY SHARE on each product as a line is
-- inserted: on a hot product every concurrent buyer then shares the row through a multixact, and each sale
-- has to rewrite it (measured: 64 buyers of one product, 120 against 430 orders/s). Deferred, the check runs
-- at commit, when the transaction already holds the row it sold.
alter table shop.order_items
  alter constraint order_items_product_id_fkey deferrable initially deferred;

-- migrate:down
alter table shop.order_items
  alter constraint order_items_product_id_fkey not deferrable;
