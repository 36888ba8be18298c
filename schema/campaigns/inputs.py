"""Inputs of the campaign mutations."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.file_uploads import Upload

from domain.campaigns.teams import TeamData
from schema.campaigns.types import MarketEventKind
from schema.workflow.types import Decision


@strawberry.input(description="What an account team is.")
class AccountTeamInput:
    name: str = strawberry.field(description="The name shown to people.")
    email: str = strawberry.field(description="The mailbox the team shares.")
    members: list[str] = strawberry.field(description="Subjects of its back-office users.")
    is_default: bool = strawberry.field(
        default=False,
        description="Make it the team of every group client without one (the previous "
        "default team stops being it).",
    )

    def data(self) -> TeamData:
        """The domain's team data."""
        return TeamData(
            name=self.name, email=self.email, members=self.members, is_default=self.is_default
        )


@strawberry.input(description="A new account team.")
class AccountTeamCreateInput:
    code: str = strawberry.field(description="Its business code, unique; never changes.")
    team: AccountTeamInput = strawberry.field(description="What it is.")


@strawberry.input(description="New values for an account team.")
class AccountTeamUpdateInput:
    code: str = strawberry.field(description="The team's code.")
    version: int = strawberry.field(description="The version you read; refused if stale.")
    team: AccountTeamInput = strawberry.field(description="What it is now.")


@strawberry.input(description="The team that looks after a group client.")
class AccountTeamAssignInput:
    group_client_id: strawberry.ID = strawberry.field(description="The group client.")
    team_code: str | None = strawberry.field(
        description="The team's code; null lets the client fall to the default team."
    )


@strawberry.input(description="A claims summary file from the claims system.")
class ClaimsSummaryLoadInput:
    file: Upload = strawberry.field(
        description="A CSV (GraphQL multipart request): person_number, drug_code, drug_name, "
        "last_fill_date, fills_12_months."
    )


@strawberry.input(description="An outside event that may start campaigns.")
class MarketEventRecordInput:
    kind: MarketEventKind = strawberry.field(description="What happened.")
    drug_codes: list[str] = strawberry.field(
        default_factory=list, description="The drugs it concerns (known drug codes)."
    )
    product_codes: list[str] = strawberry.field(
        default_factory=list, description="The products it concerns (known product codes)."
    )
    effective_date: date = strawberry.field(description="The day it takes effect.")
    description: str = strawberry.field(description="What happened, for people.")


@strawberry.input(description="A decision on a campaign task.")
class CampaignTaskCompleteInput:
    id: strawberry.ID = strawberry.field(description="The task's id.")
    decision: Decision = strawberry.field(
        description="APPROVE: elect the client, or opt in; REJECT: do not."
    )
