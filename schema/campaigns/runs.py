"""GraphQL types of campaign runs: their progress and counts, clients, tasks and timeline.

Every count is summed over the clients' parts the caller reaches: a group manager sees their
own clients' counts, never another's, and nothing of a member's claims.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

import strawberry
from strawberry.dataloader import DataLoader

from domain.campaigns import models
from schema.campaigns.types import MarketEvent
from schema.core.context import Info
from schema.core.cost import bound
from schema.core.relay import CountedConnection, RowNode, global_id
from schema.groups.types import GroupClient
from schema.workflow.types import Decision

strawberry.enum(models.RunState, description="STARTED; RUNNING (clients asked); DONE.")
CampaignRunState = models.RunState
strawberry.enum(
    models.ClientState,
    description="ELECTION (the account team decides); OPT_IN (the client is asked); MERGING "
    "(letters being made); OPTED_IN; DECLINED; NOT_ASKED; FAILED.",
)
CampaignClientState = models.ClientState
PARTS = 500
"""The clients' parts a run lists at most."""
TIMELINE = 200


@strawberry.type(description="A version of a campaign: what starts it and what it sends.")
class CampaignDefinition:
    code: str = strawberry.field(description="The campaign's code.")
    version: int = strawberry.field(description="The version the run followed.")
    name: str = strawberry.field(description="What it is, for people.")
    letter_template: str = strawberry.field(description="The code of the letter it merges.")


@strawberry.type(description="How many clients' parts are in one state, and their members.")
class CampaignCount:
    state: CampaignClientState = strawberry.field(description="The state.")
    clients: int = strawberry.field(description="Group clients in it.")
    members: int = strawberry.field(description="Their affected members.")
    letters: int = strawberry.field(description="Letters made for them.")


@strawberry.type(description="A line of a run's timeline.")
class CampaignTimelineEntry:
    at: datetime = strawberry.field(description="When (UTC).")
    actor: str = strawberry.field(description="Who: a person, or groupcover for the server.")
    action: str = strawberry.field(description="What happened, as a code.")
    message: str = strawberry.field(description="What happened, for people.")


@strawberry.type(description="A group client's part of a campaign run.")
class CampaignRunClient:
    members: int = strawberry.field(description="Its affected members when the run started.")
    size: int = strawberry.field(description="Its policies in force (the routing reads it).")
    route: str | None = strawberry.field(description="ELECT (its team first) or DIRECT.")
    state: CampaignClientState = strawberry.field(description="Where its part stands.")
    letters: int = strawberry.field(description="Letters made for its members.")
    client_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: models.CampaignClient) -> Self:
        return cls(members=row.members, size=row.size, route=row.route, state=row.state,
                   letters=row.letters, client_id=row.group_client_id)  # fmt: skip

    @strawberry.field(description="The group client, if you may see it.")
    async def group_client(self, info: Info) -> GroupClient | None:
        found = await info.context.loaders.groups.group_client_by_id.load(self.client_id)
        return GroupClient.from_model(found) if found else None


@strawberry.type(description="A campaign started by a market event: its progress and counts.")
class CampaignRun(RowNode):
    id: strawberry.relay.NodeID[int]
    state: CampaignRunState = strawberry.field(description="Where the run stands.")
    started_by: str = strawberry.field(description="Who recorded the event that started it.")
    created_at: datetime = strawberry.field(description="When it started (UTC).")
    updated_at: datetime = strawberry.field(description="When it last moved (UTC).")
    row: strawberry.Private[models.CampaignRun]

    @classmethod
    def from_model(cls, row: models.CampaignRun) -> Self:
        return cls(id=row.id, state=row.state, started_by=row.started_by,  # type: ignore[arg-type]
                   created_at=row.created_at, updated_at=row.updated_at, row=row)  # fmt: skip

    @classmethod
    def node_loader(cls, info: Info) -> DataLoader[int, Any]:
        return info.context.loaders.campaigns.run_by_id

    @strawberry.field(description="The market event that started it.")
    async def market_event(self, info: Info) -> MarketEvent | None:
        found = await info.context.loaders.campaigns.event_by_id.load(self.row.market_event_id)
        return MarketEvent.from_model(found) if found else None

    @strawberry.field(description="The campaign definition it follows.")
    async def definition(self, info: Info) -> CampaignDefinition | None:
        found = await info.context.loaders.campaigns.definition_by_id.load(self.row.definition_id)
        if found is None:
            return None
        return CampaignDefinition(code=found.code, version=found.version, name=found.name,
                                  letter_template=found.letter_template)  # fmt: skip

    @strawberry.field(
        description="Clients' parts by state, with their members and letters (of the clients "
        "you reach).",
        metadata=bound(len(models.ClientState)),
    )
    async def counts(self, info: Info) -> list[CampaignCount]:
        parts = await info.context.loaders.campaigns.parts_by_run.load(self.row.id)  # type: ignore[arg-type]
        counted: dict[models.ClientState, CampaignCount] = {}
        for part in parts:
            count = counted.setdefault(part.state, CampaignCount(state=part.state, clients=0,
                                                                 members=0, letters=0))  # fmt: skip
            count.clients += 1
            count.members += part.members
            count.letters += part.letters
        return sorted(counted.values(), key=lambda c: list(models.ClientState).index(c.state))

    @strawberry.field(
        description=f"Each client's part you reach (at most {PARTS}).", metadata=bound(PARTS)
    )
    async def clients(self, info: Info) -> list[CampaignRunClient]:
        parts = await info.context.loaders.campaigns.parts_by_run.load(self.row.id)  # type: ignore[arg-type]
        return [CampaignRunClient.from_model(part) for part in parts]

    @strawberry.field(
        description=f"What happened, oldest first (the last {TIMELINE} lines you may see).",
        metadata=bound(TIMELINE),
    )
    async def timeline(self, info: Info) -> list[CampaignTimelineEntry]:
        lines = await info.context.loaders.campaigns.timeline_by_run.load(self.row.id)  # type: ignore[arg-type]
        return [CampaignTimelineEntry(at=e.at, actor=e.actor, action=e.action, message=e.message)
                for e in lines[-TIMELINE:]]  # fmt: skip


@strawberry.type(description="A page of campaign runs.")
class CampaignRunConnection(CountedConnection[CampaignRun]):
    pass


@strawberry.type(description="A campaign step for people: an election or an opt-in.")
class CampaignTask(RowNode):
    id: strawberry.relay.NodeID[int]
    name: str = strawberry.field(description="The step: election or opt_in.")
    title: str = strawberry.field(description="What is asked, for people.")
    assignee: str = strawberry.field(description="BACK_OFFICE (the team) or GROUP_MANAGER.")
    state: str = strawberry.field(description="OPEN, COMPLETED, EXPIRED or CANCELLED.")
    due_at: datetime = strawberry.field(description="When it expires, as a no (UTC).")
    reminded_at: datetime | None = strawberry.field(description="When it was reminded.")
    decision: str | None = strawberry.field(description="APPROVE, REJECT or EXPIRED.")
    completed_by: str | None = strawberry.field(description="Who decided.")
    completed_at: datetime | None = strawberry.field(description="When (UTC).")
    row: strawberry.Private[models.CampaignTask]

    @classmethod
    def from_model(cls, row: models.CampaignTask) -> Self:
        return cls(
            id=row.id, name=row.name, title=row.title, assignee=row.assignee,  # type: ignore[arg-type]
            state=row.state, due_at=row.due_at, reminded_at=row.reminded_at,
            decision=row.decision, completed_by=row.completed_by, completed_at=row.completed_at,
            row=row,
        )  # fmt: skip

    @classmethod
    def node_loader(cls, info: Info) -> DataLoader[int, Any]:
        return info.context.loaders.campaigns.task_by_id

    @strawberry.field(description="The client's part it is about, with its counts.")
    async def part(self, info: Info) -> CampaignRunClient | None:
        found = await info.context.loaders.campaigns.part_by_id.load(self.row.campaign_client_id)
        return CampaignRunClient.from_model(found) if found else None

    @strawberry.field(description="The run's id (its node, if you may follow it).")
    async def run_id(self, info: Info) -> strawberry.ID | None:
        found = await info.context.loaders.campaigns.part_by_id.load(self.row.campaign_client_id)
        return strawberry.ID(global_id("CampaignRun", found.run_id)) if found else None


@strawberry.type(description="A page of campaign tasks.")
class CampaignTaskConnection(CountedConnection[CampaignTask]):
    pass


__all__ = ["Decision"]
