"""Premiums and bills (issue 19): rates with periods and product parameter values, the
employer's contribution as a setting, premium runs and their charges.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = (
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
)
_NEW_KINDS = (*_KINDS, "EMPLOYER_CONTRIBUTION")
_CHECK = "ck_setting_ck_settingkind"


def _kinds(kinds: tuple[str, ...]) -> None:
    with op.batch_alter_table("setting") as batch:
        batch.drop_constraint(op.f(_CHECK), type_="check")
        batch.create_check_constraint(
            op.f(_CHECK), "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"
        )


def _money() -> sa.Numeric:
    return sa.Numeric(14, 2)


def upgrade() -> None:
    with op.batch_alter_table("premium_rate") as batch:
        batch.add_column(sa.Column("start_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("end_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("parameter_name", sa.String(length=50), nullable=True))
        batch.add_column(sa.Column("parameter_value", sa.String(length=100), nullable=True))
        batch.create_check_constraint(
            op.f("ck_premium_rate_end_after_start"),
            "start_date IS NULL OR end_date IS NULL OR end_date >= start_date",
        )
    _kinds(_NEW_KINDS)
    op.create_table(
        "premium_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("group_client_id", sa.Integer(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "QUEUED",
                "RUNNING",
                "DONE",
                "FAILED",
                name="ck_runstatus",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.Column("started_scope", sa.JSON(), nullable=False),
        sa.Column("policies_total", sa.Integer(), nullable=False),
        sa.Column("policies_done", sa.Integer(), nullable=False),
        sa.Column("charges_added", sa.Integer(), nullable=False),
        sa.Column("amount_added", _money(), nullable=False),
        sa.Column("skipped", sa.JSON(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_client_id"],
            ["group_client.id"],
            name=op.f("fk_premium_run_group_client_id_group_client"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premium_run")),
    )
    op.create_index(op.f("ix_premium_run_period"), "premium_run", ["period"])
    op.create_index(op.f("ix_premium_run_group_client_id"), "premium_run", ["group_client_id"])
    op.create_table(
        "premium_charge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("group_client_id", sa.Integer(), nullable=False),
        sa.Column("group_account_id", sa.Integer(), nullable=False),
        sa.Column("billing_account_id", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", _money(), nullable=False),
        sa.Column("employer_amount", _money(), nullable=False),
        sa.Column("employee_amount", _money(), nullable=False),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        *(
            sa.ForeignKeyConstraint(
                [column],
                [f"{table}.id"],
                name=op.f(f"fk_premium_charge_{column}_{table}"),
                **({"ondelete": "CASCADE"} if column == "run_id" else {}),
            )
            for column, table in (
                ("run_id", "premium_run"),
                ("policy_id", "policy"),
                ("product_id", "product"),
                ("group_client_id", "group_client"),
                ("group_account_id", "group_account"),
                ("billing_account_id", "billing_account"),
                ("reverses_id", "premium_charge"),
            )
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premium_charge")),
    )
    op.create_index(op.f("ix_premium_charge_run_id"), "premium_charge", ["run_id"])
    op.create_index(
        op.f("ix_premium_charge_group_client_id"), "premium_charge", ["group_client_id"]
    )
    op.create_index("ix_premium_charge_policy_period", "premium_charge", ["policy_id", "period"])


def downgrade() -> None:
    op.drop_table("premium_charge")
    op.drop_table("premium_run")
    op.execute("DELETE FROM setting WHERE kind = 'EMPLOYER_CONTRIBUTION'")
    _kinds(_KINDS)
    with op.batch_alter_table("premium_rate") as batch:
        batch.drop_constraint(op.f("ck_premium_rate_end_after_start"), type_="check")
        batch.drop_column("parameter_value")
        batch.drop_column("parameter_name")
        batch.drop_column("end_date")
        batch.drop_column("start_date")
