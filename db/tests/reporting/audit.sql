-- audit.log: the generic statement-level trigger on users, categories, products, variants and orders (changed
-- columns only; never password_hash, search, the derived price and in_stock, combination or updated_at), who made the change, append-only; and
-- api.audit_list (admin, newest first, keyset pages). Since variants (migration 20261208200000) a product's SKU,
-- price and stock are its variants': their changes are logged on shop.variants; the product's price and in_stock,
-- derived from them, are not logged (like search).
begin;
select * from no_plan();
\ir ../helpers.psql

-- mark() remembers the newest audit row; logged() returns the rows written since, oldest first, without
-- transaction_id and at (checked on their own). Superuser only.
create function pg_temp.mark() returns void
language sql as $$
  select set_config('tests.mark', (select coalesce(max(l.id), 0) from audit.log l)::text, true)
$$;
create function pg_temp.logged() returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(jsonb_build_object(
    'table', l.table_name, 'row_id', l.row_id, 'operation', l.operation, 'old', l.old_values, 'new', l.new_values,
    'actor_id', l.actor_id, 'db_role', l.db_role) order by l.id), '[]')
  from audit.log l
  where l.id > current_setting('tests.mark')::bigint
$$;
create function pg_temp.entry(p_table text, p_row bigint, p_operation text, p_old jsonb, p_new jsonb, p_actor bigint)
returns jsonb
language sql stable as $$
  select jsonb_build_object('table', p_table, 'row_id', p_row, 'operation', p_operation, 'old', p_old, 'new', p_new,
                            'actor_id', p_actor, 'db_role', session_user)
$$;
-- pages(table, id, limit): the ids api.audit_list returns following next_cursor to the end.
create function pg_temp.pages(p_table text, p_id bigint, p_limit integer) returns bigint[]
language plpgsql as $$
declare
  v_page json;
  v_cursor text;
  v_ids bigint[] := '{}';
  v_pages integer := 0;
begin
  loop
    v_page := api.audit_list(p_table, p_id, p_limit, v_cursor);
    v_ids := v_ids || array(select (i ->> 'id')::bigint from json_array_elements(v_page -> 'items') i);
    v_cursor := v_page ->> 'next_cursor';
    v_pages := v_pages + 1;
    exit when v_cursor is null or v_pages > 1000;
  end loop;
  return v_ids;
end
$$;

-- The triggers ---------------------------------------------------------------------------------------------
select has_trigger('shop', 'users', '_500_audit_insert', 'shop.users has trigger _500_audit_insert');
select has_trigger('shop', 'users', '_500_audit_update', 'shop.users has trigger _500_audit_update');
select has_trigger('shop', 'users', '_500_audit_delete', 'shop.users has trigger _500_audit_delete');
select has_trigger('shop', 'categories', '_500_audit_insert', 'shop.categories has trigger _500_audit_insert');
select has_trigger('shop', 'categories', '_500_audit_update', 'shop.categories has trigger _500_audit_update');
select has_trigger('shop', 'categories', '_500_audit_delete', 'shop.categories has trigger _500_audit_delete');
select has_trigger('shop', 'products', '_500_audit_insert', 'shop.products has trigger _500_audit_insert');
select has_trigger('shop', 'products', '_500_audit_update', 'shop.products has trigger _500_audit_update');
select has_trigger('shop', 'products', '_500_audit_delete', 'shop.products has trigger _500_audit_delete');
select has_trigger('shop', 'variants', '_500_audit_insert', 'shop.variants has trigger _500_audit_insert');
select has_trigger('shop', 'variants', '_500_audit_update', 'shop.variants has trigger _500_audit_update');
select has_trigger('shop', 'variants', '_500_audit_delete', 'shop.variants has trigger _500_audit_delete');
select has_trigger('shop', 'orders', '_500_audit_insert', 'shop.orders has trigger _500_audit_insert');
select has_trigger('shop', 'orders', '_500_audit_update', 'shop.orders has trigger _500_audit_update');
select has_trigger('shop', 'orders', '_500_audit_delete', 'shop.orders has trigger _500_audit_delete');
select results_eq(
  $$select c.relname::text collate "default",
           case when t.tgtype & 4 <> 0 then 'INSERT' when t.tgtype & 16 <> 0 then 'UPDATE' else 'DELETE' end,
           t.tgtype & (1 | 2 | 64) = 0 as after_statement,
           rtrim(replace(encode(t.tgargs, 'escape'), '\000', ','), ',')
    from pg_trigger t
    join pg_class c on c.oid = t.tgrelid
    where t.tgfoid = 'audit.tg__log()'::regprocedure
    order by 1, 2$$,
  $$values ('categories', 'DELETE', true, ''), ('categories', 'INSERT', true, ''), ('categories', 'UPDATE', true, ''),
           ('orders', 'DELETE', true, ''), ('orders', 'INSERT', true, ''), ('orders', 'UPDATE', true, ''),
           ('products', 'DELETE', true, 'search,price,in_stock'), ('products', 'INSERT', true, 'search,price,in_stock'),
           ('products', 'UPDATE', true, 'search,price,in_stock'),
           ('users', 'DELETE', true, 'password_hash'), ('users', 'INSERT', true, 'password_hash'),
           ('users', 'UPDATE', true, 'password_hash'),
           ('variants', 'DELETE', true, 'combination'), ('variants', 'INSERT', true, 'combination'),
           ('variants', 'UPDATE', true, 'combination')$$,
  'audit.tg__log runs after each insert, update and delete statement on exactly users, categories, products, '
  'variants, orders; users skip password_hash, products skip search, price and in_stock, variants skip combination '
  '(all derived)');
select has_trigger('audit', 'log', '_100_append_only', 'audit.log has trigger _100_append_only');
select columns_are('audit', 'log',
  array['id', 'table_name', 'row_id', 'operation', 'old_values', 'new_values', 'actor_id', 'db_role',
        'transaction_id', 'at']);

-- Set-up -----------------------------------------------------------------------------------------------------
select pg_temp.act_as(null);
do $$
begin
  perform set_config('tests.start', (select coalesce(max(l.id), 0) from audit.log l)::text, true);
  perform pg_temp.new_user('admin', 'zqxwv-aud-admin@zqxwv.test', 'Ad', 'Min', 'admin');
  perform pg_temp.mark();
  perform pg_temp.new_user('customer', 'zqxwv-aud-c@zqxwv.test', 'Cus', 'Tomer');
end
$$;

-- Users ---------------------------------------------------------------------------------------------------------
select is(pg_temp.logged(),
  jsonb_build_array(pg_temp.entry('users', pg_temp.id('customer'), 'INSERT', null,
    (select to_jsonb(u) - 'password_hash' - 'updated_at' from shop.users u where u.id = pg_temp.id('customer')), null)),
  'inserting a user logs INSERT with the whole row except password_hash and updated_at; by hand: no actor, db_role the login');
select is(
  (select count(*) from audit.log l where l.table_name = 'users' and l.row_id = pg_temp.id('customer')
     and (l.new_values ? 'password_hash' or l.old_values ? 'password_hash')), 0::bigint,
  'the user''s audit rows carry no password_hash');

select pg_temp.mark();
set local role pgshop_api;
select pg_temp.keep('registered', api.user_register('zqxwv-aud-reg@zqxwv.test', 'password123', 'Reg', 'Istered'));
reset role;
select is(pg_temp.logged(),
  jsonb_build_array(pg_temp.entry('users', pg_temp.id('registered'), 'INSERT', null,
    (select to_jsonb(u) - 'password_hash' - 'updated_at' from shop.users u where u.id = pg_temp.id('registered')), null)),
  'api.user_register logs the INSERT without password_hash (anonymous: no actor)');

select pg_temp.mark();
do $$ begin perform set_config('tests.registered.row', (select (to_jsonb(u) - 'password_hash' - 'updated_at')::text
  from shop.users u where u.id = pg_temp.id('registered')), true); end $$;
delete from shop.users where id = pg_temp.id('registered');
select is(pg_temp.logged(),
  jsonb_build_array(pg_temp.entry('users', pg_temp.id('registered'), 'DELETE',
    current_setting('tests.registered.row')::jsonb, null, null)),
  'deleting a user logs DELETE with the row in old_values, without password_hash');

select pg_temp.mark();
update shop.users set password_hash = public.crypt('another-password', public.gen_salt('bf', 4))
where id = pg_temp.id('customer');
select is(pg_temp.logged(), '[]'::jsonb, 'changing only the password hash logs nothing');

select pg_temp.mark();
update shop.users set password_hash = public.crypt('third-password', public.gen_salt('bf', 4)), first_name = 'Cussy'
where id = pg_temp.id('customer');
select is(pg_temp.logged(),
  jsonb_build_array(pg_temp.entry('users', pg_temp.id('customer'), 'UPDATE', '{"first_name": "Cus"}', '{"first_name": "Cussy"}', null)),
  'changing the password and the first name logs the first name only');

-- Set-up: a category and products, by hand ---------------------------------------------------------------------
do $$
declare
  v_id bigint;
begin
  insert into shop.categories (name) values ('Zqxwv Audit Cat') returning id into v_id;
  perform set_config('tests.cat', v_id::text, true);
  -- Each with its one variant (va, vb, vd): the product first, then the variant.
  perform set_config('tests.a', pg_temp.new_product('Zqxwv Audit A', 10.00, 'ZQXWV-AUD-A', 10, pg_temp.id('cat'))::text, true);
  perform set_config('tests.b', pg_temp.new_product('Zqxwv Audit B', 2.50, 'ZQXWV-AUD-B', 5)::text, true);
  perform set_config('tests.d', pg_temp.new_product('Zqxwv Audit D', 1.00, 'ZQXWV-AUD-D', 0)::text, true);
  perform set_config('tests.v' || k, pg_temp.variant_of(pg_temp.id(k))::text, true) from unnest(array['a', 'b', 'd']) k;
end
$$;
select is(
  (select jsonb_agg(jsonb_build_array(l.table_name, l.operation, l.old_values, l.new_values) order by l.id)
   from audit.log l
   where (l.table_name = 'products' and l.row_id = pg_temp.id('a')) or (l.table_name = 'variants' and l.row_id = pg_temp.id('va'))),
  (select jsonb_build_array(
     jsonb_build_array('products', 'INSERT', null, to_jsonb(p) - 'search' - 'price' - 'in_stock' - 'updated_at'),
     jsonb_build_array('variants', 'INSERT', null, to_jsonb(v) - 'combination' - 'updated_at'))
   from shop.products p join shop.variants v on v.product_id = p.id where p.id = pg_temp.id('a')),
  'inserting a product logs the row without search, price, in_stock and updated_at; its variant''s insert logs the '
  'variant without combination and updated_at; the price and in_stock the product then takes from it log nothing');

-- Products: changed columns only, who did it ---------------------------------------------------------------------
select pg_temp.mark();
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
do $$ begin perform api.product_update(pg_temp.id('a'), '{"price": "12.50"}'); end $$;
reset role;
select is(pg_temp.logged(),
  jsonb_build_array(
    pg_temp.entry('variants', pg_temp.id('va'), 'UPDATE', '{"price": 10.00}', '{"price": 12.50}', pg_temp.id('admin'))),
  'api.product_update of the price logs old {"price": 10.00}, new {"price": 12.50} only, on the default variant (the '
  'product''s derived price is not logged); actor = the admin, db_role = the login');
select is(
  (select array_agg(distinct l.db_role) from audit.log l where l.id > current_setting('tests.mark')::bigint),
  array[session_user::text],
  'db_role is the session user (the login), not the role of the security definer function');

select pg_temp.mark();
set local role pgshop_api;
do $$ begin perform api.product_update(pg_temp.id('a'), '{"name": "Zqxwv Audit A2", "description": "Now with words"}'); end $$;
reset role;
select is(pg_temp.logged(),
  jsonb_build_array(pg_temp.entry('products', pg_temp.id('a'), 'UPDATE',
    '{"name": "Zqxwv Audit A", "description": null}', '{"name": "Zqxwv Audit A2", "description": "Now with words"}',
    pg_temp.id('admin'))),
  'a name and description change logs those two, not the search vector derived from them');

select pg_temp.mark();
set local role pgshop_api;
do $$ begin perform api.product_update(pg_temp.id('a'), '{}'); end $$;
do $$ begin perform api.product_update(pg_temp.id('a'), '{"price": "12.50"}'); end $$;
reset role;
select is(pg_temp.logged(), '[]'::jsonb, 'an update that changes nothing (only updated_at moves) logs nothing');

select pg_temp.mark();
select pg_temp.act_as(null);
update shop.products set name = name, price = price, updated_at = now() - interval '1 day' where id = pg_temp.id('a');
update shop.variants set sku = sku, price = price, stock_quantity = stock_quantity, combination = 'zqxwv'
where id = pg_temp.id('va');
select is(pg_temp.logged(), '[]'::jsonb,
  'a raw update setting columns to their values logs nothing (nor one of the derived combination, kept as it was)');

select pg_temp.mark();
update shop.variants set stock_quantity = 20 where id = pg_temp.id('va');
select is(pg_temp.logged(),
  jsonb_build_array(pg_temp.entry('variants', pg_temp.id('va'), 'UPDATE', '{"stock_quantity": 10}', '{"stock_quantity": 20}', null)),
  'a raw update by the superuser: actor_id null, db_role the login (a stock change that leaves the product in stock '
  'logs nothing on the product)');
select is((select l.db_role from audit.log l where l.id > current_setting('tests.mark')::bigint), 'postgres',
  'db_role of a raw update run as postgres is postgres');

select pg_temp.mark();
update shop.products set is_active = false where id in (pg_temp.id('b'), pg_temp.id('d'));
select is(pg_temp.logged(),
  jsonb_build_array(
    pg_temp.entry('products', pg_temp.id('b'), 'UPDATE', '{"is_active": true}', '{"is_active": false}', null),
    pg_temp.entry('products', pg_temp.id('d'), 'UPDATE', '{"is_active": true}', '{"is_active": false}', null)),
  'one statement changing two rows logs one row each, in id order');
update shop.products set is_active = true where id in (pg_temp.id('b'), pg_temp.id('d'));

select pg_temp.mark();
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
do $$ begin perform api.product_delete(pg_temp.id('d')); end $$;
reset role;
select is(pg_temp.logged(),
  jsonb_build_array(
    pg_temp.entry('variants', pg_temp.id('vd'), 'UPDATE', '{"deleted_at": null}', jsonb_build_object('deleted_at', now()),
                  pg_temp.id('admin')),
    pg_temp.entry('products', pg_temp.id('d'), 'UPDATE', '{"deleted_at": null}', jsonb_build_object('deleted_at', now()),
                  pg_temp.id('admin'))),
  'a soft delete logs deleted_at: null -> the time, of the product and of its variant (deleted with it first)');

-- Orders: checkout, status changes ----------------------------------------------------------------------------------
select pg_temp.mark();
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('customer'));
do $$ begin perform api.cart_add_item(null, pg_temp.id('a'), 2); perform api.cart_add_item(null, pg_temp.id('b'), 1); end $$;
select pg_temp.keep('o1', pg_temp.checkout(pg_temp.addr('Zqxwv Buyer')));
reset role;
select is(pg_temp.logged(),
  jsonb_build_array(
    pg_temp.entry('orders', pg_temp.id('o1'), 'INSERT', null,
      (select to_jsonb(o) - 'updated_at' from shop.orders o where o.id = pg_temp.id('o1')), pg_temp.id('customer')),
    pg_temp.entry('variants', pg_temp.id('va'), 'UPDATE', '{"stock_quantity": 20}', '{"stock_quantity": 18}', pg_temp.id('customer')),
    pg_temp.entry('variants', pg_temp.id('vb'), 'UPDATE', '{"stock_quantity": 5}', '{"stock_quantity": 4}', pg_temp.id('customer'))),
  'checkout logs the order INSERT (whole row) and each variant''s stock_quantity change; actor = the customer');
select is(
  (select l.new_values - 'id' - 'created_at' - 'shipping_address' from audit.log l
   where l.table_name = 'orders' and l.row_id = pg_temp.id('o1') and l.operation = 'INSERT'),
  jsonb_build_object('user_id', pg_temp.id('customer'), 'status', 'pending', 'currency', 'USD', 'total_amount', 27.50),
  'the order INSERT row: user_id, status pending, currency USD, total_amount 27.50 (and no updated_at)');

select pg_temp.pay(pg_temp.id('o1'));
select pg_temp.mark();
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
do $$ begin perform api.order_set_status(pg_temp.id('o1'), 'paid'); end $$;
reset role;
select is(pg_temp.logged(),
  jsonb_build_array(pg_temp.entry('orders', pg_temp.id('o1'), 'UPDATE', '{"status": "pending"}', '{"status": "paid"}', pg_temp.id('admin'))),
  'a status change logs status old/new only; actor = the admin');

set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('customer'));
do $$ begin perform api.cart_add_item(null, pg_temp.id('a'), 3); end $$;
select pg_temp.keep('o2', pg_temp.checkout(pg_temp.addr('Zqxwv Buyer')));
reset role;
select pg_temp.mark();
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
do $$ begin perform api.order_set_status(pg_temp.id('o2'), 'cancelled'); end $$;
reset role;
select is(
  (select jsonb_agg(e order by e ->> 'table') from jsonb_array_elements(pg_temp.logged()) e),
  jsonb_build_array(
    pg_temp.entry('orders', pg_temp.id('o2'), 'UPDATE', '{"status": "pending"}', '{"status": "cancelled"}', pg_temp.id('admin')),
    pg_temp.entry('variants', pg_temp.id('va'), 'UPDATE', '{"stock_quantity": 15}', '{"stock_quantity": 18}', pg_temp.id('admin'))),
  'a cancellation logs the status change and the stock returned; actor = the admin');

-- Categories ----------------------------------------------------------------------------------------------------
select pg_temp.mark();
set local role pgshop_api;
select pg_temp.keep('cat2', api.category_create('Zqxwv Audit Cat 2'));
reset role;
select is(pg_temp.logged(),
  jsonb_build_array(pg_temp.entry('categories', pg_temp.id('cat2'), 'INSERT', null,
    (select to_jsonb(c) - 'updated_at' from shop.categories c where c.id = pg_temp.id('cat2')), pg_temp.id('admin'))),
  'api.category_create logs the INSERT; actor = the admin');
select pg_temp.act_as(null);
select pg_temp.mark();
update shop.categories set parent_id = pg_temp.id('cat') where id = pg_temp.id('cat2');
select is(pg_temp.logged(),
  jsonb_build_array(pg_temp.entry('categories', pg_temp.id('cat2'), 'UPDATE', '{"parent_id": null}',
    jsonb_build_object('parent_id', pg_temp.id('cat')), null)),
  'moving a category logs parent_id old/new');
select pg_temp.mark();
do $$ begin perform set_config('tests.cat2.row', (select (to_jsonb(c) - 'updated_at')::text from shop.categories c where c.id = pg_temp.id('cat2')), true); end $$;
delete from shop.categories where id = pg_temp.id('cat2');
select is(pg_temp.logged(),
  jsonb_build_array(pg_temp.entry('categories', pg_temp.id('cat2'), 'DELETE', current_setting('tests.cat2.row')::jsonb, null, null)),
  'deleting a category logs DELETE with the whole row in old_values');

-- Every row: this transaction, this time; never password_hash, derived columns or updated_at ------------------------
select is_empty(
  $$select l.id from audit.log l
    where l.id > current_setting('tests.start')::bigint
      and (l.transaction_id <> txid_current() or l.at <> now())$$,
  'every row written here has transaction_id = txid_current() and at = now()');
select isnt_empty(
  $$select from audit.log l where l.id > current_setting('tests.start')::bigint$$, '... and there are such rows');
select is_empty(
  $$select l.id from audit.log l
    where (l.table_name = 'users' and (l.old_values ? 'password_hash' or l.new_values ? 'password_hash'))
       or (l.table_name = 'products' and (l.old_values ?| array['search', 'price', 'in_stock']
                                          or l.new_values ?| array['search', 'price', 'in_stock']))
       or (l.table_name = 'variants' and (l.old_values ? 'combination' or l.new_values ? 'combination'))
       or l.old_values ? 'updated_at' or l.new_values ? 'updated_at'$$,
  'no audit row anywhere holds password_hash, search, a product''s price or in_stock, combination or updated_at');
select is_empty(
  $$select l.id from audit.log l
    where (l.operation = 'INSERT' and (l.old_values is not null or l.new_values is null))
       or (l.operation = 'DELETE' and (l.old_values is null or l.new_values is not null))
       or (l.operation = 'UPDATE' and (l.old_values is null or l.new_values is null
                                       or array(select jsonb_object_keys(l.old_values) order by 1)
                                          <> array(select jsonb_object_keys(l.new_values) order by 1)))$$,
  'INSERT rows have only new_values, DELETE rows only old_values, UPDATE rows the same keys in both');

-- Append-only -------------------------------------------------------------------------------------------------------
select throws_ok($$update audit.log set actor_id = null where id = (select max(id) from audit.log)$$, 'PT409', 'append_only',
  'update audit.log -> PT409 append_only (even for the superuser)');
select throws_ok($$delete from audit.log where id = (select max(id) from audit.log)$$, 'PT409', 'append_only',
  'delete from audit.log -> PT409 append_only');
select throws_ok('truncate audit.log', 'PT409', 'append_only', 'truncate audit.log -> PT409 append_only');
select throws_ok($$update audit.log set actor_id = null where false$$, 'PT409', 'append_only',
  'even an update of no row -> PT409 append_only');

-- api.audit_list -------------------------------------------------------------------------------------------------------
do $$
begin
  perform set_config('tests.a.ids', (select array_agg(l.id order by l.id desc)
    from audit.log l where l.table_name = 'products' and l.row_id = pg_temp.id('a'))::text, true);
  perform set_config('tests.va.ids', (select array_agg(l.id order by l.id desc)
    from audit.log l where l.table_name = 'variants' and l.row_id = pg_temp.id('va'))::text, true);
  perform set_config('tests.va.newest', (select jsonb_build_object('id', l.id, 'operation', l.operation,
      'old_values', l.old_values, 'new_values', l.new_values, 'actor_id', l.actor_id, 'db_role', l.db_role,
      'transaction_id', l.transaction_id, 'at', l.at)::text
    from audit.log l where l.table_name = 'variants' and l.row_id = pg_temp.id('va') order by l.id desc limit 1), true);
  perform set_config('tests.other_cursor', lib.cursor_encode('newest', now()::text, 1), true);
  perform set_config('tests.missing', ((select max(id) from shop.products) + 1000)::text, true);
end
$$;
select is(cardinality(current_setting('tests.a.ids')::bigint[]), 2,
  'set-up: product A has 2 audit rows (insert, name)');
select is(cardinality(current_setting('tests.va.ids')::bigint[]), 6,
  'set-up: its variant has 6 (insert, price, stock by hand, two sales, a cancellation)');

set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select is(
  array(select (i ->> 'id')::bigint from json_array_elements(api.audit_list('products', pg_temp.id('a')) -> 'items') i),
  current_setting('tests.a.ids')::bigint[],
  'audit_list (admin): every row of the product, newest first');
select is(
  array(select (i ->> 'id')::bigint from json_array_elements(api.audit_list('variants', pg_temp.id('va')) -> 'items') i),
  current_setting('tests.va.ids')::bigint[],
  'audit_list (admin) of a variant: every row of the variant, newest first');
select is(
  api.audit_list('variants', pg_temp.id('va'))::jsonb -> 'items' -> 0,
  current_setting('tests.va.newest')::jsonb,
  'audit_list: an item is {id, operation, old_values, new_values, actor_id, db_role, transaction_id, at}');
select is(api.audit_list('variants', pg_temp.id('va'))::jsonb -> 'next_cursor', 'null'::jsonb,
  'audit_list: next_cursor is null when everything fits');
select is(pg_temp.pages('variants', pg_temp.id('va'), 1), current_setting('tests.va.ids')::bigint[],
  'audit_list: pages of 1 following next_cursor visit every row once, newest first');
select is(pg_temp.pages('variants', pg_temp.id('va'), 4), current_setting('tests.va.ids')::bigint[],
  'audit_list: pages of 4 following next_cursor visit every row once, newest first');
select is(pg_temp.pages('products', pg_temp.id('a'), 1), current_setting('tests.a.ids')::bigint[],
  'audit_list: pages of 1 of the product''s rows: every row once, newest first');
select is(json_array_length(api.audit_list('variants', pg_temp.id('va'), 2) -> 'items'), 2, 'audit_list: the limit applies');
select is(
  array(select i ->> 'operation' from json_array_elements(api.audit_list('users', pg_temp.id('customer')) -> 'items') i),
  array['UPDATE', 'INSERT'], 'audit_list for a user: its update and its insert');
select is(
  (select count(*) from json_array_elements(api.audit_list('users', pg_temp.id('customer')) -> 'items') i
   where (i -> 'new_values')::jsonb ? 'password_hash' or (i -> 'old_values')::jsonb ? 'password_hash'),
  0::bigint, 'audit_list for a user shows no password_hash');
select is(
  array(select i ->> 'operation' from json_array_elements(api.audit_list('orders', pg_temp.id('o1')) -> 'items') i),
  array['UPDATE', 'INSERT'], 'audit_list for an order: paid, then its creation');
select is(api.audit_list('products', pg_temp.id('missing'))::jsonb, '{"items": [], "next_cursor": null}'::jsonb,
  'audit_list: a row without history -> no items');
select throws_ok(format($$select api.audit_list('payments', %s)$$, pg_temp.id('a')), 'PT422', 'invalid_table',
  'audit_list: an unknown table -> PT422 invalid_table');
select throws_ok(format($$select api.audit_list('log', %s)$$, pg_temp.id('a')), 'PT422', 'invalid_table',
  'audit_list: a table that is not audited -> PT422 invalid_table');
select throws_ok(format($$select api.audit_list(null, %s)$$, pg_temp.id('a')), 'PT422', 'invalid_table',
  'audit_list: no table -> PT422 invalid_table');
select throws_ok(format($$select api.audit_list('products', %s, 0)$$, pg_temp.id('a')), 'PT422', 'invalid_limit',
  'audit_list: limit 0 -> PT422 invalid_limit');
select throws_ok(format($$select api.audit_list('products', %s, 101)$$, pg_temp.id('a')), 'PT422', 'invalid_limit',
  'audit_list: limit 101 -> PT422 invalid_limit');
select throws_ok(format($$select api.audit_list('products', %s, 1, 'zqxwv-garbage')$$, pg_temp.id('a')), 'PT422', 'invalid_cursor',
  'audit_list: a malformed cursor -> PT422 invalid_cursor');
select throws_ok(format($$select api.audit_list('products', %s, 1, %L)$$, pg_temp.id('a'), current_setting('tests.other_cursor')),
  'PT422', 'invalid_cursor', 'audit_list: a cursor of another list -> PT422 invalid_cursor');
select pg_temp.act_as(pg_temp.id('customer'));
select throws_ok(format($$select api.audit_list('products', %s)$$, pg_temp.id('a')), 'PT403', 'forbidden',
  'audit_list: a customer -> PT403 forbidden');
select pg_temp.act_as(pg_temp.id('customer'), 'admin');
select throws_ok(format($$select api.audit_list('products', %s)$$, pg_temp.id('a')), 'PT403', 'forbidden',
  'audit_list: a customer with an admin token -> PT403 forbidden');
select pg_temp.act_as(null);
select throws_ok(format($$select api.audit_list('products', %s)$$, pg_temp.id('a')), 'PT401', 'unauthenticated',
  'audit_list: anonymous -> PT401 unauthenticated');
select throws_ok(format($$select api.audit_list('products', %s, 1, 'zqxwv-garbage')$$, pg_temp.id('a')),
  'PT401', 'unauthenticated', 'audit_list: anonymous with a malformed cursor -> PT401 (who is asked before what)');
select pg_temp.act_as(pg_temp.id('customer'));
select throws_ok(format($$select api.audit_list('products', %s, 1, 'zqxwv-garbage')$$, pg_temp.id('a')),
  'PT403', 'forbidden', 'audit_list: a customer with a malformed cursor -> PT403 forbidden');
reset role;

select * from finish();
rollback;
