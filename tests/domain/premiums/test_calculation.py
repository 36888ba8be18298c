"""The pure premium calculation: proration by day, rounding, shares, rate choice."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.core.errors import ErrorCode
from domain.core.periods import Period
from domain.premiums.calculation import (
    Rate,
    Rule,
    Schedule,
    Segment,
    month,
    premium,
)
from domain.reference.models import CoverageTier
from domain.settings.effective import Chosen, ChosenAdjustment, Effective
from domain.settings.models import AdjustmentKind, Setting, SettingKind, SettingLevel

TIER = CoverageTier.FAMILY
SCHEDULE_SETTING = Setting(id=1, kind=SettingKind.PREMIUM_SCHEDULE, premium_schedule_id=1)


def _effective(rule_ids: list[int], contribution: Decimal | None = None) -> Effective:
    found = Effective()
    found.single[SettingKind.PREMIUM_SCHEDULE] = Chosen(
        SCHEDULE_SETTING, SettingLevel.GROUP_CLIENT, 1
    )
    if contribution is not None:
        setting = Setting(id=2, kind=SettingKind.EMPLOYER_CONTRIBUTION, value_decimal=contribution)
        found.single[SettingKind.EMPLOYER_CONTRIBUTION] = Chosen(
            setting, SettingLevel.GROUP_CLIENT, 1
        )
    found.adjustments.extend(
        ChosenAdjustment(
            Setting(id=10 + i, kind=SettingKind.ADJUSTMENT, adjustment_rule_id=i),
            SettingLevel.GROUP_ACCOUNT,
            1,
        )
        for i in rule_ids
    )
    return found


def _segment(days: Period, effective: Effective, born: date = date(1980, 6, 15)) -> Segment:
    return Segment(1, 1, 1, TIER, 1, born, days, 1, 1, effective)


def _schedule(amount: Decimal) -> dict[int, Schedule]:
    return {1: Schedule(1, "S", "EUR", (Rate(0, 120, TIER, amount),))}


months = st.tuples(st.integers(2000, 2100), st.integers(1, 12)).map(
    lambda ym: f"{ym[0]:04d}-{ym[1]:02d}"
)
amounts = st.decimals(min_value=0, max_value=100000, places=2)
percentages = st.decimals(min_value=-100, max_value=100, places=4)


# No deadline: the machine is shared, and a slow example is no failure here.
@settings(deadline=None)
@given(months, amounts, st.lists(percentages, max_size=3))
def test_daily_prorations_of_a_month_sum_to_its_premium_within_rounding(
    period: str, amount: Decimal, values: list[Decimal]
) -> None:
    # given
    window = month(period)
    rules = {i: Rule(i, f"R{i}", AdjustmentKind.PERCENTAGE, v) for i, v in enumerate(values)}
    effective = _effective(list(rules))
    # when
    whole = premium(window, [_segment(window, effective)], _schedule(amount), rules).total
    day, daily = window.start, Decimal(0)
    while window.covers(day):
        one = premium(window, [_segment(Period(day, day), effective)], _schedule(amount), rules)
        daily += one.total
        day += timedelta(days=1)
    # then: each of the month's days is rounded once, by at most half a cent
    assert abs(daily - whole) <= Decimal("0.005") * 31


# No deadline: the machine is shared, and a slow example is no failure here.
@settings(deadline=None)
@given(amounts, st.decimals(min_value=0, max_value=100, places=4))
def test_the_shares_add_up_to_the_line(amount: Decimal, contribution: Decimal) -> None:
    window = month("2027-02")
    found = premium(window, [_segment(window, _effective([], contribution))], _schedule(amount), {})
    (line,) = found.lines
    assert line.employer_amount + line.employee_amount == line.amount
    assert line.amount == amount


def test_a_line_is_rounded_half_even_once() -> None:
    # 10.00 for 1 of 28 days is 0.357142..., and 0.125 rounds to 0.12
    window = month("2027-02")
    found = premium(
        window, [_segment(Period(date(2027, 2, 3), date(2027, 2, 3)), _effective([]))],
        _schedule(Decimal("10.00")), {},
    )  # fmt: skip
    assert found.total == Decimal("0.36")
    half = premium(
        month("2027-01"),
        [_segment(Period(date(2027, 1, 1), date(2027, 1, 1)), _effective([]))],
        _schedule(Decimal("3.875")), {},
    )  # fmt: skip
    assert half.total == Decimal("0.12")  # 3.875 / 31 = 0.125 exactly: to the even cent


def test_the_age_band_is_by_age_on_the_periods_first_day() -> None:
    schedule = {
        1: Schedule(
            1, "S", "EUR", (Rate(0, 39, TIER, Decimal(10)), Rate(40, 99, TIER, Decimal(20)))
        )
    }
    window = month("2027-03")
    turning_forty_on_the_second = date(1987, 3, 2)
    found = premium(
        window, [_segment(window, _effective([]), turning_forty_on_the_second)], schedule, {}
    )
    assert found.total == Decimal("10.00")
    assert found.lines[0].age == 39


def test_an_amount_in_another_currency_is_a_problem_naming_the_rule() -> None:
    window = month("2027-03")
    rules = {0: Rule(0, "FEE", AdjustmentKind.AMOUNT, Decimal(2), "USD")}
    found = premium(window, [_segment(window, _effective([0]))], _schedule(Decimal(10)), rules)
    (problem,) = found.problems
    assert problem.code is ErrorCode.CURRENCY_MISMATCH
    assert problem.kind is SettingKind.ADJUSTMENT
    assert problem.source is not None and problem.source.level is SettingLevel.GROUP_ACCOUNT
    assert found.lines == []


def test_no_rate_for_the_age_is_a_missing_rate() -> None:
    schedule = {1: Schedule(1, "S", "EUR", (Rate(0, 20, TIER, Decimal(10)),))}
    window = month("2027-03")
    found = premium(window, [_segment(window, _effective([]))], schedule, {})
    assert [p.code for p in found.problems] == [ErrorCode.MISSING_RATE]
