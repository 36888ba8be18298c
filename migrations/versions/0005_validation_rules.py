"""validation rules

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 00:36:49.782108
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "validation_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "GROUP_CLIENT",
                "GROUP_ACCOUNT",
                name="ck_rulelevel",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("condition", sa.JSON(), nullable=False),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column(
            "severity",
            sa.Enum(
                "ERROR",
                "WARNING",
                name="ck_severity",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column(
            "enrichment_setting",
            sa.Enum(
                "PREMIUM_SCHEDULE",
                "ADJUSTMENT",
                "BROKER_AGENT",
                "COLLECTION_SETTING",
                "BILLING_ACCOUNT",
                "BILL_ALLOCATION",
                "GROUP_COMMISSION_RATE",
                "PROCESS_FLOW",
                "ASSIGNED_PROVIDER_GROUP",
                "PARAMETER_VALUE",
                name="ck_settingkind",
                native_enum=False,
                create_constraint=True,
                length=30,
            ),
            nullable=True,
        ),
        sa.Column("enrichment_value", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_validation_rule")),
        sa.UniqueConstraint("code", name=op.f("uq_validation_rule_code")),
    )
    with op.batch_alter_table("validation_rule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_validation_rule_sequence"), ["sequence"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("validation_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_validation_rule_sequence"))

    op.drop_table("validation_rule")
