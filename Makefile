# pgshop: `make run` serves the API with demo data; `make test` runs every suite on a throwaway cluster.
# Each target is the pgshop command of the same name (`scripts/pgshop --help`, `pgshop COMMAND --help`);
# variables such as EMAIL, TYPE, TARGET_TIME, FILE, BENCH_SCALE reach it through the environment (make import:
# FILE as its argument, DRY_RUN=1 as --dry-run).
SHELL := /bin/bash
PGSHOP := scripts/pgshop

.PHONY: run test migrate admin import schema stop bench bench-scaleout bench-events backup backups restore dump load monitor

run: ; @$(PGSHOP) run
test: ; @$(PGSHOP) test
migrate: ; @$(PGSHOP) migrate
admin: ; @$(PGSHOP) admin
import: ; @$(PGSHOP) import $(if $(DRY_RUN),--dry-run) "$(FILE)"
schema: ; @$(PGSHOP) schema
stop: ; @$(PGSHOP) stop
backup: ; @$(PGSHOP) backup
backups: ; @$(PGSHOP) backups
restore: ; @$(PGSHOP) restore
dump: ; @$(PGSHOP) dump
load: ; @$(PGSHOP) load
monitor: ; @$(PGSHOP) monitor
bench: ; @$(PGSHOP) bench
bench-scaleout: ; @$(PGSHOP) bench scaleout
bench-events: ; @$(PGSHOP) bench events
