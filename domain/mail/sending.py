"""Sending queued mail: each due message in a transaction of its own, retried with backoff.

A message is claimed (on PostgreSQL `FOR UPDATE SKIP LOCKED`, so workers share the queue),
handed to the transport, and marked SENT in the same transaction. If that commit fails after
the server accepted it, it is sent again: delivery is at least once, as with any outbox.
A refusal or an outage counts an attempt and waits 1, 2, 4, ... minutes (at most an hour);
after MAX_ATTEMPTS the message is FAILED with the last error, for an operator to read.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from domain.core.columns import utcnow
from domain.core.transactions import atomic
from domain.documents.models import Document, DocumentContent
from domain.mail.models import MailState, OutgoingMail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
BATCH = 50


class Transport(Protocol):
    """Where messages go: an SMTP server, or a folder in development."""

    async def send(self, message: EmailMessage) -> None: ...


def backoff(attempts: int) -> timedelta:
    """How long to wait after this many failed attempts."""
    return min(LONGEST_WAIT, FIRST_WAIT * 2 ** max(attempts - 1, 0))


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession],
    transport: Transport,
    *,
    sender: str,
    now: datetime | None = None,
) -> int:
    """Send every message that is due, one transaction each; returns how many were sent."""
    sent = 0
    for _ in range(BATCH):
        async with sessions() as session, atomic(session):
            row = await _claim(session, now or utcnow())
            if row is None:
                return sent
            sent += await _attempt(session, row, transport, sender, now or utcnow())
    return sent


async def _claim(session: AsyncSession, now: datetime) -> OutgoingMail | None:
    stmt = (
        sa.select(OutgoingMail)
        .where(
            col(OutgoingMail.state) == MailState.QUEUED, col(OutgoingMail.next_attempt_at) <= now
        )
        .order_by(col(OutgoingMail.next_attempt_at), col(OutgoingMail.id))
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return await session.scalar(stmt)


async def _attempt(
    session: AsyncSession, row: OutgoingMail, transport: Transport, sender: str, now: datetime
) -> int:
    try:
        message = await _message(session, row, sender)
        await transport.send(message)
    except Exception as error:  # any refusal or outage: counted, kept, retried later
        row.attempts += 1
        row.last_error = f"{type(error).__name__}: {error}"[:500]
        if row.attempts >= MAX_ATTEMPTS:
            row.state = MailState.FAILED
        row.next_attempt_at = now + backoff(row.attempts)
        logger.warning("mail %s not sent (attempt %d): %s", row.id, row.attempts, row.last_error)
        return 0
    row.state, row.sent_at, row.attempts = MailState.SENT, now, row.attempts + 1
    return 1


async def _message(session: AsyncSession, row: OutgoingMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(row.recipients)
    message["Subject"] = row.subject
    message["Message-ID"] = make_msgid(idstring=f"groupcover-mail-{row.id}")
    message.set_content(row.body)
    for name, content in await _attachments(session, row.attachments):
        message.add_attachment(content, maintype="application", subtype="pdf", filename=name)
    return message


async def _attachments(session: AsyncSession, ids: Sequence[int]) -> list[tuple[str, bytes]]:
    if not ids:
        return []
    found = (
        await session.execute(
            sa.select(col(Document.file_name), col(DocumentContent.content))
            .join(DocumentContent, col(DocumentContent.document_id) == col(Document.id))
            .where(col(Document.id).in_(list(ids)))
            .order_by(col(Document.id))
        )
    ).all()
    return [(name, content) for name, content in found]
