"""The Litestar app factory: `uvicorn api.app:create_app --factory`."""

import asyncio
import logging
import os
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

import psycopg
from litestar import Litestar, Response, get
from litestar.datastructures import ResponseHeader, State
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from psycopg_pool import PoolTimeout

from api import cache, carts, catalog, errors, imports, inventory, metrics, orders, payments, reporting, users, webhooks
from api.config import Settings
from api.db import Database, Problem
from api.http import PUBLIC, Front, JsonRequest, document


@get("/bench/constant", include_in_schema=False)
async def constant() -> Response:
    """The benchmark's baseline: the same server and stack, no database (mounted with PGSHOP_BENCH=1)."""
    return Response(_CONSTANT, media_type="application/json")


_CONSTANT = b'{"id":1,"name":"Constant","price":"19.99","stock_quantity":10}'


def create_app(settings: Settings | None = None) -> metrics.Observe:
    """The app behind the cache's front door (api/http.py), both wrapped in the metrics middleware so that every
    response is counted and timed, unmatched routes included."""
    settings = settings or Settings.from_env()
    app = _litestar(settings)
    return metrics.Observe(Front(app, app.state.db.cache), settings.jwt_secret)


def _litestar(settings: Settings) -> Litestar:
    # Each failed reconnection would log a warning per worker and connection: the watcher logs the outage once.
    logging.getLogger("psycopg.pool").setLevel(logging.ERROR)
    database = Database(settings.database_url, settings.pool_size, settings.pool_timeout,
                        watch_url=settings.watch_database_url, read_url=settings.read_database_url,
                        prepared=settings.prepared_statements, max_lag=settings.replica_max_lag,
                        read_wait=settings.read_your_writes_wait,
                        cache=cache.create(settings.cache, settings.cache_max_entries, settings.cache_max_bytes,
                                           settings.redis_url))

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncGenerator[None, None]:
        await database.open()
        pool_figures = asyncio.create_task(metrics.watch_pool(database.pool))
        try:
            yield
        finally:
            pool_figures.cancel()
            await database.close()
            metrics.worker_exit()

    return Litestar(
        route_handlers=users.ROUTES + catalog.ROUTES + carts.ROUTES + orders.ROUTES + inventory.ROUTES + payments.ROUTES
        + webhooks.ROUTES + reporting.ROUTES + imports.ROUTES
        + ([constant] if os.environ.get("PGSHOP_BENCH") == "1" else []),
        dependencies=PUBLIC,
        lifespan=[lifespan],
        on_startup=[document],
        request_class=JsonRequest,
        state=State({"settings": settings, "db": database}),
        response_headers=[ResponseHeader(name="X-Content-Type-Options", value="nosniff")],
        exception_handlers={
            Problem: errors.problem_error,
            psycopg.Error: errors.database_error,
            PoolTimeout: errors.pool_timeout,
            HTTPException: errors.http_error,
            Exception: errors.internal_error,
        },
        openapi_config=OpenAPIConfig(
            title="pgshop",
            version="0.1.0",
            description="A database-centric e-commerce backend. Errors are application/problem+json "
            "with a stable `code` (docs/errors.md).",
            components=Components(
                security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}
            ),
        ),
    )
