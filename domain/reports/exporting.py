"""Making an export: asked for through the write path, written in the background in chunks.

The rows are read by one statement through one cursor (PostgreSQL: a server-side cursor, and
one statement sees one snapshot, so the file is consistent; SQLite: fetched CHUNK at a time)
and written to the file chunk by chunk: at most CHUNK rows are in memory whatever the
export's size. On PostgreSQL the export's progress is saved after every chunk; SQLite has one
writer, which a reader's open cursor would block, so there it moves from 0 to done.
"""

from __future__ import annotations

import asyncio
import csv
import logging
import os
import secrets
from datetime import date
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from authz.access import GROUPS_READ, PERSONAL_FIELDS, Access, Actor, RowScope
from domain.core.changes import Action, changing
from domain.core.columns import utcnow
from domain.core.errors import DomainError, ErrorCode
from domain.core.paging import count
from domain.reports import sources
from domain.reports.models import Export, ExportFormat, ExportKind, ExportState
from domain.reports.ranges import day_range

logger = logging.getLogger(__name__)

CHUNK = 2000
"""Rows read and written at a time."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these is read as a formula by spreadsheets (CSV
injection); such a cell is written with a leading apostrophe, as OWASP advises."""


@runtime_checkable
class ExportRunner(Protocol):
    """Where an export goes once the change that asked for it has committed."""

    async def export(self, export_id: int) -> None: ...


async def create_export(
    session: AsyncSession,
    *,
    actor: Actor,
    access: Access,
    kind: ExportKind,
    format: ExportFormat,
    given: sources.Criteria,
) -> Export:
    """Ask for an export within the actor's reach for its kind; it waits for a worker."""
    need = sources.NEEDS[kind]
    if not access.allows(need):
        raise DomainError.of(
            "kind", ErrorCode.FORBIDDEN, f"Exporting {kind.value} needs the permission {need}."
        )
    row = Export(
        kind=kind,
        format=format,
        state=ExportState.QUEUED,
        filter=_stored(given),
        requested_by=actor.subject,
        scope=access.scope(need).to_json(),
        groups_scope=access.scope(GROUPS_READ).to_json(),
        personal=access.allows(PERSONAL_FIELDS),
    )
    async with changing(
        session, actor, Action.EXPORT_CREATE, Export, marks_changed=False
    ) as change:
        change.add(row)
    return row


def _stored(given: sources.Criteria) -> dict[str, Any]:
    period = given.period
    return {
        "group_client_id": given.group_client_id,
        "as_of": given.as_of.isoformat() if given.as_of else None,
        "from": period.start.isoformat() if period else None,
        "to": period.end.isoformat() if period else None,
    }


def criteria_of(stored: dict[str, Any]) -> sources.Criteria:
    """The filter an export was asked with, as `_stored` kept it."""
    start, end = stored.get("from"), stored.get("to")
    period = None
    if start and end:
        period = day_range(date.fromisoformat(start), date.fromisoformat(end))
    return sources.Criteria(
        group_client_id=stored.get("group_client_id"),
        as_of=date.fromisoformat(stored["as_of"]) if stored.get("as_of") else None,
        period=period,
    )


def cell(value: Any) -> Any:
    """A value as a CSV cell: a formula-looking text escaped, None empty."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


async def run_export(
    sessions: async_sessionmaker[AsyncSession], export_id: int, folder: Path
) -> ExportState:
    """Write an export's file under `folder`, saving its progress; its final state.

    An export already READY or FAILED is left as it is (a job run twice writes once)."""
    async with sessions() as session:
        export = await session.get(Export, export_id)
        if export is None or export.state in (ExportState.READY, ExportState.FAILED):
            return export.state if export is not None else ExportState.FAILED
        select = _select(export)
        total = await count(session, select)
        await _save(session, export_id, state=ExportState.RUNNING, total_rows=total)
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    path = folder / f"export-{export_id}-{secrets.token_hex(8)}.csv"
    try:
        written = await _write(sessions, select, export.kind, path, export_id)
    except Exception:
        logger.exception("export %s failed", export_id)
        path.unlink(missing_ok=True)
        async with sessions() as session:
            await _save(session, export_id, state=ExportState.FAILED, error="The export failed.")
        return ExportState.FAILED
    async with sessions() as session:
        await _save(
            session,
            export_id,
            state=ExportState.READY,
            written_rows=written,
            file_path=str(path),
            byte_size=path.stat().st_size,
            finished_at=utcnow(),
        )
    return ExportState.READY


def _select(export: Export) -> sa.Select[Any]:
    return sources.rows(
        export.kind,
        scope=RowScope.from_json(export.scope),
        groups_scope=RowScope.from_json(export.groups_scope),
        given=criteria_of(export.filter),
        personal=export.personal,
    )


async def _write(
    sessions: async_sessionmaker[AsyncSession],
    select: sa.Select[Any],
    kind: ExportKind,
    path: Path,
    export_id: int,
) -> int:
    """Stream the rows into the file chunk by chunk; how many were written."""
    written = 0
    partial = path.with_suffix(".partial")
    async with sessions() as reading, sessions() as progress:
        postgres = reading.get_bind().dialect.name == "postgresql"
        result = await reading.stream(select.execution_options(yield_per=CHUNK))
        with partial.open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(sources.headers(kind))
            async for chunk in result.partitions(CHUNK):
                writer.writerows([cell(value) for value in row] for row in chunk)
                written += len(chunk)
                if postgres:
                    await _save(progress, export_id, written_rows=written)
        await reading.rollback()
    os.replace(partial, path)
    return written


async def _save(session: AsyncSession, export_id: int, **values: Any) -> None:
    """Record the export's progress (the worker's, not a user's change: no audit)."""
    await session.execute(sa.update(Export).where(col(Export.id) == export_id).values(**values))
    await session.commit()
