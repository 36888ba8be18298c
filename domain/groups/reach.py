"""Which group clients, accounts, classes and offers a row scope reaches, as SQL predicates.

A group client and a group account each carry their own restrictions; classes and offers
belong to their account and are reached exactly when it is. Each predicate is built once
per scope (see authz.access.SCOPES).
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import SCOPES, RowScope
from domain.core.changes import on_groups_changed
from domain.core.columns import utcnow
from domain.core.reach import Entity, declare
from domain.groups.models import (
    GroupAccount,
    GroupAccountProduct,
    GroupClient,
    GroupStatus,
    InsurableClass,
)
from domain.policies.models import Person, Policy, PolicyAccountLink
from domain.reference.reach import any_of, restricted

_TREES = itertools.count()


@lru_cache(maxsize=SCOPES)
def _subtree(codes: frozenset[str]) -> sa.CTE:
    """The ids of the group clients with these codes and of everything below them.

    Each set of codes has a CTE of its own name: one statement may hold two (a vendor's
    clients beside its manager's, several vendors' in vendorStats), and SQL refuses two
    different CTEs of one name."""
    top: sa.Select[Any] = sa.select(col(GroupClient.id).label("id")).where(
        col(GroupClient.code).in_(sorted(codes))
    )
    tree = top.cte(f"granted_subtree_{next(_TREES)}", recursive=True)
    # A JOIN, not a WHERE over two FROMs: inside a LATERAL page (domain.policies.queries)
    # SQLAlchemy's linter took the WHERE form for a cartesian product and warned.
    below = sa.select(col(GroupClient.id)).join(tree, col(GroupClient.parent_id) == tree.c.id)
    return tree.union_all(below)


@lru_cache(maxsize=SCOPES)
def in_subtree(scope: RowScope, client_id: Any) -> Any:
    """Rows whose group client lies in one of the scope's granted subtrees."""
    if not scope.subtrees:
        return sa.false()
    return client_id.in_(sa.select(_subtree(scope.subtrees).c.id))


@lru_cache(maxsize=SCOPES)
def clients(scope: RowScope, table: Any = GroupClient) -> Any:
    """Group clients the scope reaches; `table` may be an alias of GroupClient."""
    if scope.everything:
        return sa.true()
    return any_of(
        restricted(scope, col(table.data_access_group_id), col(table.line_of_business_id)),
        in_subtree(scope, col(table.id)),
    )


@lru_cache(maxsize=SCOPES)
def accounts(scope: RowScope) -> Any:
    """Group accounts the scope reaches: by their own restrictions or their client's subtree."""
    if scope.everything:
        return sa.true()
    return any_of(
        restricted(
            scope, col(GroupAccount.data_access_group_id), col(GroupAccount.line_of_business_id)
        ),
        in_subtree(scope, col(GroupAccount.group_client_id)),
        _of_own_policies(scope),
    )


def _of_own_policies(scope: RowScope) -> Any:
    """For reading, a person's scope reaches the accounts their own policies were ever linked
    to (and so those accounts' classes and offers), so an employee reads where they are insured
    (`Policy.coverage`). An employee holds no groups:read, so their groups scope names no
    person: `groupAccount(code:)` and `Policy.groupAccount` still answer null for them."""
    if scope.person is None or scope.writes:
        return sa.false()
    own = sa.select(col(Policy.id)).join(Person, col(Person.id) == col(Policy.subscriber_id))
    linked = sa.select(col(PolicyAccountLink.group_account_id)).where(
        col(PolicyAccountLink.policy_id).in_(own.where(col(Person.person_number) == scope.person))
    )
    return col(GroupAccount.id).in_(linked)


@lru_cache(maxsize=SCOPES)
def of_accounts(scope: RowScope, group_account_id: Any) -> Any:
    """Rows that belong to a group account the scope reaches."""
    if scope.everything:
        return sa.true()
    return group_account_id.in_(sa.select(col(GroupAccount.id)).where(accounts(scope)))


_RESTRICTIONS = ("line_of_business", "data_access_group")


async def _own_client(session: AsyncSession, row: Any) -> set[int]:
    """A client's configuration includes its place under its parent."""
    return {row.id, row.parent_id}


async def _account_client(session: AsyncSession, row: Any) -> set[int]:
    return {row.group_client_id}


async def client_of(session: AsyncSession, account_id: int) -> set[int]:
    """The group client of an account, for a `groups` hook of a row that hangs on it."""
    client = await session.scalar(
        sa.select(col(GroupAccount.group_client_id)).where(col(GroupAccount.id) == account_id)
    )
    return {client} if client is not None else set()


async def _client_of_account(session: AsyncSession, row: Any) -> set[int]:
    return await client_of(session, row.group_account_id)


async def _mark(session: AsyncSession, ids: set[int]) -> None:
    now = utcnow()
    for client_id in sorted(ids):
        client = await session.get(GroupClient, client_id)
        if client is not None and client not in session.deleted:
            client.status = GroupStatus.CHANGED
            client.updated_at = now


declare(
    GroupClient,
    Entity(
        noun="group client", reach=clients, groups=_own_client, restriction_fields=_RESTRICTIONS
    ),
)
declare(
    GroupAccount,
    Entity(
        noun="group account",
        reach=accounts,
        groups=_account_client,
        restriction_fields=_RESTRICTIONS,
    ),
)
declare(
    InsurableClass,
    Entity(
        noun="insurable class",
        reach=lambda scope: of_accounts(scope, col(InsurableClass.group_account_id)),
        groups=_client_of_account,
    ),
)
declare(
    GroupAccountProduct,
    Entity(
        noun="group account product",
        reach=lambda scope: of_accounts(scope, col(GroupAccountProduct.group_account_id)),
        groups=_client_of_account,
    ),
)
on_groups_changed(_mark)
