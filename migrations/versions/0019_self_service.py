"""Self-service (issue 22): removing one dependant by a request, a member's refund bank
account, and the records that let a refused ratification undo a registration exactly.

- `workflow_request.type` may be DEPENDANT_REMOVAL;
- `policy_member.refund_iban`: where the insurer pays a member's refunds under this
  policy; on the membership, since what one employer's policy knows is not shared;
- `policy_terminated_row` also keeps what a request registered before its ratification
  changed (`request_id`), rows it added (`added`) and updated rows' columns (`updated`),
  and may name the policy or a person (`kind`).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TYPES = (
    "ENROLMENT",
    "TERMINATION",
    "DATA_CHANGE",
    "MEDICAL_AUTHORIZATION",
    "PRODUCT_UPGRADE",
    "SERVICE_PURCHASE",
    "CERTIFICATE",
    "VIDEO_CONSULTATION",
)
_KINDS = ("MEMBER", "ACCOUNT_LINK", "CLASS_LINK", "PRODUCT", "SETTING")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _recheck(table: str, name: str, column: str, values: Sequence[str]) -> None:
    with op.batch_alter_table(table) as batch:
        batch.drop_constraint(name, type_="check")
        batch.create_check_constraint(name, _one_of(column, values))


def upgrade() -> None:
    _recheck("workflow_request", "ck_requesttype", "type", (*_TYPES, "DEPENDANT_REMOVAL"))
    with op.batch_alter_table("policy_member") as batch:
        batch.add_column(
            sa.Column("refund_iban", sqlmodel.sql.sqltypes.AutoString(length=34), nullable=True)
        )
    with op.batch_alter_table("policy_terminated_row") as batch:
        batch.add_column(sa.Column("request_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("added", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("updated", sa.JSON(), nullable=True))
        batch.create_index("ix_policy_terminated_row_request_id", ["request_id"])
    _recheck("policy_terminated_row", "ck_rowkind", "kind", (*_KINDS, "POLICY", "PERSON"))


def downgrade() -> None:
    op.execute("DELETE FROM policy_terminated_row WHERE request_id IS NOT NULL")
    _recheck("policy_terminated_row", "ck_rowkind", "kind", _KINDS)
    with op.batch_alter_table("policy_terminated_row") as batch:
        batch.drop_index("ix_policy_terminated_row_request_id")
        batch.drop_column("updated")
        batch.drop_column("added")
        batch.drop_column("request_id")
    with op.batch_alter_table("policy_member") as batch:
        batch.drop_column("refund_iban")
    op.execute("DELETE FROM workflow_request WHERE type = 'DEPENDANT_REMOVAL'")
    _recheck("workflow_request", "ck_requesttype", "type", _TYPES)
