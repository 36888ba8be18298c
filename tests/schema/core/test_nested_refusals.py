"""A refusal deep in an answer (a bad `after` on a nested page) nulls its parent and leaves the
request's connection whole: graphql-core cancels the parent's other fields, and a statement
cut off half way used to close the connection, failing the request with a 500 and the next
statement of the session with it (domain.database.SharedSession)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import Book
from tests.graphql import GraphQLClient

NESTED = """{ groupClients(first: 10) { edges { node { code
  children(first: 5, after: "AFTER") { totalCount edges { node { code } } }
  groupAccounts(first: 5) { totalCount edges { node { code policies(first: 3) { totalCount } } } }
} } } }"""


@pytest.mark.parametrize("after", ["not-a-cursor", "Y3Vyc29yOjA=", "Y3Vyc29yOjk5OTk5OTk5OTk5"])
async def test_a_bad_cursor_on_a_nested_page_is_an_error_there_and_the_session_goes_on(
    admin: GraphQLClient, session: AsyncSession, after: str
) -> None:
    # given three clients, each with fields read beside the nested page
    book = await Book(session).setup()
    for code in ("A1", "A2", "A3"):
        await book.client(code=code)
    await session.commit()
    # when a nested page gets a cursor this server never gave out
    body = await admin.raw(NESTED.replace("AFTER", after))
    # then the answer names the argument at the page's path, and nothing else failed
    (error,) = body["errors"]
    assert error["message"] == "`after` is not a cursor this server gave out."
    assert error["path"][-1] == "children"
    assert body["data"] == {"groupClients": None}
    # and the next request on the same connection is answered
    again = await admin.query("{ groupClients(first: 3) { totalCount } }")
    assert again["groupClients"]["totalCount"] == 3
