"""membershipStats through the API: each role's figures, their cost, and bad arguments."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from domain.policies.models import Person
from schema.core.relay import global_id
from tests.conftest import StatementCounter, token_for
from tests.graphql import GraphQLClient
from tests.schema.reports.books import AS_OF, callers, employers

STATS = """
query Stats($asOf: Date!, $from: Date, $to: Date, $groupBy: [MembershipKey!],
            $filter: MembershipStatsFilter) {
  membershipStats(asOf: $asOf, from: $from, to: $to, groupBy: $groupBy, filter: $filter) {
    policies members joiners leavers relationship ageBand coverageTier
    groupClient { code } groupAccount { code } product { code } lineOfBusiness { code }
  }
}
"""


async def _ask(http: AsyncClient, principal: Any, **variables: Any) -> dict[str, Any]:
    client = GraphQLClient(http, token_for(principal))
    return await client.raw(STATS, {"asOf": AS_OF.isoformat(), **variables})


# Policies and members on asOf by group client: admin sees both employers (3 and 2 families
# of three), every restricted role ACME only; an employee may not ask.
EXPECTED = {
    "admin": {"ACME": (3, 9), "GLOBEX": (2, 6)},
    "backoffice": {"ACME": (3, 9)},
    "group_manager": {"ACME": (3, 9)},
    "partner": {"ACME": (3, 9)},
    "reporting": {"ACME": (3, 9)},
}


@pytest.mark.parametrize(
    "role", ["admin", "backoffice", "group_manager", "employee", "partner", "reporting"]
)
async def test_each_role_counts_the_members_it_reaches(
    http: AsyncClient, session: AsyncSession, role: str
) -> None:
    # given two employers, GLOBEX outside every restricted role's grants
    made = await employers(session)
    holder = await session.get(Person, made.acme_policies[0].subscriber_id)
    assert holder is not None
    # when
    body = await _ask(http, callers(holder.person_number)[role], groupBy=["GROUP_CLIENT"])
    # then
    if role == "employee":
        assert body["data"] == {"membershipStats": None}
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        return
    rows = body["data"]["membershipStats"]
    assert {r["groupClient"]["code"]: (r["policies"], r["members"]) for r in rows} == EXPECTED[role]


async def test_joiners_relationships_age_bands_and_products_are_counted_by_key(
    http: AsyncClient, session: AsyncSession
) -> None:
    # given 3 families who joined on 1 January; the children (born 2015) leave in 2040
    made = await employers(session, globex=0)
    # when grouped by relationship and age band, joiners counted over January
    body = await _ask(
        http,
        callers("-")["reporting"],
        **{"from": "2026-01-01", "to": "2026-01-31"},
        groupBy=["RELATIONSHIP", "AGE_BAND", "PRODUCT"],
    )
    # then
    rows = {
        (r["relationship"], r["ageBand"], r["product"]["code"]): r
        for r in body["data"]["membershipStats"]
    }
    assert set(rows) == {
        ("SUBSCRIBER", "46-55", "MED-PPO"),
        ("SPOUSE", "46-55", "MED-PPO"),
        ("CHILD", "0-17", "MED-PPO"),
    }
    assert {(r["members"], r["joiners"], r["leavers"]) for r in rows.values()} == {(3, 3, 0)}
    assert made.acme_policies


@pytest.mark.parametrize("size", [1, 40])
async def test_figures_cost_one_statement_and_one_per_kind_of_key_node(
    http: AsyncClient, session: AsyncSession, statements: StatementCounter, size: int
) -> None:
    # given
    await employers(session, acme=size, globex=size)
    statements.reset()
    # when
    body = await _ask(
        http, callers("-")["admin"], groupBy=["GROUP_CLIENT", "GROUP_ACCOUNT", "PRODUCT"]
    )
    # then: the figures, then one batch each of clients, accounts and products
    assert len(body["data"]["membershipStats"]) == 2
    figures = [s for s in statements.statements if "GROUP BY" in s and "policy_member" in s]
    assert len(figures) == 1
    assert statements.count == 4


@pytest.mark.parametrize(
    ("variables", "field", "code"),
    [
        (
            {"groupBy": ["PRODUCT", "RELATIONSHIP", "AGE_BAND", "GROUP_CLIENT"]},
            "groupBy",
            "INVALID_FORMAT",
        ),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "to", "INVALID_FORMAT"),
        ({"from": "2026-02-01", "to": "2026-01-01"}, "to", "END_BEFORE_START"),
    ],
)
async def test_bad_arguments_are_refused_by_name(
    http: AsyncClient, session: AsyncSession, variables: dict[str, Any], field: str, code: str
) -> None:
    # given
    await employers(session, acme=1, globex=0)
    # when
    body = await _ask(http, callers("-")["reporting"], **variables)
    # then
    assert body["data"] == {"membershipStats": None}
    (error,) = body["errors"]
    assert error["extensions"]["code"] == code
    assert error["extensions"]["field"] == [field]
    assert error["message"].startswith(f"`{field}`")


async def test_a_year_of_366_days_is_allowed(http: AsyncClient, session: AsyncSession) -> None:
    await employers(session, acme=1, globex=0)
    body = await _ask(http, callers("-")["reporting"], **{"from": "2024-01-01", "to": "2024-12-31"})
    assert body["data"]["membershipStats"][0]["joiners"] == 0


@pytest.mark.parametrize(
    "which", ["other tenant's client", "other tenant's account", "garbage", "a policy's id"]
)
async def test_ids_of_other_tenants_count_nothing_like_unknown_ids(
    http: AsyncClient, session: AsyncSession, which: str
) -> None:
    # given GLOBEX, which the group manager of ACME does not reach
    made = await employers(session)
    filters = {
        "other tenant's client": {"groupClientId": global_id("GroupClient", made.globex.client.id)},  # type: ignore[arg-type]
        "other tenant's account": {
            "groupAccountId": global_id("GroupAccount", made.globex.account.id)
        },  # type: ignore[arg-type]
        "garbage": {"groupClientId": "not-an-id\x01"},
        "a policy's id": {"groupClientId": global_id("Policy", made.acme_policies[0].id)},  # type: ignore[arg-type]
    }
    # when
    body = await _ask(http, callers("-")["group_manager"], filter=filters[which])
    # then: no error, and nothing counted, exactly as for an id that names nothing
    assert "errors" not in body
    assert body["data"]["membershipStats"] == []
