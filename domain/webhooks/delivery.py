"""Sending one subject's deliveries in order: the head of its queue, then how it went.

A subject's queue (domain.webhooks.fanout.SubjectKey) is worked by one job at a time (api.
webhooks locks it). Its head is its oldest PENDING delivery; a later one waits until the head
is DELIVERED or DEAD. A failed attempt waits `backoff * 2**(attempts-1)` seconds before the
next, up to `max_attempts`; then the delivery is DEAD and the queue moves on. An endpoint that
answers 410 Gone is disabled (through the write path, as its owner), and waits for its owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor, RowScope
from domain.webhooks.fanout import SubjectKey
from domain.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from domain.webhooks.service import disable_endpoint

SERVER = "groupcover:webhooks"
"""The actor the server writes as when a receiver's answer disables its endpoint."""
GONE = 410
LONGEST_WAIT = timedelta(hours=6)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failing delivery is tried again."""

    max_attempts: int = 8
    backoff_seconds: float = 2.0


@dataclass(frozen=True)
class Attempt:
    """One delivery to send now: where, signed with what, which bytes."""

    delivery_id: int
    url: str
    secret: str
    message_id: str
    """webhook-id: the event's, the same on every attempt, for the receiver to deduplicate."""
    body: str


@dataclass(frozen=True)
class Answer:
    """What came of an attempt: the receiver's status, or why there was none."""

    status_code: int | None = None
    error: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def head(session: AsyncSession, key: SubjectKey, now: datetime) -> Attempt | datetime | None:
    """The queue's next attempt if it is due, else when it is; None when nothing waits."""
    row = (
        await session.execute(
            sa.select(WebhookDelivery, WebhookEndpoint)
            .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
            .where(
                col(WebhookDelivery.endpoint_id) == key.endpoint_id,
                col(WebhookDelivery.subject_type) == key.subject_type,
                col(WebhookDelivery.subject_id) == key.subject_id,
                col(WebhookDelivery.status) == DeliveryStatus.PENDING,
                col(WebhookEndpoint.enabled),
            )
            .order_by(col(WebhookDelivery.event_id))
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    delivery, endpoint = row
    if delivery.next_attempt_at > now:
        return delivery.next_attempt_at  # type: ignore[no-any-return]
    return Attempt(
        delivery_id=delivery.id,  # type: ignore[arg-type]
        url=endpoint.url,
        secret=endpoint.secret,
        message_id=f"evt_{delivery.event_id}",
        body=delivery.body,
    )


async def settle(
    session: AsyncSession, delivery_id: int, answer: Answer, now: datetime, policy: RetryPolicy
) -> None:
    """Record how an attempt went: DELIVERED, PENDING until the next attempt, or DEAD."""
    delivery = await session.get_one(WebhookDelivery, delivery_id)
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_error = answer.status_code, answer.error
    if answer.accepted:
        delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, now
    elif answer.status_code == GONE:
        delivery.status = DeliveryStatus.DEAD
        await _disable(session, delivery.endpoint_id)
    elif delivery.attempts >= policy.max_attempts:
        delivery.status = DeliveryStatus.DEAD
    else:
        wait = timedelta(seconds=policy.backoff_seconds * 2 ** (delivery.attempts - 1))
        delivery.next_attempt_at = now + min(wait, LONGEST_WAIT)


async def _disable(session: AsyncSession, endpoint_id: int) -> None:
    endpoint = await session.get_one(WebhookEndpoint, endpoint_id)
    if endpoint.enabled:
        actor = Actor(subject=SERVER, scope=RowScope(subject=endpoint.owner, writes=True))
        await disable_endpoint(
            session, actor=actor, endpoint_id=endpoint_id, reason="The receiver answered 410 Gone."
        )


async def due(session: AsyncSession, now: datetime) -> list[SubjectKey]:
    """The queues of enabled endpoints whose head may be sent now (a lost job's, a retry's)."""
    rows = await session.execute(
        sa.select(
            col(WebhookDelivery.endpoint_id),
            col(WebhookDelivery.subject_type),
            col(WebhookDelivery.subject_id),
        )
        .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
        .where(
            col(WebhookDelivery.status) == DeliveryStatus.PENDING,
            col(WebhookDelivery.next_attempt_at) <= now,
            col(WebhookEndpoint.enabled),
        )
        .distinct()
    )
    return sorted(SubjectKey(*row) for row in rows.all())
