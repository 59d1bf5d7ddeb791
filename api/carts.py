"""Carts (a signed-in user's, or a guest's by its token): one database call each."""

import msgspec
from litestar import Controller, Response, delete, get, post, put
from litestar.params import Parameter

from api.db import Caller
from api.http import ANYONE, CART_TOKEN, errors, ok
from api.schemas import CartItemIn, CartLineIn, CartOut


class _Token(msgspec.Struct):
    token: str | None = None


def cart(body: bytes) -> Response:
    """The cart as the database built it; a guest's token also goes back in X-Cart-Token."""
    token = msgspec.json.decode(body, type=_Token).token
    response = ok(body)
    if token:
        response.headers["X-Cart-Token"] = token
    return response


class CartController(Controller):
    """A signed-in user's cart, else the guest cart of X-Cart-Token (a guest's first add starts one)."""

    path = "/api/cart"
    tags = ["cart"]
    dependencies = ANYONE

    @get(responses=errors(401))
    async def cart_get(self, caller: Caller, x_cart_token: str | None = CART_TOKEN) -> Response[CartOut]:
        return cart(await caller.call("api.cart_get(%s)", x_cart_token))

    @post("/items", status_code=200, responses=errors(401, 404, 409, 415, 422))
    async def cart_add_item(self, data: CartItemIn, caller: Caller,
                            x_cart_token: str | None = CART_TOKEN) -> Response[CartOut]:
        """Adds to the line of data.variant_id (or of the product's only variant)."""
        return cart(await caller.call("api.cart_add_item(%s, %s::bigint, %s::integer, %s::bigint)",
                                      x_cart_token, data.product_id, data.quantity, data.variant_id))

    @put("/items/{product_id:int}", responses=errors(401, 404, 409, 415, 422))
    async def cart_set_item(self, product_id: int, data: CartLineIn, caller: Caller,
                            x_cart_token: str | None = CART_TOKEN) -> Response[CartOut]:
        return cart(await caller.call("api.cart_set_item(%s, %s::bigint, %s::integer, %s::bigint)",
                                      x_cart_token, product_id, data.quantity, data.variant_id))

    @delete("/items/{product_id:int}", status_code=200, responses=errors(401, 404, 422))
    async def cart_remove_item(self, product_id: int, caller: Caller, x_cart_token: str | None = CART_TOKEN,
                               variant_id: int | None = Parameter(
                                   default=None, description="that variant's line; every line of the product "
                                   "without it")) -> Response[CartOut]:
        return cart(await caller.call("api.cart_remove_item(%s, %s::bigint, %s::bigint)",
                                      x_cart_token, product_id, variant_id))


ROUTES = [CartController]
