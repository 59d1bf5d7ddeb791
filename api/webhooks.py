"""Webhooks out: admins' endpoints and their deliveries: one database call each. The deliveries themselves are
made by the worker (api/worker.py, api/jobs.py)."""

import msgspec
from litestar import Controller, Response, delete, get, post

from api.db import Caller
from api.http import ADMIN, BEARER, LIMIT, errors, ok
from api.schemas import DeliveryList, DeliveryOut, WebhookCreated, WebhookIn, WebhookList


class WebhookController(Controller):
    path = "/api/admin/webhooks"
    tags = ["webhooks"]
    dependencies = ADMIN
    security = BEARER

    @post(responses=errors(401, 403, 415, 422))
    async def webhook_create(self, data: WebhookIn, caller: Caller) -> Response[WebhookCreated]:
        """Subscribes an endpoint to event types; its signing secret is in this answer only."""
        return ok(await caller.call("api.webhook_create(%s, %s::jsonb)", data.url,
                                    msgspec.json.encode(data.events).decode()), 201)

    @get(responses=errors(401, 403))
    async def webhooks_list(self, caller: Caller) -> Response[WebhookList]:
        return ok(await caller.call("api.webhooks_list()"))

    @delete("/{webhook_id:int}", responses=errors(401, 403, 404, 422))
    async def webhook_delete(self, webhook_id: int, caller: Caller) -> None:
        """The endpoint and its deliveries; nothing more is sent to it."""
        await caller.call("api.webhook_delete(%s::bigint)", webhook_id)

    @get("/{webhook_id:int}/deliveries", responses=errors(401, 403, 404, 422))
    async def deliveries(self, webhook_id: int, caller: Caller, limit: int | None = LIMIT,
                         cursor: str | None = None) -> Response[DeliveryList]:
        """Each event sent or to send to the endpoint, newest first: status, attempts, last answer."""
        return ok(await caller.call("api.webhook_deliveries_list(%s::bigint, %s::integer, %s)", webhook_id, limit,
                                    cursor))

    @post("/{webhook_id:int}/deliveries/{delivery_id:int}/redeliver", status_code=202,
          responses=errors(401, 403, 404, 409, 422))
    async def redeliver(self, webhook_id: int, delivery_id: int, caller: Caller) -> Response[DeliveryOut]:
        """Sends the event again, with another 24 hours of retries."""
        return ok(await caller.call("api.webhook_redeliver(%s::bigint, %s::bigint)", webhook_id, delivery_id), 202)


ROUTES = [WebhookController]
