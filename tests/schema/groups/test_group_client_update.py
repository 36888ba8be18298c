"""groupClientUpdate: a group client's own fields change, under optimistic concurrency."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry.relay import to_base64

from domain.groups.models import GroupClient, GroupStatus
from schema.core.relay import global_id
from tests.factories import Book
from tests.graphql import GraphQLClient, ok, refused

UPDATE = """
mutation Update($input: GroupClientUpdateInput!) {
  groupClientUpdate(input: $input) {
    groupClient { id code name status version lineOfBusiness { code } dataAccessGroup { code } }
    errors { field message code }
  }
}
"""

CLIENT = """
query Client($id: ID!) {
  groupClient(id: $id) {
    code name status version parent { code } lineOfBusiness { code } dataAccessGroup { code }
  }
}
"""

AUDIT = """
query Audit($id: ID!) {
  auditEvents(filter: {entityId: $id}) { totalCount edges { node { action actor before after } } }
}
"""

AUDIT_COUNT = "query Count { auditEvents { totalCount } }"


@pytest.fixture
async def book(session) -> Book:
    return await Book(session).setup()


@pytest.fixture
async def acme(book: Book) -> GroupClient:
    """An approved group client, ACME, in HEALTH and EU."""
    row = await book.client(code="ACME")
    row.status = GroupStatus.APPROVED
    await book.session.commit()
    return row


def _update(row: GroupClient, **changes: Any) -> dict[str, Any]:
    return {"input": {"id": global_id("GroupClient", row.id), "version": row.version, **changes}}


async def _read(admin: GraphQLClient, row: GroupClient) -> dict[str, Any]:
    return (await admin.query(CLIENT, {"id": global_id("GroupClient", row.id)}))["groupClient"]


async def _audit_count(admin: GraphQLClient) -> int:
    return (await admin.query(AUDIT_COUNT))["auditEvents"]["totalCount"]


async def test_changes_every_field_and_bumps_the_version(
    admin: GraphQLClient, acme: GroupClient
) -> None:
    # when
    payload = await admin.mutate(
        UPDATE,
        _update(acme, code="ACME-2", name="Acme Two", lineOfBusiness="LIFE", dataAccessGroup="US"),
    )
    # then
    client = ok(payload)["groupClient"]
    assert client["version"] == acme.version + 1
    stored = await _read(admin, acme)
    assert stored == {
        "code": "ACME-2",
        "name": "Acme Two",
        "status": "CHANGED",
        "version": acme.version + 1,
        "parent": None,
        "lineOfBusiness": {"code": "LIFE"},
        "dataAccessGroup": {"code": "US"},
    }


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"name": "  Acme   Renamed "}, "name", "Acme Renamed"),
        ({"code": " ACME.NEW "}, "code", "ACME.NEW"),
        ({"lineOfBusiness": "LIFE"}, "lineOfBusiness", {"code": "LIFE"}),
        ({"dataAccessGroup": "US"}, "dataAccessGroup", {"code": "US"}),
    ],
)
async def test_changes_one_field_and_keeps_the_others(
    admin: GraphQLClient, acme: GroupClient, changes: dict[str, Any], field: str, expected: Any
) -> None:
    # given
    before = await _read(admin, acme)
    # when
    ok(await admin.mutate(UPDATE, _update(acme, **changes)))
    # then
    after = await _read(admin, acme)
    assert after[field] == expected
    unchanged = {"status", "version", field}
    assert {k: v for k, v in after.items() if k not in unchanged} == {
        k: v for k, v in before.items() if k not in unchanged
    }


async def test_an_approved_client_becomes_changed(admin: GraphQLClient, acme: GroupClient) -> None:
    # given
    assert (await _read(admin, acme))["status"] == "APPROVED"
    # when
    payload = await admin.mutate(UPDATE, _update(acme, name="Acme Renamed"))
    # then
    assert ok(payload)["groupClient"]["status"] == "CHANGED"
    assert (await _read(admin, acme))["status"] == "CHANGED"


async def test_each_update_bumps_the_version_again(admin: GraphQLClient, acme: GroupClient) -> None:
    # given
    client_id = global_id("GroupClient", acme.id)
    version = acme.version
    # when
    for name in ("One", "Two", "Three"):
        payload = await admin.mutate(
            UPDATE, {"input": {"id": client_id, "version": version, "name": name}}
        )
        version = ok(payload)["groupClient"]["version"]
    # then
    assert version == acme.version + 3
    assert (await _read(admin, acme))["name"] == "Three"


async def test_keeping_its_own_code_is_no_duplicate(
    admin: GraphQLClient, acme: GroupClient
) -> None:
    # when
    payload = await admin.mutate(UPDATE, _update(acme, code="ACME", name="Same code"))
    # then
    assert ok(payload)["groupClient"]["code"] == "ACME"
    assert (await _read(admin, acme))["name"] == "Same code"


async def test_writes_an_audit_event_with_before_and_after(
    admin: GraphQLClient, acme: GroupClient
) -> None:
    # when
    ok(await admin.mutate(UPDATE, _update(acme, name="Acme Renamed", code="ACME-R")))
    # then
    audit = (await admin.query(AUDIT, {"id": global_id("GroupClient", acme.id)}))["auditEvents"]
    [event] = [edge["node"] for edge in audit["edges"]]
    assert (event["action"], event["actor"]) == ("groupClientUpdate", "admin-1")
    assert (event["before"]["code"], event["before"]["name"]) == ("ACME", "Client")
    assert (event["before"]["status"], event["before"]["version"]) == ("APPROVED", acme.version)
    assert (event["after"]["code"], event["after"]["name"]) == ("ACME-R", "Acme Renamed")
    assert (event["after"]["status"], event["after"]["version"]) == ("CHANGED", acme.version + 1)


async def test_refuses_a_stale_version_and_changes_nothing(
    admin: GraphQLClient, acme: GroupClient
) -> None:
    # given: someone else updated it since we read it
    ok(await admin.mutate(UPDATE, _update(acme, name="Theirs")))
    before, events = await _read(admin, acme), await _audit_count(admin)
    # when
    payload = await admin.mutate(UPDATE, _update(acme, name="Ours", code="OURS"))
    # then
    refused(payload, "STALE_VERSION", ["input", "version"])
    assert payload["groupClient"] is None
    assert await _read(admin, acme) == before
    assert before["name"] == "Theirs"
    assert await _audit_count(admin) == events


async def test_refuses_a_version_from_the_future(admin: GraphQLClient, acme: GroupClient) -> None:
    # when
    payload = await admin.mutate(
        UPDATE,
        {"input": {"id": global_id("GroupClient", acme.id), "version": acme.version + 1}},
    )
    # then
    refused(payload, "STALE_VERSION", ["input", "version"])
    assert (await _read(admin, acme))["version"] == acme.version


async def test_refuses_the_code_of_another_client(
    admin: GraphQLClient, book: Book, acme: GroupClient
) -> None:
    # given
    await book.client(code="OTHER")
    await book.session.commit()
    before, events = await _read(admin, acme), await _audit_count(admin)
    # when
    payload = await admin.mutate(UPDATE, _update(acme, code="OTHER", name="Renamed"))
    # then
    refused(payload, "DUPLICATE", ["input", "code"])
    assert await _read(admin, acme) == before
    assert await _audit_count(admin) == events


@pytest.mark.parametrize(
    "client_id",
    [
        pytest.param(global_id("GroupClient", 987_654), id="unknown"),
        pytest.param("xyz", id="xyz"),
        pytest.param("%%%", id="not-base64"),
        pytest.param("", id="empty"),
        pytest.param(to_base64("GroupClient", "abc"), id="not-a-number"),
        pytest.param(global_id("GroupClient", 2**31), id="beyond-int32"),
        pytest.param(global_id("GroupClient", 2**70), id="beyond-int64"),
    ],
)
async def test_refuses_an_unknown_or_malformed_id(
    admin: GraphQLClient, acme: GroupClient, client_id: str
) -> None:
    # given
    events = await _audit_count(admin)
    # when
    payload = await admin.mutate(
        UPDATE, {"input": {"id": client_id, "version": 1, "name": "Ghost"}}
    )
    # then
    refused(payload, "NOT_FOUND", ["input", "id"])
    assert (await _read(admin, acme))["name"] == "Client"
    assert await _audit_count(admin) == events


async def test_refuses_the_id_of_another_type(
    admin: GraphQLClient, book: Book, acme: GroupClient
) -> None:
    # given: an account whose number is the client's
    await book.account(acme)
    await book.session.commit()
    # when
    payload = await admin.mutate(
        UPDATE,
        {"input": {"id": global_id("GroupAccount", acme.id), "version": 1, "name": "Ghost"}},
    )
    # then
    refused(payload, "NOT_FOUND", ["input", "id"])
    assert (await _read(admin, acme))["name"] == "Client"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"name": ""}, [("REQUIRED", "name")], id="empty-name"),
        pytest.param({"name": "\t \n"}, [("REQUIRED", "name")], id="blank-name"),
        pytest.param({"name": "N" * 201}, [("TOO_LONG", "name")], id="name-201"),
        pytest.param({"code": ""}, [("REQUIRED", "code")], id="empty-code"),
        pytest.param({"code": "C" * 31}, [("TOO_LONG", "code")], id="code-31"),
        pytest.param({"code": "C" * 10_000}, [("TOO_LONG", "code")], id="code-10000"),
        pytest.param({"code": "AC ME"}, [("INVALID_FORMAT", "code")], id="code-space"),
        pytest.param({"code": "ÄCME"}, [("INVALID_FORMAT", "code")], id="code-unicode"),
        pytest.param({"lineOfBusiness": "NOPE"}, [("NOT_FOUND", "lineOfBusiness")], id="lob"),
        pytest.param({"dataAccessGroup": "NOPE"}, [("NOT_FOUND", "dataAccessGroup")], id="dag"),
        pytest.param(
            {"code": "-bad", "name": "", "lineOfBusiness": "NOPE", "dataAccessGroup": "NOPE"},
            [
                ("INVALID_FORMAT", "code"),
                ("REQUIRED", "name"),
                ("NOT_FOUND", "lineOfBusiness"),
                ("NOT_FOUND", "dataAccessGroup"),
            ],
            id="everything-wrong",
        ),
    ],
)
async def test_refuses_bad_fields_and_changes_nothing(
    admin: GraphQLClient,
    acme: GroupClient,
    changes: dict[str, Any],
    expected: list[tuple[str, str]],
) -> None:
    # given
    before, events = await _read(admin, acme), await _audit_count(admin)
    # when
    payload = await admin.mutate(UPDATE, _update(acme, **changes))
    # then
    assert payload["groupClient"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        (code, ["input", field]) for code, field in expected
    ]
    assert await _read(admin, acme) == before
    assert await _audit_count(admin) == events


async def test_a_unicode_name_is_kept_as_sent(admin: GraphQLClient, acme: GroupClient) -> None:
    # given
    name = "Zürich Versicherungs-Gruppe — 北京分公司 ✓"
    # when
    payload = await admin.mutate(UPDATE, _update(acme, name=name))
    # then
    assert ok(payload)["groupClient"]["name"] == name
    assert (await _read(admin, acme))["name"] == name
