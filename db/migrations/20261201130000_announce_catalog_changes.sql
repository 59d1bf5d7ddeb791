-- migrate:up
-- The API caches catalog reads; the database tells it, in the same transaction as the change, what changed:
-- pg_notify('pgshop_catalog', ...) with the ids of the products a statement inserted, updated (a stock change
-- from a checkout included) or deleted, or that the categories changed. Notifications go out at commit, to
-- every listener, and only then; a rolled-back change announces nothing.

-- pg_notify, and the same message kept in a transaction-local setting (pgshop.announced, the latest one) so
-- that a test or a DBA can see what a statement announced (notifications reach listeners only at commit).
create function shop.announce(p_channel text, p_payload text) returns void
language sql
volatile
as $$
  select pg_notify(p_channel, p_payload), set_config('pgshop.announced', p_channel || ' ' || p_payload, true)
$$;
comment on function shop.announce(text, text) is
  'pg_notify(p_channel, p_payload), the message also kept in the transaction-local setting pgshop.announced.';

create function shop.tg__announce_catalog_change() returns trigger
language plpgsql
as $$
declare
  v_ids jsonb;
begin
  if tg_table_name = 'categories' then
    perform shop.announce('pgshop_catalog', '{"categories": true}');
    return null;
  end if;
  if tg_op = 'DELETE' then
    select jsonb_agg(o.id order by o.id) into v_ids from old_rows o;
  else
    select jsonb_agg(n.id order by n.id) into v_ids from new_rows n;
  end if;
  if v_ids is not null then
    -- A notification carries less than 8000 bytes: a big statement says "all" instead of every id.
    perform shop.announce('pgshop_catalog', case when length(v_ids::text) < 7900
      then jsonb_build_object('products', v_ids)::text else '{"products": "all"}' end);
  end if;
  return null;
end
$$;
comment on function shop.tg__announce_catalog_change() is
  'Trigger (statement level): pg_notify(''pgshop_catalog'', {"products": [ids]} or {"products": "all"} or '
  '{"categories": true}) for the catalog rows a statement changed, so that caches drop them at commit.';

create trigger _400_announce_insert after insert on shop.products
  referencing new table as new_rows for each statement execute function shop.tg__announce_catalog_change();
create trigger _400_announce_update after update on shop.products
  referencing new table as new_rows for each statement execute function shop.tg__announce_catalog_change();
create trigger _400_announce_delete after delete on shop.products
  referencing old table as old_rows for each statement execute function shop.tg__announce_catalog_change();
create trigger _400_announce after insert or update or delete or truncate on shop.categories
  for each statement execute function shop.tg__announce_catalog_change();

-- migrate:down
select shop.drop_function_layer();
drop trigger _400_announce on shop.categories;
drop trigger _400_announce_delete on shop.products;
drop trigger _400_announce_update on shop.products;
drop trigger _400_announce_insert on shop.products;
drop function shop.tg__announce_catalog_change();
drop function shop.announce(text, text);
