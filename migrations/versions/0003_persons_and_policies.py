"""persons and policies, and the end date of a group account

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 14:58:47.164502
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("group_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("end_date", sa.Date(), nullable=True))
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_number", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("given_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("family_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column(
            "gender",
            sa.Enum(
                "FEMALE",
                "MALE",
                "OTHER",
                "UNKNOWN",
                name="ck_gender",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("national_id", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("address_line", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("postal_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("city", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
        sa.Column("salary", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("salary_currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("person_number", name=op.f("uq_person_person_number")),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index("uq_person_national_id", ["national_id"], unique=True)

    op.create_table(
        "policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("line_of_business_id", sa.Integer(), nullable=False),
        sa.Column("data_access_group_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "ACTIVE",
                "TERMINATED",
                name="ck_policystatus",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_access_group_id"],
            ["data_access_group.id"],
            name=op.f("fk_policy_data_access_group_id_data_access_group"),
        ),
        sa.ForeignKeyConstraint(
            ["line_of_business_id"],
            ["line_of_business.id"],
            name=op.f("fk_policy_line_of_business_id_line_of_business"),
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"], ["person.id"], name=op.f("fk_policy_subscriber_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy")),
        sa.UniqueConstraint("number", name=op.f("uq_policy_number")),
    )
    with op.batch_alter_table("policy", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_policy_data_access_group_id"), ["data_access_group_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_policy_line_of_business_id"), ["line_of_business_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_policy_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_policy_subscriber_id"), ["subscriber_id"], unique=False
        )

    op.create_table(
        "enrollment_product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column(
            "coverage_tier",
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
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date",
            name=op.f("ck_enrollment_product_end_after_start"),
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policy.id"], name=op.f("fk_enrollment_product_policy_id_policy")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_enrollment_product_product_id_product")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollment_product")),
    )
    with op.batch_alter_table("enrollment_product", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enrollment_product_policy_id"), ["policy_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_enrollment_product_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "policy_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "relationship",
            sa.Enum(
                "SUBSCRIBER",
                "SPOUSE",
                "DOMESTIC_PARTNER",
                "CHILD",
                "OTHER_DEPENDANT",
                name="ck_relationship",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date",
            name=op.f("ck_policy_member_end_after_start"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_policy_member_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policy.id"], name=op.f("fk_policy_member_policy_id_policy")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_member")),
    )
    with op.batch_alter_table("policy_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_member_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_policy_member_policy_id"), ["policy_id"], unique=False)

    op.create_table(
        "policy_account_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("group_account_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date",
            name=op.f("ck_policy_account_link_end_after_start"),
        ),
        sa.ForeignKeyConstraint(
            ["group_account_id"],
            ["group_account.id"],
            name=op.f("fk_policy_account_link_group_account_id_group_account"),
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policy.id"], name=op.f("fk_policy_account_link_policy_id_policy")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_account_link")),
    )
    with op.batch_alter_table("policy_account_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_policy_account_link_group_account_id"),
            ["group_account_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_policy_account_link_policy_id"), ["policy_id"], unique=False
        )

    op.create_table(
        "policy_class_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("insurable_class_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date",
            name=op.f("ck_policy_class_link_end_after_start"),
        ),
        sa.ForeignKeyConstraint(
            ["insurable_class_id"],
            ["insurable_class.id"],
            name=op.f("fk_policy_class_link_insurable_class_id_insurable_class"),
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policy.id"], name=op.f("fk_policy_class_link_policy_id_policy")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_class_link")),
    )
    with op.batch_alter_table("policy_class_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_policy_class_link_insurable_class_id"),
            ["insurable_class_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_policy_class_link_policy_id"), ["policy_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("policy_class_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_class_link_policy_id"))
        batch_op.drop_index(batch_op.f("ix_policy_class_link_insurable_class_id"))

    op.drop_table("policy_class_link")
    with op.batch_alter_table("policy_account_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_account_link_policy_id"))
        batch_op.drop_index(batch_op.f("ix_policy_account_link_group_account_id"))

    op.drop_table("policy_account_link")
    with op.batch_alter_table("policy_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_member_policy_id"))
        batch_op.drop_index(batch_op.f("ix_policy_member_person_id"))

    op.drop_table("policy_member")
    with op.batch_alter_table("enrollment_product", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrollment_product_product_id"))
        batch_op.drop_index(batch_op.f("ix_enrollment_product_policy_id"))

    op.drop_table("enrollment_product")
    with op.batch_alter_table("policy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_subscriber_id"))
        batch_op.drop_index(batch_op.f("ix_policy_status"))
        batch_op.drop_index(batch_op.f("ix_policy_line_of_business_id"))
        batch_op.drop_index(batch_op.f("ix_policy_data_access_group_id"))

    op.drop_table("policy")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index("uq_person_national_id")

    op.drop_table("person")
    with op.batch_alter_table("group_account", schema=None) as batch_op:
        batch_op.drop_column("end_date")
