"""The end of a document's retention: its row and its PDF are deleted, each change audited.

A campaign keeps that it wrote to a member (campaign_letter, its document_id set to NULL by
the database), so a purged letter is never made again by a run done twice.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import Action, changing
from domain.core.columns import utcnow
from domain.core.reach import visible
from domain.documents.models import Document

BATCH = 1000


async def purge_expired(
    session: AsyncSession, *, actor: Actor, today: date | None = None, limit: int = BATCH
) -> int:
    """Delete up to `limit` documents the actor reaches whose retention ended before `today`
    (the day after `retain_until`); how many."""
    day = today or utcnow().date()
    ids = list(
        await session.scalars(
            sa.select(col(Document.id))
            .where(col(Document.retain_until) < day, visible(actor.scope, Document))
            .order_by(col(Document.id))
            .limit(limit)
        )
    )
    for document_id in ids:
        async with changing(
            session, actor, Action.DOCUMENT_PURGE, Document, document_id, marks_changed=False
        ) as change:
            await change.delete()
    return len(ids)
