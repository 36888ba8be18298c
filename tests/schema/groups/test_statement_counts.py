"""Lists resolve in a number of SQL statements that does not grow with the number of rows."""

from __future__ import annotations

import pytest

from tests.conftest import StatementCounter
from tests.factories import Book, tree
from tests.graphql import GraphQLClient

ACCOUNTS = """
groupAccounts(first: 100) {
  totalCount
  edges { node { code lineOfBusiness { code } dataAccessGroup { code }
    insurableClasses { code }
    products { openToAllClasses product { code coverageTiers } insurableClasses { code } } } }
}
"""


def _level(inner: str) -> str:
    return f"""children(first: 100) {{ totalCount edges {{ node {{
      code name status lineOfBusiness {{ code }} dataAccessGroup {{ code }} {ACCOUNTS} {inner} }} }} }}"""


TREE = f"""
query Tree($code: String!) {{
  groupClient(code: $code) {{
    code lineOfBusiness {{ code }} dataAccessGroup {{ code }} {ACCOUNTS}
    {_level(_level(_level(_level(""))))}
  }}
}}
"""

PAGE = f"""
query Page {{
  groupClients(first: 100) {{
    totalCount pageInfo {{ hasNextPage endCursor }}
    edges {{ cursor node {{ id code status parent {{ code }} ancestors {{ code }}
      lineOfBusiness {{ code }} dataAccessGroup {{ code }} {ACCOUNTS} }} }}
  }}
}}
"""


def _codes(level: dict) -> int:
    """Count the group clients in a tree answer."""
    children = level.get("children")
    if not children:
        return 1
    return 1 + sum(_codes(edge["node"]) for edge in children["edges"])


async def _tree_statements(
    admin: GraphQLClient, statements: StatementCounter, size: int, session
) -> tuple[int, int]:
    book = await Book(session).setup()
    root = await tree(book, size=size, depth=5)
    statements.reset()
    data = await admin.query(TREE, {"code": root.code})
    return statements.count, _codes(data["groupClient"])


@pytest.mark.parametrize("size", [5, 200])
async def test_tree_of_five_levels_costs_a_fixed_number_of_statements(
    admin: GraphQLClient, statements: StatementCounter, session, size: int
) -> None:
    # given a 5-level tree of `size` clients, each with an account, 2 classes, 2 products
    # when
    count, clients = await _tree_statements(admin, statements, size, session)
    # then every client came back, in the same statements whatever the size
    assert clients == size
    assert count == TREE_STATEMENTS, statements.statements


@pytest.mark.parametrize("size", [2, 200])
async def test_first_page_of_group_clients_costs_a_fixed_number_of_statements(
    admin: GraphQLClient, statements: StatementCounter, session, size: int
) -> None:
    # given
    book = await Book(session).setup()
    await tree(book, size=size, depth=5)
    statements.reset()
    # when
    data = await admin.query(PAGE)
    # then
    page = data["groupClients"]
    assert page["totalCount"] == size
    assert len(page["edges"]) == min(size, 100)
    assert page["pageInfo"]["hasNextPage"] is (size > 100)
    assert statements.count == PAGE_STATEMENTS, statements.statements


# Statements per level of the tree: children page and count, accounts page and count, classes,
# offered products, allowed classes; once per request: the root, its line of business and data
# access group, products and their tiers. A failing run lists the statements it saw.
TREE_STATEMENTS = 38
PAGE_STATEMENTS = 13
