"""insurableClassCreate: a new class in a group account, its code unique within the account."""

from __future__ import annotations

from typing import Any

import pytest

from domain.groups.models import GroupAccount, GroupStatus
from schema.core.relay import global_id
from tests.factories import Book
from tests.graphql import GraphQLClient, ok, refused

CREATE = """
mutation Create($input: InsurableClassCreateInput!) {
  insurableClassCreate(input: $input) {
    insurableClass { id code name groupAccount { code } }
    errors { field message code }
  }
}
"""

STATE = """
query State($code: String!) {
  groupAccount(code: $code) {
    version insurableClasses { code name }
    groupClient { status }
  }
  auditEvents(filter: {action: "insurableClassCreate"}) {
    totalCount edges { node { actor entityType entityId before after } }
  }
}
"""

NODE = """
query Node($id: ID!) { node(id: $id) { __typename ... on InsurableClass { code } } }
"""


@pytest.fixture
async def book(session) -> Book:
    return await Book(session).setup()


@pytest.fixture
async def account(book: Book) -> GroupAccount:
    """An account with class C0, under an approved client."""
    client = await book.client(code="ACME")
    account = await book.account(client, code="ACME-STAFF", classes=1)
    client.status = GroupStatus.APPROVED
    await book.session.commit()
    return account


def _input(account: GroupAccount, **changes: Any) -> dict[str, Any]:
    values = {
        "groupAccountId": global_id("GroupAccount", account.id),  # type: ignore[arg-type]
        "code": "EXEC",
        "name": "Executives",
    }
    return {"input": {**values, **changes}}


async def test_creates_a_class_in_the_account(admin: GraphQLClient, account: GroupAccount) -> None:
    # when
    payload = await admin.mutate(CREATE, _input(account))
    # then
    created = ok(payload)["insurableClass"]
    assert created["code"] == "EXEC"
    assert created["name"] == "Executives"
    assert created["groupAccount"] == {"code": "ACME-STAFF"}
    state = await admin.query(STATE, {"code": "ACME-STAFF"})
    assert state["groupAccount"]["insurableClasses"] == [
        {"code": "C0", "name": "Class 0"},
        {"code": "EXEC", "name": "Executives"},
    ]
    assert state["groupAccount"]["groupClient"]["status"] == "CHANGED"


async def test_records_an_audit_event(admin: GraphQLClient, account: GroupAccount) -> None:
    # when
    created = ok(await admin.mutate(CREATE, _input(account)))["insurableClass"]
    # then
    state = await admin.query(STATE, {"code": "ACME-STAFF"})
    (event,) = [e["node"] for e in state["auditEvents"]["edges"]]
    assert event["actor"] == "admin-1"
    assert event["entityType"] == "InsurableClass"
    assert event["entityId"] == created["id"]
    assert event["before"] is None
    assert event["after"]["code"] == "EXEC"
    node = (await admin.query(NODE, {"id": event["entityId"]}))["node"]
    assert node == {"__typename": "InsurableClass", "code": "EXEC"}


async def test_the_same_code_is_fine_in_another_account(
    admin: GraphQLClient, book: Book, account: GroupAccount
) -> None:
    # given
    other = await book.account(await book.client(), code="OTHER-STAFF", classes=1)
    await book.session.commit()
    # when
    first = await admin.mutate(CREATE, _input(account))
    second = await admin.mutate(CREATE, _input(other))
    # then
    assert ok(first)["insurableClass"]["groupAccount"] == {"code": "ACME-STAFF"}
    assert ok(second)["insurableClass"]["groupAccount"] == {"code": "OTHER-STAFF"}
    assert first["insurableClass"]["id"] != second["insurableClass"]["id"]


REFUSALS = [
    pytest.param({"code": "C0"}, "DUPLICATE", ["input", "code"], id="duplicate-code"),
    pytest.param({"code": ""}, "REQUIRED", ["input", "code"], id="empty-code"),
    pytest.param({"code": "X" * 31}, "TOO_LONG", ["input", "code"], id="too-long-code"),
    pytest.param({"code": "-EXEC"}, "INVALID_FORMAT", ["input", "code"], id="bad-code"),
    pytest.param({"name": "   "}, "REQUIRED", ["input", "name"], id="empty-name"),
    pytest.param({"name": "n" * 201}, "TOO_LONG", ["input", "name"], id="too-long-name"),
    pytest.param(
        {"groupAccountId": global_id("GroupAccount", 999_999)},
        "NOT_FOUND",
        ["input", "groupAccountId"],
        id="unknown-account",
    ),
    pytest.param(
        {"groupAccountId": "%%%"}, "NOT_FOUND", ["input", "groupAccountId"], id="malformed-id"
    ),
]


@pytest.mark.parametrize(("changes", "code", "field"), REFUSALS)
async def test_refuses_bad_input_and_saves_nothing(
    admin: GraphQLClient,
    account: GroupAccount,
    changes: dict[str, Any],
    code: str,
    field: list[str],
) -> None:
    # given
    before = await admin.query(STATE, {"code": "ACME-STAFF"})
    # when
    payload = await admin.mutate(CREATE, _input(account, **changes))
    # then
    refused(payload, code, field)
    assert payload["insurableClass"] is None
    after = await admin.query(STATE, {"code": "ACME-STAFF"})
    assert after == before
    assert after["groupAccount"]["insurableClasses"] == [{"code": "C0", "name": "Class 0"}]
    assert after["groupAccount"]["groupClient"]["status"] == "APPROVED"
    assert after["auditEvents"]["totalCount"] == 0


async def test_reports_every_problem_together(admin: GraphQLClient, account: GroupAccount) -> None:
    # when
    payload = await admin.mutate(CREATE, _input(account, code="C0", name=""))
    # then
    assert sorted((e["code"], e["field"]) for e in payload["errors"]) == [
        ("DUPLICATE", ["input", "code"]),
        ("REQUIRED", ["input", "name"]),
    ]
