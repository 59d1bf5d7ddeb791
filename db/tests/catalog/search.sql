-- The search machinery behind api.products_list: the RUM index, shop.search_words and its triggers,
-- lib.correct_query, and ranking through the index. Made-up words ("zqxwv...") keep it apart from demo data.
-- Since variants (migration 20261208200000) the search vector is kept by the layer (shop.product_search): name
-- (A), description (B), the live variants' SKUs (A) and their option values (C).
begin;
select * from no_plan();
\ir ../helpers.psql
set local client_min_messages = warning;

-- Structure ----------------------------------------------------------------------------------------------
select has_extension('rum', 'the rum extension is installed');
select has_index('shop', 'products', 'products_search_rum_idx', 'products has the RUM search index');
select is((select amname::text from pg_class c join pg_am a on a.oid = c.relam
           where c.oid = 'shop.products_search_rum_idx'::regclass), 'rum', 'the search index is a RUM index');
select is((select pg_get_expr(indpred, indrelid) from pg_index where indexrelid = 'shop.products_search_rum_idx'::regclass),
  '((deleted_at IS NULL) AND is_active)', 'the RUM index covers only live, active products');
select ok((select indisvalid from pg_index where indexrelid = 'shop.products_search_rum_idx'::regclass),
  'the RUM index (built CONCURRENTLY) is valid');
select hasnt_index('shop', 'products', 'products_search_idx', 'the old GIN search index is gone');
select has_index('shop', 'search_words', 'search_words_trgm_idx', 'search_words has a trigram index');
select trigger_is('shop', 'products', '_300_search_words_insert', 'shop', 'tg_products__search_words',
  'new products add their words');
select trigger_is('shop', 'products', '_300_search_words_update', 'shop', 'tg_products__search_words',
  'renamed products add their words');
select trigger_is('shop', 'products', '_100_search', 'shop', 'tg_products__search',
  'a product''s search vector is computed when its name or description is written');
select volatility_is('lib', 'correct_query', array['text'], 'stable');
select table_privs_are('shop', 'search_words', 'pgshop_api', '{}'::text[], 'pgshop_api has no rights on search_words');
select function_privs_are('lib', 'correct_query', array['text'], 'pgshop_api', '{}'::text[],
  'pgshop_api cannot call lib.correct_query');

-- The vocabulary trigger ---------------------------------------------------------------------------------
select set_config('tests.' || k, pg_temp.new_product(n, p, s, 5)::text, true)
from (values ('s1', 'Zqxwvalpha Brownswitchqq keyboard', 10, 'ZQ-SEARCH-1'),
             ('s2', 'Zqxwvbeta mat', 12, 'ZQ-SEARCH-2'),
             ('s3', 'Zqxwvgamma ab-cd ZQ9000x', 3, 'ZQ-SEARCH-3')) v (k, n, p, s)
order by k;
update shop.products p set description = d
from (values ('s1', 'A mechanical keyboard'), ('s2', 'Goes under a zqxwvalpha keyboard'), ('s3', 'Short words')) v (k, d)
where p.id = pg_temp.id(k);

select bag_eq($$select word from shop.search_words where word in
                ('zqxwvalpha', 'brownswitchqq', 'zqxwvbeta', 'zqxwvgamma', 'ab', 'cd', 'zq9000x', 'goes')$$,
  $$values ('zqxwvalpha'), ('brownswitchqq'), ('zqxwvbeta'), ('zqxwvgamma')$$,
  'an insert adds the name''s words, lower case; words under 3 letters, model codes (digits) and '
  'description words are left out');

update shop.products set name = 'Zqxwvdelta mat' where id = pg_temp.id('s2');
select ok(exists (select from shop.search_words where word = 'zqxwvdelta'), 'a rename adds the new name''s words');
select ok(exists (select from shop.search_words where word = 'zqxwvbeta'),
  'old words stay (other products or old links may still use them)');

-- WHEN (old.name is distinct from new.name): a stock or price update never touches the vocabulary.
delete from shop.search_words where word = 'zqxwvdelta';
update shop.variants set stock_quantity = 4, price = 13 where sku = 'ZQ-SEARCH-2';
update shop.products set name = name where id = pg_temp.id('s2');
select ok(not exists (select from shop.search_words where word = 'zqxwvdelta'),
  'updates that leave the name as it is do not run the trigger (the variant''s price reaches the product)');
select is((select price from shop.products where id = pg_temp.id('s2')), 13.00,
  '... which did change the product''s price');

-- The vector follows the variants: a SKU is found (weight A), and a renamed SKU replaces the old one.
select ok((select search @@ to_tsquery('simple', 'zq-search-3') from shop.products where id = pg_temp.id('s3')),
  'a product''s vector holds its variant''s SKU');
update shop.variants set sku = 'ZQ-SEARCH-3B' where sku = 'ZQ-SEARCH-3';
select ok((select search @@ to_tsquery('simple', 'zq-search-3b') and not search @@ to_tsquery('simple', 'zq-search-3')
           from shop.products where id = pg_temp.id('s3')),
  'a renamed SKU: the product''s vector holds the new one, not the old');
update shop.variants set sku = 'ZQ-SEARCH-3' where sku = 'ZQ-SEARCH-3B';

select throws_ok($$insert into shop.search_words values ('Zqxwvupper')$$, '23514', null,
  'search_words refuses a word that is not lower case');
select throws_ok($$insert into shop.search_words values ('ab')$$, '23514', null,
  'search_words refuses a word under 3 letters');

-- lib.correct_query --------------------------------------------------------------------------------------
select is(lib.correct_query('zqxwvalphq keyboard'), 'zqxwvalpha keyboard',
  'an unknown word is replaced by the most similar known word; known words stay');
select is(lib.correct_query('Zqxwvalpha'), 'Zqxwvalpha', 'a known word is kept as typed (any case)');
select is(lib.correct_query('qqqqqqqqqq'), 'qqqqqqqqqq', 'a word with no similar known word stays as typed');
select is(lib.correct_query('zqxwvalpa ZQ9001x'), 'zqxwvalpha ZQ9001x', 'a word with a digit (a model code) stays as typed');

-- Through products_list, as the API calls it ---------------------------------------------------------
set local role pgshop_api;
select is((select array_agg(e ->> 'sku') from json_array_elements(api.products_list('zqxwvalpha') -> 'items') e),
  array['ZQ-SEARCH-1', 'ZQ-SEARCH-2'], 'ranked: the name match (weight A) above the description match (weight B)');
select is((select array_agg(e ->> 'sku') from json_array_elements(api.products_list('Brownswichqq') -> 'items') e),
  array['ZQ-SEARCH-1'], 'a query that matches nothing is corrected and finds the product');
select is((select array_agg(e ->> 'sku') from json_array_elements(api.products_list('zqxwvgamma short') -> 'items') e),
  array['ZQ-SEARCH-3'], 'a query that matches as typed is not corrected');
reset role;

select * from finish();
rollback;
