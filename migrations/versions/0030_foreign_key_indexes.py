"""An index on every foreign key column that had none leading an index.

PostgreSQL indexes a foreign key's target, never the column that refers to it. Without these
indexes, deleting (or changing the id of) a referenced row reads the whole referencing table to
check that no row still names it, once per row deleted: a document purged at the end of its
retention read every campaign letter (ON DELETE SET NULL), a domain event deleted read every
webhook delivery (ON DELETE CASCADE), a product or billing account removed read every premium
charge and setting. Joins and filters on these columns read whole tables for the same reason.
tests/test_migrations.py fails on PostgreSQL when a foreign key has no index leading with it.

On a large live table: CREATE INDEX takes a SHARE lock, so reads go on but writes to the table
wait until the migration's transaction commits (every index here is built in that one
transaction, each table's writes held until the last is built); building one index reads its
whole table once. Where `premium_charge`, `setting`, `workflow_request`, `webhook_delivery` or
`enrollment_file_row` is large, an operator builds the indexes beforehand without blocking
writes, with `CREATE INDEX CONCURRENTLY ix_<table>_<column> ON <table> (<column>)` for each
below (outside a transaction, one at a time; a failed one leaves an INVALID index to drop and
build again), and then runs `groupcover migrate`, which skips an index of that name already
there (docs/operations.md, "Upgrades with migrations").

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-04 13:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXED: dict[str, tuple[str, ...]] = {
    "campaign_client": ("account_team_id",),
    "campaign_event": ("campaign_client_id",),
    "campaign_letter": ("document_id", "person_id"),
    "campaign_run": ("definition_id", "process_definition_id"),
    "catalogue_item": ("from_product_id", "to_product_id"),
    "enrollment_file_row": ("person_id", "policy_id"),
    "premium_charge": ("billing_account_id", "group_account_id", "product_id"),
    "setting": (
        "adjustment_rule_id",
        "billing_account_id",
        "broker_agent_id",
        "premium_schedule_id",
        "provider_group_id",
    ),
    "webhook_delivery": ("event_id",),
    "workflow_request": ("data_access_group_id", "line_of_business_id", "process_definition_id"),
}


def upgrade() -> None:
    for table, columns in INDEXED.items():
        for column in columns:
            # if_not_exists: an operator may have built it CONCURRENTLY first (docstring).
            op.create_index(op.f(f"ix_{table}_{column}"), table, [column], if_not_exists=True)


def downgrade() -> None:
    for table, columns in INDEXED.items():
        for column in columns:
            op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
