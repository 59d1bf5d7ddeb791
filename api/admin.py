"""Admin reports and the audit trail: one database call each."""

from datetime import date

from litestar import Response, get
from litestar.params import Parameter

from api.db import Caller
from api.routes import ADMIN, BEARER, ok
from api.schemas import AuditList, CategorySalesList, ProductSalesList, SalesReport

FROM = Parameter(query="from", default=None, description="first UTC day, YYYY-MM-DD")
TO = Parameter(query="to", default=None, description="last UTC day, YYYY-MM-DD (inclusive)")
ADMIN_ROUTE = {"tags": ["admin"], "dependencies": ADMIN, "security": BEARER}


@get("/api/admin/reports/sales", **ADMIN_ROUTE)
async def report_sales(caller: Caller, from_: date | None = FROM,
                       to: date | None = TO) -> Response[SalesReport]:
    """Per-day sales, real time; default: the last 30 days."""
    return ok(await caller.call("api.report_sales(%s::date, %s::date)", from_, to))


@get("/api/admin/reports/products", **ADMIN_ROUTE)
async def report_products(caller: Caller, limit: int = 10, from_: date | None = FROM,
                          to: date | None = TO) -> Response[ProductSalesList]:
    """Top products by revenue; all time (materialized view) unless from/to are given."""
    return ok(await caller.call("api.report_products(%s::integer, %s::date, %s::date)", limit, from_, to))


@get("/api/admin/reports/categories", **ADMIN_ROUTE)
async def report_categories(caller: Caller) -> Response[CategorySalesList]:
    """Sales by category, each with its subtree rolled up."""
    return ok(await caller.call("api.report_categories()"))


@get("/api/admin/audit", **ADMIN_ROUTE)
async def audit(caller: Caller, table: str, id: int, limit: int = 20,
                cursor: str | None = None) -> Response[AuditList]:
    """One row's change history, newest first."""
    return ok(await caller.call("api.audit_list(%s, %s::bigint, %s::integer, %s)", table, id, limit, cursor))


ROUTES = [report_sales, report_products, report_categories, audit]
