"""groupClientCreate: a new group client at the top or under a parent; bad input changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from strawberry.relay import to_base64

from domain.audit.models import AuditEvent
from domain.groups.models import GroupClient, GroupStatus
from schema.core.relay import global_id
from tests.factories import Book
from tests.graphql import GraphQLClient, ok, refused

CREATE = """
mutation Create($input: GroupClientCreateInput!) {
  groupClientCreate(input: $input) {
    groupClient { id code name status version parent { code } lineOfBusiness { code } dataAccessGroup { code } }
    errors { field message code }
  }
}
"""

CLIENT = """
query Client($id: ID!) {
  groupClient(id: $id) { code status version children { totalCount edges { node { code } } } }
}
"""

AUDIT = """
query Audit($id: ID!) {
  auditEvents(filter: {entityId: $id}) { edges { node { action actor entityType before after } } }
}
"""

COUNTS = "query Counts { groupClients { totalCount } auditEvents { totalCount } }"


def _input(**changes: Any) -> dict[str, Any]:
    fields = {
        "code": "ACME",
        "name": "Acme Corp",
        "lineOfBusiness": "HEALTH",
        "dataAccessGroup": "EU",
    }
    return {"input": {**fields, **changes}}


async def _counts(admin: GraphQLClient) -> tuple[int, int]:
    data = await admin.query(COUNTS)
    return data["groupClients"]["totalCount"], data["auditEvents"]["totalCount"]


async def _approved(book: Book, **kwargs: Any) -> GroupClient:
    row = await book.client(**kwargs)
    row.status = GroupStatus.APPROVED
    await book.session.commit()
    return row


@pytest.fixture
async def book(session) -> Book:
    return await Book(session).setup()


async def test_creates_a_root_group_client(admin: GraphQLClient, book: Book) -> None:
    # when
    payload = await admin.mutate(CREATE, _input())
    # then
    client = ok(payload)["groupClient"]
    assert client["code"] == "ACME"
    assert client["name"] == "Acme Corp"
    assert client["status"] == "CHANGED"
    assert client["version"] == 1
    assert client["parent"] is None
    assert client["lineOfBusiness"] == {"code": "HEALTH"}
    assert client["dataAccessGroup"] == {"code": "EU"}
    assert await _counts(admin) == (1, 1)


async def test_trims_the_code_and_collapses_spaces_in_the_name(
    admin: GraphQLClient, book: Book
) -> None:
    # when
    payload = await admin.mutate(CREATE, _input(code="  ACME-1.x_2 ", name="  Acme \t  Corp "))
    # then
    client = ok(payload)["groupClient"]
    assert (client["code"], client["name"]) == ("ACME-1.x_2", "Acme Corp")


async def test_writes_an_audit_event_without_a_before(admin: GraphQLClient, book: Book) -> None:
    # when
    client = ok(await admin.mutate(CREATE, _input()))["groupClient"]
    # then
    events = (await admin.query(AUDIT, {"id": client["id"]}))["auditEvents"]["edges"]
    [event] = [edge["node"] for edge in events]
    assert (event["action"], event["actor"], event["entityType"]) == (
        "groupClientCreate",
        "admin-1",
        "GroupClient",
    )
    assert event["before"] is None
    assert event["after"]["code"] == "ACME"
    assert event["after"]["status"] == "CHANGED"


async def test_creates_under_a_parent_that_shows_it_and_becomes_changed(
    admin: GraphQLClient, book: Book
) -> None:
    # given
    parent = await _approved(book, code="HOLDING")
    parent_id = global_id("GroupClient", parent.id)
    # when
    payload = await admin.mutate(CREATE, _input(parentId=parent_id))
    # then
    assert ok(payload)["groupClient"]["parent"] == {"code": "HOLDING"}
    after = (await admin.query(CLIENT, {"id": parent_id}))["groupClient"]
    assert after["status"] == "CHANGED"
    assert after["version"] == parent.version + 1
    assert after["children"]["totalCount"] == 1
    assert [edge["node"]["code"] for edge in after["children"]["edges"]] == ["ACME"]


async def test_accepts_the_longest_code_and_name(admin: GraphQLClient, book: Book) -> None:
    # when
    payload = await admin.mutate(CREATE, _input(code="C" * 30, name="N" * 200))
    # then
    client = ok(payload)["groupClient"]
    assert (len(client["code"]), len(client["name"])) == (30, 200)


async def test_keeps_a_unicode_name_as_sent(admin: GraphQLClient, book: Book) -> None:
    # given
    name = "Société Générale — 東京支社 🏢 Ærøskøbing"
    # when
    payload = await admin.mutate(CREATE, _input(name=name))
    # then
    client = ok(payload)["groupClient"]
    assert client["name"] == name
    found = await book.session.scalar(sa.select(GroupClient.name).where(GroupClient.code == "ACME"))
    assert found == name


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"name": ""}, [("REQUIRED", "name")], id="empty-name"),
        pytest.param({"name": " \t\n "}, [("REQUIRED", "name")], id="blank-name"),
        pytest.param({"name": "N" * 201}, [("TOO_LONG", "name")], id="name-201"),
        pytest.param({"name": "N" * 10_000}, [("TOO_LONG", "name")], id="name-10000"),
        pytest.param({"code": ""}, [("REQUIRED", "code")], id="empty-code"),
        pytest.param({"code": "   "}, [("REQUIRED", "code")], id="blank-code"),
        pytest.param({"code": "C" * 31}, [("TOO_LONG", "code")], id="code-31"),
        pytest.param({"code": "C" * 10_000}, [("TOO_LONG", "code")], id="code-10000"),
        pytest.param({"code": "AC ME"}, [("INVALID_FORMAT", "code")], id="code-space"),
        pytest.param({"code": "-ACME"}, [("INVALID_FORMAT", "code")], id="code-leading-dash"),
        pytest.param({"code": "AC/ME"}, [("INVALID_FORMAT", "code")], id="code-slash"),
        pytest.param({"code": "ACMÉ"}, [("INVALID_FORMAT", "code")], id="code-accent"),
        pytest.param({"code": "A'; DROP--"}, [("INVALID_FORMAT", "code")], id="code-quote"),
        pytest.param(
            {"lineOfBusiness": "DENTAL"}, [("NOT_FOUND", "lineOfBusiness")], id="unknown-lob"
        ),
        pytest.param({"name": "Acme\x1bCorp"}, [("INVALID_FORMAT", "name")], id="name-escape"),
        pytest.param(
            {"lineOfBusiness": "L" * 10_000}, [("NOT_FOUND", "lineOfBusiness")], id="huge-lob"
        ),
        pytest.param(
            {"dataAccessGroup": "APAC"}, [("NOT_FOUND", "dataAccessGroup")], id="unknown-dag"
        ),
        pytest.param(
            {"parentId": global_id("GroupClient", 987_654)},
            [("NOT_FOUND", "parentId")],
            id="unknown-parent",
        ),
        pytest.param(
            {"parentId": global_id("GroupClient", 2**31)},
            [("NOT_FOUND", "parentId")],
            id="parent-beyond-int32",
        ),
        pytest.param(
            {"parentId": global_id("GroupClient", 2**70)},
            [("NOT_FOUND", "parentId")],
            id="parent-beyond-int64",
        ),
        pytest.param(
            {"parentId": to_base64("GroupClient", "1e3")},
            [("NOT_FOUND", "parentId")],
            id="parent-not-a-number",
        ),
        pytest.param({"parentId": "xyz"}, [("NOT_FOUND", "parentId")], id="parent-xyz"),
        pytest.param({"parentId": "%%%"}, [("NOT_FOUND", "parentId")], id="parent-not-base64"),
        pytest.param({"parentId": ""}, [("NOT_FOUND", "parentId")], id="parent-empty"),
        pytest.param(
            {"code": "bad code", "name": ""},
            [("INVALID_FORMAT", "code"), ("REQUIRED", "name")],
            id="bad-code-and-empty-name",
        ),
        pytest.param(
            {
                "code": "",
                "name": "   ",
                "lineOfBusiness": "NOPE",
                "dataAccessGroup": "NOPE",
                "parentId": global_id("GroupClient", 987_654),
            },
            [
                ("REQUIRED", "code"),
                ("REQUIRED", "name"),
                ("NOT_FOUND", "lineOfBusiness"),
                ("NOT_FOUND", "dataAccessGroup"),
                ("NOT_FOUND", "parentId"),
            ],
            id="everything-wrong",
        ),
    ],
)
async def test_refuses_bad_input_and_changes_nothing(
    admin: GraphQLClient, book: Book, changes: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    # given
    before = await _counts(admin)
    # when
    payload = await admin.mutate(CREATE, _input(**changes))
    # then
    assert payload["groupClient"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        (code, ["input", field]) for code, field in expected
    ]
    assert all(e["message"] for e in payload["errors"])
    assert await _counts(admin) == before


async def test_refuses_the_id_of_another_type_as_parent(admin: GraphQLClient, book: Book) -> None:
    # given: an account id whose number is also a group client's
    parent = await book.client(code="HOLDING")
    await book.account(parent)
    await book.session.commit()
    before = await _counts(admin)
    # when
    payload = await admin.mutate(CREATE, _input(parentId=global_id("GroupAccount", parent.id)))
    # then
    refused(payload, "NOT_FOUND", ["input", "parentId"])
    assert await _counts(admin) == before


async def test_refuses_a_duplicate_code(admin: GraphQLClient, book: Book) -> None:
    # given
    await book.client(code="ACME")
    await book.session.commit()
    before = await _counts(admin)
    # when
    payload = await admin.mutate(CREATE, _input(name="Again"))
    # then
    refused(payload, "DUPLICATE", ["input", "code"])
    assert payload["groupClient"] is None
    assert await _counts(admin) == before


async def test_refuses_a_duplicate_code_sent_with_spaces(admin: GraphQLClient, book: Book) -> None:
    # given
    await book.client(code="ACME")
    await book.session.commit()
    # when
    payload = await admin.mutate(CREATE, _input(code=" ACME "))
    # then
    refused(payload, "DUPLICATE", ["input", "code"])
    rows = await book.session.scalar(sa.select(sa.func.count()).select_from(GroupClient))
    assert rows == 1


async def test_refusal_under_a_parent_leaves_the_parent_approved(
    admin: GraphQLClient, book: Book
) -> None:
    # given
    parent = await _approved(book, code="HOLDING")
    parent_id = global_id("GroupClient", parent.id)
    # when
    payload = await admin.mutate(CREATE, _input(parentId=parent_id, name=""))
    # then
    refused(payload, "REQUIRED", ["input", "name"])
    after = (await admin.query(CLIENT, {"id": parent_id}))["groupClient"]
    assert (after["status"], after["version"]) == ("APPROVED", parent.version)
    assert after["children"]["totalCount"] == 0
    events = await book.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    assert events == 0


# JSON may escape a lone surrogate, though it is no character: no driver can encode one.


async def _post_escaped(admin: GraphQLClient, variables: dict[str, Any]) -> dict[str, Any]:
    """Post with every non-ASCII character escaped, as JSON allows even for lone surrogates."""
    response = await admin.http.post(
        "/graphql",
        content=json.dumps({"query": CREATE, "variables": variables}),
        headers={**admin.headers, "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("field", "code"),
    [
        ("code", "INVALID_FORMAT"),
        ("lineOfBusiness", "NOT_FOUND"),
        ("dataAccessGroup", "NOT_FOUND"),
    ],
)
async def test_refuses_a_code_with_a_lone_surrogate(
    admin: GraphQLClient, book: Book, field: str, code: str
) -> None:
    # when
    body = await _post_escaped(admin, _input(**{field: "EU\ud800"}))
    # then
    assert "errors" not in body, body["errors"]
    refused(body["data"]["groupClientCreate"], code, ["input", field])
    assert await _counts(admin) == (0, 0)


async def test_refuses_a_name_with_a_lone_surrogate(admin: GraphQLClient, book: Book) -> None:
    # when
    body = await _post_escaped(admin, _input(name="Acme \ud800"))
    # then
    assert "errors" not in body, body["errors"]
    payload = body["data"]["groupClientCreate"]
    assert [e["field"] for e in payload["errors"]] == [["input", "name"]]
