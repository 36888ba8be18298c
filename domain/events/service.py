"""Reading the change feed: the events a scope reaches, in commit order, by cursor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import RowScope
from domain.core.paging import Slice, Window, count, fetch_slice
from domain.core.reach import visible
from domain.events import order
from domain.events.models import DomainEvent, DomainEventGroupClient
from domain.groups.models import GroupClient


@dataclass(frozen=True)
class EventFilter:
    """Which events to list; every given criterion must hold."""

    types: frozenset[str] | None = None
    group_client_ids: frozenset[int] | None = None
    """Only events concerning one of these clients; a client out of reach matches nothing,
    so a filter never tells whether an event concerned another tenant."""

    def select(self, scope: RowScope) -> sa.Select[Any]:
        """The select of the matching settled events the scope reaches."""
        stmt = sa.select(DomainEvent).where(visible(scope, DomainEvent), order.settled())
        if self.types is not None:
            stmt = stmt.where(col(DomainEvent.type).in_(sorted(self.types)))
        if self.group_client_ids is not None:
            reached = sa.select(col(GroupClient.id)).where(
                col(GroupClient.id).in_(sorted(self.group_client_ids)),
                visible(scope, GroupClient),
            )
            concerning = sa.select(col(DomainEventGroupClient.event_id)).where(
                col(DomainEventGroupClient.group_client_id).in_(reached)
            )
            stmt = stmt.where(col(DomainEvent.id).in_(concerning))
        return stmt


async def list_events(
    session: AsyncSession, scope: RowScope, *, criteria: EventFilter, window: Window
) -> Slice[DomainEvent]:
    """Return a window of the events the scope reaches, in the feed's order (domain.events.
    order): none can appear later before the last one returned."""
    stmt = criteria.select(scope)
    return await fetch_slice(
        session, stmt, DomainEvent, window, order=order.POSITION, after=order.after
    )


async def count_events(session: AsyncSession, scope: RowScope, *, criteria: EventFilter) -> int:
    """Count the matching events the scope reaches."""
    return await count(session, criteria.select(scope))
