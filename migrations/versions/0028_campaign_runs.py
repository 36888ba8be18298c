"""Campaign definitions and runs: each client's part, its tasks, timeline and letters (issue 18).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RUN_STATES = ("STARTED", "RUNNING", "DONE")
_CLIENT_STATES = ("ELECTION", "OPT_IN", "MERGING", "OPTED_IN", "DECLINED", "NOT_ASKED", "FAILED")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "campaign_definition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("event_kinds", sa.JSON(), nullable=False),
        sa.Column("fill_months", sa.Integer(), nullable=False),
        sa.Column("product_codes", sa.JSON(), nullable=False),
        sa.Column("min_age", sa.Integer(), nullable=True),
        sa.Column("max_age", sa.Integer(), nullable=True),
        sa.Column("process_key", sa.String(length=100), nullable=False),
        sa.Column("letter_template", sa.String(length=60), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code", "version", name="uq_campaign_definition"),
    )
    op.create_index("ix_campaign_definition_code", "campaign_definition", ["code"])
    op.create_table(
        "campaign_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("market_event_id", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("process_definition_id", sa.Integer(), nullable=True),
        sa.Column("state", _enum("ck_runstate", *_RUN_STATES), nullable=False),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.Column("started_scope", sa.JSON(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.ForeignKeyConstraint(["market_event_id"], ["market_event.id"]),
        sa.ForeignKeyConstraint(["definition_id"], ["campaign_definition.id"]),
        sa.ForeignKeyConstraint(["process_definition_id"], ["process_definition.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("market_event_id", "definition_id", name="uq_campaign_run"),
    )
    op.create_index("ix_campaign_run_market_event_id", "campaign_run", ["market_event_id"])
    op.create_table(
        "campaign_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("group_client_id", sa.Integer(), nullable=False),
        sa.Column("account_team_id", sa.Integer(), nullable=True),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("route", sa.String(length=20), nullable=True),
        sa.Column("state", _enum("ck_clientstate", *_CLIENT_STATES), nullable=False),
        sa.Column("letters", sa.Integer(), nullable=False),
        sa.Column("workflow", sa.Text(), nullable=False),
        sa.Column("waits_on_server", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _when("updated_at"),
        sa.ForeignKeyConstraint(["run_id"], ["campaign_run.id"]),
        sa.ForeignKeyConstraint(["group_client_id"], ["group_client.id"]),
        sa.ForeignKeyConstraint(["account_team_id"], ["account_team.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "group_client_id", name="uq_campaign_client"),
    )
    for column in ("run_id", "group_client_id", "state", "waits_on_server"):
        op.create_index(f"ix_campaign_client_{column}", "campaign_client", [column])
    op.create_table(
        "campaign_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_client_id", sa.Integer(), nullable=False),
        sa.Column("engine_task_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("assignee", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        _when("due_at"),
        _when("reminded_at", nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("completed_by", sa.String(length=200), nullable=True),
        _when("completed_at", nullable=True),
        _when("created_at"),
        sa.ForeignKeyConstraint(["campaign_client_id"], ["campaign_client.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("campaign_client_id", "state"):
        op.create_index(f"ix_campaign_task_{column}", "campaign_task", [column])
    op.create_table(
        "campaign_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("campaign_client_id", sa.Integer(), nullable=True),
        _when("at"),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("message", sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["campaign_run.id"]),
        sa.ForeignKeyConstraint(["campaign_client_id"], ["campaign_client.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_campaign_event_run_id", "campaign_event", ["run_id"])
    op.create_table(
        "campaign_letter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("campaign_client_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["campaign_run.id"]),
        sa.ForeignKeyConstraint(["campaign_client_id"], ["campaign_client.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "person_id", name="uq_campaign_letter"),
    )
    for column in ("run_id", "campaign_client_id"):
        op.create_index(f"ix_campaign_letter_{column}", "campaign_letter", [column])


def downgrade() -> None:
    for table in (
        "campaign_letter",
        "campaign_event",
        "campaign_task",
        "campaign_client",
        "campaign_run",
        "campaign_definition",
    ):
        op.drop_table(table)
