"""Health, registration, login and the caller's own profile: one database call each."""

import msgspec
from litestar import Controller, Request, Response, get, post, put

from api import auth
from api.db import Caller
from api.http import BEARER, CART_TOKEN, USER, client_address, errors, ok
from api.schemas import Health, LoginIn, ProfileIn, RegisterIn, TokenOut, UserOut


@get("/health", tags=["health"], responses=errors())
async def health(caller: Caller) -> Response[Health]:
    """200 when the database answers."""
    return ok(await caller.call("json_build_object('status', 'ok')"))


class _Login(msgspec.Struct):
    user_id: int
    role: str
    cart: msgspec.Raw  # the merge report, passed through as the database wrote it


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/register", responses=errors(409, 415, 422, 429))
    async def register(self, data: RegisterIn, caller: Caller, request: Request) -> Response[UserOut]:
        return ok(await caller.call("api.user_register(%s, %s, %s, %s, %s::inet)", data.email, data.password,
                                    data.first_name, data.last_name, client_address(request)), 201)

    @post("/login", status_code=200, responses=errors(401, 415, 422, 429))
    async def login(self, data: LoginIn, caller: Caller, request: Request,
                    x_cart_token: str | None = CART_TOKEN) -> Response[TokenOut]:
        """Signs in; a guest cart sent in X-Cart-Token is merged into the user's cart (reported in `cart`)."""
        user = msgspec.json.decode(await caller.call("api.user_login(%s, %s, %s, %s::inet)", data.email, data.password,
                                                     x_cart_token, client_address(request)), type=_Login)
        settings = request.app.state.settings
        return ok(msgspec.json.encode({
            "access_token": auth.issue_token(settings, user.user_id, user.role),
            "token_type": "bearer",
            "expires_in": settings.jwt_ttl_seconds,
            "cart": user.cart,
        }))


class ProfileController(Controller):
    path = "/api/users/profile"
    tags = ["users"]
    dependencies = USER
    security = BEARER

    @get(responses=errors(401))
    async def profile_get(self, caller: Caller) -> Response[UserOut]:
        return ok(await caller.call("api.profile_get()"))

    @put(responses=errors(401, 415, 422))
    async def profile_update(self, data: ProfileIn, caller: Caller) -> Response[UserOut]:
        """Changes first_name and last_name only."""
        return ok(await caller.call("api.profile_update(%s, %s)", data.first_name, data.last_name))


ROUTES = [health, AuthController, ProfileController]
