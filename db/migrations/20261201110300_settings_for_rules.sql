-- migrate:up
-- Business constants the functions used to repeat become settings, each stated once (shop.settings).
insert into shop.settings (name, value, default_value, type, minimum, maximum, description) values
  ('guest_cart_lifetime', '30 days', '30 days', 'interval', '1 hour', null,
   'A guest cart idle this long reads as empty and is purged.'),
  ('page_size_max', '100', '100', 'integer', '1', '10000',
   'The largest limit a list accepts (products, orders, audit, top products); the smallest is 1. A list''s '
   'default page size never exceeds it.'),
  ('sales_report_max_days', '3660', '3660', 'integer', '1', null,
   'The longest range, in days, of the per-day sales report (one row per day).'),
  ('products_report_max_days', '36600', '36600', 'integer', '1', null,
   'The longest range, in days, of the top-products report computed from the orders.'),
  ('password_hash_cost', '10', '10', 'integer', '4', '31',
   'bcrypt cost of new password hashes, 4 to 31 (each step doubles the work of a login and of a guess).');

-- migrate:down
select shop.drop_function_layer();
delete from shop.settings
where name in ('guest_cart_lifetime', 'page_size_max', 'sales_report_max_days', 'products_report_max_days',
               'password_hash_cost');
