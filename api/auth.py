"""JWT (HS256) issue and verification, and the caller levels handlers depend on (public, anyone, user,
admin), each giving the handler a Caller: the database and the verified claims."""

import time

import jwt
from litestar import Request
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from api.config import Settings
from api.db import Caller, Claims


def issue_token(settings: Settings, user_id: int, role: str) -> str:
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "role": role,
        "iat": now,
        "exp": now + settings.jwt_ttl_seconds,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


def _verify(settings: Settings, token: str) -> Claims:
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=["HS256"],  # never "none", never a key-confusion algorithm
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["sub", "role", "iat", "exp", "iss", "aud"]},
        )
    except jwt.InvalidTokenError as exc:
        raise NotAuthorizedException(detail=f"invalid token: {exc}") from exc
    if claims["role"] not in ("customer", "admin"):
        raise NotAuthorizedException(detail="invalid token: unknown role")
    sub = claims["sub"]
    # A user id is a positive bigint; anything else is not a token this API issued.
    if not (isinstance(sub, str) and sub.isascii() and sub.isdigit() and len(sub) < 20 and 0 < int(sub) < 2**63):
        raise NotAuthorizedException(detail="invalid token: sub is not a user id")
    return {"sub": sub, "role": claims["role"]}


def _claims(request: Request) -> Claims | None:
    """The caller's claims when a bearer token is sent (it must be valid), else None."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthorizedException(detail="use 'Authorization: Bearer <token>'")
    return _verify(request.app.state.settings, token.strip())


def public(request: Request) -> Caller:
    """Endpoints anyone may call without being identified (register, login, health, categories)."""
    return Caller(request.app.state.db, None)


def anyone(request: Request) -> Caller:
    """Endpoints for guests and users alike: identified when a (valid) token is sent."""
    return Caller(request.app.state.db, _claims(request))


def user(request: Request) -> Caller:
    claims = _claims(request)
    if claims is None:
        raise NotAuthorizedException(detail="this endpoint needs a bearer token")
    return Caller(request.app.state.db, claims)


def admin(request: Request) -> Caller:
    caller = user(request)
    if caller.claims["role"] != "admin":
        raise PermissionDeniedException(detail="this endpoint is for admins only")
    return caller
