"""The only way handlers reach PostgreSQL: one statement that sets the caller's claims for its own
transaction and calls one api function, returning the JSON the function built as raw bytes.

The pool heals itself: a connection is handed out only after a poll of its socket (an idle connection has
nothing to read unless the server closed it), and a watcher connection per worker notices at once when
PostgreSQL goes away, answers 503 quickly while it is away and refreshes the pool the moment it is back."""

import asyncio
import logging
import select
from contextvars import ContextVar
from functools import lru_cache
from time import perf_counter

import msgspec
import psycopg
from psycopg import AsyncConnection
from psycopg.adapt import Loader
from psycopg_pool import AsyncConnectionPool

log = logging.getLogger("pgshop")
RETRY_AFTER = 2  # seconds a client is told to wait while the database is unavailable
# The time a request spends in database calls (Server-Timing): the metrics middleware sets a one-item list
# for each request, Database.call adds to it.
DB_TIME: ContextVar[list[float]] = ContextVar("pgshop_db_time", default=[0.0])


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


@lru_cache(maxsize=None)
def _statement(call: str) -> str:
    # The materialized CTE runs set_config first; the function is then called once, for its one row.
    # Autocommit: the statement is its own transaction, so the claims cannot leak to the next request.
    return f"with c as materialized (select set_config('request.jwt.claims', %s, true)) select {call} from c"


_PROBLEM = b'{"problem": '
_problem_doc = msgspec.json.Decoder(dict[str, dict])

Claims = dict  # {"sub": "<user id>", "role": "customer" | "admin"}: what the database sees


class Database:
    def __init__(self, url: str, size: int, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        self.pool = AsyncConnectionPool(
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
            kwargs={"autocommit": True, "prepare_threshold": 0},
        )
        self.up = asyncio.Event()
        self._watcher: asyncio.Task | None = None

    async def open(self) -> None:
        await self.pool.open(wait=True)
        self.up.set()
        self._watcher = asyncio.create_task(self._watch())

    async def close(self) -> None:
        if self._watcher:
            self._watcher.cancel()
        await self.pool.close()

    async def _watch(self) -> None:
        """Hold one connection that only waits: it ends the moment PostgreSQL goes away. Then reconnect every
        0.2 s; once back, drop the pool's dead connections before letting requests through again."""
        while True:
            try:
                async with await AsyncConnection.connect(self.url, autocommit=True, connect_timeout=2) as conn:
                    if not self.up.is_set():
                        await self.pool.check()
                        self.up.set()
                        log.warning("database available again")
                    await conn.execute("listen pgshop_watch")
                    async for _ in conn.notifies():
                        pass
            except psycopg.OperationalError:
                pass
            if self.up.is_set():
                log.warning("database unavailable")
                self.up.clear()
            await asyncio.sleep(0.2)

    async def call(self, claims: Claims | None, call: str, *args: object) -> bytes | None:
        """Run `select <call> ...` (e.g. "api.product_get(%s::bigint)") as the caller in `claims`."""
        if not self.up.is_set():
            try:
                await asyncio.wait_for(self.up.wait(), self.timeout)
            except TimeoutError:
                raise Unavailable("the database is not reachable") from None
        params = (msgspec.json.encode(claims).decode() if claims else "", *args)
        # getconn/putconn rather than pool.connection(): in autocommit there is no transaction for the context
        # manager to end, and skipping it is measurably cheaper per request (docs/performance.md).
        start = perf_counter()
        conn = await self.pool.getconn()
        try:
            cursor = await conn.execute(_statement(call), params)
            row = await cursor.fetchone()
        finally:
            await self.pool.putconn(conn)
            DB_TIME.get()[0] += perf_counter() - start
        body = row[0]
        if type(body) is bytes and body.startswith(_PROBLEM):
            problem = _problem_doc.decode(body)["problem"]
            raise Problem(problem.pop("status"), problem.pop("code"), problem.pop("detail"), **problem)
        return body

    async def ping(self) -> None:
        await self.call(None, "1")


class Caller:
    """Who is calling (verified JWT claims, or None for anonymous) and the database to call as them."""

    __slots__ = ("db", "claims")

    def __init__(self, db: Database, claims: Claims | None) -> None:
        self.db = db
        self.claims = claims

    async def call(self, call: str, *args: object) -> bytes | None:
        return await self.db.call(self.claims, call, *args)
