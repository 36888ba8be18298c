"""settings on the levels of a group, and their reference data

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 00:25:37.068460
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "adjustment_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "PERCENTAGE",
                "AMOUNT",
                name="ck_adjustmentkind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("value", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adjustment_rule")),
        sa.UniqueConstraint("code", name=op.f("uq_adjustment_rule_code")),
    )
    op.create_table(
        "billing_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_account")),
        sa.UniqueConstraint("code", name=op.f("uq_billing_account_code")),
    )
    op.create_table(
        "broker_agent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_agent")),
        sa.UniqueConstraint("code", name=op.f("uq_broker_agent_code")),
    )
    op.create_table(
        "premium_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premium_schedule")),
        sa.UniqueConstraint("code", name=op.f("uq_premium_schedule_code")),
    )
    op.create_table(
        "provider_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_group")),
        sa.UniqueConstraint("code", name=op.f("uq_provider_group_code")),
    )
    op.create_table(
        "premium_rate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("premium_schedule_id", sa.Integer(), nullable=False),
        sa.Column("age_from", sa.Integer(), nullable=False),
        sa.Column("age_to", sa.Integer(), nullable=False),
        sa.Column(
            "coverage_tier",
            sa.Enum(
                "EMPLOYEE_ONLY",
                "EMPLOYEE_SPOUSE",
                "EMPLOYEE_CHILDREN",
                "FAMILY",
                name="ck_coveragetier",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.CheckConstraint("age_to >= age_from", name=op.f("ck_premium_rate_age_band")),
        sa.ForeignKeyConstraint(
            ["premium_schedule_id"],
            ["premium_schedule.id"],
            name=op.f("fk_premium_rate_premium_schedule_id_premium_schedule"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premium_rate")),
    )
    with op.batch_alter_table("premium_rate", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_premium_rate_premium_schedule_id"), ["premium_schedule_id"], unique=False
        )

    op.create_table(
        "product_parameter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_product_parameter_product_id_product")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_parameter")),
        sa.UniqueConstraint(
            "product_id", "name", name=op.f("uq_product_parameter_product_id_name")
        ),
    )
    with op.batch_alter_table("product_parameter", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_product_parameter_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "adjustment_period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_account_id", sa.Integer(), nullable=False),
        sa.Column("adjustment_rule_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("value", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date",
            name=op.f("ck_adjustment_period_end_after_start"),
        ),
        sa.ForeignKeyConstraint(
            ["adjustment_rule_id"],
            ["adjustment_rule.id"],
            name=op.f("fk_adjustment_period_adjustment_rule_id_adjustment_rule"),
        ),
        sa.ForeignKeyConstraint(
            ["group_account_id"],
            ["group_account.id"],
            name=op.f("fk_adjustment_period_group_account_id_group_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adjustment_period")),
    )
    with op.batch_alter_table("adjustment_period", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_adjustment_period_adjustment_rule_id"),
            ["adjustment_rule_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_adjustment_period_group_account_id"), ["group_account_id"], unique=False
        )

    op.create_table(
        "setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
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
            nullable=False,
        ),
        sa.Column("group_client_id", sa.Integer(), nullable=True),
        sa.Column("group_account_id", sa.Integer(), nullable=True),
        sa.Column("group_account_product_id", sa.Integer(), nullable=True),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("enrollment_product_id", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("premium_schedule_id", sa.Integer(), nullable=True),
        sa.Column("adjustment_rule_id", sa.Integer(), nullable=True),
        sa.Column("broker_agent_id", sa.Integer(), nullable=True),
        sa.Column("billing_account_id", sa.Integer(), nullable=True),
        sa.Column("provider_group_id", sa.Integer(), nullable=True),
        sa.Column("parameter_name", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column("value_text", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("value_decimal", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(CASE WHEN group_client_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN group_account_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN group_account_product_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN policy_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN enrollment_product_id IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_setting_one_owner"),
        ),
        sa.CheckConstraint(
            "start_date IS NULL OR end_date IS NULL OR end_date >= start_date",
            name=op.f("ck_setting_end_after_start"),
        ),
        sa.ForeignKeyConstraint(
            ["adjustment_rule_id"],
            ["adjustment_rule.id"],
            name=op.f("fk_setting_adjustment_rule_id_adjustment_rule"),
        ),
        sa.ForeignKeyConstraint(
            ["billing_account_id"],
            ["billing_account.id"],
            name=op.f("fk_setting_billing_account_id_billing_account"),
        ),
        sa.ForeignKeyConstraint(
            ["broker_agent_id"],
            ["broker_agent.id"],
            name=op.f("fk_setting_broker_agent_id_broker_agent"),
        ),
        sa.ForeignKeyConstraint(
            ["enrollment_product_id"],
            ["enrollment_product.id"],
            name=op.f("fk_setting_enrollment_product_id_enrollment_product"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_account_id"],
            ["group_account.id"],
            name=op.f("fk_setting_group_account_id_group_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_account_product_id"],
            ["group_account_product.id"],
            name=op.f("fk_setting_group_account_product_id_group_account_product"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_client_id"],
            ["group_client.id"],
            name=op.f("fk_setting_group_client_id_group_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["policy.id"],
            name=op.f("fk_setting_policy_id_policy"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["premium_schedule_id"],
            ["premium_schedule.id"],
            name=op.f("fk_setting_premium_schedule_id_premium_schedule"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_group_id"],
            ["provider_group.id"],
            name=op.f("fk_setting_provider_group_id_provider_group"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_setting")),
    )
    with op.batch_alter_table("setting", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_setting_enrollment_product_id"), ["enrollment_product_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_setting_group_account_id"), ["group_account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_setting_group_account_product_id"),
            ["group_account_product_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_setting_group_client_id"), ["group_client_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_setting_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_setting_policy_id"), ["policy_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("setting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_setting_policy_id"))
        batch_op.drop_index(batch_op.f("ix_setting_kind"))
        batch_op.drop_index(batch_op.f("ix_setting_group_client_id"))
        batch_op.drop_index(batch_op.f("ix_setting_group_account_product_id"))
        batch_op.drop_index(batch_op.f("ix_setting_group_account_id"))
        batch_op.drop_index(batch_op.f("ix_setting_enrollment_product_id"))

    op.drop_table("setting")
    with op.batch_alter_table("adjustment_period", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adjustment_period_group_account_id"))
        batch_op.drop_index(batch_op.f("ix_adjustment_period_adjustment_rule_id"))

    op.drop_table("adjustment_period")
    with op.batch_alter_table("product_parameter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_parameter_product_id"))

    op.drop_table("product_parameter")
    with op.batch_alter_table("premium_rate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_premium_rate_premium_schedule_id"))

    op.drop_table("premium_rate")
    op.drop_table("provider_group")
    op.drop_table("premium_schedule")
    op.drop_table("broker_agent")
    op.drop_table("billing_account")
    op.drop_table("adjustment_rule")
