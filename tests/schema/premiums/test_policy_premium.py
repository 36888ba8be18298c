"""Policy.premium: the amount of each priority-table row that touches premiums, and the
source of every setting used."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from domain.premiums.calculation import days, month
from tests.graphql import GraphQLClient
from tests.schema.policies.enrol import enrol, person
from tests.schema.premiums.conftest import NEXT_MONTH, Group, premium, set_


async def test_the_group_clients_schedule_prices_the_policy(
    admin: GraphQLClient, group: Group
) -> None:
    # given
    await set_(admin, group.client, "PREMIUM_SCHEDULE", premiumSchedule="PS-STD")
    # when
    found = await premium(admin, group.policy)
    # then
    assert found["total"] == "100.00"
    assert found["currency"] == "EUR"
    (line,) = found["lines"]
    assert line["scheduleSource"] == {"level": "GROUP_CLIENT", "id": group.client}
    assert (line["baseRate"], line["ageFrom"], line["ageTo"]) == ("100.00", 0, 120)
    assert line["contributionSource"] is None
    assert (line["employerShare"], line["employeeShare"]) == ("100.00", "0.00")


async def test_the_account_products_schedule_wins_over_the_clients(
    admin: GraphQLClient, group: Group
) -> None:
    # given
    await set_(admin, group.client, "PREMIUM_SCHEDULE", premiumSchedule="PS-STD")
    await set_(admin, group.offer, "PREMIUM_SCHEDULE", premiumSchedule="PS-EXEC")
    # when
    found = await premium(admin, group.policy)
    # then
    assert found["total"] == "180.00"
    assert found["lines"][0]["scheduleSource"] == {
        "level": "GROUP_ACCOUNT_PRODUCT",
        "id": group.offer,
    }


async def test_adjustments_apply_with_an_account_periods_value(
    admin: GraphQLClient, group: Group
) -> None:
    # given a 5 % loyalty discount on the account, overridden to -10 % for the month,
    # and a 2.50 fee on the enrolment
    await set_(admin, group.client, "PREMIUM_SCHEDULE", premiumSchedule="PS-STD")
    await set_(admin, group.account, "ADJUSTMENT", adjustmentRule="ADJ-LOYAL")
    await set_(admin, group.enrolment, "ADJUSTMENT", adjustmentRule="ADJ-FEE")
    await _period(admin, group, "ADJ-LOYAL", "-10")
    # when
    found = await premium(admin, group.policy)
    # then 100 - 10 + 2.50
    assert found["total"] == "92.50"
    adjustments = {a["rule"]: a for a in found["lines"][0]["adjustments"]}
    assert adjustments["ADJ-LOYAL"]["overridden"] is True
    assert adjustments["ADJ-LOYAL"]["source"] == {"level": "GROUP_ACCOUNT", "id": group.account}
    assert adjustments["ADJ-FEE"]["source"] == {
        "level": "ENROLLMENT_PRODUCT",
        "id": group.enrolment,
    }


async def test_the_employer_pays_its_contribution_and_the_employee_the_rest(
    admin: GraphQLClient, group: Group
) -> None:
    # given
    await set_(admin, group.client, "PREMIUM_SCHEDULE", premiumSchedule="PS-STD")
    await set_(admin, group.holding, "EMPLOYER_CONTRIBUTION", employerContribution="75")
    # when
    found = await premium(admin, group.policy)
    # then
    line = found["lines"][0]
    assert (line["employerShare"], line["employeeShare"]) == ("75.00", "25.00")
    assert line["contributionSource"] == {"level": "PARENT_GROUP_CLIENT", "id": group.holding}


async def test_a_policy_without_a_schedule_says_so(admin: GraphQLClient, group: Group) -> None:
    # when
    found = await premium(admin, group.policy)
    # then
    assert found["total"] == "0.00"
    assert [p["code"] for p in found["problems"]] == ["NO_SCHEDULE"]


async def _period(admin: GraphQLClient, group: Group, rule: str, value: str) -> Any:
    payload = await admin.mutate(
        """mutation($input: AdjustmentPeriodAddInput!) {
             adjustmentPeriodAdd(input: $input) { errors { code message } } }""",
        {
            "input": {
                "groupAccountId": group.account,
                "adjustmentRule": rule,
                "startDate": f"{NEXT_MONTH}-01",
                "value": value,
            }
        },
    )
    assert payload["errors"] == []


async def test_a_policy_starting_inside_the_month_pays_its_days(
    admin: GraphQLClient, group: Group
) -> None:
    # given a second family enrolled from the 11th of the month

    await set_(admin, group.client, "PREMIUM_SCHEDULE", premiumSchedule="PS-STD")
    late = await enrol(
        admin,
        group.where,
        startDate=f"{NEXT_MONTH}-11",
        subscriber={"person": person("Laura", nationalId="NID-LAURA")},
        dependants=[],
    )
    # when
    found = await premium(admin, late["id"])
    # then
    total = days(month(NEXT_MONTH))
    (line,) = found["lines"]
    assert (line["days"], line["periodDays"]) == (total - 10, total)
    expected = (Decimal(100) * (total - 10) / total).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    assert found["total"] == str(expected)
