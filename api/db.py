"""The only way handlers reach PostgreSQL: one statement that sets the caller's claims for its own
transaction and calls one api function, returning the JSON the function built as raw bytes."""

from functools import lru_cache

import msgspec
from psycopg import AsyncConnection
from psycopg.adapt import Loader
from psycopg_pool import AsyncConnectionPool


class _RawJson(Loader):
    """Keep json results as the bytes PostgreSQL sent: no decode/encode in Python."""

    def load(self, data: bytes | bytearray | memoryview) -> bytes:
        return bytes(data)


async def _configure(conn: AsyncConnection) -> None:
    conn.adapters.register_loader("json", _RawJson)


@lru_cache(maxsize=None)
def _statement(call: str) -> str:
    # The materialized CTE runs set_config first; the function is then called once, for its one row.
    # Autocommit: the statement is its own transaction, so the claims cannot leak to the next request.
    return f"with c as materialized (select set_config('request.jwt.claims', %s, true)) select {call} from c"


Claims = dict  # {"sub": "<user id>", "role": "customer" | "admin"}: what the database sees


class Database:
    def __init__(self, url: str, size: int) -> None:
        self.pool = AsyncConnectionPool(
            url,
            min_size=size,
            max_size=size,
            open=False,
            configure=_configure,
            kwargs={"autocommit": True, "prepare_threshold": 0},
        )

    async def call(self, claims: Claims | None, call: str, *args: object) -> bytes | None:
        """Run `select <call> ...` (e.g. "api.product_get(%s::bigint)") as the caller in `claims`."""
        params = (msgspec.json.encode(claims).decode() if claims else "", *args)
        # getconn/putconn rather than pool.connection(): in autocommit there is no transaction for the context
        # manager to end, and skipping it is measurably cheaper per request (docs/performance.md).
        conn = await self.pool.getconn()
        try:
            cursor = await conn.execute(_statement(call), params)
            row = await cursor.fetchone()
        finally:
            await self.pool.putconn(conn)
        return row[0]

    async def ping(self) -> None:
        async with self.pool.connection() as conn:
            await conn.execute("select 1")


class Caller:
    """Who is calling (verified JWT claims, or None for anonymous) and the database to call as them."""

    __slots__ = ("db", "claims")

    def __init__(self, db: Database, claims: Claims | None) -> None:
        self.db = db
        self.claims = claims

    async def call(self, call: str, *args: object) -> bytes | None:
        return await self.db.call(self.claims, call, *args)
