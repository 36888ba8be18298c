"""Which events a scope reaches: those about a row it reaches, and deletions in its groups.

An event is shown exactly when its subject is: the predicate asks the subject model's own
declaration (a policy's own restrictions, an employee's own policy, a request about someone's
health hidden from the employer), never a second rule beside it. A deleted row reaches nobody,
so a deletion is shown to whoever reaches a group client it concerns (a client's parent).
Registering the outbox here hooks it into every change (domain.core.changes.on_changed).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel, col

from authz.access import SCOPES, RowScope
from domain.core.changes import on_changed
from domain.core.reach import Entity, declare, visible
from domain.database import all_models
from domain.events.catalogue import EVENTS, PAYLOADS
from domain.events.models import DomainEvent, DomainEventGroupClient
from domain.events.outbox import record
from domain.groups.models import GroupClient
from domain.groups.reach import clients

DELETIONS = ("group_client.deleted", "group_account_product.removed")
"""Event types whose subject row is gone once the change commits."""


def _model(name: str) -> type:
    all_models()
    for mapper in SQLModel._sa_registry.mappers:
        if mapper.class_.__name__ == name:
            return mapper.class_  # type: ignore[no-any-return]
    raise LookupError(name)


@lru_cache(maxsize=SCOPES)
def events(scope: RowScope) -> Any:
    """Events the scope reaches."""
    if scope.everything:
        return sa.true()
    about_visible = [
        sa.and_(
            col(DomainEvent.subject_type) == name,
            col(DomainEvent.subject_id).in_(
                sa.select(_model(name).id).where(visible(scope, _model(name)))  # type: ignore[attr-defined]
            ),
        )
        for name in sorted(PAYLOADS)
    ]
    deleted_in_groups = sa.and_(
        col(DomainEvent.type).in_(DELETIONS),
        col(DomainEvent.id).in_(
            sa.select(col(DomainEventGroupClient.event_id)).where(
                col(DomainEventGroupClient.group_client_id).in_(
                    sa.select(col(GroupClient.id)).where(clients(scope))
                )
            )
        ),
    )
    return sa.or_(*about_visible, deleted_in_groups)


assert set(DELETIONS) <= {event.name for event in EVENTS.values()}
declare(DomainEvent, Entity(noun="event", reach=events))
declare(
    DomainEventGroupClient,
    Entity(
        noun="event",
        reach=lambda scope: col(DomainEventGroupClient.event_id).in_(
            sa.select(col(DomainEvent.id)).where(events(scope))
        ),
    ),
)
on_changed(record)
