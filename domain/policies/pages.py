"""A page of policies for each of many group accounts, or group clients, in one statement.

An account's policies are those linked to it; a client's, those linked to an account of the
client or of any client below it (as `queries.PolicyFilter` finds them for one client). Without
`as_of`, every policy ever linked; with it, the policies in force and linked on that day.
Either way a policy linked twice counts once. Each is a set of (policy, key) pairs (`Links`),
read as pages and counts the same way for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import RowScope
from domain.core.paging import (
    AFTER,
    STATEMENTS,
    Columns,
    Slice,
    Window,
    columns_in,
    completed,
    cut,
    group_by,
    selected,
)
from domain.core.periods import in_force
from domain.core.reach import visible
from domain.database import KEYS, among_keys, is_postgresql, keys_array, keys_of, records
from domain.groups.models import GroupAccount, GroupClient
from domain.groups.queries import subtrees
from domain.policies.models import Policy, PolicyAccountLink


@dataclass(frozen=True)
class Links:
    """The policies of each of `keys`: of a group account, those linked to it; of a group
    client, those linked to an account of its subtree within the caller's reach of groups (a
    hidden client has none: a hidden row does not exist, so neither do policies found through
    it)."""

    keys: list[int]
    kind: _Kind


def account_links(account_ids: list[int]) -> Links:
    """The policies of each group account."""
    return Links(account_ids, _Kind(None))


def client_links(client_ids: list[int], *, groups_scope: RowScope) -> Links:
    """The policies of each group client's subtree."""
    return Links(client_ids, _Kind(groups_scope))


@dataclass(frozen=True)
class _Kind:
    """What decides the statements of `Links`, which are built once for it: the keys and the
    day are their parameters (`KEYS`, `AS_OF`). Building a LATERAL page anew and working out
    SQLAlchemy's key of it cost more than a millisecond a request (issue 21)."""

    groups_scope: RowScope | None
    """None: a group account's links; else a group client's subtree's, within this reach."""

    def pairs(self, postgresql: bool, of: Any, dated: bool) -> sa.Select[Any, Any]:
        """The distinct (policy_id, key) pairs: of every key (`of` None), or of the one key a
        LATERAL's `of` holds; of links in force on the day when `dated`."""
        if self.groups_scope is None:
            key = col(PolicyAccountLink.group_account_id)
            stmt: sa.Select[Any, Any] = sa.select(
                col(PolicyAccountLink.policy_id), key.label("key")
            )
            stmt = stmt.where(among_keys(postgresql, key) if of is None else key == of)
        else:
            tree = subtrees(
                among_keys(postgresql, col(GroupClient.id)),
                visible=visible(self.groups_scope, GroupClient),
            )
            stmt = (
                sa.select(col(PolicyAccountLink.policy_id), tree.c.root_id.label("key"))
                .join(GroupAccount, col(GroupAccount.id) == PolicyAccountLink.group_account_id)
                .join(tree, tree.c.id == GroupAccount.group_client_id)
            )
            if of is not None:
                stmt = stmt.where(tree.c.root_id == of)
        if dated:
            stmt = stmt.where(in_force(PolicyAccountLink, sa.bindparam(AS_OF)))
        return stmt.distinct()


AS_OF = "as_of"
"""The parameter of the day of a statement of `Links`."""


def _parameters(
    postgresql: bool, links: Links, as_of: date | None, after: int | None = None
) -> dict[str, Any]:
    parameters: dict[str, Any] = {KEYS: keys_of(postgresql, col(Policy.id), links.keys)}
    if as_of is not None:
        parameters[AS_OF] = as_of
    if after is not None:
        parameters[AFTER] = after
    return parameters


async def policy_slices(
    session: AsyncSession, links: Links, window: Window, *, scope: RowScope, as_of: date | None
) -> dict[int, Slice[Any]]:
    """One window of each key's policies that `scope` reaches (in force on `as_of`, when
    given), in creation order, all in one statement, as records of the policy's columns (of
    the window's columns, when it names them)."""
    postgresql = is_postgresql(session)
    dated, after = as_of is not None, window.after is not None
    stmt = _pages(postgresql, links.kind, scope, dated, after, window.rows, window.columns)
    parameters = _parameters(postgresql, links, as_of, window.after)
    grouped = group_by(await records(session, stmt, parameters), links.keys, "group_key")
    return {i: cut(rows, window) for i, rows in grouped.items()}


@lru_cache(maxsize=STATEMENTS)
def _pages(
    postgresql: bool,
    kind: _Kind,
    scope: RowScope,
    dated: bool,
    after: bool,
    rows: int,
    columns: Columns,
) -> sa.Select[Any]:
    wanted = [visible(scope, Policy)]
    if dated:
        wanted.append(in_force(Policy, sa.bindparam(AS_OF)))
    if after:
        wanted.append(col(Policy.id) > sa.bindparam(AFTER))
    pages = _lateral_pages if postgresql else _ranked_pages
    return completed(pages(kind, dated, sa.and_(*wanted), rows, columns), Policy, columns)


def _lateral_pages(
    kind: _Kind, dated: bool, wanted: Any, rows: int, columns: Columns
) -> sa.Select[Any]:
    """Each key's first `rows` policies, by LATERAL ... LIMIT (PostgreSQL): an account's page
    reads its first links in policy order (migration 0026) and stops, where ranking reads every
    link of every account asked (100 accounts of 100 policies: 2.8 ms against 106)."""
    asked = (
        sa.func.unnest(keys_array(col(Policy.id))).table_valued("id").render_derived(name="asked")
    )
    linked = kind.pairs(True, asked.c.id, dated).correlate(asked).subquery("linked")
    page = (
        sa.select(*selected(Policy, columns))
        .join(linked, linked.c.policy_id == Policy.id)
        .where(wanted)
        .order_by(col(Policy.id))
        .limit(rows)
        .lateral("page")
    )
    return (
        sa.select(*page.c, asked.c.id.label("group_key"))
        .select_from(asked)
        .join(page, sa.true())
        .order_by(asked.c.id, page.c.id)
    )


def _ranked_pages(
    kind: _Kind, dated: bool, wanted: Any, rows: int, columns: Columns
) -> sa.Select[Any]:
    """Each key's first `rows` policies, by ranking them per key (SQLite has no LATERAL)."""
    pairs = kind.pairs(False, None, dated).subquery()
    position = sa.func.row_number().over(partition_by=pairs.c.key, order_by=col(Policy.id))
    ranked = (
        sa.select(
            *selected(Policy, columns),
            pairs.c.key.label("group_key"),
            position.label("n"),
        )
        .join(pairs, pairs.c.policy_id == Policy.id)
        .where(wanted)
        .subquery()
    )
    return (
        sa.select(*columns_in(Policy, ranked), ranked.c.group_key)
        .where(ranked.c.n <= rows)
        .order_by(ranked.c.group_key, ranked.c.id)
    )


async def policy_counts(
    session: AsyncSession, links: Links, *, scope: RowScope, as_of: date | None
) -> dict[int, int]:
    """How many policies each key has (as `policy_slices` counts them)."""
    postgresql = is_postgresql(session)
    stmt = _counts(postgresql, links.kind, scope, as_of is not None)
    found = dict(await records(session, stmt, _parameters(postgresql, links, as_of)))
    return {i: int(found.get(i, 0)) for i in links.keys}


@lru_cache(maxsize=STATEMENTS)
def _counts(postgresql: bool, kind: _Kind, scope: RowScope, dated: bool) -> sa.Select[Any]:
    pairs = kind.pairs(postgresql, None, dated).subquery()
    stmt = (
        sa.select(pairs.c.key, sa.func.count(col(Policy.id)))
        .join(pairs, pairs.c.policy_id == Policy.id)
        .where(visible(scope, Policy))
        .group_by(pairs.c.key)
    )
    if dated:
        stmt = stmt.where(in_force(Policy, sa.bindparam(AS_OF)))
    return stmt
