-- Settings and rate limits (platform). Business constants live in shop.settings, read by name; a deploy
-- writes each from the environment variable of its name in upper case. A rate limit counts attempts of a kind
-- per key in shop.attempts, so it holds across workers and restarts.

-- Settings (shop.settings): read by name; written at deploy from the environment.
create or replace function lib.setting(p_name text) returns text
language plpgsql
stable
as $$
declare
  v_value text;
begin
  select s.value into v_value from shop.settings s where s.name = p_name;
  if not found then
    raise exception 'unknown setting %', p_name;
  end if;
  return v_value;
end
$$;
comment on function lib.setting(text) is 'The current value of a setting (shop.settings); an error for an unknown name.';

create or replace function lib.settings_apply(p_values jsonb) returns setof shop.settings
language plpgsql
volatile
as $$
declare
  v_setting shop.settings;
  v_value text;
  v_ok boolean;
begin
  for v_setting in select * from shop.settings s order by s.name for update loop
    v_value := coalesce(p_values ->> v_setting.name, v_setting.default_value);
    begin
      v_ok := case v_setting.type
        when 'integer' then v_value::integer between v_setting.minimum::integer
                                                 and coalesce(v_setting.maximum::integer, 2147483647)
        else v_value::interval >= v_setting.minimum::interval
             and (v_setting.maximum is null or v_value::interval <= v_setting.maximum::interval) end;
    exception when others then
      v_ok := false;
    end;
    if not v_ok then
      raise exception '% = % is not a valid %', upper(v_setting.name), v_value,
        v_setting.type || ' from ' || v_setting.minimum || coalesce(' to ' || v_setting.maximum, '')
        using errcode = 'invalid_parameter_value', hint = v_setting.description;
    end if;
    update shop.settings s set value = v_value where s.name = v_setting.name and s.value <> v_value;
  end loop;
  return query select * from shop.settings s order by s.name;
end
$$;
comment on function lib.settings_apply(jsonb) is
  'Deploy: sets every setting to its value in p_values ({"name": "value"}) or back to its default; refuses a '
  'value of the wrong type or outside the setting''s range.';

-- Rate limits: at most p_limit attempts of a kind per key within p_window (0: no limit). Beyond it, PT429
-- too_many_attempts with retry_after: the seconds until the oldest counted attempt leaves the window.
create or replace function lib.rate_limit_check(p_kind text, p_key text, p_limit integer, p_window interval)
returns void
language plpgsql
stable
as $$
declare
  v_release timestamptz;
begin
  if p_limit <= 0 then
    return;
  end if;
  select a.at + p_window into v_release
  from shop.attempts a
  where a.kind = p_kind
    and a.key = p_key
    and a.at > now() - p_window
  order by a.at desc
  offset p_limit - 1
  limit 1;
  if found then
    raise exception using
      errcode = 'PT429', message = 'too_many_attempts',
      detail = 'too many attempts: wait before trying again',
      hint = json_build_object('retry_after', greatest(1, ceil(extract(epoch from v_release - now()))))::text;
  end if;
end
$$;
comment on function lib.rate_limit_check(text, text, integer, interval) is
  'PT429 too_many_attempts (hint: retry_after seconds) when p_key already made p_limit attempts of p_kind within '
  'p_window (shop.attempts); p_limit 0 means no limit.';

create or replace function lib.auth_attempt(p_client inet) returns void
language plpgsql
volatile
as $$
begin
  if p_client is not null then
    perform lib.rate_limit_check('auth', host(p_client), lib.setting('rate_limit_auth_per_address')::integer,
                                  interval '1 minute');
    insert into shop.attempts (kind, key) values ('auth', host(p_client));
  end if;
end
$$;
comment on function lib.auth_attempt(inet) is
  'Counts a login or register attempt from a client address (rate_limit_auth_per_address a minute; PT429 '
  'beyond it). No address (a local caller), no limit.';
