"""Every date a policy mutation takes lies in 1900-01-01..2999-12-31, or is a field error."""

from __future__ import annotations

from typing import Any

import pytest

from schema.core.relay import global_id
from tests.factories import Place
from tests.graphql import GraphQLClient, refused
from tests.schema.policies.enrol import ENROLL, days, enrol, enrol_input, person

ANSWER = "{ errors { field code message } }"
MEMBER_ADD = (
    f"mutation($input: PolicyMemberAddInput!) {{ policyMemberAdd(input: $input) {ANSWER} }}"
)
MEMBER_REMOVE = (
    f"mutation($input: PolicyMemberRemoveInput!) {{ policyMemberRemove(input: $input) {ANSWER} }}"
)
TERMINATE = f"mutation($input: PolicyTerminateInput!) {{ policyTerminate(input: $input) {ANSWER} }}"
MOVE = f"mutation($input: PolicyMoveInput!) {{ policyMove(input: $input) {ANSWER} }}"
ACCOUNT_END = (
    "mutation($input: GroupAccountTerminateInput!) "
    f"{{ groupAccountTerminate(input: $input) {ANSWER} }}"
)

OUTSIDE = ["9999-12-31", "1899-12-31", "0001-01-01"]


def _enrol(day: str, where: Place, field: str) -> dict[str, Any]:
    values = enrol_input(where)["input"]
    if field == "startDate":
        values["startDate"] = day
    elif field.startswith("dependants"):
        values["dependants"][0][field.split(".")[-1]] = day
    else:
        values["products"][0][field.split(".")[-1]] = day
    return {"input": values}


@pytest.mark.parametrize("day", OUTSIDE)
@pytest.mark.parametrize(
    "field",
    [
        "startDate",
        "dependants.0.startDate",
        "dependants.0.endDate",
        "products.0.startDate",
        "products.0.endDate",
    ],
)
async def test_enrolment_dates_are_bounded(
    admin: GraphQLClient, acme: Place, field: str, day: str
) -> None:
    # when
    payload = await admin.mutate(ENROLL, _enrol(day, acme, field))
    # then
    refused(payload, "INVALID_FORMAT", ["input", *field.split(".")])


@pytest.mark.parametrize("day", OUTSIDE)
async def test_the_dates_of_every_change_to_a_policy_are_bounded(
    admin: GraphQLClient, acme: Place, day: str
) -> None:
    # given
    policy = await enrol(admin, acme)
    ref = {"policyId": policy["id"], "version": policy["version"]}
    spouse = policy["members"][1]["person"]["id"]
    account = global_id("GroupAccount", acme.account.id)  # type: ignore[arg-type]
    executives = global_id("InsurableClass", acme.executives.id)  # type: ignore[arg-type]
    product = {"productCode": "MED-PPO", "coverageTier": "FAMILY"}
    al = {"person": person("Al"), "relationship": "SPOUSE"}
    cases = [
        (MEMBER_ADD, {**ref, **al, "startDate": day}, ["startDate"]),
        (MEMBER_ADD, {**ref, **al, "endDate": day}, ["endDate"]),
        (MEMBER_REMOVE, {**ref, "personId": spouse, "endDate": day}, ["endDate"]),
        (TERMINATE, {**ref, "endDate": day}, ["endDate"]),
        (MOVE, {**ref, "date": day, "insurableClassId": executives}, ["date"]),
        (
            MOVE,
            {
                **ref,
                "date": days(1),
                "insurableClassId": executives,
                "products": [{**product, "endDate": day}],
            },
            ["products", "0", "endDate"],
        ),
        (ACCOUNT_END, {"id": account, "version": 1, "endDate": day}, ["endDate"]),
    ]
    for mutation, given, field in cases:
        # when
        payload = await admin.mutate(mutation, {"input": given})
        # then the one date is refused on its field, and no top-level error is raised
        refused(payload, "INVALID_FORMAT", ["input", *field])
