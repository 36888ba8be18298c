"""groupClientMove: a group client and its subtree go under another parent, never under itself."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import pytest
from httpx import AsyncClient

from authz.principal import Principal, Role
from domain.groups.models import GroupClient, GroupStatus
from domain.groups.queries import MAX_TREE_DEPTH
from schema.core.relay import global_id
from tests.conftest import token_for
from tests.factories import Book
from tests.graphql import GraphQLClient, ok, refused

MOVE = """
mutation Move($input: GroupClientMoveInput!) {
  groupClientMove(input: $input) {
    groupClient { code status version parent { code } ancestors { code } }
    errors { field message code }
  }
}
"""

CLIENT = """
query Client($id: ID!) {
  groupClient(id: $id) {
    code status version parent { code } ancestors { code }
    children { edges { node { code } } }
  }
}
"""

AUDIT = """
query Audit($id: ID!) {
  auditEvents(filter: {entityId: $id}) { edges { node { action before after } } }
}
"""

AUDIT_COUNT = "query Count { auditEvents { totalCount } }"


@pytest.fixture
async def book(session) -> Book:
    return await Book(session).setup()


@dataclass(frozen=True)
class Tree:
    """Two approved trees: HOLDING > SUB > DEPT > TEAM, and OTHER."""

    holding: GroupClient
    sub: GroupClient
    dept: GroupClient
    team: GroupClient
    other: GroupClient

    @property
    def rows(self) -> dict[str, GroupClient]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@pytest.fixture
async def trees(book: Book) -> Tree:
    holding = await book.client(code="HOLDING")
    sub = await book.client(holding, code="SUB")
    dept = await book.client(sub, code="DEPT")
    team = await book.client(dept, code="TEAM")
    other = await book.client(code="OTHER")
    for row in (holding, sub, dept, team, other):
        row.status = GroupStatus.APPROVED
    await book.session.commit()
    return Tree(holding=holding, sub=sub, dept=dept, team=team, other=other)


def _id(row: GroupClient) -> str:
    return global_id("GroupClient", row.id)


def _move(row: GroupClient, parent: GroupClient | None, **extra: Any) -> dict[str, Any]:
    return {"input": {"id": _id(row), "newParentId": parent and _id(parent), **extra}}


async def _read(admin: GraphQLClient, row: GroupClient) -> dict[str, Any]:
    return (await admin.query(CLIENT, {"id": _id(row)}))["groupClient"]


async def _children(admin: GraphQLClient, row: GroupClient) -> list[str]:
    return [edge["node"]["code"] for edge in (await _read(admin, row))["children"]["edges"]]


async def _audit_count(admin: GraphQLClient) -> int:
    return (await admin.query(AUDIT_COUNT))["auditEvents"]["totalCount"]


async def test_moves_under_a_new_parent_with_its_subtree(admin: GraphQLClient, trees: Tree) -> None:
    # when
    payload = await admin.mutate(MOVE, _move(trees.sub, trees.other))
    # then
    moved = ok(payload)["groupClient"]
    assert moved["parent"] == {"code": "OTHER"}
    assert moved["ancestors"] == [{"code": "OTHER"}]
    assert await _children(admin, trees.other) == ["SUB"]
    assert await _children(admin, trees.holding) == []
    assert await _children(admin, trees.sub) == ["DEPT"]
    team = await _read(admin, trees.team)
    assert [a["code"] for a in team["ancestors"]] == ["OTHER", "SUB", "DEPT"]


async def test_the_moved_client_and_both_parents_become_changed(
    admin: GraphQLClient, trees: Tree
) -> None:
    # when
    ok(await admin.mutate(MOVE, _move(trees.sub, trees.other)))
    # then
    for row in (trees.sub, trees.holding, trees.other):
        found = await _read(admin, row)
        assert (found["status"], found["version"]) == ("CHANGED", row.version + 1), row.code
    untouched = await _read(admin, trees.dept)
    assert (untouched["status"], untouched["version"]) == ("APPROVED", trees.dept.version)


async def test_moves_to_the_top(admin: GraphQLClient, trees: Tree) -> None:
    # when
    payload = await admin.mutate(MOVE, _move(trees.dept, None))
    # then
    moved = ok(payload)["groupClient"]
    assert (moved["parent"], moved["ancestors"]) == (None, [])
    assert moved["status"] == "CHANGED"
    assert await _children(admin, trees.sub) == []
    assert (await _read(admin, trees.sub))["status"] == "CHANGED"
    team = await _read(admin, trees.team)
    assert [a["code"] for a in team["ancestors"]] == ["DEPT"]


async def test_moves_down_into_a_sibling_branch(
    admin: GraphQLClient, book: Book, trees: Tree
) -> None:
    # given: a second branch under HOLDING
    branch = await book.client(trees.holding, code="BRANCH")
    await book.session.commit()
    # when
    payload = await admin.mutate(MOVE, _move(trees.dept, branch))
    # then
    assert [a["code"] for a in ok(payload)["groupClient"]["ancestors"]] == ["HOLDING", "BRANCH"]
    assert await _children(admin, trees.sub) == []


async def test_writes_an_audit_event_with_the_old_and_new_parent(
    admin: GraphQLClient, trees: Tree
) -> None:
    # when
    ok(await admin.mutate(MOVE, _move(trees.sub, trees.other)))
    # then
    edges = (await admin.query(AUDIT, {"id": _id(trees.sub)}))["auditEvents"]["edges"]
    [event] = [edge["node"] for edge in edges]
    assert event["action"] == "groupClientMove"
    assert event["before"]["parent_id"] == trees.holding.id
    assert event["after"]["parent_id"] == trees.other.id


@pytest.mark.parametrize(
    ("target", "version"),
    [("given", "current"), ("given", None), ("top", "current"), ("top", None)],
)
async def test_accepts_the_current_version_or_none(
    admin: GraphQLClient, trees: Tree, target: str, version: str | None
) -> None:
    # given
    parent = trees.other if target == "given" else None
    extra = {"version": trees.sub.version} if version else {}
    # when
    payload = await admin.mutate(MOVE, _move(trees.sub, parent, **extra))
    # then
    assert ok(payload)["groupClient"]["version"] == trees.sub.version + 1


async def _assert_unchanged(
    admin: GraphQLClient, trees: Tree, before: dict[str, dict[str, Any]], events: int
) -> None:
    for code, row in trees.rows.items():
        assert await _read(admin, row) == before[code], code
    assert await _audit_count(admin) == events


async def _state(admin: GraphQLClient, trees: Tree) -> tuple[dict[str, dict[str, Any]], int]:
    return {code: await _read(admin, row) for code, row in trees.rows.items()}, await _audit_count(
        admin
    )


@pytest.mark.parametrize(
    ("node", "under"),
    [
        pytest.param("sub", "sub", id="itself"),
        pytest.param("holding", "holding", id="root-itself"),
        pytest.param("sub", "dept", id="its-child"),
        pytest.param("holding", "team", id="deep-descendant"),
        pytest.param("sub", "team", id="grandchild"),
    ],
)
async def test_refuses_a_cycle_and_changes_nothing(
    admin: GraphQLClient, trees: Tree, node: str, under: str
) -> None:
    # given
    before, events = await _state(admin, trees)
    # when
    payload = await admin.mutate(MOVE, _move(trees.rows[node], trees.rows[under]))
    # then
    refused(payload, "CYCLE", ["input", "newParentId"])
    assert payload["groupClient"] is None
    await _assert_unchanged(admin, trees, before, events)


async def test_refuses_a_cycle_through_a_tree_deeper_than_one_query_climbs(
    admin: GraphQLClient, book: Book
) -> None:
    # given: a chain of more levels than one recursive query follows
    top = await book.client(code="TOP")
    second = node = await book.client(top, code="SECOND")
    for _ in range(MAX_TREE_DEPTH + 5):
        node = await book.client(node)
    await book.session.commit()
    # when
    payload = await admin.mutate(MOVE, _move(second, node))
    # then
    refused(payload, "CYCLE", ["input", "newParentId"])
    assert (await _read(admin, second))["parent"] == {"code": "TOP"}
    assert await _audit_count(admin) == 0


async def test_refuses_a_stale_version_and_changes_nothing(
    admin: GraphQLClient, trees: Tree
) -> None:
    # given: someone else moved it meanwhile
    ok(await admin.mutate(MOVE, _move(trees.sub, None)))
    before, events = await _state(admin, trees)
    # when
    payload = await admin.mutate(MOVE, _move(trees.sub, trees.other, version=trees.sub.version))
    # then
    refused(payload, "STALE_VERSION", ["input", "version"])
    await _assert_unchanged(admin, trees, before, events)


@pytest.mark.parametrize(
    "parent_id",
    [
        pytest.param(global_id("GroupClient", 987_654), id="unknown"),
        pytest.param(global_id("GroupClient", 2**31), id="beyond-int32"),
        pytest.param("xyz", id="xyz"),
        pytest.param("%%%", id="not-base64"),
        pytest.param("", id="empty"),
    ],
)
async def test_refuses_an_unknown_new_parent(
    admin: GraphQLClient, trees: Tree, parent_id: str
) -> None:
    # given
    before, events = await _state(admin, trees)
    # when
    payload = await admin.mutate(MOVE, {"input": {"id": _id(trees.sub), "newParentId": parent_id}})
    # then
    refused(payload, "NOT_FOUND", ["input", "newParentId"])
    await _assert_unchanged(admin, trees, before, events)


async def test_refuses_an_account_id_as_new_parent(
    admin: GraphQLClient, book: Book, trees: Tree
) -> None:
    # given: an account whose number is OTHER's
    await book.account(trees.other)
    await book.session.commit()
    before, events = await _state(admin, trees)
    # when
    payload = await admin.mutate(
        MOVE,
        {"input": {"id": _id(trees.sub), "newParentId": global_id("GroupAccount", trees.other.id)}},
    )
    # then
    refused(payload, "NOT_FOUND", ["input", "newParentId"])
    await _assert_unchanged(admin, trees, before, events)


@pytest.mark.parametrize(
    "client_id",
    [
        pytest.param(global_id("GroupClient", 987_654), id="unknown"),
        pytest.param(global_id("GroupClient", 2**70), id="beyond-int64"),
        pytest.param("not base64 at all!", id="not-base64"),
    ],
)
async def test_refuses_an_unknown_client(admin: GraphQLClient, trees: Tree, client_id: str) -> None:
    # given
    before, events = await _state(admin, trees)
    # when
    payload = await admin.mutate(
        MOVE, {"input": {"id": client_id, "newParentId": _id(trees.other)}}
    )
    # then
    refused(payload, "NOT_FOUND", ["input", "id"])
    await _assert_unchanged(admin, trees, before, events)


async def test_refuses_to_move_a_visible_client_away_from_a_hidden_parent(
    http: AsyncClient, admin: GraphQLClient, book: Book
) -> None:
    # given a US client under an EU parent, and another US client, for a US back office
    hidden = await book.client(code="EU-PARENT")
    mine = await book.client(hidden, code="US-CHILD", dag=book.dag_us)
    target = await book.client(code="US-TARGET", dag=book.dag_us)
    for row in (hidden, mine, target):
        row.status = GroupStatus.APPROVED
    await book.session.commit()
    us = GraphQLClient(
        http,
        token_for(
            Principal(
                "backoffice-us",
                frozenset({Role.BACKOFFICE}),
                data_access_groups=frozenset({"US"}),
                lines_of_business=frozenset({"HEALTH"}),
            )
        ),
    )
    before = [await _read(admin, row) for row in (hidden, mine, target)]
    # when
    payload = await us.mutate(MOVE, _move(mine, target))
    # then the move is refused on the client, and the hidden parent is not made CHANGED
    refused(payload, "NOT_ALLOWED", ["input", "id"])
    assert [await _read(admin, row) for row in (hidden, mine, target)] == before
    assert before[0]["status"] == "APPROVED"
    assert await _audit_count(admin) == 0
