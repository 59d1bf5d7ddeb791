-- The stock ledger (shop.stock_movements, written by trigger), shop.stock_reconciliation, low-stock alerts
-- and api.low_stock_list. Stock is per variant (migration 20261208200000): the triggers are on shop.variants and
-- the ledger, alerts and list name the variant; each product here has one variant, so its ledger and alerts
-- are the variant's.
-- The API is impersonated with SET SESSION AUTHORIZATION (not SET ROLE) so that db_role (session_user) reads
-- pgshop_api for API calls and postgres for changes made by hand.
begin;
select * from no_plan();
\ir ../helpers.psql

-- The movements of a product, oldest first, as text rows "reason delta stock_after order actor db_role".
create function pg_temp.ledger(p_key text) returns text[]
language sql stable as $$
  select coalesce(array_agg(concat_ws(' ', m.reason, m.delta, m.stock_after, coalesce(m.order_id::text, '-'),
                                      coalesce(m.actor_id::text, '-'), m.db_role) order by m.id), '{}')
  from shop.stock_movements m
  where m.product_id = pg_temp.id(p_key)
$$;
-- The alerts of a product, oldest first, as "stock/threshold open|closed".
create function pg_temp.alerts(p_key text) returns text[]
language sql stable as $$
  select coalesce(array_agg(a.stock_quantity || '/' || a.low_stock_threshold || ' '
                            || case when a.closed_at is null then 'open' else 'closed' end order by a.id), '{}')
  from shop.low_stock_alerts a
  where a.product_id = pg_temp.id(p_key)
$$;
-- The entry of a product in a low_stock_list result, or null.
create function pg_temp.listed(p_list json, p_key text) returns jsonb
language sql stable as $$
  select i::jsonb from json_array_elements(p_list -> 'items') i where (i ->> 'product_id')::bigint = pg_temp.id(p_key)
$$;

-- Function properties ---------------------------------------------------------------------------------
select function_privs_are('api', 'low_stock_list', '{}'::text[], 'pgshop_api', array['EXECUTE']);
select volatility_is('api', 'low_stock_list', '{}'::text[], 'stable');
select is_definer('api', 'low_stock_list', '{}'::text[]);

-- Set-up ------------------------------------------------------------------------------------------------
do $$
begin
  perform pg_temp.new_user('admin', 'zqxwv-inv-admin@zqxwv.test', 'Ad', 'Min', 'admin');
  perform pg_temp.new_user('c', 'zqxwv-inv-customer@zqxwv.test', 'Cus', 'Tomer');
  perform set_config('tests.api', 'pgshop_api', true);  -- db_role of changes made through the API
end
$$;
select pg_temp.act_as(null);

-- The ledger ---------------------------------------------------------------------------------------------
select set_config('tests.i1', pg_temp.new_product('Zqxwv Inv One', 4, 'ZQXWV-INV-1', 7, p_threshold => 0)::text, true);
select set_config('tests.i0', pg_temp.new_product('Zqxwv Inv Zero', 4, 'ZQXWV-INV-0', 0)::text, true);
select is(pg_temp.ledger('i1'), array['initial 7 7 - - postgres'],
  'a product inserted with stock writes an initial movement (by hand: no actor, db_role postgres)');
select is((select m.variant_id from shop.stock_movements m where m.product_id = pg_temp.id('i1')),
  pg_temp.variant_of(pg_temp.id('i1')), '... of its variant');
select is(pg_temp.ledger('i0'), '{}'::text[], 'a product inserted without stock writes no movement');

set local session authorization pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select pg_temp.keep('i2', api.product_create('Zqxwv Inv Two', 3, 'ZQXWV-INV-2', p_stock_quantity => 4, p_low_stock_threshold => 0));
select lives_ok(format($$select api.product_update(%s, '{"stock_quantity": 12}')$$, pg_temp.id('i1')),
  'the admin sets the stock 7 -> 12 through api.product_update');
select lives_ok(format($$select api.product_update(%s, '{"price": "4.50", "stock_quantity": 12}')$$, pg_temp.id('i1')),
  'the admin changes the price, with the stock unchanged');
reset session authorization;
select is(pg_temp.ledger('i2'), array[format('initial 4 4 - %s %s', pg_temp.id('admin'), current_setting('tests.api'))],
  'api.product_create with stock writes an initial movement with the admin as actor');
select is(pg_temp.ledger('i1'),
  array['initial 7 7 - - postgres', format('adjustment 5 12 - %s %s', pg_temp.id('admin'), current_setting('tests.api'))],
  'an admin stock change writes one adjustment with actor_id = the admin; an update without stock change writes none');

select pg_temp.act_as(null);
update shop.variants set stock_quantity = 9 where product_id = pg_temp.id('i1');
select is((pg_temp.ledger('i1'))[3], 'adjustment -3 9 - - postgres',
  'a raw update by the superuser writes an adjustment with actor null and db_role postgres');
update shop.products set name = 'Zqxwv Inv One!' where id = pg_temp.id('i1');
update shop.variants set stock_quantity = stock_quantity where product_id = pg_temp.id('i1');
update shop.variants set price = 4.75 where product_id = pg_temp.id('i1');
select is(cardinality(pg_temp.ledger('i1')), 3, 'updates that do not change the stock write no movement');

select throws_ok(format('update shop.variants set stock_quantity = -1 where product_id = %s', pg_temp.id('i1')),
  '23514', 'new row for relation "variants" violates check constraint "variants_stock_not_negative"',
  'the stock can never go negative: a direct update to -1 -> 23514');
select throws_ok(format('update shop.variants set stock_quantity = stock_quantity - 10 where product_id = %s', pg_temp.id('i1')),
  '23514', 'new row for relation "variants" violates check constraint "variants_stock_not_negative"',
  'a decrement below zero -> 23514');
select throws_ok(format('insert into shop.stock_movements (product_id, variant_id, delta, stock_after, reason) '
                        'values (%s, %s, -1, -1, %L)', pg_temp.id('i1'), pg_temp.variant_of(pg_temp.id('i1')), 'adjustment'),
  '23514', 'new row for relation "stock_movements" violates check constraint "stock_movements_stock_after_not_negative"',
  'the ledger refuses a negative stock_after');
select throws_ok(format('insert into shop.stock_movements (product_id, variant_id, delta, stock_after, reason) '
                        'values (%s, %s, -1, 1, %L)', pg_temp.id('i1'), pg_temp.variant_of(pg_temp.id('i1')), 'sale'),
  '23514', 'new row for relation "stock_movements" violates check constraint "stock_movements_order_for_sale_and_cancel"',
  'the ledger refuses a sale without an order');
select throws_ok(format('insert into shop.stock_movements (product_id, variant_id, delta, stock_after, reason) '
                        'values (%s, %s, 1, 1, %L)', pg_temp.id('i1'), pg_temp.variant_of(pg_temp.id('i1')), 'gift'),
  '23514', 'new row for relation "stock_movements" violates check constraint "stock_movements_reason_known"',
  'the ledger refuses an unknown reason');

-- Append-only.
select throws_ok(format('update shop.stock_movements set delta = 100 where product_id = %s', pg_temp.id('i1')),
  'PT409', 'append_only', 'updating a stock movement -> PT409 append_only');
select throws_ok(format('delete from shop.stock_movements where product_id = %s', pg_temp.id('i1')),
  'PT409', 'append_only', 'deleting a stock movement -> PT409 append_only');
select is(pg_temp.ledger('i1'),
  array['initial 7 7 - - postgres', format('adjustment 5 12 - %s %s', pg_temp.id('admin'), current_setting('tests.api')),
        'adjustment -3 9 - - postgres'],
  'the ledger is unchanged after the refused update and delete');

-- Sales, cancels and the ledger context ---------------------------------------------------------------
set local session authorization pgshop_api;
select pg_temp.act_as(pg_temp.id('c'));
do $$
begin
  perform api.cart_add_item(null, pg_temp.id('i1'), 2);
  perform api.cart_add_item(null, pg_temp.id('i2'), 4);
end
$$;
select pg_temp.keep('o1', pg_temp.checkout(pg_temp.addr()));
reset session authorization;
select pg_temp.act_as(null);
-- In the same transaction, right after the checkout: a change by hand is an adjustment again.
update shop.variants set stock_quantity = stock_quantity + 1 where product_id = pg_temp.id('i1');
select is(pg_temp.ledger('i1'),
  array['initial 7 7 - - postgres', format('adjustment 5 12 - %s %s', pg_temp.id('admin'), current_setting('tests.api')),
        'adjustment -3 9 - - postgres', format('sale -2 7 %s %s %s', pg_temp.id('o1'), pg_temp.id('c'), current_setting('tests.api')),
        'adjustment 1 8 - - postgres'],
  'checkout writes a sale with the order; a raw update right after it in the same transaction is an adjustment '
  '(the sale context was cleared)');
select is(pg_temp.ledger('i2'),
  array[format('initial 4 4 - %s %s', pg_temp.id('admin'), current_setting('tests.api')),
        format('sale -4 0 %s %s %s', pg_temp.id('o1'), pg_temp.id('c'), current_setting('tests.api'))],
  'selling the whole stock: stock_after 0');

set local session authorization pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select is(api.order_set_status(pg_temp.id('o1'), 'cancelled') ->> 'status', 'cancelled', 'the admin cancels the order');
select lives_ok(format($$select api.product_update(%s, '{"stock_quantity": 20}')$$, pg_temp.id('i2')),
  'the admin adjusts the stock after the cancel');
reset session authorization;
select pg_temp.act_as(null);
update shop.variants set stock_quantity = stock_quantity - 1 where product_id = pg_temp.id('i1');
select is((pg_temp.ledger('i1'))[6:7],
  array[format('cancel 2 10 %s %s %s', pg_temp.id('o1'), pg_temp.id('admin'), current_setting('tests.api')),
        'adjustment -1 9 - - postgres'],
  'the cancel writes a cancel movement with the order; a raw update after it is an adjustment (context cleared)');
select is(pg_temp.ledger('i2'),
  array[format('initial 4 4 - %s %s', pg_temp.id('admin'), current_setting('tests.api')),
        format('sale -4 0 %s %s %s', pg_temp.id('o1'), pg_temp.id('c'), current_setting('tests.api')),
        format('cancel 4 4 %s %s %s', pg_temp.id('o1'), pg_temp.id('admin'), current_setting('tests.api')),
        format('adjustment 16 20 - %s %s', pg_temp.id('admin'), current_setting('tests.api'))],
  'the second product''s ledger: initial, sale, cancel, adjustment');

-- A second round of checkouts, and a soft delete.
set local session authorization pgshop_api;
select pg_temp.act_as(pg_temp.id('c'));
do $$ begin perform api.cart_add_item(null, pg_temp.id('i1'), 9); perform api.cart_add_item(null, pg_temp.id('i2'), 1); end $$;
select pg_temp.keep('o2', pg_temp.checkout(pg_temp.addr()));
do $$ begin perform api.cart_add_item(null, pg_temp.id('i2'), 2); end $$;
select pg_temp.keep('o3', pg_temp.checkout(pg_temp.addr()));
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select pg_temp.pay(pg_temp.id('o2'));
select is(api.order_set_status(pg_temp.id('o2'), 'paid') ->> 'status', 'paid', 'the second order is paid (a payment covers it)');
select is(api.order_set_status(pg_temp.id('o3'), 'cancelled') ->> 'status', 'cancelled', 'the third is cancelled');
do $$ begin perform api.product_delete(pg_temp.id('i0')); end $$;
reset session authorization;
-- Statements changing several variants at once (the triggers are statement-level), by hand: three products,
-- then their three variants in one insert.
select pg_temp.act_as(null);
insert into shop.products (name) values ('Zqxwv Multi 1'), ('Zqxwv Multi 2'), ('Zqxwv Multi 3');
insert into shop.variants (product_id, sku, price, stock_quantity, low_stock_threshold)
select p.id, 'ZQXWV-INV-M' || right(p.name, 1), 1, 10, case when p.name = 'Zqxwv Multi 1' then 9 else 0 end
from shop.products p where p.name like 'Zqxwv Multi _';
do $$
begin
  perform set_config('tests.' || lower(split_part(v.sku, '-', 3)), v.product_id::text, true)
  from shop.variants v where v.sku like 'ZQXWV-INV-M_' and v.deleted_at is null;
end
$$;
update shop.variants
set stock_quantity = case sku when 'ZQXWV-INV-M1' then 9 when 'ZQXWV-INV-M2' then 4 else stock_quantity end
where sku like 'ZQXWV-INV-M_';
select is(array(select k || ': ' || array_to_string(pg_temp.ledger(k), ', ') from unnest(array['m1', 'm2', 'm3']) k),
  array['m1: initial 10 10 - - postgres, adjustment -1 9 - - postgres',
        'm2: initial 10 10 - - postgres, adjustment -6 4 - - postgres',
        'm3: initial 10 10 - - postgres'],
  'one update of three products: one adjustment for each product whose stock changed, none for the unchanged one');
select is(array(select k || ': ' || array_to_string(pg_temp.alerts(k), ', ') from unnest(array['m1', 'm2', 'm3']) k),
  array['m1: 9/9 open', 'm2: ', 'm3: '],
  '... and an alert only for the product that fell to its threshold');
with first as (
  update shop.variants set stock_quantity = stock_quantity + 2 where product_id = pg_temp.id('m1') returning id
)
update shop.variants set stock_quantity = stock_quantity + 3 where product_id = pg_temp.id('m2');
select is(array[(pg_temp.ledger('m1'))[3], (pg_temp.ledger('m2'))[3]],
  array['adjustment 2 11 - - postgres', 'adjustment 3 7 - - postgres'],
  'two data-modifying CTEs on variants in one statement: each change is recorded exactly once');
select is(pg_temp.alerts('m1'), array['9/9 closed'], '... and the alert it raised above the threshold is closed');

select results_eq(
  format('select r.stock_quantity, r.ledger_quantity, r.difference from shop.stock_reconciliation r where r.product_id = %s',
         pg_temp.id('i2')),
  $$values (19, 19, 0::bigint)$$,
  'stock_reconciliation for the second product: stock 19 (20 - 1 - 2 + 2), ledger 19, difference 0');
select is_empty($$select * from shop.stock_reconciliation where difference <> 0$$,
  'stock_reconciliation: difference 0 for every variant after checkouts, cancels and adjustments');
select is((select r.variant_id from shop.stock_reconciliation r where r.product_id = pg_temp.id('i2')),
  pg_temp.variant_of(pg_temp.id('i2')), 'stock_reconciliation has a row per variant');
select is_empty(
  $$select m.id from (
      select m.id, m.stock_after, sum(m.delta) over (partition by m.variant_id order by m.id) as running
      from shop.stock_movements m) m
    where m.stock_after <> m.running$$,
  'every movement''s stock_after is the running sum of the deltas of its variant');

-- Low-stock alerts ------------------------------------------------------------------------------------
select set_config('tests.l', pg_temp.new_product('Zqxwv Low', 1, 'ZQXWV-INV-L', 10, p_threshold => 3)::text, true);
select is(pg_temp.alerts('l'), '{}'::text[], 'a product above its threshold has no alert');
update shop.variants set stock_quantity = 3 where product_id = pg_temp.id('l');
select is(pg_temp.alerts('l'), array['3/3 open'], 'falling to the threshold opens one alert (with the stock and threshold then)');
update shop.variants set stock_quantity = 2 where product_id = pg_temp.id('l');
update shop.variants set stock_quantity = 0 where product_id = pg_temp.id('l');
select is(pg_temp.alerts('l'), array['3/3 open'], 'further decreases do not open a second alert');
update shop.variants set stock_quantity = 4 where product_id = pg_temp.id('l');
select is(pg_temp.alerts('l'), array['3/3 closed'], 'rising above the threshold closes the alert');
select is((select a.closed_at from shop.low_stock_alerts a where a.product_id = pg_temp.id('l')), now(),
  'closed_at is the time of the restock');
update shop.variants set stock_quantity = 5 where product_id = pg_temp.id('l');
select is(pg_temp.alerts('l'), array['3/3 closed'], 'rising further changes nothing');
update shop.variants set stock_quantity = 1 where product_id = pg_temp.id('l');
select is(pg_temp.alerts('l'), array['3/3 closed', '1/3 open'], 'falling again opens a new alert');

-- Threshold changes and inserts.
select set_config('tests.t', pg_temp.new_product('Zqxwv Thresh', 1, 'ZQXWV-INV-T', 6, p_threshold => 2)::text, true);
update shop.variants set low_stock_threshold = 6 where product_id = pg_temp.id('t');
select is(pg_temp.alerts('t'), array['6/6 open'], 'raising the threshold to the stock opens an alert');
update shop.variants set low_stock_threshold = 5 where product_id = pg_temp.id('t');
select is(pg_temp.alerts('t'), array['6/6 closed'], 'lowering it below the stock closes the alert');
select is(pg_temp.alerts('i0'), array['0/5 closed'],
  'the product inserted without stock had an alert; api.product_delete closed it');
select set_config('tests.e', pg_temp.new_product('Zqxwv Empty', 1, 'ZQXWV-INV-E', 0)::text, true);
select is(pg_temp.alerts('e'), array['0/5 open'], 'a product created without stock (default threshold 5) opens an alert at once');

-- Through the API: a sale opens an alert, a cancel closes it.
select set_config('tests.s', pg_temp.new_product('Zqxwv Sold', 1, 'ZQXWV-INV-S', 5, p_threshold => 2)::text, true);
set local session authorization pgshop_api;
select pg_temp.act_as(pg_temp.id('c'));
do $$ begin perform api.cart_add_item(null, pg_temp.id('s'), 3); end $$;
select pg_temp.keep('o4', pg_temp.checkout(pg_temp.addr()));
reset session authorization;
select is(pg_temp.alerts('s'), array['2/2 open'], 'a checkout taking the stock to the threshold opens an alert');
set local session authorization pgshop_api;
select pg_temp.act_as(pg_temp.id('admin'), 'admin');
select pg_temp.keep('list', api.low_stock_list());
reset session authorization;
select is(pg_temp.alerts('s'), array['2/2 open'], 'api.low_stock_list changes nothing');
set local session authorization pgshop_api;
select is(api.order_set_status(pg_temp.id('o4'), 'cancelled') ->> 'status', 'cancelled', 'the order is cancelled');
reset session authorization;
select is(pg_temp.alerts('s'), array['2/2 closed'], 'the cancel returns the stock above the threshold: the alert closes');
set local session authorization pgshop_api;
select pg_temp.keep('list2', api.low_stock_list());
reset session authorization;

-- The invariant over the whole catalog: one open alert exactly for the live variants at or below threshold.
select is_empty(
  $$select v.id from shop.variants v
    where v.deleted_at is null and v.stock_quantity <= v.low_stock_threshold
      and not exists (select from shop.low_stock_alerts a where a.variant_id = v.id and a.closed_at is null)$$,
  'every live variant at or below its threshold has an open alert');
select is_empty(
  $$select a.id from shop.low_stock_alerts a join shop.variants v on v.id = a.variant_id
    where a.closed_at is null and (v.deleted_at is not null or v.stock_quantity > v.low_stock_threshold)$$,
  'no open alert for a deleted variant or one above its threshold');
select is_empty(
  $$select a.id from shop.low_stock_alerts a join shop.variants v on v.id = a.variant_id
    where v.product_id <> a.product_id$$,
  'every alert names its variant''s product');

-- api.low_stock_list ----------------------------------------------------------------------------------
select is(pg_temp.listed(current_setting('tests.list2.json')::json, 'l'),
  jsonb_build_object('product_id', pg_temp.id('l'), 'variant_id', pg_temp.variant_of(pg_temp.id('l')),
    'name', 'Zqxwv Low', 'sku', 'ZQXWV-INV-L', 'options', '{}'::jsonb, 'stock_quantity', 1, 'low_stock_threshold', 3,
    'since', (select to_jsonb(a.opened_at) from shop.low_stock_alerts a where a.product_id = pg_temp.id('l') and a.closed_at is null)),
  'low_stock_list (admin): the product, its variant (SKU, options), its stock and threshold, since = the open '
  'alert''s opened_at');
select is(pg_temp.listed(current_setting('tests.list.json')::json, 's') ->> 'stock_quantity', '2',
  'low_stock_list shows a product brought low by a sale');
select is(pg_temp.listed(current_setting('tests.list2.json')::json, 's'), null,
  '... and no longer once the cancel restocked it');
select is(
  array(select k from unnest(array['t', 'i0', 'i2']) k where pg_temp.listed(current_setting('tests.list2.json')::json, k) is not null),
  '{}'::text[], 'low_stock_list leaves out products above their threshold and deleted products');
select bag_eq(
  $$select (i ->> 'variant_id')::bigint from json_array_elements(current_setting('tests.list2.json')::json -> 'items') i$$,
  $$select v.id from shop.variants v join shop.products p on p.id = v.product_id
    where p.deleted_at is null and v.deleted_at is null and v.stock_quantity <= v.low_stock_threshold$$,
  'low_stock_list lists exactly the live variants (of live products) at or below their threshold, once each');
select is_empty(
  $$select from (select (i ->> 'since')::timestamptz as since,
                        lag((i ->> 'since')::timestamptz) over (order by n) as before
                 from json_array_elements(current_setting('tests.list2.json')::json -> 'items') with ordinality x (i, n)) s
    where s.since < s.before$$,
  'low_stock_list: longest low first (since ascending)');
select is(current_setting('tests.list2.json')::jsonb -> 'next_cursor', 'null'::jsonb, 'low_stock_list: next_cursor is null');

set local session authorization pgshop_api;
select pg_temp.act_as(pg_temp.id('c'));
select throws_ok('select api.low_stock_list()', 'PT403', 'forbidden', 'low_stock_list: a customer -> PT403 forbidden');
select pg_temp.act_as(pg_temp.id('c'), 'admin');
select throws_ok('select api.low_stock_list()', 'PT403', 'forbidden',
  'low_stock_list: a customer with an admin token -> PT403 forbidden');
select pg_temp.act_as(null);
select throws_ok('select api.low_stock_list()', 'PT401', 'unauthenticated', 'low_stock_list: anonymous -> PT401 unauthenticated');
reset session authorization;

-- The notification itself is delivered at commit, which this transaction never reaches: tests/test_orders.py
-- (test_low_stock_alerts) receives it with LISTEN low_stock over a real connection.

select * from finish();
rollback;
