"""Effective periods: an inclusive start and an inclusive, optional end. Pure values."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise


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

    def ended(self, day: date) -> Period:
        """This period cut to end on `day` at the latest."""
        return Period(self.start, day if self.end is None else min(self.end, day))


def of(row: object) -> Period:
    """The period of a dated row (anything with start_date and end_date)."""
    return Period(row.start_date, row.end_date)  # type: ignore[attr-defined]


def first_overlap(periods: Iterable[Period]) -> tuple[Period, Period] | None:
    """Two periods of `periods` that share a day, or None when they are disjoint."""
    ordered = sorted(periods, key=lambda p: p.start)
    for earlier, later in pairwise(ordered):
        if earlier.overlaps(later):
            return earlier, later
    return None


def as_of(rows: Iterable[object], day: date) -> list[object]:
    """The dated rows in force on `day`."""
    return [row for row in rows if of(row).covers(day)]


def age_limit_end(birth_date: date, max_age: int) -> date:
    """The last day a person is younger than `max_age`: the day before that birthday."""
    try:
        birthday = birth_date.replace(year=birth_date.year + max_age)
    except ValueError:  # born on 29 February: the birthday falls on 1 March
        birthday = date(birth_date.year + max_age, 3, 1)
    return birthday - timedelta(days=1)
