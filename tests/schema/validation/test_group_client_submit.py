"""Validation rules configured at run time, and validating and submitting a group client."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.principal import Principal, Role
from domain.audit.models import AuditEvent
from domain.groups.models import GroupAccount
from domain.settings.models import Setting
from schema.core.relay import global_id
from tests.conftest import token_for
from tests.factories import Book, Place, place
from tests.graphql import GraphQLClient, ok, refused

CREATE = """
mutation Create($input: ValidationRuleCreateInput!) {
  validationRuleCreate(input: $input) {
    validationRule { id code version enabled condition }
    errors { field code message }
  }
}
"""

UPDATE = """
mutation Update($input: ValidationRuleUpdateInput!) {
  validationRuleUpdate(input: $input) {
    validationRule { id enabled version }
    errors { field code message }
  }
}
"""

RESULT = """
  groupClient { code status inPremiumCalculation
    effectiveSettings { billAllocation { value source { level } } } }
  approved
  findings { rule { code } objectCode severity message enriched }
  hiddenFindings
  errors { field code message }
"""
VALIDATE = f"mutation($id: ID!) {{ groupClientValidate(input: {{id: $id}}) {{ {RESULT} }} }}"
SUBMIT = f"mutation($id: ID!) {{ groupClientSubmit(input: {{id: $id}}) {{ {RESULT} }} }}"

NO_BILL_ALLOCATION = {"fact": "billAllocation", "op": "isEmpty"}


@pytest.fixture
async def acme(session: AsyncSession) -> Place:
    return await place(await Book(session).setup())


def _id(where: Place) -> dict[str, Any]:
    return {"id": global_id("GroupClient", where.client.id)}  # type: ignore[arg-type]


async def _rule(admin: GraphQLClient, code: str, sequence: int, **more: Any) -> dict[str, Any]:
    values = {
        "code": code,
        "level": "GROUP_CLIENT",
        "sequence": sequence,
        "condition": NO_BILL_ALLOCATION,
        "message": f"Rule {code}.",
        "severity": "ERROR",
        **more,
    }
    return ok(await admin.mutate(CREATE, {"input": values}))["validationRule"]


def _found(payload: dict[str, Any]) -> list[tuple[str, str, str | None, bool]]:
    return [
        (f["rule"]["code"], f["objectCode"], f["severity"], f["enriched"])
        for f in payload["findings"]
    ]


async def test_an_error_blocks_approval_and_a_warning_does_not(
    admin: GraphQLClient, acme: Place
) -> None:
    # given a warning on the client, and an error on accounts without classes
    await _rule(admin, "WARN-BILL", 1, severity="WARNING")
    await _rule(
        admin,
        "NEED-CLASS",
        2,
        level="GROUP_ACCOUNT",
        condition={"fact": "insurableClassCount", "op": "lt", "value": 3},
    )
    # when
    failed = await admin.mutate(SUBMIT, _id(acme))
    # then the account's error blocks, and the client stays CHANGED
    assert _found(failed) == [
        ("WARN-BILL", "ACME", "WARNING", False),
        ("NEED-CLASS", "ACME-GA", "ERROR", False),
    ]
    assert (failed["approved"], failed["groupClient"]["status"]) == (False, "CHANGED")
    assert failed["groupClient"]["inPremiumCalculation"] is False


async def test_a_warning_alone_lets_the_client_be_approved(
    admin: GraphQLClient, acme: Place
) -> None:
    # given
    await _rule(admin, "WARN-BILL", 1, severity="WARNING")
    # when
    done = await admin.mutate(SUBMIT, _id(acme))
    # then
    assert (done["approved"], done["groupClient"]["status"]) == (True, "APPROVED")
    assert done["groupClient"]["inPremiumCalculation"] is True


async def test_an_enrichment_comes_before_the_next_rule(
    admin: GraphQLClient, acme: Place, session: AsyncSession
) -> None:
    # given a rule that defaults the bill allocation, then one that requires it
    await _rule(
        admin,
        "DEFAULT-BILL",
        1,
        enrichmentSetting="BILL_ALLOCATION",
        enrichmentValue="SINGLE_BILL",
    )
    await _rule(admin, "NEED-BILL", 2)
    # when validating, then submitting
    checked = await admin.mutate(VALIDATE, _id(acme))
    done = await admin.mutate(SUBMIT, _id(acme))
    # then the second rule saw the first one's default, so the client is approved
    for payload in (checked, done):
        assert _found(payload) == [("DEFAULT-BILL", "ACME", None, True)]
        assert payload["approved"] is True
    # and only the submit kept it
    assert checked["groupClient"]["status"] == "CHANGED"
    assert done["groupClient"]["status"] == "APPROVED"
    allocation = done["groupClient"]["effectiveSettings"]["billAllocation"]
    assert allocation == {"value": "SINGLE_BILL", "source": {"level": "GROUP_CLIENT"}}
    assert await session.scalar(sa.select(sa.func.count()).select_from(Setting)) == 1


async def test_validating_changes_nothing_and_a_failed_submit_keeps_nothing(
    admin: GraphQLClient, acme: Place, session: AsyncSession
) -> None:
    # given an enrichment, then an error that fires anyway
    await _rule(
        admin, "DEFAULT-BILL", 1, enrichmentSetting="BILL_ALLOCATION", enrichmentValue="SINGLE_BILL"
    )
    await _rule(admin, "ALWAYS", 2, condition={"fact": "code", "op": "isSet"})
    # when
    checked = await admin.mutate(VALIDATE, _id(acme))
    failed = await admin.mutate(SUBMIT, _id(acme))
    # then
    for payload in (checked, failed):
        assert _found(payload) == [
            ("DEFAULT-BILL", "ACME", None, True),
            ("ALWAYS", "ACME", "ERROR", False),
        ]
        assert payload["groupClient"]["status"] == "CHANGED"
        assert payload["groupClient"]["effectiveSettings"]["billAllocation"]["value"] is None
    assert await session.scalar(sa.select(sa.func.count()).select_from(Setting)) == 0


async def test_a_disabled_rule_is_skipped(admin: GraphQLClient, acme: Place) -> None:
    # given
    rule = await _rule(admin, "NEED-BILL", 1)
    values = {
        "id": rule["id"],
        "version": rule["version"],
        "code": "NEED-BILL",
        "level": "GROUP_CLIENT",
        "sequence": 1,
        "condition": NO_BILL_ALLOCATION,
        "message": "Rule NEED-BILL.",
        "severity": "ERROR",
        "enabled": False,
    }
    updated = ok(await admin.mutate(UPDATE, {"input": values}))["validationRule"]
    assert (updated["enabled"], updated["version"]) == (False, 2)
    # when
    done = await admin.mutate(SUBMIT, _id(acme))
    # then
    assert (done["findings"], done["approved"]) == ([], True)


async def test_rules_run_in_their_sequence(admin: GraphQLClient, acme: Place) -> None:
    # given rules created out of order
    await _rule(admin, "THIRD", 30, severity="WARNING")
    await _rule(admin, "FIRST", 10, severity="WARNING")
    await _rule(admin, "SECOND", 20, severity="WARNING")
    # when
    checked = await admin.mutate(VALIDATE, _id(acme))
    # then
    assert [f[0] for f in _found(checked)] == ["FIRST", "SECOND", "THIRD"]


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        (
            {"condition": {"fact": "colour", "op": "isSet"}},
            "INVALID_FORMAT",
            ["input", "condition"],
        ),
        ({"condition": "code == 'x'"}, "INVALID_FORMAT", ["input", "condition"]),
        ({"code": "bad code!"}, "INVALID_FORMAT", ["input", "code"]),
        ({"message": " "}, "REQUIRED", ["input", "message"]),
        ({"sequence": -1}, "INVALID_FORMAT", ["input", "sequence"]),
        (
            {"enrichmentSetting": "BROKER_AGENT", "enrichmentValue": "X"},
            "NOT_ALLOWED",
            ["input", "enrichmentSetting"],
        ),
        (
            {"level": "GROUP_ACCOUNT", "enrichmentSetting": "PROCESS_FLOW", "enrichmentValue": "x"},
            "NOT_ALLOWED",
            ["input", "enrichmentSetting"],
        ),
        (
            {"enrichmentSetting": "BILL_ALLOCATION", "enrichmentValue": "HALF"},
            "INVALID_FORMAT",
            ["input", "enrichmentValue"],
        ),
        ({"enrichmentValue": "SINGLE_BILL"}, "REQUIRED", ["input", "enrichmentSetting"]),
    ],
)
async def test_a_bad_rule_definition_is_refused_with_a_clear_error(
    admin: GraphQLClient, changes: dict[str, Any], code: str, field: list[str]
) -> None:
    values = {
        "code": "R1",
        "level": "GROUP_CLIENT",
        "sequence": 1,
        "condition": NO_BILL_ALLOCATION,
        "message": "m",
        "severity": "ERROR",
        **changes,
    }
    payload = await admin.mutate(CREATE, {"input": values})
    refused(payload, code, field)
    assert (await admin.query("query { validationRules { code } }"))["validationRules"] == []


async def test_a_rule_code_is_unique(admin: GraphQLClient) -> None:
    await _rule(admin, "R1", 1)
    values = {
        "code": "R1",
        "level": "GROUP_CLIENT",
        "sequence": 2,
        "condition": NO_BILL_ALLOCATION,
        "message": "m",
        "severity": "ERROR",
    }
    refused(await admin.mutate(CREATE, {"input": values}), "DUPLICATE", ["input", "code"])


# Findings on accounts the caller cannot see (reproduction 5)

BACK_OFFICE = Principal(
    "bo-1",
    frozenset({Role.BACKOFFICE}),
    data_access_groups=frozenset({"EU"}),
    lines_of_business=frozenset({"HEALTH"}),
)
HIDDEN_CODE = "ACME-US-GA"


@pytest.fixture
async def with_hidden_account(session: AsyncSession) -> Place:
    """ACME (EU) with its EU account and one in the US data access group."""
    book = await Book(session).setup()
    acme = await place(book)
    session.add(
        GroupAccount(
            code=HIDDEN_CODE,
            name="US staff",
            group_client_id=acme.client.id,
            line_of_business_id=book.health.id,
            data_access_group_id=book.dag_us.id,
        )
    )
    await session.commit()
    return acme


async def test_a_finding_on_an_account_out_of_reach_is_counted_not_named(
    admin: GraphQLClient, http: AsyncClient, with_hidden_account: Place
) -> None:
    # given an ERROR on every account, and a back office that reaches ACME and its EU account
    await _rule(
        admin,
        "NEED-CLASS",
        1,
        level="GROUP_ACCOUNT",
        condition={"fact": "insurableClassCount", "op": "lt", "value": 3},
    )
    back_office = GraphQLClient(http, token_for(BACK_OFFICE))
    for operation in (VALIDATE, SUBMIT):
        # when
        body = await back_office.raw(operation, _id(with_hidden_account))
        # then the US account's finding is counted, and nothing in the answer names it
        (payload,) = body["data"].values()
        assert _found(payload) == [("NEED-CLASS", "ACME-GA", "ERROR", False)]
        assert (payload["hiddenFindings"], payload["approved"]) == (1, False)
        assert HIDDEN_CODE not in json.dumps(body)
    # and the admin, who reaches both, is shown both
    seen = await admin.mutate(VALIDATE, _id(with_hidden_account))
    assert [f[1] for f in _found(seen)] == ["ACME-GA", HIDDEN_CODE]
    assert seen["hiddenFindings"] == 0


async def test_an_enrichment_is_the_callers_change_and_stops_at_their_reach(
    admin: GraphQLClient, http: AsyncClient, with_hidden_account: Place, session: AsyncSession
) -> None:
    # given an account rule that defaults the bill allocation
    await _rule(
        admin,
        "DEFAULT-BILL",
        1,
        level="GROUP_ACCOUNT",
        enrichmentSetting="BILL_ALLOCATION",
        enrichmentValue="SINGLE_BILL",
    )
    back_office = GraphQLClient(http, token_for(BACK_OFFICE))
    # when the back office submits, and then the admin does
    refused_one = await back_office.mutate(SUBMIT, _id(with_hidden_account))
    approved = await admin.mutate(SUBMIT, _id(with_hidden_account))
    # then the account out of the back office's reach could not be enriched by them
    assert _found(refused_one) == [("DEFAULT-BILL", "ACME-GA", None, True)]
    assert (refused_one["approved"], refused_one["groupClient"]["status"]) == (False, "CHANGED")
    # and the admin's submit enriched both, as the admin, the rule deciding
    assert approved["approved"] is True
    events = (
        await session.scalars(sa.select(AuditEvent).where(col(AuditEvent.action) == "settingSet"))
    ).all()
    assert [(e.actor, e.decided_by) for e in events] == [("admin-1", "rule DEFAULT-BILL")] * 2
