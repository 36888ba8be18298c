"""Managing webhook endpoints: each one transaction, through the write path, audited."""

from __future__ import annotations

import strawberry

from authz.access import WEBHOOKS_WRITE
from domain.core.columns import utcnow
from domain.webhooks import service
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.mutations import actor, mutation
from schema.core.relay import require_id
from schema.webhooks import inputs
from schema.webhooks.types import WebhookDelivery, WebhookEndpoint

_ERRORS = "Why the input was refused; empty on success, and then every change was saved."


@strawberry.type(description="The outcome of webhookEndpointCreate.")
class WebhookEndpointCreatePayload:
    webhook_endpoint: WebhookEndpoint | None = strawberry.field(description="The new endpoint.")
    secret: str | None = strawberry.field(
        description="The signing secret (whsec_...), to verify the webhook-signature header. "
        "Shown only this once."
    )
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type(description="The outcome of webhookEndpointUpdate or webhookEndpointDisable.")
class WebhookEndpointPayload:
    webhook_endpoint: WebhookEndpoint | None = strawberry.field(description="The endpoint now.")
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type(description="The outcome of webhookDeliveryRetry.")
class WebhookDeliveryRetryPayload:
    webhook_delivery: WebhookDelivery | None = strawberry.field(description="The delivery now.")
    errors: list[UserError] = strawberry.field(description=_ERRORS)


def _given(input: inputs.WebhookEndpointUpdateInput) -> service.EndpointInput:
    return service.EndpointInput(
        url=input.url, event_types=input.event_types, group_client_codes=input.group_client_codes
    )


@strawberry.type
class WebhookMutation:
    @mutation(
        WEBHOOKS_WRITE,
        "Make a webhook endpoint: from now on it receives, signed, the events you may see (a "
        "partner: about its own group clients).",
    )
    async def webhook_endpoint_create(
        self, info: Info, input: inputs.WebhookEndpointCreateInput
    ) -> WebhookEndpointCreatePayload:
        row, secret = await service.create_endpoint(
            info.context.session,
            actor=actor(info),
            owner=info.context.principal,
            given=service.EndpointInput(
                url=input.url,
                event_types=input.event_types,
                group_client_codes=input.group_client_codes,
            ),
            rules=info.context.webhook_rules,
        )
        return WebhookEndpointCreatePayload(
            webhook_endpoint=WebhookEndpoint.from_model(row), secret=secret, errors=[]
        )

    @mutation(WEBHOOKS_WRITE, "Change an endpoint's URL, event types or clients, or enable it.")
    async def webhook_endpoint_update(
        self, info: Info, input: inputs.WebhookEndpointUpdateInput
    ) -> WebhookEndpointPayload:
        row = await service.update_endpoint(
            info.context.session,
            actor=actor(info),
            endpoint_id=require_id(input.id, "WebhookEndpoint", field="id"),
            given=_given(input),
            enable=input.enable,
            rules=info.context.webhook_rules,
        )
        return WebhookEndpointPayload(webhook_endpoint=WebhookEndpoint.from_model(row), errors=[])

    @mutation(WEBHOOKS_WRITE, "Stop sending to an endpoint; its events wait until it is enabled.")
    async def webhook_endpoint_disable(
        self, info: Info, input: inputs.WebhookEndpointDisableInput
    ) -> WebhookEndpointPayload:
        row = await service.disable_endpoint(
            info.context.session,
            actor=actor(info),
            endpoint_id=require_id(input.id, "WebhookEndpoint", field="id"),
            reason=f"Disabled by {actor(info).subject}.",
        )
        return WebhookEndpointPayload(webhook_endpoint=WebhookEndpoint.from_model(row), errors=[])

    @mutation(WEBHOOKS_WRITE, "Send a DEAD delivery again, with a fresh count of attempts.")
    async def webhook_delivery_retry(
        self, info: Info, input: inputs.WebhookDeliveryRetryInput
    ) -> WebhookDeliveryRetryPayload:
        row = await service.retry_delivery(
            info.context.session,
            actor=actor(info),
            delivery_id=require_id(input.id, "WebhookDelivery", field="id"),
            now=utcnow(),
        )
        return WebhookDeliveryRetryPayload(
            webhook_delivery=WebhookDelivery.from_model(row), errors=[]
        )
