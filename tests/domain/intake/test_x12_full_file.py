"""A full 834 (030): members it leaves out are reported, and ended when it is applied."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.intake.models import EnrollmentFileRow, FileFormat, FileState, RowAction, RowOutcome
from domain.intake.service import submit_file
from domain.policies.limits import utc_today
from domain.policies.models import Policy, PolicyStatus
from tests.domain.intake.test_submit import ADMIN, LIMITS
from tests.domain.intake.test_x12 import _new_enrolment, _submit
from tests.factories import Book, place


def _family(data: bytes, number: str, name: str, control: str) -> bytes:
    """The sample's family as another employee, in another interchange."""
    text = data.decode().replace("M000001", number).replace("DOE*JANE", f"DOE*{name}")
    text = text.replace("*34*000000001", f"*34*{number}").replace("000000001*0*T", f"{control}*0*T")
    return text.replace("IEA*1*000000001", f"IEA*1*{control}").encode()


def _full(data: bytes, control: str) -> bytes:
    """The file as a full file (030) made tomorrow: its members end today if left out."""
    tomorrow = (utc_today() + timedelta(days=1)).strftime("%Y%m%d")
    text = data.decode().replace("INS*Y*18*021", "INS*Y*18*030").replace("HD*021", "HD*030")
    text = text.replace("BGN*00*20260401-001*20260401", f"BGN*00*FULL*{tomorrow}")
    return _family(text.encode(), "M000001", "JANE", control)


async def test_a_full_file_reports_and_then_ends_whom_it_leaves_out(session: AsyncSession) -> None:
    # given two families sent by 021 files
    book = await Book(session).setup()
    acme = await place(book)
    await book.account(acme.client, code="ACME-834", products=1)
    first = _new_enrolment("ACME-834")
    await _submit(session, acme.client.id, first)  # type: ignore[arg-type]
    await _submit(session, acme.client.id, _family(first, "M000002", "JOHN", "000000002"))  # type: ignore[arg-type]
    full = _full(first, "000000003")
    for dry_run, outcome in ((True, RowOutcome.VALID), (False, RowOutcome.APPLIED)):
        # when a full file lists only the first

        record = await submit_file(
            session, actor=ADMIN, limits=LIMITS, group_client_id=acme.client.id,  # type: ignore[arg-type]
            format=FileFormat.X12_834, data=full, dry_run=dry_run,
        )  # fmt: skip
        rows = list(
            await session.scalars(
                sa.select(EnrollmentFileRow)
                .where(col(EnrollmentFileRow.file_id) == record.id)
                .order_by(col(EnrollmentFileRow.line))
            )
        )
        # then the first is unchanged and the second is reported at the last line
        assert [(r.employee_number, r.action, r.outcome) for r in rows] == [
            ("M000001", RowAction.AUDIT, RowOutcome.NO_CHANGE),
            ("M000002", RowAction.TERMINATE, outcome),
        ], [r.errors for r in rows]
        assert rows[1].line == 20
        assert record.received_members == 1
    # and applied, the second family's policy ends today
    policies = {p.employee_number: p for p in await session.scalars(sa.select(Policy))}
    assert policies["M000001"].status == PolicyStatus.ACTIVE
    assert policies["M000002"].status == PolicyStatus.TERMINATED
    assert policies["M000002"].end_date == utc_today()
    assert record.state == FileState.APPLIED
