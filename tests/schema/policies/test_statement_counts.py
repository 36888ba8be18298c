"""A page of 100 policies, with everything on it as of a day, in a fixed number of statements."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from domain.policies.limits import utc_today
from tests.conftest import StatementCounter, token_for
from tests.factories import Book, families, place, viewers
from tests.graphql import GraphQLClient

PAGE = """
query Page($asOf: Date!) {
  policies(first: 100, filter: {asOf: $asOf}) {
    totalCount
    edges { node {
      number status
      subscriber { personNumber givenName familyName }
      members(asOf: $asOf) { relationship startDate endDate person { givenName birthDate } }
      groupAccount(asOf: $asOf) { code }
      insurableClass(asOf: $asOf) { code }
      enrollmentProducts(asOf: $asOf) { coverageTier startDate product { code } }
    } }
  }
}
"""


# Once per request: the page, its count, the subscribers, the members with their persons, the
# account links and accounts, the class links and classes, the products' rows with the products.
PAGE_STATEMENTS = 9
VIEWERS = ["admin", "backoffice", "group_manager"]


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("size", [1, 150])
async def test_a_page_of_policies_costs_a_fixed_number_of_statements(
    http: AsyncClient, statements: StatementCounter, session: AsyncSession, size: int, viewer: str
) -> None:
    # given `size` families of three in one account
    book = await Book(session).setup()
    where = await place(book)
    await families(book, where, size, since=utc_today() - timedelta(days=10))
    client = GraphQLClient(http, token_for(viewers(where.client.code)[viewer]))
    statements.reset()
    # when
    data = await client.query(PAGE, {"asOf": utc_today().isoformat()})
    # then every policy of the page came back whole, in the same statements whatever the size
    page = data["policies"]
    assert page["totalCount"] == size
    assert len(page["edges"]) == min(size, 100)
    node = page["edges"][0]["node"]
    assert [m["relationship"] for m in node["members"]] == ["SUBSCRIBER", "SPOUSE", "CHILD"]
    assert node["groupAccount"] == {"code": "ACME-GA"}
    assert node["insurableClass"] == {"code": "STAFF"}
    assert node["enrollmentProducts"][0]["product"] == {"code": "MED-PPO"}
    # a non-admin's stored grants are read once per request
    expected = PAGE_STATEMENTS + (viewer != "admin")
    assert statements.count == expected, statements.statements


NESTED = """
query {
  groupClients(first: 100) { edges { node { code groupAccounts(first: 2) { edges { node {
    code policies(first: 10) { totalCount edges { node { number } } }
  } } } } } }
}
"""
# The clients, the accounts, the policies and their counts (no totalCount asked of the rest).
NESTED_STATEMENTS = 4


@pytest.mark.parametrize("size", [1, 8])
async def test_the_policies_of_many_accounts_cost_a_fixed_number_of_statements(
    http: AsyncClient, statements: StatementCounter, session: AsyncSession, size: int
) -> None:
    # given `size` clients, each with an account of 12 policies
    book = await Book(session).setup()
    for i in range(size):
        where = await place(book, code=f"CO{i}")
        await families(book, where, 12, since=utc_today() - timedelta(days=10))
    client = GraphQLClient(http, token_for(viewers("CO0")["admin"]))
    statements.reset()
    # when
    data = await client.query(NESTED)
    # then every account shows its first 10 policies and counts all 12
    accounts = [
        account["node"]
        for edge in data["groupClients"]["edges"]
        for account in edge["node"]["groupAccounts"]["edges"]
    ]
    assert len(accounts) == size
    assert all(a["policies"]["totalCount"] == 12 for a in accounts)
    assert all(len(a["policies"]["edges"]) == 10 for a in accounts)
    assert statements.count == NESTED_STATEMENTS, statements.statements


CLIENTS = """
query Clients($asOf: Date) {
  groupClients(first: 100) { edges { node { code
    policies(first: 4, asOf: $asOf) { totalCount edges { node { number } } }
  } } }
}
"""
# The clients, then the policies of their subtrees and their counts, for any number of clients.
CLIENTS_STATEMENTS = 3


@pytest.mark.parametrize("as_of", [None, utc_today()])
@pytest.mark.parametrize("size", [1, 8])
async def test_the_policies_of_many_clients_cost_a_fixed_number_of_statements(
    http: AsyncClient,
    statements: StatementCounter,
    session: AsyncSession,
    size: int,
    as_of: date | None,
) -> None:
    # given `size` clients with 3 policies each, and below each a client with 2 more
    book = await Book(session).setup()
    for i in range(size):
        top = await place(book, code=f"CO{i}")
        await families(book, top, 3, since=utc_today() - timedelta(days=10))
        below = await place(book, code=f"CO{i}-SUB", parent=top.client)
        await families(book, below, 2, since=utc_today() - timedelta(days=10))
    client = GraphQLClient(http, token_for(viewers("CO0")["admin"]))
    statements.reset()
    # when
    data = await client.query(CLIENTS, {"asOf": as_of and as_of.isoformat()})
    # then each client lists its subtree's first 4 policies and counts them all
    pages = {
        edge["node"]["code"]: edge["node"]["policies"] for edge in data["groupClients"]["edges"]
    }
    assert len(pages) == 2 * size
    assert {code: page["totalCount"] for code, page in pages.items()} == {
        code: 2 if code.endswith("SUB") else 5 for code in pages
    }
    assert all(len(page["edges"]) == min(4, page["totalCount"]) for page in pages.values())
    assert statements.count == CLIENTS_STATEMENTS, statements.statements
