"""Queries of teams, market events and (with the claims grant) members' claims summaries."""

from __future__ import annotations

import sqlalchemy as sa
import strawberry
from sqlmodel import col

from authz.access import CAMPAIGNS_FOLLOW, CAMPAIGNS_READ, CLAIMS_READ
from domain.campaigns.market import list_events
from domain.campaigns.models import AccountTeam as TeamRow
from domain.campaigns.models import CampaignRun as RunRow
from domain.campaigns.models import CampaignTask as TaskRow
from domain.campaigns.models import ClaimsSummary as SummaryRow
from domain.campaigns.models import Drug as DrugRow
from domain.core.paging import count, fetch_slice
from domain.core.reach import visible
from schema.campaigns.runs import (
    CampaignRun,
    CampaignRunConnection,
    CampaignTask,
    CampaignTaskConnection,
)
from schema.campaigns.types import AccountTeam, ClaimsSummary, Drug, MarketEvent
from schema.core.context import Info
from schema.core.permissions import guarded
from schema.core.relay import decode_id, window


@strawberry.type
class CampaignQuery:
    @strawberry.field(**guarded(CAMPAIGNS_READ, "Every account team, by code.", items=100))
    async def account_teams(self, info: Info) -> list[AccountTeam] | None:
        rows = await info.context.session.scalars(sa.select(TeamRow).order_by(col(TeamRow.code)))
        return [AccountTeam.from_model(row) for row in rows]

    @strawberry.field(
        **guarded(CAMPAIGNS_READ, "The latest 100 market events, newest first.", items=100)
    )
    async def market_events(self, info: Info) -> list[MarketEvent] | None:
        rows = await list_events(info.context.session, limit=100)
        return [MarketEvent.from_model(row) for row in rows]

    @strawberry.field(
        **guarded(
            CLAIMS_READ,
            "A member's pharmacy claims summaries, by drug code; empty for a member you do "
            "not reach, as for an unknown one.",
            items=100,
        )
    )
    async def claims_summaries(
        self, info: Info, person_id: strawberry.ID
    ) -> list[ClaimsSummary] | None:
        person = decode_id(person_id, "Person")
        scope = info.context.access.scope(CLAIMS_READ)
        stmt = (
            sa.select(SummaryRow, DrugRow)
            .join(DrugRow, col(DrugRow.id) == col(SummaryRow.drug_id))
            .where(col(SummaryRow.person_id) == person, visible(scope, SummaryRow))
            .order_by(col(DrugRow.code))
        )
        found = await info.context.session.execute(stmt)
        return [
            ClaimsSummary(
                drug=Drug(code=drug.code, name=drug.name),
                last_fill_date=row.last_fill_date,
                fills_12_months=row.fills_12_months,
                loaded_at=row.loaded_at,
            )
            for row, drug in found.all()
        ]

    @strawberry.field(
        **guarded(
            CAMPAIGNS_FOLLOW,
            "Campaign runs you may follow (those you started, and those about a client you "
            "reach), newest first, at most 100 a page.",
        )
    )
    async def campaign_runs(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> CampaignRunConnection | None:
        session = info.context.session
        scope = info.context.access.scope(CAMPAIGNS_FOLLOW)
        stmt = sa.select(RunRow).where(visible(scope, RunRow))
        page = await fetch_slice(session, stmt, RunRow, window(info, first, after))
        return CampaignRunConnection.of(
            page, CampaignRun.from_model, lambda: count(session, stmt), after=after is not None
        )

    @strawberry.field(
        **guarded(
            CAMPAIGNS_FOLLOW,
            "Your campaign tasks: a back office's elections (and its clients' opt-ins), a group "
            "manager's opt-ins; OPEN ones unless `state` says otherwise.",
        )
    )
    async def campaign_tasks(
        self, info: Info, first: int | None = None, after: str | None = None, state: str = "OPEN"
    ) -> CampaignTaskConnection | None:
        session = info.context.session
        scope = info.context.access.scope(CAMPAIGNS_FOLLOW)
        stmt = sa.select(TaskRow).where(visible(scope, TaskRow), col(TaskRow.state) == state)
        page = await fetch_slice(session, stmt, TaskRow, window(info, first, after))
        return CampaignTaskConnection.of(
            page, CampaignTask.from_model, lambda: count(session, stmt), after=after is not None
        )
