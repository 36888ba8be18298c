"""Enrolment files: 834 reinstatements, changes and audits, and progress of large files
applied in the background (issue 16).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = ("ADD", "TERMINATE")
_AFTER = (*_BEFORE, "REINSTATE", "CHANGE", "AUDIT")


def _action(*values: str) -> sa.Enum:
    return sa.Enum(
        *values, name="ck_rowaction", native_enum=False, create_constraint=True, length=20
    )


def upgrade() -> None:
    with op.batch_alter_table("enrollment_file") as batch:
        batch.add_column(sa.Column("rows_total", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("rows_done", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("content", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("sender_scope", sa.JSON(), nullable=True))
    with op.batch_alter_table("enrollment_file_row") as batch:
        batch.alter_column(
            "action",
            type_=_action(*_AFTER),
            existing_type=_action(*_BEFORE),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("enrollment_file_row") as batch:
        batch.alter_column(
            "action",
            type_=_action(*_BEFORE),
            existing_type=_action(*_AFTER),
            existing_nullable=False,
        )
    with op.batch_alter_table("enrollment_file") as batch:
        batch.drop_column("sender_scope")
        batch.drop_column("content")
        batch.drop_column("rows_done")
        batch.drop_column("rows_total")
