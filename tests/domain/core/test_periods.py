"""Effective periods, in Python and in SQL, against a day-by-day reference (hypothesis).

These are the functions production runs: the policies' date rules, the settings' choice and
overlap checks, and every SQL filter by day go through domain.core.periods.
"""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.periods import Period, as_of, holds, in_force, meets, of, overlapping

ORIGIN = date(2026, 1, 1)
HORIZON = 60  # days after ORIGIN that every period here is looked at through


def _day(n: int) -> date:
    return ORIGIN + timedelta(days=n)


@st.composite
def periods(draw: st.DrawFn) -> Period:
    start = draw(st.integers(0, HORIZON - 10))
    end = draw(st.none() | st.integers(start, HORIZON - 5))
    return Period(_day(start), None if end is None else _day(end))


@st.composite
def dated_rows(draw: st.DrawFn) -> SimpleNamespace:
    """A row as stored: a setting's start may be left out (since always)."""
    period = draw(periods())
    start = draw(st.sampled_from([period.start, None]))
    return SimpleNamespace(start_date=start, end_date=period.end)


def days(period: Period) -> set[date]:
    """The reference: the period as a set of days, open ends cut at the horizon, a start of
    always cut at the day before ORIGIN."""
    first = max(period.start, _day(-1))
    last = period.end or _day(HORIZON)
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}


@given(periods(), periods())
def test_overlap_intersection_and_containment_match_the_days(a: Period, b: Period) -> None:
    assert a.overlaps(b) == bool(days(a) & days(b))
    shared = a.intersection(b)
    assert (days(shared) if shared else set()) == days(a) & days(b)
    assert a.contains(b) == (days(b) <= days(a) and (a.end is None or b.end is not None))


@given(periods(), st.integers(-1, HORIZON))
def test_a_period_covers_its_days_and_is_valid_when_it_has_one(period: Period, n: int) -> None:
    assert period.covers(_day(n)) == (_day(n) in days(period))
    backwards = Period(period.start, period.start - timedelta(days=1))
    assert period.valid and not backwards.valid


@given(dated_rows(), st.integers(-1, HORIZON))
def test_a_row_holds_a_day_exactly_when_its_period_covers_it(row: SimpleNamespace, n: int) -> None:
    # then the fast check and the period agree, and a row without a start held always
    assert holds(row, _day(n)) == of(row).covers(_day(n)) == (_day(n) in days(of(row)))
    if row.start_date is None:
        assert of(row).covers(date.min)


@given(st.lists(dated_rows(), max_size=6), st.integers(-1, HORIZON))
def test_as_of_answers_the_rows_in_force_that_day_in_their_order(
    rows: list[SimpleNamespace], n: int
) -> None:
    assert as_of(rows, _day(n)) == [row for row in rows if _day(n) in days(of(row))]


@given(st.lists(periods(), max_size=6))
def test_overlapping_names_every_two_rows_that_share_a_day_once(found: list[Period]) -> None:
    # when
    pairs = overlapping(range(len(found)), lambda i: found[i])
    # then
    shared = {(i, j) for i in range(len(found)) for j in range(i + 1, len(found))}
    shared = {(i, j) for i, j in shared if days(found[i]) & days(found[j])}
    assert sorted(tuple(sorted(pair)) for pair in pairs) == sorted(shared)
    assert all(found[earlier].start <= found[later].start for earlier, later in pairs)


def _week() -> tuple[list[Period], Any]:
    """Every period within a week, and the same as rows of a table."""
    found = [
        Period(_day(start), None if end is None else _day(end))
        for start in range(4)
        for end in [None, *range(start, 5)]
    ]
    table = sa.union_all(
        *(
            sa.select(
                sa.literal(i).label("n"),
                sa.literal(p.start, sa.Date).label("start_date"),
                sa.literal(p.end, sa.Date).label("end_date"),
            )
            for i, p in enumerate(found)
        )
    ).subquery("dated")
    return found, table


async def test_in_force_in_sql_keeps_the_rows_that_hold_the_day(session: AsyncSession) -> None:
    # given every period within a week, as rows of a table
    found, table = _week()
    for n in range(-1, 7):
        # when
        stmt = sa.select(table.c.n).where(in_force(table.c, _day(n)))
        in_sql = set((await session.scalars(stmt)).all())
        # then
        assert in_sql == {i for i, p in enumerate(found) if p.covers(_day(n))}, n


async def test_meets_in_sql_keeps_the_rows_that_share_a_day_with_the_window(
    session: AsyncSession,
) -> None:
    # given every period within a week, as rows of a table, and every window over it
    found, table = _week()
    windows = [Period(_day(a), None if b is None else _day(b)) for a, b in
               [(-2, -1), (-1, 0), (0, 0), (1, 3), (4, 9), (5, 6), (2, None), (6, None)]]  # fmt: skip
    for window in windows:
        # when
        stmt = sa.select(table.c.n).where(meets(table.c, window))
        in_sql = set((await session.scalars(stmt)).all())
        # then
        assert in_sql == {i for i, p in enumerate(found) if p.overlaps(window)}, window
