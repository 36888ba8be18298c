"""Applying a large file in the background, part by part, as the actor who sent it.

A file of more rows than the threshold is saved RECEIVED with its bytes and its sender's
reach (service.submit_file). Its job reads it again and applies its families in parts of
about PART_ROWS rows, each part one transaction: its families (each in its savepoint), its
rows' records and the file's progress (`rows_done` of `rows_total`) commit together, so the
file's node shows how far it is, and a job run again after a crash goes on after the last
part committed. The last part settles the state and drops the bytes.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from authz.access import Actor, RowScope
from domain.core.changes import Action, changing
from domain.core.transactions import atomic
from domain.intake import census, service, x12
from domain.intake.families import Outcome
from domain.intake.models import EnrollmentFile, FileFormat, FileState
from domain.intake.within import within
from domain.policies.limits import PolicyLimits

PART_ROWS = 500


def sender(record: EnrollmentFile) -> Actor:
    """Who sent the file, within the reach they had then."""
    scope = replace(RowScope.from_json(record.sender_scope), subject=record.submitted_by)
    return Actor(record.submitted_by, scope)


async def apply_received(
    sessions: async_sessionmaker[AsyncSession], limits: PolicyLimits, file_id: int
) -> int:
    """Apply what is left of a RECEIVED file, part by part; how many parts it took."""
    async with sessions() as session:
        record = await session.get(EnrollmentFile, file_id)
        if record is None or record.state != FileState.RECEIVED or record.content is None:
            return 0
        rows, full = _reread(record.format, record.content)
        done, dry_run = record.rows_done, record.dry_run
    parts = _parts(service.families(rows), done)
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        async with sessions() as session, atomic(session):
            await _apply_part(
                session, limits, file_id, part, dry_run=dry_run, full=full if last else None
            )
    return len(parts)


def _reread(
    format: FileFormat, data: bytes
) -> tuple[list[census.CensusRow], x12.Interchange | None]:
    if format == FileFormat.CSV:
        return census.read(data), None
    interchange, rows = x12.read(data)
    return rows, service.full_file(interchange, rows)


def _parts(families: list[list[census.CensusRow]], done: int) -> list[list[list[census.CensusRow]]]:
    """The families not yet applied (after the first `done` rows), in parts of PART_ROWS."""
    parts: list[list[list[census.CensusRow]]] = [[]]
    size = seen = 0
    for family in families:
        seen += len(family)
        if seen <= done:
            continue
        if size >= PART_ROWS:
            parts.append([])
            size = 0
        parts[-1].append(family)
        size += len(family)
    return parts


async def _apply_part(
    session: AsyncSession,
    limits: PolicyLimits,
    file_id: int,
    part: list[list[census.CensusRow]],
    *,
    dry_run: bool,
    full: x12.Interchange | None,
) -> None:
    record = await session.get_one(EnrollmentFile, file_id)
    actor = sender(record)
    clients = await within(session, actor, record.group_client_id)
    outcomes: list[Outcome] = await service.apply(
        session, actor, limits, clients, part, dry_run=dry_run, full=full
    )
    async with changing(
        session, actor, Action.ENROLLMENT_FILE_APPLY, EnrollmentFile, file_id,
        marks_changed=False,
    ) as change:  # fmt: skip
        row = change.row
        service.tally(row, outcomes)
        row.rows_done += sum(len(family) for family in part)
        if full is not None or row.rows_done >= row.rows_total:
            row.state = service.state_of(row, True)
            row.content = None
        session.add_all(service.rows_of(row, outcomes))
