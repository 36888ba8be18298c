"""groupAccountCreate: a new account under a group client, or a refusal that changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from domain.groups.models import GroupClient, GroupStatus
from schema.core.relay import global_id
from tests.factories import Book
from tests.graphql import GraphQLClient, ok, refused

CREATE = """
mutation Create($input: GroupAccountCreateInput!) {
  groupAccountCreate(input: $input) {
    groupAccount {
      id code name version
      groupClient { code status }
      lineOfBusiness { code }
      dataAccessGroup { code }
      insurableClasses { code }
      products { id }
    }
    errors { field message code }
  }
}
"""

STATE = """
query State($client: String!) {
  groupClient(code: $client) {
    status version
    groupAccounts { totalCount edges { node { code name } } }
  }
  auditEvents { totalCount edges { node { actor action entityType entityId before after } } }
}
"""

NODE = """
query Node($id: ID!) { node(id: $id) { __typename ... on GroupAccount { code } } }
"""


@pytest.fixture
async def book(session) -> Book:
    return await Book(session).setup()


@pytest.fixture
async def acme(book: Book) -> GroupClient:
    """An approved group client in group life, so a default line of business is visible."""
    client = await book.client(code="ACME")
    client.status = GroupStatus.APPROVED
    client.line_of_business_id = book.life.id  # type: ignore[assignment]
    await book.session.commit()
    return client


def _input(client: GroupClient, **changes: Any) -> dict[str, Any]:
    values = {
        "groupClientId": global_id("GroupClient", client.id),  # type: ignore[arg-type]
        "code": "ACME-STAFF",
        "name": "Acme staff",
        "dataAccessGroup": "US",
    }
    return {"input": {**values, **changes}}


async def test_creates_an_account_with_the_clients_line_of_business(
    admin: GraphQLClient, acme: GroupClient
) -> None:
    # when
    payload = await admin.mutate(CREATE, _input(acme))
    # then
    account = ok(payload)["groupAccount"]
    assert account["code"] == "ACME-STAFF"
    assert account["name"] == "Acme staff"
    assert account["version"] == 1
    assert account["groupClient"]["code"] == "ACME"
    assert account["lineOfBusiness"] == {"code": "LIFE"}
    assert account["dataAccessGroup"] == {"code": "US"}
    assert account["insurableClasses"] == []
    assert account["products"] == []
    state = await admin.query(STATE, {"client": "ACME"})
    assert state["groupClient"]["groupAccounts"]["edges"] == [
        {"node": {"code": "ACME-STAFF", "name": "Acme staff"}}
    ]


async def test_creates_an_account_with_the_line_of_business_given(
    admin: GraphQLClient, acme: GroupClient
) -> None:
    # when
    payload = await admin.mutate(CREATE, _input(acme, lineOfBusiness="HEALTH"))
    # then
    assert ok(payload)["groupAccount"]["lineOfBusiness"] == {"code": "HEALTH"}


async def test_trims_the_code_and_the_name(admin: GraphQLClient, acme: GroupClient) -> None:
    # when
    payload = await admin.mutate(CREATE, _input(acme, code="  ACME-STAFF ", name=" Acme   staff "))
    # then
    account = ok(payload)["groupAccount"]
    assert (account["code"], account["name"]) == ("ACME-STAFF", "Acme staff")


async def test_marks_the_group_client_changed(admin: GraphQLClient, acme: GroupClient) -> None:
    # given
    before = (await admin.query(STATE, {"client": "ACME"}))["groupClient"]
    assert before["status"] == "APPROVED"
    # when
    payload = await admin.mutate(CREATE, _input(acme))
    # then
    assert ok(payload)["groupAccount"]["groupClient"]["status"] == "CHANGED"
    after = (await admin.query(STATE, {"client": "ACME"}))["groupClient"]
    assert after["status"] == "CHANGED"
    assert after["version"] > before["version"]


async def test_records_an_audit_event(admin: GraphQLClient, acme: GroupClient) -> None:
    # when
    account = ok(await admin.mutate(CREATE, _input(acme)))["groupAccount"]
    # then
    events = [
        e["node"] for e in (await admin.query(STATE, {"client": "ACME"}))["auditEvents"]["edges"]
    ]
    assert len(events) == 1
    (event,) = events
    assert event["actor"] == "admin-1"
    assert event["action"] == "groupAccountCreate"
    assert event["entityType"] == "GroupAccount"
    assert event["entityId"] == account["id"]
    assert event["before"] is None
    assert event["after"]["code"] == "ACME-STAFF"
    assert event["after"]["group_client_id"] == acme.id
    node = (await admin.query(NODE, {"id": event["entityId"]}))["node"]
    assert node == {"__typename": "GroupAccount", "code": "ACME-STAFF"}


REFUSALS = [
    pytest.param(
        {"groupClientId": global_id("GroupClient", 999_999)},
        "NOT_FOUND",
        ["input", "groupClientId"],
        id="unknown-group-client",
    ),
    pytest.param(
        {"groupClientId": "not-a-global-id"},
        "NOT_FOUND",
        ["input", "groupClientId"],
        id="malformed-group-client-id",
    ),
    pytest.param(
        {"groupClientId": global_id("GroupAccount", 1)},
        "NOT_FOUND",
        ["input", "groupClientId"],
        id="id-of-another-type",
    ),
    pytest.param({"code": "TAKEN"}, "DUPLICATE", ["input", "code"], id="duplicate-code"),
    pytest.param({"code": " "}, "REQUIRED", ["input", "code"], id="empty-code"),
    pytest.param({"code": "A" * 31}, "TOO_LONG", ["input", "code"], id="too-long-code"),
    pytest.param({"code": "ACME STAFF"}, "INVALID_FORMAT", ["input", "code"], id="bad-code"),
    pytest.param({"name": "  "}, "REQUIRED", ["input", "name"], id="empty-name"),
    pytest.param({"name": "n" * 201}, "TOO_LONG", ["input", "name"], id="too-long-name"),
    pytest.param(
        {"dataAccessGroup": "ASIA"},
        "NOT_FOUND",
        ["input", "dataAccessGroup"],
        id="unknown-data-access-group",
    ),
    pytest.param(
        {"lineOfBusiness": "MOTOR"},
        "NOT_FOUND",
        ["input", "lineOfBusiness"],
        id="unknown-line-of-business",
    ),
]


@pytest.mark.parametrize(("changes", "code", "field"), REFUSALS)
async def test_refuses_bad_input_and_saves_nothing(
    admin: GraphQLClient,
    book: Book,
    acme: GroupClient,
    changes: dict[str, Any],
    code: str,
    field: list[str],
) -> None:
    # given
    await book.account(await book.client(code="OTHER"), code="TAKEN")
    await book.session.commit()
    before = (await admin.query(STATE, {"client": "ACME"}))["groupClient"]
    # when
    payload = await admin.mutate(CREATE, _input(acme, **changes))
    # then
    refused(payload, code, field)
    assert payload["groupAccount"] is None
    state = await admin.query(STATE, {"client": "ACME"})
    assert state["groupClient"] == before
    assert state["groupClient"]["status"] == "APPROVED"
    assert state["groupClient"]["groupAccounts"]["totalCount"] == 0
    assert state["auditEvents"]["totalCount"] == 0


async def test_reports_every_problem_together(admin: GraphQLClient, acme: GroupClient) -> None:
    # when
    payload = await admin.mutate(
        CREATE, _input(acme, code="A" * 31, name="", dataAccessGroup="ASIA", lineOfBusiness="MOTOR")
    )
    # then
    assert sorted((e["code"], e["field"]) for e in payload["errors"]) == [
        ("NOT_FOUND", ["input", "dataAccessGroup"]),
        ("NOT_FOUND", ["input", "lineOfBusiness"]),
        ("REQUIRED", ["input", "name"]),
        ("TOO_LONG", ["input", "code"]),
    ]
    assert all(e["message"] for e in payload["errors"])
    assert payload["groupAccount"] is None
    state = await admin.query(STATE, {"client": "ACME"})
    assert state["groupClient"]["groupAccounts"]["totalCount"] == 0
    assert state["auditEvents"]["totalCount"] == 0
