"""A request's loaders, and the rows they hold, are dropped as soon as its answer is built."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from authz.principal import Principal, Role
from schema.core.context import Context
from schema.root import schema
from tests.factories import Book


async def test_the_loaders_are_empty_once_the_answer_is_built(session: AsyncSession) -> None:
    # given a group tree with an account
    book = await Book(session).setup()
    await book.client(code="ACME")
    context = Context(session=session, principal=Principal("admin-1", frozenset({Role.ADMIN})))
    # when a query reads clients and their accounts through the loaders
    result = await schema.execute(
        "{ groupClients { edges { node { code groupAccounts { totalCount } } } } }",
        context_value=context,
    )
    # then the answer holds them and the context no longer does
    assert result.errors is None
    assert result.data is not None and result.data["groupClients"]["edges"]
    assert "groups" not in vars(context.loaders)
