"""groupAccountUpdate: changes with optimistic concurrency, or a refusal that changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from domain.groups.models import GroupAccount, GroupStatus
from schema.core.relay import global_id
from tests.factories import Book
from tests.graphql import GraphQLClient, ok, refused

UPDATE = """
mutation Update($input: GroupAccountUpdateInput!) {
  groupAccountUpdate(input: $input) {
    groupAccount { id code name version lineOfBusiness { code } dataAccessGroup { code } }
    errors { field message code }
  }
}
"""

STATE = """
query State($id: ID!) {
  groupAccount(id: $id) {
    code name version lineOfBusiness { code } dataAccessGroup { code }
    groupClient { status version }
  }
  auditEvents(filter: {action: "groupAccountUpdate"}) {
    totalCount edges { node { actor entityId before after } }
  }
}
"""


@pytest.fixture
async def book(session) -> Book:
    return await Book(session).setup()


@pytest.fixture
async def account(book: Book) -> GroupAccount:
    """A health account in the EU group, under an approved client."""
    client = await book.client(code="ACME")
    account = await book.account(client, code="ACME-STAFF")
    client.status = GroupStatus.APPROVED
    await book.session.commit()
    return account


def _id(account: GroupAccount) -> str:
    return global_id("GroupAccount", account.id)  # type: ignore[arg-type]


async def _state(admin: GraphQLClient, account: GroupAccount) -> dict[str, Any]:
    return await admin.query(STATE, {"id": _id(account)})


async def test_changes_every_field_and_bumps_the_version(
    admin: GraphQLClient, account: GroupAccount
) -> None:
    # given
    version = (await _state(admin, account))["groupAccount"]["version"]
    # when
    payload = await admin.mutate(
        UPDATE,
        {
            "input": {
                "id": _id(account),
                "version": version,
                "code": "ACME-EXEC",
                "name": "Acme executives",
                "lineOfBusiness": "LIFE",
                "dataAccessGroup": "US",
            }
        },
    )
    # then
    changed = ok(payload)["groupAccount"]
    assert changed == {
        "id": _id(account),
        "code": "ACME-EXEC",
        "name": "Acme executives",
        "version": version + 1,
        "lineOfBusiness": {"code": "LIFE"},
        "dataAccessGroup": {"code": "US"},
    }
    assert (await _state(admin, account))["groupAccount"]["code"] == "ACME-EXEC"


async def test_keeps_the_fields_left_out(admin: GraphQLClient, account: GroupAccount) -> None:
    # given
    version = (await _state(admin, account))["groupAccount"]["version"]
    # when
    payload = await admin.mutate(
        UPDATE, {"input": {"id": _id(account), "version": version, "name": "Renamed"}}
    )
    # then
    changed = ok(payload)["groupAccount"]
    assert changed["name"] == "Renamed"
    assert changed["code"] == "ACME-STAFF"
    assert changed["lineOfBusiness"] == {"code": "HEALTH"}
    assert changed["dataAccessGroup"] == {"code": "EU"}


async def test_may_keep_its_own_code(admin: GraphQLClient, account: GroupAccount) -> None:
    # given
    version = (await _state(admin, account))["groupAccount"]["version"]
    # when
    payload = await admin.mutate(
        UPDATE, {"input": {"id": _id(account), "version": version, "code": "ACME-STAFF"}}
    )
    # then
    assert ok(payload)["groupAccount"]["code"] == "ACME-STAFF"


async def test_marks_the_group_client_changed_and_records_an_audit_event(
    admin: GraphQLClient, account: GroupAccount
) -> None:
    # given
    version = (await _state(admin, account))["groupAccount"]["version"]
    # when
    ok(
        await admin.mutate(
            UPDATE, {"input": {"id": _id(account), "version": version, "name": "Renamed"}}
        )
    )
    # then
    state = await _state(admin, account)
    assert state["groupAccount"]["groupClient"]["status"] == "CHANGED"
    (event,) = [e["node"] for e in state["auditEvents"]["edges"]]
    assert event["actor"] == "admin-1"
    assert event["entityId"] == _id(account)
    assert (event["before"]["name"], event["after"]["name"]) == ("Account", "Renamed")
    assert (event["before"]["version"], event["after"]["version"]) == (version, version + 1)


async def test_a_second_update_needs_the_new_version(
    admin: GraphQLClient, account: GroupAccount
) -> None:
    # given
    version = (await _state(admin, account))["groupAccount"]["version"]
    first = ok(
        await admin.mutate(UPDATE, {"input": {"id": _id(account), "version": version, "name": "A"}})
    )
    # when
    stale = await admin.mutate(
        UPDATE, {"input": {"id": _id(account), "version": version, "name": "B"}}
    )
    fresh = await admin.mutate(
        UPDATE,
        {"input": {"id": _id(account), "version": first["groupAccount"]["version"], "name": "C"}},
    )
    # then
    refused(stale, "STALE_VERSION", ["input", "version"])
    assert ok(fresh)["groupAccount"]["name"] == "C"


REFUSALS = [
    pytest.param({"version": 0}, "STALE_VERSION", ["input", "version"], id="stale-version"),
    pytest.param({"code": "TAKEN"}, "DUPLICATE", ["input", "code"], id="duplicate-code"),
    pytest.param({"code": "A" * 31}, "TOO_LONG", ["input", "code"], id="too-long-code"),
    pytest.param({"name": " "}, "REQUIRED", ["input", "name"], id="empty-name"),
    pytest.param(
        {"lineOfBusiness": "MOTOR"},
        "NOT_FOUND",
        ["input", "lineOfBusiness"],
        id="unknown-line-of-business",
    ),
    pytest.param(
        {"dataAccessGroup": "ASIA"},
        "NOT_FOUND",
        ["input", "dataAccessGroup"],
        id="unknown-data-access-group",
    ),
    pytest.param(
        {"id": global_id("GroupAccount", 999_999)}, "NOT_FOUND", ["input", "id"], id="unknown-id"
    ),
    pytest.param({"id": "garbage"}, "NOT_FOUND", ["input", "id"], id="malformed-id"),
    pytest.param(
        {"id": global_id("GroupClient", 1)}, "NOT_FOUND", ["input", "id"], id="id-of-another-type"
    ),
]


@pytest.mark.parametrize(("changes", "code", "field"), REFUSALS)
async def test_refuses_bad_input_and_changes_nothing(
    admin: GraphQLClient,
    book: Book,
    account: GroupAccount,
    changes: dict[str, Any],
    code: str,
    field: list[str],
) -> None:
    # given
    await book.account(await book.client(code="OTHER"), code="TAKEN")
    await book.session.commit()
    before = await _state(admin, account)
    update = {
        "id": _id(account),
        "version": before["groupAccount"]["version"],
        "name": "Renamed",
        **changes,
    }
    # when
    payload = await admin.mutate(UPDATE, {"input": update})
    # then
    refused(payload, code, field)
    assert payload["groupAccount"] is None
    after = await _state(admin, account)
    assert after == before
    assert after["groupAccount"]["name"] == "Account"
    assert after["groupAccount"]["groupClient"]["status"] == "APPROVED"
    assert after["auditEvents"]["totalCount"] == 0
