"""node(id:): any object by its global id; null, without errors, when there is none."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry import relay

from tests.factories import Book
from tests.graphql import GraphQLClient, answer

IDS = """
query Ids($code: String!) {
  groupAccount(code: $code) {
    id
    groupClient { id }
    insurableClasses { id }
    products { id product { id } }
  }
}
"""

NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename id
    ... on GroupClient { code }
    ... on GroupAccount { code }
    ... on InsurableClass { code }
    ... on GroupAccountProduct { product { code } }
    ... on Product { code }
  }
}
"""


@pytest.fixture
async def book(session) -> Book:
    return await Book(session).setup()


@pytest.fixture
async def ids(admin: GraphQLClient, book: Book) -> dict[str, str]:
    """The global ids of one object of every node type, as the API gives them out."""
    await book.account(await book.client(code="ACME"), code="ACME-STAFF", classes=1, products=1)
    await book.session.commit()
    account = (await admin.query(IDS, {"code": "ACME-STAFF"}))["groupAccount"]
    (insurable_class,) = account["insurableClasses"]
    (offer,) = account["products"]
    return {
        "GroupClient": account["groupClient"]["id"],
        "GroupAccount": account["id"],
        "InsurableClass": insurable_class["id"],
        "GroupAccountProduct": offer["id"],
        "Product": offer["product"]["id"],
    }


async def _node(admin: GraphQLClient, node_id: str) -> Any:
    return (await admin.query(NODE, {"id": node_id}))["node"]


@pytest.mark.parametrize(
    ("type_name", "fields"),
    [
        ("GroupClient", {"code": "ACME"}),
        ("GroupAccount", {"code": "ACME-STAFF"}),
        ("InsurableClass", {"code": "C0"}),
        ("GroupAccountProduct", {"product": {"code": "MED-PPO"}}),
        ("Product", {"code": "MED-PPO"}),
    ],
)
async def test_returns_each_node_type(
    admin: GraphQLClient, ids: dict[str, str], type_name: str, fields: dict[str, Any]
) -> None:
    # when
    node = await _node(admin, ids[type_name])
    # then
    assert node == {"__typename": type_name, "id": ids[type_name], **fields}


async def test_returns_several_nodes_in_one_query(
    admin: GraphQLClient, ids: dict[str, str]
) -> None:
    # when
    data = await admin.query(
        "query($a: ID!, $b: ID!) { a: node(id: $a) { __typename } b: node(id: $b) { __typename } }",
        {"a": ids["GroupClient"], "b": ids["Product"]},
    )
    # then
    assert data == {"a": {"__typename": "GroupClient"}, "b": {"__typename": "Product"}}


@pytest.mark.parametrize(
    "node_id",
    [
        pytest.param(relay.to_base64("GroupClient", "999999"), id="unknown-group-client"),
        pytest.param(relay.to_base64("GroupAccountProduct", "999999"), id="unknown-offer"),
        pytest.param(relay.to_base64("Product", "0"), id="unknown-product"),
        pytest.param(relay.to_base64("GroupClient", "-1"), id="negative"),
        pytest.param(relay.to_base64("GroupClient", "x"), id="not-a-number"),
        pytest.param("not-a-global-id", id="malformed"),
        pytest.param("", id="empty"),
        pytest.param(relay.to_base64("LineOfBusiness", "1"), id="type-not-a-node"),
        pytest.param(relay.to_base64("AuditEvent", "1"), id="audit-event-not-a-node"),
        pytest.param(relay.to_base64("Query", "1"), id="root-type"),
        pytest.param(relay.to_base64("NoSuchType", "1"), id="unknown-type"),
    ],
)
async def test_no_node_is_null_without_errors(
    admin: GraphQLClient, ids: dict[str, str], node_id: str
) -> None:
    # when
    body = await admin.raw(NODE, {"id": node_id})
    # then
    assert answer(body) == {"data": {"node": None}}


async def test_an_id_beyond_any_row_is_null_without_errors(
    admin: GraphQLClient, ids: dict[str, str]
) -> None:
    # when
    body = await admin.raw(NODE, {"id": relay.to_base64("GroupClient", str(2**63))})
    # then
    assert answer(body) == {"data": {"node": None}}
