"""A part of an enrolment file costs a fixed number of statements, whatever its families, but
for each new policy's event in the outbox (domain.events.outbox writes one per change)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.audit.models import AuditEvent
from domain.intake.models import FileState
from domain.policies.models import Person, Policy
from tests.conftest import StatementCounter
from tests.domain.intake.census import csv_of, family
from tests.domain.intake.test_submit import _acme, _submit

# The file: the group client, its subtree, the policies of the employee numbers, the account
# and class by code; the run of new families: the accounts, the persons by national id, the
# classes, the products, the rule facts (class accounts, offers, tiers, product codes, account
# ends, cover elsewhere) and the persons of the new policies.
READS = 16
# The new persons, the policies, their members, account links, class links and products, the
# audit events of the changes that have no event of their own; the file's record and its rows.
# On PostgreSQL each is one statement for the whole run (the audit event of a change that has
# an event, and the group clients it concerns, ride in that event's statement, counted with
# the events); SQLite cannot return the ids of a many-row INSERT in order, so SQLAlchemy
# sends it a row at a time (a call within the process, not a round trip).
WRITES = 9
ONCE_MORE = 10
"""A run tried again: its reads from the accounts to the rule facts."""


def counted(statements: StatementCounter, session: AsyncSession) -> tuple[int, int, int | None]:
    """The reads, the events and the other writes (None on SQLite: see WRITES)."""
    events = [s for s in statements.statements if "INSERT INTO domain_event (" in s]
    writes = [s for s in statements.statements if s.lstrip().upper().startswith("INSERT")]
    writes = [s for s in writes if s not in events]
    postgresql = session.get_bind().dialect.name == "postgresql"
    reads = statements.count - len(events) - len(writes)
    return reads, len(events), len(writes) if postgresql else None


@pytest.mark.parametrize("size", [1, 60])
async def test_a_part_of_new_families_costs_a_fixed_number_of_statements(
    session: AsyncSession, statements: StatementCounter, size: int
) -> None:
    # given a census of `size` families of three
    acme = await _acme(session)
    data = csv_of(*(line for i in range(size) for line in family(f"E{i}", f"Ann{i}")))
    statements.reset()
    # when
    record = await _submit(session, acme, data)
    # then every family is applied, each through the write path (one audited change each)
    assert record.state == FileState.APPLIED, record.errors
    assert record.applied_rows == 3 * size
    assert counted(statements, session) in {(READS, size, None), (READS, size, WRITES)}
    audited = sa.select(sa.func.count()).where(col(AuditEvent.action) == "policyEnroll")
    assert await session.scalar(audited) == size
    assert await session.scalar(sa.select(sa.func.count(col(Policy.id)))) == size


async def test_a_refused_family_costs_the_run_once_more_and_leaves_nothing(
    session: AsyncSession, statements: StatementCounter
) -> None:
    # given a run of families of which one is refused by a rule checked after its persons
    # were written (a child past the age limit): the run is tried again without it
    acme = await _acme(session)
    lines = [line for i in range(5) for line in family(f"E{i}", f"Ann{i}")]
    lines += family("BAD", "Bob", child_born="2000-01-01")
    statements.reset()
    # when
    record = await _submit(session, acme, csv_of(*lines))
    # then
    assert counted(statements, session) in {
        (READS + ONCE_MORE, 5, None),
        (READS + ONCE_MORE, 5, WRITES + 1),  # the persons of the first try
    }
    assert record.state == FileState.PARTIALLY_APPLIED
    assert (record.applied_rows, record.refused_rows) == (15, 3)
    assert await session.scalar(sa.select(sa.func.count(col(Person.id)))) == 15
