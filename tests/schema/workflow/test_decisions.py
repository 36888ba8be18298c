"""Deciding on requests: automatic approval, approval, rejection, cancellation, escalation,
retries with an idempotency key, and who may act on what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.graphql import ok, refused
from tests.schema.policies.enrol import days, person
from tests.schema.workflow.conftest import Cast
from tests.schema.workflow.requests import (
    CANCEL,
    complete,
    inbox,
    open_task,
    request,
    submit,
    submitted,
)

POLICY_QUERY = (
    "query($id: ID!) { node(id: $id) { ... on Policy { members { person { givenName } } } } }"
)


def _newborn(cast: Cast, born_days_ago: int) -> dict:
    return {
        "type": "ENROLMENT",
        "channel": "EMPLOYEE",
        "policyId": cast.policy_id,
        "dependants": [
            {"person": person("Baby", born=days(-born_days_ago)), "relationship": "CHILD"}
        ],
        "lifeEvent": "BIRTH",
        "eventDate": days(-born_days_ago),
    }


async def _members(cast: Cast) -> list[str]:
    data = await cast.admin.query(POLICY_QUERY, {"id": cast.policy_id})
    return [m["person"]["givenName"] for m in data["node"]["members"]]


async def test_a_newborn_within_30_days_is_approved_at_once_and_registered(cast: Cast) -> None:
    # when
    made = await submitted(cast.employee, **_newborn(cast, 10))
    await cast.runner.drain()
    # then
    assert (made["state"], made["tasks"]) == ("APPROVED", [])
    assert (await request(cast.employee, made["id"]))["state"] == "COMPLETED"
    assert "Baby" in await _members(cast)
    assert await inbox(cast.manager) == []


async def test_a_newborn_after_30_days_goes_to_the_manager(cast: Cast) -> None:
    # when
    made = await submitted(cast.employee, **_newborn(cast, 31))
    # then
    assert made["state"] == "PENDING_APPROVAL"
    assert [t["request"]["id"] for t in await inbox(cast.manager)] == [made["id"]]
    assert "Baby" not in await _members(cast)


async def test_a_rejection_ends_the_request_and_changes_nothing(cast: Cast) -> None:
    # given
    made = await submitted(
        cast.employee,
        type="TERMINATION",
        channel="EMPLOYEE",
        policyId=cast.policy_id,
        endDate=days(0),
    )
    # when
    done = ok(
        await complete(
            cast.manager, open_task(made)["id"], decision="REJECT", comment="Still employed"
        )
    )["request"]
    await cast.runner.drain()
    # then
    assert done["state"] == "REJECTED"
    assert done["tasks"][0] | {"id": None} == {
        "id": None,
        "name": "manager_approval",
        "assignee": "GROUP_MANAGER",
        "kind": "APPROVAL",
        "state": "COMPLETED",
        "decision": "REJECT",
        "completedBy": "hr-1",
        "escalatedAt": None,
        "overdue": False,
    }
    assert (
        "hr-1",
        "REJECTED",
        "REJECTED",
        "Approve as the group's manager: rejected by hr-1: Still employed",
    ) in [(e["actor"], e["action"], e["state"], e["message"]) for e in done["timeline"]]
    policy = await cast.admin.query('{ policy(number: "P-1") { status } }')
    assert policy["policy"]["status"] == "ACTIVE"


async def test_the_sender_cancels_a_pending_request_and_its_task_closes(cast: Cast) -> None:
    # given
    made = await submitted(
        cast.employee,
        type="TERMINATION",
        channel="EMPLOYEE",
        policyId=cast.policy_id,
        endDate=days(0),
    )
    task = open_task(made)
    # when
    by_stranger = await cast.partner.mutate(CANCEL, {"input": {"id": made["id"]}})
    cancelled = ok(
        await cast.employee.mutate(
            CANCEL, {"input": {"id": made["id"], "reason": "Changed my mind"}}
        )
    )["request"]
    again = await cast.employee.mutate(CANCEL, {"input": {"id": made["id"]}})
    late = await complete(cast.manager, task["id"], decision="APPROVE")
    # then
    refused(by_stranger, "NOT_ALLOWED", ["input", "id"])
    assert cancelled["state"] == "CANCELLED"
    assert [t["state"] for t in cancelled["tasks"]] == ["CANCELLED"]
    assert cancelled["timeline"][-1]["message"] == "Cancelled by emp-john: Changed my mind"
    refused(again, "WRONG_STATUS", ["input", "id"])
    refused(late, "WRONG_STATUS", ["input", "id"])
    assert await inbox(cast.manager) == []


async def test_the_back_office_may_cancel_any_request_it_sees(cast: Cast) -> None:
    made = await submitted(
        cast.employee,
        type="PRODUCT_UPGRADE",
        channel="EMPLOYEE",
        policyId=cast.policy_id,
        product={"productCode": "MED-PLUS", "coverageTier": "FAMILY"},
    )
    cancelled = ok(await cast.back_office.mutate(CANCEL, {"input": {"id": made["id"]}}))
    assert cancelled["request"]["state"] == "CANCELLED"


async def test_an_overdue_approval_escalates_to_the_back_office(cast: Cast) -> None:
    # given an approval due in three days
    made = await submitted(
        cast.employee,
        type="TERMINATION",
        channel="EMPLOYEE",
        policyId=cast.policy_id,
        endDate=days(0),
    )
    before = await inbox(cast.back_office)
    # when the sweep runs four days later
    escalated = await cast.runner.sweep(datetime.now(UTC) + timedelta(days=4))
    # then the back office sees it and may decide
    assert before == []
    assert escalated == 1
    (task,) = await inbox(cast.back_office)
    assert task["escalatedAt"] is not None
    assert await cast.runner.sweep(datetime.now(UTC) + timedelta(days=5)) == 0
    now = await request(cast.employee, made["id"])
    assert now["timeline"][-1]["action"] == "ESCALATED"
    done = ok(await complete(cast.back_office, task["id"], decision="APPROVE"))["request"]
    assert done["state"] == "APPROVED"


async def test_overdue_filters_the_inbox(cast: Cast) -> None:
    # given
    await submitted(
        cast.employee,
        type="TERMINATION",
        channel="EMPLOYEE",
        policyId=cast.policy_id,
        endDate=days(0),
    )
    # then
    assert len(await inbox(cast.manager, overdue=False)) == 1
    assert await inbox(cast.manager, overdue=True) == []
    assert await inbox(cast.manager, state="COMPLETED") == []
    assert len(await inbox(cast.manager, type="TERMINATION")) == 1
    assert await inbox(cast.manager, type="ENROLMENT") == []


async def test_a_retry_with_the_same_key_returns_the_first_request(cast: Cast) -> None:
    # given
    values = {
        "type": "CERTIFICATE",
        "channel": "EMPLOYEE",
        "policyId": cast.policy_id,
        "idempotencyKey": "app-42",
    }
    # when
    first = await submitted(cast.employee, **values)
    second = await submitted(cast.employee, **values)
    other_sender = await submitted(cast.partner, **{**values, "channel": "PARTNER"})
    changed = await submit(cast.employee, **{**values, "asOf": days(1)})
    # then
    assert second["id"] == first["id"]
    assert other_sender["id"] != first["id"]
    refused(changed, "DUPLICATE", ["input", "idempotencyKey"])
    listed = await cast.employee.query("{ workflowRequests { edges { node { submittedBy } } } }")
    senders = [e["node"]["submittedBy"] for e in listed["workflowRequests"]["edges"]]
    assert senders == ["emp-john", "partner-1"]  # theirs once, and the partner's about them


async def test_nobody_approves_their_own_request(cast: Cast) -> None:
    # given a group manager who is also an employee on the policy
    from authz.principal import Principal, Role
    from tests.conftest import token_for
    from tests.graphql import GraphQLClient

    both = GraphQLClient(
        cast.manager.http,
        token_for(
            Principal(
                "hr-1",
                frozenset({Role.GROUP_MANAGER, Role.EMPLOYEE}),
                groups=frozenset({"ACME"}),
                person=cast.policy["subscriber"]["personNumber"],
            )
        ),
    )
    made = await submitted(
        both, type="TERMINATION", channel="EMPLOYEE", policyId=cast.policy_id, endDate=days(0)
    )
    # when
    own = await complete(both, open_task(made)["id"], decision="APPROVE")
    other = await complete(cast.other_manager, open_task(made)["id"], decision="APPROVE")
    # then
    refused(own, "NOT_ALLOWED", ["input", "id"])
    assert ok(other)["request"]["state"] == "APPROVED"


async def test_inboxes_hold_only_what_each_may_act_on(cast: Cast) -> None:
    # given an approval for ACME's managers and a medical review for the back office
    await submitted(
        cast.employee,
        type="TERMINATION",
        channel="EMPLOYEE",
        policyId=cast.policy_id,
        endDate=days(0),
    )
    medical = await submitted(
        cast.employee,
        type="MEDICAL_AUTHORIZATION",
        channel="EMPLOYEE",
        personId=cast.holder_id,
        medical={"serviceCode": "MRI", "diagnosis": "M23.2", "provider": "Clinic"},
    )
    # then
    assert [t["name"] for t in await inbox(cast.manager)] == ["manager_approval"]
    assert [t["name"] for t in await inbox(cast.back_office)] == ["review"]
    assert await inbox(cast.stranger_manager) == []
    assert len(await inbox(cast.admin)) == 2
    # the manager may not act on the review, nor see the medical request at all
    refused(
        await complete(cast.manager, open_task(medical)["id"], decision="APPROVE"),
        "NOT_FOUND",
        ["input", "id"],
    )
    listed = await cast.manager.query("{ workflowRequests { edges { node { type } } } }")
    assert [e["node"]["type"] for e in listed["workflowRequests"]["edges"]] == ["TERMINATION"]
    assert await cast.manager.query(
        "query($id: ID!) { node(id: $id) { id } }", {"id": medical["id"]}
    ) == {"node": None}


async def test_medical_details_need_the_medical_field_right(cast: Cast) -> None:
    # given
    made = await submitted(
        cast.employee,
        type="MEDICAL_AUTHORIZATION",
        channel="EMPLOYEE",
        personId=cast.holder_id,
        medical={"serviceCode": "MRI", "diagnosis": "M23.2", "provider": "Clinic"},
    )
    query = (
        "query($id: ID!) { node(id: $id) { ... on WorkflowRequest { details medicalDetails } } }"
    )
    # when
    as_employee = await cast.employee.query(query, {"id": made["id"]})
    as_partner = await cast.partner.raw(query, {"id": made["id"]})
    # then
    assert as_employee["node"]["medicalDetails"] == {
        "serviceCode": "MRI",
        "diagnosis": "M23.2",
        "provider": "Clinic",
        "plannedDate": None,
    }
    assert list(as_employee["node"]["details"]) == ["personId"]
    assert as_partner["data"]["node"] is None  # a partner sees no one's health requests
