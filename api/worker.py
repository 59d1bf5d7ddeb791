"""The webhook delivery worker: `python -m api.worker` (supervised by `pgshop run`, a service of
docker-compose.yml), the jobs of api/jobs.py on procrastinate, connected as the owner (DATABASE_URL).
WORKER_CONCURRENCY deliveries at once (16); WORKER_LOG_LEVEL (WARNING).

When it loses the database (PostgreSQL crashed, restarted, or not up yet), procrastinate stops; it is started
again in the same process once a connection succeeds, tried after 0.5 s, doubling to every 2 s, for as long as it
takes, until SIGTERM or SIGINT.
Jobs are rows in PostgreSQL: what was committed before or during the outage is delivered once it is back.

`python -m api.worker schema` applies procrastinate's schema to an empty `queue` schema (the deploy runs it);
`python -m api.worker health` exits 0 when a worker beat its heart within the last STALLED seconds."""

import asyncio
import logging
import os
import signal
import sys
from time import monotonic

import psycopg
from procrastinate.schema import SchemaManager

from api.jobs import CONCURRENCY, HEARTBEAT, SEND_TIMEOUT, STALLED, app

log = logging.getLogger("pgshop.worker")
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 2  # seconds before the next try after the worker stopped or found no database
BACKOFF_RESET = 60  # a run this long starts the backoff over


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


async def serve(url: str) -> None:
    """Run the worker until SIGTERM or SIGINT, starting it again with backoff whenever it stops by itself."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    delay = BACKOFF_FIRST
    while not stop.is_set():
        started = monotonic()
        worker = asyncio.create_task(_work(url))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({worker, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set():
            worker.cancel()  # procrastinate then stops gracefully: jobs in flight finish first
            await asyncio.gather(worker, return_exceptions=True)
            return
        stopping.cancel()
        error = worker.exception()
        if monotonic() - started > BACKOFF_RESET:
            delay = BACKOFF_FIRST
        log.warning("the worker stopped (%s); starting again in %s s",
                    f"{type(error).__name__}: {error}".strip() if error else "its connection to the database ended",
                    delay)
        try:
            await asyncio.wait_for(stop.wait(), delay)
        except TimeoutError:
            pass
        delay = min(delay * 2, BACKOFF_MAX)


async def _work(url: str) -> None:
    # A quick question first: procrastinate's pool would wait 30 s for a database that is away.
    await (await psycopg.AsyncConnection.connect(url, connect_timeout=2)).close()
    try:
        async with app.open_async():
            await app.run_worker_async(
                queues=["webhooks"], concurrency=CONCURRENCY, delete_jobs="always",
                update_heartbeat_interval=HEARTBEAT, stalled_worker_timeout=STALLED, install_signal_handlers=False,
                # LISTEN wakes it for new jobs; a retry's time comes without a notification: look twice a second.
                fetch_job_polling_interval=0.5, shutdown_graceful_timeout=SEND_TIMEOUT + 5)
    finally:
        await app.connector.close_async()  # a pool that failed to open is not reused by the next try


def healthy(url: str) -> bool:
    with psycopg.connect(url, connect_timeout=5) as conn:
        return conn.execute("select exists (select from queue.procrastinate_workers "
                            "where last_heartbeat > now() - make_interval(secs => %s))", (STALLED,)).fetchone()[0]


def main() -> None:
    logging.basicConfig(level=os.environ.get("WORKER_LOG_LEVEL", "WARNING"),
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # A retry is the normal course of a webhook that failed: not an error worth a traceback.
    logging.getLogger("procrastinate").setLevel(logging.ERROR)
    logging.getLogger("psycopg.pool").setLevel(logging.ERROR)  # a lost database is logged once, by serve()
    url = os.environ["DATABASE_URL"]
    if sys.argv[1:] == ["schema"]:
        apply_schema(url)
    elif sys.argv[1:] == ["health"]:
        sys.exit(0 if healthy(url) else 1)
    else:
        asyncio.run(serve(url))


if __name__ == "__main__":
    main()
