"""Setting a premium schedule's rates for a period, through the write path.

Rates of a schedule are kept, never overwritten: a new table of rates holds from its start
date, and must not share a day with rates of the same tier, parameter value and age band.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import Action, changing, not_found
from domain.core.errors import ErrorCode, Problem, raise_if
from domain.core.fields import is_plain_text
from domain.core.periods import Period, of
from domain.settings.catalogue import RateSpec, rate_problems
from domain.settings.models import PremiumRate, PremiumSchedule


async def set_rates(
    session: AsyncSession,
    *,
    actor: Actor,
    schedule_code: str,
    currency: str,
    start_date: date,
    end_date: date | None,
    rates: Sequence[RateSpec],
) -> PremiumSchedule:
    """Add rates to a schedule for a period; in its own currency, overlapping no other."""
    code = schedule_code.strip() if is_plain_text(schedule_code) else ""
    found = await session.scalar(
        sa.select(col(PremiumSchedule.id)).where(col(PremiumSchedule.code) == code)
    )
    if found is None:
        raise not_found("premium_schedule", "premium schedule")
    async with changing(
        session, actor, Action.PREMIUM_SCHEDULE_RATE_SET, PremiumSchedule, found,
        field="premium_schedule", marks_changed=False,
    ) as change:  # fmt: skip
        schedule = change.row
        problems = _period_problems(start_date, end_date) + rate_problems(rates)
        problems += _parameter_problems(rates)
        if currency.strip().upper() != schedule.currency:
            problems.append(
                Problem(
                    ("currency",),
                    ErrorCode.CURRENCY_MISMATCH,
                    f"The schedule's rates are in {schedule.currency}; one currency a schedule.",
                )
            )
        raise_if(problems)
        period = Period(start_date, end_date)
        existing = await session.scalars(
            sa.select(PremiumRate).where(col(PremiumRate.premium_schedule_id) == schedule.id)
        )
        raise_if(_clashes(list(existing), period, rates))
        session.add_all(
            PremiumRate(
                premium_schedule_id=schedule.id,  # type: ignore[arg-type]
                start_date=start_date,
                end_date=end_date,
                **rate.__dict__,
            )
            for rate in rates
        )
        change.after = {"start_date": start_date.isoformat(), "rates": len(rates)}
    return schedule


def _period_problems(start: date, end: date | None) -> list[Problem]:
    if end is not None and end < start:
        return [Problem(("end_date",), ErrorCode.END_BEFORE_START, "The end is before the start.")]
    return []


def _parameter_problems(rates: Sequence[RateSpec]) -> list[Problem]:
    """A rate names a parameter and its value together, or neither; each plain text."""
    problems = []
    for i, rate in enumerate(rates):
        given = (rate.parameter_name, rate.parameter_value)
        if (given[0] is None) != (given[1] is None) or not all(
            v is None or (0 < len(v) <= 100 and is_plain_text(v)) for v in given
        ):
            problems.append(
                Problem(
                    ("rates", str(i), "parameter_value"),
                    ErrorCode.INVALID_FORMAT,
                    "Give a parameter's name and value together, each 1 to 100 plain characters.",
                )
            )
    return problems


def _clashes(
    existing: list[PremiumRate], period: Period, rates: Sequence[RateSpec]
) -> list[Problem]:
    """The new rates whose band and period overlap a kept rate's of the same tier."""
    problems = []
    for i, rate in enumerate(rates):
        for kept in existing:
            same = (kept.coverage_tier, kept.parameter_name, kept.parameter_value) == (
                rate.coverage_tier, rate.parameter_name, rate.parameter_value,
            )  # fmt: skip
            bands = kept.age_from <= rate.age_to and rate.age_from <= kept.age_to
            if same and bands and of(kept).overlaps(period):
                problems.append(
                    Problem(
                        ("rates", str(i), "age_from"),
                        ErrorCode.OVERLAP,
                        f"Ages {rate.age_from}-{rate.age_to} in {rate.coverage_tier} already "
                        f"have a rate from {kept.start_date or 'always'} to "
                        f"{kept.end_date or 'open-ended'}.",
                    )
                )
                break
    return problems
