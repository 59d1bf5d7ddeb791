"""Catalog import and export in CSV, streamed through COPY: the database checks the header, validates and applies
the rows, records the import and builds every answer (db/functions/22_catalog_import.sql); this module only moves
bytes, so a 200 MB file never sits in memory. Used by POST /api/admin/imports, GET /api/admin/exports/products.csv
and `pgshop import FILE`.

An import is one transaction: api.import_begin (the header's columns) answers with the COPY to run, the file
streams into the staging table, api.import_apply validates and applies all rows or none. A header the database
refuses, or a COPY that fails (invalid UTF-8, a NUL byte, an unclosed quote; rolled back to a savepoint): the rest
of the file is read for its hash and api.import_refuse records the refusal."""

import csv
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import msgspec
import psycopg
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import Parameter
from litestar.response import Stream
from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from api.db import REQUEST, Caller, answer
from api.http import ADMIN, BEARER, LIMIT, errors, ok
from api.schemas import ImportList, ImportOut

HEADER_MAX = 64 * 1024  # a header line longer than this is not a header of the format


class _Begin(msgspec.Struct):
    copy: str | None


class _File:
    """The file's chunks, hashed as they pass; the header line read ahead."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self.chunks = chunks
        self.digest = hashlib.sha256()
        self.ahead = b""

    async def header(self) -> list[str]:
        """The column names of the first line (a UTF-8 byte order mark and surrounding blanks ignored)."""
        async for chunk in self.chunks:
            self.digest.update(chunk)
            self.ahead += chunk
            if b"\n" in self.ahead or len(self.ahead) > HEADER_MAX:
                break
        line = self.ahead.split(b"\n", 1)[0][:HEADER_MAX].decode("utf-8", "replace").removeprefix("\ufeff")
        return [name.strip() for name in next(csv.reader([line.rstrip("\r")]), [])]

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.ahead:
            yield self.ahead
            self.ahead = b""
        async for chunk in self.chunks:
            self.digest.update(chunk)
            yield chunk

    async def drain(self) -> None:
        async for _ in self:
            pass


async def _claims(conn: AsyncConnection, claims: str) -> None:
    await conn.execute("select set_config('request.jwt.claims', %s, true)", (claims,))


async def run_import(conn: AsyncConnection, claims: str, chunks: AsyncIterator[bytes], dry_run: bool,
                     filename: str | None) -> tuple[bytes, int]:
    """Import a CSV file arriving in chunks, as the caller in `claims` (JSON; "" for the database role itself).
    Returns the JSON the database built: the import, or {"problem": ...} (recorded, so committed); and the id of
    the transaction (read-your-writes)."""
    file = _File(chunks)
    columns = await file.header()
    copy_error = None
    async with conn.transaction():
        await _claims(conn, claims)
        begin = msgspec.json.decode(await _one(conn, "select api.import_begin(%s)::text", columns), type=_Begin)
        if begin.copy is not None:
            try:
                async with conn.transaction(), conn.cursor().copy(begin.copy) as copy:  # a savepoint
                    async for chunk in file:
                        await copy.write(chunk)
            except psycopg.DataError as error:  # the file's own fault: the database says what and where
                copy_error = Jsonb({"sqlstate": error.sqlstate, "message": error.diag.message_primary,
                                    "context": error.diag.context})
            else:
                return await _written(conn, "api.import_apply(%s, %s, %s)", file.digest.hexdigest(), dry_run,
                                      filename)
        await file.drain()
        return await _written(conn, "api.import_refuse(%s, %s, %s, %s)", file.digest.hexdigest(), filename, columns,
                              copy_error)


async def _one(conn: AsyncConnection, statement: str, *params: object) -> bytes:
    return (await (await conn.execute(statement, params)).fetchone())[0].encode()


async def _written(conn: AsyncConnection, call: str, *params: object) -> tuple[bytes, int]:
    body, xact = await (await conn.execute(f"select {call}::text, pg_catalog.pg_current_xact_id()::text::bigint",
                                           params)).fetchone()
    return body.encode(), xact


async def export(conn: AsyncConnection, claims: str) -> AsyncIterator[bytes]:
    """The catalog as CSV, in chunks as COPY sends them."""
    async with conn.transaction():
        await _claims(conn, claims)
        async with conn.cursor().copy((await _one(conn, "select api.export_begin()")).decode()) as copy:
            async for data in copy:
                yield bytes(data)


# HTTP -------------------------------------------------------------------------------------------------------------

@dataclass
class _CsvBody(Operation):
    """The OpenAPI operation of a route whose body is a CSV file (read as a stream, not a parameter)."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(content={"text/csv": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))},
                                        required=True, description="a CSV file, UTF-8, with a header row "
                                        "(docs/import.md)")


def _claims_of(caller: Caller) -> str:
    return msgspec.json.encode(caller.claims).decode() if caller.claims else ""


class ImportController(Controller):
    path = "/api/admin"
    tags = ["catalog"]
    dependencies = ADMIN
    security = BEARER

    @post("/imports", request_max_body_size=None, responses=errors(401, 403, 415, 422), operation_class=_CsvBody)
    async def import_create(
        self, request: Request, caller: Caller,
        dry_run: bool = Parameter(default=False, description="report what would change, change nothing"),
    ) -> Response[ImportOut]:
        """Import a catalog file: validated set-based, then applied in one transaction (all rows or none); a file
        applied before (same SHA-256) changes nothing. 422 invalid_import lists the errors (the first 1,000)."""
        if request.content_type[0] != "text/csv":
            raise HTTPException(status_code=415, detail="send the file as text/csv")
        async with caller.db.connection() as conn:
            body, REQUEST.get().wrote = await run_import(conn, _claims_of(caller), request.stream(), dry_run, None)
        return ok(answer(body), 201)

    @get("/imports", responses=errors(401, 403, 422))
    async def imports_list(self, caller: Caller, limit: int | None = LIMIT,
                           cursor: str | None = None) -> Response[ImportList]:
        """The imports, newest first (without their changes and errors)."""
        return ok(await caller.db.call(caller.claims, "api.imports_list(%s::integer, %s)", limit, cursor,
                                       primary=True))

    @get("/imports/{import_id:int}", responses=errors(401, 403, 404, 422))
    async def import_get(self, import_id: int, caller: Caller) -> Response[ImportOut]:
        # On the primary, as the list: a refused import is recorded by a request that failed (422), which gives
        # no read-your-writes token, and it is read right after.
        return ok(await caller.db.call(caller.claims, "api.import_get(%s::bigint)", import_id, primary=True))

    @get("/exports/products.csv", responses=errors(401, 403), media_type="text/csv")
    async def products_export(self, caller: Caller) -> Stream:
        """The catalog in the import format, one row per live variant, streamed."""
        chunks = _export(caller)
        first = await anext(chunks)  # a refusal is answered as a problem before the stream starts
        return Stream(_prepend(first, chunks), media_type="text/csv",
                      headers={"content-disposition": 'attachment; filename="products.csv"'})


async def _export(caller: Caller) -> AsyncIterator[bytes]:
    async with caller.db.connection() as conn:
        async for chunk in export(conn, _claims_of(caller)):
            yield chunk


async def _prepend(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for chunk in rest:
        yield chunk


ROUTES = [ImportController]
