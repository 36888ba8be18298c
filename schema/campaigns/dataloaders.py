"""Per-request loaders of what the automated coach works from, and of its runs."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from strawberry.dataloader import DataLoader

from authz.access import CAMPAIGNS_FOLLOW, Access
from domain.campaigns.models import (
    AccountTeam,
    CampaignClient,
    CampaignDefinition,
    CampaignEvent,
    CampaignRun,
    CampaignTask,
    MarketEvent,
)
from domain.campaigns.teams import teams_of
from domain.core.reach import visible
from schema.core.batch import lists_by, rows_by_id


class CampaignLoaders:
    """The team of each group client (a client's visibility is its own loader's business), and
    runs, their clients' parts, tasks and timelines as the caller may follow them."""

    def __init__(self, session: AsyncSession, caller: Access) -> None:
        async def teams(ids: list[int]) -> list[AccountTeam | None]:
            found = await teams_of(session, ids)
            return [found[i][0] for i in ids]

        self.account_team_by_group_client = DataLoader(load_fn=teams)
        scope = caller.scope(CAMPAIGNS_FOLLOW)
        self.run_by_id = rows_by_id(session, CampaignRun, where=visible(scope, CampaignRun))
        self.task_by_id = rows_by_id(session, CampaignTask, where=visible(scope, CampaignTask))
        self.part_by_id = rows_by_id(session, CampaignClient, where=visible(scope, CampaignClient))
        self.event_by_id = rows_by_id(session, MarketEvent, where=visible(scope, MarketEvent))
        self.definition_by_id = rows_by_id(
            session, CampaignDefinition, where=visible(scope, CampaignDefinition)
        )
        self.parts_by_run = lists_by(
            session, CampaignClient, col(CampaignClient.run_id),
            where=visible(scope, CampaignClient),
        )  # fmt: skip
        self.timeline_by_run = lists_by(
            session, CampaignEvent, col(CampaignEvent.run_id), where=visible(scope, CampaignEvent)
        )
