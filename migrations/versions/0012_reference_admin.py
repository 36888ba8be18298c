"""Reference data admin (issue 15): lines of business, data access groups and products carry
a version, so that an admin's change to one is refused when made on an outdated copy; a
product parameter may list the values it allows.

Existing rows start at version 1; existing parameters allow any value.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("line_of_business", "data_access_group", "product")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("product_parameter") as batch:
        batch.add_column(sa.Column("allowed_values", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("product_parameter") as batch:
        batch.drop_column("allowed_values")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
