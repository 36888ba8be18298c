"""Enrolment files in (issue 16): each file a sender submits for a group client, with the
outcome of each of its rows.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade() -> None:
    op.create_table(
        "enrollment_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_client_id", sa.Integer(), nullable=False),
        sa.Column("format", _enum("ck_fileformat", "CSV", "X12_834"), nullable=False),
        sa.Column(
            "state",
            _enum(
                "ck_filestate",
                "RECEIVED",
                "VALIDATED",
                "APPLIED",
                "PARTIALLY_APPLIED",
                "REJECTED",
            ),
            nullable=False,
        ),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("interchange", sa.String(length=60), nullable=True),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_policies", sa.Integer(), nullable=False),
        sa.Column("received_members", sa.Integer(), nullable=False),
        sa.Column("applied_rows", sa.Integer(), nullable=False),
        sa.Column("unchanged_rows", sa.Integer(), nullable=False),
        sa.Column("refused_rows", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["group_client_id"], ["group_client.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("group_client_id", "idempotency_key", name="uq_enrollment_file_key"),
    )
    op.create_index("ix_enrollment_file_group_client_id", "enrollment_file", ["group_client_id"])
    op.create_table(
        "enrollment_file_row",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("employee_number", sa.String(length=100), nullable=False),
        sa.Column("action", _enum("ck_rowaction", "ADD", "TERMINATE"), nullable=False),
        sa.Column(
            "outcome",
            _enum("ck_rowoutcome", "APPLIED", "VALID", "NO_CHANGE", "REFUSED"),
            nullable=False,
        ),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["file_id"], ["enrollment_file.id"]),
        sa.ForeignKeyConstraint(["policy_id"], ["policy.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_enrollment_file_row_file_id", "enrollment_file_row", ["file_id"])


def downgrade() -> None:
    op.drop_table("enrollment_file_row")
    op.drop_table("enrollment_file")
