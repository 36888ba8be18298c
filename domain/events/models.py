"""The outbox: one domain event per change, written in the change's own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.core.columns import UTCDateTime, utcnow


class DomainEvent(SQLModel, table=True):
    """What changed, for partners: a typed event about one row, numbered per row."""

    __tablename__ = "domain_event"
    __table_args__ = (
        # Two writers of one row never give it the same number: the second one's transaction
        # fails (and retries) rather than publish a gap or a duplicate.
        sa.UniqueConstraint(
            "subject_type", "subject_id", "sequence", name="uq_domain_event_subject_sequence"
        ),
        # The feed's order (domain.events.order).
        sa.Index("ix_domain_event_position", "transaction_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    """The feed's cursor: an event's place is (transaction_id, id), see domain.events.order."""
    transaction_id: int = Field(
        default=0, sa_type=sa.BigInteger, sa_column_kwargs={"server_default": "0"}
    )
    """The writing transaction's id on PostgreSQL, raised to the previous event's about the
    same row if lower; 0 on SQLite and for events written before it was recorded."""
    type: str = Field(max_length=60, index=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str = Field(max_length=200)
    subject_type: str = Field(max_length=60)
    subject_id: int
    sequence: int
    """1 for a row's first event, then one more for each next event about the row."""
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)


class DomainEventGroupClient(SQLModel, table=True):
    """A group client an event concerns: the feed filters on it."""

    __tablename__ = "domain_event_group_client"

    event_id: int = Field(foreign_key="domain_event.id", primary_key=True, ondelete="CASCADE")
    group_client_id: int = Field(primary_key=True, index=True)
    """No foreign key: an event outlives a deleted client, and a partner still learns of it."""
