"""The audit trail names who approved a change made on someone's behalf.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 12:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(
            sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_column("decided_by")
