"""groupClientDelete: only a group client with no children and no accounts can go."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from domain.audit.models import AuditEvent
from domain.groups.models import GroupClient, GroupStatus
from schema.core.relay import global_id
from tests.factories import Book
from tests.graphql import GraphQLClient, ok, refused

DELETE = """
mutation Delete($input: GroupClientDeleteInput!) {
  groupClientDelete(input: $input) { deletedId errors { field message code } }
}
"""

NODE = "query Node($id: ID!) { node(id: $id) { id } }"

CLIENT = """
query Client($code: String!) {
  groupClient(code: $code) { code status version children { totalCount } }
}
"""

AUDIT = """
query Audit($id: ID!) {
  auditEvents(filter: {entityId: $id}) { edges { node { action actor before after } } }
}
"""

COUNTS = "query Counts { groupClients { totalCount } auditEvents { totalCount } }"


@pytest.fixture
async def book(session) -> Book:
    return await Book(session).setup()


@pytest.fixture
async def holding(book: Book) -> GroupClient:
    """An approved top group client, HOLDING, with one leaf child, LEAF."""
    row = await book.client(code="HOLDING")
    await book.client(row, code="LEAF")
    row.status = GroupStatus.APPROVED
    await book.session.commit()
    return row


def _id(row: GroupClient) -> str:
    return global_id("GroupClient", row.id)


async def _by_code(book: Book, code: str) -> GroupClient:
    return (
        await book.session.scalars(sa.select(GroupClient).where(GroupClient.code == code))
    ).one()


async def _counts(admin: GraphQLClient) -> tuple[int, int]:
    data = await admin.query(COUNTS)
    return data["groupClients"]["totalCount"], data["auditEvents"]["totalCount"]


async def _delete(admin: GraphQLClient, client_id: str) -> dict[str, Any]:
    return await admin.mutate(DELETE, {"input": {"id": client_id}})


async def test_deletes_a_leaf(admin: GraphQLClient, book: Book, holding: GroupClient) -> None:
    # given
    leaf_id = _id(await _by_code(book, "LEAF"))
    # when
    payload = await _delete(admin, leaf_id)
    # then
    assert ok(payload)["deletedId"] == leaf_id
    assert (await admin.query(NODE, {"id": leaf_id}))["node"] is None
    assert (await admin.query(CLIENT, {"code": "LEAF"}))["groupClient"] is None
    rows = await book.session.scalar(
        sa.select(sa.func.count()).select_from(GroupClient).where(GroupClient.code == "LEAF")
    )
    assert rows == 0


async def test_the_parent_loses_the_child_and_becomes_changed(
    admin: GraphQLClient, book: Book, holding: GroupClient
) -> None:
    # when
    ok(await _delete(admin, _id(await _by_code(book, "LEAF"))))
    # then
    parent = (await admin.query(CLIENT, {"code": "HOLDING"}))["groupClient"]
    assert parent["children"] == {"totalCount": 0}
    assert (parent["status"], parent["version"]) == ("CHANGED", holding.version + 1)


async def test_deletes_a_top_client_without_children(admin: GraphQLClient, book: Book) -> None:
    # given
    lone = await book.client(code="LONE")
    await book.session.commit()
    # when
    payload = await _delete(admin, _id(lone))
    # then
    assert ok(payload)["deletedId"] == _id(lone)
    assert await _counts(admin) == (0, 1)


async def test_writes_an_audit_event_with_a_before_and_no_after(
    admin: GraphQLClient, book: Book, holding: GroupClient
) -> None:
    # given
    leaf = await _by_code(book, "LEAF")
    # when
    ok(await _delete(admin, _id(leaf)))
    # then
    edges = (await admin.query(AUDIT, {"id": _id(leaf)}))["auditEvents"]["edges"]
    [event] = [edge["node"] for edge in edges]
    assert (event["action"], event["actor"]) == ("groupClientDelete", "admin-1")
    assert event["before"]["code"] == "LEAF"
    assert event["before"]["parent_id"] == holding.id
    assert event["after"] is None


async def test_refuses_a_client_with_children(admin: GraphQLClient, holding: GroupClient) -> None:
    # given
    before = await _counts(admin)
    # when
    payload = await _delete(admin, _id(holding))
    # then
    refused(payload, "HAS_CHILDREN", ["input", "id"])
    assert payload["deletedId"] is None
    assert await _counts(admin) == before
    still = (await admin.query(CLIENT, {"code": "HOLDING"}))["groupClient"]
    assert (still["status"], still["children"]) == ("APPROVED", {"totalCount": 1})


async def test_refuses_a_client_with_group_accounts(admin: GraphQLClient, book: Book) -> None:
    # given
    client = await book.client(code="WITH-ACCOUNT")
    await book.account(client)
    await book.session.commit()
    before = await _counts(admin)
    # when
    payload = await _delete(admin, _id(client))
    # then
    refused(payload, "HAS_GROUP_ACCOUNTS", ["input", "id"])
    assert (await admin.query(NODE, {"id": _id(client)}))["node"] == {"id": _id(client)}
    assert await _counts(admin) == before


async def test_refuses_a_client_with_children_and_accounts_naming_both(
    admin: GraphQLClient, book: Book, holding: GroupClient
) -> None:
    # given
    await book.account(holding)
    await book.session.commit()
    before = await _counts(admin)
    # when
    payload = await _delete(admin, _id(holding))
    # then
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("HAS_CHILDREN", ["input", "id"]),
        ("HAS_GROUP_ACCOUNTS", ["input", "id"]),
    ]
    assert await _counts(admin) == before


@pytest.mark.parametrize(
    "client_id",
    [
        pytest.param(global_id("GroupClient", 987_654), id="unknown"),
        pytest.param(global_id("GroupClient", 2**31), id="beyond-int32"),
        pytest.param(global_id("GroupClient", 2**70), id="beyond-int64"),
        pytest.param("xyz", id="xyz"),
        pytest.param("%%%", id="not-base64"),
        pytest.param("", id="empty"),
        pytest.param("🙂" * 50, id="emoji"),
        pytest.param("A" * 10_000, id="huge"),
    ],
)
async def test_refuses_an_unknown_or_malformed_id(
    admin: GraphQLClient, holding: GroupClient, client_id: str
) -> None:
    # given
    before = await _counts(admin)
    # when
    payload = await _delete(admin, client_id)
    # then
    refused(payload, "NOT_FOUND", ["input", "id"])
    assert payload["deletedId"] is None
    assert await _counts(admin) == before


async def test_refuses_the_id_of_another_type(
    admin: GraphQLClient, book: Book, holding: GroupClient
) -> None:
    # given: a leaf, and an account id with the leaf's number
    leaf = await _by_code(book, "LEAF")
    before = await _counts(admin)
    # when
    payload = await _delete(admin, global_id("GroupAccount", leaf.id))
    # then
    refused(payload, "NOT_FOUND", ["input", "id"])
    assert await _counts(admin) == before


async def test_refuses_a_second_delete(
    admin: GraphQLClient, book: Book, holding: GroupClient
) -> None:
    # given
    leaf_id = _id(await _by_code(book, "LEAF"))
    ok(await _delete(admin, leaf_id))
    before = await _counts(admin)
    # when
    payload = await _delete(admin, leaf_id)
    # then
    refused(payload, "NOT_FOUND", ["input", "id"])
    assert await _counts(admin) == before
    events = await book.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "groupClientDelete")
    )
    assert events == 1


async def test_deletes_when_the_version_given_is_current(admin: GraphQLClient, book: Book) -> None:
    # given
    row = await book.client(code="LONE")
    await book.session.commit()
    # when
    payload = await admin.mutate(DELETE, {"input": {"id": _id(row), "version": row.version}})
    # then
    assert ok(payload)["deletedId"] == _id(row)
    assert (await admin.query(NODE, {"id": _id(row)}))["node"] is None


async def test_refuses_a_stale_version_and_keeps_the_client(
    admin: GraphQLClient, book: Book
) -> None:
    # given
    row = await book.client(code="LONE")
    await book.session.commit()
    before = await _counts(admin)
    # when
    payload = await admin.mutate(DELETE, {"input": {"id": _id(row), "version": row.version + 1}})
    # then
    refused(payload, "STALE_VERSION", ["input", "version"])
    assert payload["deletedId"] is None
    assert await _counts(admin) == before
