"""Adding, removing and finding trusted documents."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import Action, changing
from domain.persisted.models import TrustedDocument


def sha256_of(text: str) -> str:
    """Return the lower-case hex SHA-256 of a text's UTF-8 bytes: a document's key."""
    return hashlib.sha256(text.encode()).hexdigest()


async def find(session: AsyncSession, *, sha256: str) -> TrustedDocument | None:
    """Return the trusted document with this hash, if there is one."""
    stmt = sa.select(TrustedDocument).where(col(TrustedDocument.sha256) == sha256)
    return await session.scalar(stmt)


async def find_text(session: AsyncSession, *, sha256: str) -> str | None:
    """Return the text of the trusted document with this hash, if there is one."""
    stmt = sa.select(col(TrustedDocument.text)).where(col(TrustedDocument.sha256) == sha256)
    return await session.scalar(stmt)


async def add(
    session: AsyncSession, *, actor: Actor, text: str, operation_names: list[str]
) -> tuple[TrustedDocument, bool]:
    """Trust a document (already checked against the schema); the row, and whether it is new.

    Adding a text again changes nothing: its hash names the same row.
    """
    known = await find(session, sha256=sha256_of(text))
    if known is not None:
        return known, False
    async with changing(
        session, actor, Action.TRUSTED_DOCUMENT_ADD, TrustedDocument, marks_changed=False
    ) as change:
        row = change.add(
            TrustedDocument(
                sha256=sha256_of(text),
                text=text,
                operation_names=operation_names,
                added_by=actor.subject,
            )
        )
    return row, True


async def remove(session: AsyncSession, *, actor: Actor, sha256: str) -> TrustedDocument | None:
    """Stop trusting a document; the removed row, or None when no document has this hash."""
    known = await find(session, sha256=sha256)
    if known is None:
        return None
    async with changing(
        session, actor, Action.TRUSTED_DOCUMENT_REMOVE, TrustedDocument, known.id,
        marks_changed=False,
    ) as change:  # fmt: skip
        await change.delete()
    return change.row


async def list_documents(session: AsyncSession) -> list[TrustedDocument]:
    """Return every trusted document, the first added first."""
    stmt = sa.select(TrustedDocument).order_by(
        col(TrustedDocument.added_at), col(TrustedDocument.id)
    )
    return list(await session.scalars(stmt))
