"""Validation rules an admin configures at run time for approving group clients."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.core.columns import UTCDateTime, enum_column, utcnow
from domain.settings.models import SettingKind


class RuleLevel(StrEnum):
    """Which objects a rule looks at when a group client is validated."""

    GROUP_CLIENT = "GROUP_CLIENT"
    GROUP_ACCOUNT = "GROUP_ACCOUNT"


class Severity(StrEnum):
    """ERROR blocks approval; WARNING is reported and does not."""

    ERROR = "ERROR"
    WARNING = "WARNING"


_rule_version = sa.Column("version", sa.Integer, nullable=False)


class ValidationRule(SQLModel, table=True):
    """When its condition holds for an object, a rule reports its message, or, if it has an
    enrichment, sets that setting on the object instead."""

    __tablename__ = "validation_rule"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=30, unique=True)
    level: RuleLevel = Field(sa_type=enum_column(RuleLevel))
    sequence: int = Field(index=True)
    condition: Any = Field(sa_type=sa.JSON)
    message: str = Field(max_length=500)
    severity: Severity = Field(sa_type=enum_column(Severity))
    enabled: bool = True
    enrichment_setting: SettingKind | None = Field(
        default=None, sa_type=enum_column(SettingKind, 30)
    )
    enrichment_value: str | None = Field(default=None, max_length=100)
    version: int = Field(default=1, sa_column=_rule_version)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    __mapper_args__: ClassVar = {"version_id_col": _rule_version}
