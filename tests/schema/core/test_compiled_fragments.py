"""Documents written as clients write them (fragments, @skip and @include, a key asked twice) are
answered by their plan exactly as the executor answers them, keys in the same order.

Each document goes to the app with compiled reads and to the one without
(tests/schema/core/conftest.py); the bodies must be the same bytes, and the plan must have
given the first.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from graphql import parse
from sqlalchemy.ext.asyncio import AsyncSession

from authz.principal import Principal, Role
from domain.policies.limits import utc_today
from schema.core import compiled
from schema.core.compiled import Plans
from schema.root import schema
from tests.factories import Book, families, place
from tests.schema.core.conftest import Both, Served

ADMIN = Principal("admin-1", frozenset({Role.ADMIN}))


async def _families(session: AsyncSession) -> None:
    book = await Book(session).setup()
    where = await place(book, code="ACME")
    await families(book, where, 3, since=utc_today() - timedelta(days=10))


async def _sent(both: Both, query: str, variables: dict[str, Any] | None = None) -> Any:
    """The plan's body, once it is the executor's to the byte and had no errors."""
    (compiled_body, compiled_statements), (body, executed) = await both.send(
        ADMIN, query, variables
    )
    assert "errors" not in body, body
    assert json.dumps(compiled_body) == json.dumps(body)
    assert compiled_statements == executed
    return compiled_body


def _first_node(body: Any) -> Any:
    return body["data"]["policies"]["edges"][0]["node"]


NODE = "query { policies(first: 3) { edges { node { NODE } } } } "
DOCUMENTS = {
    "a named fragment, and `id` twice": (
        NODE.replace("NODE", "id ...Policy number") + "fragment Policy on Policy { id status }",
        ["id", "status", "number"],
    ),
    "inline fragments, with a type and without": (
        NODE.replace("NODE", "... on Policy { number } ... { status }"),
        ["number", "status"],
    ),
    "a fragment on Node, an interface the field does not return": (
        NODE.replace("NODE", "... on Node { id } number"),
        ["id", "number"],
    ),
    "a fragment on a type the field does not return": (
        NODE.replace("NODE", "number ... on Node { ... on GroupClient { code } }"),
        ["number"],
    ),
    "a key twice, the second in a fragment that comes first": (
        NODE.replace("NODE", "... on Policy { startDate number } status number"),
        ["startDate", "number", "status"],
    ),
    "literal @skip and @include": (
        NODE.replace(
            "NODE",
            "number @skip(if: true) status @include(if: true) "
            "... @include(if: false) { version } ... on Policy @skip(if: false) { startDate }",
        ),
        ["status", "startDate"],
    ),
    "a fragment spread twice": (
        NODE.replace("NODE", "...Policy ...Policy") + "fragment Policy on Policy { number }",
        ["number"],
    ),
}


@pytest.mark.parametrize("case", list(DOCUMENTS), ids=list(DOCUMENTS))
async def test_fragments_directives_and_a_key_twice_are_answered_by_the_plan(
    session: AsyncSession, both: Both, served: Served, case: str
) -> None:
    # given three families
    await _families(session)
    query, keys = DOCUMENTS[case]
    # when the document is sent to both apps
    body = await _sent(both, query)
    # then the plan answered, as the executor did, with the keys graphql-core collects
    assert served.answers == [True]
    assert list(_first_node(body)) == keys


async def test_a_key_twice_merges_the_selections_below_it(
    session: AsyncSession, both: Both, served: Served
) -> None:
    # given three families, each with members
    await _families(session)
    # when `members` is asked twice, with different fields below, once through a fragment
    query = (
        NODE.replace("NODE", "members { relationship } ...Members")
        + "fragment Members on Policy { members { person { givenName } relationship } }"
    )
    body = await _sent(both, query)
    # then each member answers both selections, merged, in the order first asked
    assert served.answers == [True]
    members = _first_node(body)["members"]
    assert members
    assert all(list(member) == ["relationship", "person"] for member in members)
    assert all(member["person"]["givenName"] for member in members)


async def test_a_resolver_sees_every_node_merged_under_its_key(
    session: AsyncSession, both: Both, served: Served
) -> None:
    # given three families
    await _families(session)
    # when a page's first node asks the policies' numbers and its second, for the same key,
    # whether there is a next page and the policies' statuses
    query = (
        "query { p: policies(first: 2) { edges { node { number } } } "
        "p: policies(first: 2) { pageInfo { hasNextPage } edges { node { status } } } }"
    )
    body = await _sent(both, query)
    # then the page read what both nodes ask: the row past its end, and the status column
    assert served.answers == [True]
    page = body["data"]["p"]
    assert page["pageInfo"] == {"hasNextPage": True}
    assert all(edge["node"]["number"] and edge["node"]["status"] for edge in page["edges"])


SWITCHED = (
    "query Switched($v: Boolean!) { policies(first: 2) { totalCount @skip(if: $v) "
    "edges { node { number ... on Policy @include(if: $v) { status } } } } }"
)


async def test_a_variable_of_skip_and_include_is_answered_both_ways_by_a_plan_each(
    session: AsyncSession, both: Both, served: Served
) -> None:
    # given three families
    await _families(session)
    # when the same document is sent with its switch on, off, and on again
    bodies = [await _sent(both, SWITCHED, {"v": v}) for v in (True, False, True)]
    # then a plan answered each, leaving out what the switch leaves out
    assert served.answers == [True, True, True]
    on, off, again = (body["data"]["policies"] for body in bodies)
    assert list(on) == ["edges"]
    assert list(on["edges"][0]["node"]) == ["number", "status"]
    assert list(off) == ["totalCount", "edges"]
    assert list(off["edges"][0]["node"]) == ["number"]
    assert again == on


async def test_a_null_switch_is_the_executors_error(
    session: AsyncSession, both: Both, served: Served
) -> None:
    # given three families, and a switch whose default is on
    await _families(session)
    query = "query Q($v: Boolean = true) { policies(first: 1) @skip(if: $v) { totalCount } }"
    # when it is sent null
    (compiled_body, _), (body, _) = await both.send(ADMIN, query, {"v": None})
    # then no plan answered, and the executor's error is the answer
    assert served.answers == []
    assert body["errors"]
    assert json.dumps(compiled_body) == json.dumps(body)
    # and left out, its default skips the field: a plan answers with nothing
    assert (await _sent(both, query))["data"] == {}
    assert served.answers == [True]


def _plan(plans: Plans, query: str, variables: dict[str, Any]) -> Any:
    found = plans.plan(schema._schema, parse(query), (query, None), variables)
    assert found is not None
    return found[0]


def test_a_document_has_a_plan_per_value_of_its_switches_and_keeps_it() -> None:
    # given the plans of no document yet
    plans = Plans()
    # when a document with a switch is planned for each value, and for the first again
    on, off, again = (_plan(plans, SWITCHED, {"v": v}) for v in (True, False, True))
    # then each value has its plan, made once
    assert on is not off
    assert again is on
    # and the other variables do not make another
    query = SWITCHED.replace("Boolean!", "Boolean!, $n: Int").replace("first: 2", "first: $n")
    assert _plan(plans, query, {"v": True, "n": 1}) is _plan(plans, query, {"v": True, "n": 2})


def test_the_plans_kept_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    # given room for two plans
    monkeypatch.setattr(compiled, "CACHED_PLANS", 2)
    plans = Plans()
    # when a document is planned for both values of its switch, then another document
    _plan(plans, SWITCHED, {"v": True})
    _plan(plans, SWITCHED, {"v": False})
    _plan(plans, NODE.replace("NODE", "number"), {})
    # then the oldest plan went
    assert len(plans.plans) == 2
    assert len(plans.operations) == 2
    assert (SWITCHED, None, (True,)) not in plans.plans


def test_a_merged_fields_info_carries_all_its_nodes_and_the_first_ones_arguments() -> None:
    # when a page is asked twice under one key, once through a fragment
    query = (
        "query { p: policies(first: 2) { totalCount } ...Q } "
        "fragment Q on Query { p: policies(first: 2) { edges { cursor } } }"
    )
    plan = _plan(Plans(), query, {})
    # then its resolver is given both nodes, in the document's order, and the fragments
    page = next(field for field in plan.resolved if field.key == "p")
    assert [node.selection_set.selections[0].name.value for node in page.nodes] == [
        "totalCount",
        "edges",
    ]
    assert page.node is page.nodes[0]
    assert set(plan.fragments) == {"Q"}
