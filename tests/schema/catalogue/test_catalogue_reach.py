"""Who reads a catalogue: an employee what is offered to them, a group manager their groups',
the back office and partners per their grants; lists in a fixed number of statements."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient

from authz.principal import Principal, Role
from schema.core.relay import global_id
from tests.conftest import token_for
from tests.factories import Book, Place, place, shop
from tests.graphql import GraphQLClient
from tests.schema.catalogue.conftest import account_of, listed
from tests.schema.policies.enrol import enrol, person


def _client(http: AsyncClient, principal: Principal) -> GraphQLClient:
    return GraphQLClient(http, token_for(principal))


async def test_each_reader_sees_the_catalogues_in_reach(
    http: AsyncClient, admin: GraphQLClient, book: Book, acme: Place
) -> None:
    # given ACME's and GLOBEX's catalogues, and John insured at ACME in MED-PPO
    await shop(book, acme)
    globex = await place(book, code="GLOBEX")
    await shop(book, globex)
    policy = await enrol(admin, acme, number="P-1")
    employee = _client(
        http,
        Principal(
            "emp-john", frozenset({Role.EMPLOYEE}), person=policy["subscriber"]["personNumber"]
        ),
    )
    manager = _client(
        http, Principal("hr-1", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"ACME"}))
    )
    # when / then
    assert {i["groupAccount"]["code"] for i in await listed(admin)} == {"ACME-GA", "GLOBEX-GA"}
    for reader in (employee, manager):
        mine = await listed(reader)
        assert sorted(i["code"] for i in mine) == ["GYM", "UP-PLUS"]
        assert await listed(reader, groupAccountId=account_of(globex)) == []
    offered = await listed(employee, policyId=policy["id"])
    assert sorted(i["code"] for i in offered) == ["GYM", "UP-PLUS"]
    # a colleague's policy is not John's to ask about
    other = await enrol(
        admin, acme, number="P-9", subscriber={"person": person("Max", nationalId="NID-MAX")}
    )
    assert await listed(employee, policyId=other["id"]) == []
    assert len(await listed(manager, policyId=other["id"])) == 2


async def test_a_policy_is_offered_the_upgrades_from_what_it_has(
    http: AsyncClient, admin: GraphQLClient, book: Book, acme: Place
) -> None:
    # given a policy with life only (no MED-PPO): the path from MED-PPO is not for it
    await shop(book, acme)
    policy = await enrol(
        admin,
        acme,
        number="P-2",
        dependants=[],
        insurableClassId=_executives(acme),
        products=[{"productCode": "LIFE-2X", "coverageTier": "EMPLOYEE_ONLY"}],
    )
    # then
    assert [i["code"] for i in await listed(admin, policyId=policy["id"])] == ["GYM"]
    assert [i["code"] for i in await listed(admin, policyId=policy["id"], kind="UPGRADE")] == []


async def test_listing_items_takes_the_same_statements_for_one_or_many(
    admin: GraphQLClient, book: Book, acme: Place, statements: Any
) -> None:
    # given one account with two items, then five accounts with two each
    await shop(book, acme)
    statements.reset()
    await listed(admin)
    one = statements.count
    for code in ("B", "C", "D", "E"):
        await shop(book, await place(book, code=code))
    statements.reset()
    many = await listed(admin)
    # then
    assert len(many) == 10
    assert statements.count == one


def _executives(where: Place) -> str:
    return global_id("InsurableClass", where.executives.id)  # type: ignore[arg-type]
