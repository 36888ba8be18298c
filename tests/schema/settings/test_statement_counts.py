"""Effective settings of a page of policies, and of a whole tree, in a fixed number of
statements, however many rows the page or the tree holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from domain.policies.limits import utc_today
from domain.settings.models import CollectionSetting, Setting, SettingKind
from tests.conftest import StatementCounter, token_for
from tests.factories import Book, families, place, settings_reference, tree, viewers
from tests.graphql import GraphQLClient
from tests.schema.settings.conftest import EFFECTIVE

POLICIES = f"""
query Policies($asOf: Date!) {{
  policies(first: 100, filter: {{asOf: $asOf}}) {{
    edges {{ node {{
      number
      effectiveSettings(asOf: $asOf) {{ {EFFECTIVE} }}
      enrollmentProducts(asOf: $asOf) {{ effectiveSettings(asOf: $asOf) {{ {EFFECTIVE} }} }}
    }} }}
  }}
}}
"""


def _level(inner: str) -> str:
    return f"""children(first: 4) {{ edges {{ node {{
      code effectiveSettings {{ {EFFECTIVE} }} {inner} }} }} }}"""


TREE = f"""
query Tree($code: String!) {{
  groupClient(code: $code) {{
    code effectiveSettings {{ {EFFECTIVE} }}
    {_level(_level(_level(_level(""))))}
  }}
}}
"""

# Policies: the page; the policies' chains (account links, accounts, ancestors, settings,
# adjustment periods); the enrolments, and their chains (enrolments, links, offers,
# accounts, ancestors, settings, periods); the reference rows the values name.
POLICY_STATEMENTS = 15
# A group manager: one statement more than an admin's page, and one per batch (the policies',
# the enrolments') for which of the levels the values came from they may see.
NOT_EVERYTHING = 1 + 2
# A tree: per level of the tree, its children and their chains (ancestors and settings).
TREE_STATEMENTS = 15


async def _configure(book: Book, client_id: int, account_id: int | None = None) -> None:
    """Settings on the client (and account): a collection setting, a flow, a broker."""
    book.session.add_all(
        [
            Setting(
                kind=SettingKind.COLLECTION_SETTING,
                group_client_id=client_id,
                value_text=CollectionSetting.GROUP_BILLED,
            ),
            Setting(kind=SettingKind.PROCESS_FLOW, group_client_id=client_id, value_text="std"),
        ]
        + (
            [
                Setting(
                    kind=SettingKind.GROUP_COMMISSION_RATE,
                    group_account_id=account_id,
                    value_decimal=3,
                )
            ]
            if account_id
            else []
        )
    )
    await book.session.commit()


@pytest.mark.parametrize("viewer", ["admin", "group_manager"])
@pytest.mark.parametrize("size", [1, 120])
async def test_effective_settings_of_a_page_of_policies(
    http: AsyncClient, statements: StatementCounter, session: AsyncSession, size: int, viewer: str
) -> None:
    # given `size` families in a configured account
    book = await Book(session).setup()
    await settings_reference(book)
    where = await place(book)
    await _configure(book, where.client.id, where.account.id)  # type: ignore[arg-type]
    await families(book, where, size, since=utc_today() - timedelta(days=10))
    client = GraphQLClient(http, token_for(viewers(where.client.code)[viewer]))
    statements.reset()
    # when
    data = await client.query(POLICIES, {"asOf": utc_today().isoformat()})
    # then
    edges = data["policies"]["edges"]
    assert len(edges) == min(size, 100)
    settings = edges[-1]["node"]["effectiveSettings"]
    assert settings["collectionSetting"]["value"] == "GROUP_BILLED"
    assert settings["groupCommissionRate"]["value"] == "3.0000"
    product = edges[-1]["node"]["enrollmentProducts"][0]["effectiveSettings"]
    assert product["processFlow"]["value"] == "std"
    expected = POLICY_STATEMENTS + (NOT_EVERYTHING if viewer != "admin" else 0)
    assert statements.count == expected, statements.statements


@pytest.mark.parametrize("size", [5, 500])
async def test_effective_settings_of_a_whole_tree(
    http: AsyncClient, statements: StatementCounter, session: AsyncSession, size: int
) -> None:
    # given a 5-level tree configured at its root only
    book = await Book(session).setup()
    root = await tree(book, size=size, depth=5)
    await _configure(book, root.id)  # type: ignore[arg-type]
    client = GraphQLClient(http, token_for(viewers(root.code)["admin"]))
    statements.reset()
    # when
    data = await client.query(TREE, {"code": root.code})
    # then every client, however deep, gets the root's collection setting from a parent
    deepest = data["groupClient"]
    while deepest["children"]["edges"] if "children" in deepest else False:
        deepest = deepest["children"]["edges"][0]["node"]
    assert deepest["effectiveSettings"]["collectionSetting"]["value"] == "GROUP_BILLED"
    assert deepest["effectiveSettings"]["collectionSetting"]["source"]["level"] == (
        "PARENT_GROUP_CLIENT"
    )
    assert statements.count == TREE_STATEMENTS, statements.statements
