"""Prometheus metrics of the API, the Server-Timing header, and the read-your-writes token.

prometheus-client in multiprocess mode (PROMETHEUS_MULTIPROC_DIR, which make run sets): every uvicorn worker
writes its figures there, and `python -m api.metrics`, a listener of its own on METRICS_HOST:METRICS_PORT
(127.0.0.1:9464 by default, never the API's port), serves their sum at /metrics; with METRICS_TOKEN set it asks
for `Authorization: Bearer <token>` (for a listener other hosts can reach, as in docker-compose.yml)."""

import asyncio
import base64
import hashlib
import hmac
import os
import signal
import sys
from time import perf_counter
from wsgiref.simple_server import make_server

from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app, multiprocess
from prometheus_client.exposition import ThreadingWSGIServer, _SilentHandler

from api.db import REQUEST, RequestState

REQUESTS = Counter("pgshop_http_requests_total", "HTTP requests answered, by route template, method and status",
                   ["route", "method", "status"])
LATENCY = Histogram("pgshop_http_request_duration_seconds", "Time to answer a request, by route template and method",
                    ["route", "method"],
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
POOL = Gauge("pgshop_db_pool_connections", "Database connections of the API's pools: open, and in use",
             ["state"], multiprocess_mode="livesum")
POOL_WAITING = Gauge("pgshop_db_pool_waiting", "Requests waiting for a database connection",
                     multiprocess_mode="livesum")
POOL_ERRORS = Counter("pgshop_db_pool_errors_total", "Pool errors, by kind: request (no connection within "
                      "DB_POOL_TIMEOUT), connect (a connection attempt failed), lost (a connection found broken)",
                      ["kind"])
_POOL_ERROR_STATS = {"requests_errors": "request", "connections_errors": "connect", "connections_lost": "lost"}
FAILURES = Counter("pgshop_failed_requests_total", "Requests the server failed (5xx), by code: database_unavailable, "
                   "timeout, try_again, internal_error", ["code"])
RATE_LIMITED = Counter("pgshop_rate_limit_refusals_total", "Requests refused with 429 too_many_attempts, by route",
                       ["route"])

def route(scope: Scope) -> str:
    return scope.get("path_template") or "unmatched"


READ_AFTER = "pgshop-read-after"  # cookie and header (X-Read-After) names of the read-your-writes token


class Observe:
    """ASGI middleware around the whole app: counts and times every request, adds `Server-Timing: db;dur=..;
    desc="primary|standby|cache", app;dur=..`, and carries the read-your-writes token: a write's transaction id, signed, goes back as a cookie
    (and an X-Read-After header); a request that brings it back reads only data that includes that write."""

    def __init__(self, app: ASGIApp, secret: str) -> None:
        self.app = app
        self.key = hashlib.sha256(b"pgshop read-after " + secret.encode()).digest()

    def sign(self, xid: int) -> str:
        mac = hmac.new(self.key, str(xid).encode(), "sha256").digest()[:16]
        return f"{xid}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"

    def verified(self, token: str) -> int | None:
        xid, _, _ = token.partition(".")
        return int(xid) if xid.isdigit() and len(xid) < 20 and hmac.compare_digest(self.sign(int(xid)), token) \
            else None

    def token(self, scope: Scope) -> int | None:
        for name, value in scope["headers"]:
            if name == b"x-read-after":
                return self.verified(value.decode("latin-1").strip())
            if name == b"cookie":
                for part in value.decode("latin-1").split(";"):
                    key, _, token = part.strip().partition("=")
                    if key == READ_AFTER:
                        return self.verified(token)
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = perf_counter()
        state = RequestState(must_see=self.token(scope))
        REQUEST.set(state)
        status = 500

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                source = f';desc="{state.source}"' if state.source else ""
                headers = list(message.get("headers", ()))
                # Responses carry tokens and personal data: none is stored by a cache unless it says otherwise
                # (the catalog reads, api/http.py).
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                headers += [(b"server-timing", (
                    f"db;dur={state.db_seconds * 1000:.2f}{source}, "
                    f"app;dur={(perf_counter() - start) * 1000:.2f}").encode())]
                if state.wrote is not None and status < 400:
                    token = self.sign(state.wrote)
                    headers += [(b"x-read-after", token.encode()), (b"set-cookie", (
                        f"{READ_AFTER}={token}; Max-Age=60; Path=/; HttpOnly; SameSite=Lax").encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            template, method = route(scope), scope["method"]
            REQUESTS.labels(template, method, str(status)).inc()
            LATENCY.labels(template, method).observe(perf_counter() - start)


async def watch_pool(pool) -> None:  # noqa: ANN001 (psycopg_pool.AsyncConnectionPool)
    """Every second, this worker's pool figures into the gauges, and its new errors into the counter."""
    counted = dict.fromkeys(_POOL_ERROR_STATS, 0)
    for kind in _POOL_ERROR_STATS.values():
        POOL_ERRORS.labels(kind)  # shown from the start, at 0
    while True:
        stats = pool.get_stats()  # psycopg_pool's counters are cumulative and absent until the first one
        POOL.labels("open").set(stats["pool_size"])
        POOL.labels("in_use").set(stats["pool_size"] - stats["pool_available"])
        POOL_WAITING.set(stats["requests_waiting"])
        for key, kind in _POOL_ERROR_STATS.items():
            if stats.get(key, 0) > counted[key]:
                POOL_ERRORS.labels(kind).inc(stats[key] - counted[key])
                counted[key] = stats[key]
        await asyncio.sleep(1)


def worker_exit() -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(os.getpid())


def main() -> None:
    """The metrics listener: every worker's figures summed, at /metrics on METRICS_HOST:METRICS_PORT."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    metrics = make_wsgi_app(registry)
    token = os.environ.get("METRICS_TOKEN", "").encode()

    def guarded(environ: dict, start_response):  # noqa: ANN202 - WSGI
        sent = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ").strip().encode()
        if token and not hmac.compare_digest(sent, token):
            start_response("401 Unauthorized", [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")])
            return [b"metrics need Authorization: Bearer <METRICS_TOKEN>\n"]
        return metrics(environ, start_response)

    host, port = os.environ.get("METRICS_HOST", "127.0.0.1"), int(os.environ.get("METRICS_PORT", "9464"))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    make_server(host, port, guarded, ThreadingWSGIServer, handler_class=_SilentHandler).serve_forever()


if __name__ == "__main__":
    main()
