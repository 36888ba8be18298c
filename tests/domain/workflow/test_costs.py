"""A request's cost facts: the month they speak of, and when they are unknown."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain.core.errors import ErrorCode
from domain.premiums.calculation import Premium, Problem, month
from domain.workflow.costs import Cost, window, with_premiums
from domain.workflow.models import RequestType

JAN = month("2027-01")


def _premium(total: str, employer: str, currency: str = "EUR", **more: Any) -> Premium:
    return Premium(
        JAN,
        total=Decimal(total),
        employer_amount=Decimal(employer),
        employee_amount=Decimal(total) - Decimal(employer),
        currency=currency,
        **more,
    )


def test_the_month_is_the_first_whole_one_the_change_holds_in() -> None:
    upgrade = {"product": {"start_date": "2027-01-01"}}
    assert window(RequestType.PRODUCT_UPGRADE, upgrade, date(2026, 12, 3)) == JAN
    assert window(RequestType.TERMINATION, {"end_date": "2026-12-31"}, date(2026, 12, 3)) == JAN
    assert window(RequestType.DATA_CHANGE, {}, date(2026, 12, 3)) == JAN
    assert window(RequestType.DATA_CHANGE, {}, date(2027, 1, 1)) == JAN


def test_the_change_is_after_less_before_and_the_employers_part_of_it() -> None:
    found = with_premiums(Cost(), _premium("100.00", "75.00"), _premium("180.00", "135.00"))
    assert (found.premium_change, found.employer_premium_change) == (
        Decimal("80.00"),
        Decimal("60.00"),
    )
    assert (found.employer_cost_change, found.currency) == (Decimal("60.00"), "EUR")
    new = with_premiums(Cost(), None, _premium("100.00", "100.00"))
    assert new.premium_change == Decimal("100.00")


def test_a_cost_that_cannot_be_computed_is_null_and_the_catalogues_facts_stay() -> None:
    quoted = Cost("EUR", Decimal("25.00"), Decimal("5.00"), employer_cost_change=Decimal("5.00"))
    missing = Problem(None, ErrorCode.MISSING_RATE, "no rate")  # type: ignore[arg-type]
    unpriced = _premium("0.00", "0.00", problems=[missing])
    for before, after in [
        (_premium("100.00", "100.00"), unpriced),
        (unpriced, _premium("100.00", "100.00")),
        (_premium("100.00", "100.00"), _premium("100.00", "100.00", currency="USD")),
    ]:
        found = with_premiums(quoted, before, after)
        assert found.facts() == {
            "currency": "EUR",
            "price": Decimal("25.00"),
            "employer_share": Decimal("5.00"),
            "premium_change": None,
            "employer_premium_change": None,
            "employer_cost_change": None,
        }
