"""What every handler shares: the caller levels as dependencies, the response helper, the JSON-only request,
the client's address, and what the OpenAPI document says about errors."""

import re
from http import HTTPStatus
from ipaddress import ip_address
from typing import Any

from litestar import Litestar, Request, Response
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from litestar.types import ASGIApp, Receive, Scope, Send
import msgspec
from msgspec import Struct

from api import auth, cache, schemas
from api.db import REQUEST, Caller

BEARER = [{"bearer": []}]
CART_TOKEN = Parameter(header="X-Cart-Token", required=False, description="guest cart token")
LIMIT = Parameter(default=None, description="page size: each list has its default; 1 to the setting page_size_max (100)")
# Each handler depends on one `caller`: the database plus who is calling (one dependency, so Litestar resolves
# it inline instead of spawning a task group per request). The app-level default is PUBLIC (no token read).
PUBLIC = {"caller": Provide(auth.public, sync_to_thread=False)}
ANYONE = {"caller": Provide(auth.anyone, sync_to_thread=False)}
USER = {"caller": Provide(auth.user, sync_to_thread=False)}
ADMIN = {"caller": Provide(auth.admin, sync_to_thread=False)}


def ok(body: bytes, status: int = 200) -> Response:
    """The JSON the database built (Cache-Control: no-store, as every response that does not say otherwise:
    api/metrics.py)."""
    return Response(body, status_code=status, media_type="application/json")


IF_NONE_MATCH = Parameter(header="If-None-Match", required=False,
                          description="an ETag of this resource: 304 Not Modified while it is current")
# What a shared cache (a CDN) may do with a catalog read for an anonymous reader: keep it, but ask again each
# time (If-None-Match, answered 304 without a database call while the server's cache holds it).
PUBLIC_CATALOG = "public, no-cache"


def _current(if_none_match: str | None, tag: str) -> bool:
    """Whether If-None-Match names the current ETag (or is *)."""
    return bool(if_none_match) and (if_none_match.strip() == "*" or tag in (
        t.strip().removeprefix("W/") for t in if_none_match.split(",")))


def catalog_headers(tag: str, role: str | None) -> dict[str, str]:
    """A catalog read's ETag and caching: anonymous readers may share it through a CDN; a signed-in reader's
    copy is private, an admin's (inactive products shown) never stored. Vary: a shared cache keeps the anonymous
    copy apart from requests that carry a token."""
    return {"etag": tag, "vary": "Authorization",
            "cache-control": {None: PUBLIC_CATALOG, "admin": "no-store"}.get(role, "private, no-cache")}


def catalog(body: bytes, caller: Caller, if_none_match: str | None) -> Response:
    """A catalog read with its ETag; 304 when the client has it."""
    tag = cache.etag(cache.digest(body))
    headers = catalog_headers(tag, caller.claims["role"] if caller.claims else None)
    if _current(if_none_match, tag):
        return Response(b"", status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


# The reads Front answers: GET /api/products/{id} (key: the id) and GET /api/categories (key: "categories").
_CACHED_PATH = re.compile(r"/api/(?:products/([0-9]{1,18})|categories)")


class Front:
    """ASGI layer in front of the framework: answers an anonymous GET of a catalog read that is in the cache
    exactly as the handler would (200 with its ETag, or 304 when If-None-Match names it), without routing,
    parameters or dependencies, which cost more than the read itself. A miss (an entry older than the client's
    last write included), a signed-in reader, a query string and anything else go on to the handlers
    (api/catalog.py), which fill the cache."""

    def __init__(self, app: ASGIApp, store: cache.Cache | None) -> None:
        self.app, self.cache = app, store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        store = self.cache
        if (store is not None and store.up and scope["type"] == "http" and scope["method"] == "GET"
                and not scope["query_string"] and (path := _CACHED_PATH.fullmatch(scope["path"]))):
            if_none_match = None
            for name, value in scope["headers"]:
                if name == b"authorization":
                    break
                if name == b"if-none-match":
                    if_none_match = value.decode("latin-1")
            else:
                hit = await store.get(int(path[1]) if path[1] else "categories", REQUEST.get().must_see)
                if hit is not None:
                    cache.HITS.inc()
                    REQUEST.get().source = "cache"
                    scope["path_template"] = "/api/products/{product_id}" if path[1] else "/api/categories"
                    tag = cache.etag(hit[0])
                    body = b"" if _current(if_none_match, tag) else hit[1]
                    headers = [(b"x-content-type-options", b"nosniff"),
                               *((k.encode(), v.encode()) for k, v in catalog_headers(tag, None).items())]
                    if body:
                        headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
                    await send({"type": "http.response.start", "status": 200 if body else 304, "headers": headers})
                    await send({"type": "http.response.body", "body": body})
                    return
        await self.app(scope, receive, send)


def require_json(request: Request) -> None:
    """415 unless the body is declared JSON: application/json or application/*+json, with any parameters."""
    media_type = request.content_type[0]
    if media_type != "application/json" and not (media_type.startswith("application/")
                                                 and media_type.endswith("+json")):
        raise HTTPException(status_code=415, detail="send the body as application/json")


TOO_DEEP = "the JSON body is nested too deeply"


class JsonRequest(Request):
    """Request bodies are JSON: any other media type is 415, and JSON nested beyond what the parser can
    follow (about 1,000 levels) is a 422 instead of a crash."""

    async def json(self) -> Any:
        require_json(self)
        try:
            return await super().json()
        except RecursionError:
            raise ValidationException(TOO_DEEP) from None


def refuse_deep_json(body: bytes) -> None:
    """For a route that passes a JSON body on unparsed (a provider's signed event): nested beyond what the parser
    follows (about 1,000 levels, where PostgreSQL's own limit is deeper) is a 422 here, never the database's
    "stack depth limit exceeded". Anything else, malformed JSON included, is left to the database to judge."""
    try:
        msgspec.json.decode(body)
    except RecursionError:
        raise ValidationException(TOO_DEEP) from None
    except msgspec.DecodeError:
        pass


def client_address(request: Request) -> str | None:
    """The client's address: the peer's, or, when the peer is a trusted proxy (TRUSTED_PROXIES), the last
    address in X-Forwarded-For that is not one of those proxies (a client cannot forge its way out)."""
    if request.client is None:
        return None
    trusted = request.app.state.settings.trusted_proxies
    address = request.client.host
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    while hops and _in(address, trusted):
        address = hops.pop()
    try:
        return str(ip_address(address))
    except ValueError:  # a proxy passed on something that is not an address: count it under the proxy
        return request.client.host


def _in(address: str, networks: tuple) -> bool:
    try:
        return any(ip_address(address) in network for network in networks)
    except ValueError:
        return False


_DESCRIPTIONS = {
    400: "invalid_signature or stale_signature: the provider's signature does not hold",
    401: "no valid bearer token (unauthenticated) or, at login, invalid_credentials",
    403: "forbidden: an admin endpoint called by a customer",
    404: "not_found",
    409: "a conflict with the current state (the code says which)",
    415: "unsupported_media_type: the body is not application/json",
    422: "the request is invalid (validation_failed, or the code of the rule it breaks)",
    429: "too_many_attempts; Retry-After says when to try again",
    503: "database_unavailable, timeout or try_again; Retry-After when it is known",
}


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    """The problem+json responses an operation can send (503 always: any call can find the database away)."""
    return {status: ResponseSpec(data_container=None, description="Not Modified: the client's copy (If-None-Match) "
                                 "is current") if status == 304 else
            ResponseSpec(data_container=schemas.ProblemOut, media_type="application/problem+json",
                         description=_DESCRIPTIONS.get(status, HTTPStatus(status).phrase), generate_examples=False)
            for status in sorted({*statuses, 503})}


def document(app: Litestar) -> None:
    """Startup: make the OpenAPI document say what the API does. Litestar lists a 400 for every operation
    with parameters; this API answers 422 instead (documented per operation), and 400 only for a provider's
    signature. Request bodies refuse unknown fields, and response objects list every member the database sends,
    so both say additionalProperties: false."""
    spec = app.plugins.get("OpenAPIPlugin").provide_openapi_schema()
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                responses = operation.get("responses", {})
                if responses.get("400", {}).get("description") != _DESCRIPTIONS[400]:
                    responses.pop("400", None)
    components = spec.get("components", {}).get("schemas", {})
    for struct in _subclasses(schemas.In) + _subclasses(schemas.Out):
        if struct.__name__ in components:
            components[struct.__name__]["additionalProperties"] = False


def _subclasses(cls: type[Struct]) -> list[type[Struct]]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]
