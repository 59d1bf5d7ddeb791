-- migrate:up
-- Settings an operator may change: one row each, read by the functions (lib.setting in the function
-- layer). A deploy (`make migrate`) sets each from the environment variable of the same name in upper
-- case, or back to its default, so the database always holds what the last deploy was given.
create table shop.settings (
  name text primary key,
  value text not null,
  default_value text not null,
  type text not null,
  minimum text not null,
  maximum text,
  description text not null,
  constraint settings_name_format check (name ~ '^[a-z][a-z0-9_]*$'),
  constraint settings_type_known check (type in ('integer', 'interval'))
);
comment on table shop.settings is
  'Operator settings: value, default, type and range (minimum, maximum: null for none). Deploys set them from '
  'environment variables named like the setting in upper case; the functions read them by name.';

insert into shop.settings (name, value, default_value, type, minimum, description) values
  ('rate_limit_login_failures', '5', '5', 'integer', '0',
   'Failed logins per account (any email tried) within rate_limit_login_window before further attempts get '
   '429; 0 for no limit.'),
  ('rate_limit_login_window', '15 minutes', '15 minutes', 'interval', '1 second',
   'The window over which failed logins of one account are counted.'),
  ('rate_limit_auth_per_address', '30', '30', 'integer', '0',
   'Login and register attempts per client address per minute before 429; 0 for no limit.'),
  ('rate_limit_checkout_per_user', '60', '60', 'integer', '0',
   'Checkout attempts per user per minute before 429; 0 for no limit.');

-- Attempts that rate limits count: failed logins per account, login and register attempts per client
-- address, checkouts per user. Kept for the longest window, then purged by the hourly housekeeping.
create table shop.attempts (
  id bigint generated always as identity primary key,
  kind text not null,
  key text not null,
  at timestamptz not null default now(),
  constraint attempts_kind_known check (kind in ('login_failure', 'auth', 'checkout'))
);
create index attempts_kind_key_at_idx on shop.attempts (kind, key, at);
create index attempts_at_idx on shop.attempts (at);
comment on table shop.attempts is
  'Rate-limited attempts: login_failure (key: email in lower case, existing or not), auth (key: client '
  'address; logins and registrations), checkout (key: user id). Purged after the longest window.';

-- migrate:down
drop table shop.attempts;
drop table shop.settings;
