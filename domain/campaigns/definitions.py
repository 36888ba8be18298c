"""Campaign definitions: which events start a campaign, whom it concerns, how it runs.

The server ships one, `drug-coach` (version 1): a drug goes over the counter, its patent
expires or a new one comes; the members with a fill in the last 12 months are affected; each
client's part follows the shipped `coach` process (domain/campaigns/processes) and its
decision table `coach_route`; the letter is the shipped `coach-drug-letter` until an approved
version of that code exists. Like the shipped request processes, it is kept by the server
itself the first time an event is recorded, and the process is deployed as a version of its
key, so that a run always names the version it followed.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import NOTHING, Actor
from domain.campaigns.models import CampaignDefinition, MarketEventKind
from domain.core.changes import Action, changing
from domain.workflow import definitions
from domain.workflow.models import ProcessDefinition
from domain.workflow.progress import SERVER

PROCESSES = Path(__file__).parent / "processes"
COACH = "coach"
TRIAL = {"event_kind": "DRUG_OVER_THE_COUNTER", "line_of_business": "HEALTH", "size": 1,
         "members": 1}  # fmt: skip
"""What the coach process is started with to prove, before it is deployed, that it starts."""

SHIPPED = CampaignDefinition(
    code="drug-coach",
    version=1,
    name="Tell members about a change to a drug they take",
    event_kinds=[
        MarketEventKind.DRUG_OVER_THE_COUNTER,
        MarketEventKind.PATENT_EXPIRY,
        MarketEventKind.NEW_DRUG,
    ],
    fill_months=12,
    product_codes=[],
    process_key=COACH,
    letter_template="coach-drug-letter",
    created_by=SERVER,
)


def _server() -> Actor:
    # Shipped configuration reaches no member's row: definitions and processes are read by all.
    return Actor(SERVER, NOTHING)


async def matching(session: AsyncSession, kind: MarketEventKind) -> list[CampaignDefinition]:
    """The newest version of each campaign an event of `kind` starts (the shipped one kept
    on first use)."""
    if await session.scalar(sa.select(col(CampaignDefinition.id)).limit(1)) is None:
        async with changing(
            session, _server(), Action.CAMPAIGN_DEFINITION_SHIP, CampaignDefinition,
            marks_changed=False,
        ) as change:  # fmt: skip
            change.add(CampaignDefinition(**SHIPPED.model_dump(exclude={"id"})))
    newest = (
        sa.select(col(CampaignDefinition.code), sa.func.max(col(CampaignDefinition.version)))
        .group_by(col(CampaignDefinition.code))
        .subquery()
    )
    rows = await session.scalars(
        sa.select(CampaignDefinition)
        .join(
            newest,
            sa.and_(
                newest.c.code == col(CampaignDefinition.code),
                newest.c[1] == col(CampaignDefinition.version),
            ),
        )
        .order_by(col(CampaignDefinition.code))
    )
    return [row for row in rows if kind in row.event_kinds]


async def process_for(session: AsyncSession, key: str) -> ProcessDefinition:
    """The newest deployed version of a campaign's process; the shipped coach on first use."""
    found = await definitions.latest(session, key)
    if found is None and key == COACH:
        bpmn = (PROCESSES / f"{COACH}.bpmn").read_text()
        dmn = [(PROCESSES / f"{COACH}.dmn").read_text()]
        found = await definitions.deploy(session, actor=_server(), bpmn=bpmn, dmn=dmn, trial=TRIAL)
    assert found is not None, f"the campaign process {key} is not deployed"
    return found
