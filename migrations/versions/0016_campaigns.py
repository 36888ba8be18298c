"""The automated coach's ground (issue 18): account teams and their group clients, drugs,
members' pharmacy claims summaries and market events.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = ("DRUG_OVER_THE_COUNTER", "PATENT_EXPIRY", "NEW_DRUG", "PRODUCT_CHANGE")


def upgrade() -> None:
    op.create_table(
        "account_team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "account_team_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_client_id", sa.Integer(), nullable=False),
        sa.Column("account_team_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["account_team_id"], ["account_team.id"]),
        sa.ForeignKeyConstraint(["group_client_id"], ["group_client.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("group_client_id"),
    )
    op.create_index(
        "ix_account_team_assignment_account_team_id",
        "account_team_assignment",
        ["account_team_id"],
    )
    op.create_table(
        "drug",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "claims_summary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("drug_id", sa.Integer(), nullable=False),
        sa.Column("last_fill_date", sa.Date(), nullable=False),
        sa.Column("fills_12_months", sa.Integer(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["drug_id"], ["drug.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "drug_id"),
    )
    op.create_index("ix_claims_summary_person_id", "claims_summary", ["person_id"])
    op.create_index("ix_claims_summary_drug_id", "claims_summary", ["drug_id"])
    op.create_table(
        "market_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                *_KINDS,
                name="ck_marketeventkind",
                native_enum=False,
                length=30,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("drug_codes", sa.JSON(), nullable=False),
        sa.Column("product_codes", sa.JSON(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    for table in ("market_event", "claims_summary", "drug", "account_team_assignment"):
        op.drop_table(table)
    op.drop_table("account_team")
