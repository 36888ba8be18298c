"""Turning the outbox into deliveries: each endpoint gets the events its owner may see now.

An endpoint keeps a cursor, the last event it has looked at. Events are read in the outbox's
order and only once settled (domain.events.order), so none can appear before the cursor later,
and nothing is skipped. Which events an endpoint gets is the change feed's own
predicate (domain.events.reach, through the feed's EventFilter) under its owner's reach as of
now, narrowed by the same predicate for the endpoint's group clients when it names some; the
payload keeps the personal fields only when the owner may read them, as the feed does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import EVENTS_READ, PERSONAL_FIELDS, Access, RowScope
from authz.principal import Principal, Role
from domain.access.service import stored_grants
from domain.core.reach import visible
from domain.events import order
from domain.events.catalogue import shown
from domain.events.models import DomainEvent
from domain.events.service import EventFilter
from domain.webhooks.models import WebhookDelivery, WebhookEndpoint

BATCH = 1000
"""At most this many events per endpoint per pass: a long backlog is taken in turns."""


@dataclass(frozen=True, order=True)
class SubjectKey:
    """One endpoint's queue for one subject: its deliveries go out one by one, in order."""

    endpoint_id: int
    subject_type: str
    subject_id: int

    def __str__(self) -> str:
        return f"webhook:{self.endpoint_id}:{self.subject_type}:{self.subject_id}"

    @classmethod
    def parse(cls, text: str) -> SubjectKey:
        """The key `str` gave."""
        _, endpoint, subject, row = text.split(":")
        return cls(int(endpoint), subject, int(row))


async def owner_access(session: AsyncSession, endpoint: WebhookEndpoint) -> Access:
    """What the endpoint's owner may do now: its roles and token grants, its stored grants."""
    data = endpoint.principal
    principal = Principal(
        subject=endpoint.owner,
        roles=frozenset(Role(role) for role in data.get("roles", ())),
        groups=frozenset(data.get("groups", ())),
        data_access_groups=frozenset(data.get("data_access_groups", ())),
        lines_of_business=frozenset(data.get("lines_of_business", ())),
        person=data.get("person"),
    )
    return Access(principal.with_stored(await stored_grants(session, endpoint.owner)))


def body(event: DomainEvent, *, personal: bool) -> str:
    """The JSON a receiver gets, in the Standard Webhooks shape: type, timestamp, data."""
    return json.dumps(
        {
            "type": event.type,
            "timestamp": event.occurred_at.isoformat(),
            "data": {
                "id": str(event.id),
                "actor": event.actor,
                "subjectType": event.subject_type,
                "subjectId": event.subject_id,
                "sequence": event.sequence,
                "payload": shown(event.subject_type, event.payload, personal=personal),
            },
        },
        separators=(",", ":"),
        sort_keys=True,
        default=str,
    )


async def behind(session: AsyncSession) -> bool:
    """Whether an enabled endpoint has settled events after its cursor: a read that takes no
    lock, so that a pass with nothing to do never waits for, nor holds, a write lock."""
    latest = await order.last_settled(session)
    if latest is None:
        return False
    stmt = sa.select(col(WebhookEndpoint.id)).where(
        col(WebhookEndpoint.enabled), col(WebhookEndpoint.cursor) != latest.id
    )
    return await session.scalar(stmt.limit(1)) is not None


async def fan_out(session: AsyncSession, *, batch: int = BATCH) -> list[SubjectKey]:
    """Make the deliveries of the events settled since each endpoint's cursor; return the
    queues that got one. Endpoints another pass is working on are skipped (PostgreSQL)."""
    latest = await order.last_settled(session)
    if latest is None:
        return []
    stmt = (
        sa.select(WebhookEndpoint)
        .where(col(WebhookEndpoint.enabled), col(WebhookEndpoint.cursor) != latest.id)
        .order_by(col(WebhookEndpoint.id))
        .with_for_update(skip_locked=True)
    )
    keys: set[SubjectKey] = set()
    for endpoint in (await session.scalars(stmt)).all():
        keys |= await _fan_out_one(session, endpoint, latest, batch)
    return sorted(keys)


async def _fan_out_one(
    session: AsyncSession, endpoint: WebhookEndpoint, latest: Any, batch: int
) -> set[SubjectKey]:
    access = await owner_access(session, endpoint)
    personal = access.allows(PERSONAL_FIELDS)
    events = await _events(session, endpoint, access.scope(EVENTS_READ), latest, batch)
    session.add_all(
        WebhookDelivery(
            endpoint_id=endpoint.id,  # type: ignore[arg-type]
            event_id=event.id,  # type: ignore[arg-type]
            event_type=event.type,
            subject_type=event.subject_type,
            subject_id=event.subject_id,
            body=body(event, personal=personal),
        )
        for event in events
    )
    endpoint.cursor = events[-1].id if len(events) == batch else latest.id  # type: ignore[assignment]
    assert endpoint.id is not None
    return {SubjectKey(endpoint.id, e.subject_type, e.subject_id) for e in events}


async def _events(
    session: AsyncSession, endpoint: WebhookEndpoint, scope: RowScope, latest: Any, batch: int
) -> Sequence[DomainEvent]:
    criteria = EventFilter(types=frozenset(endpoint.event_types) or None)
    stmt = criteria.select(scope).where(order.after(endpoint.cursor), order.up_to(latest))
    if endpoint.group_client_codes:
        # The events the endpoint's clients' subtrees reach, by the feed's own predicate.
        narrowed = RowScope(subtrees=frozenset(endpoint.group_client_codes))
        stmt = stmt.where(visible(narrowed, DomainEvent))
    return (await session.scalars(stmt.order_by(*order.POSITION).limit(batch))).all()
