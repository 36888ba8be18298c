"""834 files: pyx12 refuses a faulty one whole, naming line and element; a valid one applies."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.intake.models import EnrollmentFileRow, FileFormat, FileState, RowOutcome
from domain.intake.service import submit_file
from domain.policies.limits import utc_today
from domain.policies.models import Policy
from tests.domain.intake.test_submit import ADMIN, LIMITS
from tests.factories import Book, place

FIXTURES = Path("/work/shared/fixtures/x12")


def _new_enrolment(account: str) -> bytes:
    """The public sample of one new subscriber, in `account`, with medical, from today."""
    text = (FIXTURES / "834_deident_new_enroll.txt").read_text()
    today = utc_today().strftime("%Y%m%d")
    text = text.replace("REF*1L*GRP001", f"REF*1L*{account}").replace(
        "HD*021**HMO**EMP", "HD*021**HLT*MED-PPO*EMP"
    )
    return (
        text.replace("DTP*356*D8*20260401", f"DTP*356*D8*{today}")
        .replace("DTP*348*D8*20260401", f"DTP*348*D8*{today}")
        .encode()
    )


async def _submit(session: AsyncSession, client_id: int, data: bytes):  # type: ignore[no-untyped-def]
    return await submit_file(
        session, actor=ADMIN, limits=LIMITS, group_client_id=client_id,
        format=FileFormat.X12_834, data=data,
    )  # fmt: skip


async def test_the_faulty_samples_are_rejected_naming_line_and_element(
    session: AsyncSession,
) -> None:
    acme = await place(await Book(session).setup())
    for name, expected in (
        ("enroll-employee-managed-care.834", ["line 10", "DTP"]),
        ("example834_5010.txt", ["line 8", "INS06-01"]),
    ):
        record = await _submit(session, acme.client.id, (FIXTURES / name).read_bytes())  # type: ignore[arg-type]
        assert record.state == FileState.REJECTED, name
        assert expected in [e["field"] for e in record.errors], record.errors
        assert record.received_members == record.applied_rows == 0
    assert list(await session.scalars(sa.select(Policy))) == []


async def test_a_valid_834_enrols_and_a_resent_interchange_is_a_duplicate(
    session: AsyncSession,
) -> None:
    # given an ACME account without classes that offers medical
    book = await Book(session).setup()
    acme = await place(book)
    await book.account(acme.client, code="ACME-834", products=1)
    data = _new_enrolment("ACME-834")
    # when sent, then sent again
    first = await _submit(session, acme.client.id, data)  # type: ignore[arg-type]
    again = await _submit(session, acme.client.id, data)  # type: ignore[arg-type]
    # then
    rows = list(
        await session.scalars(
            sa.select(EnrollmentFileRow).where(col(EnrollmentFileRow.file_id) == first.id)
        )
    )
    assert first.state == FileState.APPLIED, [r.errors for r in rows]
    assert [(r.line, r.outcome) for r in rows] == [(8, RowOutcome.APPLIED)]
    assert again.state == FileState.REJECTED
    assert again.errors[0]["field"] == ["ISA13"] and again.errors[0]["code"] == "DUPLICATE"
    numbers = list(await session.scalars(sa.select(col(Policy.employee_number))))
    assert numbers == ["M000001"]


async def test_a_row_refused_by_a_policies_rule_names_its_element(session: AsyncSession) -> None:
    book = await Book(session).setup()
    acme = await place(book)
    await book.account(acme.client, code="ACME-834", products=1)
    data = _new_enrolment("ACME-834").replace(b"MED-PPO", b"NO-SUCH")
    record = await _submit(session, acme.client.id, data)  # type: ignore[arg-type]
    (row,) = await session.scalars(
        sa.select(EnrollmentFileRow).where(col(EnrollmentFileRow.file_id) == record.id)
    )
    assert record.state == FileState.REJECTED
    assert row.outcome == RowOutcome.REFUSED
    assert row.errors[0]["field"] == ["HD04"], row.errors
