"""Reading the audit trail."""

from __future__ import annotations

import strawberry
from strawberry import relay

from authz.access import AUDIT_READ
from domain.audit.service import AuditFilter, count_events, list_events
from schema.audit.types import AuditEvent, AuditEventConnection, AuditEventFilter
from schema.core.context import Info
from schema.core.permissions import guarded
from schema.core.relay import window

# Row ids are INTEGER columns: a larger number would fail in the database, not just miss.
_MAX_ROW_ID = 2**31 - 1
_NOTHING = ("", -1)


def _entity(global_id: str) -> tuple[str, int]:
    """Return the type and row id a global id names; a pair matching nothing if none."""
    try:
        found = relay.GlobalID.from_id(global_id)
        row_id = int(found.node_id)
    except ValueError:
        return _NOTHING
    return (found.type_name, row_id) if 0 < row_id <= _MAX_ROW_ID else _NOTHING


def _criteria(filter: AuditEventFilter | None) -> AuditFilter:
    if filter is None:
        return AuditFilter()
    entity_type, entity_id = (
        _entity(filter.entity_id) if filter.entity_id is not None else (None, None)
    )
    return AuditFilter(
        entity_type=entity_type, entity_id=entity_id, actor=filter.actor, action=filter.action
    )


@strawberry.type
class AuditQuery:
    @strawberry.field(**guarded(AUDIT_READ, "The audit trail, oldest first, at most 100 a page."))
    async def audit_events(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: AuditEventFilter | None = None,
    ) -> AuditEventConnection | None:
        session = info.context.session
        criteria = _criteria(filter)
        page = await list_events(session, criteria=criteria, window=window(info, first, after))
        return AuditEventConnection.of(
            page,
            AuditEvent.from_model,
            lambda: count_events(session, criteria=criteria),
            after=after is not None,
        )
