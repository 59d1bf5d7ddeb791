"""The only way handlers reach PostgreSQL: one statement that sets the caller's claims for its own
transaction and calls one api function, returning the JSON the function built as raw bytes.

The pool heals itself: a connection is handed out only after a poll of its socket (an idle connection has
nothing to read unless the server closed it), and a watcher connection per worker notices at once when
PostgreSQL goes away, answers 503 quickly while it is away and refreshes the pool the moment it is back.

With a standby (READ_DATABASE_URL), calls of functions the database declares stable go to it, the others to
the primary; a client that wrote reads its own write (read-your-writes): see Replica."""

import asyncio
import logging
import select
from collections import deque
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from time import monotonic, perf_counter

import msgspec
import psycopg
from psycopg import AsyncConnection
from psycopg.adapt import Loader
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from api.cache import HITS, MISSES, Announcement, Cache

log = logging.getLogger("pgshop")
RETRY_AFTER = 2  # seconds a client is told to wait while the database is unavailable


@dataclass(slots=True)
class RequestState:
    """What one request did with the database: time spent (Server-Timing), the transaction of its write, and
    the write of this client that its reads must see (read-your-writes)."""

    db_seconds: float = 0.0
    source: str = ""  # "primary", "standby" or "cache": what answered the last call
    wrote: int | None = None
    must_see: int | None = None


# Set per request by the middleware (api/metrics.py); a default for calls outside requests.
REQUEST: ContextVar[RequestState] = ContextVar("pgshop_request", default=RequestState())


class Problem(Exception):
    """An error answered as problem+json: raised by the app, or returned by a function as {"problem": ...}."""

    def __init__(self, status: int, code: str, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.extra = status, code, detail, extra


class Unavailable(Problem):
    def __init__(self, detail: str) -> None:
        super().__init__(503, "database_unavailable", detail, retry_after=RETRY_AFTER)


class _RawJson(Loader):
    """Keep json results as the bytes PostgreSQL sent: no decode/encode in Python."""

    def load(self, data: bytes | bytearray | memoryview) -> bytes:
        return bytes(data)


async def _configure(conn: AsyncConnection) -> None:
    conn.adapters.register_loader("json", _RawJson)


async def _check(conn: AsyncConnection) -> None:
    """A pooled connection is idle, so its socket has nothing to read unless the server closed it (restart,
    pg_terminate_backend) or sent a parameter change: only then is it asked with an empty query, which raises
    on a dead connection and the pool hands out another. The poll costs a system call, not a round trip."""
    if conn.closed or select.select([conn.pgconn.socket], [], [], 0)[0]:
        await conn.execute("")


def _pool(url: str, size: int, timeout: float, prepared: bool) -> AsyncConnectionPool:
    return AsyncConnectionPool(
        url,
        min_size=size,
        max_size=size,
        open=False,
        configure=_configure,
        check=_check,
        timeout=timeout,
        # Give up a failed reconnection soon: the pool then grows again on the next request instead of
        # sleeping through an ever longer backoff after the database is back.
        reconnect_timeout=timeout,
        # Server-side prepared statements, unless a pooler in transaction mode (PgBouncer 1.18) is in between.
        kwargs={"autocommit": True, "prepare_threshold": 0 if prepared else None},
    )


_CLAIMS = "with c as materialized (select set_config('request.jwt.claims', %s, true))"


@lru_cache(maxsize=None)
def _statement(call: str, kind: str = "call") -> str:
    # The materialized CTE runs set_config first; the function is then called once, for its one row.
    # Autocommit: the statement is its own transaction, so the claims cannot leak to the next request.
    # "write" also returns the transaction's id (the read-your-writes token).
    # "fill" (a read for the catalog cache) returns the oldest transaction still running when it read: every
    # transaction before it is in what it read.
    if kind == "write":
        return f"{_CLAIMS} select {call}, pg_catalog.pg_current_xact_id()::text::bigint from c"
    if kind == "fill":
        return f"{_CLAIMS} select {call}, pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())::text::bigint from c"
    return f"{_CLAIMS} select {call} from c"


_READS = ("select 'api.' || p.proname from pg_catalog.pg_proc p where p.pronamespace = 'api'::regnamespace "
          "group by p.proname having bool_and(p.provolatile <> 'v')")
_PROBLEM = b'{"problem": '

_announcement = msgspec.json.Decoder(Announcement)
_problem_doc = msgspec.json.Decoder(dict[str, dict])


def answer(body: bytes | None) -> bytes | None:
    """The JSON a function built, or the Problem it returned ({"problem": ...}) raised."""
    if type(body) is bytes and body.startswith(_PROBLEM):
        problem = _problem_doc.decode(body)["problem"]
        raise Problem(problem.pop("status"), problem.pop("code"), problem.pop("detail"), **problem)
    return body

Claims = dict  # {"sub": "<user id>", "role": "customer" | "admin"}: what the database sees


class Database:
    def __init__(self, url: str, size: int, timeout: float, *, watch_url: str | None = None,
                 read_url: str | None = None, prepared: bool = True, max_lag: float = 10.0,
                 read_wait: float = 0.25, cache: Cache | None = None) -> None:
        self.watch_url = watch_url or url
        self.timeout = timeout
        self.pool = _pool(url, size, timeout, prepared)
        self.replica = Replica(_pool(read_url, size, timeout, prepared), self.pool, max_lag, read_wait) \
            if read_url else None
        self.reads: frozenset[str] = frozenset()  # api functions the database declares stable or immutable
        self.reads_seen = False  # read from the database once it is first reached
        self.cache = cache
        self.up = asyncio.Event()
        self._tasks: list[asyncio.Task] = []

    async def open(self) -> None:
        """Starts without waiting for the database: a worker (re)started while PostgreSQL is away comes up and
        answers 503 until the watcher reaches it."""
        await self.pool.open(wait=False)
        self._tasks.append(asyncio.create_task(self._watch()))
        if self.replica:
            await self.replica.pool.open(wait=False)
            self._tasks.append(asyncio.create_task(self.replica.monitor()))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self.replica:
            await self.replica.pool.close()
        await self.pool.close()

    async def _watch(self) -> None:
        """Hold one connection to the primary that listens to what the catalog announces (the cache drops what
        changed): it ends the moment PostgreSQL goes away (TCP keepalives notice a connection dropped in
        between). Then the cache is emptied and bypassed, and the connection retried every 0.2 s; once back,
        the pool's dead connections go before requests come through, and the cache starts again from empty once
        it listens. An announcement it cannot read, or the cache failing (Redis away), ends the connection too:
        the cache is bypassed until it listens again, never left up without hearing of changes."""
        while True:
            database_lost = False
            try:
                async with await AsyncConnection.connect(self.watch_url, autocommit=True, connect_timeout=2,
                                                         keepalives=1, keepalives_idle=10, keepalives_interval=5,
                                                         keepalives_count=3) as conn:
                    if not self.up.is_set():
                        if self.reads_seen:  # back after an outage
                            await self.pool.check()
                            await self._through_pool()
                            log.warning("database available again")
                        else:  # first reached: reads and writes as it states them (volatility), no route list here
                            self.reads = frozenset(name for (name,) in await (await conn.execute(_READS)).fetchall())
                            self.reads_seen = True
                        self.up.set()
                    await conn.execute("listen pgshop_catalog")
                    if self.cache:
                        await self.cache.online()
                    async for notice in conn.notifies():
                        if self.cache:
                            await self.cache.changed(_announcement.decode(notice.payload))
            except psycopg.OperationalError:
                database_lost = True
            except Exception:  # noqa: BLE001 - whatever it is, the cache must not stay up without listening
                log.exception("the catalog cache stopped listening; it is bypassed until it listens again")
            if self.cache:
                await self.cache.offline()
            if self.up.is_set() and database_lost:
                log.warning("database unavailable")
                self.up.clear()
            await asyncio.sleep(0.2)

    async def _through_pool(self) -> None:
        """Back only once a statement through the pool succeeds: through PgBouncer, whose own logins to
        PostgreSQL may still fail for a moment after PostgreSQL answers (server_login_retry), a request would
        otherwise get that failure. Requests wait meanwhile (up to DB_POOL_TIMEOUT)."""
        while True:
            try:
                await run(self.pool, "select 1", ())
                return
            except (psycopg.OperationalError, PoolTimeout):
                await asyncio.sleep(0.05)

    async def call(self, claims: Claims | None, call: str, *args: object, primary: bool = False) -> bytes | None:
        """Run `select <call> ...` (e.g. "api.product_get(%s::bigint)") as the caller in `claims` (on the primary
        when `primary`, even for a read)."""
        params = (msgspec.json.encode(claims).decode() if claims else "", *args)
        state = REQUEST.get()
        start = perf_counter()
        name = call.split("(", 1)[0]
        try:
            state.source = "primary"
            if name.startswith("api.") and name not in self.reads:  # a write: its id, for read-your-writes
                body, state.wrote = await self._primary(_statement(call, "write"), params, row=True)
            elif self.replica is None or not name.startswith("api.") or primary:
                body = await self._primary(_statement(call), params)
            else:
                state.source = "standby"
                body = await self.replica.read(call, params, state.must_see) if self.replica.usable else _MISS
                if body is _MISS:
                    state.source = "primary"
                    body = await self._primary(_statement(call), params)
        finally:
            state.db_seconds += perf_counter() - start
        return answer(body)

    async def fill(self, call: str, *args: object) -> tuple[bytes, int]:
        """A read for the catalog cache: as an anonymous reader, on the primary (a standby behind a change just
        announced could refill the old version), with the oldest transaction still running when it read."""
        state = REQUEST.get()
        start = perf_counter()
        try:
            state.source = "primary"
            body, horizon = await self._primary(_statement(call, "fill"), ("", *args), row=True)
        finally:
            state.db_seconds += perf_counter() - start
        return answer(body), horizon

    async def _primary(self, statement: str, params: tuple, row: bool = False):  # noqa: ANN202
        await self._reachable()
        return await run(self.pool, statement, params, row)

    async def _reachable(self) -> None:
        if not self.up.is_set():
            try:
                await asyncio.wait_for(self.up.wait(), self.timeout)
            except TimeoutError:
                raise Unavailable("the database is not reachable") from None

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A connection to the primary of one's own, for the few calls that are not one statement (an import
        streams a file with COPY): its transactions set the caller's claims themselves."""
        await self._reachable()
        async with self.pool.connection() as conn:
            yield conn

    async def ping(self) -> None:
        await self.call(None, "1")


async def run(pool: AsyncConnectionPool, statement: str, params: tuple, row: bool = False):  # noqa: ANN201
    # getconn/putconn rather than pool.connection(): in autocommit there is no transaction for the context
    # manager to end, and skipping it is measurably cheaper per request (docs/performance.md).
    conn = await pool.getconn()
    try:
        try:
            cursor = await conn.execute(statement, params)
        except psycopg.errors.InternalError_ as error:
            # A deploy (make migrate) replaced a routine between this statement's parse and its plan: it did
            # nothing (autocommit, one statement), and once more it finds the new routine.
            if not str(error).startswith("cache lookup failed for function"):
                raise
            cursor = await conn.execute(statement, params)
        result = await cursor.fetchone()
    finally:
        await pool.putconn(conn)
    return result if row else result[0]


_MISS = object()  # the standby could not answer this read: ask the primary
_REPLAYED_XACT = "select api.xact_replayed(%s::text::xid8)"
_PRIMARY_LSN = "select (pg_catalog.pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint"
_REPLAYED_LSN = ("select case when pg_catalog.pg_is_in_recovery() "
                 "then (pg_catalog.pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint end")


class Replica:
    """Reads on a standby. It is used while it answers and its data is at most `max_lag` seconds old (checked
    every second, see monitor), else reads go to the primary; a read the standby fails goes to the primary. A client that wrote sends back the id of its transaction
    (cookie or header, see api/metrics.py); its reads run on the standby only once the standby has replayed
    that transaction's commit (exact, where a WAL position taken inside the transaction would precede its own
    commit record), waiting up to `read_wait` seconds for it, else on the primary."""

    def __init__(self, pool: AsyncConnectionPool, primary: AsyncConnectionPool, max_lag: float,
                 read_wait: float) -> None:
        self.pool, self.primary = pool, primary
        self.max_lag, self.read_wait = max_lag, read_wait
        self.usable = False
        self.lag: float | None = None

    async def monitor(self) -> None:
        """Every second: the primary's WAL position, noted with the time; the standby's data is as old as the
        newest position it has replayed (an exact bound, from the sampling, that needs no privilege and does
        not take an idle primary for a lagging standby)."""
        samples: deque[tuple[float, int]] = deque()
        while True:
            now = monotonic()
            try:
                samples.append((now, await run(self.primary, _PRIMARY_LSN, ())))
                replayed = await run(self.pool, _REPLAYED_LSN, ())  # null: promoted, so nothing to wait for
                caught_up = [at for at, lsn in samples if replayed is None or lsn <= replayed]
                self.lag = now - max(caught_up) if caught_up else now - samples[0][0] + 1
            except (psycopg.Error, PoolTimeout):
                self.lag = None
            while samples and samples[0][0] < now - self.max_lag - 2 and len(samples) > 1:
                samples.popleft()
            usable = self.lag is not None and self.lag <= self.max_lag
            if usable != self.usable:
                log.warning("standby %s (lag %s s)", "in use" if usable else "not used", self.lag)
            self.usable = usable
            await asyncio.sleep(1)

    async def read(self, call: str, params: tuple, must_see: int | None):  # noqa: ANN201
        try:
            if must_see is None:
                return await run(self.pool, _statement(call), params)
            # Asked before the read, in a statement of its own: the read's snapshot, taken after the answer,
            # then includes the write (asked in the read's own statement, a commit replayed between its
            # snapshot and the question would be reported seen yet missing from what it read).
            deadline = monotonic() + self.read_wait
            while not await run(self.pool, _REPLAYED_XACT, (must_see,)):
                if monotonic() >= deadline:
                    return _MISS
                await asyncio.sleep(0.01)
            return await run(self.pool, _statement(call), params)
        except psycopg.errors.SerializationFailure:
            return _MISS  # cancelled by a conflict with what the standby replays: the primary answers
        except (psycopg.OperationalError, PoolTimeout):
            self.usable = False  # the monitor decides when it is back
            return _MISS


class Caller:
    """Who is calling (verified JWT claims, or None for anonymous) and the database to call as them."""

    __slots__ = ("db", "claims")

    def __init__(self, db: Database, claims: Claims | None) -> None:
        self.db = db
        self.claims = claims

    async def call(self, call: str, *args: object) -> bytes | None:
        return await self.db.call(self.claims, call, *args)

    async def cached(self, key: Hashable, call: str, *args: object) -> bytes | None:
        """call(), answered from the catalog cache for anyone but an admin (whose view shows inactive products).
        An entry read before the caller's last write finished is not used for them (read-your-writes: see
        Cache.get). A miss is filled with the anonymous reader's view (the one every entry holds)."""
        cache = self.db.cache
        if cache is None or not cache.up or (self.claims and self.claims["role"] == "admin"):
            return await self.call(call, *args)
        state = REQUEST.get()
        hit = await cache.get(key, state.must_see)
        if hit is not None:
            HITS.inc()
            state.source = "cache"
            return hit[1]
        MISSES.inc()
        token = cache.begin(key)
        body, horizon = await self.db.fill(call, *args)
        await cache.put(key, body, horizon, token)
        return body
