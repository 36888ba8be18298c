"""policyMemberRemove: a dependant's coverage ends on a date; the subscriber's never does here."""

from __future__ import annotations

from typing import Any

import pytest

from schema.core.relay import global_id
from tests.factories import Place
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.policies.enrol import POLICY_FIELDS, days, enrol

REMOVE = f"""
mutation Remove($input: PolicyMemberRemoveInput!) {{
  policyMemberRemove(input: $input) {{
    policy {{ {POLICY_FIELDS} history {{ members {{ person {{ givenName }} startDate endDate }} }} }}
    errors {{ field message code }}
  }}
}}
"""


def _input(policy: dict[str, Any], who: int, **changes: Any) -> dict[str, Any]:
    values = {
        "policyId": policy["id"],
        "version": policy["version"],
        "personId": policy["members"][who]["person"]["id"],
        "endDate": days(10),
    }
    return {"input": {**values, **changes}}


async def test_ends_the_spouses_coverage_and_keeps_the_history(
    admin: GraphQLClient, acme: Place
) -> None:
    # given
    policy = await enrol(admin, acme)
    # when the spouse leaves in ten days
    changed = ok(await admin.mutate(REMOVE, _input(policy, 1)))["policy"]
    # then she is still covered today, and the history says until when
    assert [m["person"]["givenName"] for m in changed["members"]] == ["John", "Jane", "Jim"]
    jane = [m for m in changed["history"]["members"] if m["person"]["givenName"] == "Jane"]
    assert jane == [{"person": {"givenName": "Jane"}, "startDate": days(0), "endDate": days(10)}]


async def test_coverage_not_yet_started_is_withdrawn(admin: GraphQLClient, acme: Place) -> None:
    # given a spouse whose coverage starts next month
    policy = await enrol(
        admin,
        acme,
        dependants=[
            {
                "person": {
                    "givenName": "Jane",
                    "familyName": "Doe",
                    "birthDate": "1985-01-01",
                    "gender": "FEMALE",
                },
                "relationship": "SPOUSE",
                "startDate": days(30),
            }
        ],
    )
    found = await admin.query(
        "query($id: ID!) { policy(id: $id) { history { members { person { id } } } } }",
        {"id": policy["id"]},
    )
    jane = found["policy"]["history"]["members"][1]["person"]["id"]
    # when she is removed from today
    payload = await admin.mutate(REMOVE, _input(policy, 0, personId=jane, endDate=days(0)))
    changed = ok(payload)["policy"]
    # then nothing of her coverage is left
    names = [m["person"]["givenName"] for m in changed["history"]["members"]]
    assert names == ["John"]


@pytest.mark.parametrize(
    ("who", "changes", "code", "field"),
    [
        (0, {}, "NOT_ALLOWED", ["input", "personId"]),
        (1, {"endDate": days(-100)}, "TOO_FAR_BACK", ["input", "endDate"]),
        (1, {"personId": global_id("Person", 999_999)}, "NOT_FOUND", ["input", "personId"]),
        (1, {"version": 42}, "STALE_VERSION", ["input", "version"]),
    ],
)
async def test_refuses_and_changes_nothing(
    admin: GraphQLClient,
    acme: Place,
    who: int,
    changes: dict[str, Any],
    code: str,
    field: list[str],
) -> None:
    # given
    policy = await enrol(admin, acme)
    # when
    payload = await admin.mutate(REMOVE, _input(policy, who, **changes))
    # then
    refused(payload, code, field)
    again = await admin.query(
        "query($id: ID!) { policy(id: $id) { version members { endDate } } }", {"id": policy["id"]}
    )
    assert again["policy"]["version"] == policy["version"]
    assert [m["endDate"] for m in again["policy"]["members"]] == [
        m["endDate"] for m in policy["members"]
    ]


async def test_a_member_already_gone_by_then_is_not_found(
    admin: GraphQLClient, acme: Place
) -> None:
    # given Jane leaves in ten days
    policy = await enrol(admin, acme)
    changed = ok(await admin.mutate(REMOVE, _input(policy, 1)))["policy"]
    # when she is removed again from a later day
    payload = await admin.mutate(REMOVE, _input(changed, 1, endDate=days(20)))
    # then
    refused(payload, "NOT_FOUND", ["input", "personId"])
