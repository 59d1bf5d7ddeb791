"""Endpoints: each authenticates, makes one database call and passes the database's JSON through."""

from decimal import Decimal

import msgspec
from litestar import Request, Response, delete, get, post, put
from litestar.di import Provide
from litestar.params import Parameter

from api import auth
from api.db import Caller
from api.schemas import (CategoryIn, CategoryList, CategoryOut, Health, LoginIn, ProductIn, ProductList,
                         ProductOut, ProductPatch, ProfileIn, RegisterIn, TokenOut, UserOut)

BEARER = [{"bearer": []}]
CART_TOKEN = Parameter(header="X-Cart-Token", required=False, description="guest cart token")
# Each handler depends on one `caller`: the database plus who is calling (one dependency, so Litestar resolves
# it inline instead of spawning a task group per request). The app-level default is PUBLIC (no token read).
PUBLIC = {"caller": Provide(auth.public, sync_to_thread=False)}
ANYONE = {"caller": Provide(auth.anyone, sync_to_thread=False)}
USER = {"caller": Provide(auth.user, sync_to_thread=False)}
ADMIN = {"caller": Provide(auth.admin, sync_to_thread=False)}


def ok(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type="application/json")


@get("/health", tags=["health"])
async def health(caller: Caller) -> Response[Health]:
    await caller.db.ping()
    return ok(b'{"status":"ok"}')


@post("/api/auth/register", tags=["auth"])
async def register(data: RegisterIn, caller: Caller) -> Response[UserOut]:
    return ok(await caller.call("api.register(%s, %s, %s, %s)",
                                data.email, data.password, data.first_name, data.last_name), 201)


@post("/api/auth/login", tags=["auth"], status_code=200)
async def login(data: LoginIn, caller: Caller, request: Request,
                x_cart_token: str | None = CART_TOKEN) -> Response[TokenOut]:
    """Signs in; a guest cart sent in X-Cart-Token is merged into the user's cart (reported in `cart`)."""
    user = msgspec.json.decode(await caller.call("api.login(%s, %s, %s)", data.email, data.password, x_cart_token),
                               type=_Login)
    settings = request.app.state.settings
    return ok(msgspec.json.encode({
        "access_token": auth.issue_token(settings, user.user_id, user.role),
        "token_type": "bearer",
        "expires_in": settings.jwt_ttl_seconds,
        "cart": user.cart,
    }))


class _Login(msgspec.Struct):
    user_id: int
    role: str
    cart: msgspec.Raw  # the merge report, passed through as the database wrote it


@get("/api/users/profile", tags=["users"], dependencies=USER, security=BEARER)
async def profile_get(caller: Caller) -> Response[UserOut]:
    return ok(await caller.call("api.profile_get()"))


@put("/api/users/profile", tags=["users"], dependencies=USER, security=BEARER)
async def profile_update(data: ProfileIn, caller: Caller) -> Response[UserOut]:
    return ok(await caller.call("api.profile_update(%s, %s)", data.first_name, data.last_name))


@get("/api/categories", tags=["catalog"])
async def categories_list(caller: Caller) -> Response[CategoryList]:
    return ok(await caller.call("api.categories_list()"))


@post("/api/categories", tags=["catalog"], dependencies=ADMIN, security=BEARER)
async def category_create(data: CategoryIn, caller: Caller) -> Response[CategoryOut]:
    return ok(await caller.call("api.category_create(%s, %s, %s::bigint)",
                                data.name, data.description, data.parent_id), 201)


@get("/api/products", tags=["catalog"], dependencies=ANYONE)
async def products_list(
    caller: Caller,
    q: str | None = None,
    category_id: int | None = None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    in_stock: bool = False,
    sort: str | None = Parameter(default=None, description="relevance (default with q), price, -price, newest, name"),
    limit: int = Parameter(default=20, description="1..100"),
    cursor: str | None = Parameter(default=None, description="next_cursor of the previous page"),
) -> Response[ProductList]:
    return ok(await caller.call(
        "api.products_list(%s, %s::bigint, %s::numeric, %s::numeric, %s, %s, %s::integer, %s)",
        q, category_id, min_price, max_price, in_stock, sort, limit, cursor))


@get("/api/products/{product_id:int}", tags=["catalog"], dependencies=ANYONE)
async def product_get(product_id: int, caller: Caller) -> Response[ProductOut]:
    return ok(await caller.call("api.product_get(%s::bigint)", product_id))


@post("/api/products", tags=["catalog"], dependencies=ADMIN, security=BEARER)
async def product_create(data: ProductIn, caller: Caller) -> Response[ProductOut]:
    return ok(await caller.call(
        "api.product_create(%s, %s::numeric, %s, %s, %s::bigint, %s::integer, %s, %s::jsonb, %s::integer)",
        data.name, data.price, data.sku, data.description, data.category_id, data.stock_quantity,
        data.is_active, msgspec.json.encode(data.metadata).decode(), data.low_stock_threshold), 201)


@put("/api/products/{product_id:int}", tags=["catalog"], dependencies=ADMIN, security=BEARER)
async def product_update(product_id: int, data: ProductPatch, caller: Caller) -> Response[ProductOut]:
    return ok(await caller.call("api.product_update(%s::bigint, %s::jsonb)",
                                product_id, msgspec.json.encode(data).decode()))


@delete("/api/products/{product_id:int}", tags=["catalog"], dependencies=ADMIN, security=BEARER)
async def product_delete(product_id: int, caller: Caller) -> None:
    await caller.call("api.product_delete(%s::bigint)", product_id)


ROUTES = [health, register, login, profile_get, profile_update, categories_list, category_create,
          products_list, product_get, product_create, product_update, product_delete]
