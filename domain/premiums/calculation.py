"""What a policy's products cost in a month: a pure calculation over plain values.

A line prices one enrolment product over the days of the month it is in force (and its
policy, its subscriber's membership and its account link with it): the schedule's rate for
the product's tier and the subscriber's age band (age on the first day of the month), plus
every adjustment (a percentage of the rate, or an amount), prorated by day (a line's days
over the month's days) and rounded half-even to the cent, once, per line. The employer pays
the EMPLOYER_CONTRIBUTION percentage of a line (all of it when none is set), the employee
the rest. Settings are those in force on the line's first day (domain.settings.effective).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from domain.core.errors import ErrorCode
from domain.core.periods import Period, holds
from domain.reference.models import CoverageTier
from domain.settings.effective import Chosen, ChosenAdjustment, Effective
from domain.settings.models import AdjustmentKind, SettingKind

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def month(text: str) -> Period:
    """The days of a month given as YYYY-MM; ValueError for anything else."""
    if len(text) != 7 or text[4] != "-" or not (text[:4] + text[5:]).isdigit():
        raise ValueError(text)
    first = date(int(text[:4]), int(text[5:]), 1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(first, following - timedelta(days=1))


def days(period: Period) -> int:
    """How many days a closed period holds."""
    assert period.end is not None
    return (period.end - period.start).days + 1


def age_on(birth_date: date, day: date) -> int:
    """Full years of age on `day`."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


@dataclass(frozen=True)
class Rate:
    """A schedule's monthly rate for a tier and an age band, for a period."""

    age_from: int
    age_to: int
    tier: CoverageTier
    amount: Decimal
    start_date: date | None = None
    end_date: date | None = None
    parameter_name: str | None = None
    parameter_value: str | None = None


@dataclass(frozen=True)
class Schedule:
    """A premium schedule: its code, its currency and its rates."""

    id: int
    code: str
    currency: str
    rates: Sequence[Rate] = ()


@dataclass(frozen=True)
class Rule:
    """An adjustment rule: a percentage, or an amount in a currency."""

    id: int
    code: str
    kind: AdjustmentKind
    value: Decimal
    currency: str | None = None


@dataclass(frozen=True)
class Segment:
    """An enrolment product over some days of the month, with what prices it."""

    policy_id: int
    enrollment_product_id: int
    product_id: int
    tier: CoverageTier
    person_id: int
    birth_date: date
    days: Period
    group_account_id: int
    group_client_id: int
    effective: Effective


@dataclass(frozen=True)
class Adjusted:
    """One adjustment on a line: its rule, the value that applied, its monthly amount."""

    rule: Rule
    value: Decimal
    amount: Decimal
    chosen: ChosenAdjustment


@dataclass(frozen=True)
class Line:
    """One enrolment product's premium for its days of the month."""

    segment: Segment
    age: int
    rate: Rate
    schedule: Schedule
    schedule_source: Chosen
    adjustments: Sequence[Adjusted]
    monthly: Decimal
    """The rate plus the adjustments, for a whole month, unrounded."""
    days: int
    period_days: int
    amount: Decimal
    employer_amount: Decimal
    employee_amount: Decimal
    contribution: Decimal
    contribution_source: Chosen | None

    @property
    def sources(self) -> list[Chosen]:
        """Every chosen setting the line used."""
        chosen = [self.schedule_source, *(a.chosen for a in self.adjustments)]
        if self.contribution_source is not None:
            chosen.append(self.contribution_source)
        return chosen


@dataclass(frozen=True)
class Problem:
    """Why a segment could not be priced, naming the setting and the level it came from."""

    segment: Segment
    code: ErrorCode
    message: str
    kind: SettingKind | None = None
    source: Chosen | None = None


@dataclass(frozen=True)
class Premium:
    """A policy's premium for a month: its lines, their total, and what could not be priced."""

    period: Period
    lines: Sequence[Line] = ()
    problems: Sequence[Problem] = ()
    total: Decimal = Decimal("0.00")
    currency: str | None = None
    employer_amount: Decimal = Decimal("0.00")
    employee_amount: Decimal = Decimal("0.00")
    by_product: dict[int, Decimal] = field(default_factory=dict)


def premium(
    period: Period,
    segments: Sequence[Segment],
    schedules: Mapping[int, Schedule],
    rules: Mapping[int, Rule],
) -> Premium:
    """Price every segment of one policy; a segment that cannot be priced is a problem."""
    lines: list[Line] = []
    problems: list[Problem] = []
    for segment in segments:
        priced = price(period, segment, schedules, rules)
        (lines if isinstance(priced, Line) else problems).append(priced)  # type: ignore[arg-type]
    currencies = {line.schedule.currency for line in lines}
    if len(currencies) > 1:
        problems.extend(
            Problem(line.segment, ErrorCode.CURRENCY_MISMATCH,
                    f"The policy's schedules are in {', '.join(sorted(currencies))}.",
                    SettingKind.PREMIUM_SCHEDULE, line.schedule_source)
            for line in lines
        )  # fmt: skip
        lines = []
    by_product: dict[int, Decimal] = {}
    for line in lines:
        product = line.segment.product_id
        by_product[product] = by_product.get(product, Decimal("0.00")) + line.amount
    return Premium(
        period=period,
        lines=lines,
        problems=problems,
        total=sum((line.amount for line in lines), Decimal("0.00")),
        currency=next(iter(currencies)) if len(currencies) == 1 else None,
        employer_amount=sum((line.employer_amount for line in lines), Decimal("0.00")),
        employee_amount=sum((line.employee_amount for line in lines), Decimal("0.00")),
        by_product=by_product,
    )


def price(
    period: Period, segment: Segment, schedules: Mapping[int, Schedule], rules: Mapping[int, Rule]
) -> Line | Problem:
    """One segment's line, or why it has none."""
    chosen = segment.effective.single.get(SettingKind.PREMIUM_SCHEDULE)
    if chosen is None or chosen.setting.premium_schedule_id not in schedules:
        return Problem(segment, ErrorCode.NO_SCHEDULE, "No level sets a premium schedule.",
                       SettingKind.PREMIUM_SCHEDULE)  # fmt: skip
    schedule = schedules[chosen.setting.premium_schedule_id]  # type: ignore[index]
    age = age_on(segment.birth_date, period.start)
    rate = find_rate(schedule, segment, age)
    if rate is None:
        return Problem(
            segment, ErrorCode.MISSING_RATE,
            f"Schedule {schedule.code} has no rate for {segment.tier} at age {age} on "
            f"{segment.days.start}.", SettingKind.PREMIUM_SCHEDULE, chosen,
        )  # fmt: skip
    adjusted = _adjusted(segment, rate, schedule, rules)
    if isinstance(adjusted, Problem):
        return adjusted
    return _line(period, segment, age, rate, schedule, chosen, adjusted)


def find_rate(schedule: Schedule, segment: Segment, age: int) -> Rate | None:
    """The rate for the segment's tier and age on its first day; one for the product's
    parameter value wins over one for any value."""
    parameters = segment.effective.parameters
    best: Rate | None = None
    for rate in schedule.rates:
        if rate.tier != segment.tier or not rate.age_from <= age <= rate.age_to:
            continue
        if not holds(rate, segment.days.start):
            continue
        if rate.parameter_name is None:
            best = best or rate
            continue
        set_value = parameters.get(rate.parameter_name)
        if set_value is not None and set_value.setting.value_text == rate.parameter_value:
            return rate
    return best


def _adjusted(
    segment: Segment, rate: Rate, schedule: Schedule, rules: Mapping[int, Rule]
) -> list[Adjusted] | Problem:
    found: list[Adjusted] = []
    for chosen in segment.effective.adjustments:
        rule = rules[chosen.setting.adjustment_rule_id]  # type: ignore[index]
        value = chosen.period.value if chosen.period is not None else rule.value
        if rule.kind is AdjustmentKind.AMOUNT:
            if rule.currency != schedule.currency:
                return Problem(
                    segment, ErrorCode.CURRENCY_MISMATCH,
                    f"Adjustment {rule.code} is in {rule.currency}, the schedule "
                    f"{schedule.code} in {schedule.currency}.", SettingKind.ADJUSTMENT, chosen,
                )  # fmt: skip
            amount = value
        else:
            amount = rate.amount * value / HUNDRED
        found.append(Adjusted(rule, value, amount, chosen))
    return found


def _line(
    period: Period, segment: Segment, age: int, rate: Rate, schedule: Schedule,
    chosen: Chosen, adjusted: list[Adjusted],
) -> Line:  # fmt: skip
    monthly = rate.amount + sum((a.amount for a in adjusted), Decimal(0))
    share, total = days(segment.days), days(period)
    amount = (monthly * share / total).quantize(CENT, ROUND_HALF_EVEN)
    contribution_source = segment.effective.single.get(SettingKind.EMPLOYER_CONTRIBUTION)
    contribution = (
        HUNDRED
        if contribution_source is None
        else contribution_source.setting.value_decimal or Decimal(0)
    )
    employer = (amount * contribution / HUNDRED).quantize(CENT, ROUND_HALF_EVEN)
    return Line(
        segment=segment, age=age, rate=rate, schedule=schedule, schedule_source=chosen,
        adjustments=adjusted, monthly=monthly, days=share, period_days=total, amount=amount,
        employer_amount=employer, employee_amount=amount - employer, contribution=contribution,
        contribution_source=contribution_source,
    )  # fmt: skip
