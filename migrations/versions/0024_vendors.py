"""Outsourcing vendors (issue 22): a `vendor` role whose stored grants name group clients,
request types and task kinds.

- `access_grant.role` may be `vendor`;
- `access_grant.kind` may be REQUEST_TYPE or TASK_KIND;
- `api_key.role`: what a key signs in as, `partner` (every key so far) or `vendor`.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROLES = ("admin", "backoffice", "group_manager", "employee", "partner", "reporting")
_KINDS = ("GROUP_CLIENT", "DATA_ACCESS_GROUP", "LINE_OF_BUSINESS")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _recheck(name: str, column: str, values: Sequence[str]) -> None:
    with op.batch_alter_table("access_grant") as batch:
        batch.drop_constraint(name, type_="check")
        batch.create_check_constraint(name, _one_of(column, values))


def upgrade() -> None:
    _recheck("ck_role", "role", (*_ROLES, "vendor"))
    _recheck("ck_grantkind", "kind", (*_KINDS, "REQUEST_TYPE", "TASK_KIND"))
    with op.batch_alter_table("api_key") as batch:
        batch.add_column(
            sa.Column(
                "role",
                sa.Enum(
                    *_ROLES,
                    "vendor",
                    name="ck_role",
                    native_enum=False,
                    create_constraint=True,
                    length=20,
                ),
                nullable=False,
                server_default="partner",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("api_key") as batch:
        batch.drop_column("role")
    op.execute("DELETE FROM access_grant WHERE role = 'vendor'")
    op.execute("DELETE FROM access_grant WHERE kind IN ('REQUEST_TYPE', 'TASK_KIND')")
    _recheck("ck_grantkind", "kind", _KINDS)
    _recheck("ck_role", "role", _ROLES)
