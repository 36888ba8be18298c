"""Premiums of a page of policies, a premium run and a month's bills, each in a number of
statements that does not grow with the number of policies."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.jobs import InProcess
from domain.groups.models import GroupClient, GroupStatus
from domain.policies.limits import utc_today
from domain.settings.models import PremiumSchedule, Setting, SettingKind
from tests.conftest import StatementCounter, token_for
from tests.factories import Book, families, place, settings_reference, viewers
from tests.graphql import GraphQLClient, ok
from tests.schema.premiums.conftest import NEXT_MONTH

PREMIUMS = """
query($period: String!) { policies(first: 100) { edges { node {
  number premium(period: $period) { total lines { amount scheduleSource { level id }
    adjustments { rule source { level id } } contributionSource { level id } } }
} } } }
"""
BILLS = """
query($period: String!) { bills(filter: {period: $period}) {
  total lines { amount policy { number } product { code } } csv } }
"""
START = """
mutation($input: PremiumRunStartInput!) { premiumRunStart(input: $input) {
  premiumRun { id } errors { code } } }
"""
# The page; the policies in reach; their rows (policies, enrolments, subscribers, links);
# the enrolments' chains (enrolments, links, offers, accounts, ancestors, settings,
# periods); the schedules, their rates and the adjustment rules.
PREMIUM_STATEMENTS = 17
# A run of one batch (2,000 policies): prepare, the batch (the approved clients, the pricing,
# the charges in force, one executemany of the new charges) and the end, each a change to
# the run through the write path (lookup in reach, audit): the same for 1 policy as for 120.
RUN_STATEMENTS = 32


async def _book(session: AsyncSession, size: int) -> tuple[Book, int]:
    book = await Book(session).setup()
    await settings_reference(book)
    where = await place(book)
    schedule = await session.scalar(
        sa.select(col(PremiumSchedule.id)).where(col(PremiumSchedule.code) == "PS-STD")
    )
    session.add(
        Setting(
            kind=SettingKind.PREMIUM_SCHEDULE,
            group_client_id=where.client.id,
            premium_schedule_id=schedule,
        )
    )
    await session.execute(
        sa.update(GroupClient)
        .where(col(GroupClient.id) == where.client.id)
        .values(status=GroupStatus.APPROVED)
    )
    await families(book, where, size, since=utc_today() - timedelta(days=10))
    return book, where.client.id  # type: ignore[return-value]


@pytest.mark.parametrize("viewer", ["admin", "group_manager"])
@pytest.mark.parametrize("size", [1, 120])
async def test_premiums_of_a_page_of_policies(
    http: AsyncClient, statements: StatementCounter, session: AsyncSession, size: int, viewer: str
) -> None:
    # given
    await _book(session, size)
    client = GraphQLClient(http, token_for(viewers("ACME")[viewer]))
    statements.reset()
    # when
    data = await client.query(PREMIUMS, {"period": NEXT_MONTH})
    # then
    edges = data["policies"]["edges"]
    assert len(edges) == min(size, 100)
    assert {e["node"]["premium"]["total"] for e in edges} == {"100.00"}
    expected = PREMIUM_STATEMENTS + (2 if viewer != "admin" else 0)
    assert statements.count == expected, statements.statements


@pytest.mark.parametrize("size", [1, 120])
async def test_a_run_and_its_bills(
    http: AsyncClient,
    statements: StatementCounter,
    session: AsyncSession,
    runner: InProcess,
    size: int,
) -> None:
    # given
    _, client_id = await _book(session, size)
    admin = GraphQLClient(http, token_for(viewers("ACME")["admin"]))
    started = await admin.mutate(
        START,
        {"input": {"period": NEXT_MONTH, "groupClientId": _global(client_id)}},
    )
    ok(started)
    # when
    statements.reset()
    await runner.drain()
    run_count = statements.count
    statements.reset()
    data = await admin.query(BILLS, {"period": NEXT_MONTH})
    # then
    (bill,) = data["bills"]
    assert bill["total"] == f"{100 * size}.00"
    assert len(bill["lines"]) == size
    assert run_count == RUN_STATEMENTS, statements.statements
    assert statements.count == BILLS_STATEMENTS, statements.statements


# The charges; the accounts' chains (accounts, ancestors, settings, periods); the policies
# and the products of the lines.
BILLS_STATEMENTS = 7


def _global(client_id: int) -> str:
    from schema.core.relay import global_id

    return global_id("GroupClient", client_id)
