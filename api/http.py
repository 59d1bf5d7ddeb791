"""What every handler shares: the caller levels as dependencies, the response helper, the JSON-only request,
the client's address, and what the OpenAPI document says about errors."""

from http import HTTPStatus
from ipaddress import ip_address
from typing import Any

from litestar import Litestar, Request, Response
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from msgspec import Struct

from api import auth, schemas

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
    return Response(body, status_code=status, media_type="application/json")


class JsonRequest(Request):
    """Request bodies are JSON: any other media type is 415, and JSON nested beyond what the parser can
    follow (about 1,000 levels) is a 422 instead of a crash."""

    async def json(self) -> Any:
        media_type = self.content_type[0]
        if media_type != "application/json" and not (media_type.startswith("application/")
                                                     and media_type.endswith("+json")):
            raise HTTPException(status_code=415, detail="send the body as application/json")
        try:
            return await super().json()
        except RecursionError:
            raise ValidationException("the JSON body is nested too deeply") from None


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
    return {status: ResponseSpec(data_container=schemas.ProblemOut, media_type="application/problem+json",
                                 description=_DESCRIPTIONS.get(status, HTTPStatus(status).phrase),
                                 generate_examples=False)
            for status in sorted({*statuses, 503})}


def document(app: Litestar) -> None:
    """Startup: make the OpenAPI document say what the API does. Litestar lists a 400 for every operation
    with parameters; this API answers 422 instead (documented per operation). Request bodies refuse unknown
    fields, so their schemas say additionalProperties: false."""
    spec = app.plugins.get("OpenAPIPlugin").provide_openapi_schema()
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation.get("responses", {}).pop("400", None)
    components = spec.get("components", {}).get("schemas", {})
    for struct in _subclasses(schemas.In):
        if struct.__name__ in components:
            components[struct.__name__]["additionalProperties"] = False


def _subclasses(cls: type[Struct]) -> list[type[Struct]]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]
