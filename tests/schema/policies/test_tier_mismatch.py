"""The coverage tier follows the family: a change that leaves a family outside its products'
tier is refused with TIER_MISMATCH on coverageTier, unless it names the new tier."""

from __future__ import annotations

from typing import Any

from tests.factories import Place
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.policies.enrol import ENROLL, POLICY_FIELDS, days, enrol, enrol_input, person
from tests.schema.policies.test_policy_member_add import ADD

REMOVE = f"""
mutation Remove($input: PolicyMemberRemoveInput!) {{
  policyMemberRemove(input: $input) {{
    policy {{ {POLICY_FIELDS} }}
    errors {{ field message code }}
  }}
}}
"""


def _spouse(policy: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "input": {
            "policyId": policy["id"], "version": policy["version"], "person": person("Ann"),
            "relationship": "SPOUSE", "startDate": days(0), **more,
        }
    }  # fmt: skip


HISTORY = """query($id: ID!, $day: Date!) { node(id: $id) { ... on Policy {
  enrollmentProducts(asOf: $day) { coverageTier startDate endDate } } } }"""


def _products(policy: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(p["coverageTier"], p["startDate"], p["endDate"]) for p in policy["enrollmentProducts"]]


async def _yesterday(admin: GraphQLClient, policy: dict[str, Any]) -> list[tuple[str, ...]]:
    found = await admin.query(HISTORY, {"id": policy["id"], "day": days(-1)})
    return _products(found["node"])


async def test_a_spouse_added_to_an_employee_only_policy_needs_the_new_tier(
    admin: GraphQLClient, acme: Place
) -> None:
    # given John alone, with medical EMPLOYEE_ONLY since ten days
    policy = await enrol(admin, acme, startDate=days(-10), dependants=[])
    assert _products(policy) == [("EMPLOYEE_ONLY", days(-10), None)]
    # when his spouse is added from today without a tier
    payload = refused(
        await admin.mutate(ADD, _spouse(policy)), "TIER_MISMATCH", ["input", "coverageTier"]
    )
    # then the message says why, and nothing changed
    assert "the employee, a spouse" in payload["errors"][0]["message"]
    assert "MED-PPO's tier EMPLOYEE_ONLY" in payload["errors"][0]["message"]
    # when the change names EMPLOYEE_SPOUSE
    changed = ok(await admin.mutate(ADD, _spouse(policy, coverageTier="EMPLOYEE_SPOUSE")))["policy"]
    # then medical ran EMPLOYEE_ONLY until yesterday and runs EMPLOYEE_SPOUSE from today
    assert _products(changed) == [("EMPLOYEE_SPOUSE", days(0), None)]
    assert await _yesterday(admin, policy) == [("EMPLOYEE_ONLY", days(-10), days(-1))]
    assert changed["version"] == policy["version"] + 1


async def test_a_tier_that_does_not_fit_either_is_refused(
    admin: GraphQLClient, acme: Place
) -> None:
    policy = await enrol(admin, acme, startDate=days(-10), dependants=[])
    refused(
        await admin.mutate(ADD, _spouse(policy, coverageTier="EMPLOYEE_CHILDREN")),
        "TIER_MISMATCH",
        ["input", "coverageTier"],
    )


async def test_the_last_dependant_removed_from_a_family_tier_needs_the_new_tier(
    admin: GraphQLClient, acme: Place
) -> None:
    # given John and his spouse, medical FAMILY
    policy = await enrol(
        admin, acme, startDate=days(-10),
        dependants=[{"person": person("Jane"), "relationship": "SPOUSE"}],
        products=[{"productCode": "MED-PPO", "coverageTier": "FAMILY"}],
    )  # fmt: skip
    jane = policy["members"][1]["person"]["id"]
    given = {"policyId": policy["id"], "version": policy["version"], "personId": jane}
    given["endDate"] = days(-1)
    # when Jane's cover ends yesterday, without and then with a tier
    refused(
        await admin.mutate(REMOVE, {"input": given}), "TIER_MISMATCH", ["input", "coverageTier"]
    )
    changed = ok(await admin.mutate(REMOVE, {"input": {**given, "coverageTier": "EMPLOYEE_ONLY"}}))[
        "policy"
    ]
    # then John alone is EMPLOYEE_ONLY from today
    assert _products(changed) == [("EMPLOYEE_ONLY", days(0), None)]
    assert await _yesterday(admin, policy) == [("FAMILY", days(-10), days(-1))]


async def test_an_enrolment_whose_family_does_not_fit_its_tier_is_refused(
    admin: GraphQLClient, acme: Place
) -> None:
    payload = await admin.mutate(
        ENROLL,
        enrol_input(acme, products=[{"productCode": "MED-PPO", "coverageTier": "EMPLOYEE_ONLY"}]),
    )
    refused(payload, "TIER_MISMATCH", ["input", "products", "0", "coverageTier"])
    assert payload["policy"] is None


async def test_a_product_sold_in_one_tier_follows_no_family(
    admin: GraphQLClient, acme: Place
) -> None:
    # given an executive with term life (sold employee only) and medical EMPLOYEE_ONLY
    from schema.core.relay import global_id

    policy = await enrol(
        admin, acme, dependants=[],
        insurableClassId=global_id("InsurableClass", acme.executives.id),  # type: ignore[arg-type]
        products=[{"productCode": "MED-PPO", "coverageTier": "EMPLOYEE_ONLY"},
                  {"productCode": "LIFE-2X", "coverageTier": "EMPLOYEE_ONLY"}],
    )  # fmt: skip
    # when a spouse joins naming EMPLOYEE_SPOUSE
    changed = ok(await admin.mutate(ADD, _spouse(policy, coverageTier="EMPLOYEE_SPOUSE")))["policy"]
    # then medical follows and life stays employee only
    tiers = {(p["product"]["code"], p["coverageTier"]) for p in changed["enrollmentProducts"]}
    assert tiers == {("MED-PPO", "EMPLOYEE_SPOUSE"), ("LIFE-2X", "EMPLOYEE_ONLY")}
