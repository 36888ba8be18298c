"""Each account's page of policies: the LATERAL form (PostgreSQL) and the ranked form (SQLite,
and PostgreSQL when told) give the same pages, and the pages a reader expects."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import POLICIES_READ, Access
from domain.core.paging import Window
from domain.policies import pages as grouped
from domain.policies.limits import utc_today
from domain.policies.models import PolicyAccountLink
from tests.factories import Book, families, place, viewers

TODAY = utc_today()
SINCE = TODAY - timedelta(days=100)
WINDOWS = [
    Window(first=2),
    Window(first=2, more=False),
    Window(first=10),
    Window(first=0),
    Window(first=1, more=False),
]


async def _book(session: AsyncSession) -> dict[str, Any]:
    """Two accounts: A with 6 policies, B with 3. In A, one policy left and came back (two
    links), one moved to B 10 days ago, one ended 20 days ago, one is of data access group US."""
    book = await Book(session).setup()
    a, b = await place(book, code="A"), await place(book, code="B")
    in_a = await families(book, a, 6, since=SINCE)
    in_b = await families(book, b, 3, since=SINCE)
    back, moved, ended, hidden = in_a[1], in_a[2], in_a[3], in_a[4]
    found = await session.scalars(
        sa.select(PolicyAccountLink).where(
            col(PolicyAccountLink.policy_id).in_([back.id, moved.id])
        )
    )
    links = {link.policy_id: link for link in found.all()}
    links[back.id].end_date = SINCE + timedelta(days=5)
    links[moved.id].end_date = TODAY - timedelta(days=11)
    session.add_all(
        [
            PolicyAccountLink(
                policy_id=back.id, group_account_id=a.account.id, start_date=SINCE + timedelta(9)
            ),
            PolicyAccountLink(
                policy_id=moved.id, group_account_id=b.account.id, start_date=TODAY - timedelta(10)
            ),
        ]
    )
    ended.end_date = TODAY - timedelta(days=20)
    hidden.data_access_group_id = book.dag_us.id
    await session.commit()
    return {"accounts": [a.account.id, b.account.id], "a": in_a, "b": in_b}


async def _pages(
    session: AsyncSession, ids: list[int], window: Window, scope: Any, as_of: date | None
) -> dict[int, tuple[list[str], bool]]:
    links = grouped.account_links(ids)
    found = await grouped.policy_slices(session, links, window, scope=scope, as_of=as_of)
    return {i: ([row.number for row in s.rows], s.has_next) for i, s in found.items()}


@pytest.mark.parametrize("viewer", ["admin", "backoffice"])
@pytest.mark.parametrize("as_of", [None, TODAY, TODAY - timedelta(days=15)])
@pytest.mark.parametrize("window", WINDOWS)
async def test_both_forms_give_each_account_the_same_page(
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
    viewer: str,
    as_of: date | None,
    window: Window,
) -> None:
    # given two accounts whose policies come and go
    made = await _book(session)
    scope = Access(viewers("A")[viewer]).scope(POLICIES_READ)
    ids = made["accounts"]
    # when each account's page is read, on PostgreSQL by LATERAL, and by ranking
    pages = await _pages(session, ids, window, scope, as_of)
    after = await _pages(
        session, ids, Window(window.first, made["a"][0].id, window.more), scope, as_of
    )
    monkeypatch.setattr(grouped, "is_postgresql", lambda _session: False)
    ranked = await _pages(session, ids, window, scope, as_of)
    ranked_after = await _pages(
        session, ids, Window(window.first, made["a"][0].id, window.more), scope, as_of
    )
    # then both forms agree, and give what a reader expects
    assert (pages, after) == (ranked, ranked_after)
    first_id = made["a"][0].id
    for account, policies in _expected(made, viewer, as_of).items():
        for found, past in ((pages, 0), (after, first_id)):
            rows, has_next = found[account]
            left = [policy.number for policy in policies if policy.id > past]
            assert rows == left[: window.first]
            assert has_next is (window.more and len(left) > window.first)


def _expected(made: dict[str, Any], viewer: str, as_of: date | None) -> dict[int, list[Any]]:
    """The policies each account lists, in creation order."""
    in_a, in_b = list(made["a"]), list(made["b"])
    moved = in_a[2]
    if viewer == "backoffice":  # a US policy is out of an EU back office's reach
        in_a.remove(in_a[4])
    if as_of is None:
        in_b.insert(0, moved)  # ever in B, as ever in A
    else:
        in_a.remove(made["a"][3])  # ended before either day
    if as_of == TODAY:
        in_a.remove(moved)
        in_b.insert(0, moved)
    a, b = made["accounts"]
    return {a: in_a, b: in_b}
