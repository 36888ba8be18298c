"""Mutations of what the automated coach works from: teams, claims and market events."""

from __future__ import annotations

import strawberry

from authz.access import CAMPAIGNS_ACT, CAMPAIGNS_WRITE, CLAIMS_WRITE, GROUPS_WRITE
from domain.campaigns import claims, market, runs, tasks, teams
from schema.campaigns import inputs
from schema.campaigns.runs import CampaignRunClient
from schema.campaigns.types import AccountTeam, ClaimsLoadResult, MarketEvent
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.mutations import actor, mutation
from schema.core.relay import require_id
from schema.core.uploads import uploaded
from schema.groups.types import GroupClient

_ERRORS = "Why the input was refused; empty on success, and then everything was saved."


@strawberry.type(description="The outcome of accountTeamCreate or accountTeamUpdate.")
class AccountTeamPayload:
    account_team: AccountTeam | None = strawberry.field(description="The team as saved.")
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type(description="The outcome of accountTeamAssign.")
class AccountTeamAssignPayload:
    group_client: GroupClient | None = strawberry.field(description="The group client.")
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type(description="The outcome of claimsSummaryLoad.")
class ClaimsSummaryLoadPayload:
    result: ClaimsLoadResult | None = strawberry.field(
        description="Rows received, loaded and refused (each refused row with its reasons)."
    )
    errors: list[UserError] = strawberry.field(
        description="Why the whole file was refused (not CSV, a column missing); a row's own "
        "problems are in `result`."
    )


@strawberry.type(description="The outcome of marketEventRecord.")
class MarketEventPayload:
    market_event: MarketEvent | None = strawberry.field(
        description="The event as recorded (the one recorded before, for the same event again)."
    )
    errors: list[UserError] = strawberry.field(description=_ERRORS)
    started: strawberry.Private[list[int] | None] = None


async def _begin(info: Info, payload: MarketEventPayload) -> None:
    """Once committed, hand the runs the event started to the background."""
    if info.context.runner is not None:
        for run_id in payload.started or []:
            await info.context.runner.begin_campaign(run_id)


@strawberry.type(description="The outcome of campaignTaskComplete.")
class CampaignTaskCompletePayload:
    part: CampaignRunClient | None = strawberry.field(
        description="The client's part as it stands after the decision."
    )
    errors: list[UserError] = strawberry.field(description=_ERRORS)
    merge: strawberry.Private[int | None] = None


async def _merge(info: Info, payload: CampaignTaskCompletePayload) -> None:
    """Once an opt-in is committed, make the letters in the background."""
    if payload.merge is not None and info.context.runner is not None:
        await info.context.runner.merge_letters(payload.merge)


@strawberry.type
class CampaignMutation:
    @mutation(CAMPAIGNS_WRITE, "Add an account team of back-office users.")
    async def account_team_create(
        self, info: Info, input: inputs.AccountTeamCreateInput
    ) -> AccountTeamPayload:
        row = await teams.create_team(
            info.context.session, actor=actor(info), code=input.code, data=input.team.data()
        )
        return AccountTeamPayload(account_team=AccountTeam.from_model(row), errors=[])

    @mutation(CAMPAIGNS_WRITE, "Change an account team's name, mailbox, members or default.")
    async def account_team_update(
        self, info: Info, input: inputs.AccountTeamUpdateInput
    ) -> AccountTeamPayload:
        row = await teams.update_team(
            info.context.session, actor=actor(info), code=input.code, version=input.version,
            data=input.team.data(),
        )  # fmt: skip
        return AccountTeamPayload(account_team=AccountTeam.from_model(row), errors=[])

    @mutation(GROUPS_WRITE, "Choose the account team that looks after a group client.")
    async def account_team_assign(
        self, info: Info, input: inputs.AccountTeamAssignInput
    ) -> AccountTeamAssignPayload:
        row = await teams.assign_team(
            info.context.session,
            actor=actor(info),
            group_client_id=require_id(
                input.group_client_id, "GroupClient", field="group_client_id"
            ),
            team_code=input.team_code,
        )
        return AccountTeamAssignPayload(group_client=GroupClient.from_model(row), errors=[])

    @mutation(
        CLAIMS_WRITE,
        "Load pharmacy claims summaries (a CSV) for the members you reach; each row on its own.",
    )
    async def claims_summary_load(
        self, info: Info, input: inputs.ClaimsSummaryLoadInput
    ) -> ClaimsSummaryLoadPayload:
        load = await claims.load_claims(
            info.context.session, actor=actor(info), data=await uploaded(input.file)
        )
        return ClaimsSummaryLoadPayload(result=ClaimsLoadResult.of(load), errors=[])

    @mutation(
        CAMPAIGNS_WRITE,
        "Record a market event (a drug goes over the counter, say); it starts a run of each "
        "campaign whose definition names its kind, in the background.",
        after=_begin,
    )
    async def market_event_record(
        self, info: Info, input: inputs.MarketEventRecordInput
    ) -> MarketEventPayload:
        row = await market.record_event(
            info.context.session,
            actor=actor(info),
            kind=input.kind,
            drug_codes=input.drug_codes,
            product_codes=input.product_codes,
            effective_date=input.effective_date,
            description=input.description,
        )
        started = await runs.start_runs(info.context.session, actor=actor(info), event=row)
        return MarketEventPayload(
            market_event=MarketEvent.from_model(row), errors=[], started=started
        )

    @mutation(
        CAMPAIGNS_ACT,
        "Decide a campaign task: an account team elects its client (APPROVE) or not; a "
        "client's group manager opts in (APPROVE) or declines. An opt-in makes the letters.",
        after=_merge,
    )
    async def campaign_task_complete(
        self, info: Info, input: inputs.CampaignTaskCompleteInput
    ) -> CampaignTaskCompletePayload:
        part = await tasks.complete_task(
            info.context.session, actor=actor(info), decision=input.decision,
            task_id=require_id(input.id, "CampaignTask", field="id"),
        )  # fmt: skip
        return CampaignTaskCompletePayload(
            part=CampaignRunClient.from_model(part), errors=[],
            merge=part.id if part.waits_on_server else None,
        )  # fmt: skip
