"""Inputs of webhooks."""

from __future__ import annotations

import strawberry

from schema.webhooks.types import DeliveryStatus


@strawberry.input(description="A new webhook endpoint.")
class WebhookEndpointCreateInput:
    url: str = strawberry.field(
        description="Where to POST events: https in production, never a private address."
    )
    event_types: list[str] = strawberry.field(
        default_factory=list, description="The event types to receive; empty: every type."
    )
    group_client_codes: list[str] = strawberry.field(
        default_factory=list,
        description="Only events about these group clients (and below); a partner names at "
        "least one of its own, an admin none for everything.",
    )


@strawberry.input(description="What to change of an endpoint; an absent field stays as it is.")
class WebhookEndpointUpdateInput:
    id: strawberry.ID = strawberry.field(description="The endpoint's id.")
    url: str | None = strawberry.field(default=None, description="A new URL.")
    event_types: list[str] | None = strawberry.field(
        default=None, description="New event types; empty: every type."
    )
    group_client_codes: list[str] | None = strawberry.field(
        default=None, description="New group clients."
    )
    enable: bool = strawberry.field(
        default=False, description="Turn a disabled endpoint back on; what waited is sent."
    )


@strawberry.input(description="An endpoint to stop sending to.")
class WebhookEndpointDisableInput:
    id: strawberry.ID = strawberry.field(description="The endpoint's id.")


@strawberry.input(description="A DEAD delivery to send again.")
class WebhookDeliveryRetryInput:
    id: strawberry.ID = strawberry.field(description="The delivery's id.")


@strawberry.input(description="Which deliveries to list; every given criterion must hold.")
class WebhookDeliveryFilter:
    statuses: list[DeliveryStatus] | None = strawberry.field(
        default=None, description="Only deliveries in one of these states."
    )
