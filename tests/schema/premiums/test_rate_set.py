"""premiumScheduleRateSet: rates by tier, age band and period, checked before any is kept."""

from __future__ import annotations

from typing import Any

from tests.graphql import GraphQLClient
from tests.schema.premiums.conftest import NEXT_MONTH, Group, premium, set_

RATE_SET = """
mutation($input: PremiumScheduleRateSetInput!) {
  premiumScheduleRateSet(input: $input) { premiumSchedule errors { field code message } }
}
"""


def _rates(*bands: tuple[int, int, str], tier: str = "EMPLOYEE_ONLY") -> list[dict[str, Any]]:
    return [{"ageFrom": a, "ageTo": b, "coverageTier": tier, "amount": x} for a, b, x in bands]


async def _set(admin: GraphQLClient, **given: Any) -> dict[str, Any]:
    data = {"premiumSchedule": "PS-STD", "currency": "EUR", "startDate": "2100-01-01", **given}
    return await admin.mutate(RATE_SET, {"input": data})  # type: ignore[no-any-return]


async def test_overlapping_bands_are_refused_naming_the_rate(
    admin: GraphQLClient, group: Group
) -> None:
    # when
    payload = await _set(admin, rates=_rates((0, 30, "10.00"), (30, 60, "20.00")))
    # then
    assert payload["premiumSchedule"] is None
    assert payload["errors"][0]["field"] == ["input", "rates", "1", "ageFrom"]
    assert payload["errors"][0]["code"] == "OVERLAP"


async def test_rates_overlapping_kept_rates_in_time_are_refused(
    admin: GraphQLClient, group: Group
) -> None:
    # given PS-STD's rates from premiumScheduleCreate hold since always
    # when
    payload = await _set(admin, rates=_rates((20, 30, "10.00"), tier="FAMILY"))
    # then
    assert [e["code"] for e in payload["errors"]] == ["OVERLAP"]


async def test_another_currency_is_refused(admin: GraphQLClient, group: Group) -> None:
    payload = await _set(admin, currency="USD", rates=_rates((0, 10, "1.00"), tier="FAMILY"))
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        (["input", "currency"], "CURRENCY_MISMATCH")
    ]


async def test_bad_amounts_and_unknown_schedules_are_refused(
    admin: GraphQLClient, group: Group
) -> None:
    bad = await _set(admin, rates=_rates((0, 10, "1.001"), (5, 2, "NaN")))
    assert {tuple(e["field"]) for e in bad["errors"]} >= {
        ("input", "rates", "0", "amount"),
        ("input", "rates", "1", "ageTo"),
    }
    unknown = await _set(admin, premiumSchedule="NOPE\u202e", rates=_rates((0, 1, "1.00")))
    assert [e["code"] for e in unknown["errors"]] == ["NOT_FOUND"]


async def test_a_rate_for_a_parameter_value_wins(admin: GraphQLClient, group: Group) -> None:
    # given the enrolment's DEDUCTIBLE is 500, and a cheaper rate for it
    await set_(admin, group.client, "PREMIUM_SCHEDULE", premiumSchedule="PS-EXEC")
    await set_(
        admin, group.enrolment, "PARAMETER_VALUE", parameterName="DEDUCTIBLE",
        parameterValue="500",
    )  # fmt: skip
    rates = [
        {**r, "parameterName": "DEDUCTIBLE", "parameterValue": "500"}
        for r in _rates((0, 120, "150.00"), tier=_tier())
    ]
    payload = await _set(
        admin, premiumSchedule="PS-EXEC", startDate=f"{NEXT_MONTH}-01", rates=rates
    )
    assert payload["errors"] == []
    # when
    found = await premium(admin, group.policy)
    # then
    assert found["total"] == "150.00"


def _tier() -> str:
    return "EMPLOYEE_ONLY"  # the tier the settings tests' group enrols its lone employee in
