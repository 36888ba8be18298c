"""Making and changing webhook endpoints, and retrying a dead delivery; all through `changing`."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor, RowScope
from authz.principal import Principal
from domain.access.keys import reached_codes
from domain.core.changes import Action, changing
from domain.core.errors import DomainError, ErrorCode, Problem, raise_if
from domain.core.paging import Slice, Window, count, fetch_slice
from domain.core.reach import visible
from domain.events import order
from domain.webhooks import errors
from domain.webhooks.addresses import AddressRules, check_address, check_url
from domain.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint


@dataclass(frozen=True)
class EndpointInput:
    """What an endpoint is given; None leaves a field as it is (on update)."""

    url: str | None = None
    event_types: list[str] | None = None
    group_client_codes: list[str] | None = None


def owner_json(principal: Principal) -> dict[str, Any]:
    """The principal's roles and token grants, to see as it later (stored grants re-read)."""
    return {
        "roles": sorted(principal.roles),
        "groups": sorted(principal.groups),
        "data_access_groups": sorted(principal.data_access_groups),
        "lines_of_business": sorted(principal.lines_of_business),
        "person": principal.person,
    }


def new_secret() -> str:
    """A Standard Webhooks signing secret: whsec_ and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


async def _checked(
    session: AsyncSession, actor: Actor, given: EndpointInput, rules: AddressRules
) -> EndpointInput:
    """The input with its values cleaned, or a DomainError naming every fault."""
    problems: list[Problem] = []
    url = types = codes = None
    if given.url is not None:
        url = check_url("url", given.url, rules, problems)
        if not problems:
            await check_address("url", url, rules, problems)
    if given.event_types is not None:
        types = errors.check_event_types("event_types", given.event_types, problems)
    if given.group_client_codes is not None:
        codes = await reached_codes(session, actor.scope, given.group_client_codes, problems)
        if not given.group_client_codes and not actor.scope.everything:
            problems.append(errors.partner_needs_clients("group_client_codes"))
    raise_if(problems)
    return EndpointInput(url=url, event_types=types, group_client_codes=codes)


async def create_endpoint(
    session: AsyncSession,
    *,
    actor: Actor,
    owner: Principal,
    given: EndpointInput,
    rules: AddressRules,
) -> tuple[WebhookEndpoint, str]:
    """Make an endpoint that hears of events from now on; return it and its secret, shown once."""
    checked = await _checked(session, actor, given, rules)
    secret = new_secret()
    latest = await order.last_settled(session)
    async with changing(session, actor, Action.WEBHOOK_ENDPOINT_CREATE, WebhookEndpoint) as change:
        endpoint = change.add(
            WebhookEndpoint(
                url=checked.url or "",
                event_types=checked.event_types or [],
                group_client_codes=checked.group_client_codes or [],
                owner=actor.subject,
                principal=owner_json(owner),
                secret=secret,
                cursor=0 if latest is None else latest.id,
            )
        )
    return endpoint, secret


async def update_endpoint(
    session: AsyncSession,
    *,
    actor: Actor,
    endpoint_id: int,
    given: EndpointInput,
    enable: bool,
    rules: AddressRules,
) -> WebhookEndpoint:
    """Change what an endpoint hears and where; `enable` turns a disabled one back on."""
    async with changing(
        session, actor, Action.WEBHOOK_ENDPOINT_UPDATE, WebhookEndpoint, endpoint_id
    ) as change:
        checked = await _checked(session, actor, given, rules)
        row = change.row
        row.url = checked.url if checked.url is not None else row.url
        if checked.event_types is not None:
            row.event_types = checked.event_types
        if checked.group_client_codes is not None:
            row.group_client_codes = checked.group_client_codes
        if enable:
            row.enabled, row.disabled_reason = True, None
    return change.row


async def disable_endpoint(
    session: AsyncSession, *, actor: Actor, endpoint_id: int, reason: str
) -> WebhookEndpoint:
    """Stop sending to an endpoint; what is pending waits until it is enabled again."""
    async with changing(
        session, actor, Action.WEBHOOK_ENDPOINT_DISABLE, WebhookEndpoint, endpoint_id
    ) as change:
        if not change.row.enabled:
            raise DomainError.of("id", ErrorCode.WRONG_STATUS, "This endpoint is disabled already.")
        change.row.enabled, change.row.disabled_reason = False, reason[:200]
    return change.row


async def retry_delivery(
    session: AsyncSession, *, actor: Actor, delivery_id: int, now: datetime
) -> WebhookDelivery:
    """Send a DEAD delivery again, with a fresh count of attempts."""
    async with changing(
        session, actor, Action.WEBHOOK_DELIVERY_RETRY, WebhookDelivery, delivery_id
    ) as change:
        row = change.row
        if row.status is not DeliveryStatus.DEAD:
            raise DomainError.of(
                "id",
                ErrorCode.WRONG_STATUS,
                f"Only a DEAD delivery is retried; this is {row.status}.",
            )
        row.status, row.attempts, row.next_attempt_at = DeliveryStatus.PENDING, 0, now
    return change.row


async def list_endpoints(
    session: AsyncSession, scope: RowScope, *, window: Window
) -> Slice[WebhookEndpoint]:
    """Return a window of the endpoints the scope reaches, oldest first."""
    stmt = sa.select(WebhookEndpoint).where(visible(scope, WebhookEndpoint))
    return await fetch_slice(session, stmt, WebhookEndpoint, window)


async def count_endpoints(session: AsyncSession, scope: RowScope) -> int:
    """Count the endpoints the scope reaches."""
    return await count(session, sa.select(WebhookEndpoint).where(visible(scope, WebhookEndpoint)))


@dataclass(frozen=True)
class DeliveryFilter:
    """Which deliveries of one endpoint to list; every given criterion must hold."""

    endpoint_id: int
    statuses: frozenset[DeliveryStatus] | None = None

    def select(self, scope: RowScope) -> sa.Select[Any]:
        """The matching deliveries the scope reaches (none of an endpoint out of reach)."""
        stmt = sa.select(WebhookDelivery).where(
            col(WebhookDelivery.endpoint_id) == self.endpoint_id, visible(scope, WebhookDelivery)
        )
        if self.statuses is not None:
            stmt = stmt.where(col(WebhookDelivery.status).in_(sorted(self.statuses)))
        return stmt


async def list_deliveries(
    session: AsyncSession, scope: RowScope, *, criteria: DeliveryFilter, window: Window
) -> Slice[WebhookDelivery]:
    """Return a window of an endpoint's deliveries, oldest first."""
    return await fetch_slice(session, criteria.select(scope), WebhookDelivery, window)


async def count_deliveries(
    session: AsyncSession, scope: RowScope, *, criteria: DeliveryFilter
) -> int:
    """Count an endpoint's matching deliveries."""
    return await count(session, criteria.select(scope))
