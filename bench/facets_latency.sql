-- Times api.products_facets against api.products_list (the first page of 20) with the same filters inside the
-- database, p_rounds times over each filter set of p_filters: [{name, q?, category_id?, min_price?, max_price?,
-- in_stock?, options?: ["Size:M", ...]}]. Both run back to back for each set, in turn first (what one leaves in
-- the cache helps the other). One row per function over every set (filter null), then one per function and set.
create function bench.facets_latency(p_filters jsonb, p_rounds integer)
returns table (kind text, filter text, p50_ms float8, p95_ms float8, samples integer)
language plpgsql
as $$
declare
  v_kind text[] := '{}';
  v_filter text[] := '{}';
  v_ms float8[] := '{}';
  v_started timestamptz;
  v_set jsonb;
  v_q text;
  v_category_id bigint;
  v_min_price numeric;
  v_max_price numeric;
  v_in_stock boolean;
  v_options text[];
  v_which text;
begin
  for round in 1..p_rounds loop
    for v_set in select s from jsonb_array_elements(p_filters) s loop
      v_q := v_set ->> 'q';
      v_category_id := (v_set ->> 'category_id')::bigint;
      v_min_price := (v_set ->> 'min_price')::numeric;
      v_max_price := (v_set ->> 'max_price')::numeric;
      v_in_stock := coalesce((v_set ->> 'in_stock')::boolean, false);
      v_options := case when v_set ? 'options' then array(select jsonb_array_elements_text(v_set -> 'options')) end;
      foreach v_which in array case when round % 2 = 1 then array['facets', 'list'] else array['list', 'facets'] end
      loop
        v_started := clock_timestamp();
        if v_which = 'facets' then
          perform api.products_facets(v_q, v_category_id, v_min_price, v_max_price, v_in_stock, v_options);
        else
          perform api.products_list(p_q => v_q, p_category_id => v_category_id, p_min_price => v_min_price,
                                    p_max_price => v_max_price, p_in_stock => v_in_stock, p_limit => 20,
                                    p_options => v_options);
        end if;
        v_kind := v_kind || v_which;
        v_filter := v_filter || (v_set ->> 'name');
        v_ms := v_ms || extract(epoch from clock_timestamp() - v_started) * 1000;
      end loop;
    end loop;
  end loop;
  return query
  select s.k, s.f, percentile_cont(0.5) within group (order by s.ms),
         percentile_cont(0.95) within group (order by s.ms), count(*)::integer
  from unnest(v_kind, v_filter, v_ms) s(k, f, ms)
  group by grouping sets ((s.k), (s.k, s.f))
  order by s.k, s.f nulls first;
end
$$;
