"""Outsourcing vendors: a vendor sees and decides only the back-office tasks of its request
types about its group clients; every other request, task and row reads as unknown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient

from authz.principal import Principal, Role
from domain.workflow.engine import shipped
from schema.core.relay import global_id
from tests.conftest import token_for
from tests.factories import Book, place
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.policies.enrol import days, enrol, person
from tests.schema.workflow.conftest import Cast
from tests.schema.workflow.requests import complete, inbox, open_task, request, submitted

GRANT = """
mutation($input: AccessGrantAddInput!) {
  accessGrantAdd(input: $input) { accessGrant { id } errors { field code message } }
}
"""
DEPLOY = """
mutation($input: ProcessDefinitionDeployInput!) {
  processDefinitionDeploy(input: $input) { processDefinition { version } errors { code } }
}
"""
# Every request is reviewed and then registered by hand at the insurer: both task kinds land
# in the back office's inbox, whatever the type.
BY_HAND = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="route-definitions"
             name="Routing of requests" namespace="https://groupcover.example/processes">
  <decision id="route" name="Route a request">
    <decisionTable id="route_table" hitPolicy="UNIQUE">
      <input id="in_type" label="Request type">
        <inputExpression id="in_type_expr" typeRef="string"><text>type</text></inputExpression>
      </input>
      <output id="out_approval" label="Who approves" name="approval" typeRef="string" />
      <output id="out_registration" label="How" name="registration" typeRef="string" />
      <rule id="rule_1">
        <inputEntry id="rule_1_type"><text>-</text></inputEntry>
        <outputEntry id="rule_1_approval"><text>"BACK_OFFICE"</text></outputEntry>
        <outputEntry id="rule_1_registration"><text>"BACK_OFFICE"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""
VENDOR = "vendor-1"
NOT_FOUND_TASK = [("NOT_FOUND", ["input", "id"])]


@dataclass
class Outsourcing:
    cast: Cast
    vendor: GraphQLClient
    mine: dict[str, Any]
    """ACME's termination: the vendor's work."""
    other_type: dict[str, Any]
    """ACME's certificate: not a type the vendor was given."""
    other_group: dict[str, Any]
    """GLOBEX's termination: not a client the vendor was given."""


async def grant(admin: GraphQLClient, kind: str, code: str, subject: str = VENDOR) -> dict:
    return await admin.mutate(
        GRANT, {"input": {"subject": subject, "role": "VENDOR", "kind": kind, "code": code}}
    )


async def _send(client: GraphQLClient, type_: str, policy_id: str) -> dict[str, Any]:
    extra = {"endDate": days(30)} if type_ == "TERMINATION" else {}
    return await submitted(client, type=type_, channel="GROUP_PORTAL", policyId=policy_id, **extra)


@pytest.fixture
async def outsourcing(cast: Cast, book: Book, http: AsyncClient) -> Outsourcing:
    ok(await cast.admin.mutate(DEPLOY, {"input": {"bpmn": shipped()[0], "dmn": [BY_HAND]}}))
    globex = await place(book, code="GLOBEX")
    other_policy = await enrol(
        cast.admin,
        globex,
        number="P-G",
        subscriber={"person": person("Gina", nationalId="NID-GINA")},
        dependants=[],
    )
    globex_manager = GraphQLClient(
        http,
        token_for(Principal("hr-g", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"GLOBEX"}))),
    )
    ok(await grant(cast.admin, "GROUP_CLIENT", "ACME"))
    ok(await grant(cast.admin, "REQUEST_TYPE", "TERMINATION"))
    return Outsourcing(
        cast=cast,
        vendor=GraphQLClient(http, token_for(Principal(VENDOR, frozenset({Role.VENDOR})))),
        mine=await _send(cast.manager, "TERMINATION", cast.policy_id),
        other_type=await _send(cast.manager, "CERTIFICATE", cast.policy_id),
        other_group=await _send(globex_manager, "TERMINATION", other_policy["id"]),
    )


REQUESTS = "{ workflowRequests { totalCount edges { node { id type } } } }"


async def test_a_vendor_sees_only_the_requests_of_its_types_for_its_groups(
    outsourcing: Outsourcing,
) -> None:
    # when
    listed = (await outsourcing.vendor.query(REQUESTS))["workflowRequests"]
    tasks = await inbox(outsourcing.vendor)
    # then
    assert listed["totalCount"] == 1
    assert [e["node"]["id"] for e in listed["edges"]] == [outsourcing.mine["id"]]
    assert [t["request"]["id"] for t in tasks] == [outsourcing.mine["id"]]
    for hidden in (outsourcing.other_type, outsourcing.other_group):
        assert await request(outsourcing.vendor, hidden["id"]) is None
        assert await request(outsourcing.vendor, open_task(hidden)["id"]) is None


async def test_a_vendor_decides_and_registers_its_work(outsourcing: Outsourcing) -> None:
    # given
    review = open_task(outsourcing.mine)
    # when
    reviewed = ok(await complete(outsourcing.vendor, review["id"], decision="APPROVE"))
    registration = open_task(reviewed["request"])
    ok(await complete(outsourcing.vendor, registration["id"], data={"ref": "V-1"}))
    await outsourcing.cast.runner.drain()
    # then
    done = await request(outsourcing.vendor, outsourcing.mine["id"])
    assert (review["kind"], registration["kind"]) == ("APPROVAL", "FULFILMENT")
    assert (done["state"], done["result"]) == ("COMPLETED", {"ref": "V-1"})
    assert [t["completedBy"] for t in done["tasks"]] == [VENDOR, VENDOR]
    assert await inbox(outsourcing.vendor) == []


@pytest.mark.parametrize("which", ["other_type", "other_group"])
async def test_a_task_outside_its_work_reads_as_unknown(
    outsourcing: Outsourcing, which: str
) -> None:
    # given
    hidden = getattr(outsourcing, which)
    task = open_task(hidden)
    # when
    answered = await complete(outsourcing.vendor, task["id"], decision="APPROVE")
    # then: the same answer as a task that does not exist, and nothing changed
    unknown = await complete(
        outsourcing.vendor, global_id("WorkflowTask", 999_999), decision="APPROVE"
    )
    refused(answered, "NOT_FOUND", ["input", "id"])
    assert answered["errors"] == unknown["errors"]
    assert (await request(outsourcing.cast.admin, hidden["id"]))["tasks"] == hidden["tasks"]


async def test_task_kinds_narrow_a_vendor_to_the_registrations(outsourcing: Outsourcing) -> None:
    # given: the vendor is given the fulfilments only
    ok(await grant(outsourcing.cast.admin, "TASK_KIND", "FULFILMENT"))
    review = open_task(outsourcing.mine)
    # when
    refusal = await complete(outsourcing.vendor, review["id"], decision="APPROVE")
    assert await inbox(outsourcing.vendor) == []
    approved = ok(await complete(outsourcing.cast.back_office, review["id"], decision="APPROVE"))
    registration = open_task(approved["request"])
    # then
    refused(refusal, "NOT_FOUND", ["input", "id"])
    assert [t["id"] for t in await inbox(outsourcing.vendor)] == [registration["id"]]
    ok(await complete(outsourcing.vendor, registration["id"]))


async def test_a_vendor_reads_no_group_or_policy(outsourcing: Outsourcing) -> None:
    # when
    body = await outsourcing.vendor.raw(
        "query($id: ID!) { node(id: $id) { id } policies { totalCount } }",
        {"id": outsourcing.cast.policy_id},
    )
    # then: the node is not its to read, the list not its operation
    assert body["data"] == {"node": None, "policies": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


async def test_a_vendor_with_clients_but_no_types_reaches_nothing(
    cast: Cast, http: AsyncClient
) -> None:
    # given
    ok(await grant(cast.admin, "GROUP_CLIENT", "ACME", subject="vendor-2"))
    vendor = GraphQLClient(http, token_for(Principal("vendor-2", frozenset({Role.VENDOR}))))
    await _send(cast.manager, "TERMINATION", cast.policy_id)
    # when
    listed = (await vendor.query(REQUESTS))["workflowRequests"]
    # then
    assert (listed["totalCount"], await inbox(vendor)) == (0, [])


@pytest.mark.parametrize(
    ("role", "kind", "code", "expected"),
    [
        ("VENDOR", "REQUEST_TYPE", "PAYROLL", ("NOT_FOUND", ["input", "code"])),
        ("VENDOR", "REQUEST_TYPE", "VIDEO_CONSULTATION", ("NOT_ALLOWED", ["input", "code"])),
        ("VENDOR", "REQUEST_TYPE", "MEDICAL_AUTHORIZATION", ("NOT_ALLOWED", ["input", "code"])),
        ("VENDOR", "TASK_KIND", "ESCALATION", ("NOT_FOUND", ["input", "code"])),
        ("VENDOR", "GROUP_CLIENT", "NO-SUCH", ("NOT_FOUND", ["input", "code"])),
        ("VENDOR", "DATA_ACCESS_GROUP", "EU", ("NOT_ALLOWED", ["input", "role"])),
        ("BACKOFFICE", "REQUEST_TYPE", "TERMINATION", ("NOT_ALLOWED", ["input", "role"])),
        ("PARTNER", "TASK_KIND", "APPROVAL", ("NOT_ALLOWED", ["input", "role"])),
    ],
)
async def test_bad_vendor_grants_are_refused(
    cast: Cast, role: str, kind: str, code: str, expected: tuple[str, list[str]]
) -> None:
    # when
    payload = await cast.admin.mutate(
        GRANT, {"input": {"subject": VENDOR, "role": role, "kind": kind, "code": code}}
    )
    # then
    refused(payload, *expected)
    grants = await cast.admin.query("{ accessGrants { totalCount } }")
    assert grants["accessGrants"]["totalCount"] == 0


async def test_a_vendor_grant_is_given_once(cast: Cast) -> None:
    # given
    ok(await grant(cast.admin, "REQUEST_TYPE", "TERMINATION"))
    # when
    again = await grant(cast.admin, "REQUEST_TYPE", "TERMINATION")
    # then
    refused(again, "DUPLICATE", ["input", "code"])


async def test_a_manager_who_is_also_a_vendor_sees_both(
    outsourcing: Outsourcing, http: AsyncClient
) -> None:
    # given: ACME's manager, to whom GLOBEX's terminations are outsourced
    admin = outsourcing.cast.admin
    ok(
        await admin.mutate(
            GRANT,
            {
                "input": {
                    "subject": "hr-3",
                    "role": "GROUP_MANAGER",
                    "kind": "GROUP_CLIENT",
                    "code": "ACME",
                }
            },
        )
    )
    ok(await grant(admin, "GROUP_CLIENT", "GLOBEX", subject="hr-3"))
    ok(await grant(admin, "REQUEST_TYPE", "TERMINATION", subject="hr-3"))
    both = GraphQLClient(http, token_for(Principal("hr-3", frozenset({Role.VENDOR}))))
    # when
    listed = (await both.query(REQUESTS))["workflowRequests"]
    tasks = await inbox(both)
    # then: ACME's requests as its manager; GLOBEX's termination and its back-office task
    # as a vendor (ACME's tasks are all the back office's here)
    assert {e["node"]["id"] for e in listed["edges"]} == {
        outsourcing.mine["id"],
        outsourcing.other_type["id"],
        outsourcing.other_group["id"],
    }
    assert [t["request"]["id"] for t in tasks] == [outsourcing.other_group["id"]]


KEY_CREATE = """
mutation($input: ApiKeyCreateInput!) {
  apiKeyCreate(input: $input) { key apiKey { subject role } errors { field code } }
}
"""


def _key(name: str, role: str) -> dict[str, Any]:
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    return {
        "input": {"name": name, "groupClientCodes": ["ACME"], "expiresAt": expires, "role": role}
    }


async def test_a_vendors_system_signs_in_with_an_api_key(
    outsourcing: Outsourcing, http: AsyncClient
) -> None:
    # given: a vendor key for ACME, and its subject given terminations
    admin = outsourcing.cast.admin
    made = ok(await admin.mutate(KEY_CREATE, _key("outsourcer", "VENDOR")))
    ok(await grant(admin, "REQUEST_TYPE", "TERMINATION", subject=made["apiKey"]["subject"]))
    system = GraphQLClient(http, made["key"])
    # when
    listed = (await system.query(REQUESTS))["workflowRequests"]
    groups = await system.raw("{ groupClients { totalCount } }")
    # then
    assert made["apiKey"] == {"subject": "apikey:outsourcer", "role": "VENDOR"}
    assert [e["node"]["id"] for e in listed["edges"]] == [outsourcing.mine["id"]]
    assert [t["request"]["id"] for t in await inbox(system)] == [outsourcing.mine["id"]]
    assert groups["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_key_signs_in_as_a_partner_or_a_vendor_only(cast: Cast) -> None:
    # when
    payload = await cast.admin.mutate(KEY_CREATE, _key("bo-system", "BACKOFFICE"))
    # then
    refused(payload, "NOT_ALLOWED", ["input", "role"])
    keys = await cast.admin.query("{ apiKeys { totalCount } }")
    assert keys["apiKeys"]["totalCount"] == 0
