"""A request is registered as its sender, within their reach, never beyond it (issue 13, 1)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.audit.models import AuditEvent
from schema.core.relay import global_id
from tests.factories import Book, place
from tests.graphql import GraphQLClient, ok
from tests.schema.policies.enrol import days, enrol, person
from tests.schema.workflow.conftest import Cast
from tests.schema.workflow.requests import complete, open_task, request, submit, submitted

MEMBER_ADD = """
mutation($input: PolicyMemberAddInput!) {
  policyMemberAdd(input: $input) { policy { id } errors { field code message } }
}
"""
MOVE = """
mutation($input: PolicyMoveInput!) {
  policyMove(input: $input) { policy { id } errors { field code message } }
}
"""
PERSON = """
query($id: ID!) { node(id: $id) { ... on Person { nationalId birthDate email phone } } }
"""
POLICY = "query($id: ID!) { node(id: $id) { ... on Policy { version members { person { id } } } } }"
MY_REQUESTS = "{ workflowRequests { totalCount } }"
UNKNOWN_PERSON = global_id("Person", 987_654)


def _words(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["code"], e["message"]) for e in payload["errors"]]


async def _add_dependant(
    client: GraphQLClient, policy: dict[str, Any], person_id: str
) -> dict[str, Any]:
    return await submit(
        client,
        type="ENROLMENT",
        channel="GROUP_PORTAL",
        policyId=policy["id"],
        dependants=[{"personId": person_id, "relationship": "OTHER_DEPENDANT"}],
    )


async def test_a_manager_cannot_enrol_another_employers_person_through_a_request(
    cast: Cast, book: Book
) -> None:
    # given GLOBEX's policy, and John, a person of ACME whom GLOBEX's manager cannot see
    globex = await place(book, code="GLOBEX")
    theirs = await enrol(
        cast.admin, globex, subscriber={"person": person("Gil", nationalId="NID-GIL")}
    )
    # when GLOBEX's manager asks to add John to their policy, by request and directly
    by_request = await _add_dependant(cast.stranger_manager, theirs, cast.holder_id)
    unknown = await _add_dependant(cast.stranger_manager, theirs, UNKNOWN_PERSON)
    directly = await cast.stranger_manager.mutate(
        MEMBER_ADD,
        {
            "input": {
                "policyId": theirs["id"],
                "version": theirs["version"],
                "personId": cast.holder_id,
                "relationship": "OTHER_DEPENDANT",
                "startDate": days(0),
            }
        },
    )
    await cast.runner.drain()
    # then the request is refused as the mutation is, and as an unknown person is
    assert by_request["request"] is None
    assert [e["field"] for e in by_request["errors"]] == [["input", "dependants", "0", "personId"]]
    assert _words(by_request) == _words(directly) == _words(unknown)
    assert _words(by_request) == [("NOT_FOUND", "No person with this id.")]
    # and nothing was sent, nothing completed, and John is still out of the manager's reach
    assert (await cast.stranger_manager.query(MY_REQUESTS))["workflowRequests"]["totalCount"] == 0
    assert await cast.stranger_manager.query(PERSON, {"id": cast.holder_id}) == {"node": None}
    members = (await cast.admin.query(POLICY, {"id": theirs["id"]}))["node"]["members"]
    assert cast.holder_id not in [m["person"]["id"] for m in members]


async def test_the_registration_uses_the_reach_the_sender_had_not_the_servers(
    cast: Cast, book: Book
) -> None:
    # given a partner's request to add Mary, a member of ACME's other policy, to John's
    mary_policy = await enrol(
        cast.admin,
        cast.place,
        number="P-MARY",
        startDate=days(-7),
        subscriber={"person": person("Mary", nationalId="NID-MARY")},
        dependants=[],
        insurableClassId=global_id("InsurableClass", cast.place.executives.id),  # type: ignore[arg-type]
        products=[{"productCode": "LIFE-2X", "coverageTier": "EMPLOYEE_ONLY"}],
    )
    made = await submitted(
        cast.partner,
        type="ENROLMENT",
        channel="PARTNER",
        policyId=cast.policy_id,
        dependants=[{"personId": mary_policy["subscriber"]["id"], "relationship": "SPOUSE"}],
    )
    # when Mary's policy moves to GLOBEX before ACME's manager approves
    globex = await place(book, code="GLOBEX")
    ok(
        await cast.admin.mutate(
            MOVE,
            {
                "input": {
                    "policyId": mary_policy["id"],
                    "version": mary_policy["version"],
                    "date": days(0),
                    "groupAccountId": global_id("GroupAccount", globex.account.id),  # type: ignore[arg-type]
                    "insurableClassId": global_id("InsurableClass", globex.executives.id),  # type: ignore[arg-type]
                }
            },
        )
    )
    ok(await complete(cast.manager, open_task(made)["id"], decision="APPROVE"))
    await cast.runner.drain()
    # then it is registered as the partner, who no longer reaches Mary: it fails, as unknown
    end = await request(cast.admin, made["id"])
    assert end["state"] == "FAILED"
    assert end["timeline"][-1]["message"] == (
        "The insurer could not register it: No person with this id."
    )
    members = (await cast.admin.query(POLICY, {"id": cast.policy_id}))["node"]["members"]
    assert mary_policy["subscriber"]["id"] not in [m["person"]["id"] for m in members]


async def _events(session: AsyncSession, action: str) -> list[tuple[str, str | None]]:
    rows = await session.execute(
        sa.select(col(AuditEvent.actor), col(AuditEvent.decided_by))
        .where(col(AuditEvent.action) == action)
        .order_by(col(AuditEvent.id))
    )
    return [(actor, decided_by) for actor, decided_by in rows.all()]


async def test_the_audit_trail_names_the_sender_and_who_approved(
    cast: Cast, session: AsyncSession
) -> None:
    # given an employee's termination, approved by ACME's manager, and a certificate that
    # the process approves by itself
    made = await submitted(
        cast.employee,
        type="TERMINATION",
        channel="EMPLOYEE",
        policyId=cast.policy_id,
        endDate=days(0),
    )
    ok(await complete(cast.manager, open_task(made)["id"], decision="APPROVE"))
    await submitted(cast.employee, type="CERTIFICATE", channel="EMPLOYEE", policyId=cast.policy_id)
    # when the server registers them
    await cast.runner.drain()
    # then the employee made both changes, one decided by the manager, one by the process
    assert await _events(session, "workflowRequestRegister") == [
        ("emp-john", "hr-1"),
        ("emp-john", "groupcover"),
    ]
    assert await _events(session, "policyTerminate") == [("emp-john", "hr-1")]
    # and the auditors read the same in the API
    trail = await cast.admin.query(
        '{ auditEvents(filter: { action: "policyTerminate" }) '
        "{ edges { node { actor decidedBy } } } }"
    )
    assert [e["node"] for e in trail["auditEvents"]["edges"]] == [
        {"actor": "emp-john", "decidedBy": "hr-1"}
    ]
