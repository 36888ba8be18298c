"""Inputs of the premiums' mutations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from schema.reference.types import CoverageTier


@strawberry.input(description="A monthly premium for an age band and a tier.")
class PremiumScheduleRateInput:
    age_from: int = strawberry.field(description="The youngest age of the band, 0 to 150.")
    age_to: int = strawberry.field(description="The oldest age of the band, included.")
    coverage_tier: CoverageTier = strawberry.field(description="Who is covered.")
    amount: Decimal = strawberry.field(description="The monthly premium, two decimals.")
    parameter_name: str | None = strawberry.field(
        default=None,
        description="With parameterValue: the rate holds only where the product's parameter "
        "of this name has that value (it wins over a rate for any value).",
    )
    parameter_value: str | None = strawberry.field(
        default=None, description="The parameter's value this rate is for."
    )


@strawberry.input(description="Rates to add to a premium schedule for a period.")
class PremiumScheduleRateSetInput:
    premium_schedule: str = strawberry.field(description="The schedule's code.")
    currency: str = strawberry.field(description="ISO 4217: must be the schedule's currency.")
    start_date: date = strawberry.field(description="From when the rates hold.")
    end_date: date | None = strawberry.field(
        default=None, description="Until when, included; null: open-ended."
    )
    rates: list[PremiumScheduleRateInput] = strawberry.field(
        description="The rates; bands of one tier (and parameter value) must not overlap each "
        "other nor, in a shared period, the schedule's kept rates."
    )


@strawberry.input(description="A premium run to start.")
class PremiumRunStartInput:
    period: str = strawberry.field(description="The month, YYYY-MM.")
    group_client_id: strawberry.ID = strawberry.field(
        description="The group client: it and every client below it that is APPROVED."
    )
    dry_run: bool = strawberry.field(
        default=False, description="Calculate and report only; write no charge."
    )


@strawberry.input(description="Which premium runs to list.")
class PremiumRunFilter:
    group_client_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only runs under this group client."
    )
    period: str | None = strawberry.field(default=None, description="Only runs of this month.")


@strawberry.input(description="Which bills to list.")
class BillFilter:
    period: str = strawberry.field(description="The month, YYYY-MM.")
    group_client_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this group client's bills."
    )
