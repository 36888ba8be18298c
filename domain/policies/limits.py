"""Rules every change to a policy checks: the insurer's limits and the dates allowed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from domain.core.errors import ErrorCode, Problem

DEFAULT_CHILD_MAX_AGE = 26
DEFAULT_RETRO_DAYS = 90


def utc_today() -> date:
    """Today's date in UTC, the calendar every effective date is read in."""
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class PolicyLimits:
    """The insurer's configurable limits on enrolment (GROUPCOVER_CHILD_MAX_AGE, ..._RETRO_DAYS)."""

    child_max_age: int = DEFAULT_CHILD_MAX_AGE
    retro_days: int = DEFAULT_RETRO_DAYS
    today: Callable[[], date] = field(default=utc_today, compare=False)

    @property
    def earliest(self) -> date:
        """The earliest effective date a change may have today."""
        return self.today() - timedelta(days=self.retro_days)


FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
"""Every date a policy change is given lies in FIRST_DAY..LAST_DAY (README, "Policies and
enrolment"): far enough for any real contract, and far from date.max, so that the day after
any stored date (a reinstatement runs from the day after the end) is a date too."""


def check_day(field_path: tuple[str, ...], day: date | None, problems: list[Problem]) -> bool:
    """Record a problem when a given date lies outside FIRST_DAY..LAST_DAY; say if it is inside."""
    if day is None or FIRST_DAY <= day <= LAST_DAY:
        return True
    problems.append(
        Problem(
            field_path,
            ErrorCode.INVALID_FORMAT,
            f"A date must lie between {FIRST_DAY} and {LAST_DAY}.",
        )
    )
    return False


def check_effective(
    field_path: tuple[str, ...], day: date, limits: PolicyLimits, problems: list[Problem]
) -> bool:
    """Record a problem when a given date lies outside the dates allowed or takes effect
    before the retroactive window allows; say whether it lies inside the dates allowed."""
    if not check_day(field_path, day, problems):
        return False
    too_far_back(field_path, day, limits, problems)
    return True


def too_far_back(
    field_path: tuple[str, ...], day: date, limits: PolicyLimits, problems: list[Problem]
) -> None:
    """Record a problem when a change takes effect before the retroactive window allows."""
    if day < limits.earliest:
        problems.append(
            Problem(
                field_path,
                ErrorCode.TOO_FAR_BACK,
                f"{day} is more than {limits.retro_days} days in the past; changes may take "
                f"effect from {limits.earliest} on.",
            )
        )


def day_after(day: date) -> date:
    """The next day; date.max has none (only a policy ended before dates were bounded)."""
    return day if day == date.max else day + timedelta(days=1)
