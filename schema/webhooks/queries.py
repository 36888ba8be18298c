"""Reading webhook endpoints and their deliveries."""

from __future__ import annotations

import strawberry

from authz.access import WEBHOOKS_READ
from domain.webhooks import service
from schema.core.context import Info
from schema.core.permissions import guarded
from schema.core.relay import decode_id, window
from schema.webhooks.inputs import WebhookDeliveryFilter
from schema.webhooks.types import (
    WebhookDelivery,
    WebhookDeliveryConnection,
    WebhookEndpoint,
    WebhookEndpointConnection,
)


@strawberry.type
class WebhookQuery:
    @strawberry.field(
        **guarded(WEBHOOKS_READ, "Your webhook endpoints (an admin's: all), oldest first.")
    )
    async def webhook_endpoints(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> WebhookEndpointConnection | None:
        session, scope = info.context.session, info.context.access.scope(WEBHOOKS_READ)
        page = await service.list_endpoints(session, scope, window=window(info, first, after))
        return WebhookEndpointConnection.of(
            page,
            WebhookEndpoint.from_model,
            lambda: service.count_endpoints(session, scope),
            after=after is not None,
        )

    @strawberry.field(
        **guarded(
            WEBHOOKS_READ,
            "An endpoint's deliveries, oldest first; none for an endpoint you may not see.",
        )
    )
    async def webhook_deliveries(
        self,
        info: Info,
        endpoint_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
        filter: WebhookDeliveryFilter | None = None,
    ) -> WebhookDeliveryConnection | None:
        session, scope = info.context.session, info.context.access.scope(WEBHOOKS_READ)
        statuses = filter.statuses if filter is not None else None
        criteria = service.DeliveryFilter(
            endpoint_id=decode_id(endpoint_id, "WebhookEndpoint") or -1,
            statuses=frozenset(statuses) if statuses is not None else None,
        )
        page = await service.list_deliveries(
            session, scope, criteria=criteria, window=window(info, first, after)
        )
        return WebhookDeliveryConnection.of(
            page,
            WebhookDelivery.from_model,
            lambda: service.count_deliveries(session, scope, criteria=criteria),
            after=after is not None,
        )
