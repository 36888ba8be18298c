"""Premium runs and the charges they write: what each policy owes for each product and month.

Charges are never edited: a later run for the same month that finds a different amount adds
a reversal of the charge in force (its amounts negated, `reverses_id` naming it) and a new
charge; a run that finds the same amounts adds nothing. What a policy owes for a month is the
sum of its charges for it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.core.columns import UTCDateTime, enum_column, utcnow

ERRORS_KEPT = 500
"""A run keeps this many of its problems to show (and counts them all)."""


class RunStatus(StrEnum):
    """Where a premium run is."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


class PremiumRun(SQLModel, table=True):
    """One calculation of a month's premiums for the approved group clients under one."""

    __tablename__ = "premium_run"

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=7, index=True)
    """The month, YYYY-MM."""
    group_client_id: int = Field(foreign_key="group_client.id", index=True)
    dry_run: bool = False
    """Calculated and reported, but no charge written."""
    status: RunStatus = Field(default=RunStatus.QUEUED, sa_type=enum_column(RunStatus))
    started_by: str = Field(max_length=200)
    started_scope: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    """The starter's reach (authz RowScope.to_json): the run computes and writes as them."""
    policies_total: int = 0
    policies_done: int = 0
    charges_added: int = 0
    amount_added: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric(14, 2))
    """The sum of the charges this run added (reversals count negative)."""
    skipped: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    """The group clients left out, each {group_client_id, reason}."""
    errors: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    """The first ERRORS_KEPT problems, each {policy_id, code, message, setting, level}."""
    error_count: int = 0
    """How many problems the run found in all."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PremiumCharge(SQLModel, table=True):
    """What a policy owes for one product in one month, as one run found it; or a reversal."""

    __tablename__ = "premium_charge"
    __table_args__ = (sa.Index("ix_premium_charge_policy_period", "policy_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="premium_run.id", index=True, ondelete="CASCADE")
    policy_id: int = Field(foreign_key="policy.id")
    product_id: int = Field(foreign_key="product.id", index=True)
    period: str = Field(max_length=7)
    group_client_id: int = Field(foreign_key="group_client.id", index=True)
    """The client whose account the policy was in: the bill's group."""
    group_account_id: int = Field(foreign_key="group_account.id", index=True)
    billing_account_id: int | None = Field(
        default=None, foreign_key="billing_account.id", index=True
    )
    currency: str = Field(max_length=3)
    amount: Decimal = Field(sa_type=sa.Numeric(14, 2))
    employer_amount: Decimal = Field(sa_type=sa.Numeric(14, 2))
    employee_amount: Decimal = Field(sa_type=sa.Numeric(14, 2))
    reverses_id: int | None = Field(default=None, foreign_key="premium_charge.id", index=True)
    """A reversal names the charge it cancels; its amounts are that charge's, negated."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
