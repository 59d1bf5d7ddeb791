"""Reporting for admins: sales, products and categories reports, and the audit trail: one database call each."""

from datetime import date

from litestar import Controller, Response, get
from litestar.params import Parameter

from api.db import Caller
from api.http import ADMIN, BEARER, LIMIT, errors, ok
from api.schemas import AuditList, CategorySalesList, ProductSalesList, SalesReport

FROM = Parameter(query="from", default=None, description="first UTC day, YYYY-MM-DD")
TO = Parameter(query="to", default=None, description="last UTC day, YYYY-MM-DD (inclusive)")


class ReportingController(Controller):
    path = "/api/admin"
    tags = ["reporting"]
    dependencies = ADMIN
    security = BEARER

    @get("/reports/sales", responses=errors(401, 403, 422))
    async def report_sales(self, caller: Caller, from_: date | None = FROM,
                           to: date | None = TO) -> Response[SalesReport]:
        """Per-day sales, real time; default: the last 30 days."""
        return ok(await caller.call("api.sales_report(%s::date, %s::date)", from_, to))

    @get("/reports/products", responses=errors(401, 403, 422))
    async def report_products(self, caller: Caller, limit: int | None = LIMIT, from_: date | None = FROM,
                              to: date | None = TO) -> Response[ProductSalesList]:
        """Top products by revenue; all time (materialized view) unless from/to are given."""
        return ok(await caller.call("api.products_report(%s::integer, %s::date, %s::date)", limit, from_, to))

    @get("/reports/categories", responses=errors(401, 403))
    async def report_categories(self, caller: Caller) -> Response[CategorySalesList]:
        """Sales by category, each with its subtree rolled up."""
        return ok(await caller.call("api.categories_report()"))

    @get("/audit", responses=errors(401, 403, 422))
    async def audit(self, caller: Caller, table: str, id: int, limit: int | None = LIMIT,
                    cursor: str | None = None) -> Response[AuditList]:
        """One row's change history, newest first."""
        return ok(await caller.call("api.audit_list(%s, %s::bigint, %s::integer, %s)", table, id, limit, cursor))


ROUTES = [ReportingController]
