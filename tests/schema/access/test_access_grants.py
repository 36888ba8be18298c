"""Stored grants over HTTP: an admin gives and takes them, and they count from the next request."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from authz.principal import Principal, Role
from domain.access.models import AccessGrant
from domain.audit.models import AuditEvent
from domain.groups.models import GroupClient
from domain.reference.models import DataAccessGroup, LineOfBusiness
from schema.core.relay import global_id
from tests.conftest import token_for
from tests.factories import Book
from tests.graphql import GraphQLClient, ok, refused

GRANT_ADD = """
mutation Add($input: AccessGrantAddInput!) {
  accessGrantAdd(input: $input) {
    accessGrant { id subject role kind code createdBy createdAt }
    errors { field code message }
  }
}
"""

GRANT_REMOVE = """
mutation Remove($input: AccessGrantRemoveInput!) {
  accessGrantRemove(input: $input) { removedId errors { field code message } }
}
"""

GRANTS = """
query Grants($first: Int, $after: String, $subject: String) {
  accessGrants(first: $first, after: $after, subject: $subject) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id subject role kind code createdBy } }
  }
}
"""

CLIENTS = """
query Clients { groupClients { totalCount edges { node { code } } } }
"""

EVENTS = """
query Events($filter: AuditEventFilter) {
  auditEvents(filter: $filter) {
    totalCount
    edges { node { actor action entityType entityId before after } }
  }
}
"""

BO_7 = Principal(subject="bo-7", roles=frozenset({Role.BACKOFFICE}))


@pytest.fixture
async def book(session: AsyncSession) -> Book:
    return await Book(session).setup()


async def _client(
    book: Book,
    code: str,
    *,
    dag: DataAccessGroup | None = None,
    lob: LineOfBusiness | None = None,
    parent: GroupClient | None = None,
) -> GroupClient:
    """A group client with its own data access group and line of business."""
    row = GroupClient(
        code=code,
        name=code,
        parent_id=parent.id if parent else None,
        line_of_business_id=(lob or book.health).id,
        data_access_group_id=(dag or book.dag_eu).id,
    )
    book.session.add(row)
    await book.session.commit()
    return row


async def _restricted_clients(book: Book) -> None:
    """Clients in every combination of data access group and line of business."""
    await _client(book, "EU-HEALTH-1", dag=book.dag_eu, lob=book.health)
    await _client(book, "EU-HEALTH-2", dag=book.dag_eu, lob=book.health)
    await _client(book, "EU-LIFE", dag=book.dag_eu, lob=book.life)
    await _client(book, "US-HEALTH", dag=book.dag_us, lob=book.health)
    await _client(book, "US-LIFE", dag=book.dag_us, lob=book.life)


def _grant(subject: str, role: str, kind: str, code: str) -> dict[str, Any]:
    return {"input": {"subject": subject, "role": role, "kind": kind, "code": code}}


async def _add(admin: GraphQLClient, subject: str, role: str, kind: str, code: str) -> str:
    """Add a grant that must be accepted; return its id."""
    payload = ok(await admin.mutate(GRANT_ADD, _grant(subject, role, kind, code)))
    return payload["accessGrant"]["id"]


async def _seen(viewer: GraphQLClient) -> list[str]:
    page = (await viewer.query(CLIENTS))["groupClients"]
    codes = [edge["node"]["code"] for edge in page["edges"]]
    assert page["totalCount"] == len(codes)
    return codes


async def _rows(session: AsyncSession, model: Any) -> int:
    return int(await session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


async def _events(admin: GraphQLClient, **criteria: Any) -> list[dict[str, Any]]:
    page = (await admin.query(EVENTS, {"filter": criteria}))["auditEvents"]
    return [edge["node"] for edge in page["edges"]]


# Grants count from the subject's next request


async def test_a_backoffice_user_sees_the_group_and_line_granted_from_the_next_request(
    admin: GraphQLClient, http: AsyncClient, book: Book
) -> None:
    # given a backoffice token with no data access group or line of business of its own
    await _restricted_clients(book)
    bo_7 = GraphQLClient(http, token_for(BO_7))
    assert await _seen(bo_7) == []
    # when an admin stores both halves of the restriction
    await _add(admin, "bo-7", "BACKOFFICE", "DATA_ACCESS_GROUP", "EU")
    only_the_group = await _seen(bo_7)
    await _add(admin, "bo-7", "BACKOFFICE", "LINE_OF_BUSINESS", "HEALTH")
    # then its next request sees exactly the EU health clients
    assert only_the_group == []  # a group without a line reaches nothing
    assert await _seen(bo_7) == ["EU-HEALTH-1", "EU-HEALTH-2"]


async def test_grants_count_only_for_their_own_subject(
    admin: GraphQLClient, http: AsyncClient, book: Book
) -> None:
    # given
    await _restricted_clients(book)
    await _add(admin, "bo-7", "BACKOFFICE", "DATA_ACCESS_GROUP", "EU")
    await _add(admin, "bo-7", "BACKOFFICE", "LINE_OF_BUSINESS", "HEALTH")
    bo_8 = GraphQLClient(http, token_for(Principal("bo-8", frozenset({Role.BACKOFFICE}))))
    # when
    seen = await _seen(bo_8)
    # then
    assert seen == []


async def test_a_removed_grant_stops_counting_from_the_next_request(
    admin: GraphQLClient, http: AsyncClient, book: Book
) -> None:
    # given bo-7 sees the EU health clients through stored grants
    await _restricted_clients(book)
    await _add(admin, "bo-7", "BACKOFFICE", "DATA_ACCESS_GROUP", "EU")
    line = await _add(admin, "bo-7", "BACKOFFICE", "LINE_OF_BUSINESS", "HEALTH")
    bo_7 = GraphQLClient(http, token_for(BO_7))
    assert await _seen(bo_7) == ["EU-HEALTH-1", "EU-HEALTH-2"]
    # when
    payload = ok(await admin.mutate(GRANT_REMOVE, {"input": {"id": line}}))
    # then the same token sees nothing on its next request
    assert payload["removedId"] == line
    assert await _seen(bo_7) == []
    grants = (await admin.query(GRANTS, {"subject": "bo-7"}))["accessGrants"]
    assert [(e["node"]["kind"], e["node"]["code"]) for e in grants["edges"]] == [
        ("DATA_ACCESS_GROUP", "EU")
    ]


async def test_a_stored_group_client_grant_gives_a_group_manager_the_subtree(
    admin: GraphQLClient, http: AsyncClient, book: Book
) -> None:
    # given a tree ACME > ACME-EU > ACME-EU-FR beside another tree, and a manager without groups
    acme = await _client(book, "ACME")
    acme_eu = await _client(book, "ACME-EU", parent=acme, dag=book.dag_us, lob=book.life)
    await _client(book, "ACME-EU-FR", parent=acme_eu)
    await _client(book, "GLOBEX")
    hr = GraphQLClient(http, token_for(Principal("hr-3", frozenset({Role.GROUP_MANAGER}))))
    assert await _seen(hr) == []
    # when
    await _add(admin, "hr-3", "GROUP_MANAGER", "GROUP_CLIENT", "ACME-EU")
    # then the granted client and everything below it, whatever their restrictions
    assert await _seen(hr) == ["ACME-EU", "ACME-EU-FR"]


async def test_the_new_grant_is_returned_as_stored(admin: GraphQLClient, book: Book) -> None:
    # given
    await _client(book, "ACME")
    # when
    payload = ok(
        await admin.mutate(GRANT_ADD, _grant("  partner-7 ", "PARTNER", "GROUP_CLIENT", " ACME "))
    )
    # then the subject and code are trimmed, and the admin is named as the giver
    grant = payload["accessGrant"]
    assert {k: grant[k] for k in ("subject", "role", "kind", "code", "createdBy")} == {
        "subject": "partner-7",
        "role": "PARTNER",
        "kind": "GROUP_CLIENT",
        "code": "ACME",
        "createdBy": "admin-1",
    }
    assert grant["createdAt"].endswith("+00:00")


async def test_a_subject_of_exactly_100_characters_is_accepted(
    admin: GraphQLClient, book: Book, session: AsyncSession
) -> None:
    # when
    payload = await admin.mutate(
        GRANT_ADD, _grant("s" * 100, "REPORTING", "LINE_OF_BUSINESS", "LIFE")
    )
    # then
    assert ok(payload)["accessGrant"]["subject"] == "s" * 100
    assert await _rows(session, AccessGrant) == 1


# Refused inputs


@pytest.mark.parametrize(
    ("subject", "role", "kind", "code", "error", "field"),
    [
        pytest.param("", "BACKOFFICE", "DATA_ACCESS_GROUP", "EU", "REQUIRED", "subject", id="empty"),
        pytest.param("  ", "BACKOFFICE", "DATA_ACCESS_GROUP", "EU", "REQUIRED", "subject", id="blank"),
        pytest.param(
            "s" * 101, "BACKOFFICE", "DATA_ACCESS_GROUP", "EU", "TOO_LONG", "subject", id="long"
        ),
        pytest.param(
            "jane  doe", "BACKOFFICE", "DATA_ACCESS_GROUP", "EU", "INVALID_FORMAT", "subject",
            id="inner-space",
        ),
        pytest.param("bo-7", "ADMIN", "DATA_ACCESS_GROUP", "EU", "NOT_ALLOWED", "role", id="admin"),
        pytest.param(
            "bo-7", "EMPLOYEE", "GROUP_CLIENT", "ACME", "NOT_ALLOWED", "role", id="employee"
        ),
        pytest.param(
            "hr-3", "GROUP_MANAGER", "DATA_ACCESS_GROUP", "EU", "NOT_ALLOWED", "role",
            id="manager-with-group",
        ),
        pytest.param(
            "bo-7", "BACKOFFICE", "GROUP_CLIENT", "ACME", "NOT_ALLOWED", "role",
            id="backoffice-with-client",
        ),
        pytest.param(
            "bo-7", "BACKOFFICE", "DATA_ACCESS_GROUP", "APAC", "NOT_FOUND", "code",
            id="unknown-group",
        ),
        pytest.param(
            "bo-7", "REPORTING", "LINE_OF_BUSINESS", "DENTAL", "NOT_FOUND", "code",
            id="unknown-line",
        ),
        pytest.param(
            "hr-3", "GROUP_MANAGER", "GROUP_CLIENT", "NOPE", "NOT_FOUND", "code",
            id="unknown-client",
        ),
        pytest.param(
            "hr-3", "PARTNER", "GROUP_CLIENT", "not a code!", "NOT_FOUND", "code",
            id="malformed-client",
        ),
    ],
)  # fmt: skip
async def test_a_refused_grant_saves_nothing(
    admin: GraphQLClient,
    book: Book,
    session: AsyncSession,
    subject: str,
    role: str,
    kind: str,
    code: str,
    error: str,
    field: str,
) -> None:
    # given
    await _client(book, "ACME")
    # when
    payload = await admin.mutate(GRANT_ADD, _grant(subject, role, kind, code))
    # then
    refused(payload, error, ["input", field])
    assert payload["accessGrant"] is None
    assert await _rows(session, AccessGrant) == 0
    assert await _rows(session, AuditEvent) == 0


async def test_the_same_grant_twice_is_a_duplicate(
    admin: GraphQLClient, book: Book, session: AsyncSession
) -> None:
    # given
    await _add(admin, "bo-7", "BACKOFFICE", "DATA_ACCESS_GROUP", "EU")
    # when the same grant comes again, spelled with spaces around
    payload = await admin.mutate(
        GRANT_ADD, _grant(" bo-7 ", "BACKOFFICE", "DATA_ACCESS_GROUP", "EU ")
    )
    # then
    refused(payload, "DUPLICATE", ["input", "code"])
    assert await _rows(session, AccessGrant) == 1


async def test_the_same_code_for_another_role_is_not_a_duplicate(
    admin: GraphQLClient, book: Book, session: AsyncSession
) -> None:
    # given
    await _add(admin, "bo-7", "BACKOFFICE", "DATA_ACCESS_GROUP", "EU")
    # when
    payload = await admin.mutate(GRANT_ADD, _grant("bo-7", "REPORTING", "DATA_ACCESS_GROUP", "EU"))
    # then
    ok(payload)
    assert await _rows(session, AccessGrant) == 2


@pytest.mark.parametrize(
    "grant_id",
    [
        pytest.param("garbage", id="malformed"),
        pytest.param(global_id("AccessGrant", 999999), id="unknown"),
        pytest.param(relay.to_base64("AccessGrant", "x"), id="not-a-number"),
        pytest.param(relay.to_base64("AccessGrant", str(2**31)), id="beyond-integer"),
        pytest.param("own-type", id="another-type"),
    ],
)
async def test_removing_a_grant_that_is_not_there_is_not_found(
    admin: GraphQLClient, book: Book, session: AsyncSession, grant_id: str
) -> None:
    # given
    kept = await _add(admin, "bo-7", "BACKOFFICE", "DATA_ACCESS_GROUP", "EU")
    if grant_id == "own-type":  # the right row number under another type's name
        grant_id = relay.to_base64("GroupClient", relay.from_base64(kept)[1])
    # when
    payload = await admin.mutate(GRANT_REMOVE, {"input": {"id": grant_id}})
    # then
    refused(payload, "NOT_FOUND", ["input", "id"])
    assert payload["removedId"] is None
    assert await _rows(session, AccessGrant) == 1


async def test_removing_a_grant_twice_is_not_found_the_second_time(
    admin: GraphQLClient, book: Book, session: AsyncSession
) -> None:
    # given
    grant = await _add(admin, "bo-7", "BACKOFFICE", "DATA_ACCESS_GROUP", "EU")
    ok(await admin.mutate(GRANT_REMOVE, {"input": {"id": grant}}))
    # when
    payload = await admin.mutate(GRANT_REMOVE, {"input": {"id": grant}})
    # then
    refused(payload, "NOT_FOUND", ["input", "id"])
    assert await _rows(session, AccessGrant) == 0


# Listing


async def _grants(admin: GraphQLClient) -> dict[str, str]:
    """Grants of three subjects, in this order; return their ids by a short name."""
    return {
        "bo7-eu": await _add(admin, "bo-7", "BACKOFFICE", "DATA_ACCESS_GROUP", "EU"),
        "hr3-acme": await _add(admin, "hr-3", "GROUP_MANAGER", "GROUP_CLIENT", "ACME"),
        "bo7-health": await _add(admin, "bo-7", "BACKOFFICE", "LINE_OF_BUSINESS", "HEALTH"),
        "rep1-us": await _add(admin, "rep-1", "REPORTING", "DATA_ACCESS_GROUP", "US"),
        "bo7-us": await _add(admin, "bo-7", "BACKOFFICE", "DATA_ACCESS_GROUP", "US"),
    }


async def test_lists_every_grant_oldest_first(admin: GraphQLClient, book: Book) -> None:
    # given
    await _client(book, "ACME")
    ids = await _grants(admin)
    # when
    page = (await admin.query(GRANTS))["accessGrants"]
    # then
    nodes = [edge["node"] for edge in page["edges"]]
    assert [n["id"] for n in nodes] == list(ids.values())
    assert nodes[1] == {
        "id": ids["hr3-acme"],
        "subject": "hr-3",
        "role": "GROUP_MANAGER",
        "kind": "GROUP_CLIENT",
        "code": "ACME",
        "createdBy": "admin-1",
    }
    assert page["totalCount"] == 5
    assert page["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        pytest.param("bo-7", ["bo7-eu", "bo7-health", "bo7-us"], id="three"),
        pytest.param(" hr-3 ", ["hr3-acme"], id="trimmed"),
        pytest.param("bo", [], id="no-prefix-match"),
        pytest.param("BO-7", [], id="case-matters"),
        pytest.param("nobody", [], id="unknown"),
    ],
)
async def test_filters_by_subject(
    admin: GraphQLClient, book: Book, subject: str, expected: list[str]
) -> None:
    # given
    await _client(book, "ACME")
    ids = await _grants(admin)
    # when
    page = (await admin.query(GRANTS, {"subject": subject}))["accessGrants"]
    # then
    assert [edge["node"]["id"] for edge in page["edges"]] == [ids[key] for key in expected]
    assert page["totalCount"] == len(expected)


async def test_pages_through_one_subjects_grants(admin: GraphQLClient, book: Book) -> None:
    # given
    await _client(book, "ACME")
    ids = await _grants(admin)
    # when
    first = (await admin.query(GRANTS, {"subject": "bo-7", "first": 2}))["accessGrants"]
    after = first["pageInfo"]["endCursor"]
    second = (await admin.query(GRANTS, {"subject": "bo-7", "first": 2, "after": after}))[
        "accessGrants"
    ]
    # then
    assert [e["node"]["id"] for e in first["edges"]] == [ids["bo7-eu"], ids["bo7-health"]]
    assert [e["node"]["id"] for e in second["edges"]] == [ids["bo7-us"]]
    assert (first["pageInfo"]["hasNextPage"], second["pageInfo"]["hasNextPage"]) == (True, False)
    assert (first["pageInfo"]["hasPreviousPage"], second["pageInfo"]["hasPreviousPage"]) == (
        False,
        True,
    )
    assert (first["totalCount"], second["totalCount"]) == (3, 3)


async def test_a_page_size_over_100_is_refused(admin: GraphQLClient, book: Book) -> None:
    # when
    body = await admin.raw(GRANTS, {"first": 101})
    # then
    (error,) = body["errors"]
    assert error["message"] == "`first` must be between 0 and 100, got 101."
    assert body["data"] == {"accessGrants": None}


# Audit


async def test_adding_and_removing_a_grant_leave_audit_events(
    admin: GraphQLClient, book: Book
) -> None:
    # given
    grant = await _add(admin, "bo-7", "BACKOFFICE", "DATA_ACCESS_GROUP", "EU")
    # when
    ok(await admin.mutate(GRANT_REMOVE, {"input": {"id": grant}}))
    # then
    (added,) = await _events(admin, action="accessGrantAdd")
    (removed,) = await _events(admin, action="accessGrantRemove")
    assert (added["actor"], added["entityType"], added["entityId"]) == (
        "admin-1",
        "AccessGrant",
        grant,
    )
    assert added["before"] is None
    expected = {"subject": "bo-7", "role": "backoffice", "kind": "DATA_ACCESS_GROUP", "code": "EU"}
    assert {k: added["after"][k] for k in expected} == expected
    assert added["after"]["created_by"] == "admin-1"
    assert (removed["actor"], removed["entityId"]) == ("admin-1", grant)
    assert removed["before"] == added["after"]
    assert removed["after"] is None
    assert [e["action"] for e in await _events(admin, entityId=grant)] == [
        "accessGrantAdd",
        "accessGrantRemove",
    ]


async def test_a_refused_change_leaves_no_audit_event(admin: GraphQLClient, book: Book) -> None:
    # given
    await _add(admin, "bo-7", "BACKOFFICE", "DATA_ACCESS_GROUP", "EU")
    # when
    refused(
        await admin.mutate(GRANT_ADD, _grant("bo-7", "BACKOFFICE", "DATA_ACCESS_GROUP", "EU")),
        "DUPLICATE",
        ["input", "code"],
    )
    refused(
        await admin.mutate(GRANT_REMOVE, {"input": {"id": "garbage"}}), "NOT_FOUND", ["input", "id"]
    )
    # then
    assert [e["action"] for e in await _events(admin)] == ["accessGrantAdd"]


# Who may manage grants


async def test_a_backoffice_user_may_not_grant_itself_more(
    admin: GraphQLClient, http: AsyncClient, book: Book, session: AsyncSession
) -> None:
    # given a backoffice user holding stored grants
    await _add(admin, "bo-7", "BACKOFFICE", "DATA_ACCESS_GROUP", "EU")
    await _add(admin, "bo-7", "BACKOFFICE", "LINE_OF_BUSINESS", "HEALTH")
    bo_7 = GraphQLClient(http, token_for(BO_7))
    # when
    added = await bo_7.raw(GRANT_ADD, _grant("bo-7", "BACKOFFICE", "DATA_ACCESS_GROUP", "US"))
    listed = await bo_7.raw(GRANTS)
    # then
    for body in (added, listed):
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert list(body["data"].values()) == [None]
    assert await _rows(session, AccessGrant) == 2
