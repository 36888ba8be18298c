"""Loading pharmacy claims summaries: a CSV from the claims system, one row per member and drug.

Columns: person_number, drug_code, drug_name, last_fill_date, fills_12_months. Each row is
checked on its own and saved in a savepoint of its own, as the actor who loaded the file and
within their reach: a member they do not reach reads exactly as an unknown one. A drug is
added the first time a file names it. A later file replaces a member's row for the same drug.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.campaigns.models import ClaimsSummary, Drug
from domain.core.changes import Action, changing, visible
from domain.core.columns import utcnow
from domain.core.errors import DomainError, ErrorCode, Problem
from domain.core.fields import check_code, check_name
from domain.core.tables import Cells, FileRefused, read_rows
from domain.policies.models import Person

REQUIRED = ("person_number", "drug_code", "drug_name", "last_fill_date", "fills_12_months")
MAX_ROWS = 100_000
MAX_FILLS = 400
"""More fills of one drug in a year than a daily prescription would give is a bad row."""


@dataclass(frozen=True)
class RefusedRow:
    """A row not loaded: its line and why."""

    line: int
    problems: tuple[Problem, ...]


@dataclass
class ClaimsLoad:
    """What a load did: rows received and loaded, and each refused row."""

    received: int = 0
    loaded: int = 0
    refused: list[RefusedRow] = field(default_factory=list)


async def load_claims(
    session: AsyncSession, *, actor: Actor, data: bytes, today: date | None = None
) -> ClaimsLoad:
    """Load a claims summary file as `actor`; a file that cannot be read is refused whole."""
    try:
        rows = read_rows(data, required=REQUIRED, optional=())
    except FileRefused as refused:
        raise DomainError(
            *(Problem(_in_file(p.field), p.code, p.message) for p in refused.problems)
        ) from None
    if len(rows) > MAX_ROWS:
        raise DomainError.of("file", ErrorCode.TOO_LONG, f"At most {MAX_ROWS} rows per file.")
    outcome = ClaimsLoad(received=len(rows))
    day = today or utcnow().date()
    for cells in rows:
        try:
            async with session.begin_nested():
                await _load_row(session, actor, cells, day)
            outcome.loaded += 1
        except DomainError as error:
            outcome.refused.append(RefusedRow(cells.line, tuple(error.problems)))
    return outcome


def _in_file(field: tuple[str, ...]) -> tuple[str, ...]:
    """A whole file's problem names the file, then the column if it is about one."""
    return field if field[:1] == ("file",) else ("file", *field)


async def _load_row(session: AsyncSession, actor: Actor, cells: Cells, today: date) -> None:
    problems = cells.problems
    number = cells.text("person_number")
    code = check_code("drug_code", cells.text("drug_code") or "", problems)
    name = check_name("drug_name", cells.text("drug_name") or "", problems)
    last_fill = cells.day("last_fill_date")
    fills = cells.parsed("fills_12_months", False, int, "a whole number of fills")
    if last_fill is not None and last_fill > today:
        problems.append(Problem(("last_fill_date",), ErrorCode.INVALID_FORMAT, "In the future."))
    if fills is not None and not 0 <= fills <= MAX_FILLS:
        message = f"From 0 to {MAX_FILLS} fills."
        problems.append(Problem(("fills_12_months",), ErrorCode.INVALID_FORMAT, message))
    person = await _member(session, actor, number) if number else None
    if number and person is None:
        problems.append(Problem(("person_number",), ErrorCode.NOT_FOUND, "No such member."))
    if problems:
        raise DomainError(*problems)
    assert person is not None and last_fill is not None and fills is not None
    drug = await _drug(session, actor, code, name)
    await _summary(session, actor, person, drug, last_fill, fills)


async def _member(session: AsyncSession, actor: Actor, number: str) -> int | None:
    stmt = sa.select(col(Person.id)).where(
        col(Person.person_number) == number, visible(actor.scope, Person)
    )
    return await session.scalar(stmt)


async def _drug(session: AsyncSession, actor: Actor, code: str, name: str) -> int:
    found = await session.scalar(sa.select(col(Drug.id)).where(col(Drug.code) == code))
    if found is not None:
        return found
    async with changing(session, actor, Action.DRUG_ADD, Drug, marks_changed=False) as change:
        change.add(Drug(code=code, name=name))
    return change.row.id  # type: ignore[return-value]


async def _summary(
    session: AsyncSession, actor: Actor, person: int, drug: int, last_fill: date, fills: int
) -> None:
    current = await session.scalar(
        sa.select(col(ClaimsSummary.id)).where(
            col(ClaimsSummary.person_id) == person, col(ClaimsSummary.drug_id) == drug
        )
    )
    async with changing(
        session, actor, Action.CLAIMS_SUMMARY_LOAD, ClaimsSummary, current,
        field="person_number", marks_changed=False,
    ) as change:  # fmt: skip
        if change.target is None:
            change.add(ClaimsSummary(person_id=person, drug_id=drug, last_fill_date=last_fill,
                                     fills_12_months=fills))  # fmt: skip
        else:
            change.row.last_fill_date, change.row.fills_12_months = last_fill, fills
            change.row.loaded_at = utcnow()
