"""events: a policy's life in order, a deletion in its parent's feed, bad arguments refused,
and a page that costs the same statements for one event as for many."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from authz.principal import Role
from schema.core.relay import global_id
from tests.conftest import StatementCounter
from tests.factories import Book, place
from tests.graphql import GraphQLClient, ok
from tests.schema.events.conftest import signed_in
from tests.schema.policies.enrol import days, enrol, person

FEED = """
query Feed($first: Int, $after: String, $filter: EventFilter) {
  events(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { node { type subjectType subjectId sequence payload } }
  }
}
"""
ADD = """
mutation($input: PolicyMemberAddInput!) {
  policyMemberAdd(input: $input) { policy { id version } errors { field code message } }
}
"""
TERMINATE = """
mutation($input: PolicyTerminateInput!) {
  policyTerminate(input: $input) { policy { id version } errors { field code message } }
}
"""
CREATE = """
mutation($input: GroupClientCreateInput!) {
  groupClientCreate(input: $input) { groupClient { id version } errors { field code message } }
}
"""
DELETE = """
mutation($input: GroupClientDeleteInput!) {
  groupClientDelete(input: $input) { deletedId errors { field code message } }
}
"""


def _nodes(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in data["events"]["edges"]]


async def test_a_policy_s_events_come_in_order_numbered_one_by_one(
    http: AsyncClient, admin: GraphQLClient, book: Book
) -> None:
    # given
    acme = await place(book)
    policy = await enrol(admin, acme, number="A-1", startDate=days(-7), dependants=[])
    added = ok(
        await admin.mutate(
            ADD,
            {
                "input": {
                    "policyId": policy["id"],
                    "version": policy["version"],
                    "person": person("Baby", born=days(-3)),
                    "relationship": "CHILD",
                    "startDate": days(-3),
                    "coverageTier": "EMPLOYEE_CHILDREN",
                }
            },
        )
    )["policy"]
    ok(
        await admin.mutate(
            TERMINATE,
            {"input": {"policyId": added["id"], "version": added["version"], "endDate": days(5)}},
        )
    )
    manager = signed_in(http, Role.GROUP_MANAGER, groups=frozenset({"ACME"}))
    # when
    data = await manager.query(FEED, {"first": 10})
    # then
    assert [(n["type"], n["sequence"]) for n in _nodes(data)] == [
        ("policy.enrolled", 1),
        ("policy.member_added", 2),
        ("policy.terminated", 3),
    ]
    assert {n["subjectId"] for n in _nodes(data)} == {policy["id"]}
    assert _nodes(data)[2]["payload"]["end_date"] == days(5)


async def test_a_deleted_client_s_event_reaches_whoever_reaches_its_parent(
    http: AsyncClient, admin: GraphQLClient, book: Book
) -> None:
    # given
    acme = await place(book, code="ACME")
    await place(book, code="GLOBEX")
    fields = {"code": "GONE", "name": "Gone", "lineOfBusiness": "HEALTH", "dataAccessGroup": "EU"}
    parent = global_id("GroupClient", acme.client.id)  # type: ignore[arg-type]
    made = ok(await admin.mutate(CREATE, {"input": {**fields, "parentId": parent}}))
    gone = made["groupClient"]
    ok(await admin.mutate(DELETE, {"input": {"id": gone["id"], "version": gone["version"]}}))
    deletions = {"filter": {"types": ["group_client.deleted"]}}
    # when
    ours = await signed_in(http, Role.PARTNER, groups=frozenset({"ACME"})).query(FEED, deletions)
    theirs = await signed_in(http, Role.PARTNER, groups=frozenset({"GLOBEX"})).query(
        FEED, deletions
    )
    # then
    assert [(n["payload"]["code"], n["sequence"]) for n in _nodes(ours)] == [("GONE", 2)]
    assert _nodes(theirs) == []


@pytest.mark.parametrize(
    ("variables", "says"),
    [
        ({"first": 101}, "`first`"),
        ({"after": "not-a-cursor"}, "`after`"),
        ({"filter": {"types": ["x"] * 101}}, "`filter.types`"),
        ({"filter": {"groupClientIds": ["x"] * 101}}, "`filter.groupClientIds`"),
    ],
)
async def test_bad_arguments_are_refused_naming_the_argument(
    admin: GraphQLClient, variables: dict[str, Any], says: str
) -> None:
    # when
    answer = await admin.raw(FEED, variables)
    # then
    assert answer["data"] == {"events": None}
    assert says in answer["errors"][0]["message"]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PARTNER])
async def test_a_page_costs_the_same_statements_for_one_event_or_many(
    http: AsyncClient, admin: GraphQLClient, book: Book, statements: StatementCounter, role: Role
) -> None:
    # given
    acme = await place(book)
    reader = signed_in(http, role, groups=frozenset({"ACME"}))
    counts = []
    for number in ("P-1", "P-2", "P-3", "P-4"):
        await enrol(admin, acme, number=number, subscriber={"person": person(number)})
        statements.reset()
        # when
        data = await reader.query(FEED, {"first": 10})
        counts.append(statements.count)
        # then
        assert data["events"]["totalCount"] == len(_nodes(data))
    assert len(set(counts)) == 1, counts
    assert len(_nodes(data)) == 4
