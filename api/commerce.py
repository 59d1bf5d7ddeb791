"""Cart, checkout, orders and inventory endpoints: one database call each."""

import msgspec
from litestar import Response, delete, get, post, put
from litestar.params import Parameter

from api.db import Caller
from api.routes import ADMIN, ANYONE, BEARER, CART_TOKEN, USER, ok
from api.schemas import (CartItemIn, CartLineIn, CartOut, CheckoutIn, LowStockList, OrderList, OrderOut,
                         OrderStatusIn)

IDEMPOTENCY_KEY = Parameter(header="Idempotency-Key", required=False, description="up to 255 characters")


class _Token(msgspec.Struct):
    token: str | None = None


def cart(body: bytes) -> Response:
    """The cart as the database built it; a guest's token also goes back in X-Cart-Token."""
    token = msgspec.json.decode(body, type=_Token).token
    response = ok(body)
    if token:
        response.headers["X-Cart-Token"] = token
    return response


@get("/api/cart", tags=["cart"], dependencies=ANYONE)
async def cart_get(caller: Caller, x_cart_token: str | None = CART_TOKEN) -> Response[CartOut]:
    return cart(await caller.call("api.cart_get(%s)", x_cart_token))


@post("/api/cart/items", tags=["cart"], dependencies=ANYONE, status_code=200)
async def cart_add_item(data: CartItemIn, caller: Caller,
                        x_cart_token: str | None = CART_TOKEN) -> Response[CartOut]:
    return cart(await caller.call("api.cart_add_item(%s, %s::bigint, %s::integer)",
                                  x_cart_token, data.product_id, data.quantity))


@put("/api/cart/items/{product_id:int}", tags=["cart"], dependencies=ANYONE)
async def cart_set_item(product_id: int, data: CartLineIn, caller: Caller,
                        x_cart_token: str | None = CART_TOKEN) -> Response[CartOut]:
    return cart(await caller.call("api.cart_set_item(%s, %s::bigint, %s::integer)",
                                  x_cart_token, product_id, data.quantity))


@delete("/api/cart/items/{product_id:int}", tags=["cart"], dependencies=ANYONE, status_code=200)
async def cart_remove_item(product_id: int, caller: Caller,
                           x_cart_token: str | None = CART_TOKEN) -> Response[CartOut]:
    return cart(await caller.call("api.cart_remove_item(%s, %s::bigint)", x_cart_token, product_id))


@post("/api/orders", tags=["orders"], dependencies=USER, security=BEARER)
async def checkout(data: CheckoutIn, caller: Caller,
                   idempotency_key: str | None = IDEMPOTENCY_KEY) -> Response[OrderOut]:
    address = msgspec.json.encode(data.shipping_address).decode()
    return ok(await caller.call("api.checkout(%s::jsonb, %s)", address, idempotency_key), 201)


@get("/api/orders", tags=["orders"], dependencies=USER, security=BEARER)
async def orders_list(caller: Caller, limit: int = 20, cursor: str | None = None) -> Response[OrderList]:
    return ok(await caller.call("api.orders_list(%s::integer, %s)", limit, cursor))


@get("/api/orders/{order_id:int}", tags=["orders"], dependencies=USER, security=BEARER)
async def order_get(order_id: int, caller: Caller) -> Response[OrderOut]:
    return ok(await caller.call("api.order_get(%s::bigint)", order_id))


@put("/api/orders/{order_id:int}/status", tags=["orders"], dependencies=ADMIN, security=BEARER)
async def order_set_status(order_id: int, data: OrderStatusIn, caller: Caller) -> Response[OrderOut]:
    return ok(await caller.call("api.order_set_status(%s::bigint, %s)", order_id, data.status))


@get("/api/admin/inventory/low-stock", tags=["inventory"], dependencies=ADMIN, security=BEARER)
async def low_stock(caller: Caller) -> Response[LowStockList]:
    return ok(await caller.call("api.low_stock_list()"))


ROUTES = [cart_get, cart_add_item, cart_set_item, cart_remove_item, checkout, orders_list, order_get,
          order_set_status, low_stock]
