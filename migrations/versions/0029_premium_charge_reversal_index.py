"""An index on `premium_charge.reverses_id`, the charge a reversal cancels.

PostgreSQL indexes a foreign key's target, never the column that refers to it: without this
index, finding the reversal of a charge reads the whole table, and so does each charge deleted
(a premium run's cascade), to check that no reversal still names it.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04 02:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_premium_charge_reverses_id"), "premium_charge", ["reverses_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_premium_charge_reverses_id"), table_name="premium_charge")
