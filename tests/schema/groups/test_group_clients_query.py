"""Reading group clients: the paged, filtered list and lookups by id or code."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry import relay

from domain.groups.models import GroupClient, GroupStatus
from schema.core.relay import global_id
from tests.factories import Book
from tests.graphql import GraphQLClient

PAGE = """
query Page($first: Int, $after: String, $filter: GroupClientFilter) {
  groupClients(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { code } }
  }
}
"""

CLIENT = """
query Client($id: ID, $code: String) {
  groupClient(id: $id, code: $code) { id code name }
}
"""

ACCOUNT = """
query Account($id: ID, $code: String) {
  groupAccount(id: $id, code: $code) { id code groupClient { code } }
}
"""


@pytest.fixture
async def book(session) -> Book:
    return await Book(session).setup()


async def _clients(book: Book, *codes: str, parent: GroupClient | None = None) -> list[GroupClient]:
    rows = [await book.client(parent, code=code) for code in codes]
    await book.session.commit()
    return rows


async def _codes(admin: GraphQLClient, **variables: Any) -> list[str]:
    page = (await admin.query(PAGE, variables))["groupClients"]
    return [edge["node"]["code"] for edge in page["edges"]]


def _error(body: dict[str, Any]) -> str:
    """Return the one top-level error's message, after checking the field gave no data."""
    (error,) = body["errors"]
    assert list(body["data"].values()) == [None]
    return error["message"]


# Pagination


async def test_pages_through_every_client_in_creation_order(
    admin: GraphQLClient, book: Book
) -> None:
    # given
    await _clients(book, "C1", "C2", "C3", "C4", "C5")
    # when
    pages, after = [], None
    while True:
        page = (await admin.query(PAGE, {"first": 2, "after": after}))["groupClients"]
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # then
    assert [[e["node"]["code"] for e in p["edges"]] for p in pages] == [
        ["C1", "C2"],
        ["C3", "C4"],
        ["C5"],
    ]
    assert [p["totalCount"] for p in pages] == [5, 5, 5]
    assert [p["pageInfo"]["hasNextPage"] for p in pages] == [True, True, False]
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True, True]
    for page in pages:
        assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]


async def test_a_page_that_ends_the_list_exactly_has_no_next_page(
    admin: GraphQLClient, book: Book
) -> None:
    # given
    await _clients(book, "C1", "C2")
    # when
    page = (await admin.query(PAGE, {"first": 2}))["groupClients"]
    # then
    assert len(page["edges"]) == 2
    assert page["pageInfo"]["hasNextPage"] is False


async def test_an_empty_page_after_the_last_client(admin: GraphQLClient, book: Book) -> None:
    # given
    await _clients(book, "C1")
    last = (await admin.query(PAGE, {}))["groupClients"]["pageInfo"]["endCursor"]
    # when
    page = (await admin.query(PAGE, {"after": last}))["groupClients"]
    # then
    assert page["edges"] == []
    assert page["totalCount"] == 1
    assert page["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": None,
        "endCursor": None,
    }


async def test_at_most_100_a_page(admin: GraphQLClient, book: Book) -> None:
    # given
    for _ in range(101):
        await book.client()
    await book.session.commit()
    # when
    default = (await admin.query(PAGE, {}))["groupClients"]
    most = (await admin.query(PAGE, {"first": 100}))["groupClients"]
    # then
    assert len(default["edges"]) == len(most["edges"]) == 100
    assert default["pageInfo"]["hasNextPage"] is True
    assert default["totalCount"] == 101


@pytest.mark.parametrize("first", [101, -1])
async def test_refuses_a_page_size_out_of_range(
    admin: GraphQLClient, book: Book, first: int
) -> None:
    # given
    await _clients(book, "C1")
    # when
    body = await admin.raw(PAGE, {"first": first})
    # then
    message = _error(body)
    assert "`first`" in message and "100" in message and str(first) in message


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("garbage", id="not-base64"),
        pytest.param("", id="empty"),
        pytest.param(relay.to_base64("cursor", "x"), id="not-a-number"),
        pytest.param(relay.to_base64("GroupClient", "1"), id="a-node-id"),
    ],
)
async def test_refuses_a_cursor_it_did_not_give_out(
    admin: GraphQLClient, book: Book, cursor: str
) -> None:
    # given
    await _clients(book, "C1")
    # when
    body = await admin.raw(PAGE, {"after": cursor})
    # then
    assert _error(body) == "`after` is not a cursor this server gave out."


async def test_a_cursor_beyond_any_id_is_refused_or_empty(admin: GraphQLClient, book: Book) -> None:
    # given
    await _clients(book, "C1")
    # when
    body = await admin.raw(PAGE, {"after": relay.to_base64("cursor", str(2**63))})
    # then
    if "errors" in body:
        assert _error(body) == "`after` is not a cursor this server gave out."
    else:
        assert body["data"]["groupClients"]["edges"] == []


# Filters


async def test_filters_by_parent(admin: GraphQLClient, book: Book) -> None:
    # given
    (acme, other) = await _clients(book, "ACME", "OTHER")
    await _clients(book, "ACME-EU", "ACME-US", parent=acme)
    await _clients(book, "OTHER-EU", parent=other)
    # when
    page = (
        await admin.query(PAGE, {"filter": {"parentId": global_id("GroupClient", acme.id)}})  # type: ignore[arg-type]
    )["groupClients"]
    # then
    assert [e["node"]["code"] for e in page["edges"]] == ["ACME-EU", "ACME-US"]
    assert page["totalCount"] == 2


@pytest.mark.parametrize(
    "parent_id",
    [
        pytest.param(global_id("GroupClient", 999_999), id="unknown"),
        pytest.param("garbage", id="malformed"),
        pytest.param(global_id("GroupAccount", 1), id="another-type"),
    ],
)
async def test_an_unknown_parent_gives_an_empty_page(
    admin: GraphQLClient, book: Book, parent_id: str
) -> None:
    # given
    (acme,) = await _clients(book, "ACME")
    await _clients(book, "ACME-EU", parent=acme)
    # when
    page = (await admin.query(PAGE, {"filter": {"parentId": parent_id}}))["groupClients"]
    # then
    assert page["edges"] == []
    assert page["totalCount"] == 0
    assert page["pageInfo"]["hasNextPage"] is False


async def test_filters_the_roots(admin: GraphQLClient, book: Book) -> None:
    # given
    (acme, _other) = await _clients(book, "ACME", "OTHER")
    await _clients(book, "ACME-EU", parent=acme)
    # when
    roots = await _codes(admin, filter={"rootsOnly": True})
    every = await _codes(admin, filter={"rootsOnly": False})
    # then
    assert roots == ["ACME", "OTHER"]
    assert every == ["ACME", "OTHER", "ACME-EU"]


async def test_filters_by_status(admin: GraphQLClient, book: Book) -> None:
    # given
    (approved, _changed) = await _clients(book, "APPROVED-1", "CHANGED-1")
    approved.status = GroupStatus.APPROVED
    await book.session.commit()
    # when
    approved_codes = await _codes(admin, filter={"status": "APPROVED"})
    changed_codes = await _codes(admin, filter={"status": "CHANGED"})
    # then
    assert approved_codes == ["APPROVED-1"]
    assert changed_codes == ["CHANGED-1"]


async def test_searches_code_and_name_ignoring_case(admin: GraphQLClient, book: Book) -> None:
    # given
    (_by_code, by_name, _neither) = await _clients(book, "ACME-EU", "GLOBEX", "INITECH")
    by_name.name = "Globex, an ACME partner"
    await book.session.commit()
    # when
    found = await _codes(admin, filter={"search": "  acMe "})
    # then
    assert found == ["ACME-EU", "GLOBEX"]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        pytest.param("50%", ["Save 50% now"], id="percent"),
        pytest.param("a_b", ["a_b"], id="underscore"),
        pytest.param("a/b", ["a/b"], id="slash"),
    ],
)
async def test_search_matches_wildcards_literally(
    admin: GraphQLClient, book: Book, search: str, expected: list[str]
) -> None:
    # given
    names = ["Save 50% now", "Save 500 now", "a_b", "axb", "a/b"]
    for row, name in zip(await _clients(book, *[f"N{i}" for i in range(5)]), names, strict=True):
        row.name = name
    await book.session.commit()
    # when
    page = (
        await admin.query(
            "query($s: String) { groupClients(filter: {search: $s}) { edges { node { name } } } }",
            {"s": search},
        )
    )["groupClients"]
    # then
    assert [e["node"]["name"] for e in page["edges"]] == expected


async def test_every_filter_given_must_hold(admin: GraphQLClient, book: Book) -> None:
    # given
    (acme,) = await _clients(book, "ACME")
    (eu, _us) = await _clients(book, "ACME-EU", "ACME-US", parent=acme)
    eu.status = GroupStatus.APPROVED
    await _clients(book, "OTHER-EU")
    # when
    page = (
        await admin.query(
            PAGE,
            {
                "filter": {
                    "parentId": global_id("GroupClient", acme.id),  # type: ignore[arg-type]
                    "search": "eu",
                    "status": "APPROVED",
                }
            },
        )
    )["groupClients"]
    # then
    assert [e["node"]["code"] for e in page["edges"]] == ["ACME-EU"]
    assert page["totalCount"] == 1


async def test_filters_hold_across_pages(admin: GraphQLClient, book: Book) -> None:
    # given
    await _clients(book, "EU-1", "US-1", "EU-2", "US-2", "EU-3")
    first = (await admin.query(PAGE, {"first": 2, "filter": {"search": "eu"}}))["groupClients"]
    # when
    second = (
        await admin.query(
            PAGE, {"first": 2, "after": first["pageInfo"]["endCursor"], "filter": {"search": "eu"}}
        )
    )["groupClients"]
    # then
    assert [e["node"]["code"] for e in first["edges"]] == ["EU-1", "EU-2"]
    assert [e["node"]["code"] for e in second["edges"]] == ["EU-3"]
    assert (first["totalCount"], second["totalCount"]) == (3, 3)
    assert second["pageInfo"]["hasNextPage"] is False


# One group client or account


async def test_finds_a_group_client_by_id_or_by_code(admin: GraphQLClient, book: Book) -> None:
    # given
    (acme, _other) = await _clients(book, "ACME", "OTHER")
    acme_id = global_id("GroupClient", acme.id)  # type: ignore[arg-type]
    # when
    by_id = (await admin.query(CLIENT, {"id": acme_id}))["groupClient"]
    by_code = (await admin.query(CLIENT, {"code": "ACME"}))["groupClient"]
    # then
    assert by_id == by_code == {"id": acme_id, "code": "ACME", "name": "Client"}


@pytest.mark.parametrize(
    "variables",
    [
        pytest.param({"code": "NOBODY"}, id="unknown-code"),
        pytest.param({"id": global_id("GroupClient", 999_999)}, id="unknown-id"),
        pytest.param({"id": "garbage"}, id="malformed-id"),
        pytest.param({"id": global_id("GroupAccount", 1)}, id="id-of-another-type"),
    ],
)
async def test_no_group_client_is_null(
    admin: GraphQLClient, book: Book, variables: dict[str, str]
) -> None:
    # given
    await book.account(await book.client(code="ACME"))
    await book.session.commit()
    # when
    data = await admin.query(CLIENT, variables)
    # then
    assert data["groupClient"] is None


@pytest.mark.parametrize("query", [CLIENT, ACCOUNT], ids=["groupClient", "groupAccount"])
@pytest.mark.parametrize(
    "variables",
    [pytest.param({}, id="neither"), pytest.param({"id": "x", "code": "ACME"}, id="both")],
)
async def test_wants_exactly_one_of_id_and_code(
    admin: GraphQLClient, book: Book, query: str, variables: dict[str, str]
) -> None:
    # given
    await book.account(await book.client(code="ACME"), code="ACME")
    await book.session.commit()
    # when
    body = await admin.raw(query, variables)
    # then
    (error,) = body["errors"]
    assert error["message"] == "Give exactly one of `id` and `code`."
    assert list(body["data"].values()) == [None]


async def test_finds_a_group_account_by_code_or_by_id(admin: GraphQLClient, book: Book) -> None:
    # given
    account = await book.account(await book.client(code="ACME"), code="ACME-STAFF")
    await book.session.commit()
    account_id = global_id("GroupAccount", account.id)  # type: ignore[arg-type]
    # when
    by_code = (await admin.query(ACCOUNT, {"code": "ACME-STAFF"}))["groupAccount"]
    by_id = (await admin.query(ACCOUNT, {"id": account_id}))["groupAccount"]
    unknown = (await admin.query(ACCOUNT, {"code": "NOBODY"}))["groupAccount"]
    # then
    assert (
        by_code
        == by_id
        == {
            "id": account_id,
            "code": "ACME-STAFF",
            "groupClient": {"code": "ACME"},
        }
    )
    assert unknown is None
