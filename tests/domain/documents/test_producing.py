"""Making documents: ID cards and letters, given only their data, kept with their SHA-256."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import POLICIES_READ, Access
from domain.core.columns import utcnow
from domain.core.errors import DomainError, ErrorCode
from domain.documents import producing, service
from domain.documents.cards import issue_id_card
from domain.documents.models import DocumentKind
from domain.policies.models import Person, Policy
from tests.domain.documents.conftest import ADMIN, REVIEWER
from tests.domain.documents.pdfs import text_of
from tests.factories import viewers

DAY = date(2026, 6, 1)
ATTACK = '#sys.exit() ] #read("/etc/passwd") " \\ $x^2$ *bold*'


async def test_an_id_card_prints_the_member_and_is_kept_with_its_hash(
    session: AsyncSession, acme_policies: list[Policy]
) -> None:
    # when
    card = await issue_id_card(session, actor=ADMIN, policy_id=acme_policies[0].id, day=DAY)  # type: ignore[arg-type]
    # then
    found = await producing.read(session, scope=ADMIN.scope, document_id=card.id)  # type: ignore[arg-type]
    assert found is not None
    row, pdf = found
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == row.sha256
    assert (row.kind, row.template_version, row.size) == (DocumentKind.ID_CARD, 0, len(pdf))
    assert row.retain_until == utcnow().date() + timedelta(days=731)
    text = text_of(pdf)
    assert "Holder Family 0" in text and acme_policies[0].number in text and "MED" in text


async def test_a_name_that_looks_like_typst_is_printed_as_it_is(
    session: AsyncSession, acme_policies: list[Policy]
) -> None:
    # given
    holder = await session.get_one(Person, acme_policies[0].subscriber_id)
    holder.given_name = ATTACK
    await session.flush()
    # when
    card = await issue_id_card(session, actor=ADMIN, policy_id=acme_policies[0].id, day=DAY)  # type: ignore[arg-type]
    # then
    found = await producing.read(session, scope=ADMIN.scope, document_id=card.id)  # type: ignore[arg-type]
    assert found is not None
    assert "".join(ATTACK.split()) in "".join(text_of(found[1]).split())


async def test_a_letter_uses_the_approved_version_and_gets_only_its_fields(
    session: AsyncSession, acme_policies: list[Policy]
) -> None:
    # given: version 1 approved, version 2 a draft
    body = "Dear #data.memberName,\n\n#data.drugName is now over the counter.\n"
    first = await service.create_template(
        session, actor=ADMIN, code="otc", kind=DocumentKind.LETTER, body=body,
        fields=["memberName", "drugName"],
    )  # fmt: skip
    await service.approve_template(session, actor=REVIEWER, template_id=first.id)  # type: ignore[arg-type]
    await service.create_template(
        session, actor=ADMIN, code="otc", kind=DocumentKind.LETTER, body="DRAFT",
        fields=[],
    )  # fmt: skip
    # when
    letter = await producing.produce(
        session,
        actor=ADMIN,
        kind=DocumentKind.LETTER,
        template_code="otc",
        data={"memberName": ATTACK, "drugName": "Claritin", "salary": "secret"},
        file_name="otc.pdf",
        policy_id=acme_policies[0].id,
    )
    # then
    found = await producing.read(session, scope=ADMIN.scope, document_id=letter.id)  # type: ignore[arg-type]
    assert found is not None
    text = text_of(found[1])
    assert "Claritin is now over the counter" in text and "DRAFT" not in text
    assert letter.template_version == 1


async def test_a_merge_that_does_not_give_a_declared_field_is_refused(
    session: AsyncSession, acme_policies: list[Policy]
) -> None:
    template = await service.create_template(
        session, actor=ADMIN, code="otc", kind=DocumentKind.LETTER, body="#data.drugName",
        fields=["drugName"],
    )  # fmt: skip
    await service.approve_template(session, actor=REVIEWER, template_id=template.id)  # type: ignore[arg-type]
    with pytest.raises(DomainError) as error:
        await producing.produce(
            session, actor=ADMIN, kind=DocumentKind.LETTER, template_code="otc", data={},
            file_name="x.pdf", policy_id=acme_policies[0].id,
        )  # fmt: skip
    assert error.value.problems[0].code is ErrorCode.FIELD_NOT_GIVEN


async def test_a_letter_without_an_approved_version_is_refused(
    session: AsyncSession, acme_policies: list[Policy]
) -> None:
    await service.create_template(
        session, actor=ADMIN, code="otc", kind=DocumentKind.LETTER, body="Hi", fields=[]
    )
    with pytest.raises(DomainError) as error:
        await producing.produce(
            session, actor=ADMIN, kind=DocumentKind.LETTER, template_code="otc", data={},
            file_name="x.pdf", policy_id=acme_policies[0].id,
        )  # fmt: skip
    assert error.value.problems[0].code is ErrorCode.NOT_FOUND


async def test_a_document_is_read_only_within_the_reach_of_its_policy(
    session: AsyncSession, acme_policies: list[Policy], globex_policies: list[Policy]
) -> None:
    # given
    card = await issue_id_card(session, actor=ADMIN, policy_id=acme_policies[0].id, day=DAY)  # type: ignore[arg-type]
    acme_hr = Access(viewers("ACME")["group_manager"]).scope(POLICIES_READ)
    globex_hr = Access(viewers("GLOBEX")["group_manager"]).scope(POLICIES_READ)
    # then
    assert await producing.read(session, scope=acme_hr, document_id=card.id) is not None  # type: ignore[arg-type]
    assert await producing.read(session, scope=globex_hr, document_id=card.id) is None  # type: ignore[arg-type]


async def test_an_id_card_of_a_policy_out_of_reach_reads_as_unknown(
    session: AsyncSession, acme_policies: list[Policy], globex_policies: list[Policy]
) -> None:
    globex_hr = Access(viewers("GLOBEX")["group_manager"]).actor(POLICIES_READ)
    with pytest.raises(DomainError) as error:
        await issue_id_card(session, actor=globex_hr, policy_id=acme_policies[0].id, day=DAY)  # type: ignore[arg-type]
    (problem,) = error.value.problems
    assert (problem.field, problem.code, problem.message) == (
        ("policyId",), ErrorCode.NOT_FOUND, "No policy with this id."
    )  # fmt: skip
