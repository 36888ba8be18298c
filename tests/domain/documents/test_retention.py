"""The end of retention: a document past it is deleted with its PDF, audited; others stay."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import DOCUMENTS_ISSUE, Access
from domain.audit.models import AuditEvent
from domain.documents.cards import issue_id_card
from domain.documents.models import Document, DocumentContent
from domain.documents.retention import purge_expired
from domain.policies.models import Policy
from tests.domain.documents.conftest import ADMIN
from tests.factories import viewers

DAY = date(2026, 6, 1)


async def test_a_document_past_its_retention_goes_with_its_pdf(
    session: AsyncSession, acme_policies: list[Policy], globex_policies: list[Policy]
) -> None:
    # given an ID card of each, the first one's retention ended yesterday
    old = await issue_id_card(session, actor=ADMIN, policy_id=acme_policies[0].id, day=DAY)  # type: ignore[arg-type]
    kept = await issue_id_card(session, actor=ADMIN, policy_id=globex_policies[0].id, day=DAY)  # type: ignore[arg-type]
    today = kept.retain_until - timedelta(days=30)
    old.retain_until = today - timedelta(days=1)
    await session.flush()

    # when
    purged = await purge_expired(session, actor=ADMIN, today=today)

    # then
    assert purged == 1
    left = set(await session.scalars(sa.select(col(Document.id))))
    assert left == {kept.id}
    assert set(await session.scalars(sa.select(col(DocumentContent.document_id)))) == {kept.id}
    audit = await session.scalar(
        sa.select(AuditEvent).where(col(AuditEvent.action) == "documentPurge")
    )
    assert audit is not None and (audit.entity_id, audit.after) == (old.id, None)
    # and a second purge finds nothing
    assert await purge_expired(session, actor=ADMIN, today=today) == 0


async def test_a_purge_deletes_only_what_the_actor_reaches(
    session: AsyncSession, acme_policies: list[Policy], globex_policies: list[Policy]
) -> None:
    # given both past their retention
    for policy in (acme_policies[0], globex_policies[0]):
        card = await issue_id_card(session, actor=ADMIN, policy_id=policy.id, day=DAY)  # type: ignore[arg-type]
        card.retain_until = DAY
    await session.flush()
    globex_hr = Access(viewers("GLOBEX")["group_manager"]).actor(DOCUMENTS_ISSUE)

    # when
    purged = await purge_expired(session, actor=globex_hr, today=DAY + timedelta(days=1))

    # then
    assert purged == 1
    assert await session.scalar(sa.select(sa.func.count()).select_from(Document)) == 1
