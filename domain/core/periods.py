"""Effective periods: an inclusive start and an inclusive, optional end.

The one implementation of the rule for every dated row (policies' members, links and
products; settings and adjustment periods): pure values for the rules, and `in_force` as the
same rule in SQL. tests/domain/core/test_periods.py holds each function to a day-by-day
reference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import sqlalchemy as sa

T = TypeVar("T")


@dataclass(frozen=True)
class Period:
    """The days from `start` to `end`, both included; `end` None runs open-ended."""

    start: date
    end: date | None = None

    @property
    def valid(self) -> bool:
        """Whether the period holds at least its start day."""
        return self.end is None or self.end >= self.start

    def covers(self, day: date) -> bool:
        """Whether `day` lies inside the period."""
        return self.start <= day and (self.end is None or day <= self.end)

    def overlaps(self, other: Period) -> bool:
        """Whether the two periods share at least one day."""
        return (self.end is None or other.start <= self.end) and (
            other.end is None or self.start <= other.end
        )

    def contains(self, other: Period) -> bool:
        """Whether every day of `other` lies inside this period."""
        if other.start < self.start:
            return False
        if self.end is None:
            return True
        return other.end is not None and other.end <= self.end

    def intersection(self, other: Period) -> Period | None:
        """The days both periods share, or None when they share none."""
        if not self.overlaps(other):
            return None
        ends = [end for end in (self.end, other.end) if end is not None]
        return Period(max(self.start, other.start), min(ends) if ends else None)


def of(row: Any) -> Period:
    """The period of a dated row (anything with start_date and end_date); a row without a
    start (a setting may have none) has held since always."""
    return Period(row.start_date or date.min, row.end_date)


def holds(row: Any, day: date) -> bool:
    """Whether a dated row is in force on `day`: `of(row).covers(day)` without building a
    Period, as choosing effective settings asks it for every setting of every level."""
    start, end = row.start_date, row.end_date
    return (start is None or start <= day) and (end is None or day <= end)


def as_of(rows: Iterable[T], day: date) -> list[T]:
    """The dated rows in force on `day`, in their order."""
    return [row for row in rows if holds(row, day)]


def overlapping(rows: Iterable[T], period: Callable[[T], Period] = of) -> list[tuple[T, T]]:
    """Every two rows whose periods share a day, the one that starts first (or comes first
    among equal starts) first, in order of their starts."""
    ordered = sorted(rows, key=lambda row: period(row).start)
    return [
        (row, later)
        for i, row in enumerate(ordered)
        for later in ordered[i + 1 :]
        if period(row).overlaps(period(later))
    ]


def in_force(table: Any, day: Any) -> Any:
    """The SQL predicate of the rows of a dated table in force on `day`, a date or a
    column of one (the start is required: every dated table filtered in SQL has one)."""
    return sa.and_(table.start_date <= day, sa.or_(table.end_date.is_(None), table.end_date >= day))


def meets(table: Any, window: Period) -> Any:
    """The SQL predicate of the rows of a dated table that share a day with `window` (the
    start is required, as for `in_force`)."""
    later = sa.true() if window.end is None else table.start_date <= window.end
    return sa.and_(later, sa.or_(table.end_date.is_(None), table.end_date >= window.start))
