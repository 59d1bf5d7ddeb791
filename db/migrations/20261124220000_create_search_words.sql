-- migrate:up
-- rum (for the search index of the next migrations) is not a trusted extension: the set-up creates it as a
-- superuser (scripts/pgshop.sh, docker-compose); elsewhere a DBA runs `create extension rum` once first.
create extension if not exists rum;

-- Typo tolerance at any catalog size: the words of product names, with a trigram index, so a query that
-- matches nothing can be corrected word by word (shop.correct_query) instead of comparing it with every name.
-- squawk-ignore ban-drop-function
drop function if exists shop.product_rank(shop.products, text, tsquery);

create table shop.search_words (
  word text primary key,
  constraint search_words_lowercase check (word = lower(word) and length(word) >= 3)
);
create index search_words_trgm_idx on shop.search_words using gist (word gist_trgm_ops);
comment on table shop.search_words is
  'Every word (3+ letters, lower case) that appears in a product name: the vocabulary typos are corrected to.';

create function shop.tg_products__search_words() returns trigger
language plpgsql
as $$
begin
  insert into shop.search_words (word)
  select distinct lower(w)
  from regexp_split_to_table(new.name, '[^[:alnum:]]+') w
  where length(w) >= 3
  on conflict do nothing;
  return null;
end
$$;
comment on function shop.tg_products__search_words() is
  'Trigger: adds the words of a new or renamed product to shop.search_words.';
create trigger tg_products__search_words_insert
  after insert on shop.products
  for each row execute function shop.tg_products__search_words();
-- WHEN: stock and price updates (every checkout) never run the function.
create trigger tg_products__search_words_update
  after update of name on shop.products
  for each row
  when (old.name is distinct from new.name)
  execute function shop.tg_products__search_words();

insert into shop.search_words (word)
select distinct lower(w)
from shop.products p
cross join regexp_split_to_table(p.name, '[^[:alnum:]]+') w
where length(w) >= 3;

-- migrate:down
drop trigger tg_products__search_words_update on shop.products;
drop trigger tg_products__search_words_insert on shop.products;
drop function shop.tg_products__search_words();
drop table shop.search_words;
