"""Rules every change to a policy checks: limits, dates, finding rows the caller may change."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import RowScope
from domain.core.errors import ErrorCode, Problem
from domain.policies import reach as access
from domain.policies.errors import not_found
from domain.policies.models import Person, Policy

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


def check_effective(
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


async def load_policy(
    session: AsyncSession, policy_id: int, *, scope: RowScope, field_name: str = "policy_id"
) -> Policy:
    """Return the policy the scope reaches, or refuse as for an unknown id."""
    found = await session.scalar(
        sa.select(Policy).where(col(Policy.id) == policy_id, access.policies(scope))
    )
    if found is None:
        raise not_found(field_name, "policy")
    return found


async def load_person(
    session: AsyncSession, person_id: int, *, scope: RowScope, field_name: str = "person_id"
) -> Person:
    """Return the person the scope reaches, or refuse as for an unknown id."""
    found = await session.scalar(
        sa.select(Person).where(col(Person.id) == person_id, access.persons(scope))
    )
    if found is None:
        raise not_found(field_name, "person")
    return found
