"""A request's loaders, and the rows they hold, are dropped as soon as its answer is built; and
the answer itself is freed as soon as it is sent, by reference counting, not by the cycle
collector."""

from __future__ import annotations

import gc

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types.execution import ExecutionContext

from authz.principal import Principal, Role
from schema.core.context import Context
from schema.root import build_schema, schema
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


@pytest.mark.parametrize("production", [False, True])
async def test_no_extension_keeps_the_answer_in_a_cycle(
    session: AsyncSession, production: bool
) -> None:
    # given a group tree with an account, and a schema as the server builds it
    book = await Book(session).setup()
    await book.client(code="ACME")
    served = build_schema(production=production)
    gc.collect()
    gc.disable()
    try:
        # when a query is answered and the answer let go of
        context = Context(session=session, principal=Principal("admin-1", frozenset({Role.ADMIN})))
        result = await served.execute(
            "{ groupClients { edges { node { code groupAccounts { totalCount } } } } }",
            context_value=context,
        )
        assert result.errors is None
        del result, context
        # then no execution context is left, with its answer, for the cycle collector
        left = [o for o in gc.get_objects() if isinstance(o, ExecutionContext)]
    finally:
        gc.enable()
    assert left == []
