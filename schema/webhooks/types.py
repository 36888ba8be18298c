"""GraphQL types of webhooks: endpoints (their secret never shown again) and deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from domain.webhooks import models
from domain.webhooks.models import DeliveryStatus
from schema.core.relay import CountedConnection, global_id

strawberry.enum(DeliveryStatus, description="Where a webhook delivery stands.")


@strawberry.type(description="A URL that receives, signed, the events its owner may see.")
class WebhookEndpoint:
    id: strawberry.ID = strawberry.field(description="The endpoint's id.")
    url: str = strawberry.field(description="Where events are POSTed.")
    event_types: list[str] = strawberry.field(
        description="The event types it receives; empty: every type."
    )
    group_client_codes: list[str] = strawberry.field(
        description="Only events about these group clients and what lies under them; empty: "
        "every event its owner may see."
    )
    owner: str = strawberry.field(
        description="Who made it: it receives only what this subject may see, when each is sent."
    )
    enabled: bool = strawberry.field(description="Whether events are sent to it now.")
    disabled_reason: str | None = strawberry.field(
        description="Why it was disabled (by its owner, or a 410 Gone answer); null if enabled."
    )
    created_at: datetime = strawberry.field(description="When it was made (UTC).")

    @classmethod
    def from_model(cls, row: models.WebhookEndpoint) -> Self:
        return cls(
            id=strawberry.ID(global_id("WebhookEndpoint", row.id)),  # type: ignore[arg-type]
            url=row.url,
            event_types=list(row.event_types),
            group_client_codes=list(row.group_client_codes),
            owner=row.owner,
            enabled=row.enabled,
            disabled_reason=row.disabled_reason,
            created_at=row.created_at,
        )


@strawberry.type(description="One event sent (or to send) to one endpoint, and how it went.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="The delivery's id; give it to retry.")
    message_id: str = strawberry.field(
        description="The webhook-id header: the same on every attempt, to deduplicate."
    )
    event_type: str = strawberry.field(description="The event's type, e.g. policy.enrolled.")
    status: DeliveryStatus = strawberry.field(description="Where it stands.")
    attempts: int = strawberry.field(description="How many times it was sent.")
    next_attempt_at: datetime | None = strawberry.field(
        description="When it is sent next, while PENDING (UTC)."
    )
    last_status_code: int | None = strawberry.field(
        description="The HTTP status of the last answer; null if none came."
    )
    last_error: str | None = strawberry.field(
        description="Why the last attempt got no answer (timeout, refused address...)."
    )
    delivered_at: datetime | None = strawberry.field(
        description="When the receiver accepted it (UTC)."
    )

    @classmethod
    def from_model(cls, row: models.WebhookDelivery) -> Self:
        pending = row.status is DeliveryStatus.PENDING
        return cls(
            id=strawberry.ID(global_id("WebhookDelivery", row.id)),  # type: ignore[arg-type]
            message_id=f"evt_{row.event_id}",
            event_type=row.event_type,
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at if pending else None,
            last_status_code=row.last_status_code,
            last_error=row.last_error,
            delivered_at=row.delivered_at,
        )


# Neither is a Node (never fetched by id), which relay's typing assumes.
@strawberry.type(name="WebhookEndpointConnection", description="A page of endpoints.")
class WebhookEndpointConnection(CountedConnection[WebhookEndpoint]):  # type: ignore[type-var]
    pass


@strawberry.type(
    name="WebhookDeliveryConnection", description="A page of deliveries, oldest first."
)
class WebhookDeliveryConnection(CountedConnection[WebhookDelivery]):  # type: ignore[type-var]
    pass
