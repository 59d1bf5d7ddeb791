"""Every error leaves as application/problem+json {type, title, status, detail, code} (docs/errors.md)."""

import logging
from http import HTTPStatus

import msgspec
import psycopg
from litestar import Request, Response
from litestar.exceptions import HTTPException
from psycopg_pool import PoolTimeout

log = logging.getLogger("pgshop")

# Built-in SQLSTATEs that a function let through; our own errors are 'PT' || HTTP status.
_SQLSTATES = {
    "23502": (422, "missing_field"),
    "23503": (422, "invalid_reference"),
    "23505": (409, "conflict"),
    "23514": (422, "check_violation"),
    "42501": (403, "forbidden"),
    "57014": (503, "timeout"),
    "40001": (503, "try_again"),
    "40P01": (503, "try_again"),
}
_HTTP_CODES = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


def problem(status: int, code: str, detail: str, **extra: object) -> Response:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status,
            "detail": detail, "code": code, **extra}
    return Response(msgspec.json.encode(body), status_code=status, media_type="application/problem+json")


def database_error(_: Request, exc: psycopg.Error) -> Response:
    state = exc.sqlstate or ""
    diag = exc.diag
    if state.startswith("PT") and state[2:].isdigit():
        # A HINT holding a JSON object adds members to the problem (e.g. the products short on stock).
        hint = diag.message_hint or ""
        extra = msgspec.json.decode(hint) if hint.startswith("{") else {}
        return problem(int(state[2:]), diag.message_primary or "error", diag.message_detail or "", **extra)
    if state in _SQLSTATES:
        status, code = _SQLSTATES[state]
        # message_primary only: PostgreSQL's DETAIL can echo a whole row.
        extra = {"constraint": diag.constraint_name} if diag.constraint_name else {}
        return problem(status, code, diag.message_primary or "", **extra)
    if state.startswith("22"):  # data exceptions: bad number, out of range, bad date...
        return problem(422, "invalid_input", diag.message_primary or "")
    if isinstance(exc, psycopg.OperationalError):
        return problem(503, "database_unavailable", "the database is not reachable")
    log.error("unexpected database error %s", state, exc_info=exc)
    return problem(500, "internal_error", "unexpected database error")


def pool_timeout(_: Request, exc: PoolTimeout) -> Response:
    return problem(503, "database_unavailable", "no database connection became free in time")


def http_error(_: Request, exc: HTTPException) -> Response:
    # Litestar answers 400 for bodies and parameters it cannot parse or validate: those are 422 here.
    if exc.status_code == 400:
        return problem(422, "validation_failed", exc.detail, errors=exc.extra or [])
    status = exc.status_code
    return problem(status, _HTTP_CODES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_")), exc.detail)


def internal_error(_: Request, exc: Exception) -> Response:
    log.error("unhandled error", exc_info=exc)
    return problem(500, "internal_error", "unexpected error")
