"""The webhook delivery worker: `python -m api.worker` (started by `make run` and docker-compose.yml), the
jobs of api/jobs.py on procrastinate, connected as the owner (DATABASE_URL). WORKER_CONCURRENCY deliveries at
once (16); WORKER_LOG_LEVEL (WARNING).

`python -m api.worker schema` applies procrastinate's schema to an empty `queue` schema (the deploy runs it)."""

import logging
import os
import sys

import psycopg
from procrastinate.schema import SchemaManager

from api.jobs import CONCURRENCY, HEARTBEAT, SEND_TIMEOUT, STALLED, app


def apply_schema(url: str) -> None:
    """procrastinate's schema into the schema queue, when it is not there yet, and one index of ours: fetching a
    job checks that no earlier job of its lock waits, which without an index on the lock reads every waiting job
    (with 5,000 waiting: 67 ms a fetch, 0.25 ms with it; docs/performance.md)."""
    with psycopg.connect(url, options="-c search_path=queue,pg_catalog") as conn:
        if conn.execute("select to_regclass('queue.procrastinate_jobs')").fetchone()[0] is None:
            conn.execute(SchemaManager.get_schema())
            print("applied procrastinate's schema to the schema queue", file=sys.stderr)
        conn.execute("create index if not exists pgshop_jobs_lock_idx on queue.procrastinate_jobs (lock, id) "
                     "where status in ('todo', 'doing')")


def main() -> None:
    logging.basicConfig(level=os.environ.get("WORKER_LOG_LEVEL", "WARNING"),
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # A retry is the normal course of a webhook that failed: not an error worth a traceback.
    logging.getLogger("procrastinate").setLevel(logging.ERROR)
    url = os.environ["DATABASE_URL"]
    if sys.argv[1:] == ["schema"]:
        apply_schema(url)
        return
    app.run_worker(queues=["webhooks"], concurrency=CONCURRENCY,
                   delete_jobs="always", update_heartbeat_interval=HEARTBEAT, stalled_worker_timeout=STALLED,
                   # LISTEN wakes it for new jobs; a retry's time comes without a notification: look twice a second.
                   fetch_job_polling_interval=0.5,
                   shutdown_graceful_timeout=SEND_TIMEOUT + 5)


if __name__ == "__main__":
    main()
