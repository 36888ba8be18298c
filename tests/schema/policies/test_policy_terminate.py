"""policyTerminate and policyReinstate: the subscriber's end ends everyone's, and undoing it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from domain.audit.models import AuditEvent
from tests.factories import Place
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.policies.enrol import POLICY_FIELDS, days, enrol, person, years_ago

HISTORY = "history { members { relationship startDate endDate } enrollmentProducts { endDate } }"

TERMINATE = f"""
mutation Terminate($input: PolicyTerminateInput!) {{
  policyTerminate(input: $input) {{
    policy {{ {POLICY_FIELDS} {HISTORY} }}
    errors {{ field message code }}
  }}
}}
"""

REINSTATE = f"""
mutation Reinstate($input: PolicyReinstateInput!) {{
  policyReinstate(input: $input) {{
    policy {{ {POLICY_FIELDS} {HISTORY} }}
    errors {{ field message code }}
  }}
}}
"""


def _ref(policy: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"input": {"policyId": policy["id"], "version": policy["version"], **more}}


async def test_ends_every_member_and_product_on_the_same_day(
    admin: GraphQLClient, acme: Place
) -> None:
    # given
    policy = await enrol(admin, acme, startDate=days(-30))
    # when
    ended = ok(await admin.mutate(TERMINATE, _ref(policy, endDate=days(14))))["policy"]
    # then
    assert (ended["status"], ended["endDate"]) == ("TERMINATED", days(14))
    assert {m["endDate"] for m in ended["history"]["members"]} == {days(14)}
    assert {p["endDate"] for p in ended["history"]["enrollmentProducts"]} == {days(14)}


async def test_a_dependant_starting_after_the_end_is_withdrawn(
    admin: GraphQLClient, acme: Place
) -> None:
    # given a spouse joining next month
    later = {"person": person("Jane"), "relationship": "SPOUSE", "startDate": days(30)}
    policy = await enrol(admin, acme, dependants=[later])
    # when the policy ends before
    ended = ok(await admin.mutate(TERMINATE, _ref(policy, endDate=days(10))))["policy"]
    # then
    assert [m["relationship"] for m in ended["history"]["members"]] == ["SUBSCRIBER"]


async def test_refuses_bad_terminations(admin: GraphQLClient, acme: Place) -> None:
    # given
    policy = await enrol(admin, acme, startDate=days(-5))
    # then
    cases = [
        (_ref(policy, endDate=days(-6)), "END_BEFORE_START", ["input", "endDate"]),
        (
            {"input": {**_ref(policy)["input"], "version": 9, "endDate": days(1)}},
            "STALE_VERSION",
            ["input", "version"],
        ),
    ]
    for variables, code, field in cases:
        refused(await admin.mutate(TERMINATE, variables), code, field)
    too_early = await admin.mutate(TERMINATE, _ref(policy, endDate=days(-100)))
    assert [e["code"] for e in too_early["errors"]] == ["TOO_FAR_BACK", "END_BEFORE_START"]
    ended = ok(await admin.mutate(TERMINATE, _ref(policy, endDate=days(1))))["policy"]
    refused(
        await admin.mutate(TERMINATE, _ref(ended, endDate=days(2))),
        "WRONG_STATUS",
        ["input", "policyId"],
    )


async def test_reinstating_reopens_what_ended_with_the_policy(
    admin: GraphQLClient, acme: Place, session: AsyncSession
) -> None:
    # given a family whose spouse left before the policy ended
    policy = await enrol(admin, acme)
    spouse_id = policy["members"][1]["person"]["id"]
    policy = ok(
        await admin.mutate(
            "mutation($input: PolicyMemberRemoveInput!) { policyMemberRemove(input: $input) "
            "{ policy { id version } errors { field code message } } }",
            _ref(policy, personId=spouse_id, endDate=days(5)),
        )
    )["policy"]
    ended = ok(await admin.mutate(TERMINATE, _ref(policy, endDate=days(20))))["policy"]
    # when
    back = ok(await admin.mutate(REINSTATE, _ref(ended)))["policy"]
    # then the subscriber and products run on, the child to the age limit, the spouse stays out
    assert (back["status"], back["endDate"]) == ("ACTIVE", None)
    ends = {m["relationship"]: m["endDate"] for m in back["history"]["members"]}
    assert ends["SUBSCRIBER"] is None
    assert ends["SPOUSE"] == days(5)
    assert ends["CHILD"] == back["members"][-1]["ageLimitDate"]
    assert [p["endDate"] for p in back["history"]["enrollmentProducts"]] == [None]
    actions = (
        await session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id))  # type: ignore[arg-type]
    ).all()
    assert list(actions)[-2:] == ["policyTerminate", "policyReinstate"]


async def test_only_a_terminated_policy_is_reinstated(admin: GraphQLClient, acme: Place) -> None:
    # given
    policy = await enrol(admin, acme)
    # when
    payload = await admin.mutate(REINSTATE, _ref(policy))
    # then
    refused(payload, "WRONG_STATUS", ["input", "policyId"])


async def test_reinstating_refuses_coverage_taken_elsewhere_meanwhile(
    admin: GraphQLClient, acme: Place
) -> None:
    # given John's policy ended, and he was enrolled again with medical afterwards
    policy = await enrol(admin, acme, dependants=[])
    ended = ok(await admin.mutate(TERMINATE, _ref(policy, endDate=days(3))))["policy"]
    await enrol(admin, acme, dependants=[], startDate=days(4))
    # when the old policy is reinstated
    payload = await admin.mutate(REINSTATE, _ref(ended))
    # then
    refused(payload, "OVERLAP", ["input", "policyId"])


async def test_a_child_past_the_age_limit_is_not_reopened(
    admin: GraphQLClient, acme: Place
) -> None:
    # given a child who turns 26 in five days, on a policy ending in ten
    kid = {"person": person("Kid", born=years_ago(26, days_more=-5)), "relationship": "CHILD"}
    policy = await enrol(admin, acme, dependants=[kid])
    ended = ok(await admin.mutate(TERMINATE, _ref(policy, endDate=days(10))))["policy"]
    # when
    back = ok(await admin.mutate(REINSTATE, _ref(ended)))["policy"]
    # then the child's coverage still ends at the age limit
    child = [m for m in back["history"]["members"] if m["relationship"] == "CHILD"]
    assert child[0]["endDate"] == days(4)


REMOVE = """
mutation($input: PolicyMemberRemoveInput!) {
  policyMemberRemove(input: $input) { policy { id version } errors { field code message } }
}
"""

PERIODS = """
query($id: ID!) { policy(id: $id) { status endDate history {
  members { person { givenName } relationship startDate endDate }
  enrollmentProducts { product { code } startDate endDate }
} } }
"""


async def test_reinstating_restores_exactly_what_the_termination_changed(
    admin: GraphQLClient, acme: Place
) -> None:
    # given a spouse and a product ending on day 40 of their own, a child removed on day 30,
    # and a partner joining on day 50
    policy = await enrol(
        admin,
        acme,
        dependants=[
            {"person": person("Jane"), "relationship": "SPOUSE", "endDate": days(40)},
            {"person": person("Jim", born=years_ago(10)), "relationship": "CHILD"},
            {"person": person("Pat"), "relationship": "OTHER_DEPENDANT", "startDate": days(50)},
        ],
        products=[{"productCode": "MED-PPO", "coverageTier": "FAMILY", "endDate": days(40)}],
    )
    child = policy["members"][2]["person"]["id"]
    policy = ok(await admin.mutate(REMOVE, _ref(policy, personId=child, endDate=days(30))))[
        "policy"
    ]
    before = await admin.query(PERIODS, {"id": policy["id"]})
    # when the policy is terminated on day 30 and reinstated
    ended = ok(await admin.mutate(TERMINATE, _ref(policy, endDate=days(30))))["policy"]
    terminated = await admin.query(PERIODS, {"id": policy["id"]})
    ok(await admin.mutate(REINSTATE, _ref(ended)))
    # then every member and product is as before: own ends kept, the child still removed,
    # the partner back
    after = await admin.query(PERIODS, {"id": policy["id"]})
    assert {m["endDate"] for m in terminated["policy"]["history"]["members"]} == {days(30)}
    assert len(terminated["policy"]["history"]["members"]) == 3  # Pat withdrawn
    assert after == before
    ends = {m["person"]["givenName"]: m["endDate"] for m in after["policy"]["history"]["members"]}
    assert ends == {"John": None, "Jane": days(40), "Jim": days(30), "Pat": None}


async def test_a_date_outside_the_dates_allowed_is_refused_on_its_field(
    admin: GraphQLClient, acme: Place
) -> None:
    # given
    policy = await enrol(admin, acme)
    # when a policy would end on the last day there is, or before 1900
    far = await admin.mutate(TERMINATE, _ref(policy, endDate="9999-12-31"))
    early = await admin.mutate(TERMINATE, _ref(policy, endDate="1899-12-31"))
    # then each is a field error, and the policy runs on
    refused(far, "INVALID_FORMAT", ["input", "endDate"])
    refused(early, "INVALID_FORMAT", ["input", "endDate"])
    assert "2999-12-31" in far["errors"][0]["message"]
    ok(await admin.mutate(TERMINATE, _ref(policy, endDate="2999-12-31")))
