"""premiumRunStart: charges per policy, product and month; later runs add only differences."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.jobs import InProcess
from domain.premiums.models import PremiumCharge
from tests.graphql import GraphQLClient, ok
from tests.schema.premiums.conftest import NEXT_MONTH, Group, set_

START = """
mutation($input: PremiumRunStartInput!) {
  premiumRunStart(input: $input) { premiumRun { id status } errors { field code message } }
}
"""
RUN = """
query($id: ID!) { node(id: $id) { ... on PremiumRun {
  status period dryRun policiesTotal policiesDone chargesAdded amountAdded errorCount startedBy
  skipped { reason groupClient { code } }
  errors { code setting level policy { number } }
} } }
"""
SUBMIT = "mutation($id: ID!) { groupClientSubmit(input: {id: $id}) { approved errors { code } } }"


async def run(
    admin: GraphQLClient, runner: InProcess, client: str, *, dry_run: bool = False
) -> dict[str, Any]:
    """Start a run, work it to its end, and return it."""
    payload = await admin.mutate(
        START, {"input": {"period": NEXT_MONTH, "groupClientId": client, "dryRun": dry_run}}
    )
    started = ok(payload)["premiumRun"]
    assert started["status"] == "QUEUED"
    await runner.drain()
    return (await admin.query(RUN, {"id": started["id"]}))["node"]  # type: ignore[no-any-return]


async def approve(admin: GraphQLClient, client: str) -> None:
    assert (await admin.mutate(SUBMIT, {"id": client}))["approved"] is True


async def charged(session: AsyncSession) -> list[Decimal]:
    return list(
        await session.scalars(sa.select(col(PremiumCharge.amount)).order_by(PremiumCharge.id))
    )


async def test_a_run_charges_once_and_a_retroactive_change_reverses(
    admin: GraphQLClient, group: Group, runner: InProcess, session: AsyncSession
) -> None:
    # given an approved client with a schedule
    await set_(admin, group.client, "PREMIUM_SCHEDULE", premiumSchedule="PS-STD")
    await approve(admin, group.client)
    # when
    first = await run(admin, runner, group.client)
    again = await run(admin, runner, group.client)
    # then
    assert (first["status"], first["policiesTotal"], first["policiesDone"]) == ("DONE", 1, 1)
    assert (first["chargesAdded"], first["amountAdded"]) == (1, "100.00")
    assert first["startedBy"] == "admin-1"
    assert (again["chargesAdded"], again["amountAdded"]) == (0, "0.00")
    # when a discount is set back-dated, the client is CHANGED: left out until approved
    await set_(admin, group.account, "ADJUSTMENT", adjustmentRule="ADJ-LOYAL")
    skipped = await run(admin, runner, group.client)
    await approve(admin, group.client)
    after = await run(admin, runner, group.client)
    # then
    assert skipped["policiesTotal"] == 0
    assert [s["groupClient"]["code"] for s in skipped["skipped"]] == ["ACME"]
    assert (after["chargesAdded"], after["amountAdded"]) == (2, "-5.00")
    assert await charged(session) == [Decimal("100.00"), Decimal("-100.00"), Decimal("95.00")]


async def test_a_dry_run_writes_nothing(
    admin: GraphQLClient, group: Group, runner: InProcess, session: AsyncSession
) -> None:
    await set_(admin, group.client, "PREMIUM_SCHEDULE", premiumSchedule="PS-STD")
    await approve(admin, group.client)
    found = await run(admin, runner, group.client, dry_run=True)
    assert (found["chargesAdded"], found["amountAdded"], found["dryRun"]) == (1, "100.00", True)
    assert await charged(session) == []


async def test_a_policy_without_a_schedule_is_an_error_of_a_finished_run(
    admin: GraphQLClient, group: Group, runner: InProcess
) -> None:
    await approve(admin, group.client)
    found = await run(admin, runner, group.client)
    assert found["status"] == "DONE"
    assert found["errorCount"] == 1
    (error,) = found["errors"]
    assert (error["code"], error["setting"], error["level"]) == (
        "NO_SCHEDULE",
        "PREMIUM_SCHEDULE",
        None,
    )
    assert error["policy"]["number"]


async def test_bad_periods_and_other_ids_are_refused(
    admin: GraphQLClient, group: Group, runner: InProcess
) -> None:
    for period, client, field in (
        ("2027-13", group.client, "period"),
        ("2027-1", group.client, "period"),
        (NEXT_MONTH, group.policy, "groupClientId"),
        (NEXT_MONTH, "R3JvdXBDbGllbnQ6OTk5OTk5", "groupClientId"),
    ):
        payload = await admin.mutate(START, {"input": {"period": period, "groupClientId": client}})
        assert payload["premiumRun"] is None
        assert [e["field"][-1] for e in payload["errors"]] == [field], payload
