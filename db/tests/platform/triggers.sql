-- The triggers (declared in db/functions, each in the file of its area): their names (rank prefixes:
-- PostgreSQL fires the triggers of one event in name order) and the kind each rank is, updated_at kept by the database, the append-only stock ledger, audit
-- log and payment ledger and the immutable outbox, the UPDATE paths of the daily-sales rollup, the stock
-- returned on cancel, and shop.order_statuses.counts_as_revenue as the one rule of what counts.
-- Everything here is done by hand, as the superuser (as an import or an operator would).
begin;
select * from no_plan();
\ir ../helpers.psql

-- sales(day): the rollup's figures of a day (zeros when it has no row).
create function pg_temp.sales(p_day date) returns jsonb
language sql stable as $$
  select jsonb_build_object('orders', coalesce(max(d.orders), 0), 'units', coalesce(max(d.units), 0),
                            'revenue', coalesce(max(d.revenue), 0))
  from shop.daily_sales d
  where d.day = p_day
$$;
create function pg_temp.day(p_name text) returns date
language sql immutable as $$
  select case p_name when 'd1' then date '2001-02-03' when 'd2' then date '2001-02-05' else date '2001-02-07' end
$$;
-- updated_after(table, id, set): the row's updated_at after an UPDATE ... SET <set> of a row whose updated_at
-- was first put back to 2000-01-01.
create function pg_temp.updated_after(p_table regclass, p_id bigint, p_set text) returns timestamptz
language plpgsql as $$
declare
  v_updated_at timestamptz;
begin
  perform pg_temp.backdate(p_table, format('id = %s', p_id), '2000-01-01 00:00:00+00');
  execute format('update %s set %s where id = $1 returning updated_at', p_table, p_set) into v_updated_at using p_id;
  return v_updated_at;
end
$$;
-- order_by_hand(key, status, total, day, lines): an order written directly, lines [[product key, quantity]]
-- of the product's one variant at its price; its id kept as tests.<key>.
create function pg_temp.order_by_hand(p_key text, p_status text, p_total numeric, p_day date, p_lines jsonb)
returns bigint
language plpgsql as $$
declare
  v_id bigint;
begin
  insert into shop.orders (user_id, status, total_amount, shipping_address, created_at)
  values (pg_temp.id('customer'), p_status, p_total,
          '{"name": "Zqxwv Trig", "line1": "1 Zqxwv Street", "city": "Springfield", "postal_code": "1", "country": "US"}',
          (p_day + time '10:00') at time zone 'UTC')
  returning id into v_id;
  insert into shop.order_items (order_id, product_id, variant_id, name, sku, quantity, unit_price, total_price)
  select v_id, p.id, v.id, p.name, v.sku, (l ->> 1)::integer, v.price, v.price * (l ->> 1)::integer
  from jsonb_array_elements(p_lines) l
  join shop.products p on p.id = pg_temp.id(l ->> 0)
  join shop.variants v on v.id = pg_temp.variant_of(p.id);
  perform set_config('tests.' || p_key, v_id::text, true);
  return v_id;
end
$$;

-- The triggers of every table, by name ------------------------------------------------------------------
select triggers_are('shop', 'users', array['_100_timestamps', '_500_audit_insert', '_500_audit_update', '_500_audit_delete']);
select triggers_are('shop', 'categories',
  array['_100_timestamps', '_200_no_cycle', '_400_announce', '_500_audit_insert', '_500_audit_update',
        '_500_audit_delete']);
-- Since variants (migration 20261208200000) stock, its ledger and alerts are the variants': the product keeps its
-- derived price and in_stock (whatever a write says), its handle (migration 20261208210000), its search vector
-- (computed, and followed from its variants), the soft delete of its variants, the vocabulary, the announcements
-- and the audit.
select triggers_are('shop', 'products',
  array['_100_derived', '_100_handle', '_100_search', '_100_timestamps', '_300_delete_variants', '_300_search_words_insert',
        '_300_search_words_update', '_400_announce_insert', '_400_announce_update', '_400_announce_delete',
        '_500_audit_insert', '_500_audit_update', '_500_audit_delete']);
select triggers_are('shop', 'variants',
  array['_100_combination', '_100_timestamps', '_400_check_insert', '_400_check_update', '_400_low_stock_insert',
        '_400_low_stock_update', '_400_announce_insert', '_400_announce_update', '_400_announce_delete',
        '_400_product_summary_insert', '_400_product_summary_update', '_400_product_summary_delete',
        '_400_search_insert', '_400_search_update', '_400_stock_ledger_insert', '_400_stock_ledger_update',
        '_500_audit_insert', '_500_audit_update', '_500_audit_delete']);
select triggers_are('shop', 'product_options',
  array['_400_check_insert', '_400_check_update', '_400_check_delete', '_400_announce_insert',
        '_400_announce_update', '_400_announce_delete']);
select triggers_are('shop', 'product_option_values',
  array['_400_announce_insert', '_400_announce_update', '_400_announce_delete', '_400_search_update']);
select triggers_are('shop', 'variant_option_values',
  array['_400_changed_insert', '_400_changed_update', '_400_changed_delete', '_400_search_insert',
        '_400_search_update', '_400_search_delete']);
-- The completeness check of the variants runs at commit: a deferred constraint trigger, named as the constraint
-- that SET CONSTRAINTS names (lib.variants_check_now), the one trigger outside the ranks below.
select triggers_are('shop', 'variant_checks', array['variant_checks_complete']);
select ok((select t.tgconstraint <> 0 and t.tgdeferrable and t.tginitdeferred and t.tgtype & 1 <> 0
           from pg_trigger t where t.tgrelid = 'shop.variant_checks'::regclass and t.tgname = 'variant_checks_complete'),
  'variant_checks_complete is a constraint trigger, for each row, deferrable initially deferred');
select triggers_are('shop', 'carts', array['_100_timestamps']);
select triggers_are('shop', 'cart_items', array['_100_timestamps']);
select triggers_are('shop', 'orders',
  array['_100_timestamps', '_200_check_transition', '_300_status_history_insert', '_300_status_history_update',
        '_400_daily_sales_insert', '_400_daily_sales_update', '_400_daily_sales_delete', '_500_audit_insert',
        '_500_audit_update', '_500_audit_delete']);
select triggers_are('shop', 'order_items',
  array['_400_daily_sales_insert', '_400_daily_sales_update', '_400_daily_sales_delete']);
select triggers_are('shop', 'order_status_history', array['_300_emit']);
select triggers_are('shop', 'low_stock_alerts', array['_400_emit']);
select triggers_are('shop', 'stock_movements', array['_100_append_only', '_100_append_only_truncate']);
select triggers_are('shop', 'payments', array['_100_timestamps', '_200_only_grow', '_300_emit']);
select triggers_are('shop', 'payment_events', array['_100_append_only', '_100_append_only_truncate', '_300_emit']);
select triggers_are('shop', 'outbox', array['_100_immutable', '_400_fan_out']);
select is_empty(
  $$select c.oid::regclass from pg_class c
    where c.relnamespace = 'shop'::regnamespace and c.relkind = 'r'
      and c.relname not in ('users', 'categories', 'products', 'carts', 'cart_items', 'orders', 'order_items',
                            'order_status_history', 'low_stock_alerts', 'stock_movements', 'payments', 'payment_events',
                            'outbox', 'variants', 'product_options', 'product_option_values', 'variant_option_values',
                            'variant_checks')
      and exists (select from pg_trigger t where t.tgrelid = c.oid and not t.tgisinternal)$$,
  'no other table of shop has a trigger (each one that has is listed above)');
select triggers_are('audit', 'log', array['_100_append_only']);
select is_empty(
  $$select t.tgrelid::regclass, t.tgname from pg_trigger t
    join pg_class c on c.oid = t.tgrelid
    where c.relnamespace in ('shop'::regnamespace, 'audit'::regnamespace) and not t.tgisinternal
      and t.tgname !~ '^_[1-5]00_[a-z_]+$'
      and (t.tgrelid, t.tgname) <> ('shop.variant_checks'::regclass, 'variant_checks_complete')$$,
  'every trigger in shop and audit has a rank prefix (_100 to _500), but the deferred variant_checks_complete (it '
  'fires at commit, where names give no order)');
-- The rank says what kind of trigger it is: _100 (timestamps, guards) and _200 (rules) fire before the change,
-- _300 (row follow-ups) after it for each row, _400 (statement rollups, the ledger, fan-out) and _500 (audit)
-- after it once per statement. pg_temp.misranked(): the triggers whose rank is not their kind.
create function pg_temp.misranked() returns table (tbl regclass, tgname name)
language sql stable as $$
  select t.tgrelid::regclass, t.tgname from pg_trigger t
  join pg_class c on c.oid = t.tgrelid
  where c.relnamespace in ('shop'::regnamespace, 'audit'::regnamespace) and not t.tgisinternal
    and t.tgconstraint = 0
    and case substr(t.tgname, 1, 5)
          when '_100_' then t.tgtype & 2 = 0
          when '_200_' then t.tgtype & 2 = 0
          when '_300_' then t.tgtype & 2 <> 0 or t.tgtype & 64 <> 0 or t.tgtype & 1 = 0
          else t.tgtype & 2 <> 0 or t.tgtype & 64 <> 0 or t.tgtype & 1 <> 0
        end
$$;
select is_empty(
  $$select * from pg_temp.misranked()$$,
  'each rank is its kind of trigger: _100 and _200 before, _300 after for each row, _400 and _500 after for each '
  'statement');

-- updated_at: kept by the database on every table that has it ------------------------------------------
select results_eq(
  $$select c.relname::text collate "default" from pg_attribute a join pg_class c on c.oid = a.attrelid
    where c.relnamespace = 'shop'::regnamespace and c.relkind = 'r' and a.attname = 'updated_at' and not a.attisdropped
    order by 1$$,
  $$values ('cart_items'), ('carts'), ('categories'), ('orders'), ('payments'), ('products'), ('users'), ('variants')$$,
  'the tables with an updated_at column: users, categories, products, variants, carts, cart_items, orders, payments');
select is_empty(
  $$select c.oid::regclass from pg_attribute a join pg_class c on c.oid = a.attrelid
    where c.relnamespace = 'shop'::regnamespace and c.relkind = 'r' and a.attname = 'updated_at' and not a.attisdropped
      and not exists (
        select from pg_trigger t
        where t.tgrelid = c.oid and t.tgname = '_100_timestamps' and t.tgenabled = 'O'
          and t.tgfoid = 'shop.tg__set_updated_at()'::regprocedure
          and t.tgtype = (1 | 2 | 16))$$,  -- for each row, before, update
  'each of them has _100_timestamps: before update, for each row, shop.tg__set_updated_at()');

-- Set-up --------------------------------------------------------------------------------------------------
select pg_temp.act_as(null);
do $$
declare
  v_id bigint;
begin
  perform pg_temp.new_user('customer', 'zqxwv-trig@zqxwv.test', 'Trig', 'Ger');
  insert into shop.categories (name) values ('Zqxwv Trig Category') returning id into v_id;
  perform set_config('tests.category', v_id::text, true);
  perform set_config('tests.p1', pg_temp.new_product('Zqxwv Trig One', 10.00, 'ZQXWV-TRIG-1', 20, p_threshold => 0)::text, true);
  perform set_config('tests.p2', pg_temp.new_product('Zqxwv Trig Two', 5.00, 'ZQXWV-TRIG-2', 20, p_threshold => 0)::text, true);
  perform set_config('tests.v1', pg_temp.variant_of(pg_temp.id('p1'))::text, true);
  insert into shop.carts (token) values (gen_random_uuid()) returning id into v_id;
  perform set_config('tests.cart', v_id::text, true);
  insert into shop.cart_items (cart_id, product_id, variant_id, quantity)
  values (pg_temp.id('cart'), pg_temp.id('p1'), pg_temp.id('v1'), 1)
  returning id into v_id;
  perform set_config('tests.cart_item', v_id::text, true);
  perform set_config('tests.sales_before',
    jsonb_build_array(pg_temp.sales(pg_temp.day('d1')), pg_temp.sales(pg_temp.day('d2')),
                      pg_temp.sales(pg_temp.day('d3')))::text, true);
  perform pg_temp.order_by_hand('o1', 'paid', 25.00, pg_temp.day('d1'), '[["p1", 2], ["p2", 1]]');
  -- A payment of it, and an event of the payment ledger about it (unmatched: it came for an order paid already).
  insert into shop.payments (order_id, provider, provider_reference, currency, amount, captured_amount)
  values (pg_temp.id('o1'), 'manual', 'zqxwv-trig-1', 'USD', 25.00, 25.00) returning id into v_id;
  perform set_config('tests.payment', v_id::text, true);
  insert into shop.payment_events (provider, provider_event_id, type, order_id, provider_reference, amount, currency,
                                   unmatched_reason, raw, recorded_by)
  values ('stripe', 'zqxwv-trig-evt', 'payment_intent.succeeded', pg_temp.id('o1'), 'zqxwv-trig-pi', 25.00, 'USD',
          'order_not_payable', '{}', 'provider');
end
$$;

select is(pg_temp.updated_after(t, pg_temp.id(k), s), now(),
  format('%s: an UPDATE of another column sets updated_at to now()', t))
from (values ('shop.users'::regclass, 'customer', 'first_name = first_name'),
             ('shop.categories', 'category', 'description = description'),
             ('shop.products', 'p1', 'name = name'),
             ('shop.variants', 'v1', 'sku = sku'),
             ('shop.carts', 'cart', 'token = token'),
             ('shop.cart_items', 'cart_item', 'quantity = quantity'),
             ('shop.orders', 'o1', 'shipping_address = shipping_address'),
             ('shop.payments', 'payment', 'amount = amount')) v (t, k, s);
select is(pg_temp.updated_after(t, pg_temp.id(k), $$updated_at = '1999-01-01 00:00:00+00'$$), now(),
  format('%s: an UPDATE that sets updated_at itself still gets now()', t))
from (values ('shop.users'::regclass, 'customer'), ('shop.categories', 'category'), ('shop.products', 'p1'),
             ('shop.variants', 'v1'), ('shop.carts', 'cart'), ('shop.cart_items', 'cart_item'), ('shop.orders', 'o1'),
             ('shop.payments', 'payment')) v (t, k);

-- The stock ledger and the audit log are append-only -----------------------------------------------------
select throws_ok(format('update shop.stock_movements set delta = delta where product_id = %s', pg_temp.id('p1')),
  'PT409', 'append_only', 'shop.stock_movements: UPDATE -> PT409 append_only');
select throws_ok(format('delete from shop.stock_movements where product_id = %s', pg_temp.id('p1')),
  'PT409', 'append_only', 'shop.stock_movements: DELETE -> PT409 append_only');
select throws_ok('truncate shop.stock_movements', 'PT409', 'append_only',
  'shop.stock_movements: TRUNCATE -> PT409 append_only');
select is((select count(*) from shop.stock_movements m where m.product_id = pg_temp.id('p1')), 1::bigint,
  '... and the ledger row of the product is still there');
do $$ begin perform set_config('tests.audit_rows', (select count(*) from audit.log l
  where l.table_name = 'products' and l.row_id = pg_temp.id('p1'))::text, true); end $$;
select throws_ok(format($$update audit.log set operation = operation where table_name = 'products' and row_id = %s$$,
                        pg_temp.id('p1')),
  'PT409', 'append_only', 'audit.log: UPDATE -> PT409 append_only');
select throws_ok(format($$delete from audit.log where table_name = 'products' and row_id = %s$$, pg_temp.id('p1')),
  'PT409', 'append_only', 'audit.log: DELETE -> PT409 append_only');
select throws_ok('truncate audit.log', 'PT409', 'append_only', 'audit.log: TRUNCATE -> PT409 append_only');
select is((select count(*) from audit.log l where l.table_name = 'products' and l.row_id = pg_temp.id('p1')),
  current_setting('tests.audit_rows')::bigint, '... and the product''s audit rows are all still there');
select throws_ok($$update shop.payment_events set amount = 1 where provider_event_id = 'zqxwv-trig-evt'$$,
  'PT409', 'append_only', 'shop.payment_events: UPDATE -> PT409 append_only');
select throws_ok($$delete from shop.payment_events where provider_event_id = 'zqxwv-trig-evt'$$,
  'PT409', 'append_only', 'shop.payment_events: DELETE -> PT409 append_only');
select throws_ok('truncate shop.payment_events', 'PT409', 'append_only', 'shop.payment_events: TRUNCATE -> PT409 append_only');
select is((select count(*) from shop.payment_events e where e.provider_event_id = 'zqxwv-trig-evt'), 1::bigint,
  '... and the payment event is still there');
select throws_ok(format($$update shop.outbox set reason = 'zqxwv' where resource = 'order/%s'$$, pg_temp.id('o1')),
  'PT409', 'append_only', 'shop.outbox: an event is never changed: UPDATE -> PT409 append_only');

-- The daily-sales rollup: the UPDATE paths ----------------------------------------------------------------
select is(current_setting('tests.sales_before')::jsonb,
  jsonb_build_array(jsonb_build_object('orders', 0, 'units', 0, 'revenue', 0),
                    jsonb_build_object('orders', 0, 'units', 0, 'revenue', 0),
                    jsonb_build_object('orders', 0, 'units', 0, 'revenue', 0)),
  'set-up: the three days of these tests (in 2001) had no sales');
select is(pg_temp.sales(pg_temp.day('d1')), '{"orders": 1, "units": 3, "revenue": 25.00}',
  'a paid order written by hand counts on its day, its lines as units (2 + 1)');

update shop.orders set total_amount = 27.50 where id = pg_temp.id('o1');
select is(pg_temp.sales(pg_temp.day('d1')), '{"orders": 1, "units": 3, "revenue": 27.50}',
  'a change of total_amount of a paid order moves the revenue (25.00 -> 27.50), not the count');

update shop.orders set created_at = (pg_temp.day('d2') + time '09:00') at time zone 'UTC' where id = pg_temp.id('o1');
select is(jsonb_build_array(pg_temp.sales(pg_temp.day('d1')), pg_temp.sales(pg_temp.day('d2'))),
  '[{"orders": 0, "units": 0, "revenue": 0}, {"orders": 1, "units": 3, "revenue": 27.50}]',
  'a change of created_at of a paid order moves it, units and revenue, from its old day to its new one');

update shop.orders set created_at = (pg_temp.day('d1') + time '11:00') at time zone 'UTC', total_amount = 30.00
where id = pg_temp.id('o1');
select is(jsonb_build_array(pg_temp.sales(pg_temp.day('d1')), pg_temp.sales(pg_temp.day('d2'))),
  '[{"orders": 1, "units": 3, "revenue": 30.00}, {"orders": 0, "units": 0, "revenue": 0}]',
  'date and total changed in one UPDATE: the old figures leave the old day, the new ones land on the new day');

update shop.order_items set quantity = 4, total_price = 40.00
where order_id = pg_temp.id('o1') and product_id = pg_temp.id('p1');
select is(pg_temp.sales(pg_temp.day('d1')), '{"orders": 1, "units": 5, "revenue": 30.00}',
  'an UPDATE of a line''s quantity (2 -> 4) on a counted order adjusts the units (the revenue is the order''s total)');
delete from shop.order_items where order_id = pg_temp.id('o1') and product_id = pg_temp.id('p2');
select is(pg_temp.sales(pg_temp.day('d1')), '{"orders": 1, "units": 4, "revenue": 30.00}',
  'a line deleted from a counted order takes its units out');

do $$ begin perform set_config('tests.stock_before', (select jsonb_object_agg(v.sku, v.stock_quantity)
  from shop.variants v where v.product_id in (pg_temp.id('p1'), pg_temp.id('p2')))::text, true); end $$;
update shop.orders set status = 'cancelled' where id = pg_temp.id('o1');
select is(pg_temp.sales(pg_temp.day('d1')), '{"orders": 0, "units": 0, "revenue": 0}',
  'an order moved paid -> cancelled leaves the rollup');
select is(
  (select jsonb_object_agg(v.sku, v.stock_quantity) from shop.variants v where v.product_id in (pg_temp.id('p1'), pg_temp.id('p2'))),
  current_setting('tests.stock_before')::jsonb || jsonb_build_object('ZQXWV-TRIG-1', 24),
  'the cancel returns the stock of the order''s lines (shop.return_stock): 4 of the first product, none of the second');
select results_eq(
  format('select m.product_id, m.delta, m.reason, m.order_id from shop.stock_movements m where m.order_id = %s',
         pg_temp.id('o1')),
  format($$values (%s::bigint, 4, 'cancel'::text, %s::bigint)$$, pg_temp.id('p1'), pg_temp.id('o1')),
  '... with one ledger row: reason cancel and the order id');
update shop.order_items set quantity = 1, total_price = 10.00 where order_id = pg_temp.id('o1');
update shop.orders set total_amount = 99.00 where id = pg_temp.id('o1');
select is(pg_temp.sales(pg_temp.day('d1')), '{"orders": 0, "units": 0, "revenue": 0}',
  'changes to a cancelled order (its lines, its total) leave the rollup alone');

-- counts_as_revenue: the one statement of what counts -------------------------------------------------------
select results_eq(
  $$select s.status::text from shop.order_statuses s where s.counts_as_revenue order by s.position$$,
  $$values ('paid'), ('shipped'), ('delivered')$$,
  'paid, shipped and delivered count as revenue');
do $$ begin perform pg_temp.order_by_hand('o2', 'pending', 5.00, pg_temp.day('d3'), '[["p2", 1]]'); end $$;
select is(pg_temp.sales(pg_temp.day('d3')), '{"orders": 0, "units": 0, "revenue": 0}',
  'a pending order does not count');

update shop.order_statuses set counts_as_revenue = true where status = 'pending';
do $$ begin perform pg_temp.order_by_hand('o3', 'pending', 10.00, pg_temp.day('d3'), '[["p1", 1]]'); end $$;
select is(pg_temp.sales(pg_temp.day('d3')), '{"orders": 1, "units": 1, "revenue": 10.00}',
  'once pending counts as revenue (in this transaction), the triggers record a pending order and its lines');
select pg_temp.pay(pg_temp.id('o3'));
update shop.orders set status = 'paid' where id = pg_temp.id('o3');
select is(pg_temp.sales(pg_temp.day('d3')), '{"orders": 1, "units": 1, "revenue": 10.00}',
  'pending -> paid, both counting: the order is not counted twice');
update shop.order_statuses set counts_as_revenue = false where status = 'paid';
update shop.orders set total_amount = 12.00 where id = pg_temp.id('o3');
select is(pg_temp.sales(pg_temp.day('d3')), '{"orders": 1, "units": 1, "revenue": 10.00}',
  'once paid no longer counts, a change of a paid order''s total is not recorded');
update shop.order_statuses set counts_as_revenue = true where status = 'paid';

do $$ begin perform lib.refresh_reporting(); end $$;
select results_eq(
  format('select c.orders, c.lifetime_value from reporting.customer_summary c where c.customer_id = %s',
         pg_temp.id('customer')),
  $$values (2::bigint, 17.00::numeric(14, 2))$$,
  'the reporting views read it too: after a refresh the customer has 2 revenue orders (pending 5.00, paid 12.00)');

select * from finish();
rollback;
