"""Per-request loaders of what the automated coach works from."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from authz.access import Access
from domain.campaigns.models import AccountTeam
from domain.campaigns.teams import teams_of


class CampaignLoaders:
    """The team of each group client (a client's visibility is its own loader's business)."""

    def __init__(self, session: AsyncSession, caller: Access) -> None:
        async def teams(ids: list[int]) -> list[AccountTeam | None]:
            found = await teams_of(session, ids)
            return [found[i][0] for i in ids]

        self.account_team_by_group_client = DataLoader(load_fn=teams)
