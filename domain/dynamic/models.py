"""Dynamic fields: extra fields an admin defines at run time on group clients, accounts and
policies, each with its type, its validation and who may read and write it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.core.columns import UTCDateTime, enum_column, utcnow


class FieldTarget(StrEnum):
    """The kind of row a dynamic field is kept on."""

    GROUP_CLIENT = "GROUP_CLIENT"
    GROUP_ACCOUNT = "GROUP_ACCOUNT"
    POLICY = "POLICY"


class FieldType(StrEnum):
    """What a dynamic field's value is."""

    TEXT = "TEXT"
    NUMBER = "NUMBER"
    DATE = "DATE"
    ENUM = "ENUM"


_version = sa.Column("version", sa.Integer, nullable=False)


class DynamicField(SQLModel, table=True):
    """The definition of one dynamic field: its code on its target, type, rules and usage.

    The values themselves live on the rows they describe (a JSON column `dynamic_fields`),
    so they share the row's reach, version and audit trail, and setting one is a change to
    that row through the one write path like any other of its fields.
    """

    __tablename__ = "dynamic_field"
    __table_args__ = (sa.UniqueConstraint("target", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    target: FieldTarget = Field(sa_type=enum_column(FieldTarget))
    code: str = Field(max_length=30)
    label: str = Field(max_length=200)
    value_type: FieldType = Field(sa_type=enum_column(FieldType))
    choices: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    """The allowed values of an ENUM field, in the order a form shows them."""
    minimum: str | None = Field(default=None, max_length=30)
    """The lowest NUMBER or earliest DATE allowed, as the value is written."""
    maximum: str | None = Field(default=None, max_length=30)
    max_length: int | None = None
    """The longest TEXT allowed (at most 1,000 characters in any case)."""
    read_roles: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    """The roles that may read the value; empty: whoever may read the row."""
    write_roles: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    """The roles that may set the value; empty: whoever may change the row."""
    version: int = Field(default=1, sa_column=_version)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _version}


def values_column() -> Any:
    """The column a row keeps its dynamic field values in: code -> value as text."""
    return Field(
        default_factory=dict,
        sa_column=sa.Column(
            "dynamic_fields", sa.JSON, nullable=False, server_default=sa.text("'{}'")
        ),
    )
