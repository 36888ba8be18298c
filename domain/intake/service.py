"""Submitting an enrolment file: read it, apply it family by family, record what came of it.

A file of at most `background_rows` rows is applied in the request, as the actor who sent
it; a larger one is saved RECEIVED with its bytes and the sender's reach, and a background job
applies it as them (domain.intake.background), its progress in rows_done of rows_total. Its
record and rows are changes of domain.core.changes, so the submission is audited like any
mutation; each family's changes are the policies services' own changes, audited as theirs. A
dry run applies everything in a savepoint it rolls back: the record tells what would happen
and nothing else is saved.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import Action, changing, load
from domain.core.errors import DomainError, ErrorCode, Problem
from domain.core.tables import FileRefused
from domain.groups.models import GroupClient
from domain.intake import audit, census, x12
from domain.intake.families import Outcome, apply_families
from domain.intake.models import (
    EnrollmentFile,
    EnrollmentFileRow,
    FileFormat,
    FileState,
    RowAction,
    RowOutcome,
)
from domain.intake.within import Within, prefetch, within
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
    background_rows: int = 0,
) -> EnrollmentFile:
    """Apply a file of enrolments to a group client the actor reaches; its record.

    With `background_rows`, a file of more rows is only saved, RECEIVED, for a job to apply."""
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
        rows, made = await _read(session, record, data)
    except FileRefused as refused:
        record.errors = [_problem(p) for p in refused.problems]
    else:
        count(record, rows)
        if background_rows and len(rows) > background_rows:
            return await _keep(session, actor, record, data)
        clients = await within(session, actor, group_client_id)
        outcomes = await apply(
            session, actor, limits, clients, families(rows), dry_run=dry_run, full=made
        )
        record.rows_done = len(rows)
    return await _record(session, actor, record, outcomes)


def count(record: EnrollmentFile, rows: list[census.CensusRow]) -> None:
    """Set the file's received families and members."""
    record.received_policies = len({row.employee_number for row in rows})
    record.received_members = record.rows_total = len(rows)


def families(rows: list[census.CensusRow]) -> list[list[census.CensusRow]]:
    """The rows by family (employee number), in the order they first appear."""
    found: dict[str, list[census.CensusRow]] = defaultdict(list)
    for row in rows:
        found[row.employee_number].append(row)
    return list(found.values())


async def _keep(
    session: AsyncSession, actor: Actor, record: EnrollmentFile, data: bytes
) -> EnrollmentFile:
    """Save a large file RECEIVED, with its bytes and the sender's reach, for its job."""
    record.content = data
    record.sender_scope = actor.scope.to_json()
    async with changing(
        session, actor, Action.ENROLLMENT_FILE_SUBMIT, EnrollmentFile, marks_changed=False
    ) as change:
        change.add(record)
    return record


def _check_key(key: str) -> None:
    if not 1 <= len(key) <= 100:
        raise DomainError.of(
            "idempotency_key", ErrorCode.INVALID_FORMAT, "Give 1 to 100 characters."
        )


async def _read(
    session: AsyncSession, record: EnrollmentFile, data: bytes
) -> tuple[list[census.CensusRow], x12.Interchange | None]:
    """The file's rows, and for a full 834 (030) its interchange; an 834 sent before (same
    sender and ISA13) is refused as DUPLICATE."""
    if record.format == FileFormat.CSV:
        return census.read(data), None
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
    return rows, full_file(interchange, rows)


def full_file(interchange: x12.Interchange, rows: list[census.CensusRow]) -> x12.Interchange | None:
    """The interchange when it is a full file (any row 030), else None."""
    return interchange if any(r.action == RowAction.AUDIT for r in rows) else None


async def apply(
    session: AsyncSession,
    actor: Actor,
    limits: PolicyLimits,
    clients: Within,
    families: list[list[census.CensusRow]],
    *,
    dry_run: bool,
    full: x12.Interchange | None = None,
) -> list[Outcome]:
    """Apply every family, each in its own savepoint, all in one a dry run rolls back; after
    a full file's, end the cover of members it leaves out."""
    outcomes: list[Outcome] = []
    await prefetch(session, actor, clients, [family[0].employee_number for family in families])
    everything = await session.begin_nested()
    try:
        outcomes += await apply_families(
            session, actor=actor, limits=limits, clients=clients, families=families
        )
        if full is not None:
            clients.policies = {}  # a full file's missing families are looked up anew
            outcomes += await audit.missing(
                session, actor=actor, limits=limits, clients=clients, outcomes=outcomes,
                line=full.last_line, made=full.day,
            )  # fmt: skip
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
    tally(record, outcomes)
    record.state = state_of(record, bool(outcomes))
    async with changing(
        session, actor, Action.ENROLLMENT_FILE_SUBMIT, EnrollmentFile, marks_changed=False
    ) as change:
        change.add(record)
        await session.flush()
        session.add_all(rows_of(record, outcomes))
    return record


def tally(record: EnrollmentFile, outcomes: list[Outcome]) -> None:
    """Add the outcomes to the file's counts."""
    count = {o: sum(x.outcome == o for x in outcomes) for o in RowOutcome}
    record.applied_rows += count[RowOutcome.APPLIED] + count[RowOutcome.VALID]
    record.unchanged_rows += count[RowOutcome.NO_CHANGE]
    record.refused_rows += count[RowOutcome.REFUSED]


def rows_of(record: EnrollmentFile, outcomes: list[Outcome]) -> list[EnrollmentFileRow]:
    """The file's row records for these outcomes, each problem named as the format names it."""
    name = x12.element_of if record.format == FileFormat.X12_834 else (lambda p: p)
    return [
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
    ]


def state_of(record: EnrollmentFile, any_rows: bool) -> FileState:
    """What came of the file, by its errors and counts."""
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
