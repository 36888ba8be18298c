"""What an employer knows of its employee moves from the shared person to the policy.

A person is one row however many employers insure them; their salary and work e-mail were on
that row, so one employer's change showed at another. Each policy is the subscriber's
employment in one group, so the salary (with its currency) and the e-mail a subscriber's
employer entered are copied to every policy the person subscribes to, and the person keeps
neither. A person who subscribes to no policy (a dependant only) keeps their e-mail: nobody
employs them here, so it is their personal address. New: an employee number per policy.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OF_SUBSCRIBER = "(SELECT person.{column} FROM person WHERE person.id = policy.subscriber_id)"


def upgrade() -> None:
    with op.batch_alter_table("policy") as batch:
        batch.add_column(
            sa.Column("employee_number", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True)
        )
        batch.add_column(
            sa.Column("work_email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True)
        )
        batch.add_column(sa.Column("salary", sa.Numeric(precision=14, scale=2), nullable=True))
        batch.add_column(
            sa.Column("salary_currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True)
        )
    moved = ", ".join(
        f"{target} = {_OF_SUBSCRIBER.format(column=source)}"
        for target, source in (
            ("work_email", "email"),
            ("salary", "salary"),
            ("salary_currency", "salary_currency"),
        )
    )
    op.execute(f"UPDATE policy SET {moved}")
    op.execute("UPDATE person SET email = NULL WHERE id IN (SELECT subscriber_id FROM policy)")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later): a batch would copy the table,
    # and dropping `person` is refused while policies refer to it.
    op.drop_column("person", "salary_currency")
    op.drop_column("person", "salary")


def downgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("salary", sa.Numeric(precision=14, scale=2), nullable=True))
        batch.add_column(
            sa.Column("salary_currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True)
        )
    # A person held one of each: the one of their latest policy comes back.
    latest = (
        "(SELECT policy.{column} FROM policy WHERE policy.subscriber_id = person.id "
        "ORDER BY policy.start_date DESC, policy.id DESC LIMIT 1)"
    )
    op.execute(
        "UPDATE person SET "
        + ", ".join(
            f"{target} = {latest.format(column=source)}"
            for target, source in (
                ("email", "work_email"),
                ("salary", "salary"),
                ("salary_currency", "salary_currency"),
            )
        )
        + " WHERE id IN (SELECT subscriber_id FROM policy)"
    )
    for column in ("salary_currency", "salary", "work_email", "employee_number"):
        op.drop_column("policy", column)
