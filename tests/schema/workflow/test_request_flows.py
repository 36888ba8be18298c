"""Every request type through its default flow, from every channel that may send it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.graphql import GraphQLClient, ok
from tests.schema.policies.enrol import days, enrol_input, person, years_ago
from tests.schema.workflow.conftest import Cast
from tests.schema.workflow.requests import complete, request, submitted

BO, GP, EMP, PARTNER = "BACK_OFFICE", "GROUP_PORTAL", "EMPLOYEE", "PARTNER"
MANAGER = ["manager_approval"]


def _details(cast: Cast, type_: str, channel: str) -> dict[str, Any]:
    """What each type needs, about ACME's policy P-1 and its holder John."""
    if type_ == "ENROLMENT" and channel == EMP:
        return {
            "policyId": cast.policy_id,
            "dependants": [{"person": person("Ann", born=years_ago(35)), "relationship": "SPOUSE"}],
            "lifeEvent": "MARRIAGE",
            "eventDate": days(-3),
        }
    if type_ == "ENROLMENT":
        new = enrol_input(
            cast.place,
            subscriber={"person": person("Max", nationalId="NID-MAX")},
            number="P-NEW",
            dependants=[],
        )["input"]
        return {"enrolment": new}
    return {
        "TERMINATION": {"policyId": cast.policy_id, "endDate": days(0)},
        "DATA_CHANGE": {"personId": cast.holder_id, "contact": {"email": "john@example.com"}},
        "MEDICAL_AUTHORIZATION": {
            "personId": cast.holder_id,
            "medical": {"serviceCode": "MRI-KNEE", "diagnosis": "M23.2", "provider": "City Clinic"},
        },
        "PRODUCT_UPGRADE": {
            "policyId": cast.policy_id,
            "product": {"productCode": "MED-PLUS", "coverageTier": "FAMILY"},
        },
        "SERVICE_PURCHASE": {"policyId": cast.policy_id, "serviceCode": "GYM", "quantity": 2},
        "CERTIFICATE": {"policyId": cast.policy_id},
        "VIDEO_CONSULTATION": {
            "personId": cast.holder_id,
            "preferredAt": "2030-01-02T09:30:00+00:00",
            "reason": "Rash",
        },
    }[type_]


FLOWS: list[tuple[str, str, list[str]]] = [
    ("ENROLMENT", GP, []),
    ("ENROLMENT", BO, []),
    ("ENROLMENT", PARTNER, MANAGER),
    ("ENROLMENT", EMP, MANAGER),
    ("TERMINATION", EMP, MANAGER),
    ("TERMINATION", PARTNER, MANAGER),
    ("TERMINATION", GP, []),
    ("TERMINATION", BO, []),
    *[("DATA_CHANGE", c, []) for c in (BO, GP, EMP, PARTNER)],
    *[("MEDICAL_AUTHORIZATION", c, ["review"]) for c in (BO, EMP, PARTNER)],
    # No premium schedule here: the upgrade's cost to the employer is unknown.
    *[("PRODUCT_UPGRADE", c, MANAGER) for c in (EMP, PARTNER)],
    *[("PRODUCT_UPGRADE", c, []) for c in (GP, BO)],
    # The employer pays nothing of the service: approved at once.
    *[("SERVICE_PURCHASE", c, ["registration"]) for c in (BO, GP, EMP, PARTNER)],
    *[("CERTIFICATE", c, []) for c in (BO, GP, EMP, PARTNER)],
    *[("VIDEO_CONSULTATION", c, ["registration"]) for c in (BO, EMP, PARTNER)],
]


def _actor(cast: Cast, assignee: str, sender: GraphQLClient) -> GraphQLClient:
    if assignee == "GROUP_MANAGER":
        return cast.other_manager if sender is cast.manager else cast.manager
    return cast.admin if sender is cast.back_office else cast.back_office


async def _run_to_end(
    cast: Cast, sender: GraphQLClient, made: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Approve or fulfil each task as it comes, and run the server's steps, to the end."""
    path: list[str] = []
    current = made
    for _ in range(10):
        if current["state"] in ("COMPLETED", "REJECTED", "CANCELLED", "FAILED"):
            return current, path
        waiting = [t for t in current["tasks"] if t["state"] == "OPEN"]
        if waiting:
            (task,) = waiting
            path.append(task["name"])
            data = {"reference": "BO-7"} if task["kind"] == "FULFILMENT" else None
            ok(
                await complete(
                    _actor(cast, task["assignee"], sender),
                    task["id"],
                    decision="APPROVE",
                    data=data,
                )
            )
        else:
            await cast.runner.drain()
        current = await request(cast.admin, made["id"])
    raise AssertionError(f"no end: {current}")


@pytest.mark.parametrize(("type_", "channel", "path"), FLOWS)
async def test_a_request_follows_its_default_flow_to_completion(
    cast: Cast, type_: str, channel: str, path: list[str]
) -> None:
    # given
    sender = cast.by_channel(channel)
    # when
    made = await submitted(sender, type=type_, channel=channel, **_details(cast, type_, channel))
    end, taken = await _run_to_end(cast, sender, made)
    # then
    assert made["process"] == {"key": "standard", "version": 1}
    assert made["state"] == (
        "PENDING_APPROVAL" if taken[:1] in (MANAGER, ["review"]) else "APPROVED"
    )
    assert (taken, end["state"]) == (path, "COMPLETED")
    actions = [e["action"] for e in end["timeline"]]
    assert actions[0] == "SUBMITTED" and actions[-1] == "STATE_CHANGED"
    assert "NOTIFIED" in actions
    assert ("REGISTERED" in actions) == ("registration" not in path)


async def test_what_each_registration_did(cast: Cast) -> None:
    # given one request of each automatically registered kind, sent by the back office
    results = {}
    for type_ in ("ENROLMENT", "TERMINATION", "DATA_CHANGE", "CERTIFICATE"):
        made = await submitted(
            cast.back_office, type=type_, channel=BO, **_details(cast, type_, BO)
        )
        await cast.runner.drain()
        results[type_] = (await request(cast.admin, made["id"]))["result"]
    # then
    policies = await cast.admin.query(
        '{ a: policy(number: "P-NEW") { number status } b: policy(number: "P-1") '
        "{ status endDate subscriber { email } } }"
    )
    assert results["ENROLMENT"]["policyNumber"] == "P-NEW"
    assert policies["a"] == {"number": "P-NEW", "status": "ACTIVE"}
    assert policies["b"] == {
        "status": "TERMINATED",
        "endDate": days(0),
        "subscriber": {"email": "john@example.com"},
    }
    assert results["TERMINATION"] == {"policyNumber": "P-1", "endDate": days(0)}
    assert results["DATA_CHANGE"] == {"changed": ["email"]}
    certificate = results["CERTIFICATE"]
    assert certificate["policyNumber"] == "P-1"
    assert certificate["insured"] == [
        "John Doe (SUBSCRIBER)",
        "Jane Doe (SPOUSE)",
        "Jim Doe (CHILD)",
    ]
    assert certificate["products"] == ["MED-PPO"]


async def test_a_back_office_fulfilment_and_a_review_leave_their_result(cast: Cast) -> None:
    # given
    medical = await submitted(
        cast.employee,
        type="MEDICAL_AUTHORIZATION",
        channel=EMP,
        **_details(cast, "MEDICAL_AUTHORIZATION", EMP),
    )
    gym = await submitted(
        cast.employee,
        type="SERVICE_PURCHASE",
        channel=EMP,
        **_details(cast, "SERVICE_PURCHASE", EMP),
    )
    # when
    for made in (medical, gym):
        (task,) = made["tasks"]
        ok(
            await complete(
                cast.back_office,
                task["id"],
                decision="APPROVE",
                comment="ok",
                data={"reference": "BK-1", "slot": 3},
            )
        )
    await cast.runner.drain()
    # then
    medical_now = await request(cast.employee, medical["id"])
    gym_now = await request(cast.employee, gym["id"])
    assert medical_now["state"] == gym_now["state"] == "COMPLETED"
    assert medical_now["result"]["authorizationNumber"].startswith("MA-")
    assert gym_now["result"] == {"reference": "BK-1", "slot": 3}
