"""What the automated coach works from: account teams, claims facts and market events.

Claims facts are medical data, kept apart from everything else: a pharmacy summary per member
and drug, and nothing of a diagnosis. Only a back office with the claims grant reads them;
everyone else only ever sees counts.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.core.columns import UTCDateTime, enum_column, utcnow


class MarketEventKind(StrEnum):
    """What happened in the market that may concern members."""

    DRUG_OVER_THE_COUNTER = "DRUG_OVER_THE_COUNTER"
    PATENT_EXPIRY = "PATENT_EXPIRY"
    NEW_DRUG = "NEW_DRUG"
    PRODUCT_CHANGE = "PRODUCT_CHANGE"


DRUG_KINDS = frozenset(
    {
        MarketEventKind.DRUG_OVER_THE_COUNTER,
        MarketEventKind.PATENT_EXPIRY,
        MarketEventKind.NEW_DRUG,
    }
)
"""The kinds of event that name drugs (the others name products)."""

_team_version = sa.Column("version", sa.Integer, nullable=False)


class AccountTeam(SQLModel, table=True):
    """Back-office users who look after some group clients, with the mailbox they share."""

    __tablename__ = "account_team"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=30, unique=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    members: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    """The subjects of the back-office users in the team."""
    is_default: bool = False
    """The team of every group client that has none assigned; at most one team is."""
    version: int = Field(default=1, sa_column=_team_version)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _team_version}


class AccountTeamAssignment(SQLModel, table=True):
    """Which team looks after a group client (one at a time)."""

    __tablename__ = "account_team_assignment"

    id: int | None = Field(default=None, primary_key=True)
    group_client_id: int = Field(foreign_key="group_client.id", unique=True)
    account_team_id: int = Field(foreign_key="account_team.id", index=True)


class Drug(SQLModel, table=True):
    """A drug the claims name: its code (e.g. an NDC) and name."""

    __tablename__ = "drug"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=30, unique=True)
    name: str = Field(max_length=200)


class ClaimsSummary(SQLModel, table=True):
    """A member's pharmacy claims for one drug: the last fill and the fills in 12 months."""

    __tablename__ = "claims_summary"
    __table_args__ = (sa.UniqueConstraint("person_id", "drug_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    drug_id: int = Field(foreign_key="drug.id", index=True)
    last_fill_date: date
    fills_12_months: int
    loaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MarketEvent(SQLModel, table=True):
    """An outside event that may start campaigns: a drug goes over the counter, say."""

    __tablename__ = "market_event"

    id: int | None = Field(default=None, primary_key=True)
    kind: MarketEventKind = Field(sa_type=enum_column(MarketEventKind, 30))
    drug_codes: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    product_codes: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    effective_date: date
    description: str = Field(max_length=2000)
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
