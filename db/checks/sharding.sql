-- The Citus sharding plan of docs/scaling.md, as data, checked against the catalog of a deployed database.
--
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f db/checks/sharding.sql      (as the database owner)
--
-- It changes nothing: two temporary tables hold the plan and the known departures, one DO block checks the
-- catalog and raises one exception listing every problem, or prints a notice when the rules hold.
--
-- Rules (Citus documentation, cited in docs/scaling.md):
--   (a) every table of the schemas shop and audit is in the plan: a new table must be planned;
--   (b) every PRIMARY KEY, UNIQUE or EXCLUDE constraint and every unique index of a table planned as
--       distributed includes its distribution column as a plain column ("Primary keys and uniqueness
--       constraints must include the distribution column"), unless it is a known departure;
--   (c) every foreign key between two tables planned as distributed stays in one colocation group and pairs
--       the distribution column of one side with the distribution column of the other, unless it is a known
--       departure;
--   (d) no foreign key goes from a reference table to a distributed table, nor between a local table and a
--       distributed one (Citus supports neither; no departures allowed);
--   (e) every known departure still exists and still breaks its rule, so the list stays honest;
--   and the plan itself is consistent: a distributed table has a distribution column and a colocation
--   group, the others have neither, and the distribution columns of one group have one type.
--
-- A planned table that does not exist yet is one the migration to Citus creates (docs/scaling.md); once it
-- exists it is checked like the others. A new table costs one line in the plan below. A distribution column
-- that a table lacks today (order_items.user_id, ...) is added and backfilled by the migration; until then
-- every unique constraint of that table lacks it, so each one is a known departure.

-- Quietly forget the tables of an earlier run in this session.
do $forget$
begin
  if to_regclass('pg_temp.sharding_plan') is not null then
    drop table pg_temp.sharding_plan;
  end if;
  if to_regclass('pg_temp.sharding_departure') is not null then
    drop table pg_temp.sharding_departure;
  end if;
end
$forget$;

create temporary table sharding_plan (
  table_name text primary key,      -- schema-qualified
  kind text not null,               -- distributed | reference | local
  dist_column text,                 -- distributed only
  colocation text                   -- distributed only: tables of one group are co-located
);

insert into sharding_plan (table_name, kind, dist_column, colocation) values
  -- the customer: everything a request of one signed-in user touches, co-located by user id
  ('shop.users',                    'distributed', 'id',         'user'),
  ('shop.carts',                    'distributed', 'user_id',    'user'),
  ('shop.cart_items',               'distributed', 'user_id',    'user'),   -- user_id added
  ('shop.orders',                   'distributed', 'user_id',    'user'),
  ('shop.order_items',              'distributed', 'user_id',    'user'),   -- user_id added
  ('shop.order_status_history',     'distributed', 'user_id',    'user'),   -- user_id added
  ('shop.idempotency_keys',         'distributed', 'user_id',    'user'),
  ('shop.payments',                 'distributed', 'user_id',    'user'),   -- user_id added
  ('shop.payment_events',           'distributed', 'user_id',    'user'),   -- user_id added
  ('shop.outbox',                   'distributed', 'shard_key',  'user'),   -- shard_key added
  ('shop.webhook_deliveries',       'distributed', 'shard_key',  'user'),   -- shard_key added
  ('shop.daily_sales',              'distributed', 'user_id',    'user'),   -- per customer and day
  ('shop.checkout_attempts',        'distributed', 'user_id',    'user'),  -- checkout rows of attempts
  ('audit.log',                     'distributed', 'shard_key',  'user'),   -- shard_key added
  -- the stock: one product's stock (of all its variants), ledger and alerts together
  ('shop.variant_stock',            'distributed', 'product_id', 'product'),  -- stock out of variants
  ('shop.stock_movements',          'distributed', 'product_id', 'product'),
  ('shop.low_stock_alerts',         'distributed', 'product_id', 'product'),
  -- the login name: email uniqueness and the rate limits keyed by text
  ('shop.user_emails',              'distributed', 'email_key',  'email'),  -- lower(email) -> user id
  ('shop.attempts',                 'distributed', 'key',        'email'),
  -- payment keys that must be unique across every shard: a provider's payment and event ids
  ('shop.payment_keys',             'distributed', 'key',        'payment'),  -- (provider, id) -> user
  -- guest carts (no user id): by their token
  ('shop.guest_carts',              'distributed', 'token',      'guest'),
  ('shop.guest_cart_items',         'distributed', 'token',      'guest'),
  -- small, shared, read everywhere, joined by the distributed tables
  ('shop.products',                 'reference',   null,         null),   -- the catalog, no stock
  ('shop.variants',                 'reference',   null,         null),   -- the catalog, no stock
  ('shop.product_options',          'reference',   null,         null),
  ('shop.product_option_values',    'reference',   null,         null),
  ('shop.variant_option_values',    'reference',   null,         null),
  ('shop.price_bands',              'reference',   null,         null),
  ('shop.categories',               'reference',   null,         null),
  ('shop.search_words',             'reference',   null,         null),
  ('shop.order_statuses',           'reference',   null,         null),
  ('shop.order_status_transitions', 'reference',   null,         null),
  ('shop.settings',                 'reference',   null,         null),
  ('shop.currencies',               'reference',   null,         null),
  ('shop.event_types',              'reference',   null,         null),
  ('shop.webhook_endpoints',        'reference',   null,         null),
  -- operations of the coordinator only
  ('shop.backups',                  'local',       null,         null),
  ('shop.layer_legacy',             'local',       null,         null),   -- deploy bookkeeping
  ('shop.variant_checks',           'local',       null,         null),   -- empty between transactions
  ('shop.imports',                  'local',       null,         null),   -- catalog imports (admins)
  ('shop.unmatched_payment_events', 'local',       null,         null);  -- events of no known order

create temporary table sharding_departure (
  table_name text not null,
  object_name text not null,        -- constraint or index
  rule text not null,               -- unique (b) | fk (c) | change (constraint that moves or changes)
  becomes text not null,            -- what the migration makes of it (docs/scaling.md, table of changes)
  primary key (table_name, object_name)
);

insert into sharding_departure (table_name, object_name, rule, becomes) values
  -- (b) unique without the distribution column
  ('shop.users', 'users_email_lower_key', 'unique',
   'shop.user_emails (email_key primary key), distributed by email_key'),
  ('shop.carts', 'carts_pkey', 'unique',
   'primary key (user_id, id)'),
  ('shop.carts', 'carts_token_key', 'unique',
   'guest carts move to shop.guest_carts (token primary key)'),
  ('shop.cart_items', 'cart_items_pkey', 'unique',
   'primary key (user_id, id)'),
  ('shop.cart_items', 'cart_items_one_line_per_variant', 'unique',
   'unique (user_id, cart_id, variant_id)'),
  ('shop.orders', 'orders_pkey', 'unique',
   'primary key (user_id, id)'),
  ('shop.order_items', 'order_items_pkey', 'unique',
   'primary key (user_id, id)'),
  ('shop.order_items', 'order_items_one_line_per_variant', 'unique',
   'unique (user_id, order_id, variant_id)'),
  ('shop.order_status_history', 'order_status_history_pkey', 'unique',
   'primary key (user_id, id)'),
  ('shop.daily_sales', 'daily_sales_pkey', 'unique',
   'primary key (user_id, day)'),
  ('audit.log', 'log_pkey', 'unique',
   'primary key (shard_key, id)'),
  ('shop.attempts', 'attempts_pkey', 'unique',
   'primary key (key, id)'),
  ('shop.low_stock_alerts', 'low_stock_alerts_pkey', 'unique',
   'primary key (product_id, id)'),
  ('shop.low_stock_alerts', 'low_stock_alerts_one_open_key', 'unique',
   'unique (product_id, variant_id) where closed_at is null'),
  ('shop.stock_movements', 'stock_movements_pkey', 'unique',
   'primary key (product_id, id)'),
  ('shop.payments', 'payments_pkey', 'unique',
   'primary key (user_id, id)'),
  ('shop.payments', 'payments_one_per_reference', 'unique',
   'shop.payment_keys (provider, key) primary key, distributed by key, claimed in the same transaction'),
  ('shop.payment_events', 'payment_events_pkey', 'unique',
   'primary key (user_id, id)'),
  ('shop.payment_events', 'payment_events_once', 'unique',
   'shop.payment_keys (provider, key) primary key: an event id is claimed there first'),
  ('shop.outbox', 'outbox_pkey', 'unique',
   'primary key (shard_key, id)'),
  ('shop.outbox', 'outbox_event_id_key', 'unique',
   'unique (shard_key, event_id): event ids are random UUIDs'),
  ('shop.webhook_deliveries', 'webhook_deliveries_pkey', 'unique',
   'primary key (shard_key, id)'),
  ('shop.webhook_deliveries', 'webhook_deliveries_once', 'unique',
   'unique (shard_key, endpoint_id, outbox_id)'),
  -- (c) foreign keys without the distribution column, or across colocation groups
  ('shop.cart_items', 'cart_items_cart_id_fkey', 'fk',
   'foreign key (user_id, cart_id) references shop.carts (user_id, id) on delete cascade'),
  ('shop.idempotency_keys', 'idempotency_keys_order_id_fkey', 'fk',
   'foreign key (user_id, order_id) references shop.orders (user_id, id)'),
  ('shop.order_items', 'order_items_order_id_fkey', 'fk',
   'foreign key (user_id, order_id) references shop.orders (user_id, id)'),
  ('shop.order_status_history', 'order_status_history_order_id_fkey', 'fk',
   'foreign key (user_id, order_id) references shop.orders (user_id, id)'),
  ('shop.order_status_history', 'order_status_history_changed_by_fkey', 'fk',
   'dropped: the admin who changed the status lives in another shard; changed_by stays a plain column'),
  ('shop.stock_movements', 'stock_movements_order_id_fkey', 'fk',
   'dropped: orders are in the user group, the ledger in the product group'),
  ('shop.stock_movements', 'stock_movements_actor_id_fkey', 'fk',
   'dropped: users are in the user group, the ledger in the product group'),
  ('shop.payments', 'payments_order_id_fkey', 'fk',
   'foreign key (user_id, order_id) references shop.orders (user_id, id)'),
  ('shop.payment_events', 'payment_events_order_id_fkey', 'fk',
   'foreign key (user_id, order_id) references shop.orders (user_id, id); unmatched events of no known order '
   'go to shop.unmatched_payment_events'),
  ('shop.payment_events', 'payment_events_payment_id_fkey', 'fk',
   'foreign key (user_id, payment_id) references shop.payments (user_id, id)'),
  ('shop.payment_events', 'payment_events_recorded_by_user_fkey', 'fk',
   'dropped: the admin who recorded it lives in another shard; recorded_by_user stays a plain column'),
  ('shop.webhook_deliveries', 'webhook_deliveries_outbox_id_fkey', 'fk',
   'foreign key (shard_key, outbox_id) references shop.outbox (shard_key, id) on delete cascade'),
  -- constraints that move or change for other reasons
  ('shop.order_items', 'order_items_product_id_fkey', 'change',
   'not deferrable: checkout no longer locks catalog rows (stock is in shop.variant_stock)'),
  ('shop.variants', 'variants_stock_not_negative', 'change',
   'moves to shop.variant_stock'),
  ('shop.variants', 'variants_low_stock_threshold_not_negative', 'change',
   'moves to shop.variant_stock'),
  ('shop.carts', 'carts_owner_is_user_or_token', 'change',
   'dropped: user_id not null, guest carts in shop.guest_carts');

do $check$
declare
  v_problems text[] := '{}';
  v_more text[];
  v_tables integer;
  v_backfill text;
begin
  -- The plan itself.
  select coalesce(array_agg(format('plan: %s has kind %L (distributed, reference or local)', p.table_name, p.kind)
                            order by p.table_name), '{}')
  into v_more
  from pg_temp.sharding_plan p
  where p.kind not in ('distributed', 'reference', 'local');
  v_problems := v_problems || v_more;

  select coalesce(array_agg(format('plan: %s is %s but %s', p.table_name, p.kind,
                                   case when p.kind = 'distributed'
                                        then 'lacks its distribution column or colocation group'
                                        else 'names a distribution column or colocation group' end)
                            order by p.table_name), '{}')
  into v_more
  from pg_temp.sharding_plan p
  where (p.kind = 'distributed') <> (p.dist_column is not null and p.colocation is not null)
     or (p.kind <> 'distributed' and (p.dist_column is not null or p.colocation is not null));
  v_problems := v_problems || v_more;
  -- Citus co-locates tables whose distribution columns have one type and collation (pg_dist_colocation keeps
  -- both; the migration guide: do not mix int and bigint).
  select coalesce(array_agg(format('plan: colocation group %s mixes distribution column types: %s',
                                   g.colocation, g.types) order by g.colocation), '{}')
  into v_more
  from (
    select p.colocation,
           string_agg(distinct format_type(a.atttypid, a.atttypmod)
                               || coalesce(' collate ' || nullif(a.attcollation, 0)::regcollation::text, ''), ', ')
             as types
    from pg_temp.sharding_plan p
    join pg_catalog.pg_attribute a
      on a.attrelid = to_regclass(p.table_name) and a.attname = p.dist_column and not a.attisdropped
    where p.kind = 'distributed'
    group by p.colocation
    having count(distinct (a.atttypid, a.attcollation)) > 1
  ) g;
  v_problems := v_problems || v_more;

  select coalesce(array_agg(format('departures: %s.%s names a table the plan does not have', d.table_name,
                                   d.object_name) order by d.table_name, d.object_name), '{}')
  into v_more
  from pg_temp.sharding_departure d
  where not exists (select from pg_temp.sharding_plan p where p.table_name = d.table_name)
     or d.rule not in ('unique', 'fk', 'change');
  v_problems := v_problems || v_more;

  -- (a) every table of shop and audit is planned.
  select coalesce(array_agg(format('(a) %s is not in the sharding plan: add its line to "insert into sharding_plan" '
                                   'in db/checks/sharding.sql: (''%s'', ''distributed'', ''<its key>'', ''<group>''), '
                                   'or ''reference'' or ''local'' with nulls', c.oid::regclass, c.oid::regclass)
                            order by c.oid::regclass::text), '{}')
  into v_more
  from pg_catalog.pg_class c
  where c.relnamespace in ('shop'::regnamespace, 'audit'::regnamespace)
    and c.relkind in ('r', 'p', 'f')
    and not c.relispartition
    and not exists (select from pg_temp.sharding_plan p where to_regclass(p.table_name) = c.oid);
  v_problems := v_problems || v_more;

  -- The unique constraints and indexes of the distributed tables, with whether they hold the distribution
  -- column (as a plain key column; an expression over it does not count).
  create temporary table sharding_unique on commit drop as
  select p.table_name, p.dist_column,
         coalesce(k.conname, ic.relname) as object_name,
         case when k.contype = 'p' then 'primary key' when k.contype = 'u' then 'unique constraint'
              when k.contype = 'x' then 'exclusion constraint' else 'unique index' end as what,
         pg_catalog.pg_get_indexdef(i.indexrelid) as definition,
         exists (
           select from pg_catalog.pg_attribute a
           where a.attrelid = i.indrelid and a.attname = p.dist_column and not a.attisdropped
             and a.attnum = any (i.indkey::int2[])
         ) as has_dist_column
  from pg_temp.sharding_plan p
  join pg_catalog.pg_index i on i.indrelid = to_regclass(p.table_name)
  join pg_catalog.pg_class ic on ic.oid = i.indexrelid
  left join pg_catalog.pg_constraint k on k.conindid = i.indexrelid and k.conrelid = i.indrelid
                                       and k.contype in ('p', 'u', 'x')
  where p.kind = 'distributed'
    and (i.indisunique or i.indisexclusion);

  -- (b) unique without the distribution column, not a known departure.
  select coalesce(array_agg(format('(b) %s %s on %s (distributed by %s) lacks its distribution column: %s',
                                   u.what, u.object_name, u.table_name, u.dist_column, u.definition)
                            order by u.table_name, u.object_name), '{}')
  into v_more
  from pg_temp.sharding_unique u
  where not u.has_dist_column
    and not exists (select from pg_temp.sharding_departure d
                    where d.table_name = u.table_name and d.object_name = u.object_name and d.rule = 'unique');
  v_problems := v_problems || v_more;

  -- The foreign keys between planned tables, with the plan of both ends.
  create temporary table sharding_fk on commit drop as
  select k.conname as object_name, src.table_name as src_table, dst.table_name as dst_table,
         src.kind as src_kind, dst.kind as dst_kind, src.colocation as src_group, dst.colocation as dst_group,
         src.dist_column as src_dist, dst.dist_column as dst_dist,
         pg_catalog.pg_get_constraintdef(k.oid) as definition,
         exists (
           select
           from unnest(k.conkey, k.confkey) as pair (src_att, dst_att)
           join pg_catalog.pg_attribute sa on sa.attrelid = k.conrelid and sa.attnum = pair.src_att
           join pg_catalog.pg_attribute da on da.attrelid = k.confrelid and da.attnum = pair.dst_att
           where sa.attname = src.dist_column and da.attname = dst.dist_column
         ) as pairs_dist_columns
  from pg_catalog.pg_constraint k
  join pg_temp.sharding_plan src on to_regclass(src.table_name) = k.conrelid
  join pg_temp.sharding_plan dst on to_regclass(dst.table_name) = k.confrelid
  where k.contype = 'f';

  -- (c) between distributed tables: one colocation group, distribution column to distribution column.
  select coalesce(array_agg(format('(c) foreign key %s from %s to %s %s: %s', f.object_name, f.src_table,
                                   f.dst_table,
                                   case when f.src_group is distinct from f.dst_group
                                        then format('crosses colocation groups (%s -> %s)', f.src_group, f.dst_group)
                                        else format('does not pair %s.%s with %s.%s', f.src_table, f.src_dist,
                                                    f.dst_table, f.dst_dist) end,
                                   f.definition)
                            order by f.src_table, f.object_name), '{}')
  into v_more
  from pg_temp.sharding_fk f
  where f.src_kind = 'distributed' and f.dst_kind = 'distributed'
    and (f.src_group is distinct from f.dst_group or not f.pairs_dist_columns)
    and not exists (select from pg_temp.sharding_departure d
                    where d.table_name = f.src_table and d.object_name = f.object_name and d.rule = 'fk');
  v_problems := v_problems || v_more;

  -- (d) foreign keys Citus does not support at all.
  select coalesce(array_agg(format('(d) foreign key %s goes from %s table %s to %s table %s, which Citus does '
                                   'not support: %s', f.object_name, f.src_kind, f.src_table, f.dst_kind,
                                   f.dst_table, f.definition)
                            order by f.src_table, f.object_name), '{}')
  into v_more
  from pg_temp.sharding_fk f
  where (f.src_kind = 'reference' and f.dst_kind = 'distributed')
     or (f.src_kind = 'local' and f.dst_kind = 'distributed')
     or (f.src_kind = 'distributed' and f.dst_kind = 'local');
  v_problems := v_problems || v_more;

  -- (e) every known departure exists and still breaks its rule.
  select coalesce(array_agg(format('(e) known departure %s on %s (%s) no longer exists: update the list in '
                                   'db/checks/sharding.sql and docs/scaling.md', d.object_name, d.table_name,
                                   d.rule) order by d.table_name, d.object_name), '{}')
  into v_more
  from pg_temp.sharding_departure d
  where not exists (select from pg_catalog.pg_constraint k
                    where k.conrelid = to_regclass(d.table_name) and k.conname = d.object_name
                      and (d.rule <> 'fk' or k.contype = 'f')
                      and (d.rule <> 'unique' or k.contype in ('p', 'u', 'x')))
    and not (d.rule in ('unique', 'change') and exists (
               select from pg_catalog.pg_index i join pg_catalog.pg_class ic on ic.oid = i.indexrelid
               where i.indrelid = to_regclass(d.table_name) and ic.relname = d.object_name
                 and (d.rule <> 'unique' or i.indisunique or i.indisexclusion)));
  v_problems := v_problems || v_more;

  select coalesce(array_agg(format('(e) known departure %s on %s no longer breaks rule (%s): remove it from the '
                                   'list in db/checks/sharding.sql and from docs/scaling.md', d.object_name,
                                   d.table_name, case d.rule when 'unique' then 'b' else 'c' end)
                            order by d.table_name, d.object_name), '{}')
  into v_more
  from pg_temp.sharding_departure d
  where (d.rule = 'unique' and exists (select from pg_temp.sharding_unique u
                                       where u.table_name = d.table_name and u.object_name = d.object_name
                                         and u.has_dist_column))
     or (d.rule = 'fk' and exists (select from pg_temp.sharding_fk f
                                   where f.src_table = d.table_name and f.object_name = d.object_name
                                     and not (f.src_kind = 'distributed' and f.dst_kind = 'distributed'
                                              and (f.src_group is distinct from f.dst_group
                                                   or not f.pairs_dist_columns))));
  v_problems := v_problems || v_more;

  drop table pg_temp.sharding_unique;
  drop table pg_temp.sharding_fk;

  if cardinality(v_problems) > 0 then
    raise exception using
      message = format(E'sharding plan check failed: %s problem(s)\n  %s', cardinality(v_problems),
                       array_to_string(v_problems, E'\n  ')),
      hint = 'The plan and its rules: docs/scaling.md; the data: db/checks/sharding.sql.';
  end if;

  select count(*) into v_tables from pg_temp.sharding_plan p where to_regclass(p.table_name) is not null;
  select string_agg(p.table_name || '.' || p.dist_column, ', ' order by p.table_name) into v_backfill
  from pg_temp.sharding_plan p
  where p.kind = 'distributed' and to_regclass(p.table_name) is not null
    and not exists (select from pg_catalog.pg_attribute a
                    where a.attrelid = to_regclass(p.table_name) and a.attname = p.dist_column
                      and not a.attisdropped);
  raise notice 'sharding plan holds: % tables planned (% distributed, % reference, % local; % more created by the '
               'migration), % known departures still present; distribution columns to add and backfill: %',
    v_tables,
    (select count(*) from pg_temp.sharding_plan p where to_regclass(p.table_name) is not null and p.kind = 'distributed'),
    (select count(*) from pg_temp.sharding_plan p where to_regclass(p.table_name) is not null and p.kind = 'reference'),
    (select count(*) from pg_temp.sharding_plan p where to_regclass(p.table_name) is not null and p.kind = 'local'),
    (select count(*) from pg_temp.sharding_plan p where to_regclass(p.table_name) is null),
    (select count(*) from pg_temp.sharding_departure),
    coalesce(v_backfill, 'none');
end
$check$;

drop table pg_temp.sharding_plan;
drop table pg_temp.sharding_departure;
