"""Inventory: the products low on stock, for admins: one database call."""

from litestar import Controller, Response, get

from api.db import Caller
from api.http import ADMIN, BEARER, errors, ok
from api.schemas import LowStockList


class InventoryController(Controller):
    path = "/api/admin/inventory"
    tags = ["inventory"]
    dependencies = ADMIN
    security = BEARER

    @get("/low-stock", responses=errors(401, 403))
    async def low_stock(self, caller: Caller) -> Response[LowStockList]:
        """Products at or below their low_stock_threshold, longest-low first."""
        return ok(await caller.call("api.low_stock_list()"))


ROUTES = [InventoryController]
