"""Lists resolve in a number of SQL statements that does not grow with the number of rows."""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from tests.conftest import StatementCounter, token_for
from tests.factories import Book, tree, viewers
from tests.graphql import GraphQLClient

ACCOUNTS = """
groupAccounts(first: 2) {
  totalCount
  edges { node { code lineOfBusiness { code } dataAccessGroup { code }
    insurableClasses { code }
    products { openToAllClasses product { code coverageTiers } insurableClasses { code } } } }
}
"""


def _level(inner: str) -> str:
    return f"""children(first: 4) {{ totalCount edges {{ node {{
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


# Who asks: an admin, and two restricted roles whose grants reach the whole tree, so that the
# same rows come back and only the cost of authorization differs.
VIEWERS = ["admin", "backoffice", "group_manager"]


def _viewer(http: AsyncClient, name: str, root_code: str) -> GraphQLClient:
    return GraphQLClient(http, token_for(viewers(root_code)[name]))


def _expected(base: int, viewer: str) -> int:
    # A non-admin's stored grants are read once per request; an admin has nothing to read.
    return base if viewer == "admin" else base + 1


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("size", [5, 200])
async def test_tree_of_five_levels_costs_a_fixed_number_of_statements(
    http: AsyncClient, statements: StatementCounter, session, size: int, viewer: str
) -> None:
    # given a 5-level tree of `size` clients, each with an account, 2 classes, 2 products
    root = await tree(await Book(session).setup(), size=size, depth=5)
    client = _viewer(http, viewer, root.code)
    statements.reset()
    # when
    data = await client.query(TREE, {"code": root.code})
    # then every client came back, in the same statements whatever the size
    assert _codes(data["groupClient"]) == size
    assert statements.count == _expected(TREE_STATEMENTS, viewer), statements.statements


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("size", [2, 200])
async def test_first_page_of_group_clients_costs_a_fixed_number_of_statements(
    http: AsyncClient, statements: StatementCounter, session, size: int, viewer: str
) -> None:
    # given
    root = await tree(await Book(session).setup(), size=size, depth=5)
    client = _viewer(http, viewer, root.code)
    statements.reset()
    # when
    data = await client.query(PAGE)
    # then
    page = data["groupClients"]
    assert page["totalCount"] == size
    assert len(page["edges"]) == min(size, 100)
    assert page["pageInfo"]["hasNextPage"] is (size > 100)
    assert statements.count == _expected(PAGE_STATEMENTS, viewer), statements.statements


# Statements per level of the tree: children page and count, accounts page and count, classes,
# offered products, allowed classes; once per request: the root, its line of business and data
# access group, products and their tiers. A failing run lists the statements it saw.
TREE_STATEMENTS = 38
PAGE_STATEMENTS = 13
