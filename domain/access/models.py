"""Grants kept in the database, and partners' API keys."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from authz.principal import GrantKind, Role
from domain.core.columns import UTCDateTime, enum_column, utcnow


class AccessGrant(SQLModel, table=True):
    """A role a subject holds on one group client, data access group or line of business."""

    __tablename__ = "access_grant"
    __table_args__ = (sa.UniqueConstraint("subject", "role", "kind", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=100, index=True)
    role: Role = Field(sa_type=enum_column(Role))
    kind: GrantKind = Field(sa_type=enum_column(GrantKind))
    code: str = Field(max_length=30)
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApiKey(SQLModel, table=True):
    """A partner's or a vendor's system's key: shown once, kept only as a hash, revocable,
    expiring."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=30, unique=True)
    prefix: str = Field(max_length=16, unique=True)
    role: Role = Field(default=Role.PARTNER, sa_type=enum_column(Role))
    """The role it signs in with: `partner`, or `vendor` (whose work is its stored grants)."""
    secret_hash: str = Field(max_length=64)
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def subject(self) -> str:
        """The principal the key signs in as; its grants are stored under this subject."""
        return f"apikey:{self.name}"
