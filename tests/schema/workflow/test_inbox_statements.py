"""A group manager's inbox costs a fixed number of statements however many tasks it holds, and
its page and its count are one statement: the count rides on the page's rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from bench.load_queries import QUERIES
from domain.policies.limits import utc_today
from tests.conftest import StatementCounter, token_for
from tests.factories import Book, employee_asks_to_end, families, place, viewers
from tests.graphql import GraphQLClient

INBOX = QUERIES["a group manager's inbox: 50 of 500 open tasks"]
# The caller's grants, the tasks with their count, their requests, the requests' timelines,
# their policies and the policies' subscribers.
INBOX_STATEMENTS = 6


async def _approvals(session: AsyncSession, size: int) -> str:
    """`size` families of one group, each asking to end its policy: an approval apiece in its
    group manager's inbox. The group's code."""
    book = await Book(session).setup()
    where = await place(book)
    policies = await families(book, where, size, since=utc_today() - timedelta(days=10))
    end = (utc_today() + timedelta(days=30)).isoformat()
    for policy in policies:
        await employee_asks_to_end(session, policy.id, end)  # type: ignore[arg-type]
        await session.commit()
    return where.client.code


@pytest.mark.parametrize("size", [1, 4])
async def test_an_inbox_and_its_count_cost_a_fixed_number_of_statements(
    http: AsyncClient, statements: StatementCounter, session: AsyncSession, size: int
) -> None:
    # given `size` approvals waiting for a group manager
    code = await _approvals(session, size)
    client = GraphQLClient(http, token_for(viewers(code)["group_manager"]))
    statements.reset()
    # when they read bench.load's inbox (a page of 50, its count, each request's timeline)
    data = await client.query(INBOX.replace('"C1"', f'"{code}"'))
    # then every task and the count, in the same statements whatever the size
    tasks = data["workflowTasks"]
    assert tasks["totalCount"] == len(tasks["edges"]) == size
    assert all(e["node"]["request"]["timeline"] for e in tasks["edges"])
    assert statements.count == INBOX_STATEMENTS, statements.statements


async def test_a_page_past_the_end_is_counted_on_its_own(
    http: AsyncClient, statements: StatementCounter, session: AsyncSession
) -> None:
    # given two approvals, and the cursor of the last
    code = await _approvals(session, 2)
    client = GraphQLClient(http, token_for(viewers(code)["group_manager"]))
    first = await client.query("query { workflowTasks { edges { cursor } } }")
    last = first["workflowTasks"]["edges"][-1]["cursor"]
    statements.reset()
    # when the page after it is asked with the count
    data = await client.query(
        "query($after: String) { workflowTasks(after: $after) { totalCount edges { cursor } } }",
        {"after": last},
    )
    # then no row told the count, so a statement of its own did: the grants, the page, the count
    assert data["workflowTasks"] == {"totalCount": 2, "edges": []}
    assert statements.count == 3, statements.statements
