"""A look at the output: one letter and one certificate rendered to PNG by poppler's pdftoppm.

Set GROUPCOVER_RENDER_DIR to keep the PNGs (and PDFs) for a person to look at.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from domain.documents import producing, service
from domain.documents.models import Document, DocumentKind
from domain.policies.models import Policy
from domain.workflow.certificates import certificate
from tests.domain.documents.conftest import ADMIN, REVIEWER
from tests.domain.documents.pdfs import text_of

LETTER = """#set page(paper: "a4", margin: 2.5cm)
#set text(font: "Libertinus Serif", size: 11pt)
#align(right)[#data.today]
#v(1cm)
#data.memberName \\
Policy #data.policyNumber
#v(1cm)
Dear #data.memberName,

from #data.effectiveDate, *#data.drugName* is sold over the counter, without a
prescription. Your pharmacy claims show that you filled it recently.

Your employer has asked us to tell you what this means for your cover.

#v(1cm)
Kind regards, \\
Your health insurer
"""
FIELDS = ["today", "memberName", "policyNumber", "effectiveDate", "drugName"]


async def _png(pdf: bytes, folder: Path, name: str) -> bytes:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is missing: apt-get install poppler-utils")
    (folder / f"{name}.pdf").write_bytes(pdf)
    process = await asyncio.create_subprocess_exec(
        "pdftoppm", "-png", "-r", "60", "-singlefile", str(folder / f"{name}.pdf"),
        str(folder / name),
    )  # fmt: skip
    assert await process.wait() == 0
    return (folder / f"{name}.png").read_bytes()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    kept = os.environ.get("GROUPCOVER_RENDER_DIR")
    if not kept:
        return tmp_path
    Path(kept).mkdir(parents=True, exist_ok=True)
    return Path(kept)


async def test_a_letter_and_a_certificate_render_to_pages(
    session: AsyncSession, acme_policies: list[Policy], folder: Path
) -> None:
    # given
    template = await service.create_template(
        session, actor=ADMIN, code="otc", kind=DocumentKind.LETTER, body=LETTER, fields=FIELDS
    )
    await service.approve_template(session, actor=REVIEWER, template_id=template.id)  # type: ignore[arg-type]
    data = {
        "today": "3 December 2026",
        "memberName": "Zoë O'Brien-Łukasz",
        "policyNumber": acme_policies[0].number,
        "effectiveDate": "1 January 2027",
        "drugName": "Claritin (loratadine)",
    }
    # when
    letter = await producing.produce(
        session, actor=ADMIN, kind=DocumentKind.LETTER, template_code="otc", data=data,
        file_name="letter.pdf", policy_id=acme_policies[0].id,
    )  # fmt: skip
    issued = await certificate(session, ADMIN, {"policy_id": acme_policies[0].id}, date(2026, 6, 1))
    # then
    letter_pdf = (await producing.read(session, scope=ADMIN.scope, document_id=letter.id))[1]  # type: ignore[arg-type,index]
    certificate_id = await session.scalar(
        sa.select(Document.id).where(Document.sha256 == issued["documentSha256"])
    )
    certificate_pdf = (
        await producing.read(session, scope=ADMIN.scope, document_id=certificate_id)
    )[1]  # type: ignore[arg-type,index]
    assert "Zoë O'Brien-Łukasz" in text_of(letter_pdf)
    assert "Claritin (loratadine)" in text_of(letter_pdf)
    assert "Holder Family 0 (SUBSCRIBER)" in text_of(certificate_pdf)
    assert issued["certificateNumber"] in text_of(certificate_pdf)
    for name, pdf in (("letter", letter_pdf), ("certificate", certificate_pdf)):
        png = await _png(pdf, folder, name)
        assert png.startswith(b"\x89PNG") and len(png) > 5_000


async def test_the_shipped_campaign_letter_renders_to_a_page(
    session: AsyncSession, acme_policies: list[Policy], folder: Path
) -> None:
    # given what the coach's mail merge gives its letter
    data = {
        "today": "2026-12-03", "memberName": "Zoë O'Brien-Łukasz",
        "policyNumber": acme_policies[0].number, "groupClient": "Brightside Bakery LLC",
        "drugName": "Claritin 10 mg", "effectiveDate": "2027-01-01",
        "description": "Claritin is sold over the counter, without a prescription.",
    }  # fmt: skip
    # when
    letter = await producing.produce(
        session, actor=ADMIN, kind=DocumentKind.LETTER, template_code="coach-drug-letter",
        data=data, file_name="coach.pdf", policy_id=acme_policies[0].id,
    )  # fmt: skip
    # then
    pdf = (await producing.read(session, scope=ADMIN.scope, document_id=letter.id))[1]  # type: ignore[arg-type,index]
    assert letter.template_version == 0
    assert "Dear Zoë O'Brien-Łukasz" in text_of(pdf) and "Claritin 10 mg" in text_of(pdf)
    png = await _png(pdf, folder, "campaign-letter")
    assert png.startswith(b"\x89PNG") and len(png) > 5_000
