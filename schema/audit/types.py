"""GraphQL types of the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry.scalars import JSON

from domain.audit import models
from schema.core.relay import CountedConnection


@strawberry.type(description="One change: who made it, when, and the state before and after.")
class AuditEvent:
    id: strawberry.ID = strawberry.field(description="The event's own id.")
    occurred_at: datetime = strawberry.field(description="When the change was committed (UTC).")
    actor: str = strawberry.field(description="The subject of the principal who made it.")
    decided_by: str | None = strawberry.field(
        description="Who approved it, when it was made on someone's behalf: the approver of a "
        "workflow request whose registration made the change; null for a direct change."
    )
    action: str = strawberry.field(description="The mutation that made it, e.g. groupClientMove.")
    entity_type: str = strawberry.field(description="The kind of row changed, e.g. GroupClient.")
    entity_id: strawberry.ID = strawberry.field(description="The global id of the row changed.")
    before: JSON | None = strawberry.field(description="The row before; null when created.")
    after: JSON | None = strawberry.field(description="The row after; null when deleted.")

    @classmethod
    def from_model(cls, row: models.AuditEvent) -> Self:
        from schema.core.relay import global_id

        return cls(
            id=strawberry.ID(str(row.id)),
            occurred_at=row.occurred_at,
            actor=row.actor,
            decided_by=row.decided_by,
            action=row.action,
            entity_type=row.entity_type,
            entity_id=strawberry.ID(global_id(row.entity_type, row.entity_id)),
            before=None if row.before is None else JSON(row.before),
            after=None if row.after is None else JSON(row.after),
        )


# An audit event is not a Node (it is never fetched by id), which relay's typing assumes.
@strawberry.type(name="AuditEventConnection", description="A page of audit events, oldest first.")
class AuditEventConnection(CountedConnection[AuditEvent]):  # type: ignore[type-var]
    pass


@strawberry.input(description="Which audit events to list; every given criterion must hold.")
class AuditEventFilter:
    entity_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only changes to this object (its global id)."
    )
    actor: str | None = strawberry.field(default=None, description="Only changes by this subject.")
    action: str | None = strawberry.field(
        default=None, description="Only this action, e.g. groupClientCreate."
    )
