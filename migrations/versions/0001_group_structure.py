"""group structure

Revision ID: 0001
Revises:
Create Date: 2026-11-23 18:48:36.374952
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("entity_type", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_actor"), ["actor"], unique=False)
        batch_op.create_index("ix_audit_event_entity", ["entity_type", "entity_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_event_occurred_at"), ["occurred_at"], unique=False
        )

    op.create_table(
        "data_access_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_access_group")),
        sa.UniqueConstraint("code", name=op.f("uq_data_access_group_code")),
    )
    op.create_table(
        "line_of_business",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_of_business")),
        sa.UniqueConstraint("code", name=op.f("uq_line_of_business_code")),
    )
    op.create_table(
        "group_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("line_of_business_id", sa.Integer(), nullable=False),
        sa.Column("data_access_group_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "APPROVED",
                "CHANGED",
                name="ck_groupstatus",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_access_group_id"],
            ["data_access_group.id"],
            name=op.f("fk_group_client_data_access_group_id_data_access_group"),
        ),
        sa.ForeignKeyConstraint(
            ["line_of_business_id"],
            ["line_of_business.id"],
            name=op.f("fk_group_client_line_of_business_id_line_of_business"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["group_client.id"], name=op.f("fk_group_client_parent_id_group_client")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_client")),
        sa.UniqueConstraint("code", name=op.f("uq_group_client_code")),
    )
    with op.batch_alter_table("group_client", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_group_client_data_access_group_id"),
            ["data_access_group_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_group_client_line_of_business_id"), ["line_of_business_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_group_client_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "MEDICAL",
                "DENTAL",
                "VISION",
                "LIFE",
                "DISABILITY",
                name="ck_productkind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("line_of_business_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_of_business_id"],
            ["line_of_business.id"],
            name=op.f("fk_product_line_of_business_id_line_of_business"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product")),
        sa.UniqueConstraint("code", name=op.f("uq_product_code")),
    )
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_product_line_of_business_id"), ["line_of_business_id"], unique=False
        )

    op.create_table(
        "group_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("group_client_id", sa.Integer(), nullable=False),
        sa.Column("line_of_business_id", sa.Integer(), nullable=False),
        sa.Column("data_access_group_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_access_group_id"],
            ["data_access_group.id"],
            name=op.f("fk_group_account_data_access_group_id_data_access_group"),
        ),
        sa.ForeignKeyConstraint(
            ["group_client_id"],
            ["group_client.id"],
            name=op.f("fk_group_account_group_client_id_group_client"),
        ),
        sa.ForeignKeyConstraint(
            ["line_of_business_id"],
            ["line_of_business.id"],
            name=op.f("fk_group_account_line_of_business_id_line_of_business"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_account")),
        sa.UniqueConstraint("code", name=op.f("uq_group_account_code")),
    )
    with op.batch_alter_table("group_account", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_group_account_data_access_group_id"),
            ["data_access_group_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_group_account_group_client_id"), ["group_client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_group_account_line_of_business_id"),
            ["line_of_business_id"],
            unique=False,
        )

    op.create_table(
        "product_coverage_tier",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column(
            "tier",
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
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_product_coverage_tier_product_id_product"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", "tier", name=op.f("pk_product_coverage_tier")),
    )
    op.create_table(
        "group_account_product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_account_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_account_id"],
            ["group_account.id"],
            name=op.f("fk_group_account_product_group_account_id_group_account"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_group_account_product_product_id_product")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_account_product")),
        sa.UniqueConstraint(
            "group_account_id",
            "product_id",
            name=op.f("uq_group_account_product_group_account_id_product_id"),
        ),
    )
    with op.batch_alter_table("group_account_product", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_group_account_product_group_account_id"),
            ["group_account_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_group_account_product_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "insurable_class",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_account_id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_account_id"],
            ["group_account.id"],
            name=op.f("fk_insurable_class_group_account_id_group_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insurable_class")),
        sa.UniqueConstraint(
            "group_account_id", "code", name=op.f("uq_insurable_class_group_account_id_code")
        ),
    )
    with op.batch_alter_table("insurable_class", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_insurable_class_group_account_id"), ["group_account_id"], unique=False
        )

    op.create_table(
        "group_account_product_class",
        sa.Column("group_account_product_id", sa.Integer(), nullable=False),
        sa.Column("insurable_class_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_account_product_id"],
            ["group_account_product.id"],
            name=op.f(
                "fk_group_account_product_class_group_account_product_id_group_account_product"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["insurable_class_id"],
            ["insurable_class.id"],
            name=op.f("fk_group_account_product_class_insurable_class_id_insurable_class"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "group_account_product_id",
            "insurable_class_id",
            name=op.f("pk_group_account_product_class"),
        ),
    )
    with op.batch_alter_table("group_account_product_class", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_group_account_product_class_insurable_class_id"),
            ["insurable_class_id"],
            unique=False,
        )


def downgrade() -> None:

    with op.batch_alter_table("group_account_product_class", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_account_product_class_insurable_class_id"))

    op.drop_table("group_account_product_class")
    with op.batch_alter_table("insurable_class", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_insurable_class_group_account_id"))

    op.drop_table("insurable_class")
    with op.batch_alter_table("group_account_product", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_account_product_product_id"))
        batch_op.drop_index(batch_op.f("ix_group_account_product_group_account_id"))

    op.drop_table("group_account_product")
    op.drop_table("product_coverage_tier")
    with op.batch_alter_table("group_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_account_line_of_business_id"))
        batch_op.drop_index(batch_op.f("ix_group_account_group_client_id"))
        batch_op.drop_index(batch_op.f("ix_group_account_data_access_group_id"))

    op.drop_table("group_account")
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_line_of_business_id"))

    op.drop_table("product")
    with op.batch_alter_table("group_client", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_client_parent_id"))
        batch_op.drop_index(batch_op.f("ix_group_client_line_of_business_id"))
        batch_op.drop_index(batch_op.f("ix_group_client_data_access_group_id"))

    op.drop_table("group_client")
    op.drop_table("line_of_business")
    op.drop_table("data_access_group")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_occurred_at"))
        batch_op.drop_index("ix_audit_event_entity")
        batch_op.drop_index(batch_op.f("ix_audit_event_actor"))
        batch_op.drop_index(batch_op.f("ix_audit_event_action"))

    op.drop_table("audit_event")
