"""Dynamic fields (issue 22): their definitions, and a JSON column of values on group
clients, group accounts and policies (empty for every row that exists).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HOLDERS = ("group_client", "group_account", "policy")


def upgrade() -> None:
    op.create_table(
        "dynamic_field",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "target",
            sa.Enum(
                "GROUP_CLIENT",
                "GROUP_ACCOUNT",
                "POLICY",
                name="ck_fieldtarget",
                native_enum=False,
                length=20,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column(
            "value_type",
            sa.Enum(
                "TEXT",
                "NUMBER",
                "DATE",
                "ENUM",
                name="ck_fieldtype",
                native_enum=False,
                length=20,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("minimum", sa.String(length=30), nullable=True),
        sa.Column("maximum", sa.String(length=30), nullable=True),
        sa.Column("max_length", sa.Integer(), nullable=True),
        sa.Column("read_roles", sa.JSON(), nullable=False),
        sa.Column("write_roles", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("target", "code"),
    )
    for table in _HOLDERS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column(
                    "dynamic_fields", sa.JSON(), nullable=False, server_default=sa.text("'{}'")
                )
            )


def downgrade() -> None:
    for table in _HOLDERS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("dynamic_fields")
    op.drop_table("dynamic_field")
