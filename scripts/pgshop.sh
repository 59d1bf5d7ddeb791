#!/usr/bin/env bash
# One place for everything `make run`, `make test` and `make admin` need to set up.
#   scripts/pgshop.sh deps                 apt packages (if missing) and the .venv
#   scripts/pgshop.sh cluster DIR PORT     start (or reuse) a private cluster, print its owner URL
#   scripts/pgshop.sh stop DIR             stop a private cluster
#   scripts/pgshop.sh deploy URL           dbmate up (creating the db if missing), rebuild the function layer,
#                                          settings from the environment
#   scripts/pgshop.sh demo URL             load demo data if the catalog is empty
#   scripts/pgshop.sh url                  DATABASE_URL, or the URL of the .pgdata cluster (started)
#   scripts/pgshop.sh migrate              everything `make migrate` does: set up, deploy
#   scripts/pgshop.sh run                  everything `make run` does: set up, deploy, demo data, serve
#   scripts/pgshop.sh test                 everything `make test` does, on a throwaway cluster
#   scripts/pgshop.sh admin EMAIL PASSWORD create or promote an admin in the `make run` database
#   scripts/pgshop.sh schema               db/schema.sql: the dump of a freshly deployed database
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PGBIN=/usr/lib/postgresql/15/bin
APT_PACKAGES=(postgresql-15 postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl postgresql-15-cron
              postgresql-15-rum python3-venv)
VENV=${VENV:-$ROOT/.venv}
RUN_PORT=${PGSHOP_PGPORT:-54320}

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

deps() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    [ "$(id -u)" = 0 ] || { echo "need root to apt-get install ${missing[*]}" >&2; exit 1; }
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # Debian starts a default cluster on 5432 when it installs the server; we never use it.
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating .venv"
    python3 -m venv "$VENV"
  fi
  if [ ! -f "$VENV/.installed" ] || [ pyproject.toml -nt "$VENV/.installed" ]; then
    log "installing Python dependencies from pyproject.toml"
    "$VENV/bin/pip" install -q --disable-pip-version-check -e '.[dev]' 2> >(grep -v "is ignored: it is neither" >&2)
    touch "$VENV/.installed"
  fi
}

# cluster DIR PORT [LISTEN]: a private cluster owned by the postgres user (initdb refuses root).
# Unix socket in DIR/run; TCP only when LISTEN is given (make run: 127.0.0.1, password auth).
cluster() {
  local dir=$1 port=$2 listen=${3:-}
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    log "initdb $dir/data (port $port)"
    mkdir -p "$dir/run"
    chown -R postgres:postgres "$dir"
    runuser -u postgres -- test -x "$dir" || { echo "the postgres user cannot reach $dir" >&2; exit 1; }
    runuser -u postgres -- "$PGBIN/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    cat >>"$dir/data/postgresql.conf" <<EOF
port = $port
listen_addresses = '$listen'
unix_socket_directories = '$dir/run'
shared_preload_libraries = 'pg_cron'
cron.database_name = 'pgshop'
cron.use_background_workers = on
timezone = 'UTC'
EOF
  fi
  if ! runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    log "starting PostgreSQL in $dir"
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null
  fi
  local su="host=$dir/run port=$port user=postgres dbname=postgres"
  psql "$su" -qAtX -v ON_ERROR_STOP=1 <<'SQL'
select 'create role pgshop login createrole createdb' where not exists (select from pg_roles where rolname = 'pgshop')
\gexec
select 'create database pgshop owner pgshop' where not exists (select from pg_database where datname = 'pgshop')
\gexec
\c pgshop
create extension if not exists pg_cron;
create extension if not exists rum;
grant usage on schema cron to pgshop;
SQL
  echo "postgresql://pgshop@/pgshop?host=$dir/run&port=$port"
}

stop() {
  local dir=$1
  [ -f "$dir/data/PG_VERSION" ] || return 0
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

# dbmate URL ARGS...: dbmate with the migrations of db/migrations. Its driver (Go's lib/pq) defaults to
# sslmode=require where libpq prefers SSL and falls back: a URL without sslmode gets libpq's default, so a
# plain URL works as it does with psql.
dbmate() {
  local url=$1; shift
  "$VENV/bin/dbmate" --url "$(pq_url "$url")" --migrations-dir db/migrations "$@"
}

pq_url() {
  case $1 in
    *sslmode=*) echo "$1" ;;
    *\?*) echo "$1&sslmode=prefer" ;;
    *) echo "$1?sslmode=prefer" ;;
  esac
}

# deploy URL: dbmate creates the database if it is missing and migrates; then the function layer is
# rebuilt (db/README.md) and the settings are taken from the environment. Idempotent.
deploy() {
  local url=$1
  log "migrating (dbmate up)"
  dbmate "$url" --no-dump-schema --wait up >/dev/null
  layer "$url"
  settings "$url"
}

# layer URL: every routine of the schemas api and lib dropped, then db/functions/*.sql created again, in
# one transaction: afterwards exactly the functions in the files exist there, or (on an error) the
# previous layer is still in place.
layer() {
  local url=$1 files=(db/functions/*.sql)
  log "rebuilding the function layer (db/functions)"
  psql "$url" -qX -v ON_ERROR_STOP=1 --single-transaction -c "select shop.drop_function_layer()" \
    "${files[@]/#/-f}" >/dev/null
}

# settings URL: every row of shop.settings from the environment variable of its name in upper case
# (RATE_LIMIT_LOGIN_FAILURES for rate_limit_login_failures), or back to its default.
settings() {
  local url=$1 names overrides
  names=$(psql "$url" -qAtX -v ON_ERROR_STOP=1 -c "select name from shop.settings order by name")
  # shellcheck disable=SC2086
  overrides=$("$VENV/bin/python" -c 'import json, os, sys
print(json.dumps({n: os.environ[n.upper()] for n in sys.argv[1:] if n.upper() in os.environ}))' $names)
  log "settings: $(psql "$url" -qAtX -v ON_ERROR_STOP=1 -v overrides="$overrides" \
    <<<"select string_agg(upper(name) || '=' || value, ', ') from lib.settings_apply(:'overrides')")"
}

demo() {
  local url=$1
  log "loading demo data (only into an empty catalog)"
  psql "$url" -qX -v ON_ERROR_STOP=1 --single-transaction -f db/demo/demo_data.sql
}

url() {
  if [ -n "${DATABASE_URL:-}" ]; then echo "$DATABASE_URL"; else cluster "$ROOT/.pgdata" "$RUN_PORT" 127.0.0.1; fi
}

# The JWT secret: JWT_SECRET, or one generated once and kept in the ignored file .jwt_secret.
secret() {
  if [ -n "${JWT_SECRET:-}" ]; then echo "$JWT_SECRET"; return; fi
  if [ ! -s .jwt_secret ]; then
    (umask 077; "$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(48))' >.jwt_secret)
  fi
  cat .jwt_secret
}

migrate() {
  deps
  deploy "$(url)"
}

run() {
  deps
  local url; url=$(url)
  deploy "$url"
  demo "$url"
  local host=${HOST:-127.0.0.1} port=${PORT:-8000}
  log "DATABASE_URL=$url"
  log "serving on http://$host:$port (API docs: http://$host:$port/schema)"
  DATABASE_URL=$url JWT_SECRET=$(secret) exec "$VENV/bin/uvicorn" api.app:create_app --factory \
    --host "$host" --port "$port" --workers "${WORKERS:-$(nproc)}" --no-access-log --no-server-header --no-proxy-headers
}

admin() {
  local email=${1:?usage: make admin EMAIL=... PASSWORD=...} password=${2:?usage: make admin EMAIL=... PASSWORD=...}
  deps
  local url; url=$(url)
  deploy "$url"
  # On stdin, not -c: psql interpolates :'variables' (quoted safely) only there.
  psql "$url" -qAtX -v ON_ERROR_STOP=1 -v email="$email" -v password="$password" \
    <<<"select lib.make_admin(:'email', :'password')"
}

# make test: a throwaway cluster (never the developer's data), then every suite; any failure fails.
test() {
  deps
  local tmp; tmp=$(mktemp -d /tmp/pgshop-test.XXXXXX)
  chmod 755 "$tmp"
  trap "stop '$tmp'; rm -rf '$tmp'" EXIT
  local url; url=$(cluster "$tmp" 54329 127.0.0.1)
  psql "host=$tmp/run port=54329 user=postgres dbname=pgshop" -qX -v ON_ERROR_STOP=1 \
    -c "alter system set fsync = off" -c "alter system set synchronous_commit = off" -c "select pg_reload_conf()" >/dev/null

  log "squawk (lint of the migrate:up sections)"
  mkdir -p "$tmp/squawk"
  for f in db/migrations/*.sql; do awk '/^-- migrate:down/ {exit} {print}' "$f" >"$tmp/squawk/${f##*/}"; done
  "$VENV/bin/squawk" --config .squawk.toml "$tmp"/squawk/*.sql

  log "docker-compose.yml (validated offline with the Compose binary)"
  JWT_SECRET=config-check "$("$VENV/bin/python" -c 'import compose, os; print(os.path.dirname(compose.__file__))')/docker-compose" \
    -f docker-compose.yml config --quiet

  # The suite signs up many users from one address and checks out often: it raises these two limits (the
  # rate-limit tests lower them for themselves).
  export RATE_LIMIT_AUTH_PER_ADDRESS=100000 RATE_LIMIT_CHECKOUT_PER_USER=100000

  log "deploy, demo data, dbmate rollback to an empty database, deploy again"
  deploy "$url"
  demo "$url"
  local n; n=$(ls db/migrations/*.sql | wc -l)
  for _ in $(seq "$n"); do dbmate "$url" --no-dump-schema rollback >/dev/null; done
  local left; left=$(psql "$url" -qAtX -c "select (select count(*) from schema_migrations)
    + (select count(*) from pg_namespace where nspname in ('shop', 'api', 'lib', 'reporting', 'audit'))")
  [ "$left" = 0 ] || { echo "after $n rollbacks the database is not empty" >&2; exit 1; }
  deploy "$url"
  demo "$url"

  log "db/schema.sql is the dump of this deployed database (make schema regenerates it)"
  dbmate "$url" --schema-file "$tmp/schema.sql" dump >/dev/null
  diff -u db/schema.sql "$tmp/schema.sql" >&2 || { echo "db/schema.sql is stale: run make schema" >&2; exit 1; }

  log "pgTAP (pg_prove db/tests)"
  psql "host=$tmp/run port=54329 user=postgres dbname=pgshop" -qX -v ON_ERROR_STOP=1 -c "create extension pgtap" >/dev/null
  # pg_prove exits 0 when it ran nothing: insist on a PASS over at least one test.
  pg_prove -h "$tmp/run" -p 54329 -U postgres -d pgshop --ext .sql --recurse --failures db/tests | tee "$tmp/pg_prove.out"
  grep -q "^Result: PASS" "$tmp/pg_prove.out" && ! grep -q "Tests=0," "$tmp/pg_prove.out" \
    || { echo "pgTAP suite failed or ran no test" >&2; exit 1; }

  log "pytest (HTTP against the real app and database; a restart of this cluster; schemathesis)"
  DATABASE_URL=$url PGSHOP_TEST_PGDATA=$tmp/data "$VENV/bin/pytest" -q -rP tests
}

# make bench: the benchmark (bench/run.py) on its own throwaway cluster; wrk from Debian when missing.
bench() {
  deps
  command -v wrk >/dev/null || { log "installing wrk"; apt-get install -y -qq wrk >/dev/null; }
  [ -x "$VENV/bin/granian" ] || { log "installing the bench extras (granian)"
    "$VENV/bin/pip" install -q --disable-pip-version-check -e '.[dev,bench]' 2> >(grep -v "is ignored: it is neither" >&2); }
  "$VENV/bin/python" bench/run.py
}

schema() {
  deps
  local tmp; tmp=$(mktemp -d /tmp/pgshop-schema.XXXXXX)
  chmod 755 "$tmp"
  trap "stop '$tmp'; rm -rf '$tmp'" EXIT
  local url; url=$(cluster "$tmp" 54328)
  deploy "$url"
  dbmate "$url" --schema-file db/schema.sql dump >/dev/null
  log "wrote db/schema.sql"
}

"$@"
