"""Categories and products: one database call each."""

from decimal import Decimal

import msgspec
from litestar import Controller, Response, delete, get, post, put
from litestar.params import Parameter

from api.db import Caller
from api.http import ADMIN, ANYONE, BEARER, IF_NONE_MATCH, LIMIT, catalog, errors, ok
from api.schemas import CategoryIn, CategoryList, CategoryOut, ProductIn, ProductList, ProductOut, ProductPatch


class CategoryController(Controller):
    path = "/api/categories"
    tags = ["catalog"]

    @get(responses=errors(304))
    async def categories_list(self, caller: Caller, if_none_match: str | None = IF_NONE_MATCH) -> Response[CategoryList]:
        """The whole tree in one page (cached until a category changes; ETag)."""
        return catalog(await caller.cached("categories", "api.categories_list()"), caller, if_none_match)

    @post(dependencies=ADMIN, security=BEARER, responses=errors(401, 403, 409, 415, 422))
    async def category_create(self, data: CategoryIn, caller: Caller) -> Response[CategoryOut]:
        return ok(await caller.call("api.category_create(%s, %s, %s::bigint)",
                                    data.name, data.description, data.parent_id), 201)


class ProductController(Controller):
    path = "/api/products"
    tags = ["catalog"]

    @get(dependencies=ANYONE, responses=errors(401, 422))
    async def products_list(
        self,
        caller: Caller,
        q: str | None = None,
        category_id: int | None = None,
        min_price: Decimal | None = None,
        max_price: Decimal | None = None,
        in_stock: bool | None = None,
        sort: str | None = Parameter(default=None,
                                     description="relevance (default with q), price, -price, newest, name"),
        limit: int | None = LIMIT,
        cursor: str | None = Parameter(default=None, description="next_cursor of the previous page"),
    ) -> Response[ProductList]:
        return ok(await caller.call(
            "api.products_list(%s, %s::bigint, %s::numeric, %s::numeric, %s, %s, %s::integer, %s)",
            q, category_id, min_price, max_price, in_stock, sort, limit, cursor))

    @get("/{product_id:int}", dependencies=ANYONE, responses=errors(304, 401, 404, 422))
    async def product_get(self, product_id: int, caller: Caller,
                          if_none_match: str | None = IF_NONE_MATCH) -> Response[ProductOut]:
        """A live product; inactive ones only for admins (cached until the product changes; ETag)."""
        return catalog(await caller.cached(product_id, "api.product_get(%s::bigint)", product_id),
                       caller, if_none_match)

    @post(dependencies=ADMIN, security=BEARER, responses=errors(401, 403, 409, 415, 422))
    async def product_create(self, data: ProductIn, caller: Caller) -> Response[ProductOut]:
        return ok(await caller.call(
            "api.product_create(%s, %s::numeric, %s, %s, %s::bigint, %s::integer, %s, %s::jsonb, %s::integer)",
            data.name, data.price, data.sku, data.description, data.category_id, data.stock_quantity,
            data.is_active, None if data.metadata is None else msgspec.json.encode(data.metadata).decode(),
            data.low_stock_threshold), 201)

    @put("/{product_id:int}", dependencies=ADMIN, security=BEARER, responses=errors(401, 403, 404, 409, 415, 422))
    async def product_update(self, product_id: int, data: ProductPatch, caller: Caller) -> Response[ProductOut]:
        """A partial update: only the fields sent change."""
        return ok(await caller.call("api.product_update(%s::bigint, %s::jsonb)",
                                    product_id, msgspec.json.encode(data).decode()))

    @delete("/{product_id:int}", dependencies=ADMIN, security=BEARER, responses=errors(401, 403, 404, 422))
    async def product_delete(self, product_id: int, caller: Caller) -> None:
        """A soft delete: the product stays for past orders and leaves every cart."""
        await caller.call("api.product_delete(%s::bigint)", product_id)


ROUTES = [CategoryController, ProductController]
