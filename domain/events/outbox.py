"""Writing a change's event into the outbox, inside the change's own transaction.

domain.core.changes calls `record` (registered by domain.events.reach) at the end of every
change, after the audit event: a change that rolls back leaves no event, and one that commits
always leaves its event. Nothing here sends anything; delivery reads the outbox after commit.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.core.changes import Change
from domain.core.reach import Entity
from domain.events.catalogue import EVENTS, PAYLOADS
from domain.events.models import DomainEvent, DomainEventGroupClient

COMMIT_ORDER_LOCK = 0x6772_6F75_7065_7631 & 0x7FFF_FFFF_FFFF_FFFF
"""The PostgreSQL advisory lock a writer holds from its event's id to its commit.

Without it, a transaction could take id 7, another id 8 and commit first: a reader at cursor
8 would never see 7. Holding one lock from taking an id to committing makes ids follow commit
order, so a client that resumes after its last cursor misses nothing. It serializes only the
tail of each write (after every statement of the change); SQLite serializes writers anyway."""


async def record(change: Change[Any], declared: Entity, state: dict[str, Any]) -> None:
    """Add the change's event (if its action has one) to the session, numbered per subject."""
    event_type = EVENTS.get(change.action)
    payload = PAYLOADS.get(change.model.__name__)
    if event_type is None or payload is None:
        return
    session, row = change.session, change.row
    groups = set(change.concerns)
    if declared.concerns is not None and not change.deleted:
        groups |= await declared.concerns(session, row)
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(sa.select(sa.func.pg_advisory_xact_lock(COMMIT_ORDER_LOCK)))
    subject = change.model.__name__
    event = DomainEvent(
        type=event_type.name,
        actor=change.actor.subject,
        subject_type=subject,
        subject_id=row.id,
        sequence=await _next_sequence(session, subject, row.id),
        payload={name: state[name] for name in payload.names(personal=True) if name in state},
    )
    session.add(event)
    await session.flush()
    for group_client_id in sorted(i for i in groups if i is not None):
        session.add(
            DomainEventGroupClient(event_id=event.id, group_client_id=group_client_id)  # type: ignore[arg-type]
        )


async def _next_sequence(session: AsyncSession, subject: str, subject_id: int) -> int:
    """One more than the subject's last event's number. The change's target row is locked
    (its UPDATE, version checked) until commit, so a second writer of it waits or fails;
    the unique constraint refuses a duplicate should two ever race all the same."""
    last = await session.scalar(
        sa.select(sa.func.max(col(DomainEvent.sequence))).where(
            col(DomainEvent.subject_type) == subject, col(DomainEvent.subject_id) == subject_id
        )
    )
    return int(last or 0) + 1
