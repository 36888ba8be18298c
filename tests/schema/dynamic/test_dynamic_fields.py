"""Dynamic fields: an admin defines them, the update mutations set them, field rules guard them."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from authz.principal import Principal, Role
from domain.groups.models import GroupClient, GroupStatus
from schema.core.relay import global_id
from tests.conftest import StatementCounter, token_for
from tests.factories import Book, Place, families, place
from tests.graphql import GraphQLClient, ok, refused

DEFINE = """
mutation Define($input: DynamicFieldDefineInput!) {
  dynamicFieldDefine(input: $input) {
    dynamicField { id target code label valueType choices readRoles writeRoles version }
    errors { field code message }
  }
}
"""
UPDATE_FIELD = """
mutation Update($input: DynamicFieldUpdateInput!) {
  dynamicFieldUpdate(input: $input) {
    dynamicField { label choices version }
    errors { field code message }
  }
}
"""
DEFINITIONS = "query($t: FieldTarget!) { dynamicFieldDefinitions(target: $t) { code valueType } }"
UPDATE_CLIENT = """
mutation Update($input: GroupClientUpdateInput!) {
  groupClientUpdate(input: $input) {
    groupClient { status version dynamicFields { name value } }
    errors { field code message }
  }
}
"""
READ_CLIENT = """
query($id: ID!) { groupClient(id: $id) { code dynamicFields { name label valueType value } } }
"""
UPDATE_POLICY = """
mutation Update($input: PolicyEmploymentUpdateInput!) {
  policyEmploymentUpdate(input: $input) {
    policy { version dynamicFields { name value } }
    errors { field code message }
  }
}
"""

RISK = {
    "target": "GROUP_CLIENT",
    "code": "riskClass",
    "valueType": "ENUM",
    "rules": {
        "label": "Risk class",
        "choices": ["LOW", "HIGH"],
        "readRoles": ["admin", "backoffice"],
        "writeRoles": ["backoffice"],
    },
}
HEADCOUNT = {
    "target": "GROUP_CLIENT",
    "code": "headcount",
    "valueType": "NUMBER",
    "rules": {"label": "Headcount", "minimum": "1", "maximum": "100000"},
}


@pytest.fixture
async def book(session: AsyncSession) -> Book:
    return await Book(session).setup()


@pytest.fixture
async def acme(book: Book) -> Place:
    return await place(book)


def _as(http: AsyncClient, role: Role, **grants: Any) -> GraphQLClient:
    return GraphQLClient(http, token_for(Principal(f"{role.value}-1", frozenset({role}), **grants)))


def _backoffice(http: AsyncClient) -> GraphQLClient:
    eu = {"data_access_groups": frozenset({"EU"}), "lines_of_business": frozenset({"HEALTH"})}
    return _as(http, Role.BACKOFFICE, **eu)


def _set(row: GroupClient, version: int, *values: tuple[str, str | None]) -> dict[str, Any]:
    return {
        "input": {
            "id": global_id("GroupClient", row.id),  # type: ignore[arg-type]
            "version": version,
            "dynamicFields": [{"name": name, "value": value} for name, value in values],
        }
    }


async def _define(admin: GraphQLClient, *definitions: dict[str, Any]) -> None:
    for definition in definitions:
        ok(await admin.mutate(DEFINE, {"input": definition}))


async def test_an_admin_defines_a_field_that_every_row_then_answers(
    admin: GraphQLClient, acme: Place
) -> None:
    # when
    field = ok(await admin.mutate(DEFINE, {"input": RISK}))["dynamicField"]
    await _define(admin, HEADCOUNT)
    # then
    assert (field["code"], field["choices"], field["readRoles"]) == (
        "riskClass",
        ["LOW", "HIGH"],
        ["admin", "backoffice"],
    )
    listed = await admin.query(DEFINITIONS, {"t": "GROUP_CLIENT"})
    assert listed["dynamicFieldDefinitions"] == [
        {"code": "riskClass", "valueType": "ENUM"},
        {"code": "headcount", "valueType": "NUMBER"},
    ]
    read = await admin.query(READ_CLIENT, {"id": global_id("GroupClient", acme.client.id)})  # type: ignore[arg-type]
    assert [(f["name"], f["value"]) for f in read["groupClient"]["dynamicFields"]] == [
        ("riskClass", None),
        ("headcount", None),
    ]


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"valueType": "ENUM", "rules": {"label": "X"}}, "REQUIRED", ["choices"]),
        ({"rules": {"label": "X", "choices": ["A"]}}, "NOT_ALLOWED", ["choices"]),
        ({"rules": {"label": "X", "minimum": "9", "maximum": "1"}}, "INVALID_FORMAT", ["maximum"]),
        ({"rules": {"label": "X", "minimum": "soon"}}, "INVALID_FORMAT", ["minimum"]),
        ({"rules": {"label": "X", "readRoles": ["root"]}}, "NOT_FOUND", ["readRoles"]),
        ({"rules": {"label": "X", "maxLength": 5}}, "INVALID_FORMAT", ["maxLength"]),
        ({"code": "bad code!"}, "INVALID_FORMAT", ["code"]),
        ({"rules": {"label": " "}}, "REQUIRED", ["label"]),
    ],
)
async def test_a_bad_definition_is_refused_naming_the_field(
    admin: GraphQLClient, acme: Place, change: dict[str, Any], code: str, field: list[str]
) -> None:
    # when
    payload = await admin.mutate(DEFINE, {"input": {**HEADCOUNT, **change}})
    # then
    refused(payload, code, ["input", *field])
    assert (await admin.query(DEFINITIONS, {"t": "GROUP_CLIENT"}))["dynamicFieldDefinitions"] == []


async def test_a_code_is_defined_once_per_target(admin: GraphQLClient, acme: Place) -> None:
    await _define(admin, HEADCOUNT, {**HEADCOUNT, "target": "POLICY"})
    refused(await admin.mutate(DEFINE, {"input": HEADCOUNT}), "DUPLICATE", ["input", "code"])


async def test_only_an_admin_defines_fields(http: AsyncClient, acme: Place) -> None:
    for role in (Role.BACKOFFICE, Role.GROUP_MANAGER, Role.PARTNER, Role.EMPLOYEE):
        body = await _as(http, role).raw(DEFINE, {"input": HEADCOUNT})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_setting_a_value_changes_the_group_and_is_audited(
    admin: GraphQLClient, http: AsyncClient, acme: Place, session: AsyncSession
) -> None:
    # given an approved client and a field the back office may set
    await _define(admin, RISK, HEADCOUNT)
    acme.client.status = GroupStatus.APPROVED
    await session.commit()
    # when
    payload = await _backoffice(http).mutate(
        UPDATE_CLIENT,
        _set(acme.client, acme.client.version, ("riskClass", "HIGH"), ("headcount", "250.0")),
    )
    # then
    client = ok(payload)["groupClient"]
    assert client["status"] == "CHANGED"
    assert client["dynamicFields"] == [
        {"name": "riskClass", "value": "HIGH"},
        {"name": "headcount", "value": "250"},
    ]
    audit = await admin.query(
        "query($id: ID!) { auditEvents(filter: {entityId: $id}) { edges { node { after } } } }",
        {"id": global_id("GroupClient", acme.client.id)},  # type: ignore[arg-type]
    )
    assert audit["auditEvents"]["edges"][0]["node"]["after"]["dynamic_fields"] == {
        "riskClass": "HIGH",
        "headcount": "250",
    }


async def test_bad_values_are_refused_and_nothing_is_saved(
    admin: GraphQLClient, acme: Place
) -> None:
    # given
    await _define(admin, RISK, HEADCOUNT)
    version = acme.client.version
    # when
    payload = await admin.mutate(
        UPDATE_CLIENT,
        _set(acme.client, version, ("headcount", "0"), ("riskClass", "MEDIUM"), ("colour", "red")),
    )
    # then every problem is named, and the name and values are as before
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID_FORMAT", ["input", "dynamicFields", "0", "value"]),
        ("INVALID_FORMAT", ["input", "dynamicFields", "1", "value"]),
        ("NOT_FOUND", ["input", "dynamicFields", "2", "name"]),
    ]
    read = await admin.query(READ_CLIENT, {"id": global_id("GroupClient", acme.client.id)})  # type: ignore[arg-type]
    assert {f["value"] for f in read["groupClient"]["dynamicFields"]} == {None}


async def test_the_usage_restriction_guards_writing_and_reading(
    admin: GraphQLClient, http: AsyncClient, acme: Place
) -> None:
    # given a risk class only the back office sets, and that a group manager may not read
    await _define(admin, RISK, HEADCOUNT)
    ok(await admin.mutate(UPDATE_CLIENT, _set(acme.client, 1, ("riskClass", "HIGH"))))
    manager = _as(http, Role.GROUP_MANAGER, groups=frozenset({"ACME"}))
    # when the group manager reads the client
    body = await manager.raw(READ_CLIENT, {"id": global_id("GroupClient", acme.client.id)})  # type: ignore[arg-type]
    # then the restricted value alone is FORBIDDEN, and the rest of the answer is there
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["path"] == ["groupClient", "dynamicFields", 0, "value"]
    assert body["data"]["groupClient"]["code"] == "ACME"
    assert [f["value"] for f in body["data"]["groupClient"]["dynamicFields"]] == [None, None]
    # and a field with no restriction is set by whoever may change the row
    payload = await _backoffice(http).mutate(
        UPDATE_CLIENT, _set(acme.client, 2, ("headcount", "3"))
    )
    assert ok(payload)["groupClient"]["dynamicFields"][1] == {"name": "headcount", "value": "3"}


async def test_a_restricted_field_is_refused_to_a_writer_whose_role_is_not_listed(
    admin: GraphQLClient, http: AsyncClient, acme: Place
) -> None:
    # given a field only group managers may set, on accounts
    await _define(
        admin,
        {
            **HEADCOUNT,
            "target": "GROUP_ACCOUNT",
            "rules": {"label": "H", "writeRoles": ["group_manager"]},
        },
    )
    account = {"id": global_id("GroupAccount", acme.account.id), "version": acme.account.version}  # type: ignore[arg-type]
    mutation = """mutation($input: GroupAccountUpdateInput!) { groupAccountUpdate(input: $input) {
      groupAccount { dynamicFields { name value } } errors { field code } } }"""
    # when the back office tries
    payload = await _backoffice(http).mutate(
        mutation, {"input": {**account, "dynamicFields": [{"name": "headcount", "value": "4"}]}}
    )
    # then
    refused(payload, "FORBIDDEN", ["input", "dynamicFields", "0", "value"])


async def test_another_tenants_row_is_not_found(
    admin: GraphQLClient, http: AsyncClient, acme: Place
) -> None:
    # given a back office clerk of US clients only, and ACME in EU
    await _define(admin, HEADCOUNT)
    clerk = _as(
        http,
        Role.BACKOFFICE,
        data_access_groups=frozenset({"US"}),
        lines_of_business=frozenset({"HEALTH"}),
    )
    # when the clerk sets a field on ACME
    payload = await clerk.mutate(UPDATE_CLIENT, _set(acme.client, 1, ("headcount", "9")))
    # then it reads as an unknown id, and nothing changed
    refused(payload, "NOT_FOUND", ["input", "id"])
    assert "ACME" not in str(payload["errors"])
    read = await admin.query(READ_CLIENT, {"id": global_id("GroupClient", acme.client.id)})  # type: ignore[arg-type]
    assert read["groupClient"]["dynamicFields"] == [
        {"name": "headcount", "label": "Headcount", "valueType": "NUMBER", "value": None}
    ]


async def test_a_policy_field_is_set_through_the_employment_update(
    admin: GraphQLClient, http: AsyncClient, acme: Place, book: Book
) -> None:
    # given
    await _define(
        admin,
        {
            "target": "POLICY",
            "code": "costCentre",
            "valueType": "TEXT",
            "rules": {"label": "Cost centre", "maxLength": 8},
        },
    )
    (policy,) = await families(book, acme, 1, since=date(2026, 1, 1))
    policy_id = global_id("Policy", policy.id)  # type: ignore[arg-type]
    manager = _as(http, Role.GROUP_MANAGER, groups=frozenset({"ACME"}))
    # when
    too_long = await manager.mutate(
        UPDATE_POLICY,
        {
            "input": {
                "policyId": policy_id,
                "version": 1,
                "dynamicFields": [{"name": "costCentre", "value": "123456789"}],
            }
        },
    )
    done = await manager.mutate(
        UPDATE_POLICY,
        {
            "input": {
                "policyId": policy_id,
                "version": 1,
                "dynamicFields": [{"name": "costCentre", "value": "CC-17"}],
            }
        },
    )
    # then
    refused(too_long, "TOO_LONG", ["input", "dynamicFields", "0", "value"])
    assert ok(done)["policy"] == {
        "version": 2,
        "dynamicFields": [{"name": "costCentre", "value": "CC-17"}],
    }


async def test_changing_a_definition_keeps_its_type_and_values(
    admin: GraphQLClient, acme: Place
) -> None:
    # given
    field = ok(await admin.mutate(DEFINE, {"input": RISK}))["dynamicField"]
    ok(await admin.mutate(UPDATE_CLIENT, _set(acme.client, 1, ("riskClass", "HIGH"))))
    # when
    changed = await admin.mutate(
        UPDATE_FIELD,
        {
            "input": {
                "id": field["id"],
                "version": 1,
                "rules": {"label": "Risk", "choices": ["LOW", "HIGH", "VERY_HIGH"]},
            }
        },
    )
    stale = await admin.mutate(
        UPDATE_FIELD, {"input": {"id": field["id"], "version": 1, "rules": {"label": "R"}}}
    )
    # then
    assert ok(changed)["dynamicField"] == {
        "label": "Risk",
        "choices": ["LOW", "HIGH", "VERY_HIGH"],
        "version": 2,
    }
    refused(stale, "STALE_VERSION", ["input", "version"])
    read = await admin.query(READ_CLIENT, {"id": global_id("GroupClient", acme.client.id)})  # type: ignore[arg-type]
    assert read["groupClient"]["dynamicFields"][0]["value"] == "HIGH"


@pytest.mark.parametrize("size", [1, 40])
async def test_a_page_of_clients_with_their_fields_costs_fixed_statements(
    admin: GraphQLClient, session: AsyncSession, statements: StatementCounter, size: int
) -> None:
    # given
    await _define(admin, RISK, HEADCOUNT)
    book = await Book(session).setup()
    for _ in range(size):
        await book.client()
    await session.commit()
    statements.reset()
    # when
    data = await admin.query(
        "{ groupClients(first: 100) { edges { node { dynamicFields { name value } } } } }"
    )
    # then
    assert len(data["groupClients"]["edges"]) == size
    assert statements.count == PAGE_STATEMENTS, statements.statements


PAGE_STATEMENTS = 2
"""The page of clients (its count is not asked), and the definitions once."""


RULE = """
mutation Create($input: ValidationRuleCreateInput!) {
  validationRuleCreate(input: $input) { validationRule { code } errors { field code message } }
}
"""
SUBMIT = """
mutation($id: ID!) { groupClientSubmit(input: {id: $id}) {
  approved findings { rule { code } } errors { code } } }
"""


async def test_a_validation_rule_uses_a_dynamic_field_as_a_fact(
    admin: GraphQLClient, acme: Place
) -> None:
    # given a rule that refuses groups of fewer than 5 people
    await _define(admin, HEADCOUNT)
    rule = {
        "code": "MIN-HEADCOUNT",
        "level": "GROUP_CLIENT",
        "sequence": 1,
        "condition": {"fact": "field.headcount", "op": "lt", "value": 5},
        "message": "A group needs 5 people.",
        "severity": "ERROR",
    }
    ok(await admin.mutate(RULE, {"input": rule}))
    unknown = {**rule, "code": "X", "condition": {"fact": "field.colour", "op": "isSet"}}
    client_id = {"id": global_id("GroupClient", acme.client.id)}  # type: ignore[arg-type]
    # when the group has 3, then 12
    ok(await admin.mutate(UPDATE_CLIENT, _set(acme.client, 1, ("headcount", "3"))))
    small = await admin.mutate(SUBMIT, client_id)
    ok(await admin.mutate(UPDATE_CLIENT, _set(acme.client, 2, ("headcount", "12"))))
    large = await admin.mutate(SUBMIT, client_id)
    # then
    assert (small["approved"], small["findings"]) == (False, [{"rule": {"code": "MIN-HEADCOUNT"}}])
    assert (large["approved"], large["findings"]) == (True, [])
    refused(await admin.mutate(RULE, {"input": unknown}), "INVALID_FORMAT", ["input", "condition"])
