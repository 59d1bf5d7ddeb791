# pgshop: `make run` serves the API with demo data; `make test` runs every suite on a throwaway cluster.
# Everything is in scripts/pgshop.sh so the two share one set-up.
SHELL := /bin/bash

.PHONY: run test migrate admin schema bench bench-scaleout bench-events backup backups restore dump load monitor

run:
	@scripts/pgshop.sh run

test:
	@scripts/pgshop.sh test

# Migrate DATABASE_URL (or the private .pgdata cluster) and rebuild the function layer; idempotent.
migrate:
	@scripts/pgshop.sh migrate

admin:
	@scripts/pgshop.sh admin "$(EMAIL)" "$(PASSWORD)"

# Regenerate db/schema.sql: the dump of a freshly deployed database, functions included (make test checks it).
schema:
	@scripts/pgshop.sh schema

# Operations (docs/operations.md): pgBackRest backups of the private cluster (TYPE=full|diff|incr), their list,
# a restore to the latest state or to TARGET_TIME; a logical dump (FILE=) and its load into an empty database;
# postgres_exporter against the database as pgshop_monitor.
backup:
	@scripts/pgshop.sh backup

backups:
	@scripts/pgshop.sh backups

restore:
	@scripts/pgshop.sh restore

dump:
	@scripts/pgshop.sh dump

load:
	@scripts/pgshop.sh load

monitor:
	@scripts/pgshop.sh monitor

# Performance, as ratios measured side by side (BENCH_SCALE=small|large); see docs/performance.md.
bench:
	@scripts/pgshop.sh bench

# The standby and PgBouncer measured side by side (docs/performance.md, "Scale-out").
bench-scaleout:
	@BENCH_SCRIPT=scaleout scripts/pgshop.sh bench

# Payments in and webhooks out: ingestion, outbox throughput, commit-to-delivery (docs/performance.md).
bench-events:
	@BENCH_SCRIPT=events scripts/pgshop.sh bench
