"""Searching policies matches a subscriber's names only for callers who may read them.

Without field:personal:read (the reporting role) a search by a name would tell whether a
subscriber's name holds the text: such a search finds nothing, while the policy number and
the person number, which the caller reads anyway, still find the policy.
"""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from authz.principal import Principal, Role
from tests.conftest import token_for
from tests.factories import Place
from tests.graphql import GraphQLClient
from tests.schema.policies.enrol import enrol, person

SEARCH = """
query($search: String!) {
  policies(filter: {search: $search}) { totalCount edges { node { number } } }
}
"""

ROLES = {
    "reporting": Role.REPORTING,
    "backoffice": Role.BACKOFFICE,
}


def _as(http: AsyncClient, role: Role) -> GraphQLClient:
    principal = Principal(
        f"{role.value}-1",
        frozenset({role}),
        data_access_groups=frozenset({"EU"}),
        lines_of_business=frozenset({"HEALTH"}),
    )
    return GraphQLClient(http, token_for(principal))


async def _numbers(client: GraphQLClient, search: str) -> tuple[list[str], int]:
    found = (await client.query(SEARCH, {"search": search}))["policies"]
    return [edge["node"]["number"] for edge in found["edges"]], found["totalCount"]


@pytest.fixture
async def emma(admin: GraphQLClient, acme: Place) -> dict[str, Any]:
    """Emma Stone's policy E-1, beside Olaf's O-1."""
    await enrol(admin, acme, number="O-1", subscriber={"person": person("Olaf")}, dependants=[])
    return await enrol(
        admin,
        acme,
        number="E-1",
        subscriber={"person": person("Emma", familyName="Stone")},
        dependants=[],
    )


@pytest.mark.parametrize("search", ["emma", "STONE", "mm"])
async def test_a_caller_without_personal_fields_finds_nothing_by_a_name(
    http: AsyncClient, emma: dict[str, Any], search: str
) -> None:
    # given
    reporting = _as(http, Role.REPORTING)
    # when
    found = await _numbers(reporting, search)
    # then
    assert found == ([], 0)


@pytest.mark.parametrize("role", ROLES)
async def test_the_policy_and_person_numbers_find_the_policy_for_every_reader(
    http: AsyncClient, emma: dict[str, Any], role: str
) -> None:
    # given
    client = _as(http, ROLES[role])
    # when
    by_policy = await _numbers(client, "e-1")
    by_person = await _numbers(client, emma["subscriber"]["personNumber"])
    # then
    assert by_policy == (["E-1"], 1)
    assert by_person == (["E-1"], 1)


async def test_a_caller_who_may_read_personal_fields_finds_the_policy_by_a_name(
    http: AsyncClient, emma: dict[str, Any]
) -> None:
    # given
    backoffice = _as(http, Role.BACKOFFICE)
    # when
    found = await _numbers(backoffice, "emma")
    # then
    assert found == (["E-1"], 1)
