"""The demo book's automated coach: account teams, the shipped campaign and its process.

Globex has a team of its own; every other client falls to the coach desk, the default team.
The shipped campaign `drug-coach` and the `coach` process are kept as the server keeps them on
the first market event, so that `make run` lists them before anyone records one.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import EVERYTHING, Actor
from domain.campaigns import definitions, teams
from domain.campaigns.models import AccountTeam, MarketEventKind
from domain.groups.models import GroupClient

ACTOR = Actor(subject="demo", scope=EVERYTHING)
TEAMS = (
    ("COACH-DESK", "Coach desk", "coach-desk@insurer.example", None),
    ("GLOBEX-TEAM", "Globex account team", "globex-team@insurer.example", "GLOBEX"),
)


async def load_campaigns(session: AsyncSession, added: dict[str, int]) -> None:
    """Add the teams and keep the shipped campaign, once."""
    if await session.scalar(sa.select(col(AccountTeam.id)).limit(1)) is not None:
        return
    for code, name, email, client in TEAMS:
        data = teams.TeamData(name, email, ["demo-backoffice"], is_default=client is None)
        await teams.create_team(session, actor=ACTOR, code=code, data=data)
        added["account teams"] += 1
        if client is not None:
            client_id = await session.scalar(
                sa.select(col(GroupClient.id)).where(col(GroupClient.code) == client)
            )
            assert client_id is not None, client
            await teams.assign_team(session, actor=ACTOR, group_client_id=client_id, team_code=code)
    shipped = await definitions.matching(session, MarketEventKind.DRUG_OVER_THE_COUNTER)
    added["campaign definitions"] += len(shipped)
    await definitions.process_for(session, definitions.COACH)
