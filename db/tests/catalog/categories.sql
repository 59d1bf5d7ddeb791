-- api.categories_list, api.category_create (as pgshop_api), the category tree's trigger and constraints.
begin;
select * from no_plan();
\ir ../helpers.psql

-- Function properties ---------------------------------------------------------------------------------
select function_privs_are('api', 'categories_list', '{}'::text[], 'pgshop_api', array['EXECUTE']);
select function_privs_are('api', 'category_create', array['text', 'text', 'bigint'], 'pgshop_api', array['EXECUTE']);
select volatility_is('api', 'categories_list', '{}'::name[], 'stable');
select volatility_is('api', 'category_create', array['text', 'text', 'bigint'], 'volatile');
select is_definer('api', 'categories_list', '{}'::name[]);
select is_definer('api', 'category_create', array['text', 'text', 'bigint']);

do $$
begin
  perform pg_temp.new_user('admin_id', 'zqxwv-cat-admin@zqxwv.test', 'Ad', 'Min', 'admin');
  perform pg_temp.new_user('customer_id', 'zqxwv-cat-customer@zqxwv.test', 'Cus', 'Tomer', 'customer');
  perform set_config('tests.missing_category', ((select coalesce(max(id), 0) from shop.categories) + 1000)::text, true);
end
$$;

-- api.category_create ---------------------------------------------------------------------------------
set local role pgshop_api;
select pg_temp.act_as(pg_temp.id('admin_id'), 'admin');

select pg_temp.keep('root', api.category_create('  Zqxwv Root  ', 'The root of the test tree'));
select is(
  pg_temp.kept('root') - 'id' - 'created_at',
  jsonb_build_object('name', 'Zqxwv Root', 'description', 'The root of the test tree', 'parent_id', null),
  'category_create (admin) returns the new root category, name trimmed');
select is(
  array(select jsonb_object_keys(pg_temp.kept('root')) order by 1),
  array['created_at', 'description', 'id', 'name', 'parent_id'],
  'a category has exactly id, name, description, parent_id, created_at');

select pg_temp.keep('child', api.category_create('Zqxwv Child', null, pg_temp.id('root')));
select is(
  pg_temp.kept('child') - 'id' - 'created_at',
  jsonb_build_object('name', 'Zqxwv Child', 'description', null, 'parent_id', pg_temp.id('root')),
  'category_create with a parent');
select pg_temp.keep('grandchild', api.category_create('Zqxwv Grandchild', p_parent_id => pg_temp.id('child')));

select throws_ok($$select api.category_create('zQXWV rOOT')$$, 'PT409', 'category_exists',
  'category_create: the same name in another letter case -> PT409 category_exists');
select throws_ok($$select api.category_create(' Zqxwv Root ', 'again')$$, 'PT409', 'category_exists',
  'category_create: the same name with surrounding spaces -> PT409 category_exists');
select throws_ok(
  format('select api.category_create(%L, null, %s)', 'Zqxwv Orphan', pg_temp.id('missing_category')),
  'PT422', 'unknown_parent', 'category_create: a parent that does not exist -> PT422 unknown_parent');
select throws_ok($$select api.category_create('   ')$$, '23514', null,
  'category_create: a blank name -> 23514 (categories_name_not_blank)');

select pg_temp.act_as(pg_temp.id('customer_id'));
select throws_ok($$select api.category_create('Zqxwv Customer')$$, 'PT403', 'forbidden',
  'category_create: a customer -> PT403 forbidden');
select pg_temp.act_as(pg_temp.id('customer_id'), 'admin');
select throws_ok($$select api.category_create('Zqxwv Customer')$$, 'PT403', 'forbidden',
  'category_create: a customer whose token claims admin -> PT403 forbidden');
select pg_temp.act_as(null);
select throws_ok($$select api.category_create('Zqxwv Anonymous')$$, 'PT401', 'unauthenticated',
  'category_create: anonymous -> PT401 unauthenticated');

-- api.categories_list (public: anonymous here) --------------------------------------------------------
select is(
  array(select jsonb_object_keys(api.categories_list()::jsonb) order by 1),
  array['items', 'next_cursor'],
  'categories_list returns {items, next_cursor}');
select is(api.categories_list()::jsonb -> 'next_cursor', 'null'::jsonb, 'categories_list: next_cursor is null (one page)');
select is(jsonb_typeof(api.categories_list()::jsonb -> 'items'), 'array', 'categories_list: items is an array');
select results_eq(
  $$select i from jsonb_array_elements(api.categories_list()::jsonb -> 'items') i where i ->> 'name' like 'Zqxwv%'$$,
  $$select x from (values (pg_temp.kept('root')), (pg_temp.kept('child')), (pg_temp.kept('grandchild'))) v (x)$$,
  'categories_list lists the created categories, in id order, in the same shape category_create returned');

reset role;
select is(
  (select count(*) from jsonb_array_elements(api.categories_list()::jsonb -> 'items')),
  (select count(*) from shop.categories),
  'categories_list lists every category');

-- The tree: no cycles ---------------------------------------------------------------------------------
select throws_ok(
  $$update shop.categories set parent_id = pg_temp.id('grandchild') where id = pg_temp.id('root')$$,
  'PT422', 'category_cycle', 'moving a category under its grandchild -> PT422 category_cycle');
select throws_ok(
  $$update shop.categories set parent_id = pg_temp.id('child') where id = pg_temp.id('root')$$,
  'PT422', 'category_cycle', 'moving a category under its child -> PT422 category_cycle');
select throws_ok(
  $$update shop.categories set parent_id = id where id = pg_temp.id('child')$$,
  'PT422', 'category_cycle', 'making a category its own parent -> PT422 category_cycle');
select lives_ok(
  $$update shop.categories set parent_id = pg_temp.id('root') where id = pg_temp.id('grandchild')$$,
  'moving a category to another place in the tree is fine');
select lives_ok(
  $$update shop.categories set parent_id = null where id = pg_temp.id('child')$$,
  'making a category a root is fine');
select lives_ok(
  $$update shop.categories set parent_id = pg_temp.id('grandchild') where id = pg_temp.id('child')$$,
  'a former ancestor may move under a former descendant once it is no longer an ancestor');
select is(
  (select array_agg(c.parent_id order by c.id) from shop.categories c
   where c.id in (pg_temp.id('root'), pg_temp.id('child'), pg_temp.id('grandchild'))),
  array[null, pg_temp.id('grandchild'), pg_temp.id('root')],
  'the tree after the moves: root <- grandchild <- child');

-- Table constraints -----------------------------------------------------------------------------------
select col_has_check('shop', 'categories', array['parent_id', 'id']::name[], 'categories has a check on (parent_id, id)');
select col_has_check('shop', 'categories', 'name', 'categories has a check on name');
select throws_ok(
  $$insert into shop.categories (id, name, parent_id) overriding system value values (-4242, 'Zqxwv Self', -4242)$$,
  '23514', 'new row for relation "categories" violates check constraint "categories_not_own_parent"',
  'a category that is its own parent violates categories_not_own_parent');
select throws_ok(
  $$insert into shop.categories (name) values (' ')$$,
  '23514', 'new row for relation "categories" violates check constraint "categories_name_not_blank"',
  'a blank category name violates categories_name_not_blank');
select throws_ok(
  $$insert into shop.categories (name) values ('ZQXWV CHILD')$$,
  '23505', null, 'category names are unique regardless of case (categories_name_lower_key)');

select * from finish();
rollback;
