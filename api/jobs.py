"""The webhook deliveries, as jobs of procrastinate (run by `python -m api.worker`, see api/worker.py).

Built on procrastinate, a PostgreSQL job queue (schema `queue`): the outbox trigger defers one job per delivery
in the transaction of the change, workers claim jobs with FOR UPDATE SKIP LOCKED and wake on LISTEN. Jobs of
one endpoint and resource share a lock, so they run one at a time, oldest first. A job asks the database what
to send (lib.webhook_delivery_start), POSTs it signed, and reports (lib.webhook_delivery_finish), which says
whether and when to try again: the job is then retried at that time. A worker killed mid-delivery stops
beating its heart; its job is put back for another worker within seconds (at least once: receivers dedupe by
the event id)."""

import asyncio
import hashlib
import hmac
import ipaddress
import logging
import os
import socket
import time

import httpx
import procrastinate

SEND_TIMEOUT = float(os.environ.get("WEBHOOK_SEND_TIMEOUT", "10"))  # seconds for a whole delivery: connect, send, answer
EXCERPT = 500  # characters of an answer kept
HEARTBEAT = 1  # seconds between a worker's heartbeats
STALLED = 5  # seconds without a heartbeat after which a worker's jobs are put back

log = logging.getLogger("pgshop.worker")


class RetryLater(Exception):
    def __init__(self, delay: float, reason: str) -> None:
        super().__init__(f"retry in {delay:.1f} s: {reason}")
        self.delay = delay


class Backoff(procrastinate.BaseRetryStrategy):
    """A failed delivery: the database decided the delay (doubling with jitter, for 24 hours). Anything else
    (the database away): again, from 10 s up to every 5 minutes, for as long as it takes, so that a pending
    delivery never loses its job (one whose delivery is gone ends at once)."""

    def get_retry_decision(self, *, exception: BaseException, job: procrastinate.jobs.Job):  # noqa: ANN201
        if isinstance(exception, RetryLater):
            return procrastinate.RetryDecision(retry_in={"seconds": exception.delay})
        return procrastinate.RetryDecision(retry_in={"seconds": min(10 * 2 ** min(job.attempts, 5), 300)})


CONCURRENCY = int(os.environ.get("WORKER_CONCURRENCY", "16"))  # deliveries at once


# procrastinate's tables are in the schema queue; a connection for each delivery in flight, and for the
# heartbeat and the periodic task.
app = procrastinate.App(connector=procrastinate.PsycopgConnector(
    conninfo=os.environ.get("DATABASE_URL", ""), kwargs={"options": "-c search_path=queue,pg_catalog"},
    min_size=2, max_size=CONCURRENCY + 2))
# One client per host, reused between deliveries: connections are kept by the address they went to, and
# TLS must check the name of the host each was opened for.
_clients: dict[tuple[str, str, int | None], httpx.AsyncClient] = {}
# Addresses Python's is_global lets through that lead elsewhere: NAT64 and 6to4 embed IPv4 addresses.
_DENIED = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"),
           ipaddress.ip_network("2002::/16"))


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The Pgshop-Signature header: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the endpoint's secret>."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_global and not any(ip in net for net in _DENIED)


def _text(data: str) -> str:
    """What is kept of an answer or an error: at most EXCERPT characters, without NUL (PostgreSQL text has none)."""
    return data.replace("\x00", "")[:EXCERPT]


async def send(todo: dict) -> tuple[int | None, str | None, str | None, bool]:
    """POST one event: (HTTP status, answer excerpt, error, worth retrying). SEND_TIMEOUT bounds all of it, the
    name's lookup included. Any failure, preparing the request included (a URL httpx cannot read, say), is the
    delivery's: recorded, counted as an attempt and retried like any other until the retry window ends."""
    try:
        url = httpx.URL(todo["url"])
        async with asyncio.timeout(SEND_TIMEOUT):
            infos = await asyncio.get_running_loop().getaddrinfo(
                url.host, url.port or (443 if url.scheme == "https" else 80), type=socket.SOCK_STREAM)
            addresses = list(dict.fromkeys(info[4][0] for info in infos))
            if not todo["allow_private"]:
                refused = [a for a in addresses if not _public(a)]
                if url.scheme != "https" or refused:
                    return None, None, _text(f"not allowed: {url.scheme}://{url.host} "
                                             f"({', '.join(refused) or 'not https'})"), False
            body = todo["body"].encode()
            headers = {"Content-Type": "application/json", "User-Agent": "pgshop-webhooks/1",
                       "Pgshop-Event-Id": todo["event_id"], "Pgshop-Event-Type": todo["type"],
                       "Pgshop-Delivery-Attempt": str(todo["attempt"]),
                       "Pgshop-Signature": sign(todo["secret"], int(time.time()), body),
                       "Host": url.netloc.decode("ascii")}
            key = (url.scheme, url.host, url.port)
            if key not in _clients:
                _clients[key] = httpx.AsyncClient(follow_redirects=False, timeout=SEND_TIMEOUT)
            client = _clients[key]
            # To the address just checked (no second lookup that could answer otherwise); TLS checks the name.
            async with client.stream("POST", url.copy_with(host=addresses[0]), content=body, headers=headers,
                                     extensions={"sni_hostname": url.host} if url.scheme == "https" else {}) as answer:
                text = b""
                async for chunk in answer.aiter_bytes():
                    text += chunk
                    if len(text) >= 4 * EXCERPT:
                        break
                return answer.status_code, _text(text.decode("utf-8", "replace")), None, True
    except TimeoutError:
        return None, None, f"no answer within {SEND_TIMEOUT:g} s", True
    except Exception as exc:  # noqa: BLE001 - any failure to deliver is the delivery's, recorded and retried
        return None, None, _text(f"{type(exc).__name__}: {exc}"), True


@app.task(name="deliver", queue="webhooks", retry=Backoff(), pass_context=True)
async def deliver(context: procrastinate.JobContext, delivery_id: int) -> None:
    db = context.app.connector
    todo = (await db.execute_query_one_async("select lib.webhook_delivery_start(%(id)s) as todo",
                                             id=delivery_id))["todo"]
    if todo is None:
        return
    status, excerpt, error, retry = await send(todo)
    delay = (await db.execute_query_one_async(
        "select lib.webhook_delivery_finish(%(id)s, %(status)s, %(excerpt)s, %(error)s, %(retry)s) as delay",
        id=delivery_id, status=status, excerpt=excerpt, error=error, retry=retry))["delay"]
    if delay is not None:
        raise RetryLater(delay, error or f"answered {status}")


@app.periodic(cron="* * * * * */2", periodic_id="stalled")
@app.task(name="retry_stalled", queue="webhooks", queueing_lock="retry_stalled", pass_context=True)
async def retry_stalled(context: procrastinate.JobContext, timestamp: int) -> None:
    """Every 2 seconds: the jobs of workers that stopped beating (killed, host lost) go back to the queue."""
    for job in await context.app.job_manager.get_stalled_jobs(seconds_since_heartbeat=STALLED):
        log.warning("job %s of a stalled worker goes back to the queue", job.id)
        await context.app.job_manager.retry_job(job)

