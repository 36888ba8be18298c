"""Persons, their policies, the insured members and what each policy is linked to, over time.

Every dated row has an inclusive `start_date` and an inclusive, optional `end_date` (None:
open-ended). History is kept by ending rows and adding new ones, never by overwriting dates
of the past.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.core.columns import UTCDateTime, enum_column, utcnow
from domain.dynamic.models import values_column
from domain.reference.models import CoverageTier


class Gender(StrEnum):
    """A person's gender as the insurer records it."""

    FEMALE = "FEMALE"
    MALE = "MALE"
    OTHER = "OTHER"
    UNKNOWN = "UNKNOWN"


class Relationship(StrEnum):
    """How an insured member relates to the policy's subscriber."""

    SUBSCRIBER = "SUBSCRIBER"
    SPOUSE = "SPOUSE"
    DOMESTIC_PARTNER = "DOMESTIC_PARTNER"
    CHILD = "CHILD"
    OTHER_DEPENDANT = "OTHER_DEPENDANT"


class PolicyStatus(StrEnum):
    """Whether a policy runs open-ended or has been terminated on a date."""

    ACTIVE = "ACTIVE"
    TERMINATED = "TERMINATED"


_person_version = sa.Column("version", sa.Integer, nullable=False)
_policy_version = sa.Column("version", sa.Integer, nullable=False)


class Person(SQLModel, table=True):
    """A human being, once, however many policies and groups they are insured in.

    Only what is the same whichever employer insures them is kept here: who they are (names,
    birth date, gender, national id) and how to reach them at home (personal e-mail, phone,
    address). What one employer knows of them as its employee (salary, work e-mail, employee
    number) is kept on that employer's policy, so one employer's change never shows at another.
    """

    __tablename__ = "person"
    __table_args__ = (
        # One national id is one person: enrolling it again in another group finds them.
        sa.Index("uq_person_national_id", "national_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_number: str = Field(max_length=30, unique=True)
    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    birth_date: date
    gender: Gender = Field(sa_type=enum_column(Gender))
    national_id: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=254)
    """The personal e-mail address (a work address belongs to the policy)."""
    phone: str | None = Field(default=None, max_length=30)
    address_line: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=100)
    country: str | None = Field(default=None, max_length=2)
    version: int = Field(default=1, sa_column=_person_version)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    __mapper_args__: ClassVar = {"version_id_col": _person_version}


class Policy(SQLModel, table=True):
    """The contract of one subscriber and the family members insured with them.

    A policy is also the subscriber's employment in one group: their employee number, work
    e-mail and salary are columns here rather than on the shared person, so each employer sees
    and changes only its own. Columns, not a table of their own: a policy is exactly one
    employment (one subscriber, one group), so the data shares the policy's reach, version and
    audit, and reading it costs no join or loader.
    """

    __tablename__ = "policy"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=30, unique=True)
    subscriber_id: int = Field(foreign_key="person.id", index=True)
    line_of_business_id: int = Field(foreign_key="line_of_business.id", index=True)
    data_access_group_id: int = Field(foreign_key="data_access_group.id", index=True)
    status: PolicyStatus = Field(
        default=PolicyStatus.ACTIVE, sa_type=enum_column(PolicyStatus), index=True
    )
    start_date: date
    end_date: date | None = None
    employee_number: str | None = Field(default=None, max_length=30)
    work_email: str | None = Field(default=None, max_length=254)
    salary: Decimal | None = Field(default=None, sa_type=sa.Numeric(14, 2))
    salary_currency: str | None = Field(default=None, max_length=3)
    dynamic_fields: dict[str, str] = values_column()
    version: int = Field(default=1, sa_column=_policy_version)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    __mapper_args__: ClassVar = {"version_id_col": _policy_version}


def _dated_checks() -> tuple[sa.CheckConstraint]:
    """A period never ends before it starts, whatever writes the row."""
    return (
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
    )


class PolicyMember(SQLModel, table=True):
    """A person insured on a policy, as subscriber or dependant, from a date to a date."""

    __tablename__ = "policy_member"
    __table_args__ = _dated_checks()

    id: int | None = Field(default=None, primary_key=True)
    policy_id: int | None = Field(
        default=None, foreign_key="policy.id", index=True, nullable=False
    )  # set when the policy is saved
    person_id: int = Field(foreign_key="person.id", index=True)
    relationship: Relationship = Field(sa_type=enum_column(Relationship))
    start_date: date
    end_date: date | None = Field(default=None, index=True)
    """Indexed for the leavers of a range (domain.reports.membership): few rows end in one."""
    refund_iban: str | None = Field(default=None, max_length=34)
    """Where the insurer pays this member's refunds under this policy (an IBAN, compact):
    known to this employer's policy only, never on the shared person."""


class PolicyAccountLink(SQLModel, table=True):
    """The group account a policy belongs to during a period."""

    __tablename__ = "policy_account_link"
    __table_args__ = (
        *_dated_checks(),
        # An account's links in policy order (its page of policies), and in their own order
        # (a reader paging the links): see migration 0023.
        sa.Index("ix_policy_account_link_account_policy", "group_account_id", "policy_id"),
        sa.Index("ix_policy_account_link_account_link", "group_account_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    policy_id: int | None = Field(
        default=None, foreign_key="policy.id", index=True, nullable=False
    )  # set when the policy is saved
    group_account_id: int = Field(foreign_key="group_account.id")
    start_date: date
    end_date: date | None = None


class PolicyClassLink(SQLModel, table=True):
    """The insurable class a policy belongs to during a period."""

    __tablename__ = "policy_class_link"
    __table_args__ = _dated_checks()

    id: int | None = Field(default=None, primary_key=True)
    policy_id: int | None = Field(
        default=None, foreign_key="policy.id", index=True, nullable=False
    )  # set when the policy is saved
    insurable_class_id: int = Field(foreign_key="insurable_class.id", index=True)
    start_date: date
    end_date: date | None = None


class EnrollmentProduct(SQLModel, table=True):
    """A product a policy has, in a coverage tier, during a period; it covers the members."""

    __tablename__ = "enrollment_product"
    __table_args__ = _dated_checks()

    id: int | None = Field(default=None, primary_key=True)
    policy_id: int | None = Field(
        default=None, foreign_key="policy.id", index=True, nullable=False
    )  # set when the policy is saved
    product_id: int = Field(foreign_key="product.id", index=True)
    coverage_tier: CoverageTier = Field(sa_type=enum_column(CoverageTier))
    start_date: date
    end_date: date | None = None


class RowKind(StrEnum):
    """Which table a row a termination changed lives in."""

    MEMBER = "MEMBER"
    ACCOUNT_LINK = "ACCOUNT_LINK"
    CLASS_LINK = "CLASS_LINK"
    PRODUCT = "PRODUCT"
    SETTING = "SETTING"
    """A setting of a withdrawn enrolment product (deleting the product deletes it)."""
    POLICY = "POLICY"
    """The policy itself (a request's enrolment added it, or its change updated it)."""
    PERSON = "PERSON"
    """A person a request's registration added or changed."""


class TerminatedRow(SQLModel, table=True):
    """A row the policy's current termination changed, and what it was before.

    Kept so that reinstating gives back exactly the rows before the termination (see
    domain.policies.termination): an ended row's own end date, or a withdrawn row whole.
    The same record keeps what a request registered before its ratification changed
    (`request_id` set; see domain.policies.reversal), so that a refusal undoes it exactly.
    """

    __tablename__ = "policy_terminated_row"

    id: int | None = Field(default=None, primary_key=True)
    policy_id: int = Field(foreign_key="policy.id", index=True, ondelete="CASCADE")
    kind: RowKind = Field(sa_type=enum_column(RowKind))
    changed_id: int
    """The row the termination ended, or the id the withdrawn row had."""
    end_date: date | None = None
    """An ended row's end date before the termination (None: it ran open-ended)."""
    withdrawn: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    """A withdrawn row's columns, to insert again; None for a row that was only ended."""
    request_id: int | None = Field(default=None, index=True)
    """The request whose registration changed the row; None: the policy's termination."""
    added: bool = False
    """The change inserted the row: undoing it deletes the row."""
    updated: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    """An updated row's columns before the change, to put back."""
