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


class CampaignDefinition(SQLModel, table=True):
    """One version of a campaign: the events that start it, its audience, process and letter.

    The audience is the members with a fill of one of the event's drugs in the last
    `fill_months` months (for a drug event), covered on the event's date, with one of
    `product_codes` (none: any), aged `min_age` to `max_age` on that date (None: no bound).
    """

    __tablename__ = "campaign_definition"
    __table_args__ = (sa.UniqueConstraint("code", "version", name="uq_campaign_definition"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=30, index=True)
    version: int
    name: str = Field(max_length=200)
    event_kinds: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    fill_months: int = 12
    product_codes: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    min_age: int | None = None
    max_age: int | None = None
    process_key: str = Field(default="coach", max_length=100)
    """The BPMN process each client's part follows (its newest deployed version)."""
    letter_template: str = Field(max_length=60)
    """The code of the letter template merged (its newest approved version, or the shipped)."""
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RunState(StrEnum):
    """A run is STARTED until its audience is found and every client asked, then RUNNING
    until every client's part has ended, then DONE."""

    STARTED = "STARTED"
    RUNNING = "RUNNING"
    DONE = "DONE"


class ClientState(StrEnum):
    """Where a client's part of a run stands."""

    ELECTION = "ELECTION"
    """Its account team decides whether to ask it."""
    OPT_IN = "OPT_IN"
    """Its group managers are asked."""
    MERGING = "MERGING"
    """It opted in: the letters are being made."""
    OPTED_IN = "OPTED_IN"
    DECLINED = "DECLINED"
    NOT_ASKED = "NOT_ASKED"
    FAILED = "FAILED"


_run_version = sa.Column("version", sa.Integer, nullable=False)


class CampaignRun(SQLModel, table=True):
    """A campaign started by a market event: one per event and definition."""

    __tablename__ = "campaign_run"
    __table_args__ = (
        sa.UniqueConstraint("market_event_id", "definition_id", name="uq_campaign_run"),
    )

    id: int | None = Field(default=None, primary_key=True)
    market_event_id: int = Field(foreign_key="market_event.id", index=True)
    definition_id: int = Field(foreign_key="campaign_definition.id", index=True)
    process_definition_id: int | None = Field(
        default=None, foreign_key="process_definition.id", index=True
    )
    state: RunState = Field(default=RunState.STARTED, sa_type=enum_column(RunState))
    started_by: str = Field(max_length=200)
    started_scope: Any = Field(default=None, sa_type=sa.JSON, nullable=True)
    """The reach of whoever recorded the event: the run's background steps act within it."""
    version: int = Field(default=1, sa_column=_run_version)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _run_version}


_client_version = sa.Column("version", sa.Integer, nullable=False)


class CampaignClient(SQLModel, table=True):
    """A group client's part of a run: its counts, its process and where it stands."""

    __tablename__ = "campaign_client"
    __table_args__ = (sa.UniqueConstraint("run_id", "group_client_id", name="uq_campaign_client"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="campaign_run.id", index=True)
    group_client_id: int = Field(foreign_key="group_client.id", index=True)
    account_team_id: int | None = Field(default=None, foreign_key="account_team.id", index=True)
    members: int
    """Affected members found when the run started."""
    size: int
    """Policies in force in the client's tree on the event's date (the decision table reads it)."""
    route: str | None = Field(default=None, max_length=20)
    state: ClientState = Field(sa_type=enum_column(ClientState), index=True)
    letters: int = 0
    workflow: str = Field(sa_type=sa.Text)
    waits_on_server: bool = Field(default=False, index=True)
    version: int = Field(default=1, sa_column=_client_version)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _client_version}


class CampaignTask(SQLModel, table=True):
    """A person's step of a client's part: the team's election or the client's opt-in."""

    __tablename__ = "campaign_task"

    id: int | None = Field(default=None, primary_key=True)
    campaign_client_id: int = Field(foreign_key="campaign_client.id", index=True)
    engine_task_id: str = Field(max_length=36)
    name: str = Field(max_length=100)
    title: str = Field(max_length=200)
    assignee: str = Field(max_length=20)
    """GROUP_MANAGER (the opt-in) or BACK_OFFICE (the account team's election)."""
    state: str = Field(max_length=20, index=True)
    """OPEN, COMPLETED, EXPIRED or CANCELLED."""
    due_at: datetime = Field(sa_type=UTCDateTime)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision: str | None = Field(default=None, max_length=20)
    completed_by: str | None = Field(default=None, max_length=200)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CampaignEvent(SQLModel, table=True):
    """One line of a run's timeline; about one client's part, or the whole run."""

    __tablename__ = "campaign_event"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="campaign_run.id", index=True)
    campaign_client_id: int | None = Field(
        default=None, foreign_key="campaign_client.id", index=True
    )
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=50)
    message: str = Field(max_length=2000)


class CampaignLetter(SQLModel, table=True):
    """The letter a member got from a run: never two for the same member and run."""

    __tablename__ = "campaign_letter"
    __table_args__ = (sa.UniqueConstraint("run_id", "person_id", name="uq_campaign_letter"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="campaign_run.id", index=True)
    campaign_client_id: int = Field(foreign_key="campaign_client.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    document_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("document.id", ondelete="SET NULL"),
            nullable=True,
            index=True,
        ),
    )
    """None once the letter was purged at the end of its retention (the member keeps it)."""
