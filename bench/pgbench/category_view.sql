select category_id, name, orders, units, revenue from reporting.sales_by_category order by revenue desc;
