"""JWT (HS256) issue and verification, and the three caller levels handlers depend on."""

import time

import jwt
from litestar import Request
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from api.config import Settings

Claims = dict  # {"sub": "<user id>", "role": "customer" | "admin"}: what the database sees


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
    return {"sub": claims["sub"], "role": claims["role"]}


async def anyone(request: Request) -> Claims | None:
    """The caller's claims when a bearer token is sent (it must be valid), else None."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthorizedException(detail="use 'Authorization: Bearer <token>'")
    return _verify(request.app.state.settings, token.strip())


async def user(request: Request) -> Claims:
    claims = await anyone(request)
    if claims is None:
        raise NotAuthorizedException(detail="this endpoint needs a bearer token")
    return claims


async def admin(request: Request) -> Claims:
    claims = await user(request)
    if claims["role"] != "admin":
        raise PermissionDeniedException(detail="this endpoint is for admins only")
    return claims
