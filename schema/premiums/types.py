"""GraphQL types of what a policy costs: its lines, their adjustments and who pays."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Self

import strawberry
from graphql import GraphQLError

from domain.core.errors import ErrorCode
from domain.core.periods import Period
from domain.premiums import calculation
from domain.settings.models import SettingKind
from domain.settings.sources import Owner
from schema.core.context import Info
from schema.core.cost import bound
from schema.core.relay import global_id
from schema.reference.types import CoverageTier
from schema.settings.types import SettingSource


@strawberry.type(description="An adjustment on a premium line.")
class PremiumAdjustment:
    rule: str = strawberry.field(description="The adjustment rule's code.")
    kind: str = strawberry.field(description="PERCENTAGE or AMOUNT.")
    value: Decimal = strawberry.field(
        description="The value that applied: a group account period's, else the rule's own."
    )
    overridden: bool = strawberry.field(description="Whether a group account period set it.")
    amount: Decimal = strawberry.field(description="What it adds for a whole month, unrounded.")
    source: SettingSource = strawberry.field(description="The level the adjustment was set on.")


@strawberry.type(description="One product's premium for its days of the period.")
class PremiumLine:
    member_id: strawberry.ID = strawberry.field(
        description="The person rated: the subscriber (tiers say who else is covered)."
    )
    product_id: strawberry.ID = strawberry.field(description="The product.")
    enrollment_product_id: strawberry.ID = strawberry.field(description="The enrolment.")
    coverage_tier: CoverageTier = strawberry.field(description="The enrolment's tier.")
    age: int = strawberry.field(description="The member's age on the period's first day.")
    age_from: int = strawberry.field(description="The rate's age band, from.")
    age_to: int = strawberry.field(description="The rate's age band, to (included).")
    start_date: date = strawberry.field(description="The line's first day in the period.")
    end_date: date = strawberry.field(description="The line's last day in the period.")
    days: int = strawberry.field(description="How many days of the period the line covers.")
    period_days: int = strawberry.field(description="How many days the period has.")
    schedule: str = strawberry.field(description="The premium schedule's code.")
    schedule_source: SettingSource = strawberry.field(description="Where it was set.")
    base_rate: Decimal = strawberry.field(description="The schedule's monthly rate.")
    adjustments: list[PremiumAdjustment] = strawberry.field(
        description="Every adjustment that applied.", metadata=bound(10)
    )
    amount: Decimal = strawberry.field(
        description="(Rate + adjustments) x days / period days, rounded half-even to the cent."
    )
    employer_share: Decimal = strawberry.field(description="What the employer pays of it.")
    employee_share: Decimal = strawberry.field(description="What the employee pays of it.")
    contribution: Decimal = strawberry.field(
        description="The employer's percentage; 100 when no level sets EMPLOYER_CONTRIBUTION."
    )
    contribution_source: SettingSource | None = strawberry.field(
        description="Where the employer's contribution was set; null when none is."
    )


@strawberry.type(description="Why a product of the policy could not be priced.")
class PremiumProblem:
    code: ErrorCode = strawberry.field(description="MISSING_RATE, NO_SCHEDULE, ...")
    message: str = strawberry.field(description="What is missing, for people.")
    enrollment_product_id: strawberry.ID = strawberry.field(description="The enrolment.")
    setting: SettingKind | None = strawberry.field(description="The setting at fault.")
    source: SettingSource | None = strawberry.field(
        description="The level the setting at fault came from; null when none sets it."
    )


@strawberry.type(description="What a policy costs for a period, line by line, and who pays.")
class PolicyPremium:
    period_start: date = strawberry.field(description="The period's first day.")
    period_end: date = strawberry.field(description="The period's last day.")
    total: Decimal = strawberry.field(description="The sum of the lines.")
    currency: str | None = strawberry.field(description="ISO 4217; null without lines.")
    employer_share: Decimal = strawberry.field(description="What the employer pays.")
    employee_share: Decimal = strawberry.field(description="What the employee pays.")
    lines: list[PremiumLine] = strawberry.field(
        description="One line per product and run of days.", metadata=bound(10)
    )
    problems: list[PremiumProblem] = strawberry.field(
        description="What could not be priced (and is not in the total).", metadata=bound(10)
    )

    @classmethod
    def of(cls, found: calculation.Premium, hidden: frozenset[Owner]) -> Self:
        assert found.period.end is not None
        return cls(
            period_start=found.period.start,
            period_end=found.period.end,
            total=found.total,
            currency=found.currency,
            employer_share=found.employer_amount,
            employee_share=found.employee_amount,
            lines=[_line(line, hidden) for line in found.lines],
            problems=[_problem(p, hidden) for p in found.problems],
        )

    @staticmethod
    async def load(info: Info, policy_id: int, window: Period) -> PolicyPremium | None:
        """A policy's premium through the request's loader; null out of reach."""
        found = await info.context.loaders.premiums.premium_by_policy.load((policy_id, window))
        return None if found is None else PolicyPremium.of(*found)


def _id(type_name: str, row_id: int) -> strawberry.ID:
    return strawberry.ID(global_id(type_name, row_id))


def _line(line: calculation.Line, hidden: frozenset[Owner]) -> PremiumLine:
    segment = line.segment
    assert segment.days.end is not None
    return PremiumLine(
        member_id=_id("Person", segment.person_id),
        product_id=_id("Product", segment.product_id),
        enrollment_product_id=_id("EnrollmentProduct", segment.enrollment_product_id),
        coverage_tier=segment.tier,
        age=line.age,
        age_from=line.rate.age_from,
        age_to=line.rate.age_to,
        start_date=segment.days.start,
        end_date=segment.days.end,
        days=line.days,
        period_days=line.period_days,
        schedule=line.schedule.code,
        schedule_source=SettingSource.of(line.schedule_source, hidden),  # type: ignore[arg-type]
        base_rate=line.rate.amount,
        adjustments=[
            PremiumAdjustment(
                rule=a.rule.code,
                kind=a.rule.kind.value,
                value=a.value,
                overridden=a.chosen.period is not None,
                amount=a.amount,
                source=SettingSource.of(a.chosen, hidden),  # type: ignore[arg-type]
            )
            for a in line.adjustments
        ],
        amount=line.amount,
        employer_share=line.employer_amount,
        employee_share=line.employee_amount,
        contribution=line.contribution,
        contribution_source=SettingSource.of(line.contribution_source, hidden),
    )


def _problem(problem: calculation.Problem, hidden: frozenset[Owner]) -> PremiumProblem:
    return PremiumProblem(
        code=problem.code,
        message=problem.message,
        enrollment_product_id=_id("EnrollmentProduct", problem.segment.enrollment_product_id),
        setting=problem.kind,
        source=SettingSource.of(problem.source, hidden),
    )


def window(period: str | None, as_of: date | None, today: date) -> Period:
    """The month asked: `period` (YYYY-MM), else the month holding `as_of`, else this month."""
    if period is not None and as_of is not None:
        raise GraphQLError("Give at most one of `period` and `asOf`.")
    if period is None:
        return calculation.month((as_of or today).isoformat()[:7])
    try:
        return calculation.month(period)
    except ValueError:
        raise GraphQLError("`period`: give a month as YYYY-MM, e.g. 2027-01.") from None
