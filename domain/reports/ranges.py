"""The checks every report's arguments pass: a bounded range, a few known keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TypeVar

from domain.core.errors import DomainError, ErrorCode, Problem

K = TypeVar("K", bound=StrEnum)

MAX_DAYS = 366
"""The longest range a report covers, both days included."""
MAX_KEYS = 3
"""The most keys a report groups by: more would return more rows than anyone reads."""


@dataclass(frozen=True)
class DayRange:
    """The days from `start` to `end`, both included."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        """The first instant of the range (UTC)."""
        return datetime.combine(self.start, time(), UTC)

    @property
    def until(self) -> datetime:
        """The first instant after the range (UTC)."""
        return datetime.combine(self.end + timedelta(days=1), time(), UTC)


def day_range(start: date, end: date, *, fields: tuple[str, str] = ("from", "to")) -> DayRange:
    """The range, or a refusal naming the field: `to` before `from`, or over MAX_DAYS days."""
    if end < start:
        raise DomainError.of(fields[1], ErrorCode.END_BEFORE_START, "`to` is before `from`.")
    if (end - start).days + 1 > MAX_DAYS:
        raise DomainError.of(
            fields[1],
            ErrorCode.INVALID_FORMAT,
            f"A range covers at most {MAX_DAYS} days; this one covers {(end - start).days + 1}.",
        )
    return DayRange(start, end)


def keys(given: Sequence[K]) -> tuple[K, ...]:
    """The distinct keys in the order given, or a refusal of more than MAX_KEYS."""
    chosen = tuple(dict.fromkeys(given))
    if len(chosen) > MAX_KEYS:
        raise DomainError(
            Problem(
                ("group_by",),
                ErrorCode.INVALID_FORMAT,
                f"Group by at most {MAX_KEYS} keys; {len(chosen)} were given.",
            )
        )
    return chosen
