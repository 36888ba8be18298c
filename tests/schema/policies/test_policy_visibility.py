"""Who sees which policies: an employee their own, a group manager their subtree's, the back
office by the policy's own data access group and line of business; hidden ones do not exist."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient

from authz.principal import Principal, Role
from schema.core.relay import global_id
from tests.conftest import token_for
from tests.factories import Book, Place, place
from tests.graphql import GraphQLClient, refused
from tests.schema.policies.enrol import ENROLL, days, enrol, enrol_input, person

LIST = """
query {
  policies { totalCount edges { node { number subscriber { personNumber } groupAccount { code } } } }
}
"""

NODES = """
query($a: ID!, $b: ID!, $p: ID!) {
  a: node(id: $a) { id }
  b: node(id: $b) { id }
  person: node(id: $p) { id }
}
"""


def _as(http: AsyncClient, role: Role, **grants: Any) -> GraphQLClient:
    return GraphQLClient(http, token_for(Principal(f"{role.value}-1", frozenset({role}), **grants)))


def _numbers(data: dict[str, Any]) -> set[str]:
    return {edge["node"]["number"] for edge in data["policies"]["edges"]}


async def _two_groups(admin: GraphQLClient, book: Book) -> tuple[Place, Place, Place]:
    """ACME with a subsidiary ACME-SUB, and GLOBEX; a policy in each of their accounts."""
    acme = await place(book, code="ACME")
    sub = await place(book, code="ACME-SUB", parent=acme.client)
    globex = await place(book, code="GLOBEX")
    for where, number, name in ((acme, "A-1", "Ann"), (sub, "S-1", "Sue"), (globex, "G-1", "Gus")):
        await enrol(admin, where, number=number, subscriber={"person": person(name)})
    return acme, sub, globex


async def test_an_employee_sees_only_their_own_policy_and_family(
    http: AsyncClient, admin: GraphQLClient, acme: Place
) -> None:
    # given two families
    mine = await enrol(admin, acme, number="MINE")
    other = await enrol(
        admin, acme, number="OTHER", subscriber={"person": person("Olga")}, dependants=[]
    )
    me = _as(http, Role.EMPLOYEE, person=mine["subscriber"]["personNumber"])
    # when
    listed = await me.query(LIST)
    found = await me.query(
        NODES,
        {"a": mine["id"], "b": other["id"], "p": other["subscriber"]["id"]},
    )
    family = await me.query(
        "query($id: ID!) { node(id: $id) { ... on Person { givenName } } }",
        {"id": mine["members"][1]["person"]["id"]},
    )
    # then
    assert _numbers(listed) == {"MINE"}
    assert listed["policies"]["totalCount"] == 1
    assert found == {"a": {"id": mine["id"]}, "b": None, "person": None}
    assert family == {"node": {"givenName": "Jane"}}


async def test_a_group_manager_sees_the_policies_of_their_subtree(
    http: AsyncClient, admin: GraphQLClient, book: Book
) -> None:
    # given
    _acme, _sub, globex = await _two_groups(admin, book)
    manager = _as(http, Role.GROUP_MANAGER, groups=frozenset({"ACME"}))
    # when
    listed = await manager.query(LIST)
    tree = await manager.query('query { groupClient(code: "ACME") { policies { totalCount } } }')
    hidden = await manager.query(
        "query($id: ID!) { policies(filter: {groupClientId: $id}) { totalCount } }",
        {"id": global_id("GroupClient", globex.client.id)},  # type: ignore[arg-type]
    )
    # then
    assert _numbers(listed) == {"A-1", "S-1"}
    assert tree["groupClient"]["policies"]["totalCount"] == 2
    assert hidden["policies"]["totalCount"] == 0


async def test_a_group_manager_cannot_change_a_policy_outside_their_subtree(
    http: AsyncClient, admin: GraphQLClient, book: Book
) -> None:
    # given
    _acme, _sub, globex = await _two_groups(admin, book)
    found = await admin.query('query { policy(number: "G-1") { id version } }')
    manager = _as(http, Role.GROUP_MANAGER, groups=frozenset({"ACME"}))
    # when
    payload = await manager.mutate(
        "mutation($input: PolicyTerminateInput!) { policyTerminate(input: $input) "
        "{ policy { id } errors { field code } } }",
        {"input": {"policyId": found["policy"]["id"], "version": 1, "endDate": days(1)}},
    )
    enrolled = await manager.mutate(ENROLL, enrol_input(globex))
    # then both read as unknown
    refused(payload, "NOT_FOUND", ["input", "policyId"])
    refused(enrolled, "NOT_FOUND", ["input", "groupAccountId"])


async def test_the_back_office_sees_a_policy_by_its_own_data_access_group(
    http: AsyncClient, admin: GraphQLClient, acme: Place, book: Book
) -> None:
    # given an EU account holding a US policy, and a US account holding an EU policy
    await enrol(admin, acme, number="EU-IN-EU")
    await enrol(
        admin,
        acme,
        number="US-IN-EU",
        dataAccessGroup="US",
        subscriber={"person": person("Uma")},
        dependants=[],
    )
    us = await place(book, code="US-CO")
    us.account.data_access_group_id = book.dag_us.id  # type: ignore[assignment]
    await book.session.commit()
    await enrol(
        admin,
        us,
        number="EU-IN-US",
        dataAccessGroup="EU",
        subscriber={"person": person("Eve")},
        dependants=[],
    )
    office = _as(
        http,
        Role.BACKOFFICE,
        data_access_groups=frozenset({"EU"}),
        lines_of_business=frozenset({"HEALTH"}),
    )
    # when
    listed = await office.query(LIST)
    # then the policy's own restriction decides, and a hidden account reads as null
    assert _numbers(listed) == {"EU-IN-EU", "EU-IN-US"}
    accounts = {e["node"]["number"]: e["node"]["groupAccount"] for e in listed["policies"]["edges"]}
    assert accounts == {"EU-IN-EU": {"code": "ACME-GA"}, "EU-IN-US": None}


async def test_the_back_office_cannot_enrol_a_policy_outside_its_grants(
    http: AsyncClient, acme: Place
) -> None:
    # given
    office = _as(
        http,
        Role.BACKOFFICE,
        data_access_groups=frozenset({"EU"}),
        lines_of_business=frozenset({"HEALTH"}),
    )
    # when
    payload = await office.mutate(ENROLL, enrol_input(acme, dataAccessGroup="US"))
    # then
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("FORBIDDEN", ["input", "lineOfBusiness"]),
        ("FORBIDDEN", ["input", "dataAccessGroup"]),
    ]
    assert (await office.query(LIST))["policies"]["totalCount"] == 0


async def test_reporting_counts_policies_but_reads_no_personal_field(
    http: AsyncClient, admin: GraphQLClient, acme: Place
) -> None:
    # given
    await enrol(admin, acme, number="A-1")
    reporting = _as(
        http,
        Role.REPORTING,
        data_access_groups=frozenset({"EU"}),
        lines_of_business=frozenset({"HEALTH"}),
    )
    # when
    body = await reporting.raw(
        "query { policies { totalCount edges { node { number subscriber { personNumber "
        "givenName nationalId } } } } }"
    )
    # then
    subscriber = body["data"]["policies"]["edges"][0]["node"]["subscriber"]
    assert body["data"]["policies"]["totalCount"] == 1
    assert subscriber["givenName"] is None and subscriber["nationalId"] is None
    assert subscriber["personNumber"]
    assert {(e["path"][-1], e["extensions"]["code"]) for e in body["errors"]} == {
        ("givenName", "FORBIDDEN"),
        ("nationalId", "FORBIDDEN"),
    }


READ_HISTORY = """
query($id: ID!) { policy(id: $id) { number history { groupAccounts { startDate endDate } } } }
"""
TERMINATE = """
mutation($input: PolicyTerminateInput!) {
  policyTerminate(input: $input) { policy { id version status } errors { field code message } }
}
"""
MEMBER_ADD = """
mutation($input: PolicyMemberAddInput!) {
  policyMemberAdd(input: $input) { policy { id } errors { field code message } }
}
"""
MOVE = """
mutation($input: PolicyMoveInput!) {
  policyMove(input: $input) { policy { id version } errors { field code message } }
}
"""


async def test_a_move_to_another_employer_takes_the_old_manager_s_write_access(
    http: AsyncClient, admin: GraphQLClient, book: Book
) -> None:
    # given ACME's policy, moved by an admin to GLOBEX's account from today
    acme = await place(book, code="ACME")
    globex = await place(book, code="GLOBEX")
    policy = await enrol(admin, acme, number="A-1", startDate=days(-10))
    moved = await admin.mutate(
        MOVE,
        {
            "input": {
                "policyId": policy["id"],
                "version": policy["version"],
                "date": days(0),
                "groupAccountId": global_id("GroupAccount", globex.account.id),  # type: ignore[arg-type]
                "insurableClassId": global_id("InsurableClass", globex.staff.id),  # type: ignore[arg-type]
            }
        },
    )
    version = moved["policy"]["version"]
    old = _as(http, Role.GROUP_MANAGER, groups=frozenset({"ACME"}))
    new = GraphQLClient(
        http,
        token_for(
            Principal("hr-globex", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"GLOBEX"}))
        ),
    )
    ref = {"policyId": policy["id"], "version": version}
    # when ACME's manager reads it, and tries to change it
    history = await old.query(READ_HISTORY, {"id": policy["id"]})
    terminated = await old.mutate(TERMINATE, {"input": {**ref, "endDate": days(5)}})
    added = await old.mutate(
        MEMBER_ADD, {"input": {**ref, "person": person("Kim"), "relationship": "SPOUSE"}}
    )
    back = await old.mutate(
        MOVE,
        {
            "input": {
                **ref,
                "date": days(1),
                "groupAccountId": global_id("GroupAccount", acme.account.id),  # type: ignore[arg-type]
                "insurableClassId": global_id("InsurableClass", acme.staff.id),  # type: ignore[arg-type]
            }
        },
    )
    # then the history is theirs to read, but every change reads as for an unknown policy
    assert history["policy"]["number"] == "A-1"
    assert len(history["policy"]["history"]["groupAccounts"]) == 2
    for payload in (terminated, added, back):
        refused(payload, "NOT_FOUND", ["input", "policyId"])
    # and GLOBEX's manager, whose account it is now, may change it
    ended = await new.mutate(TERMINATE, {"input": {**ref, "endDate": days(5)}})
    assert ended["errors"] == []
    assert ended["policy"]["status"] == "TERMINATED"
