"""Settings the insurer configures on the levels of a group, and their reference data.

A `Setting` row sets one setting on one level (exactly one owner column is filled), for an
inclusive period (`start_date` None: since always; `end_date` None: open-ended). Which
level wins is decided by `domain.settings.effective`, a pure function over loaded rows.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.core.columns import UTCDateTime, enum_column, utcnow
from domain.reference.models import CoverageTier


class SettingKind(StrEnum):
    """The settings that may be set on the levels of a group."""

    PREMIUM_SCHEDULE = "PREMIUM_SCHEDULE"
    ADJUSTMENT = "ADJUSTMENT"
    BROKER_AGENT = "BROKER_AGENT"
    COLLECTION_SETTING = "COLLECTION_SETTING"
    BILLING_ACCOUNT = "BILLING_ACCOUNT"
    BILL_ALLOCATION = "BILL_ALLOCATION"
    GROUP_COMMISSION_RATE = "GROUP_COMMISSION_RATE"
    PROCESS_FLOW = "PROCESS_FLOW"
    ASSIGNED_PROVIDER_GROUP = "ASSIGNED_PROVIDER_GROUP"
    PARAMETER_VALUE = "PARAMETER_VALUE"
    EMPLOYER_CONTRIBUTION = "EMPLOYER_CONTRIBUTION"
    """The percentage of the premium the employer pays; the employee pays the rest."""


class SettingLevel(StrEnum):
    """Where a setting is set; PARENT_GROUP_CLIENT is a group client above the one asked."""

    POLICY = "POLICY"
    ENROLLMENT_PRODUCT = "ENROLLMENT_PRODUCT"
    GROUP_ACCOUNT_PRODUCT = "GROUP_ACCOUNT_PRODUCT"
    GROUP_ACCOUNT = "GROUP_ACCOUNT"
    GROUP_CLIENT = "GROUP_CLIENT"
    PARENT_GROUP_CLIENT = "PARENT_GROUP_CLIENT"


class CollectionSetting(StrEnum):
    """Who the premium is collected from."""

    GROUP_BILLED = "GROUP_BILLED"
    DIRECT_BILLED = "DIRECT_BILLED"


class BillAllocation(StrEnum):
    """How a group's premium bill is split into invoices."""

    SINGLE_BILL = "SINGLE_BILL"
    PER_GROUP_ACCOUNT = "PER_GROUP_ACCOUNT"
    PER_INSURABLE_CLASS = "PER_INSURABLE_CLASS"
    """Not yet split by class: domain.premiums.bills bills it per group account."""
    PER_EMPLOYEE = "PER_EMPLOYEE"
    """An invoice per policy (each employee's family)."""


class AdjustmentKind(StrEnum):
    """Whether an adjustment changes the premium by a percentage or by an amount."""

    PERCENTAGE = "PERCENTAGE"
    AMOUNT = "AMOUNT"


class PremiumSchedule(SQLModel, table=True):
    """Premium rates by age band and coverage tier, in one currency."""

    __tablename__ = "premium_schedule"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=30, unique=True)
    name: str = Field(max_length=200)
    currency: str = Field(max_length=3)


class PremiumRate(SQLModel, table=True):
    """The monthly premium of an age band (inclusive) in a coverage tier, for a period, and
    optionally only where a product parameter has a value."""

    __tablename__ = "premium_rate"
    __table_args__ = (
        sa.CheckConstraint("age_to >= age_from", name="age_band"),
        sa.CheckConstraint(
            "start_date IS NULL OR end_date IS NULL OR end_date >= start_date",
            name="end_after_start",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    premium_schedule_id: int = Field(foreign_key="premium_schedule.id", index=True)
    age_from: int
    age_to: int
    coverage_tier: CoverageTier = Field(sa_type=enum_column(CoverageTier))
    amount: Decimal = Field(sa_type=sa.Numeric(12, 2))
    start_date: date | None = None
    """From when the rate holds; None: since always (rates of premiumScheduleCreate)."""
    end_date: date | None = None
    parameter_name: str | None = Field(default=None, max_length=50)
    """With `parameter_value`: the rate holds only where the product parameter has it."""
    parameter_value: str | None = Field(default=None, max_length=100)


class AdjustmentRule(SQLModel, table=True):
    """A discount or surcharge on the premium: a percentage, or an amount in a currency."""

    __tablename__ = "adjustment_rule"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=30, unique=True)
    name: str = Field(max_length=200)
    kind: AdjustmentKind = Field(sa_type=enum_column(AdjustmentKind))
    value: Decimal = Field(sa_type=sa.Numeric(12, 4))
    currency: str | None = Field(default=None, max_length=3)


class BrokerAgent(SQLModel, table=True):
    """A broker or agent who placed the business and earns commission on it."""

    __tablename__ = "broker_agent"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=30, unique=True)
    name: str = Field(max_length=200)


class BillingAccount(SQLModel, table=True):
    """An account premiums are billed to."""

    __tablename__ = "billing_account"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=30, unique=True)
    name: str = Field(max_length=200)


class ProviderGroup(SQLModel, table=True):
    """A network of providers members of a product are assigned to."""

    __tablename__ = "provider_group"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=30, unique=True)
    name: str = Field(max_length=200)


class ProductParameter(SQLModel, table=True):
    """A named value a product defines, set on a group account product or an enrolment."""

    __tablename__ = "product_parameter"
    __table_args__ = (sa.UniqueConstraint("product_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    name: str = Field(max_length=50)
    description: str = Field(default="", max_length=200)
    allowed_values: list[str] | None = Field(default=None, sa_type=sa.JSON)
    """The values a setting of it may take; None: any value."""


_OWNERS = (
    "group_client_id",
    "group_account_id",
    "group_account_product_id",
    "policy_id",
    "enrollment_product_id",
)


class Setting(SQLModel, table=True):
    """One setting set on one level, for a period."""

    __tablename__ = "setting"
    __table_args__ = (
        sa.CheckConstraint(
            " + ".join(f"(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)" for c in _OWNERS) + " = 1",
            name="one_owner",
        ),
        sa.CheckConstraint(
            "start_date IS NULL OR end_date IS NULL OR end_date >= start_date",
            name="end_after_start",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: SettingKind = Field(sa_type=enum_column(SettingKind, 30), index=True)
    group_client_id: int | None = Field(
        default=None, foreign_key="group_client.id", index=True, ondelete="CASCADE"
    )
    group_account_id: int | None = Field(
        default=None, foreign_key="group_account.id", index=True, ondelete="CASCADE"
    )
    group_account_product_id: int | None = Field(
        default=None, foreign_key="group_account_product.id", index=True, ondelete="CASCADE"
    )
    policy_id: int | None = Field(
        default=None, foreign_key="policy.id", index=True, ondelete="CASCADE"
    )
    enrollment_product_id: int | None = Field(
        default=None, foreign_key="enrollment_product.id", index=True, ondelete="CASCADE"
    )
    start_date: date | None = None
    end_date: date | None = None
    premium_schedule_id: int | None = Field(
        default=None, foreign_key="premium_schedule.id", index=True
    )
    adjustment_rule_id: int | None = Field(
        default=None, foreign_key="adjustment_rule.id", index=True
    )
    broker_agent_id: int | None = Field(default=None, foreign_key="broker_agent.id", index=True)
    billing_account_id: int | None = Field(
        default=None, foreign_key="billing_account.id", index=True
    )
    provider_group_id: int | None = Field(default=None, foreign_key="provider_group.id", index=True)
    parameter_name: str | None = Field(default=None, max_length=50)
    value_text: str | None = Field(default=None, max_length=100)
    value_decimal: Decimal | None = Field(default=None, sa_type=sa.Numeric(12, 4))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AdjustmentPeriod(SQLModel, table=True):
    """A group account's own value for an adjustment rule during a period."""

    __tablename__ = "adjustment_period"
    __table_args__ = (
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    group_account_id: int = Field(foreign_key="group_account.id", index=True, ondelete="CASCADE")
    adjustment_rule_id: int = Field(foreign_key="adjustment_rule.id", index=True)
    start_date: date
    end_date: date | None = None
    value: Decimal = Field(sa_type=sa.Numeric(12, 4))
