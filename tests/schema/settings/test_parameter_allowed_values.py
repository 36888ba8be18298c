"""A product parameter may list the values it allows; a setting of it must take one of them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.graphql import GraphQLClient, ok, refused
from tests.schema.settings.conftest import SET, Group

CREATE = """
mutation Create($input: ProductParameterCreateInput!) {
  productParameterCreate(input: $input) { code errors { field code message } }
}
"""

LISTED = "{ settingsReferenceData { productParameters { productCode name allowedValues } } }"


def _parameter(**changes: Any) -> dict[str, Any]:
    values = {"productCode": "MED-PPO", "name": "NETWORK", "allowedValues": ["IN", " OUT "]}
    return {"input": {**values, **changes}}


def _set(group: Group, value: str) -> dict[str, Any]:
    return {
        "input": {
            "ownerId": group.offer,
            "kind": "PARAMETER_VALUE",
            "parameterName": "NETWORK",
            "parameterValue": value,
        }
    }


async def test_a_parameter_lists_its_values_and_a_setting_takes_one(
    admin: GraphQLClient, group: Group
) -> None:
    # given
    ok(await admin.mutate(CREATE, _parameter()))
    # when
    allowed = await admin.mutate(SET, _set(group, "OUT"))
    other = await admin.mutate(SET, _set(group, "ABROAD"))
    # then
    ok(allowed)
    refused(other, "NOT_ALLOWED", ["input", "parameterValue"])
    assert other["errors"][0]["message"] == "NETWORK takes one of: IN, OUT."
    listed = (await admin.query(LISTED))["settingsReferenceData"]["productParameters"]
    assert {"productCode": "MED-PPO", "name": "NETWORK", "allowedValues": ["IN", "OUT"]} in listed


async def test_a_parameter_without_a_list_takes_any_value(
    admin: GraphQLClient, group: Group
) -> None:
    # given
    ok(await admin.mutate(CREATE, _parameter(allowedValues=None)))
    # when / then
    ok(await admin.mutate(SET, _set(group, "ABROAD")))


@pytest.mark.parametrize(
    ("allowed", "error", "field"),
    [
        ([], "REQUIRED", ["input", "allowedValues"]),
        (["IN", "IN"], "DUPLICATE", ["input", "allowedValues", "1"]),
        (["IN", " "], "REQUIRED", ["input", "allowedValues", "1"]),
        (["V" * 101], "TOO_LONG", ["input", "allowedValues", "0"]),
    ],
)
async def test_a_bad_list_is_refused(
    admin: GraphQLClient, group: Group, allowed: list[str], error: str, field: list[str]
) -> None:
    # when
    payload = await admin.mutate(CREATE, _parameter(allowedValues=allowed))
    # then
    refused(payload, error, field)
    listed = (await admin.query(LISTED))["settingsReferenceData"]["productParameters"]
    assert "NETWORK" not in [p["name"] for p in listed]
