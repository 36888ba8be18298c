"""An e-mail waiting to be sent, or sent, or given up on."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.core.columns import UTCDateTime, enum_column, utcnow


class MailState(StrEnum):
    """QUEUED until the server accepts it (SENT), or FAILED after the last attempt."""

    QUEUED = "QUEUED"
    SENT = "SENT"
    FAILED = "FAILED"


class OutgoingMail(SQLModel, table=True):
    """One message, its recipients and the documents it carries, and how sending went."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (sa.Index("ix_outgoing_mail_due", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    recipients: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    subject: str = Field(max_length=300)
    body: str = Field(sa_type=sa.Text)
    attachments: list[int] = Field(default_factory=list, sa_type=sa.JSON)
    """Ids of documents, attached as their PDFs."""
    state: MailState = Field(default=MailState.QUEUED, sa_type=enum_column(MailState))
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
