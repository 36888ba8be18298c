"""Requests and decisions that are refused: each names the field, and nothing is kept."""

from __future__ import annotations

from typing import Any

import pytest

from schema.core.relay import global_id
from tests.graphql import refused
from tests.schema.policies.enrol import days, enrol_input, person
from tests.schema.workflow.conftest import Cast
from tests.schema.workflow.requests import complete, open_task, submit, submitted

LIST = "{ workflowRequests { totalCount } }"


def _cases() -> list[Any]:
    policy = "POLICY"  # replaced by the cast's policy id
    return [
        ("TERMINATION", "EMPLOYEE", {"policyId": policy}, "REQUIRED", ["input", "endDate"]),
        (
            "TERMINATION",
            "EMPLOYEE",
            {"policyId": policy, "endDate": days(0), "serviceCode": "X"},
            "NOT_ALLOWED",
            ["input", "serviceCode"],
        ),
        (
            "TERMINATION",
            "GROUP_PORTAL",
            {"policyId": policy, "endDate": days(0)},
            "NOT_ALLOWED",
            ["input", "channel"],
        ),  # an employee does not speak for the group
        (
            "MEDICAL_AUTHORIZATION",
            "EMPLOYEE",
            {"personId": "HOLDER"},
            "REQUIRED",
            ["input", "medical"],
        ),
        (
            "CERTIFICATE",
            "EMPLOYEE",
            {"policyId": global_id("Policy", 999)},
            "NOT_FOUND",
            ["input", "policyId"],
        ),
        ("CERTIFICATE", "EMPLOYEE", {"policyId": "garbage"}, "NOT_FOUND", ["input", "policyId"]),
        (
            "CERTIFICATE",
            "EMPLOYEE",
            {"policyId": policy, "idempotencyKey": "k" * 201},
            "TOO_LONG",
            ["input", "idempotencyKey"],
        ),
        ("ENROLMENT", "EMPLOYEE", {"policyId": policy}, "REQUIRED", ["input", "enrolment"]),
        (
            "ENROLMENT",
            "EMPLOYEE",
            {
                "policyId": policy,
                "lifeEvent": "BIRTH",
                "dependants": [{"person": person("Baby", born=days(-3)), "relationship": "CHILD"}],
            },
            "REQUIRED",
            ["input", "eventDate"],
        ),
        (
            "ENROLMENT",
            "EMPLOYEE",
            {
                "policyId": policy,
                "dependants": [{"person": person("Baby", born=days(3)), "relationship": "CHILD"}],
            },
            "INVALID_FORMAT",
            ["input", "dependants", "0", "person", "birthDate"],
        ),
        (
            "SERVICE_PURCHASE",
            "EMPLOYEE",
            {"policyId": policy, "serviceCode": "GYM", "quantity": 0},
            "INVALID_FORMAT",
            ["input", "quantity"],
        ),
        (
            "DATA_CHANGE",
            "EMPLOYEE",
            {"personId": "HOLDER", "contact": {}},
            "REQUIRED",
            ["input", "contact"],
        ),
        (
            "DATA_CHANGE",
            "EMPLOYEE",
            {"personId": "HOLDER", "contact": {"email": "no at sign"}},
            "INVALID_FORMAT",
            ["input", "contact", "email"],
        ),
        (
            "PRODUCT_UPGRADE",
            "EMPLOYEE",
            {"policyId": policy, "product": {"productCode": "NOPE", "coverageTier": "FAMILY"}},
            "NOT_OFFERED",
            ["input", "product", "productCode"],
        ),
        (
            "MEDICAL_AUTHORIZATION",
            "EMPLOYEE",
            {
                "personId": "HOLDER",
                "medical": {"serviceCode": "MRI", "diagnosis": "  ", "provider": "Clinic"},
            },
            "REQUIRED",
            ["input", "medical", "diagnosis"],
        ),
    ]


def _fill(cast: Cast, values: dict[str, Any]) -> dict[str, Any]:
    swap = {"POLICY": cast.policy_id, "HOLDER": cast.holder_id}
    return {k: swap.get(v, v) if isinstance(v, str) else v for k, v in values.items()}


@pytest.mark.parametrize(("type_", "channel", "values", "code", "field"), _cases())
async def test_a_request_missing_or_wrong_is_refused_by_field(
    cast: Cast, type_: str, channel: str, values: dict[str, Any], code: str, field: list[str]
) -> None:
    # when
    payload = await submit(cast.employee, type=type_, channel=channel, **_fill(cast, values))
    # then
    assert payload["request"] is None
    assert (code, field) in [(e["code"], e["field"]) for e in payload["errors"]], payload
    assert (await cast.admin.query(LIST))["workflowRequests"]["totalCount"] == 0


async def test_an_enrolment_that_the_policies_rules_refuse_is_refused_when_sent(
    cast: Cast,
) -> None:
    # given a product the account does not offer
    new = enrol_input(
        cast.place,
        products=[{"productCode": "NOPE", "coverageTier": "FAMILY"}],
        subscriber={"person": person("Max", nationalId="NID-MAX")},
    )["input"]
    # when
    payload = await submit(cast.manager, type="ENROLMENT", channel="GROUP_PORTAL", enrolment=new)
    # then
    assert payload["request"] is None
    assert [e["field"] for e in payload["errors"]] == [
        ["input", "enrolment", "products", "0", "productCode"]
    ]
    policies = await cast.admin.query("{ policies { totalCount } }")
    assert policies["policies"]["totalCount"] == 1  # P-1 only: the try-out was undone


async def test_a_request_outside_the_senders_reach_reads_as_unknown(cast: Cast) -> None:
    payload = await submit(
        cast.stranger_manager, type="CERTIFICATE", channel="GROUP_PORTAL", policyId=cast.policy_id
    )
    refused(payload, "NOT_FOUND", ["input", "policyId"])


async def test_decisions_that_are_refused(cast: Cast) -> None:
    # given an approval and a fulfilment
    approval = open_task(
        await submitted(
            cast.employee,
            type="TERMINATION",
            channel="EMPLOYEE",
            policyId=cast.policy_id,
            endDate=days(0),
        )
    )
    fulfilment = open_task(
        await submitted(
            cast.employee,
            type="SERVICE_PURCHASE",
            channel="EMPLOYEE",
            policyId=cast.policy_id,
            serviceCode="GYM",
        )
    )
    # then
    refused(await complete(cast.manager, approval["id"]), "REQUIRED", ["input", "decision"])
    refused(
        await complete(cast.manager, approval["id"], decision="APPROVE", comment="x" * 2001),
        "TOO_LONG",
        ["input", "comment"],
    )
    refused(
        await complete(cast.manager, approval["id"], decision="APPROVE", data=[1, 2]),
        "INVALID_FORMAT",
        ["input", "data"],
    )
    refused(
        await complete(cast.back_office, fulfilment["id"], decision="REJECT"),
        "NOT_ALLOWED",
        ["input", "decision"],
    )
    refused(
        await complete(cast.manager, global_id("WorkflowTask", 999)), "NOT_FOUND", ["input", "id"]
    )
    refused(
        await complete(cast.manager, "garbage", decision="APPROVE"), "NOT_FOUND", ["input", "id"]
    )
    tasks = await cast.admin.query("{ workflowTasks { edges { node { state } } } }")
    assert [e["node"]["state"] for e in tasks["workflowTasks"]["edges"]] == ["OPEN", "OPEN"]
