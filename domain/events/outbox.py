"""Writing a change's event into the outbox, inside the change's own transaction.

domain.core.changes hands every change's audit event to `record` (registered by domain.events.
reach): a change that rolls back leaves no event, and one that commits always leaves its
event. On PostgreSQL the audit event, the domain event and the group clients it concerns are
one statement, so the event adds no round trip to the change; no lock is taken either: the
feed's order needs none (domain.events.order). Nothing here sends anything; delivery reads
the outbox after commit.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import col

from domain.audit.models import AuditEvent
from domain.core.changes import Change
from domain.core.columns import utcnow
from domain.core.paging import table_of
from domain.core.reach import Entity
from domain.events.catalogue import EVENTS, PAYLOADS
from domain.events.models import DomainEvent, DomainEventGroupClient
from domain.events.order import writing_transaction


async def record(
    change: Change[Any], declared: Entity, state: dict[str, Any], audit: AuditEvent
) -> None:
    """Write the change's audit event and, if its action has one, its domain event."""
    session, row = change.session, change.row
    event_type = EVENTS.get(change.action)
    payload = PAYLOADS.get(change.model.__name__)
    if event_type is None or payload is None:
        session.add(audit)
        return
    groups = set(change.concerns)
    if declared.concerns is not None and not change.deleted:
        groups |= await declared.concerns(session, row)
    values = {
        "type": event_type.name,
        "actor": change.actor.subject,
        "subject_type": change.model.__name__,
        "subject_id": row.id,
        "payload": {name: state[name] for name in payload.names(personal=True) if name in state},
        "occurred_at": utcnow(),
    }
    concerned = sorted(i for i in groups if i is not None)
    if session.get_bind().dialect.name != "postgresql":
        session.add(audit)
        event_id = (await session.execute(_event(postgresql=False), values)).scalar_one()
        session.add_all(
            DomainEventGroupClient(event_id=event_id, group_client_id=i) for i in concerned
        )
        return
    audited = {f"audit_{name}": getattr(audit, name) for name in _AUDITED}
    await session.execute(_together(), {**values, **audited, "groups": concerned})


@cache
def _event(*, postgresql: bool) -> sa.Insert:
    """The insert of the event numbered one more than its subject's last, returning its id,
    with its writing transaction (domain.events.order) raised to the subject's last event's.
    Built once: its parameters are the event's columns.

    The number is safe without a lock: the change's target row is locked (its UPDATE,
    version checked) until commit, so a second writer of it waits or fails; the unique
    constraint refuses a duplicate all the same."""
    given = {name: sa.bindparam(name, type_=_EVENTS.c[name].type) for name in _GIVEN}

    def last(column: Any) -> Any:
        """The subject's last event's `column`: one probe of the subject's unique index."""
        stmt = (
            sa.select(column)
            .where(
                col(DomainEvent.subject_type) == given["subject_type"],
                col(DomainEvent.subject_id) == given["subject_id"],
            )
            .order_by(col(DomainEvent.sequence).desc())
            .limit(1)
        )
        return sa.func.coalesce(stmt.scalar_subquery(), 0)

    previous = last(col(DomainEvent.transaction_id))
    now = writing_transaction()
    # PostgreSQL types a select's parameters as text unless cast; SQLite's CAST AS JSON would
    # turn the text into a number, and it needs none.
    source = sa.select(
        *(sa.cast(v, v.type) if postgresql else v for v in given.values()),
        last(col(DomainEvent.sequence)) + 1,
        sa.case((previous > now, previous), else_=now),
    )
    return (
        sa.insert(_EVENTS)
        .from_select([*given, "sequence", "transaction_id"], source)
        .returning(_EVENTS.c.id)
    )


@cache
def _together() -> sa.Insert:
    """PostgreSQL: the audit event, the domain event and the group clients it concerns
    (`groups`, an array) in one statement. Built once, as every change's is the same."""
    written = _event(postgresql=True).cte("event")
    audited = {name: sa.bindparam(f"audit_{name}", type_=_AUDIT.c[name].type) for name in _AUDITED}
    rows = sa.select(written.c.id, sa.func.unnest(sa.bindparam("groups", type_=_IDS)))
    return (
        sa.insert(_GROUPS)
        .from_select(["event_id", "group_client_id"], rows)
        .add_cte(sa.insert(_AUDIT).values(audited).cte("audit"))
        .add_cte(written)
    )


_AUDIT = table_of(AuditEvent)
_AUDITED = [c.key for c in _AUDIT.c if c.key != "id"]
_EVENTS = table_of(DomainEvent)
_GIVEN = ("type", "actor", "subject_type", "subject_id", "payload", "occurred_at")
_GROUPS = table_of(DomainEventGroupClient)
_IDS = ARRAY(sa.Integer())
