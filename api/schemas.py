"""Request bodies (validated by msgspec) and the documented shapes of the JSON the database returns."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from msgspec import UNSET, Meta, Struct, UnsetType


class In(Struct, forbid_unknown_fields=True):
    """Request bodies: unknown fields are refused (422), so nothing like `role` slips through."""


class RegisterIn(In):
    email: str
    password: str
    first_name: str
    last_name: str


class LoginIn(In):
    email: str
    password: str


class ProfileIn(In):
    first_name: str | None = None
    last_name: str | None = None


class CategoryIn(In):
    name: str
    description: str | None = None
    parent_id: int | None = None


Handle = Annotated[str, Meta(description="the product's stable name in files and URLs (trail-tent-2): lower-case "
                                          "words joined by hyphens, unique; made from the name and id when omitted")]


class ProductIn(In):
    """Fields left out take the column defaults of shop.products."""

    name: str
    price: Decimal
    sku: str
    handle: Handle | None = None
    description: str | None = None
    category_id: int | None = None
    stock_quantity: int | None = None
    is_active: bool | None = None
    metadata: dict[str, Any] | None = None
    low_stock_threshold: int | None = None
    weight_grams: int | None = None
    compare_at_price: Decimal | None = None


class ProductPatch(In):
    """A product's own fields and its default variant's (price, sku, stock_quantity, low_stock_threshold,
    weight_grams, compare_at_price)."""

    name: str | UnsetType = UNSET
    handle: Handle | UnsetType = UNSET
    price: Decimal | UnsetType = UNSET
    sku: str | UnsetType = UNSET
    description: str | None | UnsetType = UNSET
    category_id: int | None | UnsetType = UNSET
    stock_quantity: int | UnsetType = UNSET
    is_active: bool | UnsetType = UNSET
    metadata: dict[str, Any] | UnsetType = UNSET
    low_stock_threshold: int | UnsetType = UNSET
    weight_grams: int | UnsetType = UNSET
    compare_at_price: Decimal | None | UnsetType = UNSET


Options = Annotated[dict[str, str], Meta(description='one value of each option of the product, by name: '
                                                      '{"Size": "M", "Colour": "Red"} ({} without options)')]


class OptionIn(In):
    name: str
    values: Annotated[list[str], Meta(description="the option's values, in order")]


class OptionPatch(In):
    """values replace the option's list, in order (a value a live variant has cannot go: option_value_in_use)."""

    name: str | UnsetType = UNSET
    position: int | UnsetType = UNSET
    values: list[str] | UnsetType = UNSET


class VariantIn(In):
    """Fields left out take the column defaults of shop.variants."""

    sku: str
    price: Decimal
    stock_quantity: int
    options: Options = {}
    compare_at_price: Decimal | None | UnsetType = UNSET
    weight_grams: int | UnsetType = UNSET
    low_stock_threshold: int | UnsetType = UNSET
    is_active: bool | UnsetType = UNSET
    position: int | UnsetType = UNSET


class VariantPatch(In):
    sku: str | UnsetType = UNSET
    price: Decimal | UnsetType = UNSET
    stock_quantity: int | UnsetType = UNSET
    options: Options | UnsetType = UNSET
    compare_at_price: Decimal | None | UnsetType = UNSET
    weight_grams: int | UnsetType = UNSET
    low_stock_threshold: int | UnsetType = UNSET
    is_active: bool | UnsetType = UNSET
    position: int | UnsetType = UNSET


# Response shapes: the JSON the database builds, member for member. The bytes come from the database; these
# document them, closed (additionalProperties: false, api/http.py), and the suite checks every response it gets
# against them (tests/conftest.py), as schemathesis does, so a member added, dropped or renamed in a function
# without its shape here fails the tests.
class Out(Struct):
    """A response object: every member the database can send is listed; those without a default always are."""


class ShortLine(Out):
    product_id: int
    variant_id: int
    sku: str
    requested: int
    available: int


class ProblemOut(Out):
    """application/problem+json (RFC 9457). Some codes add members: errors (validation_failed; invalid_import:
    [{row, column, code, message}] with import_id), products (insufficient_stock), retry_after
    (too_many_attempts, database_unavailable), constraint (a constraint of the database)."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[dict[str, Any]] | None = None
    products: list[ShortLine] | None = None
    retry_after: int | None = None
    constraint: str | None = None
    import_id: int | None = None


class UserOut(Out):
    id: int
    email: str
    first_name: str
    last_name: str
    role: str
    created_at: datetime
    updated_at: datetime




class CategoryOut(Out):
    id: int
    name: str
    description: str | None
    parent_id: int | None
    created_at: datetime


class CategoryList(Out):
    items: list[CategoryOut]
    next_cursor: str | None


class PriceRange(Out):
    min: str | None
    max: str | None


class ProductOut(Out):
    """price, sku, stock_quantity and low_stock_threshold are the default variant's (the first live one by
    position); null when the product has no live variant."""

    id: int
    handle: str
    name: str
    description: str | None
    price: str | None
    category_id: int | None
    stock_quantity: int | None
    sku: str | None
    is_active: bool
    metadata: dict[str, Any]
    low_stock_threshold: int | None
    in_stock: Annotated[bool, Meta(description="some live, active variant has stock")]
    price_range: Annotated[PriceRange, Meta(description="over the live, active variants")]
    created_at: datetime
    updated_at: datetime


class OptionValueOut(Out):
    id: int
    value: str
    position: int


class OptionOut(Out):
    id: int
    name: str
    position: int
    values: list[OptionValueOut]


class OptionList(Out):
    items: list[OptionOut]
    next_cursor: str | None


class VariantOut(Out):
    id: int
    product_id: int
    sku: str
    price: str
    compare_at_price: str | None
    weight_grams: int
    stock_quantity: int
    low_stock_threshold: int
    is_active: bool
    position: int
    options: dict[str, str]
    in_stock: bool
    deleted_at: datetime | None
    created_at: datetime
    updated_at: datetime


class VariantList(Out):
    items: list[VariantOut]
    next_cursor: str | None


class ProductDetail(ProductOut):
    options: list[OptionOut]
    variants: Annotated[list[VariantOut], Meta(description="live variants (inactive ones for admins only)")]


class ProductList(Out):
    items: list[ProductOut]
    next_cursor: str | None


class FacetValue(Out):
    value: str
    count: int


class OptionFacet(Out):
    name: str
    values: list[FacetValue]


class CategoryFacet(Out):
    category_id: int
    name: str
    parent_id: int | None
    count: Annotated[int, Meta(description="products in this category or any below it")]


class PriceBand(Out):
    min: str
    max: Annotated[str | None, Meta(description="exclusive; null for the last band")]
    count: int


class StockFacet(Out):
    in_stock: int
    out_of_stock: int


class FacetsOut(Out):
    total: int
    options: Annotated[list[OptionFacet], Meta(description="products with a live variant of each value")]
    categories: list[CategoryFacet]
    price_bands: list[PriceBand]
    stock: StockFacet


class Health(Out):
    status: str


class CartItemIn(In):
    """variant_id, or product_id alone for a product with one variant (else 422 variant_required)."""

    quantity: int
    product_id: int | None = None
    variant_id: int | None = None


class CartLineIn(In):
    quantity: int
    variant_id: Annotated[int | None, Meta(description="required when the product has several variants")] = None


class CheckoutIn(In):
    shipping_address: Annotated[dict[str, str], Meta(description=(
        "A flat object of strings: name, line1, city, postal_code, country required; line2, region, phone "
        "optional; at most 20 fields, names up to 50 characters, values up to 200"))]


class OrderStatusIn(In):
    status: str


class PaymentIn(In):
    amount: Decimal
    reference: str


class RefundIn(In):
    amount: Decimal
    reason: str


class WebhookIn(In):
    url: str
    events: list[str]


class CartLine(Out):
    product_id: int
    variant_id: int
    name: str
    sku: str
    options: dict[str, str]
    unit_price: str
    quantity: int
    line_total: str


class CartOut(Out):
    token: str | None
    items: list[CartLine]
    total: str
    item_count: int


class OrderItem(Out):
    product_id: int
    variant_id: int
    name: str
    sku: str
    options: Annotated[dict[str, str], Meta(description="the variant's option values when ordered")]
    quantity: int
    unit_price: str
    total_price: str


class StatusChange(Out):
    status: str
    at: datetime
    actor: str | None
    reason: str | None


class PaymentOut(Out):
    id: int
    order_id: int
    provider: str
    reference: str
    status: str
    currency: str
    amount: str
    captured_amount: str
    refunded_amount: str
    refund_requested_amount: str
    created_at: datetime
    updated_at: datetime


class OrderOut(Out):
    id: int
    status: str
    currency: str
    total_amount: str
    balance_due: str
    shipping_address: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    items: list[OrderItem]
    payments: list[PaymentOut]
    history: list[StatusChange]


class OrderList(Out):
    items: list[OrderOut]
    next_cursor: str | None


class LowStockItem(Out):
    product_id: int
    variant_id: int
    name: str
    sku: str
    options: dict[str, str]
    stock_quantity: int
    low_stock_threshold: int
    since: datetime


class LowStockList(Out):
    items: list[LowStockItem]
    next_cursor: str | None


class CartAdjustment(Out):
    product_id: int
    variant_id: int
    requested: int
    quantity: int
    reason: str


class CartMerge(Out):
    merged: bool
    adjustments: list[CartAdjustment]


class TokenOut(Out):
    access_token: str
    token_type: str
    expires_in: int
    cart: CartMerge


class DaySales(Out):
    day: date
    orders: int
    units: int
    revenue: str
    average_order_value: str


class SalesReport(Out):
    items: list[DaySales]
    next_cursor: str | None


class ProductSales(Out):
    product_id: int
    name: str
    units_sold: int
    revenue: str
    orders: int


class ProductSalesList(Out):
    items: list[ProductSales]
    next_cursor: str | None


class CategorySales(Out):
    category_id: int
    name: str
    parent_id: int | None
    orders: int
    units: int
    revenue: str


class CategorySalesList(Out):
    items: list[CategorySales]
    next_cursor: str | None


class AuditEntry(Out):
    id: int
    operation: str
    old_values: dict[str, Any] | None
    new_values: dict[str, Any] | None
    actor_id: int | None
    db_role: str
    transaction_id: int
    at: datetime


class AuditList(Out):
    items: list[AuditEntry]
    next_cursor: str | None


class StripeEventResult(Out):
    """result: recorded, unmatched (reason), duplicate or ignored."""

    event_id: str
    result: str
    reason: str | None = None
    order_id: int | None = None
    payment: PaymentOut | None = None


class UnmatchedPayment(Out):
    id: int
    provider: str
    event_id: str
    type: str
    order_id: int | None
    reference: str | None
    amount: str | None
    currency: str | None
    reason: str
    received_at: datetime


class UnmatchedPaymentList(Out):
    items: list[UnmatchedPayment]
    next_cursor: str | None


class WebhookOut(Out):
    id: int
    url: str
    events: list[str]
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str


class WebhookList(Out):
    items: list[WebhookOut]


class DeliveryOut(Out):
    id: int
    event_id: str
    type: str
    status: str
    attempts: int
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    response_status: int | None
    response_excerpt: str | None
    error: str | None
    delivered_at: datetime | None
    created_at: datetime


class DeliveryList(Out):
    items: list[DeliveryOut]
    next_cursor: str | None


class ImportRowError(Out):
    row: Annotated[int, Meta(description="the data row, 1 for the first after the header; 0 for the header")]
    column: str | None
    code: str
    message: str


class ImportChange(Out):
    row: int
    sku: str
    action: Annotated[str, Meta(description="create or update")]
    fields: Annotated[dict[str, Any], Meta(description='{"price": {"old": "10.00", "new": "12.00"}, ...}')]


class ImportSummary(Out):
    id: int
    status: Annotated[str, Meta(description="applied, dry_run, duplicate or refused")]
    sha256: str
    filename: str | None
    user_id: Annotated[int | None, Meta(description="the admin; null for `pgshop import`")]
    db_role: str
    rows: int
    created: int
    updated: int
    unchanged: int
    error_count: int
    created_at: datetime


class ImportOut(ImportSummary):
    changes: Annotated[list[ImportChange], Meta(description="the first 100 differences")]
    errors: Annotated[list[ImportRowError], Meta(description="the first 1,000 errors")]


class ImportList(Out):
    items: list[ImportSummary]
    next_cursor: str | None
