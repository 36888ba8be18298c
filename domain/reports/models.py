"""Exports: a file of rows made in the background for the one who asked, and its progress."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.core.columns import UTCDateTime, enum_column, utcnow


class ExportKind(StrEnum):
    """What an export holds."""

    POLICIES = "POLICIES"
    MEMBERS = "MEMBERS"
    WORKFLOW_REQUESTS = "WORKFLOW_REQUESTS"
    AUDIT_EVENTS = "AUDIT_EVENTS"


class ExportFormat(StrEnum):
    """How an export file is written."""

    CSV = "CSV"


class ExportState(StrEnum):
    """Where an export is: waiting for a worker, being written, ready, or failed."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    READY = "READY"
    FAILED = "FAILED"


_export_version = sa.Column("version", sa.Integer, nullable=False)


class Export(SQLModel, table=True):
    """An export asked for: what, by whom, within which reach, and how far it has come.

    The reach and field rules are the requester's when they asked (kept as `scope`, like a
    workflow request's `requester_scope`): the file holds what they could read then, and
    only they (and admins) may download it.
    """

    __tablename__ = "export"

    id: int | None = Field(default=None, primary_key=True)
    kind: ExportKind = Field(sa_type=enum_column(ExportKind, 30))
    format: ExportFormat = Field(sa_type=enum_column(ExportFormat))
    state: ExportState = Field(sa_type=enum_column(ExportState), index=True)
    filter: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    requested_by: str = Field(max_length=200, index=True)
    scope: Any = Field(default=None, sa_type=sa.JSON, nullable=True)
    """The rows the requester reached (authz.access.RowScope.to_json) for the kind's need."""
    groups_scope: Any = Field(default=None, sa_type=sa.JSON, nullable=True)
    """The group clients they reached: a filter naming one they could not see matches none."""
    personal: bool = False
    """Whether they could read personal fields: without, those columns are left empty."""
    total_rows: int | None = None
    """How many rows the file will hold, once counted."""
    written_rows: int = 0
    file_path: str | None = Field(default=None, max_length=1000)
    byte_size: int | None = Field(default=None, sa_type=sa.BigInteger)
    error: str | None = Field(default=None, max_length=500)
    version: int = Field(default=1, sa_column=_export_version)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    __mapper_args__: ClassVar = {"version_id_col": _export_version}
