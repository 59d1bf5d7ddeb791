"""Checkout and orders: one database call each."""

import msgspec
from litestar import Controller, Response, get, post, put
from litestar.params import Parameter

from api.db import Caller
from api.http import ADMIN, BEARER, LIMIT, USER, errors, ok
from api.schemas import CheckoutIn, OrderList, OrderOut, OrderStatusIn

IDEMPOTENCY_KEY = Parameter(header="Idempotency-Key", required=False, description="1 to 255 characters")


class OrderController(Controller):
    path = "/api/orders"
    tags = ["orders"]
    dependencies = USER
    security = BEARER

    @post(responses=errors(401, 409, 415, 422, 429))
    async def checkout(self, data: CheckoutIn, caller: Caller,
                       idempotency_key: str | None = IDEMPOTENCY_KEY) -> Response[OrderOut]:
        """The caller's cart becomes a pending order; the same Idempotency-Key and body replay it."""
        return ok(await caller.call("api.cart_checkout(%s::jsonb, %s)", msgspec.json.encode(data).decode(),
                                    idempotency_key), 201)

    @get(responses=errors(401, 422))
    async def orders_list(self, caller: Caller, limit: int | None = LIMIT,
                          cursor: str | None = None) -> Response[OrderList]:
        """The caller's orders, newest first."""
        return ok(await caller.call("api.orders_list(%s::integer, %s)", limit, cursor))

    @get("/{order_id:int}", responses=errors(401, 404, 422))
    async def order_get(self, order_id: int, caller: Caller) -> Response[OrderOut]:
        """The caller's own order (admins: any order)."""
        return ok(await caller.call("api.order_get(%s::bigint)", order_id))

    @put("/{order_id:int}/status", dependencies=ADMIN, responses=errors(401, 403, 404, 409, 415, 422))
    async def order_set_status(self, order_id: int, data: OrderStatusIn, caller: Caller) -> Response[OrderOut]:
        """pending -> paid -> shipped -> delivered; pending or paid -> cancelled (stock returned)."""
        return ok(await caller.call("api.order_set_status(%s::bigint, %s)", order_id, data.status))


ROUTES = [OrderController]
