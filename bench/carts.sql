-- Fills the carts of generated users first_user + [from, to) for the checkout measurements, set-based:
--   psql URL -v from=0 -v to=1000 -v lines=3 -v hot=0 -f bench/carts.sql
-- lines: lines per cart, variants spread over the generated catalog (one variant per generated product, so as
-- many products); hot: a variant id to put alone in every cart instead (the hot-product race). Generated
-- variants have stock for all of them.
\set ON_ERROR_STOP 1
insert into shop.carts (user_id)
select u.id
from shop.users u
where u.email like 'gen-%'
  and u.id - (select min(id) from shop.users where email like 'gen-%') between :from and :to - 1
on conflict (user_id) do nothing;
insert into shop.cart_items (cart_id, product_id, variant_id, quantity)
select c.id, v.product_id, v.id, 1
from shop.carts c
cross join (
  select min(id) as first, max(id) - min(id) + 1 as span from shop.variants where sku like 'GEN-%'
) g
cross join generate_series(1, case when :hot > 0 then 1 else :lines end) l
join shop.variants v on v.id = case when :hot > 0 then :hot else g.first + (c.user_id * 7919 + l * 104729) % g.span end
where c.user_id - (select min(id) from shop.users where email like 'gen-%') between :from and :to - 1
on conflict (cart_id, variant_id) do nothing;
