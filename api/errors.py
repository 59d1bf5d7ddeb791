"""Every error leaves as application/problem+json {type, title, status, detail, code} (docs/errors.md)."""

import logging
from http import HTTPStatus

import msgspec
import psycopg
from litestar import Request, Response
from litestar.exceptions import HTTPException
from psycopg_pool import PoolTimeout

from api.db import RETRY_AFTER, Problem
from api.metrics import FAILURES, RATE_LIMITED, route

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
    "22P05": (422, "invalid_text"),  # \u0000 in JSON: jsonb cannot hold it
    "22021": (422, "invalid_text"),  # not valid UTF-8
}
_HTTP_CODES = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
               415: "unsupported_media_type"}
# Errors are personal (they may echo what was sent) and never sniffed as anything but JSON.
_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def problem(status: int, code: str, detail: str, **extra: object) -> Response:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status,
            "detail": detail, "code": code, **extra}
    headers = _HEADERS
    if "retry_after" in extra:
        headers = {**headers, "Retry-After": str(extra["retry_after"])}
    elif status == 401:
        headers = {**headers, "WWW-Authenticate": "Bearer"}
    return Response(msgspec.json.encode(body), status_code=status, media_type="application/problem+json",
                    headers=headers)


def problem_error(request: Request, exc: Problem) -> Response:
    return counted(request, problem(exc.status, exc.code, exc.detail, **exc.extra), exc.code)


def counted(request: Request, response: Response, code: str) -> Response:
    """The refusals worth watching, counted: rate limits, and requests the server failed."""
    if code == "too_many_attempts":
        RATE_LIMITED.labels(route(request.scope)).inc()
    elif response.status_code >= 500:
        FAILURES.labels(code).inc()
    return response


def database_error(request: Request, exc: psycopg.Error) -> Response:
    state = exc.sqlstate or ""
    diag = exc.diag
    if state.startswith("PT") and state[2:].isdigit():
        # A HINT holding a JSON object adds members to the problem (e.g. the products short on stock).
        hint = diag.message_hint or ""
        extra = msgspec.json.decode(hint) if hint.startswith("{") else {}
        code = diag.message_primary or "error"
        return counted(request, problem(int(state[2:]), code, diag.message_detail or "", **extra), code)
    if state in _SQLSTATES:
        status, code = _SQLSTATES[state]
        # message_primary only: PostgreSQL's DETAIL can echo a whole row.
        extra = {"constraint": diag.constraint_name} if diag.constraint_name else {}
        return counted(request, problem(status, code, diag.message_primary or "", **extra), code)
    if state.startswith("22"):  # data exceptions: bad number, out of range, bad date...
        return problem(422, "invalid_input", diag.message_primary or "")
    if state.startswith("54"):  # program limits (stack depth, too many columns...): the input's fault, no outage
        return problem(422, "too_complex", "the request is too complex for the database: "
                       f"{diag.message_primary or 'a program limit was exceeded'}")
    if isinstance(exc, psycopg.DataError) and not state and "NUL" in str(exc):
        # Refused by the driver before sending: PostgreSQL text cannot hold NUL (0x00) characters.
        return problem(422, "invalid_text", "text may not contain NUL (\\u0000) characters")
    if isinstance(exc, psycopg.OperationalError):
        return counted(request, problem(503, "database_unavailable", "the database is not reachable",
                                        retry_after=RETRY_AFTER), "database_unavailable")
    log.error("unexpected database error %s", state, exc_info=exc)
    return counted(request, problem(500, "internal_error", "unexpected database error"), "internal_error")


def pool_timeout(request: Request, exc: PoolTimeout) -> Response:
    return counted(request, problem(503, "database_unavailable", "no database connection became free in time",
                                    retry_after=RETRY_AFTER), "database_unavailable")


def http_error(_: Request, exc: HTTPException) -> Response:
    # Litestar answers 400 for bodies and parameters it cannot parse or validate: those are 422 here.
    if exc.status_code == 400:
        return problem(422, "validation_failed", exc.detail, errors=exc.extra or [])
    status = exc.status_code
    return problem(status, _HTTP_CODES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_")), exc.detail)


def internal_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error", exc_info=exc)
    return counted(request, problem(500, "internal_error", "unexpected error"), "internal_error")
