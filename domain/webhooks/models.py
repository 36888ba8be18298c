"""Webhook endpoints, and one delivery row per event an endpoint is to receive."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.core.columns import UTCDateTime, enum_column, utcnow


class DeliveryStatus(StrEnum):
    """Where a delivery stands."""

    PENDING = "PENDING"
    """Not yet accepted by the receiver: waiting for its turn or for its next attempt."""
    DELIVERED = "DELIVERED"
    DEAD = "DEAD"
    """Every attempt failed (or the endpoint is gone): shown, sent again only on request."""


class WebhookEndpoint(SQLModel, table=True):
    """A URL that receives the events its owner may see, signed with its own secret."""

    __tablename__ = "webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    event_types: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    """The event types it receives; empty: every type."""
    group_client_codes: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    """Only events concerning these clients (and their subtrees' rows); empty: all it reaches."""
    owner: str = Field(max_length=200, index=True)
    """The subject who made it: its events are those this subject may see when each is sent."""
    principal: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    """The owner's roles and token grants at creation; stored grants are read at each send."""
    secret: str = Field(max_length=100)
    """The signing key (whsec_...): needed in clear to sign, never shown after creation."""
    enabled: bool = True
    disabled_reason: str | None = Field(default=None, max_length=200)
    cursor: int = 0
    """The last event id turned into deliveries: events after it are still to be looked at."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: its body as first built, and how sending it went."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        sa.UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_delivery_event"),
        # The head of a subject's queue: its oldest delivery not yet settled.
        sa.Index(
            "ix_webhook_delivery_subject", "endpoint_id", "subject_type", "subject_id", "status"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id", ondelete="CASCADE")
    event_id: int = Field(foreign_key="domain_event.id", ondelete="CASCADE", index=True)
    event_type: str = Field(max_length=60)
    subject_type: str = Field(max_length=60)
    subject_id: int
    body: str
    """The JSON sent, fixed when the delivery is made: every attempt sends the same bytes."""
    status: DeliveryStatus = Field(
        default=DeliveryStatus.PENDING, sa_type=enum_column(DeliveryStatus)
    )
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
