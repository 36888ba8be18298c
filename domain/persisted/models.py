"""The manifest of trusted documents."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.core.columns import UTCDateTime, utcnow


class TrustedDocument(SQLModel, table=True):
    """A GraphQL document an operator has trusted, kept by the SHA-256 of its exact text.

    A hash names one text for ever, so a row is never changed: a new version of a client's
    operations is a new row, and the old one stays until the last client using it is gone.
    """

    __tablename__ = "trusted_document"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, unique=True)
    """The lower-case hex SHA-256 of the text's UTF-8 bytes."""
    text: str = Field(sa_type=sa.Text)
    operation_names: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    """The document's operations, by name; an anonymous one as ''."""
    added_by: str = Field(max_length=200)
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
