"""Adding the reference data settings name: codes, rates, adjustments, parameters, periods."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from schema.core.relay import global_id
from tests.factories import Book, place
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.policies.enrol import days


def _mutation(name: str, input_type: str) -> str:
    return f"""
mutation Run($input: {input_type}!) {{ {name}(input: $input) {{ code errors {{ field code message }} }} }}
"""


SCHEDULE = _mutation("premiumScheduleCreate", "PremiumScheduleCreateInput")
ADJUSTMENT = _mutation("adjustmentRuleCreate", "AdjustmentRuleCreateInput")
BROKER = _mutation("brokerAgentCreate", "BrokerAgentCreateInput")
PARAMETER = _mutation("productParameterCreate", "ProductParameterCreateInput")
PERIOD = _mutation("adjustmentPeriodAdd", "AdjustmentPeriodAddInput")
LISTS = """
query { settingsReferenceData {
  premiumSchedules { code currency rates { ageFrom ageTo coverageTier amount } }
  adjustmentRules { code kind value currency }
  brokerAgents { code name } billingAccounts { code } providerGroups { code }
  productParameters { productCode name }
} }
"""

RATES = [
    {"ageFrom": 0, "ageTo": 39, "coverageTier": "EMPLOYEE_ONLY", "amount": "120.00"},
    {"ageFrom": 40, "ageTo": 120, "coverageTier": "EMPLOYEE_ONLY", "amount": "180.50"},
]


@pytest.fixture
async def book(session: AsyncSession) -> Book:
    return await Book(session).setup()


async def test_adds_each_kind_and_lists_it(admin: GraphQLClient, book: Book) -> None:
    # when
    for document, values in (
        (SCHEDULE, {"code": "PS-1", "name": "Standard", "currency": "eur", "rates": RATES}),
        (ADJUSTMENT, {"code": "ADJ-1", "name": "Loyalty", "kind": "PERCENTAGE", "value": "-5"}),
        (
            ADJUSTMENT,
            {"code": "ADJ-2", "name": "Fee", "kind": "AMOUNT", "value": "2.5", "currency": "EUR"},
        ),
        (BROKER, {"code": "BRK-1", "name": "Broker One"}),
        (
            _mutation("billingAccountCreate", "BillingAccountCreateInput"),
            {"code": "B-1", "name": "HQ"},
        ),
        (
            _mutation("providerGroupCreate", "ProviderGroupCreateInput"),
            {"code": "N-1", "name": "Net"},
        ),
        (PARAMETER, {"productCode": "MED-PPO", "name": "DEDUCTIBLE"}),
    ):
        ok(await admin.mutate(document, {"input": values}))
    # then
    found = (await admin.query(LISTS))["settingsReferenceData"]
    assert found["premiumSchedules"] == [
        {
            "code": "PS-1",
            "currency": "EUR",
            "rates": [
                {"ageFrom": 0, "ageTo": 39, "coverageTier": "EMPLOYEE_ONLY", "amount": "120.00"},
                {"ageFrom": 40, "ageTo": 120, "coverageTier": "EMPLOYEE_ONLY", "amount": "180.50"},
            ],
        }
    ]
    assert [a["code"] for a in found["adjustmentRules"]] == ["ADJ-1", "ADJ-2"]
    assert found["brokerAgents"] == [{"code": "BRK-1", "name": "Broker One"}]
    assert found["productParameters"] == [{"productCode": "MED-PPO", "name": "DEDUCTIBLE"}]


@pytest.mark.parametrize(
    ("document", "values", "code", "field"),
    [
        (SCHEDULE, {"rates": []}, "REQUIRED", ["input", "rates"]),
        (SCHEDULE, {"currency": "euro"}, "INVALID_FORMAT", ["input", "currency"]),
        (
            SCHEDULE,
            {"rates": [RATES[0], {**RATES[1], "ageFrom": 30}]},
            "OVERLAP",
            ["input", "rates", "1", "ageFrom"],
        ),
        (
            SCHEDULE,
            {"rates": [{**RATES[0], "amount": "1.234"}]},
            "INVALID_FORMAT",
            ["input", "rates", "0", "amount"],
        ),
        (
            SCHEDULE,
            {"rates": [{**RATES[0], "ageFrom": 50}]},
            "INVALID_FORMAT",
            ["input", "rates", "0", "ageTo"],
        ),
        (
            ADJUSTMENT,
            {"kind": "PERCENTAGE", "value": "-150"},
            "INVALID_FORMAT",
            ["input", "value"],
        ),
        (ADJUSTMENT, {"kind": "AMOUNT", "value": "3"}, "REQUIRED", ["input", "currency"]),
        (
            ADJUSTMENT,
            {"kind": "PERCENTAGE", "value": "3", "currency": "EUR"},
            "NOT_ALLOWED",
            ["input", "currency"],
        ),
        (BROKER, {"code": ""}, "REQUIRED", ["input", "code"]),
        (PARAMETER, {"productCode": "NOPE", "name": "X"}, "NOT_FOUND", ["input", "productCode"]),
    ],
)
async def test_refuses_bad_reference_data_naming_the_field(
    admin: GraphQLClient,
    book: Book,
    document: str,
    values: dict[str, Any],
    code: str,
    field: list[str],
) -> None:
    base = {
        SCHEDULE: {"code": "PS-1", "name": "S", "currency": "EUR", "rates": RATES},
        ADJUSTMENT: {"code": "ADJ-1", "name": "A"},
        BROKER: {"code": "BRK-1", "name": "B"},
        PARAMETER: {},
    }[document]
    payload = await admin.mutate(document, {"input": {**base, **values}})
    refused(payload, code, field)
    found = (await admin.query(LISTS))["settingsReferenceData"]
    assert found["premiumSchedules"] == found["adjustmentRules"] == found["brokerAgents"] == []


async def test_a_codes_second_use_is_a_duplicate(admin: GraphQLClient, book: Book) -> None:
    ok(await admin.mutate(BROKER, {"input": {"code": "BRK-1", "name": "B"}}))
    refused(
        await admin.mutate(BROKER, {"input": {"code": "BRK-1", "name": "C"}}),
        "DUPLICATE",
        ["input", "code"],
    )


async def test_an_account_period_of_an_adjustment_must_not_overlap(
    admin: GraphQLClient, book: Book
) -> None:
    # given
    where = await place(book)
    ok(
        await admin.mutate(
            ADJUSTMENT,
            {"input": {"code": "ADJ-1", "name": "Loyalty", "kind": "PERCENTAGE", "value": "-5"}},
        )
    )
    values = {
        "groupAccountId": global_id("GroupAccount", where.account.id),  # type: ignore[arg-type]
        "adjustmentRule": "ADJ-1",
        "startDate": days(0),
        "endDate": days(30),
        "value": "-10",
    }
    # when
    first = await admin.mutate(PERIOD, {"input": values})
    again = await admin.mutate(PERIOD, {"input": {**values, "startDate": days(30)}})
    backwards = await admin.mutate(PERIOD, {"input": {**values, "endDate": days(-1)}})
    # then
    assert ok(first)["code"] == "ADJ-1"
    refused(again, "OVERLAP", ["input", "startDate"])
    refused(backwards, "END_BEFORE_START", ["input", "endDate"])
