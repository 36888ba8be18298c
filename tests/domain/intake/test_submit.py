"""Submitting a census: good families applied, bad ones not at all, each refusal named."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor, RowScope
from domain.intake.models import EnrollmentFileRow, FileFormat, FileState, RowOutcome
from domain.intake.service import submit_file
from domain.policies.limits import PolicyLimits
from domain.policies.models import Person, Policy
from tests.domain.intake.census import HEADER, TODAY, born, csv_of, family
from tests.factories import Book, Place, place

ADMIN = Actor("hr-file", RowScope(everything=True, writes=True))
LIMITS = PolicyLimits()


async def _acme(session: AsyncSession) -> Place:
    return await place(await Book(session).setup())


async def _submit(session: AsyncSession, where: Place, data: bytes, **more):  # type: ignore[no-untyped-def]
    return await submit_file(
        session, actor=ADMIN, limits=LIMITS, group_client_id=where.client.id,  # type: ignore[arg-type]
        format=FileFormat.CSV, data=data, **more,
    )  # fmt: skip


async def _policies(session: AsyncSession) -> set[str | None]:
    return set(await session.scalars(sa.select(col(Policy.employee_number))))


async def _rows(session: AsyncSession, file_id: int) -> list[EnrollmentFileRow]:
    stmt = sa.select(EnrollmentFileRow).where(col(EnrollmentFileRow.file_id) == file_id)
    return list(await session.scalars(stmt.order_by(col(EnrollmentFileRow.line))))


async def test_good_families_are_applied_and_a_bad_one_not_at_all(session: AsyncSession) -> None:
    # given a file of two good families and one whose child is past the age limit
    acme = await _acme(session)
    data = csv_of(
        *family("E1", "Ann"), *family("E2", "Bob", child_born=born(40)), *family("E3", "Cy")
    )
    # when
    record = await _submit(session, acme, data)
    # then
    assert record.state == FileState.PARTIALLY_APPLIED
    assert (record.received_policies, record.received_members) == (3, 9)
    assert (record.applied_rows, record.refused_rows) == (6, 3)
    assert await _policies(session) == {"E1", "E3"}
    rows = await _rows(session, record.id)  # type: ignore[arg-type]
    bad = [r for r in rows if r.employee_number == "E2"]
    assert {r.outcome for r in bad} == {RowOutcome.REFUSED}
    # the child's row says why, naming the column the policies rule blames (as policyEnroll)
    assert bad[2].errors[0]["code"] == "AGE_LIMIT"
    assert bad[2].errors[0]["field"] == ["start_date"]
    assert bad[0].errors[0]["code"] == "CONFLICT"
    assert all(r.policy_id is not None for r in rows if r.outcome == RowOutcome.APPLIED)


async def test_a_cell_in_a_bad_format_names_its_column(session: AsyncSession) -> None:
    acme = await _acme(session)
    lines = family("E1", "Ann")
    lines[1] = lines[1].replace("FEMALE", "WOMAN")
    record = await _submit(session, acme, csv_of(*lines))
    rows = await _rows(session, record.id)  # type: ignore[arg-type]
    assert record.state == FileState.REJECTED
    assert rows[1].errors[0]["field"] == ["gender"]
    assert rows[0].errors[0]["code"] == "CONFLICT"
    assert await _policies(session) == set()


async def test_a_dry_run_saves_nothing_but_its_report(session: AsyncSession) -> None:
    acme = await _acme(session)
    record = await _submit(session, acme, csv_of(*family("E1", "Ann")), dry_run=True)
    assert record.state == FileState.VALIDATED
    assert record.applied_rows == 3
    assert await _policies(session) == set()


async def test_applying_a_file_twice_changes_nothing_the_second_time(
    session: AsyncSession,
) -> None:
    acme = await _acme(session)
    data = csv_of(*family("E1", "Ann"))
    first = await _submit(session, acme, data)
    again = await _submit(session, acme, data)
    keyed = await _submit(session, acme, data, idempotency_key="k-1")
    same = await _submit(session, acme, data, idempotency_key="k-1")
    assert first.state == again.state == FileState.APPLIED
    assert (again.applied_rows, again.unchanged_rows) == (0, 3)
    assert same.id == keyed.id
    assert len(list(await session.scalars(sa.select(Policy)))) == 1


async def test_a_formula_cell_is_kept_as_text(session: AsyncSession) -> None:
    acme = await _acme(session)
    lines = family("E1", "Ann")
    lines[0] = lines[0].replace(",Ann,", ",\"=cmd|' /C calc'!A0\",")
    record = await _submit(session, acme, csv_of(*lines))
    rows = await _rows(session, record.id)  # type: ignore[arg-type]
    # then kept exactly as sent, as text: never evaluated, never altered
    assert rows[0].outcome == RowOutcome.APPLIED
    person = await session.get(Person, rows[0].person_id)
    assert person is not None and person.given_name == "=cmd|' /C calc'!A0"


async def test_terminate_rows_end_a_dependant_then_the_policy(session: AsyncSession) -> None:
    # given ACME's family E1, enrolled by file
    acme = await _acme(session)
    await _submit(session, acme, csv_of(*family("E1", "Ann")))
    header = HEADER + ",end_date,action"
    kid, head = family("E1", "Ann")[2], family("E1", "Ann")[0]
    end = TODAY.isoformat()
    # when the child's cover ends, then the policy's
    child_end = await _submit(session, acme, csv_of(f"{kid},{end},TERMINATE", header=header))
    policy_end = await _submit(session, acme, csv_of(f"{head},{end},TERMINATE", header=header))
    again = await _submit(session, acme, csv_of(f"{head},{end},TERMINATE", header=header))
    # then
    assert child_end.state == policy_end.state == FileState.APPLIED
    assert (again.applied_rows, again.unchanged_rows) == (0, 1)
    (policy,) = await session.scalars(sa.select(Policy))
    assert policy.end_date == TODAY
