"""policy, policies and the policies of a group account or client: lookups, pages, filters."""

from __future__ import annotations

from typing import Any

import pytest

from schema.core.relay import global_id
from tests.factories import Book, Place, place
from tests.graphql import GraphQLClient, ok
from tests.schema.policies.enrol import days, enrol, person

PAGE = """
query($first: Int, $after: String, $filter: PolicyFilter) {
  policies(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { number } }
  }
}
"""


def _numbers(data: dict[str, Any]) -> list[str]:
    return [edge["node"]["number"] for edge in data["policies"]["edges"]]


async def _three(admin: GraphQLClient, where: Place) -> list[dict[str, Any]]:
    made = []
    for n, name in enumerate(["Ann", "Bob", "Cyd"]):
        subscriber = {"person": person(name, nationalId=f"NID-{name}")}
        made.append(
            await enrol(admin, where, number=f"P-{n}", subscriber=subscriber, dependants=[])
        )
    return made


async def test_a_policy_by_id_or_number_and_null_when_unknown(
    admin: GraphQLClient, acme: Place
) -> None:
    # given
    made = await enrol(admin, acme, number="P-42")
    query = "query($id: ID, $number: String) { policy(id: $id, number: $number) { number } }"
    # then
    assert await admin.query(query, {"id": made["id"]}) == {"policy": {"number": "P-42"}}
    assert await admin.query(query, {"number": "P-42"}) == {"policy": {"number": "P-42"}}
    assert await admin.query(query, {"number": "P-43"}) == {"policy": None}
    assert await admin.query(query, {"id": global_id("Policy", 999)}) == {"policy": None}
    both = await admin.raw(query, {"id": made["id"], "number": "P-42"})
    assert both["errors"][0]["message"] == "Give exactly one of `id` and `number`."


async def test_pages_through_the_policies_in_creation_order(
    admin: GraphQLClient, acme: Place
) -> None:
    # given
    await _three(admin, acme)
    # when
    first = await admin.query(PAGE, {"first": 2})
    rest = await admin.query(
        PAGE, {"first": 2, "after": first["policies"]["pageInfo"]["endCursor"]}
    )
    # then
    assert _numbers(first) == ["P-0", "P-1"]
    assert first["policies"]["pageInfo"]["hasNextPage"] is True
    assert _numbers(rest) == ["P-2"]
    assert rest["policies"]["totalCount"] == 3
    too_many = await admin.raw(PAGE, {"first": 101})
    assert "between 0 and 100" in too_many["errors"][0]["message"]


@pytest.mark.parametrize(
    ("search", "found"),
    [("p-1", ["P-1"]), ("cyd", ["P-2"]), ("DOE", ["P-0", "P-1", "P-2"]), ("a\u0000", [])],
)
async def test_searches_number_and_subscriber_names(
    admin: GraphQLClient, acme: Place, search: str, found: list[str]
) -> None:
    # given
    await _three(admin, acme)
    # when
    data = await admin.query(PAGE, {"filter": {"search": search}})
    # then
    assert _numbers(data) == found


async def test_filters_by_status_and_by_the_day_in_force(admin: GraphQLClient, acme: Place) -> None:
    # given P-0 ends in five days, P-2 starts next week
    made = await _three(admin, acme)
    ok(
        await admin.mutate(
            "mutation($input: PolicyTerminateInput!) { policyTerminate(input: $input) "
            "{ policy { id } errors { field code message } } }",
            {
                "input": {
                    "policyId": made[0]["id"],
                    "version": made[0]["version"],
                    "endDate": days(5),
                }
            },
        )
    )
    await enrol(admin, acme, number="P-3", startDate=days(7), subscriber={"person": person("Dee")})
    # then
    terminated = await admin.query(PAGE, {"filter": {"status": "TERMINATED"}})
    assert _numbers(terminated) == ["P-0"]
    today = await admin.query(PAGE, {"filter": {"asOf": days(0)}})
    assert _numbers(today) == ["P-0", "P-1", "P-2"]
    later = await admin.query(PAGE, {"filter": {"asOf": days(10)}})
    assert _numbers(later) == ["P-1", "P-2", "P-3"]


async def test_filters_by_group_account_and_client_subtree(
    admin: GraphQLClient, acme: Place, book: Book
) -> None:
    # given a policy in ACME, one in its subsidiary, one elsewhere
    sub = await place(book, code="ACME-SUB", parent=acme.client)
    other = await place(book, code="GLOBEX")
    await enrol(admin, acme, number="A", dependants=[])
    await enrol(admin, sub, number="S", subscriber={"person": person("Sue")}, dependants=[])
    await enrol(admin, other, number="G", subscriber={"person": person("Gus")}, dependants=[])
    # when
    by_client = await admin.query(
        PAGE,
        {"filter": {"groupClientId": global_id("GroupClient", acme.client.id)}},  # type: ignore[arg-type]
    )
    by_account = await admin.query(
        PAGE,
        {"filter": {"groupAccountId": global_id("GroupAccount", sub.account.id)}},  # type: ignore[arg-type]
    )
    unknown = await admin.query(PAGE, {"filter": {"groupAccountId": "not-an-id"}})
    nested = await admin.query(
        'query { groupAccount(code: "GLOBEX-GA") { policies { totalCount '
        "edges { node { number } } } } }"
    )
    # then
    assert _numbers(by_client) == ["A", "S"]
    assert _numbers(by_account) == ["S"]
    assert unknown["policies"]["totalCount"] == 0
    assert nested["groupAccount"]["policies"]["edges"] == [{"node": {"number": "G"}}]
