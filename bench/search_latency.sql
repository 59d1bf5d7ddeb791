-- Times each bench query through api.products_list (top 20, ranked) inside the database, p_rounds times.
create function bench.search_latency(p_queries text[], p_rounds integer)
returns table (p50_ms float8, p95_ms float8, samples integer)
language plpgsql
as $$
declare
  v_ms float8[] := '{}';
  v_started timestamptz;
  v_query text;
begin
  for round in 1..p_rounds loop
    foreach v_query in array p_queries loop
      v_started := clock_timestamp();
      perform api.products_list(p_q => v_query, p_limit => 20);
      v_ms := v_ms || extract(epoch from clock_timestamp() - v_started) * 1000;
    end loop;
  end loop;
  return query
  select percentile_cont(0.5) within group (order by x), percentile_cont(0.95) within group (order by x),
         count(*)::integer
  from unnest(v_ms) x;
end
$$;
