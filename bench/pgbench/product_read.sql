-- The statement the API sends for GET /api/products/{id}, anonymous, as pgshop_api.
\set id random(:first, :last)
with c as materialized (select set_config('request.jwt.claims', '', true)) select api.product_get(:id) from c;
