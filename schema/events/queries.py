"""Reading the change feed."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from authz.access import EVENTS_READ, PERSONAL_FIELDS
from domain.events import service
from domain.events.catalogue import catalogue
from schema.core.context import Info
from schema.core.permissions import guarded
from schema.core.relay import decode_id, window
from schema.events.types import Event, EventConnection, EventFilter

MAX_FILTER_ITEMS = 100
"""At most this many types or group clients in one filter."""


def _criteria(filter: EventFilter | None) -> service.EventFilter:
    if filter is None:
        return service.EventFilter()
    types = ids = None
    if filter.types is not None:
        _bounded(filter.types, "filter.types")
        unknown = sorted(set(filter.types) - catalogue().keys())
        if unknown:
            raise GraphQLError(f"`filter.types`: no event type is named {', '.join(unknown)}.")
        types = frozenset(filter.types)
    if filter.group_client_ids is not None:
        _bounded(filter.group_client_ids, "filter.groupClientIds")
        # An id of another type or of nothing matches no client: it is not refused apart.
        decoded = (decode_id(value, "GroupClient") for value in filter.group_client_ids)
        ids = frozenset(i for i in decoded if i is not None)
    return service.EventFilter(types=types, group_client_ids=ids)


def _bounded(values: list[str] | list[strawberry.ID], field: str) -> None:
    if len(values) > MAX_FILTER_ITEMS:
        raise GraphQLError(f"`{field}` holds at most {MAX_FILTER_ITEMS} items.")


@strawberry.type
class EventQuery:
    @strawberry.field(
        **guarded(
            EVENTS_READ,
            "The change feed: events about the objects you may see, oldest first, at most "
            "100 a page. Resume after the last cursor you read to miss nothing.",
        )
    )
    async def events(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: EventFilter | None = None,
    ) -> EventConnection | None:
        session, access = info.context.session, info.context.access
        scope, criteria = access.scope(EVENTS_READ), _criteria(filter)
        page = await service.list_events(
            session, scope, criteria=criteria, window=window(info, first, after)
        )
        personal = access.allows(PERSONAL_FIELDS)
        return EventConnection.of(
            page,
            lambda row: Event.from_model(row, personal=personal),
            lambda: service.count_events(session, scope, criteria=criteria),
            after=after is not None,
        )
