"""GraphQL types of what the automated coach works from."""

from __future__ import annotations

from datetime import date, datetime
from typing import Self

import strawberry

from authz.access import CAMPAIGNS_READ
from domain.campaigns import models
from domain.campaigns.claims import ClaimsLoad
from domain.core.errors import DomainError
from schema.core.errors import UserError, user_errors
from schema.core.permissions import guarded

strawberry.enum(models.MarketEventKind, description="What happened in the market.")
MarketEventKind = models.MarketEventKind


@strawberry.type(description="Back-office users who look after some group clients.")
class AccountTeam:
    code: str = strawberry.field(description="The business code, unique.")
    name: str = strawberry.field(description="The name shown to people.")
    email: str = strawberry.field(description="The mailbox the team shares.")
    is_default: bool = strawberry.field(
        description="Whether it looks after every group client without a team of its own."
    )
    version: int = strawberry.field(description="Its version; give it back to change it.")
    member_subjects: strawberry.Private[list[str]]

    @strawberry.field(**guarded(CAMPAIGNS_READ, "The subjects of the team's back-office users."))
    def members(self) -> list[str] | None:
        return self.member_subjects

    @classmethod
    def from_model(cls, row: models.AccountTeam) -> Self:
        return cls(
            code=row.code,
            name=row.name,
            email=row.email,
            is_default=row.is_default,
            version=row.version,
            member_subjects=list(row.members),
        )


@strawberry.type(description="A drug the claims name.")
class Drug:
    code: str = strawberry.field(description="Its code (an NDC, say).")
    name: str = strawberry.field(description="Its name.")


@strawberry.type(description="A member's pharmacy claims for one drug (medical data).")
class ClaimsSummary:
    drug: Drug = strawberry.field(description="The drug.")
    last_fill_date: date = strawberry.field(description="The day of the last fill.")
    fills_12_months: int = strawberry.field(description="Fills in the 12 months before loading.")
    loaded_at: datetime = strawberry.field(description="When the claims system last sent it.")


@strawberry.type(description="An outside event that may start campaigns.")
class MarketEvent:
    kind: MarketEventKind = strawberry.field(description="What happened.")
    drug_codes: list[str] = strawberry.field(description="The drugs it concerns.")
    product_codes: list[str] = strawberry.field(description="The products it concerns.")
    effective_date: date = strawberry.field(description="The day it takes effect.")
    description: str = strawberry.field(description="What happened, for people.")
    recorded_by: str = strawberry.field(description="Who recorded it.")
    recorded_at: datetime = strawberry.field(description="When it was recorded.")

    @classmethod
    def from_model(cls, row: models.MarketEvent) -> Self:
        return cls(
            kind=row.kind,
            drug_codes=list(row.drug_codes),
            product_codes=list(row.product_codes),
            effective_date=row.effective_date,
            description=row.description,
            recorded_by=row.recorded_by,
            recorded_at=row.recorded_at,
        )


@strawberry.type(description="A claims file row that was not loaded.")
class ClaimsRowRefusal:
    line: int = strawberry.field(description="Its line in the file (the header is line 1).")
    errors: list[UserError] = strawberry.field(description="Why, each naming its column.")


@strawberry.type(description="What loading a claims summary file did.")
class ClaimsLoadResult:
    received: int = strawberry.field(description="Rows in the file.")
    loaded: int = strawberry.field(description="Rows saved.")
    refused: list[ClaimsRowRefusal] = strawberry.field(description="Rows not saved, and why.")

    @classmethod
    def of(cls, load: ClaimsLoad) -> Self:
        return cls(
            received=load.received,
            loaded=load.loaded,
            refused=[
                ClaimsRowRefusal(line=row.line, errors=user_errors(DomainError(*row.problems)))
                for row in load.refused
            ],
        )
