"""Categories and products: one database call each."""

from decimal import Decimal

import msgspec
from litestar import Controller, Response, delete, get, post, put
from litestar.params import Parameter

from api.db import Caller
from api.http import ADMIN, ANYONE, BEARER, IF_NONE_MATCH, LIMIT, catalog, errors, ok
from api.schemas import (CategoryIn, CategoryList, CategoryOut, FacetsOut, OptionIn, OptionList, OptionOut,
                         OptionPatch, ProductDetail, ProductIn, ProductList, ProductPatch, VariantIn, VariantList,
                         VariantOut, VariantPatch)


def _json(value: object) -> str:
    """A request body for a function taking jsonb: the fields sent (UNSET ones left out)."""
    return msgspec.json.encode(value).decode()


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


OPTION = Parameter(default=None, description="Name:Value (Colour:Red), repeatable: values of one option OR'ed, "
                   "different options AND'ed")
PRICE = "the default variant's price"


class ProductController(Controller):
    path = "/api/products"
    tags = ["catalog"]

    @get(dependencies=ANYONE, responses=errors(401, 422))
    async def products_list(
        self,
        caller: Caller,
        q: str | None = Parameter(default=None, description="words of names, descriptions, SKUs, option values"),
        category_id: int | None = Parameter(default=None, description="the category and its whole subtree"),
        min_price: Decimal | None = Parameter(default=None, description=PRICE),
        max_price: Decimal | None = Parameter(default=None, description=PRICE),
        in_stock: bool | None = Parameter(default=None, description="some variant in stock"),
        option: list[str] | None = OPTION,
        sort: str | None = Parameter(default=None,
                                     description="relevance (default with q), price, -price, newest, name"),
        limit: int | None = LIMIT,
        cursor: str | None = Parameter(default=None, description="next_cursor of the previous page"),
    ) -> Response[ProductList]:
        return ok(await caller.call(
            "api.products_list(%s, %s::bigint, %s::numeric, %s::numeric, %s, %s, %s::integer, %s, %s::text[])",
            q, category_id, min_price, max_price, in_stock, sort, limit, cursor, option))

    @get("/facets", dependencies=ANYONE, responses=errors(401, 422))
    async def products_facets(
        self,
        caller: Caller,
        q: str | None = None,
        category_id: int | None = None,
        min_price: Decimal | None = None,
        max_price: Decimal | None = None,
        in_stock: bool | None = None,
        option: list[str] | None = OPTION,
    ) -> Response[FacetsOut]:
        """Counts over the products the list shows with the same filters: per option value, per category (a
        product counts in its category and every one above it), per price band, in and out of stock."""
        return ok(await caller.call(
            "api.products_facets(%s, %s::bigint, %s::numeric, %s::numeric, %s, %s::text[])",
            q, category_id, min_price, max_price, in_stock, option))

    @get("/{product_id:int}", dependencies=ANYONE, responses=errors(304, 401, 404, 422))
    async def product_get(self, product_id: int, caller: Caller,
                          if_none_match: str | None = IF_NONE_MATCH) -> Response[ProductDetail]:
        """A live product with its options and variants; inactive ones only for admins (cached until the product
        or one of its variants changes; ETag)."""
        return catalog(await caller.cached(product_id, "api.product_get(%s::bigint)", product_id),
                       caller, if_none_match)

    @post(dependencies=ADMIN, security=BEARER, responses=errors(401, 403, 409, 415, 422))
    async def product_create(self, data: ProductIn, caller: Caller) -> Response[ProductDetail]:
        """A product and its default variant."""
        return ok(await caller.call(
            "api.product_create(%s, %s::numeric, %s, %s, %s::bigint, %s::integer, %s, %s::jsonb, %s::integer, "
            "%s::integer, %s::numeric, %s)",
            data.name, data.price, data.sku, data.description, data.category_id, data.stock_quantity,
            data.is_active, None if data.metadata is None else _json(data.metadata),
            data.low_stock_threshold, data.weight_grams, data.compare_at_price, data.handle), 201)

    @put("/{product_id:int}", dependencies=ADMIN, security=BEARER, responses=errors(401, 403, 404, 409, 415, 422))
    async def product_update(self, product_id: int, data: ProductPatch, caller: Caller) -> Response[ProductDetail]:
        """A partial update: only the fields sent change (price, sku and stock: the default variant's)."""
        return ok(await caller.call("api.product_update(%s::bigint, %s::jsonb)", product_id, _json(data)))

    @delete("/{product_id:int}", dependencies=ADMIN, security=BEARER, responses=errors(401, 403, 404, 422))
    async def product_delete(self, product_id: int, caller: Caller) -> None:
        """A soft delete: the product stays for past orders and leaves every cart."""
        await caller.call("api.product_delete(%s::bigint)", product_id)


class OptionController(Controller):
    path = "/api/products/{product_id:int}/options"
    tags = ["catalog"]

    @get(dependencies=ANYONE, responses=errors(401, 404, 422))
    async def product_options_list(self, product_id: int, caller: Caller) -> Response[OptionList]:
        return ok(await caller.call("api.product_options_list(%s::bigint)", product_id))

    @post(dependencies=ADMIN, security=BEARER, responses=errors(401, 403, 404, 409, 415, 422))
    async def product_option_create(self, product_id: int, data: OptionIn, caller: Caller) -> Response[OptionOut]:
        """An option, last, with its values in order; the product's live variants take its first value."""
        return ok(await caller.call("api.product_option_create(%s::bigint, %s, %s::jsonb)",
                                    product_id, data.name, _json(data.values)), 201)

    @put("/{option_id:int}", dependencies=ADMIN, security=BEARER, responses=errors(401, 403, 404, 409, 415, 422))
    async def product_option_update(self, product_id: int, option_id: int, data: OptionPatch,
                                    caller: Caller) -> Response[OptionOut]:
        return ok(await caller.call("api.product_option_update(%s::bigint, %s::bigint, %s::jsonb)",
                                    product_id, option_id, _json(data)))

    @delete("/{option_id:int}", dependencies=ADMIN, security=BEARER, responses=errors(401, 403, 404, 409, 422))
    async def product_option_delete(self, product_id: int, option_id: int, caller: Caller) -> None:
        """The option and its values leave every variant (409 variant_exists if two would then be the same)."""
        await caller.call("api.product_option_delete(%s::bigint, %s::bigint)", product_id, option_id)


class VariantController(Controller):
    path = "/api/products/{product_id:int}/variants"
    tags = ["catalog"]

    @get(dependencies=ANYONE, responses=errors(401, 404, 422))
    async def variants_list(self, product_id: int, caller: Caller) -> Response[VariantList]:
        return ok(await caller.call("api.variants_list(%s::bigint)", product_id))

    @get("/{variant_id:int}", dependencies=ANYONE, responses=errors(401, 404, 422))
    async def variant_get(self, product_id: int, variant_id: int, caller: Caller) -> Response[VariantOut]:
        return ok(await caller.call("api.variant_get(%s::bigint, %s::bigint)", product_id, variant_id))

    @post(dependencies=ADMIN, security=BEARER, responses=errors(401, 403, 404, 409, 415, 422))
    async def variant_create(self, product_id: int, data: VariantIn, caller: Caller) -> Response[VariantOut]:
        return ok(await caller.call("api.variant_create(%s::bigint, %s::jsonb)", product_id, _json(data)), 201)

    @put("/{variant_id:int}", dependencies=ADMIN, security=BEARER, responses=errors(401, 403, 404, 409, 415, 422))
    async def variant_update(self, product_id: int, variant_id: int, data: VariantPatch,
                             caller: Caller) -> Response[VariantOut]:
        """Any subset of the fields; options as a whole."""
        return ok(await caller.call("api.variant_update(%s::bigint, %s::bigint, %s::jsonb)",
                                    product_id, variant_id, _json(data)))

    @delete("/{variant_id:int}", dependencies=ADMIN, security=BEARER, responses=errors(401, 403, 404, 422))
    async def variant_delete(self, product_id: int, variant_id: int, caller: Caller) -> None:
        """A soft delete: the variant leaves every cart; orders keep it."""
        await caller.call("api.variant_delete(%s::bigint, %s::bigint)", product_id, variant_id)


ROUTES = [CategoryController, ProductController, OptionController, VariantController]
