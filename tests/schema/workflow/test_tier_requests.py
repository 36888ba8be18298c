"""A workflow request that adds family follows the tier rule of policyMemberAdd: refused with
TIER_MISMATCH on coverageTier unless it names the new tier, which registration then applies."""

from __future__ import annotations

from tests.graphql import ok
from tests.schema.policies.enrol import days, enrol, person
from tests.schema.policies.test_tier_mismatch import _products
from tests.schema.workflow.conftest import Cast
from tests.schema.workflow.requests import request, submit

POLICY = """query($id: ID!) { node(id: $id) { ... on Policy {
  enrollmentProducts { coverageTier startDate endDate } } } }"""


async def test_a_spouse_requested_for_an_employee_alone_needs_the_new_tier(cast: Cast) -> None:
    # given Max alone on medical EMPLOYEE_ONLY
    policy = await enrol(
        cast.admin, cast.place, subscriber={"person": person("Max")}, number="P-2", dependants=[]
    )
    asked = {
        "type": "ENROLMENT", "channel": "GROUP_PORTAL", "policyId": policy["id"],
        "dependants": [{"person": person("Ann"), "relationship": "SPOUSE",
                        "startDate": days(0)}],
    }  # fmt: skip
    # when the group's manager asks to add his spouse, without a tier
    payload = await submit(cast.manager, **asked)
    # then the request is refused as the mutation would be, naming the request's coverageTier
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("TIER_MISMATCH", ["input", "coverageTier"])
    ], payload["errors"]
    # when asked again naming EMPLOYEE_SPOUSE, and registered
    made = ok(await submit(cast.manager, **asked, coverageTier="EMPLOYEE_SPOUSE"))["request"]
    await cast.runner.drain()
    # then it completed and medical runs EMPLOYEE_SPOUSE from today
    assert (await request(cast.admin, made["id"]))["state"] == "COMPLETED"
    found = await cast.admin.query(POLICY, {"id": policy["id"]})
    assert _products(found["node"]) == [("EMPLOYEE_SPOUSE", days(0), None)]


async def test_a_tier_beside_a_new_policy_is_refused(cast: Cast) -> None:
    from tests.schema.policies.enrol import enrol_input

    new = enrol_input(cast.place, subscriber={"person": person("Zed")}, number="P-3")["input"]
    payload = await submit(
        cast.manager, type="ENROLMENT", channel="GROUP_PORTAL", enrolment=new,
        coverageTier="FAMILY",
    )  # fmt: skip
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("NOT_ALLOWED", ["input", "coverageTier"])
    ], payload["errors"]
