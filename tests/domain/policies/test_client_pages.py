"""Each group client's page of policies, read for many clients at once, is the page the filter
`groupClientId` gives for one (its subtree's accounts' policies, within the caller's reach),
in the LATERAL form (PostgreSQL) and the ranked form alike."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import GROUPS_READ, POLICIES_READ, Access
from authz.principal import Principal, Role
from domain.core.paging import Window
from domain.policies import pages as grouped
from domain.policies import queries
from domain.policies.limits import utc_today
from domain.policies.models import PolicyAccountLink
from tests.factories import Book, families, place, viewers

TODAY = utc_today()
SINCE = TODAY - timedelta(days=100)
WINDOWS = [Window(first=2), Window(first=3, more=False), Window(first=10), Window(first=0)]
CALLERS = {
    **viewers("TOP"),
    # reaches MID's subtree only: TOP is hidden from them, so are its policies through TOP
    "mid_manager": Principal("hr-2", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"MID"})),
}


async def _book(session: AsyncSession) -> dict[str, Any]:
    """TOP > MID > LOW, and US (a US client, hidden from an EU back office) under TOP; OTHER
    beside them. One of TOP's policies moved to MID 10 days ago, one of MID's to OTHER; one of
    LOW's ended 20 days ago; one of OTHER's is of data access group US."""
    book = await Book(session).setup()
    top = await place(book, code="TOP")
    mid = await place(book, code="MID", parent=top.client)
    low = await place(book, code="LOW", parent=mid.client)
    us = await place(book, code="US", parent=top.client)
    other = await place(book, code="OTHER")
    us.client.data_access_group_id = book.dag_us.id
    made = {
        p.client.code: await families(book, p, 3, since=SINCE) for p in (top, mid, low, us, other)
    }
    moves = [(made["TOP"][1], mid), (made["MID"][2], other)]
    for policy, to in moves:
        link = await session.scalar(
            sa.select(PolicyAccountLink).where(col(PolicyAccountLink.policy_id) == policy.id)
        )
        assert link is not None
        link.end_date = TODAY - timedelta(days=11)
        session.add(
            PolicyAccountLink(
                policy_id=policy.id,
                group_account_id=to.account.id,
                start_date=TODAY - timedelta(10),
            )
        )
    made["LOW"][0].end_date = TODAY - timedelta(days=20)
    made["OTHER"][1].data_access_group_id = book.dag_us.id
    await session.commit()
    return {p.client.code: p.client.id for p in (top, mid, low, us, other)}


@pytest.mark.parametrize("caller", sorted(CALLERS))
@pytest.mark.parametrize("as_of", [None, TODAY, TODAY - timedelta(days=15)])
async def test_each_clients_page_is_the_filters_page(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch, caller: str, as_of: date | None
) -> None:
    # given clients whose policies come and go, within and across their subtrees
    clients = await _book(session)
    access = Access(CALLERS[caller])
    scope, groups_scope = access.scope(POLICIES_READ), access.scope(GROUPS_READ)
    ids = list(clients.values())
    for window in [*WINDOWS, *(Window(w.first, ids[0], w.more) for w in WINDOWS)]:
        # when every client's page is read at once, by LATERAL on PostgreSQL, and by ranking
        pages = await _pages(session, ids, window, scope, groups_scope, as_of)
        with monkeypatch.context() as patched:
            patched.setattr(grouped, "is_postgresql", lambda _session: False)
            ranked = await _pages(session, ids, window, scope, groups_scope, as_of)
        # then both give each client the page and count the filter gives for it alone
        expected = {i: await _filtered(session, i, window, scope, groups_scope, as_of) for i in ids}
        assert pages == expected, window
        assert ranked == expected, window


async def _pages(
    session: AsyncSession,
    ids: list[int],
    window: Window,
    scope: Any,
    groups_scope: Any,
    as_of: date | None,
) -> dict[int, tuple[list[str], bool, int]]:
    links = grouped.client_links(ids, groups_scope=groups_scope)
    found = await grouped.policy_slices(session, links, window, scope=scope, as_of=as_of)
    counts = await grouped.policy_counts(session, links, scope=scope, as_of=as_of)
    return {i: ([row.number for row in s.rows], s.has_next, counts[i]) for i, s in found.items()}


async def _filtered(
    session: AsyncSession,
    client_id: int,
    window: Window,
    scope: Any,
    groups_scope: Any,
    as_of: date | None,
) -> tuple[list[str], bool, int]:
    criteria = queries.PolicyFilter(group_client_id=client_id, as_of=as_of)
    page = await queries.list_policies(
        session, scope=scope, groups_scope=groups_scope, criteria=criteria, window=window
    )
    total = await queries.count_policies(
        session, scope=scope, groups_scope=groups_scope, criteria=criteria
    )
    return [row.number for row in page.rows], page.has_next, total


async def test_the_pages_are_not_empty_where_the_filter_finds_policies(
    session: AsyncSession,
) -> None:
    # given the same book, seen by an admin
    clients = await _book(session)
    access = Access(viewers("TOP")["admin"])
    # when
    found = await _pages(
        session,
        list(clients.values()),
        Window(first=100),
        access.scope(POLICIES_READ),
        access.scope(GROUPS_READ),
        None,
    )
    # then TOP lists its subtree's 12 policies, the one that moved to MID once, and MID the
    # one it gave OTHER, which OTHER lists too
    counts = {code: found[i][2] for code, i in clients.items()}
    assert counts == {"TOP": 12, "MID": 7, "LOW": 3, "US": 3, "OTHER": 4}
