"""PRODUCT_UPGRADE and SERVICE_PURCHASE pick from the account's catalogue: what is not offered
to the policy's account on the day is refused (NOT_OFFERED); an upgrade is registered through
the policies services; the decision table approves at once what does not raise the
employer's cost."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from schema.core.relay import global_id
from tests.factories import Book, place
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.catalogue.conftest import END, add, listed, service
from tests.schema.policies.enrol import days, enrol_input, person
from tests.schema.settings.conftest import set_
from tests.schema.workflow.conftest import Cast
from tests.schema.workflow.costs import cost_facts, priced
from tests.schema.workflow.requests import complete, open_task, request, submit, submitted

CHANNELS = ("BACK_OFFICE", "GROUP_PORTAL", "EMPLOYEE", "PARTNER")
PLUS = {"productCode": "MED-PLUS", "coverageTier": "FAMILY"}
PRODUCTS = """query($id: ID!) { node(id: $id) { ... on Policy {
  enrollmentProducts { product { code } coverageTier startDate endDate } } } }"""


async def _upgrade(client: GraphQLClient, cast: Cast, channel: str, **product: Any) -> Any:
    return await submit(
        client,
        type="PRODUCT_UPGRADE",
        channel=channel,
        policyId=cast.policy_id,
        product={**PLUS, **product},
    )


async def _purchase(client: GraphQLClient, cast: Cast, channel: str, code: str = "GYM") -> Any:
    return await submit(
        client, type="SERVICE_PURCHASE", channel=channel, policyId=cast.policy_id, serviceCode=code
    )


async def _to_the_end(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    """Approve what waits on the manager, then run the server's steps."""
    if made["state"] == "PENDING_APPROVAL":
        ok(await complete(cast.other_manager, open_task(made)["id"], decision="APPROVE"))
    await cast.runner.drain()
    return await request(cast.admin, made["id"])


async def _gym(cast: Cast) -> dict[str, Any]:
    (gym,) = await listed(cast.admin, kind="SERVICE")
    return gym


# --- refusals -------------------------------------------------------------------------


async def test_what_the_catalogue_does_not_hold_is_not_offered(cast: Cast) -> None:
    refused(
        await _purchase(cast.employee, cast, "EMPLOYEE", "SPA"),
        "NOT_OFFERED",
        ["input", "serviceCode"],
    )
    field = ["input", "product", "productCode"]
    # no path leads to dental; the path to MED-PLUS keeps the member's tier (FAMILY)
    refused(
        await _upgrade(cast.employee, cast, "EMPLOYEE", productCode="DEN-BASIC"),
        "NOT_OFFERED",
        field,
    )
    refused(
        await _upgrade(cast.employee, cast, "EMPLOYEE", coverageTier="EMPLOYEE_ONLY"),
        "NOT_OFFERED",
        field,
    )
    assert (await cast.admin.query("{ workflowRequests { totalCount } }"))["workflowRequests"][
        "totalCount"
    ] == 0


async def test_another_accounts_item_is_not_offered(cast: Cast, book: Book) -> None:
    # given GLOBEX's account offers a spa, ACME's does not
    globex = await place(book, code="GLOBEX")
    ok(await add(cast.admin, service(globex, code="SPA")))
    # then
    refused(
        await _purchase(cast.employee, cast, "EMPLOYEE", "SPA"),
        "NOT_OFFERED",
        ["input", "serviceCode"],
    )


async def test_an_ended_item_is_not_offered(cast: Cast) -> None:
    # given GYM ended yesterday, and the upgrade ends in ten days
    gym = await _gym(cast)
    ended = {"id": gym["id"], "version": gym["version"], "endDate": days(-1)}
    ok(await cast.admin.mutate(END, {"input": ended}))
    (path,) = await listed(cast.admin, kind="UPGRADE")
    ok(
        await cast.admin.mutate(
            END, {"input": {"id": path["id"], "version": path["version"], "endDate": days(10)}}
        )
    )
    field = ["input", "product", "productCode"]
    # then
    refused(
        await _purchase(cast.employee, cast, "EMPLOYEE"), "NOT_OFFERED", ["input", "serviceCode"]
    )
    refused(
        await _upgrade(cast.employee, cast, "EMPLOYEE", startDate=days(11)), "NOT_OFFERED", field
    )
    ok(await _upgrade(cast.employee, cast, "EMPLOYEE", startDate=days(10)))


async def test_another_tenants_policy_reads_as_unknown(cast: Cast) -> None:
    refused(
        await _upgrade(cast.stranger_manager, cast, "GROUP_PORTAL"),
        "NOT_FOUND",
        ["input", "policyId"],
    )
    refused(
        await _purchase(cast.stranger_manager, cast, "GROUP_PORTAL"),
        "NOT_FOUND",
        ["input", "policyId"],
    )


# --- through each channel ----------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
async def test_an_upgrade_is_registered_from_every_channel(cast: Cast, channel: str) -> None:
    # when
    made = ok(await _upgrade(cast.by_channel(channel), cast, channel))["request"]
    end = await _to_the_end(cast, made)
    # then the policy runs MED-PLUS from today instead of MED-PPO
    assert end["state"] == "COMPLETED"
    assert end["result"]["catalogueItem"] == "UP-PLUS"
    found = await cast.admin.query(PRODUCTS, {"id": cast.policy_id})
    assert found["node"]["enrollmentProducts"] == [
        {
            "product": {"code": "MED-PLUS"},
            "coverageTier": "FAMILY",
            "startDate": days(0),
            "endDate": None,
        }
    ]


@pytest.mark.parametrize("channel", CHANNELS)
async def test_a_purchase_is_fulfilled_from_every_channel(cast: Cast, channel: str) -> None:
    # when
    made = ok(await _purchase(cast.by_channel(channel), cast, channel))["request"]
    # then the employee pays it all: approved at once, the insurer books it
    assert [(t["name"], t["state"]) for t in made["tasks"]] == [("registration", "OPEN")]
    insurer = cast.admin if channel == "BACK_OFFICE" else cast.back_office
    ok(await complete(insurer, made["tasks"][0]["id"], decision="APPROVE"))
    await cast.runner.drain()
    assert (await request(cast.admin, made["id"]))["state"] == "COMPLETED"


# --- the decision table reads the cost ---------------------------------------------------


async def test_an_upgrade_that_costs_the_employer_more_goes_to_the_manager(
    cast: Cast, book: Book, session: AsyncSession
) -> None:
    # given MED-PLUS at PS-EXEC: 180.00 a month instead of 100.00, all the employer's
    await priced(cast, book, session, "PS-EXEC")
    # when
    made = ok(await _upgrade(cast.employee, cast, "EMPLOYEE"))["request"]
    # then
    assert made["state"] == "PENDING_APPROVAL"
    assert [t["name"] for t in made["tasks"]] == ["manager_approval"]
    assert await cost_facts(session, made) == {
        "price": Decimal("25.00"),
        "employer_share": Decimal("0.00"),
        "premium_change": Decimal("80.00"),
        "employer_premium_change": Decimal("80.00"),
        "employer_cost_change": Decimal("80.00"),
        "currency": "EUR",
    }


@pytest.mark.parametrize(
    ("schedule", "contribution", "employer"),
    [("PS-EXEC", "0", "0.00"), ("PS-OWN", None, "-10.00")],
)
async def test_an_upgrade_that_does_not_cost_the_employer_more_is_approved_at_once(
    cast: Cast,
    book: Book,
    session: AsyncSession,
    schedule: str,
    contribution: str | None,
    employer: str,
) -> None:
    # given the employee pays the whole premium, or MED-PLUS is cheaper (PS-OWN, 90.00)
    await priced(cast, book, session, schedule)
    if contribution is not None:
        client = global_id("GroupClient", cast.place.client.id)  # type: ignore[arg-type]
        await set_(cast.admin, client, "EMPLOYER_CONTRIBUTION", employerContribution=contribution)
    # when
    made = ok(await _upgrade(cast.employee, cast, "EMPLOYEE"))["request"]
    end = await _to_the_end(cast, made)
    # then
    assert made["tasks"] == [] and made["state"] == "APPROVED"
    assert end["state"] == "COMPLETED"
    assert (await cost_facts(session, made))["employer_cost_change"] == Decimal(employer)


async def test_an_upgrade_whose_cost_is_unknown_goes_to_the_manager(
    cast: Cast, session: AsyncSession
) -> None:
    # when: no premium schedule anywhere
    made = ok(await _upgrade(cast.employee, cast, "EMPLOYEE"))["request"]
    # then the request still runs; the premium's facts are null
    assert [t["name"] for t in made["tasks"]] == ["manager_approval"]
    facts = await cost_facts(session, made)
    assert facts["premium_change"] is facts["employer_cost_change"] is None
    assert facts["price"] == Decimal("25.00")


async def test_a_service_the_employer_pays_part_of_goes_to_the_manager(
    cast: Cast, session: AsyncSession
) -> None:
    # given a spa day at 50.00, of which the employer pays 20.00
    spa = service(cast.place, code="SPA", price="50.00", employerShare="20.00")
    ok(await add(cast.admin, spa))
    # when the employee buys two, and a year at the gym (the employer pays nothing of it)
    made = await submitted(
        cast.employee,
        type="SERVICE_PURCHASE",
        channel="EMPLOYEE",
        policyId=cast.policy_id,
        serviceCode="SPA",
        quantity=2,
    )
    gym = ok(await _purchase(cast.employee, cast, "EMPLOYEE"))["request"]
    # then
    assert [t["name"] for t in made["tasks"]] == ["manager_approval"]
    assert [t["name"] for t in gym["tasks"]] == ["registration"]
    facts = await cost_facts(session, made)
    assert (facts["price"], facts["employer_cost_change"]) == (Decimal("100.00"), Decimal("40.00"))
    assert facts["premium_change"] is None


async def test_a_new_policys_premium_is_its_cost(
    cast: Cast, book: Book, session: AsyncSession
) -> None:
    # given rates; a new hire enrolled alone (PS-STD: 100.00 a month, all the employer's)
    await priced(cast, book, session, "PS-EXEC")
    new = enrol_input(
        cast.place,
        subscriber={"person": person("Max", nationalId="NID-MAX")},
        number="P-NEW",
        dependants=[],
    )["input"]
    # when
    made = await submitted(cast.manager, type="ENROLMENT", channel="GROUP_PORTAL", enrolment=new)
    # then
    facts = await cost_facts(session, made)
    assert (facts["premium_change"], facts["employer_cost_change"]) == (
        Decimal("100.00"),
        Decimal("100.00"),
    )
    assert facts["price"] is None
