"""Bills as PDF (issue 19): a document, and a template, may be of kind BILL.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 22:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = ("LETTER", "CERTIFICATE", "ID_CARD")
_TABLES = ("letter_template", "document")


def _recheck(kinds: Sequence[str]) -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint("ck_documentkind", type_="check")
            batch.create_check_constraint(
                "ck_documentkind", f"kind IN ({', '.join(repr(k) for k in kinds)})"
            )


def upgrade() -> None:
    _recheck((*_KINDS, "BILL"))


def downgrade() -> None:
    op.execute("DELETE FROM document WHERE kind = 'BILL'")
    op.execute("DELETE FROM letter_template WHERE kind = 'BILL'")
    _recheck(_KINDS)
