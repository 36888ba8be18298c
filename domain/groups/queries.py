"""Reading the group structure in batches, for lists and loaders."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from authz.access import RowScope
from domain.core.fields import is_code
from domain.core.paging import Slice, Window, count, fetch_slice
from domain.core.reach import visible
from domain.database import KEYS, among_keys, is_postgresql, keys_of, records
from domain.groups import reach as access
from domain.groups.models import (
    GroupAccount,
    GroupAccountProductClass,
    GroupClient,
    GroupStatus,
    InsurableClass,
)

# A corrupt parent link must never loop a recursive query forever.
MAX_TREE_DEPTH = 64


@dataclass(frozen=True)
class GroupClientFilter:
    """Which group clients to list; every given criterion must hold."""

    parent_id: int | None = None
    roots_only: bool = False
    status: GroupStatus | None = None
    search: str | None = None

    def select(self, scope: RowScope) -> sa.Select[Any]:
        """Return the select of the matching group clients that `scope` reaches."""
        stmt = sa.select(GroupClient).where(visible(scope, GroupClient))
        if self.parent_id is not None:
            # A hidden parent does not exist, so neither do its children as its children.
            parent = aliased(GroupClient)
            visible_parent = sa.select(col(parent.id)).where(
                col(parent.id) == self.parent_id, access.clients(scope, parent)
            )
            stmt = stmt.where(col(GroupClient.parent_id).in_(visible_parent))
        if self.roots_only:
            stmt = stmt.where(col(GroupClient.parent_id).is_(None))
        if self.status is not None:
            stmt = stmt.where(col(GroupClient.status) == self.status)
        term = (self.search or "").strip().lower()
        if "\x00" in term:  # no code or name holds one; PostgreSQL cannot even compare it
            stmt = stmt.where(sa.false())
        elif term:
            stmt = stmt.where(
                sa.or_(
                    sa.func.lower(GroupClient.code).contains(term, autoescape=True),
                    sa.func.lower(GroupClient.name).contains(term, autoescape=True),
                )
            )
        return stmt


async def list_group_clients(
    session: AsyncSession, *, scope: RowScope, criteria: GroupClientFilter, window: Window
) -> Slice[GroupClient]:
    """Return a window of the matching group clients, in creation order."""
    return await fetch_slice(session, criteria.select(scope), GroupClient, window)


async def count_group_clients(
    session: AsyncSession, *, scope: RowScope, criteria: GroupClientFilter
) -> int:
    """Count the matching group clients."""
    return await count(session, criteria.select(scope))


async def ancestor_ids(session: AsyncSession, ids: Iterable[int]) -> dict[int, list[int]]:
    """Return the ids of each group client's ancestors, root first, in one recursive query
    (built once, the ids its parameter: the tree of bench.load asks for six levels' clients'
    ancestors, and building the recursive select anew and rendering a parameter per id cost
    more than running it)."""
    ids = list(ids)
    postgresql = is_postgresql(session)
    rows = await records(
        session, _ancestors(postgresql), {KEYS: keys_of(postgresql, col(GroupClient.id), ids)}
    )
    found: dict[int, list[int]] = {i: [] for i in ids}
    for start_id, ancestor_id, _depth in rows:
        found[start_id].append(ancestor_id)
    return found


@lru_cache(maxsize=2)
def _ancestors(postgresql: bool) -> sa.Select[Any]:
    chain = (
        sa.select(
            col(GroupClient.id).label("start_id"),
            col(GroupClient.parent_id).label("ancestor_id"),
            sa.literal(1).label("depth"),
        )
        .where(among_keys(postgresql, col(GroupClient.id)), col(GroupClient.parent_id).is_not(None))
        .cte("chain", recursive=True)
    )
    step = sa.select(chain.c.start_id, col(GroupClient.parent_id), chain.c.depth + 1).where(
        col(GroupClient.id) == chain.c.ancestor_id,
        col(GroupClient.parent_id).is_not(None),
        chain.c.depth < MAX_TREE_DEPTH,
    )
    chain = chain.union_all(step)
    return sa.select(chain).order_by(chain.c.start_id, chain.c.depth.desc())


async def allowed_classes(
    session: AsyncSession, group_account_product_ids: Iterable[int], *, where: Any
) -> dict[int, list[InsurableClass]]:
    """Return the insurable classes allowed for each group account product, in one statement."""
    ids = list(group_account_product_ids)
    stmt = (
        sa.select(col(GroupAccountProductClass.group_account_product_id), InsurableClass)
        .join(InsurableClass, col(InsurableClass.id) == GroupAccountProductClass.insurable_class_id)
        .where(col(GroupAccountProductClass.group_account_product_id).in_(ids), where)
        .order_by(col(InsurableClass.id))
    )
    found: dict[int, list[InsurableClass]] = {i: [] for i in ids}
    for product_id, insurable_class in (await session.execute(stmt)).all():
        found[product_id].append(insurable_class)
    return found


async def client_by_code(
    session: AsyncSession, code: str, *, scope: RowScope
) -> GroupClient | None:
    """Return the group client with this business code, if `scope` reaches it."""
    return await _by_code(session, GroupClient, code, visible(scope, GroupClient))


async def account_by_code(
    session: AsyncSession, code: str, *, scope: RowScope
) -> GroupAccount | None:
    """Return the group account with this business code, if `scope` reaches it."""
    return await _by_code(session, GroupAccount, code, visible(scope, GroupAccount))


async def _by_code(session: AsyncSession, model: Any, code: str, visible: Any) -> Any:
    if not is_code(code.strip()):
        return None
    stmt = sa.select(model).where(col(model.code) == code.strip(), visible)
    return await session.scalar(stmt)  # type: ignore[arg-type]


def subtree_ids(client_id: int, *, visible: Any) -> sa.Select[Any]:
    """The ids of a group client and of everything below it; none when it is not `visible`."""
    return sa.select(subtrees(col(GroupClient.id) == client_id, visible=visible).c.id)


def subtrees(tops: Any, *, visible: Any) -> sa.CTE:
    """Each group client that `tops` picks and `visible` lets through (`root_id`) beside
    itself and every client below it (`id`), in one recursive CTE for any number of tops."""
    top: sa.Select[Any, Any] = sa.select(
        col(GroupClient.id).label("root_id"), col(GroupClient.id).label("id")
    ).where(tops, visible)
    tree = top.cte("client_subtree", recursive=True)
    # A JOIN, not a WHERE over two FROMs, as in domain.groups.reach: SQLAlchemy's linter takes
    # the WHERE form inside a LATERAL page (domain.policies.pages) for a cartesian product.
    below = sa.select(tree.c.root_id, col(GroupClient.id)).join(
        tree, col(GroupClient.parent_id) == tree.c.id
    )
    return tree.union_all(below)
