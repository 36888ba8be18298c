"""Writing and reading the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from domain.audit.models import AuditEvent
from domain.core.paging import Slice, Window, count, fetch_slice


def snapshot(row: SQLModel, *, omit: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Return a row's column values as JSON-ready data, leaving out the `omit` columns."""
    mapper = sa.inspect(type(row))
    return {
        attr.key: _jsonable(getattr(row, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in omit
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


@dataclass(frozen=True)
class AuditFilter:
    """Which audit events to list; every given criterion must hold."""

    entity_type: str | None = None
    entity_id: int | None = None
    actor: str | None = None
    action: str | None = None

    def select(self) -> sa.Select[Any]:
        """Return the select of the matching events."""
        stmt = sa.select(AuditEvent)
        for column, value in (
            (col(AuditEvent.entity_type), self.entity_type),
            (col(AuditEvent.entity_id), self.entity_id),
            (col(AuditEvent.actor), self.actor),
            (col(AuditEvent.action), self.action),
        ):
            if value is None:
                continue
            # No stored text holds a NUL, and PostgreSQL refuses one even to compare.
            matches = sa.false() if isinstance(value, str) and "\x00" in value else column == value
            stmt = stmt.where(matches)
        return stmt


async def list_events(
    session: AsyncSession, *, criteria: AuditFilter, window: Window
) -> Slice[AuditEvent]:
    """Return a window of audit events, oldest first."""
    return await fetch_slice(session, criteria.select(), AuditEvent, window)


async def count_events(session: AsyncSession, *, criteria: AuditFilter) -> int:
    """Count the audit events that match."""
    return await count(session, criteria.select())
