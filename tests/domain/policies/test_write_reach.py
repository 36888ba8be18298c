"""A group manager changes only the policies whose latest account link is theirs: one predicate.

Reading keeps the whole history (every policy ever linked to their accounts); the write
scope's predicate is one NOT EXISTS in the lookup's own statement, whatever the number of
policies or links.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from authz.access import Actor, RowScope
from domain.core.changes import find
from domain.policies.limits import utc_today
from domain.policies.models import Policy, PolicyAccountLink
from tests.conftest import StatementCounter
from tests.factories import Book, families, place

TODAY = utc_today()
WRITES = RowScope(subtrees=frozenset({"ACME"}), writes=True)


@pytest.mark.parametrize("size", [1, 30])
async def test_a_policy_moved_away_is_read_but_not_changed_by_the_old_manager(
    session: AsyncSession, statements: StatementCounter, size: int
) -> None:
    # given `size` ACME policies, the first moved to GLOBEX from today
    book = await Book(session).setup()
    acme, globex = await place(book, code="ACME"), await place(book, code="GLOBEX")
    policies = await families(book, acme, size, since=TODAY - timedelta(days=30))
    link = await session.scalar(
        select(PolicyAccountLink).where(col(PolicyAccountLink.policy_id) == policies[0].id)
    )
    assert link is not None
    link.end_date = TODAY - timedelta(days=1)
    session.add(
        PolicyAccountLink(
            policy_id=policies[0].id, group_account_id=globex.account.id, start_date=TODAY
        )  # type: ignore[arg-type]
    )
    await session.flush()
    writer = Actor("hr-1", WRITES)
    reader = Actor("hr-1", replace(WRITES, writes=False))
    # when
    statements.reset()
    moved_for_change = await find(session, writer, Policy, policies[0].id)  # type: ignore[arg-type]
    lookups = statements.count
    moved_for_reading = await find(session, reader, Policy, policies[0].id)  # type: ignore[arg-type]
    staying = await find(session, writer, Policy, policies[-1].id)  # type: ignore[arg-type]
    # then
    assert moved_for_change is None
    assert moved_for_reading is not None
    assert (staying is not None) == (size > 1)
    assert lookups == 1
