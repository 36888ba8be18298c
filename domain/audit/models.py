"""The audit trail: one event per change, written in the change's own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.core.columns import UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    """Who changed what, when, and the state before and after."""

    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_entity", "entity_type", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=200, index=True)
    decided_by: str | None = Field(default=None, max_length=200)
    """Who approved the change when it was made on the actor's behalf (a workflow request)."""
    action: str = Field(max_length=60, index=True)
    entity_type: str = Field(max_length=60)
    entity_id: int
    before: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
