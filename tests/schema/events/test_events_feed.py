"""events: the change feed shows each caller exactly the events about rows they may see."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from authz.principal import Role
from schema.core.relay import global_id
from tests.factories import Book, Place, place
from tests.graphql import GraphQLClient, ok
from tests.schema.events.conftest import signed_in
from tests.schema.policies.enrol import enrol, person

FEED = """
query Feed($first: Int, $after: String, $filter: EventFilter) {
  events(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id type subjectType subjectId sequence actor payload } }
  }
}
"""

CREATE = """
mutation($input: GroupClientCreateInput!) {
  groupClientCreate(input: $input) { groupClient { id } errors { field code message } }
}
"""


def _seen(data: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (edge["node"]["type"], _label(edge["node"]["payload"])) for edge in data["events"]["edges"]
    }


def _label(payload: dict[str, Any]) -> str:
    return str(payload.get("number") or payload.get("code"))


async def _under(admin: GraphQLClient, parent: Place, code: str) -> None:
    fields = {"code": code, "name": code, "lineOfBusiness": "HEALTH", "dataAccessGroup": "EU"}
    parent_id = global_id("GroupClient", parent.client.id)  # type: ignore[arg-type]
    ok(await admin.mutate(CREATE, {"input": {**fields, "parentId": parent_id}}))


@pytest.fixture
async def two_employers(admin: GraphQLClient, book: Book) -> tuple[Place, Place]:
    """ACME and GLOBEX, each with a new subsidiary and an enrolled family; GLOBEX's policy
    belongs to the US data access group."""
    acme, globex = await place(book, code="ACME"), await place(book, code="GLOBEX")
    await _under(admin, acme, "ACME-SUB")
    await _under(admin, globex, "GLOBEX-SUB")
    await enrol(admin, acme, number="A-1", employment={"employeeNumber": "E-7"})
    await enrol(
        admin, globex, number="G-1", dataAccessGroup="US", subscriber={"person": person("Gus")}
    )
    return acme, globex


EVERYTHING = {
    ("group_client.created", "ACME-SUB"),
    ("group_client.created", "GLOBEX-SUB"),
    ("policy.enrolled", "A-1"),
    ("policy.enrolled", "G-1"),
}
ACME = {("group_client.created", "ACME-SUB"), ("policy.enrolled", "A-1")}


async def test_the_admin_sees_every_event(
    admin: GraphQLClient, two_employers: tuple[Place, Place]
) -> None:
    # when
    data = await admin.query(FEED, {"first": 10})
    # then
    assert _seen(data) == EVERYTHING
    assert data["events"]["totalCount"] == 4


@pytest.mark.parametrize("role", [Role.GROUP_MANAGER, Role.PARTNER])
async def test_a_manager_or_partner_sees_their_employer_only(
    http: AsyncClient, two_employers: tuple[Place, Place], role: Role
) -> None:
    # given
    acme_side = signed_in(http, role, groups=frozenset({"ACME"}))
    globex_side = signed_in(http, role, groups=frozenset({"GLOBEX"}))
    # when
    acme, globex = await acme_side.query(FEED), await globex_side.query(FEED)
    # then
    assert _seen(acme) == ACME
    assert _seen(globex) == EVERYTHING - ACME


async def test_another_tenants_group_client_in_a_filter_matches_nothing(
    http: AsyncClient, two_employers: tuple[Place, Place]
) -> None:
    # given
    partner = signed_in(http, Role.PARTNER, groups=frozenset({"ACME"}))
    acme_id, globex_id = (global_id("GroupClient", p.client.id) for p in two_employers)  # type: ignore[arg-type]
    # when
    theirs = await partner.query(FEED, {"filter": {"groupClientIds": [globex_id]}})
    ours = await partner.query(FEED, {"filter": {"groupClientIds": [acme_id, "garbage"]}})
    # then
    assert theirs["events"]["totalCount"] == 0
    assert _seen(ours) == ACME


async def test_reporting_sees_by_restrictions_and_reads_no_personal_field(
    http: AsyncClient, admin: GraphQLClient, two_employers: tuple[Place, Place]
) -> None:
    # given reporting on EU health: GLOBEX's policy is in the US group
    reporting = signed_in(
        http,
        Role.REPORTING,
        data_access_groups=frozenset({"EU"}),
        lines_of_business=frozenset({"HEALTH"}),
    )
    # when
    data = await reporting.query(FEED)
    by_admin = await admin.query(FEED, {"filter": {"types": ["policy.enrolled"]}})
    # then
    assert _seen(data) == EVERYTHING - {("policy.enrolled", "G-1")}
    policy = next(
        e["node"] for e in data["events"]["edges"] if e["node"]["type"] == "policy.enrolled"
    )
    assert "employee_number" not in policy["payload"]
    assert by_admin["events"]["edges"][0]["node"]["payload"]["employee_number"] == "E-7"


async def test_an_employee_sees_the_events_of_their_own_policy(
    http: AsyncClient, two_employers: tuple[Place, Place]
) -> None:
    # given
    me = signed_in(http, Role.EMPLOYEE, person=await _subscriber_of(http, "A-1"))
    # when
    data = await me.query(FEED)
    # then
    assert _seen(data) == {("policy.enrolled", "A-1")}


async def _subscriber_of(http: AsyncClient, number: str) -> str:
    admin = signed_in(http, Role.ADMIN)
    found = await admin.query(
        "query($n: String!) { policy(number: $n) { subscriber { personNumber } } }", {"n": number}
    )
    return str(found["policy"]["subscriber"]["personNumber"])


async def test_a_client_resumes_after_its_last_cursor_and_misses_nothing(
    admin: GraphQLClient, two_employers: tuple[Place, Place]
) -> None:
    # given
    first = await admin.query(FEED, {"first": 3})
    cursor = first["events"]["pageInfo"]["endCursor"]
    # when more happens, and the client resumes
    await _under(admin, two_employers[0], "ACME-NEW")
    rest = await admin.query(FEED, {"first": 10, "after": cursor})
    # then
    assert first["events"]["pageInfo"]["hasNextPage"] is True
    seen = _seen(first) | _seen(rest)
    assert seen == EVERYTHING | {("group_client.created", "ACME-NEW")}
    assert len(first["events"]["edges"]) + len(rest["events"]["edges"]) == 5


async def test_an_unknown_event_type_is_refused_by_name(admin: GraphQLClient) -> None:
    # when
    answer = await admin.raw(FEED, {"filter": {"types": ["policy.exploded"]}})
    # then
    assert answer["data"] == {"events": None}
    assert "filter.types" in answer["errors"][0]["message"]
    assert "policy.exploded" in answer["errors"][0]["message"]
