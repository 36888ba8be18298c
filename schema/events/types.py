"""GraphQL types of the change feed."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry.scalars import JSON

from domain.events import models
from domain.events.catalogue import shown
from schema.core.relay import CountedConnection, global_id


@strawberry.type(description="Something that changed, for a partner system: what, when, by whom.")
class Event:
    id: strawberry.ID = strawberry.field(
        description="The event's own id. The feed lists events in commit order, which ids "
        "do not always follow: resume after the last edge's cursor to miss nothing."
    )
    type: str = strawberry.field(
        description="What happened, e.g. policy.enrolled (the catalogue lists every type)."
    )
    occurred_at: datetime = strawberry.field(description="When the change was made (UTC).")
    actor: str = strawberry.field(description="The subject of the principal who made it.")
    subject_type: str = strawberry.field(description="The kind of object changed, e.g. Policy.")
    subject_id: strawberry.ID = strawberry.field(description="The global id of the object changed.")
    sequence: int = strawberry.field(
        description="The event's number among the events about its object: 1, 2, 3, ... "
        "with no gap, so a receiver applies them in order."
    )
    payload: JSON = strawberry.field(
        description="The object's fields the type's schema declares; personal fields only "
        "when you may read them (field:personal), medical data never."
    )

    @classmethod
    def from_model(cls, row: models.DomainEvent, *, personal: bool) -> Self:
        return cls(
            id=strawberry.ID(str(row.id)),
            type=row.type,
            occurred_at=row.occurred_at,
            actor=row.actor,
            subject_type=row.subject_type,
            subject_id=strawberry.ID(global_id(row.subject_type, row.subject_id)),
            sequence=row.sequence,
            payload=JSON(shown(row.subject_type, row.payload, personal=personal)),
        )


# An event is not a Node (it is never fetched by id), which relay's typing assumes.
@strawberry.type(name="EventConnection", description="A page of events, oldest first.")
class EventConnection(CountedConnection[Event]):  # type: ignore[type-var]
    pass


@strawberry.input(description="Which events to list; every given criterion must hold.")
class EventFilter:
    types: list[str] | None = strawberry.field(
        default=None, description="Only events of these types, e.g. policy.enrolled."
    )
    group_client_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Only events concerning one of these group clients (global ids); a "
        "client you may not see matches nothing.",
    )
