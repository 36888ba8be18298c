"""Mutations of premiums: a schedule's rates, and premium runs."""

from __future__ import annotations

import strawberry

from authz.access import PREMIUMS_RUN
from domain.premiums import rates, runs
from domain.settings.catalogue import RateSpec
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.mutations import actor, mutation
from schema.core.relay import require_id
from schema.premiums import inputs
from schema.premiums.runs import PremiumRun

_ERRORS = "Why the input was refused; empty on success, and then every change was saved."


@strawberry.type(description="The outcome of premiumScheduleRateSet.")
class PremiumScheduleRateSetPayload:
    premium_schedule: str | None = strawberry.field(description="The schedule's code.")
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type(description="The outcome of premiumRunStart.")
class PremiumRunPayload:
    premium_run: PremiumRun | None = strawberry.field(
        description="The run, queued; follow its status and progress."
    )
    errors: list[UserError] = strawberry.field(description=_ERRORS)


async def _work(info: Info, payload: PremiumRunPayload) -> None:
    """Once committed, hand the run to the background."""
    if payload.premium_run is not None and info.context.runner is not None:
        await info.context.runner.run_premiums(payload.premium_run.row.id)  # type: ignore[arg-type]


@strawberry.type
class PremiumMutation:
    @mutation(
        PREMIUMS_RUN,
        "Start a premium run of a month over a group client and the clients below it, in "
        "the background: each APPROVED client's policies are priced and what differs from "
        "their charges in force is added (reversals and new charges; never an edit); "
        "CHANGED clients are listed as skipped.",
        after=_work,
    )
    async def premium_run_start(
        self, info: Info, input: inputs.PremiumRunStartInput
    ) -> PremiumRunPayload:
        run = await runs.start(
            info.context.session,
            actor=actor(info),
            period=input.period,
            group_client_id=require_id(
                input.group_client_id, "GroupClient", field="group_client_id"
            ),
            dry_run=input.dry_run,
        )
        return PremiumRunPayload(premium_run=PremiumRun.from_model(run), errors=[])

    @mutation(
        PREMIUMS_RUN,
        "Add rates to a premium schedule for a period; the schedule's earlier rates are kept.",
    )
    async def premium_schedule_rate_set(
        self, info: Info, input: inputs.PremiumScheduleRateSetInput
    ) -> PremiumScheduleRateSetPayload:
        schedule = await rates.set_rates(
            info.context.session,
            actor=actor(info),
            schedule_code=input.premium_schedule,
            currency=input.currency,
            start_date=input.start_date,
            end_date=input.end_date,
            rates=[
                RateSpec(
                    r.age_from,
                    r.age_to,
                    r.coverage_tier,
                    r.amount,
                    r.parameter_name,
                    r.parameter_value,
                )
                for r in input.rates
            ],
        )
        return PremiumScheduleRateSetPayload(premium_schedule=schedule.code, errors=[])
