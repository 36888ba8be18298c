"""Workflow requests, their process versions, inbox tasks and timelines; on PostgreSQL,
procrastinate's job queue (its schema as of the procrastinate 3 pinned in pyproject.toml).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 00:35:21.912140
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from procrastinate.schema import SchemaManager

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The driver reads `%` as a placeholder: doubled, it is a plain `%` again.
        op.get_bind().exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))
    op.create_table(
        "process_definition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("bpmn", sa.Text(), nullable=False),
        sa.Column("dmn", sa.JSON(), nullable=False),
        sa.Column("deployed_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("deployed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_definition")),
        sa.UniqueConstraint("key", "version", name=op.f("uq_process_definition_key_version")),
    )
    op.create_table(
        "workflow_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "ENROLMENT",
                "TERMINATION",
                "DATA_CHANGE",
                "MEDICAL_AUTHORIZATION",
                "PRODUCT_UPGRADE",
                "SERVICE_PURCHASE",
                "CERTIFICATE",
                "VIDEO_CONSULTATION",
                name="ck_requesttype",
                native_enum=False,
                create_constraint=True,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum(
                "BACK_OFFICE",
                "GROUP_PORTAL",
                "EMPLOYEE",
                "PARTNER",
                name="ck_channel",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "SUBMITTED",
                "PENDING_APPROVAL",
                "APPROVED",
                "REJECTED",
                "COMPLETED",
                "CANCELLED",
                "FAILED",
                name="ck_requeststate",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("submitted_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("process_definition_id", sa.Integer(), nullable=False),
        sa.Column("group_account_id", sa.Integer(), nullable=True),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("line_of_business_id", sa.Integer(), nullable=True),
        sa.Column("data_access_group_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("workflow", sa.Text(), nullable=False),
        sa.Column("waits_on_server", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_access_group_id"],
            ["data_access_group.id"],
            name=op.f("fk_workflow_request_data_access_group_id_data_access_group"),
        ),
        sa.ForeignKeyConstraint(
            ["group_account_id"],
            ["group_account.id"],
            name=op.f("fk_workflow_request_group_account_id_group_account"),
        ),
        sa.ForeignKeyConstraint(
            ["line_of_business_id"],
            ["line_of_business.id"],
            name=op.f("fk_workflow_request_line_of_business_id_line_of_business"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_workflow_request_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policy.id"], name=op.f("fk_workflow_request_policy_id_policy")
        ),
        sa.ForeignKeyConstraint(
            ["process_definition_id"],
            ["process_definition.id"],
            name=op.f("fk_workflow_request_process_definition_id_process_definition"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_request")),
        sa.UniqueConstraint(
            "submitted_by",
            "idempotency_key",
            name=op.f("uq_workflow_request_submitted_by_idempotency_key"),
        ),
    )
    with op.batch_alter_table("workflow_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workflow_request_group_account_id"), ["group_account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_workflow_request_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_workflow_request_policy_id"), ["policy_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_workflow_request_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_workflow_request_waits_on_server"), ["waits_on_server"], unique=False
        )

    op.create_table(
        "workflow_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "SUBMITTED",
                "PENDING_APPROVAL",
                "APPROVED",
                "REJECTED",
                "COMPLETED",
                "CANCELLED",
                "FAILED",
                name="ck_requeststate",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["workflow_request.id"],
            name=op.f("fk_workflow_event_request_id_workflow_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_event")),
    )
    with op.batch_alter_table("workflow_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workflow_event_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "workflow_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("engine_task_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            "assignee",
            sa.Enum(
                "GROUP_MANAGER",
                "BACK_OFFICE",
                name="ck_assignee",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "APPROVAL",
                "FULFILMENT",
                name="ck_taskkind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "OPEN",
                "COMPLETED",
                "CANCELLED",
                name="ck_taskstate",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "decision",
            sa.Enum(
                "APPROVE",
                "REJECT",
                name="ck_decision",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["workflow_request.id"],
            name=op.f("fk_workflow_task_request_id_workflow_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_task")),
    )
    with op.batch_alter_table("workflow_task", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workflow_task_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_workflow_task_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("workflow_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_task_state"))
        batch_op.drop_index(batch_op.f("ix_workflow_task_request_id"))

    op.drop_table("workflow_task")
    with op.batch_alter_table("workflow_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_event_request_id"))

    op.drop_table("workflow_event")
    with op.batch_alter_table("workflow_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_request_waits_on_server"))
        batch_op.drop_index(batch_op.f("ix_workflow_request_state"))
        batch_op.drop_index(batch_op.f("ix_workflow_request_policy_id"))
        batch_op.drop_index(batch_op.f("ix_workflow_request_person_id"))
        batch_op.drop_index(batch_op.f("ix_workflow_request_group_account_id"))

    op.drop_table("workflow_request")
    op.drop_table("process_definition")
    if op.get_bind().dialect.name == "postgresql":
        op.get_bind().exec_driver_sql(_DROP_PROCRASTINATE.replace("%", "%%"))


_DROP_PROCRASTINATE = """
DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
    procrastinate_workers CASCADE;
DO $$ DECLARE f record; BEGIN
    FOR f IN SELECT oid::regprocedure AS signature FROM pg_proc
             WHERE proname LIKE 'procrastinate%' LOOP
        EXECUTE 'DROP FUNCTION ' || f.signature || ' CASCADE';
    END LOOP;
END $$;
DROP TYPE IF EXISTS procrastinate_job_event_type, procrastinate_job_status,
    procrastinate_job_to_defer_v1 CASCADE;
"""
