"""Payments in (the provider's signed webhooks; admins' manual payments and refund requests): one database call
each. Verifying the provider's signature is the authentication of that route, so it happens here, before the
database hears of the event."""

import hashlib
import hmac
import re
import time

from litestar import Controller, Request, Response, get, post

from api.db import Caller, Problem
from api.http import ADMIN, BEARER, LIMIT, errors, ok, refuse_deep_json, require_json
from api.schemas import OrderOut, PaymentIn, RefundIn, StripeEventResult, UnmatchedPaymentList

STRIPE_TOLERANCE = 300  # seconds between the signature's timestamp and now, as Stripe's libraries allow
STRIPE_CLAIMS = {"role": "provider", "provider": "stripe"}
_HEX64 = re.compile(r"[0-9a-f]{64}")  # a v1 signature; anything else never matches (nor reaches compare_digest)


def stripe_verify(header: str | None, body: bytes, secrets: tuple[str, ...], now: float) -> None:
    """Stripe-Signature: t=<timestamp>,v1=<hex HMAC-SHA256 of "<t>.<body>">[,v1=...]; any v1 made with any
    of the secrets (several while one is rotated), compared in constant time. Raises a 400 problem otherwise."""
    if not secrets:
        raise Problem(503, "webhook_not_configured", "STRIPE_WEBHOOK_SECRET is not set on this server")
    pairs = [part.strip().partition("=") for part in (header or "").split(",")]
    timestamps = [value for key, _, value in pairs if key == "t"]
    signatures = [value for key, _, value in pairs if key == "v1" and _HEX64.fullmatch(value)]
    if len(timestamps) != 1 or not timestamps[0].isdigit() or len(timestamps[0]) > 12 or not signatures:
        raise Problem(400, "invalid_signature", "Stripe-Signature needs t=<timestamp> and v1=<signature>")
    signed = timestamps[0].encode() + b"." + body
    expected = [hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest() for secret in secrets]
    if not any(hmac.compare_digest(e, s) for e in expected for s in signatures):
        raise Problem(400, "invalid_signature", "no v1 signature in Stripe-Signature matches this body")
    if abs(now - int(timestamps[0])) > STRIPE_TOLERANCE:
        raise Problem(400, "stale_signature", f"the signature's timestamp is more than {STRIPE_TOLERANCE} s from now")


class PaymentWebhookController(Controller):
    path = "/api/payments/webhooks"
    tags = ["payments"]

    @post("/stripe", status_code=200, responses=errors(400, 415, 422))
    async def stripe(self, request: Request) -> Response[StripeEventResult]:
        """A Stripe event (payment_intent.succeeded, payment_intent.payment_failed, charge.refunded; others are
        ignored), signed with STRIPE_WEBHOOK_SECRET. Recorded once: the same event again answers 200 and changes
        nothing; one that matches no payable order is kept for an admin (200 too, so Stripe stops sending)."""
        require_json(request)
        body = await request.body()
        stripe_verify(request.headers.get("stripe-signature"), body,
                      request.app.state.settings.stripe_webhook_secrets, time.time())
        refuse_deep_json(body)
        caller = Caller(request.app.state.db, STRIPE_CLAIMS)
        return ok(await caller.call("api.stripe_event_record(%s::jsonb)", body.decode("utf-8", "replace")))


class AdminPaymentController(Controller):
    path = "/api/admin"
    tags = ["payments"]
    dependencies = ADMIN
    security = BEARER

    @post("/orders/{order_id:int}/payments", responses=errors(401, 403, 404, 409, 415, 422))
    async def payment_create(self, order_id: int, data: PaymentIn, caller: Caller) -> Response[OrderOut]:
        """A manual payment (bank transfer, cash) of a pending order; paid once its payments cover it."""
        return ok(await caller.call("api.order_payment_create(%s::bigint, %s, %s)", order_id, str(data.amount),
                                    data.reference), 201)

    @post("/orders/{order_id:int}/refunds", responses=errors(401, 403, 404, 409, 415, 422))
    async def refund_create(self, order_id: int, data: RefundIn, caller: Caller) -> Response[OrderOut]:
        """A refund request (at most what a payment captured and has not refunded): refund.requested is emitted
        for the integration that executes it; the provider's charge.refunded confirms it."""
        return ok(await caller.call("api.order_refund_create(%s::bigint, %s, %s)", order_id, str(data.amount),
                                    data.reason), 201)

    @get("/payments/unmatched", responses=errors(401, 403, 422))
    async def unmatched(self, caller: Caller, limit: int | None = LIMIT,
                        cursor: str | None = None) -> Response[UnmatchedPaymentList]:
        """Provider events that matched no payable order (unknown order, wrong amount, late), newest first."""
        return ok(await caller.call("api.payments_unmatched_list(%s::integer, %s)", limit, cursor))


ROUTES = [PaymentWebhookController, AdminPaymentController]
