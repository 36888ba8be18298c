"""Group clients' parent links indexed with their ids, (parent_id, id).

Whoever is granted a group's subtree reads it by a recursive query of each client's children
(domain.groups.reach), in most statements of their requests: a group manager's inbox runs it in
five. With only parent_id indexed, PostgreSQL found probing the index and then the table for each
client dearer than reading every group client at each level of the tree (1,000 on the bench book,
5 levels), 0.3 to 0.5 ms a statement. With the id in the index, a client's children are read from
the index alone, and it probes: the inbox's statements took 3.7 ms of PostgreSQL's CPU against
4.7 (run alone, on a copy of the 100,000-policy book). The index of parent_id alone stays: in its
place, PostgreSQL read the tree's last page of children (81 parents') by scanning the whole table
and testing each row against the 81 ids, 2.4 ms against 0.2.

On a large live table an operator may build it beforehand without blocking writes, with
`CREATE INDEX CONCURRENTLY ix_group_client_parent_id_id ON group_client (parent_id, id)`, as
docs/operations.md says of 0030; the migration skips an index of that name already there.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-04 15:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_group_client_parent_id_id", "group_client", ["parent_id", "id"], if_not_exists=True
    )


def downgrade() -> None:
    op.drop_index("ix_group_client_parent_id_id", table_name="group_client")
