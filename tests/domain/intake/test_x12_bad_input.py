"""Bad 834 input is refused whole, each reason named, and nothing of it saved."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from domain.intake.models import FileFormat, FileState
from domain.intake.service import submit_file
from domain.policies.models import Person, Policy
from tests.domain.intake.samples import LIMITS
from tests.domain.intake.test_submit import ADMIN
from tests.domain.intake.test_x12 import FIXTURES, _submit
from tests.factories import Book, place

SAMPLE = (FIXTURES / "834_deident_family.txt").read_bytes()
BAD = {
    "truncated": (SAMPLE[: len(SAMPLE) // 2], "ISA"),
    "no_trailer": (SAMPLE[: SAMPLE.index(b"GE*")], "ISA"),
    "wrong_envelope": (SAMPLE.replace(b"*00501*", b"*00401*"), "ISA"),
    "wrong_version": (SAMPLE.replace(b"005010X220A1", b"004010X095A1"), "ISA"),
    "not_x12": (b"Name,Date\nAnn,2020-01-01\n", "ISA"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "file"),
    "ten_mb_line": (b"ISA*" + b"A" * 10_000_000, "file"),
    "utf16": (SAMPLE.decode().encode("utf-16"), "file"),
}


@pytest.mark.parametrize("case", sorted(BAD))
async def test_bad_834_input_is_rejected_naming_why(session: AsyncSession, case: str) -> None:
    acme = await place(await Book(session).setup())
    data, where = BAD[case]
    record = await _submit(session, acme.client.id, data)  # type: ignore[arg-type]
    assert record.state == FileState.REJECTED
    assert record.errors, case
    fields = [e["field"] for e in record.errors]
    assert any(where in f or where in " ".join(f) for f in fields), record.errors
    assert all(e["code"] and e["message"] for e in record.errors)
    assert record.received_members == record.applied_rows == 0
    assert list(await session.scalars(sa.select(Policy))) == []
    assert list(await session.scalars(sa.select(Person))) == []


async def test_a_formula_looking_name_is_kept_as_text(session: AsyncSession) -> None:
    book = await Book(session).setup()
    acme = await place(book)
    await book.account(acme.client, code="GRP002", products=1)
    data = SAMPLE.replace(b"SMITH*ROBERT", b"=CMD|'/C CALC'!A0*ROBERT").replace(
        b"HD*021**PPO**FAM", b"HD*021**HLT*MED-PPO*FAM"
    )
    record = await submit_file(
        session, actor=ADMIN, limits=LIMITS, group_client_id=acme.client.id,  # type: ignore[arg-type]
        format=FileFormat.X12_834, data=data,
    )  # fmt: skip
    names = set(await session.scalars(sa.select(Person.family_name)))
    assert record.state == FileState.APPLIED, record.errors
    assert "=Cmd|'/C Calc'!A0" in names
