"""Letter templates, and the documents made with them (their bytes kept apart)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.core.columns import UTCDateTime, enum_column, utcnow


class DocumentKind(StrEnum):
    """What a document is; each kind has its own retention and the data it may be given."""

    LETTER = "LETTER"
    CERTIFICATE = "CERTIFICATE"
    ID_CARD = "ID_CARD"
    BILL = "BILL"
    """A month's premium bill of a group client (or of one policy, billed per employee)."""


class TemplateState(StrEnum):
    """A template is used only once an admin approved it."""

    DRAFT = "DRAFT"
    APPROVED = "APPROVED"


class LetterTemplate(SQLModel, table=True):
    """One version of a Typst template; a new text is a new version, never an edit."""

    __tablename__ = "letter_template"
    __table_args__ = (sa.UniqueConstraint("code", "version", name="uq_letter_template_version"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=60, index=True)
    version: int
    kind: DocumentKind = Field(sa_type=enum_column(DocumentKind))
    body: str = Field(sa_type=sa.Text)
    fields: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    """The names of the data it reads (as `data.<name>`); it is given these and nothing else."""
    state: TemplateState = Field(default=TemplateState.DRAFT, sa_type=enum_column(TemplateState))
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    approved_by: str | None = Field(default=None, max_length=200)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Document(SQLModel, table=True):
    """A PDF made for a subject: a policy (and its members) or a group client."""

    __tablename__ = "document"

    id: int | None = Field(default=None, primary_key=True)
    kind: DocumentKind = Field(sa_type=enum_column(DocumentKind))
    policy_id: int | None = Field(default=None, foreign_key="policy.id", index=True)
    group_client_id: int | None = Field(default=None, foreign_key="group_client.id", index=True)
    template_code: str = Field(max_length=60)
    template_version: int
    """0 for the template shipped with the server (reviewed with its code)."""
    file_name: str = Field(max_length=200)
    sha256: str = Field(max_length=64)
    size: int
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    retain_until: date


class DocumentContent(SQLModel, table=True):
    """A document's bytes, apart from its row so that lists never read them."""

    __tablename__ = "document_content"

    document_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("document.id", ondelete="CASCADE"), primary_key=True
        )
    )
    content: bytes = Field(sa_type=sa.LargeBinary)
