"""bills(filter): a month's charges per billing account and allocation, with commission; and
who sees which premiums and bills."""

from __future__ import annotations

import csv
import io
from typing import Any

from httpx import AsyncClient

from api.jobs import InProcess
from authz.principal import Principal, Role
from tests.conftest import token_for
from tests.graphql import GraphQLClient
from tests.schema.premiums.conftest import NEXT_MONTH, Group, premium, set_
from tests.schema.premiums.test_premium_run import approve, run

BILLS = """
query($filter: BillFilter!) { bills(filter: $filter) {
  key allocation currency total employerTotal employeeTotal commission
  billingAccount { code } groupClient { code }
  lines { amount employerShare employeeShare commission commissionRate policy { number } product { code } }
  csv
} }
"""


async def _bills(client: GraphQLClient, **more: Any) -> list[dict[str, Any]]:
    data = await client.query(BILLS, {"filter": {"period": NEXT_MONTH, **more}})
    return data["bills"]  # type: ignore[no-any-return]


async def _charged(admin: GraphQLClient, runner: InProcess, group: Group, **settings: Any) -> None:
    await set_(admin, group.client, "PREMIUM_SCHEDULE", premiumSchedule="PS-STD")
    for owner, kind, value in settings.get("more", []):
        await set_(admin, owner, kind, **value)
    await approve(admin, group.client)
    assert (await run(admin, runner, group.client))["status"] == "DONE"


async def test_a_single_bill_to_the_clients_billing_account_with_commission(
    admin: GraphQLClient, group: Group, runner: InProcess
) -> None:
    # given
    await _charged(
        admin, runner, group,
        more=[
            (group.client, "BILLING_ACCOUNT", {"billingAccount": "BILL-HQ"}),
            (group.account, "GROUP_COMMISSION_RATE", {"groupCommissionRate": "12.5"}),
            (group.client, "EMPLOYER_CONTRIBUTION", {"employerContribution": "80"}),
        ],
    )  # fmt: skip
    # when
    (bill,) = await _bills(admin)
    # then
    assert (bill["allocation"], bill["billingAccount"], bill["groupClient"]) == (
        "SINGLE_BILL", {"code": "BILL-HQ"}, {"code": "ACME"},
    )  # fmt: skip
    assert (bill["total"], bill["employerTotal"], bill["employeeTotal"]) == (
        "100.00", "80.00", "20.00",
    )  # fmt: skip
    assert (bill["commission"], bill["lines"][0]["commissionRate"]) == ("12.50", "12.5000")
    rows = list(csv.DictReader(io.StringIO(bill["csv"])))
    assert [(r["product"], r["amount"], r["commission"]) for r in rows] == [
        ("MED-PPO", "100.00", "12.50")
    ]


async def test_per_employee_bills_one_per_policy(
    admin: GraphQLClient, group: Group, runner: InProcess
) -> None:
    await _charged(
        admin, runner, group,
        more=[(group.account, "BILL_ALLOCATION", {"billAllocation": "PER_EMPLOYEE"})],
    )  # fmt: skip
    (bill,) = await _bills(admin)
    assert bill["allocation"] == "PER_EMPLOYEE"
    assert bill["billingAccount"] is None
    assert bill["key"].split(":")[3] != "-"  # the part names the policy


async def test_the_group_manager_sees_their_bills_and_other_tenants_none(
    http: AsyncClient, admin: GraphQLClient, group: Group, runner: InProcess
) -> None:
    # given
    await _charged(admin, runner, group)
    mine = _as(http, Principal("hr-1", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"ACME"})))
    other = _as(
        http, Principal("hr-2", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"OTHER"}))
    )
    # when / then
    assert [b["total"] for b in await _bills(mine)] == ["100.00"]
    assert (await premium(mine, group.policy))["total"] == "100.00"
    assert await _bills(other) == []
    assert await _bills(other, groupClientId=group.client) == []
    assert (await other.query("query($id: ID!) { node(id: $id) { id } }", {"id": group.policy}))[
        "node"
    ] is None


async def test_the_employee_sees_their_own_premium_and_share(
    http: AsyncClient, admin: GraphQLClient, group: Group, runner: InProcess
) -> None:
    # given
    await _charged(
        admin, runner, group,
        more=[(group.client, "EMPLOYER_CONTRIBUTION", {"employerContribution": "60"})],
    )  # fmt: skip
    found = await admin.query(
        "query($id: ID!) { node(id: $id) { ... on Policy { subscriber { personNumber } } } }",
        {"id": group.policy},
    )
    number = found["node"]["subscriber"]["personNumber"]
    me = _as(http, Principal("emp-1", frozenset({Role.EMPLOYEE}), person=number))
    # when
    mine = await premium(me, group.policy)
    # then
    assert (mine["total"], mine["employeeShare"], mine["employerShare"]) == (
        "100.00", "40.00", "60.00",
    )  # fmt: skip
    # the level that set the contribution is not the employee's to see
    assert mine["lines"][0]["contributionSource"] == {"level": "GROUP_CLIENT", "id": None}
    assert [b["employeeTotal"] for b in await _bills(me)] == ["40.00"]


def _as(http: AsyncClient, principal: Principal) -> GraphQLClient:
    return GraphQLClient(http, token_for(principal))
