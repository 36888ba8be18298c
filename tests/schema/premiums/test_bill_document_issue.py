"""billDocumentIssue: a month's bill as a PDF document of the client billed, within reach."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient

from api.jobs import InProcess
from authz.principal import Principal, Role
from tests.conftest import token_for
from tests.domain.documents.pdfs import text_of
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.premiums.conftest import NEXT_MONTH, Group, set_
from tests.schema.premiums.test_premium_run import approve, run

BILLS = """
query($period: String!) { bills(filter: {period: $period}) { key total } }
"""
ISSUE = """
mutation($key: String!) { billDocumentIssue(input: {key: $key}) {
  document { kind fileName downloadUrl groupClient { code } policy { number } }
  errors { field code message }
} }
"""
NUMBER = "query($id: ID!) { node(id: $id) { ... on Policy { number } } }"


def _manager(http: AsyncClient, group: str) -> GraphQLClient:
    principal = Principal(f"hr-{group}", frozenset({Role.GROUP_MANAGER}), groups=frozenset({group}))
    return GraphQLClient(http, token_for(principal))


async def _billed(admin: GraphQLClient, runner: InProcess, group: Group, *more: Any) -> str:
    """Charge the group's month with these settings; the key of its one bill."""
    await set_(admin, group.client, "PREMIUM_SCHEDULE", premiumSchedule="PS-STD")
    for owner, kind, value in more:
        await set_(admin, owner, kind, **value)
    await approve(admin, group.client)
    assert (await run(admin, runner, group.client))["status"] == "DONE"
    (bill,) = (await admin.query(BILLS, {"period": NEXT_MONTH}))["bills"]
    return bill["key"]  # type: ignore[no-any-return]


async def test_a_manager_makes_the_bills_pdf_with_its_amounts_and_billing_account(
    http: AsyncClient, admin: GraphQLClient, group: Group, runner: InProcess
) -> None:
    # given
    key = await _billed(
        admin, runner, group,
        (group.client, "BILLING_ACCOUNT", {"billingAccount": "BILL-HQ"}),
        (group.client, "EMPLOYER_CONTRIBUTION", {"employerContribution": "80"}),
        (group.account, "GROUP_COMMISSION_RATE", {"groupCommissionRate": "12.5"}),
    )  # fmt: skip
    acme = _manager(http, "ACME")
    number = (await admin.query(NUMBER, {"id": group.policy}))["node"]["number"]
    # when
    made = ok(await acme.mutate(ISSUE, {"key": key}))["document"]
    response = await http.get(made["downloadUrl"], headers=acme.headers)
    # then
    assert (made["kind"], made["groupClient"], made["policy"]) == ("BILL", {"code": "ACME"}, None)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = text_of(response.content)
    assert f"Premium bill {NEXT_MONTH}" in text
    assert "Billing account BILL-HQ" in text
    assert f"{number} MED-PPO 100.00 80.00 20.00" in text
    assert "Total 100.00 80.00 20.00" in text
    assert "commission on this bill: 12.50 EUR" in text


async def test_another_clients_manager_neither_makes_nor_downloads_it(
    http: AsyncClient, admin: GraphQLClient, group: Group, runner: InProcess
) -> None:
    # given
    key = await _billed(admin, runner, group)
    made = ok(await _manager(http, "ACME").mutate(ISSUE, {"key": key}))["document"]
    other = _manager(http, "OTHER")
    # when
    theirs = await other.mutate(ISSUE, {"key": key})
    hidden = await http.get(made["downloadUrl"], headers=other.headers)
    # then
    refused(theirs, "NOT_FOUND", ["input", "key"])
    assert "ACME" not in str(theirs)
    assert hidden.status_code == 404


async def test_a_bill_per_employee_is_a_document_of_the_policy_too(
    admin: GraphQLClient, group: Group, runner: InProcess
) -> None:
    # given
    key = await _billed(
        admin, runner, group, (group.account, "BILL_ALLOCATION", {"billAllocation": "PER_EMPLOYEE"})
    )
    number = (await admin.query(NUMBER, {"id": group.policy}))["node"]["number"]
    # when
    made = ok(await admin.mutate(ISSUE, {"key": key}))["document"]
    # then
    assert made["policy"] == {"number": number}
    assert made["groupClient"] == {"code": "ACME"}


async def test_a_key_of_no_bill_is_refused_naming_the_field(
    admin: GraphQLClient, group: Group, runner: InProcess
) -> None:
    # given
    key = await _billed(admin, runner, group)
    period, client, *rest = key.split(":")
    # when / then
    for bad, code in [
        ("", "INVALID_FORMAT"),
        ("2027-13:1:-:-:EUR", "INVALID_FORMAT"),
        (f"{period}:x:-:-:EUR", "INVALID_FORMAT"),
        (f"{period}:{client}:-:-", "INVALID_FORMAT"),
        (f"{period}:{client}:-:-:USD", "NOT_FOUND"),
        (f"{period}:{int(client) + 999}:-:-:EUR", "NOT_FOUND"),
        (f"2020-01:{client}:{':'.join(rest)}", "NOT_FOUND"),
    ]:
        refused(await admin.mutate(ISSUE, {"key": bad}), code, ["input", "key"])
