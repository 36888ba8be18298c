"""Events out (issue 17): the outbox of domain events, one per change, numbered per subject,
with the group clients each concerns.

Changes made before this migration have no events: the feed starts here.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "domain_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=60), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("subject_type", sa.String(length=60), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "subject_type", "subject_id", "sequence", name="uq_domain_event_subject_sequence"
        ),
    )
    op.create_index("ix_domain_event_type", "domain_event", ["type"])
    op.create_table(
        "domain_event_group_client",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("group_client_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["domain_event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id", "group_client_id"),
    )
    op.create_index(
        "ix_domain_event_group_client_group_client_id",
        "domain_event_group_client",
        ["group_client_id"],
    )


def downgrade() -> None:
    op.drop_table("domain_event_group_client")
    op.drop_table("domain_event")
