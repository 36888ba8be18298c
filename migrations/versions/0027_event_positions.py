"""Events out (issue 17): each event records its writing transaction, and the feed is read in
(transaction, id) order below the oldest transaction still open (domain.events.order), so
writers no longer take one lock to make ids follow commit order.

Events written before this migration record 0: they come first, in id order, as before.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("domain_event") as batch:
        batch.add_column(
            sa.Column("transaction_id", sa.BigInteger(), nullable=False, server_default="0")
        )
    op.create_index("ix_domain_event_position", "domain_event", ["transaction_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_domain_event_position", table_name="domain_event")
    with op.batch_alter_table("domain_event") as batch:
        batch.drop_column("transaction_id")
