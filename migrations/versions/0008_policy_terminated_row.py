"""A termination records what it changed, so that reinstating restores exactly that.

Policies terminated before get a record of the rows that ended on their end date, each then
open-ended (what reinstating reopened until now); the rows they withdrew are gone.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = {
    "MEMBER": "policy_member",
    "ACCOUNT_LINK": "policy_account_link",
    "CLASS_LINK": "policy_class_link",
    "PRODUCT": "enrollment_product",
}


def upgrade() -> None:
    op.create_table(
        "policy_terminated_row",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "MEMBER",
                "ACCOUNT_LINK",
                "CLASS_LINK",
                "PRODUCT",
                "SETTING",
                name="ck_rowkind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("changed_id", sa.Integer(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("withdrawn", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["policy.id"],
            name=op.f("fk_policy_terminated_row_policy_id_policy"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_terminated_row")),
    )
    with op.batch_alter_table("policy_terminated_row") as batch:
        batch.create_index(
            batch.f("ix_policy_terminated_row_policy_id"), ["policy_id"], unique=False
        )
    for kind, table in _KINDS.items():
        op.execute(
            "INSERT INTO policy_terminated_row (policy_id, kind, changed_id, end_date) "
            f"SELECT r.policy_id, '{kind}', r.id, NULL FROM {table} r "
            "JOIN policy p ON p.id = r.policy_id "
            "WHERE p.status = 'TERMINATED' AND r.end_date = p.end_date"
        )


def downgrade() -> None:
    with op.batch_alter_table("policy_terminated_row") as batch:
        batch.drop_index(batch.f("ix_policy_terminated_row_policy_id"))
    op.drop_table("policy_terminated_row")
