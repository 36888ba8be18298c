"""Reading policies: by id and number, pages, every filter, as-of views and the groups' lists."""

from __future__ import annotations

from typing import Any

import pytest

from schema.core.relay import global_id
from tests.factories import Book, Place, place
from tests.graphql import GraphQLClient, ok
from tests.schema.policies.enrol import days, enrol, person

ONE = """
query($id: ID, $number: String) {
  policy(id: $id, number: $number) { id number subscriber { givenName } }
}
"""

PAGE = """
query($first: Int, $after: String, $filter: PolicyFilter) {
  policies(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { node { number } }
  }
}
"""

MOVE = """
mutation($input: PolicyMoveInput!) {
  policyMove(input: $input) { policy { id version } errors { field code message } }
}
"""

TERMINATE = """
mutation($input: PolicyTerminateInput!) {
  policyTerminate(input: $input) { policy { id } errors { field code message } }
}
"""

VIEW = """
query($id: ID!, $before: Date!, $after: Date!) {
  policy(id: $id) {
    before: groupAccount(asOf: $before) { code }
    after: groupAccount(asOf: $after) { code }
    classBefore: insurableClass(asOf: $before) { code }
    classAfter: insurableClass(asOf: $after) { code }
    history { groupAccounts { groupAccount { code } startDate endDate } }
  }
}
"""

DATED = """
query($id: ID!, $later: Date!) {
  policy(id: $id) {
    members { person { givenName } }
    later: members(asOf: $later) { person { givenName } relationship }
    enrollmentProducts { product { code } }
    productsLater: enrollmentProducts(asOf: $later) { product { code } }
    history { members { person { givenName } startDate } }
  }
}
"""

ACCOUNT_POLICIES = """
query($code: String!, $first: Int, $after: String, $asOf: Date) {
  groupAccount(code: $code) {
    policies(first: $first, after: $after, asOf: $asOf) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { number } }
    }
  }
}
"""

CLIENT_POLICIES = """
query($code: String!, $asOf: Date) {
  groupClient(code: $code) {
    policies(asOf: $asOf) { totalCount edges { node { number } } }
  }
}
"""

NODES = """
query($policy: ID!, $person: ID!, $product: ID!) {
  policy: node(id: $policy) { ... on Policy { number } }
  person: node(id: $person) { ... on Person { givenName } }
  product: node(id: $product) { ... on EnrollmentProduct { coverageTier product { code } } }
}
"""


def _numbers(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["number"] for edge in connection["edges"]]


def _gid(kind: str, row: Any) -> str:
    return global_id(kind, row.id)


async def _policy(client: GraphQLClient, where: Place, number: str, name: str, **more: Any) -> Any:
    subscriber = {"person": person(name, familyName=f"{name}son", nationalId=f"NID-{number}")}
    return await enrol(client, where, number=number, subscriber=subscriber, dependants=[], **more)


async def _page(client: GraphQLClient, **variables: Any) -> dict[str, Any]:
    return (await client.query(PAGE, variables))["policies"]


async def test_a_policy_by_id_and_by_number_and_null_when_unknown(
    admin: GraphQLClient, acme: Place
) -> None:
    # given
    made = await _policy(admin, acme, "P-42", "Ann")
    # when
    by_id = await admin.query(ONE, {"id": made["id"]})
    by_number = await admin.query(ONE, {"number": "P-42"})
    unknown_number = await admin.query(ONE, {"number": "P-43"})
    unknown_id = await admin.query(ONE, {"id": global_id("Policy", 999_999)})
    other_type = await admin.query(ONE, {"id": _gid("GroupAccount", acme.account)})
    both = await admin.raw(ONE, {"id": made["id"], "number": "P-42"})
    # then
    expected = {"policy": {"id": made["id"], "number": "P-42", "subscriber": {"givenName": "Ann"}}}
    assert by_id == expected
    assert by_number == expected
    assert unknown_number == unknown_id == other_type == {"policy": None}
    assert both["errors"][0]["message"] == "Give exactly one of `id` and `number`."


async def test_pages_through_every_policy_in_creation_order(
    admin: GraphQLClient, acme: Place
) -> None:
    # given five policies
    for n, name in enumerate(["Ann", "Bob", "Cyd", "Dan", "Eve"]):
        await _policy(admin, acme, f"P-{n}", name)
    # when
    first = await _page(admin, first=2)
    second = await _page(admin, first=2, after=first["pageInfo"]["endCursor"])
    last = await _page(admin, first=2, after=second["pageInfo"]["endCursor"])
    # then
    assert [_numbers(p) for p in (first, second, last)] == [["P-0", "P-1"], ["P-2", "P-3"], ["P-4"]]
    assert [p["pageInfo"]["hasNextPage"] for p in (first, second, last)] == [True, True, False]
    assert [p["pageInfo"]["hasPreviousPage"] for p in (first, second, last)] == [False, True, True]
    assert {p["totalCount"] for p in (first, second, last)} == {5}


@pytest.mark.parametrize("first", [101, -1])
async def test_a_page_size_outside_0_to_100_is_an_error(
    admin: GraphQLClient, acme: Place, first: int
) -> None:
    # given
    await _policy(admin, acme, "P-0", "Ann")
    # when
    body = await admin.raw(PAGE, {"first": first})
    # then
    assert body["data"] == {"policies": None}
    assert body["errors"][0]["message"] == f"`first` must be between 0 and 100, got {first}."


async def test_filters_by_group_account_and_by_group_client_with_its_whole_subtree(
    admin: GraphQLClient, acme: Place, book: Book
) -> None:
    # given ACME > ACME-SUB > ACME-SUB-SUB, and GLOBEX beside them, a policy in each
    sub = await place(book, code="ACME-SUB", parent=acme.client)
    deep = await place(book, code="ACME-SUB-SUB", parent=sub.client)
    globex = await place(book, code="GLOBEX")
    for where, number in ((acme, "A"), (sub, "S"), (deep, "D"), (globex, "G")):
        await _policy(admin, where, number, f"Holder{number}")
    # when
    by_top = await _page(admin, filter={"groupClientId": _gid("GroupClient", acme.client)})
    by_middle = await _page(admin, filter={"groupClientId": _gid("GroupClient", sub.client)})
    by_account = await _page(admin, filter={"groupAccountId": _gid("GroupAccount", sub.account)})
    both = await _page(
        admin,
        filter={
            "groupClientId": _gid("GroupClient", acme.client),
            "groupAccountId": _gid("GroupAccount", globex.account),
        },
    )
    not_an_id = await _page(admin, filter={"groupAccountId": "not-an-id"})
    # then
    assert (_numbers(by_top), by_top["totalCount"]) == (["A", "S", "D"], 3)
    assert (_numbers(not_an_id), not_an_id["totalCount"]) == ([], 0)
    assert _numbers(by_middle) == ["S", "D"]
    assert _numbers(by_account) == ["S"]
    assert (_numbers(both), both["totalCount"]) == ([], 0)


async def test_a_move_shows_the_old_account_before_its_date_and_the_new_one_from_it(
    admin: GraphQLClient, acme: Place, book: Book
) -> None:
    # given a policy of ACME moved to GLOBEX from day 10
    globex = await place(book, code="GLOBEX")
    made = await _policy(admin, acme, "P-1", "Ann")
    move = {
        "policyId": made["id"],
        "version": made["version"],
        "date": days(10),
        "groupAccountId": _gid("GroupAccount", globex.account),
        "insurableClassId": _gid("InsurableClass", globex.executives),
    }
    ok(await admin.mutate(MOVE, {"input": move}))
    old = {"groupAccountId": _gid("GroupAccount", acme.account)}
    new = {"groupAccountId": _gid("GroupAccount", globex.account)}
    # when
    found = {
        (name, day): _numbers(await _page(admin, filter={**where, "asOf": days(day)}))
        for name, where in (("old", old), ("new", new))
        for day in (9, 10)
    }
    ever = [_numbers(await _page(admin, filter=where)) for where in (old, new)]
    view = await admin.query(VIEW, {"id": made["id"], "before": days(9), "after": days(10)})
    # then
    assert found == {
        ("old", 9): ["P-1"],
        ("old", 10): [],
        ("new", 9): [],
        ("new", 10): ["P-1"],
    }
    assert ever == [["P-1"], ["P-1"]]
    policy = view["policy"]
    assert (policy["before"], policy["after"]) == ({"code": "ACME-GA"}, {"code": "GLOBEX-GA"})
    assert (policy["classBefore"], policy["classAfter"]) == ({"code": "STAFF"}, {"code": "EXEC"})
    assert policy["history"]["groupAccounts"] == [
        {"groupAccount": {"code": "ACME-GA"}, "startDate": days(0), "endDate": days(9)},
        {"groupAccount": {"code": "GLOBEX-GA"}, "startDate": days(10), "endDate": None},
    ]


async def test_filters_by_status_and_by_the_day_in_force(admin: GraphQLClient, acme: Place) -> None:
    # given P-0 terminated after day 5, P-1 running, P-2 starting on day 7
    ended = await _policy(admin, acme, "P-0", "Ann")
    await _policy(admin, acme, "P-1", "Bob")
    await _policy(admin, acme, "P-2", "Cyd", startDate=days(7))
    terminate = {"policyId": ended["id"], "version": ended["version"], "endDate": days(5)}
    ok(await admin.mutate(TERMINATE, {"input": terminate}))
    # when
    terminated = await _page(admin, filter={"status": "TERMINATED"})
    active = await _page(admin, filter={"status": "ACTIVE"})
    today = await _page(admin, filter={"asOf": days(0)})
    day_5 = await _page(admin, filter={"asOf": days(5)})
    day_7 = await _page(admin, filter={"asOf": days(7)})
    # then
    assert (_numbers(terminated), terminated["totalCount"]) == (["P-0"], 1)
    assert _numbers(active) == ["P-1", "P-2"]
    assert _numbers(today) == ["P-0", "P-1"]
    assert _numbers(day_5) == ["P-0", "P-1"]
    assert (_numbers(day_7), day_7["totalCount"]) == (["P-1", "P-2"], 2)


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("x-2", ["X-2"]),  # the number, ignoring case
        ("  BOB  ", ["X-2"]),  # the given name, trimmed
        ("cydson", ["X-3"]),  # the family name
        ("son", ["X-1", "X-2", "X-3"]),
        ("", ["X-1", "X-2", "X-3"]),
        ("%", []),  # a wildcard is a plain character
        ("_", []),
        ("nobody", []),
    ],
)
async def test_searches_the_number_and_the_subscribers_names(
    admin: GraphQLClient, acme: Place, search: str, found: list[str]
) -> None:
    # given
    for n, name in enumerate(["Ann", "Bob", "Cyd"], start=1):
        await _policy(admin, acme, f"X-{n}", name)
    # when
    page = await _page(admin, filter={"search": search})
    # then
    assert _numbers(page) == found
    assert page["totalCount"] == len(found)


async def test_searches_the_subscribers_person_number(admin: GraphQLClient, acme: Place) -> None:
    # given
    await _policy(admin, acme, "X-1", "Ann")
    bob = await _policy(admin, acme, "X-2", "Bob")
    number = bob["subscriber"]["personNumber"]
    # when
    exact = await _page(admin, filter={"search": number.lower()})
    # then
    assert _numbers(exact) == ["X-2"]


async def test_members_and_products_default_to_today_and_history_lists_every_row(
    admin: GraphQLClient, acme: Place
) -> None:
    # given medical from today; the spouse and term life only from day 5
    made = await enrol(
        admin,
        acme,
        dependants=[{"person": person("Jane"), "relationship": "SPOUSE", "startDate": days(5)}],
        products=[
            {"productCode": "MED-PPO", "coverageTier": "FAMILY"},
            {"productCode": "LIFE-2X", "coverageTier": "EMPLOYEE_ONLY", "startDate": days(5)},
        ],
        insurableClassId=_gid("InsurableClass", acme.executives),
    )
    # when
    data = await admin.query(DATED, {"id": made["id"], "later": days(5)})
    # then
    policy = data["policy"]
    assert policy["members"] == [{"person": {"givenName": "John"}}]
    assert policy["later"] == [
        {"person": {"givenName": "John"}, "relationship": "SUBSCRIBER"},
        {"person": {"givenName": "Jane"}, "relationship": "SPOUSE"},
    ]
    assert policy["enrollmentProducts"] == [{"product": {"code": "MED-PPO"}}]
    assert sorted(p["product"]["code"] for p in policy["productsLater"]) == ["LIFE-2X", "MED-PPO"]
    assert policy["history"]["members"] == [
        {"person": {"givenName": "John"}, "startDate": days(0)},
        {"person": {"givenName": "Jane"}, "startDate": days(5)},
    ]


async def test_a_group_accounts_policies_page_and_filter_by_day(
    admin: GraphQLClient, acme: Place
) -> None:
    # given three policies, the third starting on day 7
    await _policy(admin, acme, "P-0", "Ann")
    await _policy(admin, acme, "P-1", "Bob")
    await _policy(admin, acme, "P-2", "Cyd", startDate=days(7))
    code = acme.account.code
    # when
    first = await admin.query(ACCOUNT_POLICIES, {"code": code, "first": 2})
    cursor = first["groupAccount"]["policies"]["pageInfo"]["endCursor"]
    rest = await admin.query(ACCOUNT_POLICIES, {"code": code, "first": 2, "after": cursor})
    today = await admin.query(ACCOUNT_POLICIES, {"code": code, "asOf": days(0)})
    too_big = await admin.raw(ACCOUNT_POLICIES, {"code": code, "first": 101})
    # then
    assert _numbers(first["groupAccount"]["policies"]) == ["P-0", "P-1"]
    assert first["groupAccount"]["policies"]["pageInfo"]["hasNextPage"] is True
    assert _numbers(rest["groupAccount"]["policies"]) == ["P-2"]
    assert rest["groupAccount"]["policies"]["totalCount"] == 3
    assert _numbers(today["groupAccount"]["policies"]) == ["P-0", "P-1"]
    assert today["groupAccount"]["policies"]["totalCount"] == 2
    assert "between 0 and 100" in too_big["errors"][0]["message"]


async def test_a_group_clients_policies_cover_its_subtree(
    admin: GraphQLClient, acme: Place, book: Book
) -> None:
    # given ACME and its subsidiary, each with a policy; the subsidiary's starts on day 7
    sub = await place(book, code="ACME-SUB", parent=acme.client)
    globex = await place(book, code="GLOBEX")
    await _policy(admin, acme, "A", "Ann")
    await _policy(admin, sub, "S", "Sue", startDate=days(7))
    await _policy(admin, globex, "G", "Gus")
    # when
    top = await admin.query(CLIENT_POLICIES, {"code": "ACME"})
    today = await admin.query(CLIENT_POLICIES, {"code": "ACME", "asOf": days(0)})
    later = await admin.query(CLIENT_POLICIES, {"code": "ACME", "asOf": days(7)})
    child = await admin.query(CLIENT_POLICIES, {"code": "ACME-SUB"})
    # then
    assert _numbers(top["groupClient"]["policies"]) == ["A", "S"]
    assert top["groupClient"]["policies"]["totalCount"] == 2
    assert _numbers(today["groupClient"]["policies"]) == ["A"]
    assert today["groupClient"]["policies"]["totalCount"] == 1
    assert _numbers(later["groupClient"]["policies"]) == ["A", "S"]
    assert _numbers(child["groupClient"]["policies"]) == ["S"]


async def test_a_person_and_nodes_of_each_policy_type_by_id(
    admin: GraphQLClient, acme: Place
) -> None:
    # given
    made = await enrol(admin, acme, number="P-1")
    found = await admin.query(
        "query($id: ID!) { policy(id: $id) { enrollmentProducts { id } } }", {"id": made["id"]}
    )
    product_id = found["policy"]["enrollmentProducts"][0]["id"]
    spouse_id = made["members"][1]["person"]["id"]
    # when
    nodes = await admin.query(
        NODES, {"policy": made["id"], "person": spouse_id, "product": product_id}
    )
    by_person = await admin.query(
        "query($id: ID!) { person(id: $id) { givenName familyName } }", {"id": spouse_id}
    )
    unknown = await admin.query(
        "query($id: ID!) { person(id: $id) { givenName } }", {"id": global_id("Person", 999_999)}
    )
    # then
    assert nodes == {
        "policy": {"number": "P-1"},
        "person": {"givenName": "Jane"},
        "product": {"coverageTier": "FAMILY", "product": {"code": "MED-PPO"}},
    }
    assert by_person == {"person": {"givenName": "Jane", "familyName": "Doe"}}
    assert unknown == {"person": None}


async def test_a_members_person_asked_through_fragments(admin: GraphQLClient, acme: Place) -> None:
    # given
    made = await enrol(
        admin, acme, dependants=[{"person": person("Jane"), "relationship": "SPOUSE"}]
    )
    # when the person is asked only inside a named and an inline fragment
    data = await admin.query(
        """
        query($id: ID!) { policy(id: $id) { members { ...Who } history { ... on PolicyHistory {
          members { relationship ... on PolicyMember { person { givenName } } } } } } }
        fragment Who on PolicyMember { person { givenName } ageLimitDate }
        """,
        {"id": made["id"]},
    )
    # then
    policy = data["policy"]
    assert [m["person"]["givenName"] for m in policy["members"]] == ["John", "Jane"]
    assert [m["person"]["givenName"] for m in policy["history"]["members"]] == ["John", "Jane"]
