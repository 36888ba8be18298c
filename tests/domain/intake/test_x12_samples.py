"""Every valid public 834 sample imports, dry run and real, into a structure of its own codes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.audit.models import AuditEvent
from domain.intake.models import EnrollmentFileRow, FileFormat, FileState, RowOutcome
from domain.intake.service import submit_file
from tests.domain.intake.samples import FIXTURES, LIMITS, presumed, segments, structure
from tests.domain.intake.test_submit import ADMIN

VALID = [
    "834_deident_family.txt",
    "834_deident_new_enroll.txt",
    "834_deident_term.txt",
    "834_ls_le_ls.txt",
    "add-dependent.834",
    "add-subscriber-coverage.834",
    "cancel-dependent.834",
    "change-subscriber-information.834",
    "enroll-employee-multiple-products.834",
    "reinstate-employee-coverage-level.834",
    "reinstate-employee.834",
    "reinstate-member-eligiblity-ins.834",
    "terminate-subscriber-eligibility.834",
]


async def _audits(session: AsyncSession) -> int:
    return await session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) or 0


@pytest.mark.parametrize("name", VALID)
async def test_a_valid_sample_imports_dry_run_and_real(session: AsyncSession, name: str) -> None:
    # given the sample's own accounts, products and the families its changes presume
    text = (FIXTURES / name).read_text()
    members = sum(s[0] == "INS" for s in segments(text))
    client = await structure(session, text)
    await presumed(session, text)
    before = await _audits(session)
    records = {}
    for dry_run in (True, False):
        # when
        records[dry_run] = record = await submit_file(
            session, actor=ADMIN, limits=LIMITS, group_client_id=client.id,  # type: ignore[arg-type]
            format=FileFormat.X12_834, data=text.encode(), file_name=name, dry_run=dry_run,
        )  # fmt: skip
        await session.commit()
        rows = list(
            await session.scalars(
                sa.select(EnrollmentFileRow).where(col(EnrollmentFileRow.file_id) == record.id)
            )
        )
        # then every member is received and none refused
        assert record.received_members == members, name
        assert record.refused_rows == 0, [(r.line, r.errors) for r in rows]
        assert {r.outcome for r in rows} <= {
            RowOutcome.VALID if dry_run else RowOutcome.APPLIED,
            RowOutcome.NO_CHANGE,
        }
        if dry_run:  # nothing but the file's own record was saved
            assert await _audits(session) == before + 1
    assert records[True].state == FileState.VALIDATED
    assert records[False].state == FileState.APPLIED
    assert records[False].applied_rows >= 1
