"""policyMemberAdd: one more family member on a policy, from a date, or nothing."""

from __future__ import annotations

from typing import Any

import pytest

from schema.core.relay import global_id
from tests.factories import Place
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.policies.enrol import POLICY_FIELDS, days, enrol, person, years_ago

ADD = f"""
mutation Add($input: PolicyMemberAddInput!) {{
  policyMemberAdd(input: $input) {{
    policy {{ {POLICY_FIELDS} }}
    errors {{ field message code }}
  }}
}}
"""


def _input(policy: dict[str, Any], **changes: Any) -> dict[str, Any]:
    values = {
        "policyId": policy["id"],
        "version": policy["version"],
        "person": person("Baby", born=days(-3)),
        "relationship": "CHILD",
        "startDate": days(-3),
    }
    given = {**values, **changes}
    # The policies here are the subscriber's alone: the one added brings the tier they fit.
    given.setdefault("coverageTier", _TIERS.get(given["relationship"]))
    return {"input": given}


_TIERS = {
    "SPOUSE": "EMPLOYEE_SPOUSE",
    "DOMESTIC_PARTNER": "EMPLOYEE_SPOUSE",
    "CHILD": "EMPLOYEE_CHILDREN",
    "OTHER_DEPENDANT": "EMPLOYEE_CHILDREN",
}


async def test_adds_a_newborn_from_birth_until_the_age_limit(
    admin: GraphQLClient, acme: Place
) -> None:
    # given a family enrolled a week ago
    policy = await enrol(admin, acme, startDate=days(-7), dependants=[])
    # when the newborn is added from their birth
    changed = ok(await admin.mutate(ADD, _input(policy)))["policy"]
    # then
    (_, baby) = changed["members"]
    assert (baby["person"]["givenName"], baby["relationship"]) == ("Baby", "CHILD")
    assert baby["startDate"] == days(-3)
    assert baby["endDate"] == baby["ageLimitDate"]
    assert changed["version"] == policy["version"] + 1


async def test_adds_a_person_known_by_id(admin: GraphQLClient, acme: Place, book: Any) -> None:
    # given Mary, insured elsewhere, without medical
    from tests.factories import place

    other = await place(book, code="GLOBEX")
    mary = await enrol(
        admin,
        other,
        subscriber={"person": person("Mary")},
        dependants=[],
        insurableClassId=global_id("InsurableClass", other.executives.id),  # type: ignore[arg-type]
        products=[{"productCode": "LIFE-2X", "coverageTier": "EMPLOYEE_ONLY"}],
    )
    policy = await enrol(admin, acme, dependants=[])
    # when she joins John's policy as his spouse
    payload = await admin.mutate(
        ADD,
        _input(
            policy,
            person=None,
            personId=mary["subscriber"]["id"],
            relationship="SPOUSE",
            startDate=days(0),
        ),
    )
    # then
    assert ok(payload)["policy"]["members"][1]["person"]["id"] == mary["subscriber"]["id"]


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"relationship": "SUBSCRIBER"}, "NOT_ALLOWED", ["input", "relationship"]),
        ({"startDate": days(-10)}, "OUTSIDE_SUBSCRIBER_COVER", ["input", "startDate"]),
        ({"startDate": days(-100)}, "TOO_FAR_BACK", ["input", "startDate"]),
        ({"endDate": days(-5)}, "END_BEFORE_START", ["input", "endDate"]),
        (
            {"person": person("Old", born=years_ago(30)), "startDate": days(0)},
            "AGE_LIMIT",
            ["input", "startDate"],
        ),
        ({"version": 99}, "STALE_VERSION", ["input", "version"]),
        ({"policyId": global_id("Policy", 999_999)}, "NOT_FOUND", ["input", "policyId"]),
        ({"person": None}, "REQUIRED", ["input", "person"]),
    ],
)
async def test_refuses_and_keeps_the_policy_as_it_was(
    admin: GraphQLClient, acme: Place, changes: dict[str, Any], code: str, field: list[str]
) -> None:
    # given
    policy = await enrol(admin, acme, startDate=days(-7), dependants=[])
    # when
    payload = await admin.mutate(ADD, _input(policy, **changes))
    # then
    refused(payload, code, field)
    again = await admin.query(
        "query($id: ID!) { node(id: $id) { ... on Policy { version members { relationship } } } }",
        {"id": policy["id"]},
    )
    assert again["node"] == {
        "version": policy["version"],
        "members": [{"relationship": "SUBSCRIBER"}],
    }


async def test_the_same_person_cannot_be_added_twice_at_once(
    admin: GraphQLClient, acme: Place
) -> None:
    # given Jane is John's spouse already
    policy = await enrol(admin, acme, dependants=[])
    first = ok(
        await admin.mutate(
            ADD,
            _input(
                policy,
                person=person("Jane", nationalId="NID-JANE"),
                relationship="SPOUSE",
                startDate=days(0),
            ),
        )
    )
    # when she is added again
    payload = await admin.mutate(
        ADD,
        _input(
            first["policy"],
            person=person("Jane", nationalId="NID-JANE"),
            relationship="SPOUSE",
            startDate=days(1),
        ),
    )
    # then
    refused(payload, "OVERLAP", ["input", "startDate"])


async def test_a_terminated_policy_takes_no_new_members(admin: GraphQLClient, acme: Place) -> None:
    # given
    policy = await enrol(admin, acme, dependants=[])
    ended = ok(
        await admin.mutate(
            "mutation($input: PolicyTerminateInput!) { policyTerminate(input: $input) "
            "{ policy { id version } errors { field code message } } }",
            {"input": {"policyId": policy["id"], "version": policy["version"], "endDate": days(5)}},
        )
    )["policy"]
    # when
    payload = await admin.mutate(ADD, _input(ended, startDate=days(1)))
    # then
    refused(payload, "WRONG_STATUS", ["input", "policyId"])


async def test_a_member_of_a_policy_starting_later_starts_with_it(
    admin: GraphQLClient, acme: Place
) -> None:
    # given a policy that starts next month
    policy = await enrol(admin, acme, startDate=days(30), dependants=[])
    # when a spouse is added without a start date
    payload = await admin.mutate(
        ADD, _input(policy, person=person("Jane"), relationship="SPOUSE", startDate=None)
    )
    # then
    history = await admin.query(
        "query($id: ID!) { policy(id: $id) { history { members { relationship startDate } } } }",
        {"id": policy["id"]},
    )
    ok(payload)
    assert history["policy"]["history"]["members"][1] == {
        "relationship": "SPOUSE",
        "startDate": days(30),
    }
