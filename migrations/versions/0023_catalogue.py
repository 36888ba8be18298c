"""The self-service catalogue (issue 22): upgrade paths and purchasable services per group
account, each with a price and the employer's share, for a period.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIERS = ("EMPLOYEE_ONLY", "EMPLOYEE_SPOUSE", "EMPLOYEE_CHILDREN", "FAMILY")


def _tier(name: str) -> sa.Enum:
    return sa.Enum(*_TIERS, name=f"ck_{name}", native_enum=False, create_constraint=True, length=20)


def upgrade() -> None:
    op.create_table(
        "catalogue_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_account_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "UPGRADE",
                "SERVICE",
                name="ck_itemkind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("from_product_id", sa.Integer(), nullable=True),
        sa.Column("from_tier", _tier("from_tier"), nullable=True),
        sa.Column("to_product_id", sa.Integer(), nullable=True),
        sa.Column("to_tier", _tier("to_tier"), nullable=True),
        sa.Column("price", sa.Numeric(14, 2), nullable=False),
        sa.Column("employer_share", sa.Numeric(14, 2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date",
            name=op.f("ck_catalogue_item_end_after_start"),
        ),
        sa.CheckConstraint(
            "employer_share >= 0 AND employer_share <= price",
            name=op.f("ck_catalogue_item_share"),
        ),
        sa.ForeignKeyConstraint(
            ["group_account_id"],
            ["group_account.id"],
            name=op.f("fk_catalogue_item_group_account_id_group_account"),
        ),
        sa.ForeignKeyConstraint(
            ["from_product_id"],
            ["product.id"],
            name=op.f("fk_catalogue_item_from_product_id_product"),
        ),
        sa.ForeignKeyConstraint(
            ["to_product_id"], ["product.id"], name=op.f("fk_catalogue_item_to_product_id_product")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_item")),
    )
    op.create_index(
        op.f("ix_catalogue_item_group_account_id"), "catalogue_item", ["group_account_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_catalogue_item_group_account_id"), table_name="catalogue_item")
    op.drop_table("catalogue_item")
