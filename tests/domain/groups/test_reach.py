"""A change may not put a row where the actor's own grants would no longer reach it."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import Actor, Restriction, RowScope
from domain.core.errors import DomainError, ErrorCode
from domain.groups.accounts import create_group_account
from domain.groups.service import create_group_client, move_group_client
from tests.factories import Book

SUBTREE_OF_ROOT = "ROOT"


def _fields(error: pytest.ExceptionInfo[DomainError]) -> list[tuple[ErrorCode, tuple[str, ...]]]:
    return [(p.code, p.field) for p in error.value.problems]


async def test_a_subtree_grant_may_create_below_its_root_but_not_a_new_root(
    session: AsyncSession,
) -> None:
    # given an actor whose grant is the subtree of ROOT
    book = await Book(session).setup()
    root = await book.client(code=SUBTREE_OF_ROOT)
    actor = Actor("hr-1", RowScope(subtrees=frozenset({SUBTREE_OF_ROOT})))
    fields = dict(name="New", line_of_business="HEALTH", data_access_group="EU")
    # when / then: below the root is fine
    child = await create_group_client(session, actor=actor, code="KID", parent_id=root.id, **fields)
    assert child.parent_id == root.id
    # when / then: a new tree of its own would be out of reach, and the placement is blamed
    with pytest.raises(DomainError) as refused:
        await create_group_client(session, actor=actor, code="TOP", parent_id=None, **fields)
    assert _fields(refused) == [(ErrorCode.FORBIDDEN, ("parent_id",))]


async def test_a_subtree_grant_may_not_move_a_client_out_of_its_subtree(
    session: AsyncSession,
) -> None:
    # given ROOT > KID, and another tree OTHER visible to nobody in the actor's grant
    book = await Book(session).setup()
    root = await book.client(code=SUBTREE_OF_ROOT)
    kid = await book.client(root, code="KID")
    actor = Actor("hr-1", RowScope(subtrees=frozenset({SUBTREE_OF_ROOT})))
    # when moving KID to the top, out of the subtree
    with pytest.raises(DomainError) as refused:
        await move_group_client(session, actor=actor, group_client_id=kid.id, new_parent_id=None)
    # then
    assert _fields(refused) == [(ErrorCode.FORBIDDEN, ("new_parent_id",))]


async def test_a_restriction_grant_may_not_create_an_account_outside_it(
    session: AsyncSession,
) -> None:
    # given a backoffice actor granted EU and HEALTH, and an EU client
    book = await Book(session).setup()
    client = await book.client(code="EU-CLIENT")
    actor = Actor(
        "bo-1",
        RowScope(restrictions=frozenset({Restriction(frozenset({"EU"}), frozenset({"HEALTH"}))})),
    )
    # when it creates an account in the US data access group
    with pytest.raises(DomainError) as refused:
        await create_group_account(
            session,
            actor=actor,
            group_client_id=client.id,
            code="US-ACC",
            name="US account",
            data_access_group="US",
        )
    # then both restriction fields are blamed
    assert _fields(refused) == [
        (ErrorCode.FORBIDDEN, ("line_of_business",)),
        (ErrorCode.FORBIDDEN, ("data_access_group",)),
    ]
