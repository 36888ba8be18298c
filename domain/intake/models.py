"""An enrolment file received for a group client, and the outcome of each of its rows."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.core.columns import UTCDateTime, enum_column, utcnow


class FileFormat(StrEnum):
    """How a file is written."""

    CSV = "CSV"
    X12_834 = "X12_834"


class FileState(StrEnum):
    """Where a file is: checked only (a dry run), applied in whole or in part, or refused."""

    RECEIVED = "RECEIVED"
    VALIDATED = "VALIDATED"
    APPLIED = "APPLIED"
    PARTIALLY_APPLIED = "PARTIALLY_APPLIED"
    REJECTED = "REJECTED"


class RowAction(StrEnum):
    """What a row asks for."""

    ADD = "ADD"
    TERMINATE = "TERMINATE"
    REINSTATE = "REINSTATE"
    """An 834's 025: a terminated policy (or a dependant's ended cover) runs again."""
    CHANGE = "CHANGE"
    """An 834's 001: names, birth date, gender, account, product or tier of a known member."""
    AUDIT = "AUDIT"
    """An 834's 030: a full file's member, compared with what is known and made so."""


class RowOutcome(StrEnum):
    """What became of a row."""

    APPLIED = "APPLIED"
    VALID = "VALID"
    """A dry run found nothing wrong: applying the file would apply the row."""
    NO_CHANGE = "NO_CHANGE"
    """What the row asks for is already true."""
    REFUSED = "REFUSED"


class EnrollmentFile(SQLModel, table=True):
    """A file of enrolments a sender submitted for one group client, and what came of it."""

    __tablename__ = "enrollment_file"
    __table_args__ = (
        # A key names one submission of a client's: sending it again returns the first answer.
        sa.UniqueConstraint("group_client_id", "idempotency_key", name="uq_enrollment_file_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    group_client_id: int = Field(foreign_key="group_client.id", index=True)
    format: FileFormat = Field(sa_type=enum_column(FileFormat))
    state: FileState = Field(sa_type=enum_column(FileState))
    dry_run: bool = False
    idempotency_key: str | None = Field(default=None, max_length=100)
    file_name: str | None = Field(default=None, max_length=200)
    sha256: str = Field(max_length=64)
    interchange: str | None = Field(default=None, max_length=60)
    """An 834's sender (ISA06) and control number (ISA13), as `sender/number`."""
    submitted_by: str = Field(max_length=200)
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    received_policies: int = 0
    received_members: int = 0
    applied_rows: int = 0
    unchanged_rows: int = 0
    refused_rows: int = 0
    errors: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    """Problems of the file as a whole (its encoding, its header), each {field, code, message}."""
    rows_total: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """The rows to apply; with rows_done, how far a file applied in the background is."""
    rows_done: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    content: bytes | None = Field(default=None, sa_type=sa.LargeBinary, repr=False)
    """A large file's bytes until its background job has applied it (then cleared)."""
    sender_scope: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    """The sender's reach when they sent a large file: its job applies it within that."""


class EnrollmentFileRow(SQLModel, table=True):
    """One row of a file: its line, what it asked for, what became of it and why."""

    __tablename__ = "enrollment_file_row"

    id: int | None = Field(default=None, primary_key=True)
    file_id: int = Field(foreign_key="enrollment_file.id", index=True)
    line: int
    employee_number: str = Field(max_length=100)
    action: RowAction = Field(sa_type=enum_column(RowAction))
    outcome: RowOutcome = Field(sa_type=enum_column(RowOutcome))
    errors: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    """Each {field: [column], code, message}: the column at fault and why."""
    policy_id: int | None = Field(default=None, foreign_key="policy.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
