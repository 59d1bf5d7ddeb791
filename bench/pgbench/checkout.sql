-- The statement the API sends for POST /api/orders (claims + call), as buyer :first + :base + client * :stride + n.
\set n :n + 1
\set u :first + :base + :client_id * :stride + :n
with c as materialized (select set_config('request.jwt.claims', json_build_object('sub', :u::text, 'role', 'customer')::text, true)) select api.cart_checkout('{"shipping_address": {"name": "Bench Buyer", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}}'::jsonb, null) from c;
