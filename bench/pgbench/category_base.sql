-- The question reporting.sales_by_category answers, asked of the base tables.
with recursive subtree (category_id, member_id) as (
  select c.id, c.id from shop.categories c
  union all
  select s.category_id, c.id from subtree s join shop.categories c on c.parent_id = s.member_id
), sold as (
  select p.category_id, oi.order_id, oi.quantity, oi.total_price
  from shop.order_items oi join shop.orders o on o.id = oi.order_id join shop.products p on p.id = oi.product_id
  where o.status in ('paid', 'shipped', 'delivered')
)
select c.id, c.name, count(distinct sold.order_id), coalesce(sum(sold.quantity), 0), coalesce(sum(sold.total_price), 0)
from shop.categories c join subtree st on st.category_id = c.id left join sold on sold.category_id = st.member_id
group by c.id, c.name order by 5 desc;
