"""auditEvents: every mutation leaves who, what, before and after; filtered and paged."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient
from strawberry import relay

from authz.principal import Principal, Role
from tests.conftest import token_for
from tests.factories import Book
from tests.graphql import GraphQLClient, ok

EVENTS = """
query Events($first: Int, $after: String, $filter: AuditEventFilter) {
  auditEvents(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id occurredAt actor action entityType entityId before after } }
  }
}
"""

NODE = """
query Node($id: ID!) { node(id: $id) { __typename id } }
"""

CLIENT_CREATE = """
mutation($input: GroupClientCreateInput!) {
  groupClientCreate(input: $input) { groupClient { id version } errors { field code message } }
}
"""
CLIENT_UPDATE = """
mutation($input: GroupClientUpdateInput!) {
  groupClientUpdate(input: $input) { groupClient { id version } errors { field code message } }
}
"""
CLIENT_MOVE = """
mutation($input: GroupClientMoveInput!) {
  groupClientMove(input: $input) { groupClient { id version } errors { field code message } }
}
"""
CLIENT_DELETE = """
mutation($input: GroupClientDeleteInput!) {
  groupClientDelete(input: $input) { deletedId errors { field code message } }
}
"""
ACCOUNT_CREATE = """
mutation($input: GroupAccountCreateInput!) {
  groupAccountCreate(input: $input) { groupAccount { id version } errors { field code message } }
}
"""
ACCOUNT_UPDATE = """
mutation($input: GroupAccountUpdateInput!) {
  groupAccountUpdate(input: $input) { groupAccount { id version } errors { field code message } }
}
"""
CLASS_CREATE = """
mutation($input: InsurableClassCreateInput!) {
  insurableClassCreate(input: $input) { insurableClass { id } errors { field code message } }
}
"""
PRODUCT_ADD = """
mutation($input: GroupAccountProductAddInput!) {
  groupAccountProductAdd(input: $input) {
    groupAccountProduct { id } errors { field code message }
  }
}
"""
PRODUCT_REMOVE = """
mutation($input: GroupAccountProductRemoveInput!) {
  groupAccountProductRemove(input: $input) { groupAccount { id } errors { field code message } }
}
"""


@pytest.fixture
async def book(session) -> Book:
    return await Book(session).setup()


async def _history(admin: GraphQLClient) -> dict[str, str]:
    """Make one change of every kind through the API; return the global ids involved."""
    client = {"lineOfBusiness": "HEALTH", "dataAccessGroup": "EU"}
    acme = ok(
        await admin.mutate(CLIENT_CREATE, {"input": {**client, "code": "ACME", "name": "Acme"}})
    )["groupClient"]
    ok(
        await admin.mutate(
            CLIENT_UPDATE,
            {"input": {"id": acme["id"], "version": acme["version"], "name": "Acme Corp"}},
        )
    )
    branch = ok(
        await admin.mutate(
            CLIENT_CREATE,
            {"input": {**client, "code": "ACME-EU", "name": "Acme EU", "parentId": acme["id"]}},
        )
    )["groupClient"]
    ok(await admin.mutate(CLIENT_MOVE, {"input": {"id": branch["id"], "newParentId": None}}))
    ok(await admin.mutate(CLIENT_DELETE, {"input": {"id": branch["id"]}}))
    account = ok(
        await admin.mutate(
            ACCOUNT_CREATE,
            {
                "input": {
                    "groupClientId": acme["id"],
                    "code": "ACME-STAFF",
                    "name": "Staff",
                    "dataAccessGroup": "EU",
                }
            },
        )
    )["groupAccount"]
    ok(
        await admin.mutate(
            ACCOUNT_UPDATE,
            {"input": {"id": account["id"], "version": account["version"], "name": "All staff"}},
        )
    )
    insurable_class = ok(
        await admin.mutate(
            CLASS_CREATE,
            {"input": {"groupAccountId": account["id"], "code": "EXEC", "name": "Executives"}},
        )
    )["insurableClass"]
    offer = {"groupAccountId": account["id"], "productCode": "MED-PPO"}
    product = ok(
        await admin.mutate(PRODUCT_ADD, {"input": {**offer, "insurableClassCodes": ["EXEC"]}})
    )["groupAccountProduct"]
    ok(await admin.mutate(PRODUCT_REMOVE, {"input": offer}))
    return {
        "acme": acme["id"],
        "branch": branch["id"],
        "account": account["id"],
        "class": insurable_class["id"],
        "offer": product["id"],
    }


HISTORY = [
    ("groupClientCreate", "GroupClient", "acme"),
    ("groupClientUpdate", "GroupClient", "acme"),
    ("groupClientCreate", "GroupClient", "branch"),
    ("groupClientMove", "GroupClient", "branch"),
    ("groupClientDelete", "GroupClient", "branch"),
    ("groupAccountCreate", "GroupAccount", "account"),
    ("groupAccountUpdate", "GroupAccount", "account"),
    ("insurableClassCreate", "InsurableClass", "class"),
    ("groupAccountProductAdd", "GroupAccountProduct", "offer"),
    ("groupAccountProductRemove", "GroupAccountProduct", "offer"),
]


async def _events(admin: GraphQLClient, **variables: Any) -> dict[str, Any]:
    return (await admin.query(EVENTS, variables))["auditEvents"]


def _nodes(page: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in page["edges"]]


async def test_every_mutation_leaves_an_event_oldest_first(
    admin: GraphQLClient, book: Book
) -> None:
    # given
    ids = await _history(admin)
    # when
    page = await _events(admin)
    # then
    events = _nodes(page)
    assert [(e["action"], e["entityType"], e["entityId"]) for e in events] == [
        (action, entity_type, ids[key]) for action, entity_type, key in HISTORY
    ]
    assert {e["actor"] for e in events} == {"admin-1"}
    assert page["totalCount"] == len(HISTORY)
    assert page["pageInfo"]["hasNextPage"] is False
    assert len({e["id"] for e in events}) == len(HISTORY)
    times = [datetime.fromisoformat(e["occurredAt"]) for e in events]
    assert {t.utcoffset() for t in times} == {timedelta(0)}
    assert times == sorted(times)


async def test_before_and_after_show_the_change(admin: GraphQLClient, book: Book) -> None:
    # given
    await _history(admin)
    # when
    events = _nodes(await _events(admin))
    # then
    by_action = {(e["action"], e["entityId"]): e for e in events}
    creates = [e for e in events if e["action"].endswith(("Create", "Add"))]
    assert all(e["before"] is None and e["after"] is not None for e in creates)
    removals = [e for e in events if e["action"].endswith(("Delete", "Remove"))]
    assert [e["action"] for e in removals] == ["groupClientDelete", "groupAccountProductRemove"]
    assert all(e["before"] is not None and e["after"] is None for e in removals)
    (update,) = [e for e in events if e["action"] == "groupClientUpdate"]
    assert (update["before"]["name"], update["after"]["name"]) == ("Acme", "Acme Corp")
    assert update["after"]["version"] == update["before"]["version"] + 1
    (move,) = [e for e in events if e["action"] == "groupClientMove"]
    assert move["before"]["parent_id"] is not None
    assert move["after"]["parent_id"] is None
    (account_update,) = [e for e in events if e["action"] == "groupAccountUpdate"]
    assert account_update["before"]["name"] == "Staff"
    assert account_update["after"]["name"] == "All staff"
    assert len(by_action) == len(events)


async def test_entity_ids_resolve_as_nodes_while_the_object_lives(
    admin: GraphQLClient, book: Book
) -> None:
    # given
    ids = await _history(admin)
    events = _nodes(await _events(admin))
    # when
    nodes = {
        e["entityId"]: (await admin.query(NODE, {"id": e["entityId"]}))["node"] for e in events
    }
    # then
    assert nodes == {
        ids["acme"]: {"__typename": "GroupClient", "id": ids["acme"]},
        ids["branch"]: None,  # deleted
        ids["account"]: {"__typename": "GroupAccount", "id": ids["account"]},
        ids["class"]: {"__typename": "InsurableClass", "id": ids["class"]},
        ids["offer"]: None,  # no longer offered
    }


@pytest.mark.parametrize(
    ("key", "actions"),
    [
        ("acme", ["groupClientCreate", "groupClientUpdate"]),
        ("branch", ["groupClientCreate", "groupClientMove", "groupClientDelete"]),
        ("account", ["groupAccountCreate", "groupAccountUpdate"]),
        ("offer", ["groupAccountProductAdd", "groupAccountProductRemove"]),
    ],
)
async def test_filters_by_entity(
    admin: GraphQLClient, book: Book, key: str, actions: list[str]
) -> None:
    # given
    ids = await _history(admin)
    # when
    page = await _events(admin, filter={"entityId": ids[key]})
    # then
    assert [e["action"] for e in _nodes(page)] == actions
    assert {e["entityId"] for e in _nodes(page)} == {ids[key]}
    assert page["totalCount"] == len(actions)


@pytest.mark.parametrize(
    "entity_id",
    [
        pytest.param(relay.to_base64("GroupClient", "999999"), id="unknown"),
        pytest.param("garbage", id="malformed"),
        pytest.param(relay.to_base64("GroupClient", "x"), id="not-a-number"),
        pytest.param(relay.to_base64("GroupClient", "-1"), id="negative"),
        pytest.param(relay.to_base64("GroupClient", str(2**31)), id="beyond-integer"),
        pytest.param(relay.to_base64("GroupClient", str(2**63)), id="beyond-bigint"),
    ],
)
async def test_an_unknown_entity_has_no_events(
    admin: GraphQLClient, book: Book, entity_id: str
) -> None:
    # given
    await _history(admin)
    # when
    page = await _events(admin, filter={"entityId": entity_id})
    # then
    assert page["edges"] == []
    assert page["totalCount"] == 0


async def test_the_entity_filter_tells_types_apart(admin: GraphQLClient, book: Book) -> None:
    # given
    ids = await _history(admin)
    _, row_id = relay.from_base64(ids["account"])
    # when
    page = await _events(admin, filter={"entityId": relay.to_base64("InsurableClass", row_id)})
    # then
    assert {e["entityType"] for e in _nodes(page)} <= {"InsurableClass"}


async def test_filters_by_actor(admin: GraphQLClient, http: AsyncClient, book: Book) -> None:
    # given
    other = GraphQLClient(
        http, token_for(Principal(subject="admin-2", roles=frozenset({Role.ADMIN})))
    )
    made = ok(
        await other.mutate(
            CLIENT_CREATE,
            {
                "input": {
                    "code": "GLOBEX",
                    "name": "Globex",
                    "lineOfBusiness": "LIFE",
                    "dataAccessGroup": "US",
                }
            },
        )
    )["groupClient"]
    await _history(admin)
    # when
    theirs = await _events(admin, filter={"actor": "admin-2"})
    mine = await _events(admin, filter={"actor": "admin-1"})
    nobody = await _events(admin, filter={"actor": "nobody"})
    # then
    assert [(e["actor"], e["entityId"]) for e in _nodes(theirs)] == [("admin-2", made["id"])]
    assert theirs["totalCount"] == 1
    assert {e["actor"] for e in _nodes(mine)} == {"admin-1"}
    assert mine["totalCount"] == len(HISTORY)
    assert nobody["totalCount"] == 0


@pytest.mark.parametrize(
    "criteria",
    [
        pytest.param({"entityId": relay.to_base64("Group\x00Client", "1")}, id="entity-type"),
    ],
)
async def test_text_no_event_can_hold_matches_nothing(
    admin: GraphQLClient, book: Book, criteria: dict[str, str]
) -> None:
    # given
    await _history(admin)
    # when
    page = await _events(admin, filter=criteria)
    # then
    assert page["edges"] == []
    assert page["totalCount"] == 0


async def test_filters_by_action(admin: GraphQLClient, book: Book) -> None:
    # given
    ids = await _history(admin)
    # when
    page = await _events(admin, filter={"action": "groupClientCreate"})
    # then
    assert [e["entityId"] for e in _nodes(page)] == [ids["acme"], ids["branch"]]
    assert page["totalCount"] == 2


async def test_every_filter_given_must_hold(admin: GraphQLClient, book: Book) -> None:
    # given
    ids = await _history(admin)
    # when
    page = await _events(
        admin,
        filter={"entityId": ids["branch"], "action": "groupClientMove", "actor": "admin-1"},
    )
    elsewhere = await _events(
        admin, filter={"entityId": ids["branch"], "action": "groupAccountCreate"}
    )
    # then
    assert [e["action"] for e in _nodes(page)] == ["groupClientMove"]
    assert elsewhere["totalCount"] == 0


async def test_pages_through_the_trail(admin: GraphQLClient, book: Book) -> None:
    # given
    await _history(admin)
    everything = [e["id"] for e in _nodes(await _events(admin))]
    # when
    pages, after = [], None
    while True:
        page = await _events(admin, first=4, after=after)
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # then
    assert [len(p["edges"]) for p in pages] == [4, 4, 2]
    assert [e["id"] for p in pages for e in _nodes(p)] == everything
    assert {p["totalCount"] for p in pages} == {len(HISTORY)}
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True, True]


async def test_pages_a_filtered_trail(admin: GraphQLClient, book: Book) -> None:
    # given
    await _history(admin)
    only = {"action": "groupClientCreate"}
    first = await _events(admin, first=1, filter=only)
    # when
    second = await _events(admin, first=1, after=first["pageInfo"]["endCursor"], filter=only)
    # then
    assert first["pageInfo"]["hasNextPage"] is True
    assert second["pageInfo"]["hasNextPage"] is False
    assert (first["totalCount"], second["totalCount"]) == (2, 2)
    assert _nodes(first)[0]["id"] != _nodes(second)[0]["id"]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        pytest.param({"first": 101}, "`first` must be between 0 and 100, got 101.", id="big"),
        pytest.param({"first": -1}, "`first` must be between 0 and 100, got -1.", id="negative"),
        pytest.param(
            {"after": "garbage"}, "`after` is not a cursor this server gave out.", id="cursor"
        ),
    ],
)
async def test_refuses_bad_paging(
    admin: GraphQLClient, book: Book, variables: dict[str, Any], message: str
) -> None:
    # when
    body = await admin.raw(EVENTS, variables)
    # then
    assert body["data"] == {"auditEvents": None}
    assert [e["message"] for e in body["errors"]] == [message]


async def test_an_empty_trail(admin: GraphQLClient, book: Book) -> None:
    # when
    page = await _events(admin)
    # then
    assert page == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "endCursor": None},
        "edges": [],
    }
