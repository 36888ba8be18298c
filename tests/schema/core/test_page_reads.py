"""A page reads the row past its end only for `hasNextPage`, and writes cursors only when read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from domain.policies.limits import utc_today
from schema.core import relay
from tests.conftest import token_for
from tests.factories import Book, families, place, viewers
from tests.graphql import GraphQLClient

NESTED = """
query {
  groupClients(first: 5) { edges { node { groupAccounts(first: 2) { edges { node {
    policies(first: 2) { PAGE_INFO edges { CURSOR node { number } } }
  } } } } } }
}
"""
LIST = "query { policies(first: 2) { PAGE_INFO edges { CURSOR node { number } } } }"
ASKS = {
    "nothing": ("", ""),
    "hasNextPage": ("pageInfo { hasNextPage }", ""),
    "through a fragment": ("...More", ""),
    "endCursor only": ("pageInfo { endCursor }", ""),
    "cursors": ("", "cursor"),
}
FRAGMENT = "\nfragment More on PolicyConnection { pageInfo { hasNextPage } }"


class Pages:
    """The policy page statements sent on a connection, to be run again to count their rows."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM policy " in statement:
            self.sent.append((statement, parameters))

    async def rows(self, connection: AsyncConnection) -> int:
        """How many rows the one page statement sent reads."""
        ((statement, parameters),) = self.sent
        return len((await connection.exec_driver_sql(statement, parameters)).all())


@pytest.fixture
def pages(connection: AsyncConnection) -> Iterator[Pages]:
    seen = Pages()
    event.listen(connection.sync_connection, "before_cursor_execute", seen)
    yield seen
    event.remove(connection.sync_connection, "before_cursor_execute", seen)


def _document(template: str, asked: str) -> str:
    page_info, cursor = ASKS[asked]
    document = template.replace("PAGE_INFO", page_info).replace("CURSOR", cursor)
    return document + (FRAGMENT if "..." in page_info else "")


async def _client(http: AsyncClient, session: AsyncSession) -> GraphQLClient:
    # given an account of 5 policies
    book = await Book(session).setup()
    where = await place(book)
    await families(book, where, 5, since=utc_today() - timedelta(days=10))
    return GraphQLClient(http, token_for(viewers(where.client.code)["admin"]))


def _connections(data: dict[str, Any]) -> list[dict[str, Any]]:
    if "policies" in data:
        return [data["policies"]]
    return [
        account["node"]["policies"]
        for client in data["groupClients"]["edges"]
        for account in client["node"]["groupAccounts"]["edges"]
    ]


@pytest.mark.parametrize("template", [NESTED, LIST], ids=["an account's page", "a list"])
@pytest.mark.parametrize("asked", list(ASKS))
async def test_a_page_reads_one_row_more_only_when_asked_whether_more_follow(
    http: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    pages: Pages,
    monkeypatch: pytest.MonkeyPatch,
    template: str,
    asked: str,
) -> None:
    client = await _client(http, session)
    written: list[int] = []
    cursor_of = relay.cursor_of
    monkeypatch.setattr(
        relay, "cursor_of", lambda row_id: written.append(row_id) or cursor_of(row_id)
    )
    pages.sent.clear()
    # when the first 2 are asked for, with or without whether more follow and cursors
    data = await client.query(_document(template, asked))
    # then the page holds 2, and the statement read a third only to say that more follow
    (page,) = _connections(data)
    assert [edge["node"]["number"][-2:] for edge in page["edges"]] == ["-0", "-1"]
    more = asked in ("hasNextPage", "through a fragment")
    assert await pages.rows(connection) == (3 if more else 2)
    if more:
        assert page["pageInfo"]["hasNextPage"] is True
    # and cursors were written only for what was read: both edges', or the last
    assert len(written) == {"cursors": 2, "endCursor only": 1}.get(asked, 0)
    if asked == "cursors":
        assert all(edge["cursor"] for edge in page["edges"])


MERGED = """
query {
  a: groupAccount(code: "ACME-GA") { ...Page }
  b: groupAccount(code: "ACME-GA") { ...Page policies(first: 2) { pageInfo { hasNextPage } } }
}
fragment Page on GroupAccount { policies(first: 2) { edges { node { number } } } }
"""


async def test_a_fragment_merged_with_hasnextpage_in_one_place_is_answered_there(
    http: AsyncClient, session: AsyncSession
) -> None:
    client = await _client(http, session)
    # when one fragment is spread twice, asked whether more follow in the second place only
    data = await client.query(MERGED)
    # then the second place says so, though the first, without it, was answered first
    assert data["b"]["policies"]["pageInfo"] == {"hasNextPage": True}
    assert len(data["a"]["policies"]["edges"]) == len(data["b"]["policies"]["edges"]) == 2
