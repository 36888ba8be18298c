"""Submitting an enrolment file: read it, apply it family by family, record what came of it.

The file is applied in the request, as the actor who sent it (a background job for large
files is a later step). Its record and rows are one change of domain.core.changes, so the
submission is audited like any mutation; each family's changes are the policies services'
own changes, audited as theirs. A dry run applies everything in a savepoint it rolls back:
the record tells what would happen and nothing else is saved.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import Action, changing, load, visible
from domain.core.errors import DomainError, ErrorCode, Problem
from domain.core.tables import FileRefused
from domain.groups.models import GroupClient
from domain.groups.queries import subtree_ids
from domain.intake import census, x12
from domain.intake.families import Outcome, apply_family
from domain.intake.models import (
    EnrollmentFile,
    EnrollmentFileRow,
    FileFormat,
    FileState,
    RowOutcome,
)
from domain.policies.limits import PolicyLimits


async def submit_file(
    session: AsyncSession,
    *,
    actor: Actor,
    limits: PolicyLimits,
    group_client_id: int,
    format: FileFormat,
    data: bytes,
    file_name: str | None = None,
    dry_run: bool = False,
    idempotency_key: str | None = None,
) -> EnrollmentFile:
    """Apply a file of enrolments to a group client the actor reaches; its record."""
    client = await load(session, actor, GroupClient, group_client_id, field="group_client_id")
    if idempotency_key is not None:
        _check_key(idempotency_key)
        known = await session.scalar(
            sa.select(EnrollmentFile).where(
                col(EnrollmentFile.group_client_id) == client.id,
                col(EnrollmentFile.idempotency_key) == idempotency_key,
            )
        )
        if known is not None:
            return known
    record = EnrollmentFile(
        group_client_id=group_client_id,
        format=format,
        state=FileState.RECEIVED,
        dry_run=dry_run,
        idempotency_key=None if dry_run else idempotency_key,
        file_name=(file_name or "")[:200] or None,
        sha256=hashlib.sha256(data).hexdigest(),
        submitted_by=actor.subject,
    )
    outcomes: list[Outcome] = []
    try:
        rows = await _read(session, record, data)
    except FileRefused as refused:
        record.errors = [_problem(p) for p in refused.problems]
    else:
        outcomes = await _apply(session, actor, limits, group_client_id, rows, dry_run=dry_run)
        record.received_policies = len({row.employee_number for row in rows})
        record.received_members = len(rows)
    return await _record(session, actor, record, outcomes)


def _check_key(key: str) -> None:
    if not 1 <= len(key) <= 100:
        raise DomainError.of(
            "idempotency_key", ErrorCode.INVALID_FORMAT, "Give 1 to 100 characters."
        )


async def _read(
    session: AsyncSession, record: EnrollmentFile, data: bytes
) -> list[census.CensusRow]:
    """The file's rows; an 834 sent before (same sender and ISA13) is refused as DUPLICATE."""
    if record.format == FileFormat.CSV:
        return census.read(data)
    interchange, rows = x12.read(data)
    record.interchange = f"{interchange.sender}/{interchange.control}"[:60]
    sent = await session.scalar(
        sa.select(col(EnrollmentFile.id)).where(
            col(EnrollmentFile.group_client_id) == record.group_client_id,
            col(EnrollmentFile.interchange) == record.interchange,
            col(EnrollmentFile.dry_run).is_(False),
            col(EnrollmentFile.state) != FileState.REJECTED,
        )
    )
    if sent is not None and not record.dry_run:
        raise FileRefused(
            Problem(
                ("ISA13",),
                ErrorCode.DUPLICATE,
                f"Interchange {interchange.control} from {interchange.sender} was sent before.",
            )
        )
    return rows


async def _apply(
    session: AsyncSession,
    actor: Actor,
    limits: PolicyLimits,
    group_client_id: int,
    rows: list[census.CensusRow],
    *,
    dry_run: bool,
) -> list[Outcome]:
    """Apply every family, each in its own savepoint, all in one a dry run rolls back."""
    families: dict[str, list[census.CensusRow]] = defaultdict(list)
    for row in rows:
        families[row.employee_number].append(row)
    clients = subtree_ids(group_client_id, visible=visible(actor.scope, GroupClient))
    outcomes: list[Outcome] = []
    everything = await session.begin_nested()
    try:
        for family in families.values():
            outcomes += await apply_family(
                session, actor=actor, limits=limits, clients=clients, rows=family
            )
    finally:
        if dry_run:
            await everything.rollback()
        else:
            await everything.commit()
    if dry_run:
        for outcome in outcomes:
            if outcome.outcome == RowOutcome.APPLIED:
                outcome.outcome = RowOutcome.VALID
                outcome.policy_id = outcome.person_id = None
    return sorted(outcomes, key=lambda o: o.row.line)


async def _record(
    session: AsyncSession, actor: Actor, record: EnrollmentFile, outcomes: list[Outcome]
) -> EnrollmentFile:
    """Save the file's record and its rows, as one audited change."""
    count = {o: sum(x.outcome == o for x in outcomes) for o in RowOutcome}
    record.applied_rows = count[RowOutcome.APPLIED] + count[RowOutcome.VALID]
    record.unchanged_rows = count[RowOutcome.NO_CHANGE]
    record.refused_rows = count[RowOutcome.REFUSED]
    record.state = _state(record, bool(outcomes))
    name = x12.element_of if record.format == FileFormat.X12_834 else (lambda p: p)
    async with changing(
        session, actor, Action.ENROLLMENT_FILE_SUBMIT, EnrollmentFile, marks_changed=False
    ) as change:
        change.add(record)
        await session.flush()
        session.add_all(
            EnrollmentFileRow(
                file_id=record.id,  # type: ignore[arg-type]
                line=o.row.line,
                employee_number=o.row.employee_number[:100],
                action=o.row.action,
                outcome=o.outcome,
                errors=[_problem(name(p)) for p in o.problems],
                policy_id=o.policy_id,
                person_id=o.person_id,
            )
            for o in outcomes
        )
    return record


def _state(record: EnrollmentFile, any_rows: bool) -> FileState:
    if record.errors or not any_rows:
        return FileState.REJECTED
    if record.dry_run:
        return FileState.VALIDATED
    if record.refused_rows == 0:
        return FileState.APPLIED
    if record.applied_rows + record.unchanged_rows == 0:
        return FileState.REJECTED
    return FileState.PARTIALLY_APPLIED


def _problem(problem: Problem) -> dict[str, Any]:
    return {"field": list(problem.field), "code": problem.code.value, "message": problem.message}
