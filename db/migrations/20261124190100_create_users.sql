-- migrate:up
create table shop.users (
  id bigint generated always as identity primary key,
  email varchar(255) not null,
  password_hash text not null,
  first_name varchar(100) not null,
  last_name varchar(100) not null,
  role text not null default 'customer',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint users_email_format check (email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'),
  constraint users_first_name_not_blank check (btrim(first_name) <> ''),
  constraint users_last_name_not_blank check (btrim(last_name) <> ''),
  constraint users_role_known check (role in ('customer', 'admin')),
  constraint users_password_is_bcrypt check (password_hash like '$2_$%')
);
create unique index users_email_lower_key on shop.users (lower(email));
create trigger tg_users__set_updated_at
  before update on shop.users
  for each row execute function shop.tg__set_updated_at();

comment on table shop.users is 'Customers and admins. Passwords are bcrypt hashes made in the database.';
comment on column shop.users.email is 'Login; unique regardless of letter case (users_email_lower_key).';
comment on column shop.users.password_hash is 'bcrypt hash (pgcrypto crypt/gen_salt(''bf'')); never leaves the database.';
comment on column shop.users.role is 'customer or admin; only an admin (or make admin) changes it.';

-- migrate:down
drop table shop.users;
