"""A workflow request keeps the sender's reach, so that its registration acts within it.

Requests sent before have none: their registration reaches no row and fails (they are sent
again), rather than acting with a reach nobody had.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workflow_request") as batch:
        batch.add_column(sa.Column("requester_scope", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workflow_request") as batch:
        batch.drop_column("requester_scope")
