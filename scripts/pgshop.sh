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
              postgresql-15-rum python3-venv pgbackrest prometheus-postgres-exporter prometheus pgbouncer)
VENV=${VENV:-$ROOT/.venv}
RUN_PORT=${PGSHOP_PGPORT:-54320}
PGSHOP_DIR=${PGSHOP_DIR:-$ROOT/.pgdata}  # the private cluster of make run, backup, restore, dump, load

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

# cluster DIR PORT [LISTEN] [ARCHIVE]: a private cluster owned by the postgres user (initdb refuses root).
# Unix socket in DIR/run; TCP only when LISTEN is given (make run: 127.0.0.1, password auth). ARCHIVE=archive:
# WAL archived by pgBackRest to BACKUP_REPO (default DIR/backups), stanza created on first start. Its settings
# live in DATA/pgshop.conf, written anew each time (a change restarts a running server).
cluster() {
  local dir=$1 port=$2 listen=${3:-} archive=${4:-}
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    log "initdb $dir/data (port $port)"
    mkdir -p "$dir/run"
    chown -R postgres:postgres "$dir"
    runuser -u postgres -- test -x "$dir" || { echo "the postgres user cannot reach $dir" >&2; exit 1; }
    runuser -u postgres -- "$PGBIN/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  fi
  grep -q "^include_if_exists = 'pgshop.conf'" "$dir/data/postgresql.conf" \
    || echo "include_if_exists = 'pgshop.conf'" >>"$dir/data/postgresql.conf"
  local conf; conf=$(server_conf "$dir" "$port" "$listen")
  if [ "$archive" = archive ]; then
    backup_config "$dir" "$port"
    conf+="
archive_mode = on
archive_command = 'pgbackrest --config=$dir/pgbackrest.conf --stanza=pgshop archive-push %p'
archive_timeout = 60"
  fi
  start_server "$dir" "$conf"
  local su="host=$dir/run port=$port user=postgres dbname=postgres"
  psql "$su" -qAtX -v ON_ERROR_STOP=1 <<'SQL'
select 'create role pgshop login createrole createdb' where not exists (select from pg_roles where rolname = 'pgshop')
\gexec
select 'create database pgshop owner pgshop' where not exists (select from pg_database where datname = 'pgshop')
\gexec
\c pgshop
set client_min_messages = warning;
create extension if not exists pg_cron;
create extension if not exists rum;
create extension if not exists pg_stat_statements;
grant usage on schema cron to pgshop;
SQL
  if [ "$archive" = archive ] && [ ! -f "$(backup_repo "$dir")/backup/pgshop/backup.info" ]; then
    log "pgBackRest: creating the stanza in $(backup_repo "$dir")"
    pgbackrest_as "$dir" stanza-create >/dev/null
  fi
  echo "postgresql://pgshop@/pgshop?host=$dir/run&port=$port"
}

# server_conf DIR PORT LISTEN: the settings every private server gets (DATA/pgshop.conf).
server_conf() {
  cat <<EOF
# Written by scripts/pgshop.sh at every start: edit the script, not this file.
port = $2
listen_addresses = '$3'
unix_socket_directories = '$1/run'
timezone = 'UTC'
shared_preload_libraries = 'pg_cron,pg_stat_statements,auto_explain'
cron.database_name = 'pgshop'
cron.use_background_workers = on
pg_stat_statements.track = all
auto_explain.log_min_duration = '${AUTO_EXPLAIN_MIN_DURATION:-250ms}'
auto_explain.log_nested_statements = on
EOF
}

# start_server DIR CONF: DATA/pgshop.conf set to CONF, the server started (restarted when CONF changed).
start_server() {
  local dir=$1 conf=$2 running=
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 && running=1
  if [ "$conf" != "$(cat "$dir/data/pgshop.conf" 2>/dev/null)" ]; then
    printf '%s\n' "$conf" >"$dir/data/pgshop.conf"
    chown postgres:postgres "$dir/data/pgshop.conf"
    if [ -n "$running" ]; then
      log "restarting PostgreSQL in $dir (its settings changed)"
      runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 -m fast restart >/dev/null
    fi
  fi
  if [ -z "$running" ]; then
    log "starting PostgreSQL in $dir"
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 600 start >/dev/null
  fi
}

# standby DIR PORT SOURCE: a hot standby in DIR (socket DIR/run, PORT), streamed through the replication slot
# pgshop_replica from the server of SOURCE (a conninfo of a role that may replicate): pg_basebackup -R the
# first time, then reused. REPLICA_APPLY_DELAY (e.g. 2s) delays replay. Prints the API's URL of it.
standby() {
  local dir=$1 port=$2 source=$3
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    log "pg_basebackup into $dir/data (a hot standby, replication slot pgshop_replica)"
    install -d -o postgres -g postgres -m 755 "$dir" "$dir/run"
    psql "$source" -qAtX -v ON_ERROR_STOP=1 -c "select pg_drop_replication_slot(slot_name) from pg_replication_slots
      where slot_name = 'pgshop_replica' and not active" >/dev/null
    runuser -u postgres -- "$PGBIN/pg_basebackup" -d "$source" -D "$dir/data" -R -X stream -C -S pgshop_replica \
      --checkpoint=fast || die "pg_basebackup failed: the role of DATABASE_URL must be allowed to replicate"
  fi
  start_server "$dir" "$(server_conf "$dir" "$port" '')
hot_standby = on
hot_standby_feedback = on
recovery_min_apply_delay = '${REPLICA_APPLY_DELAY:-0}'
archive_mode = off"
  echo "postgresql://pgshop_api@/pgshop?host=$dir/run&port=$port"
}

# pooler DIR SOCKET PORT: PgBouncer (transaction pooling) in DIR, in front of the server at SOCKET:PORT, for
# pgshop_api; listens on DIR (unix socket) and 127.0.0.1:PGBOUNCER_PORT (6432). Prints the API's URL of it.
pooler() {
  local dir=$1 socket=$2 port=$3 listen=${PGBOUNCER_PORT:-6432}
  install -d -o postgres -g postgres -m 755 "$dir"
  cat >"$dir/pgbouncer.ini" <<EOF
; Written by scripts/pgshop.sh at every start: edit the script, not this file.
[databases]
pgshop = host=$socket port=$port dbname=pgshop

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $listen
unix_socket_dir = $dir
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = ${PGBOUNCER_POOL_SIZE:-20}
max_client_conn = 5000
ignore_startup_parameters = extra_float_digits
; After a restart of PostgreSQL: log in again within a second (default 15 s), and a query that finds no server
; connection for 3 s (DB_POOL_TIMEOUT) fails, so the API answers 503 rather than hang through an outage.
server_login_retry = 1
query_wait_timeout = 3
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
  echo '"pgshop_api" ""' >"$dir/userlist.txt"
  chown postgres:postgres "$dir/pgbouncer.ini" "$dir/userlist.txt"
  if [ -f "$dir/pgbouncer.pid" ] && kill -0 "$(cat "$dir/pgbouncer.pid")" 2>/dev/null; then
    kill -HUP "$(cat "$dir/pgbouncer.pid")"  # re-read the configuration
  else
    log "starting PgBouncer in $dir (transaction pooling, port $listen)"
    # Started as root and switching to postgres itself (-u), so that it keeps the raised limit of open files.
    ulimit -n 16384
    pgbouncer -d -u postgres "$dir/pgbouncer.ini"
  fi
  echo "postgresql://pgshop_api@/pgshop?host=$dir&port=$listen"
}

# stop DIR: the private cluster in DIR, its standby (DIR/replica) and its PgBouncer (DIR/pgbouncer).
stop() {
  local dir=$1 data
  [ ! -f "$dir/pgbouncer/pgbouncer.pid" ] || kill "$(cat "$dir/pgbouncer/pgbouncer.pid")" 2>/dev/null || true
  for data in "$dir/replica/data" "$dir/data"; do
    [ ! -f "$data/PG_VERSION" ] || runuser -u postgres -- "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
  done
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
  # The job queue's tables (procrastinate's schema, into the schema queue a migration made) when missing.
  DATABASE_URL=$url "$VENV/bin/python" -m api.worker schema
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
  if [ -n "${DATABASE_URL:-}" ]; then echo "$DATABASE_URL"; else cluster "$PGSHOP_DIR" "$RUN_PORT" 127.0.0.1 archive; fi
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
  scale_out "$url"
  local host=${HOST:-127.0.0.1} port=${PORT:-8000}
  log "DATABASE_URL=$url"
  if [ -n "${DATABASE_URL:-}" ]; then
    log "monitoring: preload pg_stat_statements and auto_explain on that server to fill the monitoring views (README, Environment)"
  fi
  log "serving on http://$host:$port (API docs: http://$host:$port/schema, metrics: http://$host:$port/metrics)"
  # Metrics of every worker, summed (prometheus-client multiprocess mode): a fresh directory per start.
  export PROMETHEUS_MULTIPROC_DIR; PROMETHEUS_MULTIPROC_DIR=$(mktemp -d /tmp/pgshop-metrics.XXXXXX)
  log "the webhook delivery worker (api/worker.py) runs alongside; it stops with the API"
  DATABASE_URL=$url "$VENV/bin/python" -m api.worker &
  local worker=$!
  DATABASE_URL=$url JWT_SECRET=$(secret) "$VENV/bin/uvicorn" api.app:create_app --factory \
    --host "$host" --port "$port" --workers "${WORKERS:-$(nproc)}" --no-access-log --no-server-header --no-proxy-headers &
  local api=$!
  # A TERM or INT sent to this script (a supervisor, Ctrl-C) stops both; either one ending stops the other.
  trap "kill $api $worker 2>/dev/null" TERM INT EXIT
  wait -n "$api" "$worker" || true
}

# scale_out URL: REPLICA=1 starts a hot standby of URL's server (the private cluster, or DATABASE_URL's when
# its role may replicate) and points the API's reads at it (READ_DATABASE_URL, unless already set: then that
# standby is used as it is); PGBOUNCER=1 puts PgBouncer between the API and the primary. Exports the API's
# settings for them.
scale_out() {
  local url=$1 direct
  direct=$("$VENV/bin/python" -c 'import sys
from psycopg.conninfo import conninfo_to_dict, make_conninfo
params = conninfo_to_dict(sys.argv[1]); params.pop("password", None); params["user"] = "pgshop_api"
print(make_conninfo(**params))' "$url")
  if [ "${REPLICA:-0}" = 1 ] && [ -z "${READ_DATABASE_URL:-}" ]; then
    local source=$url
    [ -n "${DATABASE_URL:-}" ] || source="host=$PGSHOP_DIR/run port=$RUN_PORT user=postgres dbname=pgshop"
    export READ_DATABASE_URL; READ_DATABASE_URL=$(standby "$PGSHOP_DIR/replica" "${REPLICA_PORT:-54321}" "$source")
  fi
  [ -z "${READ_DATABASE_URL:-}" ] || log "reads of stable functions go to the standby READ_DATABASE_URL=$READ_DATABASE_URL"
  if [ "${PGBOUNCER:-0}" = 1 ]; then
    local socket port
    read -r socket port < <("$VENV/bin/python" -c 'import sys
from psycopg.conninfo import conninfo_to_dict
params = conninfo_to_dict(sys.argv[1]); print(params.get("host", "/var/run/postgresql"), params.get("port", 5432))' "$url")
    export API_DATABASE_URL DIRECT_DATABASE_URL=$direct DB_PREPARED_STATEMENTS=0
    API_DATABASE_URL=$(pooler "$PGSHOP_DIR/pgbouncer" "$socket" "$port")
    log "the API reaches the primary through PgBouncer: API_DATABASE_URL=$API_DATABASE_URL"
  fi
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

  log "promtool check rules ops/prometheus/alerts.yml"
  promtool check rules ops/prometheus/alerts.yml >/dev/null

  log "docker-compose.yml (validated offline with the Compose binary)"
  JWT_SECRET=config-check "$("$VENV/bin/python" -c 'import compose, os; print(os.path.dirname(compose.__file__))')/docker-compose" \
    -f docker-compose.yml config --quiet

  # The suite signs up many users from one address and checks out often: it raises these two limits (the
  # rate-limit tests lower them for themselves), and hashes its passwords at bcrypt's lowest cost.
  export RATE_LIMIT_AUTH_PER_ADDRESS=100000 RATE_LIMIT_CHECKOUT_PER_USER=100000 PASSWORD_HASH_COST=4

  log "deploy, demo data, dbmate rollback to an empty database, deploy again"
  deploy "$url"
  demo "$url"
  local n; n=$(ls db/migrations/*.sql | wc -l)
  for _ in $(seq "$n"); do dbmate "$url" --no-dump-schema rollback >/dev/null; done
  local left; left=$(psql "$url" -qAtX -c "select (select count(*) from schema_migrations)
    + (select count(*) from pg_namespace where nspname in ('shop', 'api', 'lib', 'reporting', 'audit', 'monitoring', 'queue'))")
  [ "$left" = 0 ] || { echo "after $n rollbacks the database is not empty" >&2; exit 1; }
  deploy "$url"
  demo "$url"

  log "the sharding plan holds (db/checks/sharding.sql, docs/scaling.md)"
  psql "$url" -qX -v ON_ERROR_STOP=1 -f db/checks/sharding.sql

  log "db/schema.sql is the dump of this deployed database (make schema regenerates it)"
  dbmate "$url" --schema-file "$tmp/schema.sql" dump >/dev/null
  diff -u db/schema.sql "$tmp/schema.sql" >&2 || { echo "db/schema.sql is stale: run make schema" >&2; exit 1; }

  log "pgTAP (pg_prove db/tests)"
  psql "host=$tmp/run port=54329 user=postgres dbname=pgshop" -qX -v ON_ERROR_STOP=1 -c "create extension pgtap" >/dev/null
  # pg_prove exits 0 when it ran nothing: insist on a PASS over at least one test.
  pg_prove -h "$tmp/run" -p 54329 -U postgres -d pgshop --ext .sql --recurse --failures db/tests | tee "$tmp/pg_prove.out"
  grep -q "^Result: PASS" "$tmp/pg_prove.out" && ! grep -q "Tests=0," "$tmp/pg_prove.out" \
    || { echo "pgTAP suite failed or ran no test" >&2; exit 1; }

  log "a hot standby and PgBouncer for this cluster"
  export PGSHOP_TEST_STANDBY_DIR=$tmp/replica PGSHOP_TEST_STANDBY_PORT=54327 PGSHOP_TEST_STANDBY PGSHOP_TEST_PGBOUNCER
  PGSHOP_TEST_STANDBY=$(standby "$tmp/replica" 54327 "host=$tmp/run port=54329 user=postgres dbname=pgshop")
  PGSHOP_TEST_PGBOUNCER=$(PGBOUNCER_PORT=54326 pooler "$tmp/pgbouncer" "$tmp/run" 54329)

  log "pytest (HTTP against the real app and database; read/write splitting; a restart of this cluster; schemathesis)"
  DATABASE_URL=$url PGSHOP_TEST_PGDATA=$tmp/data "$VENV/bin/pytest" -q -rP tests
  local mode
  for mode in replica pgbouncer; do
    log "pytest again, the app as with $(tr a-z A-Z <<<"$mode")=1 make run (the backup drills, standby faults and fuzzing ran above)"
    DATABASE_URL=$url PGSHOP_TEST_PGDATA=$tmp/data PGSHOP_TEST_MODE=$mode "$VENV/bin/pytest" -q -rP \
      -m "not disruptive or every_mode" tests
  done
}

# --- Backups (pgBackRest) and logical dumps ---------------------------------------------------------------
# The private cluster's repository: BACKUP_REPO, default DIR/backups; DIR/pgbackrest.conf describes both.
backup_repo() { echo "${BACKUP_REPO:-$1/backups}"; }

backup_config() {
  local dir=$1 port=$2 repo; repo=$(backup_repo "$1")
  mkdir -p "$repo" "$dir/pgbackrest"
  chown postgres:postgres "$repo" "$dir/pgbackrest"
  cat >"$dir/pgbackrest.conf" <<EOF
# Written by scripts/pgshop.sh: the pgBackRest configuration of the cluster in $dir/data.
[global]
repo1-path=$repo
repo1-retention-full=${BACKUP_RETENTION_FULL:-2}
compress-type=zst
start-fast=y
log-path=$dir/pgbackrest
lock-path=$dir/pgbackrest
spool-path=$dir/pgbackrest
log-level-console=warn
log-level-file=info

[pgshop]
pg1-path=$dir/data
pg1-socket-path=$dir/run
pg1-port=$port
pg1-user=postgres
EOF
  chown postgres:postgres "$dir/pgbackrest.conf"
}

pgbackrest_as() {
  local dir=$1; shift
  runuser -u postgres -- pgbackrest --config="$dir/pgbackrest.conf" --stanza=pgshop "$@"
}

die() { printf '\033[1;31m==> %s\033[0m\n' "$*" >&2; exit 1; }

# backup_info DIR: the repository's backups as JSON; a clear error when there is no repository.
backup_info() {
  local dir=$1 repo; repo=$(backup_repo "$1")
  [ -f "$dir/pgbackrest.conf" ] || die "no pgBackRest configuration in $dir: start the cluster with make run first"
  [ -f "$repo/backup/pgshop/backup.info" ] || die "no pgBackRest repository at $repo (BACKUP_REPO)"
  pgbackrest_as "$dir" info --output=json || die "pgBackRest cannot read the repository at $repo"
}

# make backup [TYPE=full|diff|incr]: an online backup of the private cluster (the first is always full), then
# recorded in shop.backups so that monitoring sees its age. pgBackRest expires what retention drops.
backup() {
  deps
  local dir=$PGSHOP_DIR url; url=$(private_url)
  local type=${TYPE:-incr} started; started=$(date +%s)
  case $type in full|diff|incr) ;; *) die "TYPE must be full, diff or incr, not '$type'" ;; esac
  log "pgBackRest: $type backup of $dir/data (the first one is full)"
  pgbackrest_as "$dir" backup --type="$type" || die "the backup failed (log: $dir/pgbackrest)"
  local latest; latest=$(backup_info "$dir" | "$VENV/bin/python" -c '
import json, sys
b = json.load(sys.stdin)[0]["backup"][-1]
print(json.dumps({"label": b["label"], "type": b["type"], "started": b["timestamp"]["start"],
                  "finished": b["timestamp"]["stop"], "database": b["info"]["size"],
                  "repository": b["info"]["repository"]["delta"]}))')
  psql "$url" -qX -v ON_ERROR_STOP=1 -v b="$latest" <<'SQL' >/dev/null
insert into shop.backups (label, type, started_at, finished_at, database_bytes, repository_bytes)
select b ->> 'label', b ->> 'type', to_timestamp((b ->> 'started')::bigint), to_timestamp((b ->> 'finished')::bigint),
       (b ->> 'database')::bigint, (b ->> 'repository')::bigint
from (select :'b'::jsonb as b) x
on conflict (label) do nothing;
SQL
  log "backup $(jq_field "$latest" label) ($(jq_field "$latest" type)) in $(( $(date +%s) - started )) s: $(
    jq_field "$latest" repository) bytes in the repository for $(jq_field "$latest" database) bytes of database"
}

jq_field() { "$VENV/bin/python" -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# The private cluster, started with archiving: backups are of the cluster this project runs. For a server of
# your own (DATABASE_URL), configure pgBackRest there (docs/operations.md).
private_url() {
  [ -z "${DATABASE_URL:-}" ] || die "make backup and make restore work on the private cluster; for the server of \
DATABASE_URL configure pgBackRest there (docs/operations.md)"
  cluster "$PGSHOP_DIR" "$RUN_PORT" 127.0.0.1 archive
}

# make backups: what the repository holds (pgBackRest's own listing: times, sizes, WAL range).
backups() {
  deps
  backup_info "$PGSHOP_DIR" >/dev/null
  pgbackrest_as "$PGSHOP_DIR" info
}

# make restore [TARGET_TIME='2026-12-01 12:00:00+00']: the private cluster back to the latest state the
# repository holds (the latest backup and every WAL archived after it), or to TARGET_TIME. Checked first (a
# repository, a backup before the target, a target not in the future, the repository's checksums): on a bad
# input nothing is touched. The replaced data directory is kept until the restored server is up.
restore() {
  deps
  [ -z "${DATABASE_URL:-}" ] || private_url
  local dir=$PGSHOP_DIR info; info=$(backup_info "$dir")
  local first; first=$("$VENV/bin/python" -c 'import json, sys
b = json.load(sys.stdin)[0]["backup"]
print(min(x["timestamp"]["stop"] for x in b) if b else "")' <<<"$info")
  [ -n "$first" ] || die "the repository at $(backup_repo "$dir") has no backup yet: make backup first"
  local args=(--type=default) target=${TARGET_TIME:-}
  if [ -n "$target" ]; then
    local at; at=$(date -d "$target" +%s 2>/dev/null) || die "TARGET_TIME '$target' is not a time"
    [ "$at" -le "$(date +%s)" ] || die "TARGET_TIME $target is in the future"
    [ "$at" -gt "$first" ] || die "TARGET_TIME $target is before the first backup ($(date -u -d "@$first" '+%F %T+00'))"
    # pgBackRest wants YYYY-MM-DD HH:MM:SS[.ffffff]+TZ: the same moment, written so, in UTC.
    args=(--type=time "--target=$(date -u -d "@$(date -d "$target" +%s.%N)" '+%F %T.%6N+00')" --target-action=promote)
  fi
  log "pgBackRest: verifying the repository's checksums"
  local verified; verified=$(pgbackrest_as "$dir" verify --log-level-console=info 2>&1) || true
  grep -q "verify command end: completed successfully" <<<"$verified" && ! grep -q "status: error" <<<"$verified" \
    || die "the repository at $(backup_repo "$dir") fails verification: $(grep -E "invalid|missing|error" \
<<<"$verified" | head -3 | sed 's/^.*INFO: //' | tr -s ' \n' ' '); nothing was changed"
  local was_running=; runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 && was_running=1
  if [ -n "$was_running" ]; then
    log "archiving the current WAL, then stopping PostgreSQL in $dir"
    pgbackrest_as "$dir" check >/dev/null || log "warning: the newest WAL could not be archived"
    stop "$dir"
  fi
  local kept; kept="$dir/data.replaced-$(date -u +%Y%m%dT%H%M%SZ)"
  mv "$dir/data" "$kept"
  install -d -o postgres -g postgres -m 700 "$dir/data"
  local started; started=$(date +%s)
  log "pgBackRest: restoring ${target:+to $target }(the data it replaces is kept in $kept until this succeeds)"
  if pgbackrest_as "$dir" restore "${args[@]}" \
     && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 600 start >/dev/null \
     && wait_promoted "$dir"; then
    rm -rf "$kept"
    log "restored ${target:+to $target }in $(( $(date +%s) - started )) s; the replaced data directory is deleted"
    [ -n "$was_running" ] || stop "$dir"
  else
    stop "$dir"
    rm -rf "$dir/data"
    mv "$kept" "$dir/data"
    [ -z "$was_running" ] || runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w start >/dev/null
    die "the restore failed (see $dir/postgres.log and $dir/pgbackrest); the previous data is back in place"
  fi
}

# wait_promoted DIR: the restored server has finished recovery (up to 10 minutes).
wait_promoted() {
  local socket="host=$1/run port=$(sed -n 's/^port = //p' "$1/data/pgshop.conf") user=postgres dbname=postgres"
  for _ in $(seq 3000); do
    [ "$(psql "$socket" -qAtX -c 'select pg_is_in_recovery()' 2>/dev/null)" = f ] && return 0
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$1/data" status >/dev/null 2>&1 || return 1
    sleep 0.2
  done
  return 1
}

# make dump [FILE=...]: a logical, portable pg_dump (custom format) of the database.
dump() {
  deps
  local url; url=$(url)
  local file=${FILE:-dumps/pgshop-$(date -u +%Y%m%dT%H%M%SZ).dump}
  mkdir -p "$(dirname "$file")"
  pg_dump -Fc --no-owner --exclude-schema=cron -f "$file" "$url"
  log "wrote $file ($(stat -c %s "$file") bytes)"
}

# make load FILE=...: a dump restored into an empty database (DATABASE_URL or the private cluster's).
load() {
  local file=${FILE:?usage: make load FILE=path/to/pgshop.dump}
  [ -f "$file" ] || die "no dump at $file"
  deps
  local url; url=$(url)
  [ "$(psql "$url" -qAtX -c "select count(*) from pg_namespace where nspname = 'shop'")" = 0 ] \
    || die "the database at $url is not empty: load restores into an empty database only"
  # Roles and extensions are the cluster's, not the dump's: the roles are created as the migrations do, the
  # trusted extensions here; rum, pg_cron and pg_stat_statements need a superuser (the private clusters have
  # them). The dump's own extension entries, and the grant on pg_cron's schema, are left out of the restore.
  psql "$url" -qX -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
create extension if not exists pgcrypto;
create extension if not exists pg_trgm;
do $$
begin
  if not exists (select from pg_roles where rolname = 'pgshop_api') then create role pgshop_api login; end if;
  if not exists (select from pg_roles where rolname = 'bi_reader') then create role bi_reader nologin; end if;
  if not exists (select from pg_roles where rolname = 'pgshop_monitor') then create role pgshop_monitor login; end if;
end
$$;
SQL
  local list; list=$(mktemp)
  pg_restore -l "$file" | grep -vE ' (EXTENSION|COMMENT - EXTENSION|ACL - SCHEMA cron) ' >"$list"
  pg_restore --no-owner --exit-on-error --single-transaction -L "$list" -d "$url" "$file" \
    || { rm -f "$list"; die "pg_restore failed; nothing was loaded"; }
  rm -f "$list"
  log "loaded $file"
}

# make monitor: prometheus-postgres-exporter (Debian) on EXPORTER_LISTEN (127.0.0.1:9187), connected as
# pgshop_monitor (MONITOR_DATABASE_URL, default: DATABASE_URL or the private cluster with that user), with the
# custom queries of ops/postgres_exporter.yml over the monitoring views.
monitor() {
  deps
  # lib/pq (Go) would demand SSL without sslmode: libpq's default, prefer, is made explicit.
  local dsn; dsn=$("$VENV/bin/python" -c 'import sys
from psycopg.conninfo import conninfo_to_dict, make_conninfo
monitor, owner = sys.argv[1:]
params = conninfo_to_dict(monitor or owner)
if not monitor:
    params.pop("password", None)
    params["user"] = "pgshop_monitor"
params.setdefault("sslmode", "prefer")
print(make_conninfo(**params))' "${MONITOR_DATABASE_URL:-}" "$(url)")
  log "postgres_exporter on http://${EXPORTER_LISTEN:-127.0.0.1:9187}/metrics, as pgshop_monitor"
  DATA_SOURCE_NAME=$dsn exec prometheus-postgres-exporter --web.listen-address="${EXPORTER_LISTEN:-127.0.0.1:9187}" \
    --extend.query-path=ops/postgres_exporter.yml --log.level=warn
}

# make bench: the benchmark (bench/run.py) on its own throwaway cluster; wrk from Debian when missing.
bench() {
  deps
  command -v wrk >/dev/null || { log "installing wrk"; apt-get install -y -qq wrk >/dev/null; }
  command -v redis-server >/dev/null || { log "installing redis-server (the cache measured in Redis)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null; }
  [ -x "$VENV/bin/granian" ] || { log "installing the bench extras (granian)"
    "$VENV/bin/pip" install -q --disable-pip-version-check -e '.[dev,bench]' 2> >(grep -v "is ignored: it is neither" >&2); }
  "$VENV/bin/python" "bench/${BENCH_SCRIPT:-run}.py"
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
