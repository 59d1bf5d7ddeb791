-- migrate:up
-- The typo vocabulary holds words, not model codes: a name like "Glacier Compact Lamp 1C4F" added one
-- unique token per product, so the vocabulary grew with the catalog (1M tokens at 1M products) and every
-- correction searched all of them. Words with a digit are left out; a mistyped model code is not corrected.
create or replace function shop.tg_products__search_words() returns trigger
language plpgsql
as $$
begin
  insert into shop.search_words (word)
  select distinct lower(w)
  from regexp_split_to_table(new.name, '[^[:alnum:]]+') w
  where length(w) >= 3 and w !~ '[[:digit:]]'
  on conflict do nothing;
  return null;
end
$$;
comment on table shop.search_words is
  'Every word (3+ letters, no digits, lower case) that appears in a product name: the vocabulary typos are '
  'corrected to.';

delete from shop.search_words where word ~ '[[:digit:]]';

-- migrate:down
create or replace function shop.tg_products__search_words() returns trigger
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
comment on table shop.search_words is
  'Every word (3+ letters, lower case) that appears in a product name: the vocabulary typos are corrected to.';

insert into shop.search_words (word)
select distinct lower(w)
from shop.products p
cross join regexp_split_to_table(p.name, '[^[:alnum:]]+') w
where length(w) >= 3
on conflict do nothing;
