"""The group structure: a tree of group clients, their accounts, classes and products."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.core.columns import UTCDateTime, enum_column, utcnow
from domain.dynamic.models import values_column


class GroupStatus(StrEnum):
    """Whether a group client's current configuration has been validated and approved."""

    APPROVED = "APPROVED"
    CHANGED = "CHANGED"


def _version_column() -> sa.Column[int]:
    return sa.Column("version", sa.Integer, nullable=False)


_client_version = _version_column()
_account_version = _version_column()


class GroupClient(SQLModel, table=True):
    """A node of a group's tree: a company, a subsidiary, a country, a department."""

    __tablename__ = "group_client"
    # A client's children's ids, read from the index alone: the recursive walk down a granted
    # subtree probes it (migration 0031). The index of parent_id alone stays: without it,
    # PostgreSQL read a page of many parents' children by scanning the table (2.4 ms, 0.2).
    __table_args__ = (sa.Index("ix_group_client_parent_id_id", "parent_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=30, unique=True)
    name: str = Field(max_length=200)
    parent_id: int | None = Field(default=None, foreign_key="group_client.id", index=True)
    line_of_business_id: int = Field(foreign_key="line_of_business.id", index=True)
    data_access_group_id: int = Field(foreign_key="data_access_group.id", index=True)
    status: GroupStatus = Field(default=GroupStatus.CHANGED, sa_type=enum_column(GroupStatus))
    dynamic_fields: dict[str, str] = values_column()
    version: int = Field(default=1, sa_column=_client_version)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    # SQLAlchemy checks and bumps the version on every UPDATE, so two writers that read
    # the same version cannot both win, even between our own check and the flush.
    __mapper_args__: ClassVar = {"version_id_col": _client_version}


class GroupAccount(SQLModel, table=True):
    """A segment of a group client that decides the products its members may have."""

    __tablename__ = "group_account"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=30, unique=True)
    name: str = Field(max_length=200)
    group_client_id: int = Field(foreign_key="group_client.id", index=True)
    line_of_business_id: int = Field(foreign_key="line_of_business.id", index=True)
    data_access_group_id: int = Field(foreign_key="data_access_group.id", index=True)
    end_date: date | None = None
    """The last day of the account: no policy belongs to it after (groupAccountTerminate)."""
    dynamic_fields: dict[str, str] = values_column()
    version: int = Field(default=1, sa_column=_account_version)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    __mapper_args__: ClassVar = {"version_id_col": _account_version}


class InsurableClass(SQLModel, table=True):
    """A sub-segment of a group account (e.g. executives) that narrows its products."""

    __tablename__ = "insurable_class"
    __table_args__ = (sa.UniqueConstraint("group_account_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    group_account_id: int = Field(foreign_key="group_account.id", index=True)
    code: str = Field(max_length=30)
    name: str = Field(max_length=200)


class GroupAccountProduct(SQLModel, table=True):
    """A product offered in a group account."""

    __tablename__ = "group_account_product"
    __table_args__ = (sa.UniqueConstraint("group_account_id", "product_id"),)

    id: int | None = Field(default=None, primary_key=True)
    group_account_id: int = Field(foreign_key="group_account.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)


class GroupAccountProductClass(SQLModel, table=True):
    """An insurable class allowed to take a group account product."""

    __tablename__ = "group_account_product_class"

    group_account_product_id: int = Field(
        sa_column=sa.Column(
            sa.ForeignKey("group_account_product.id", ondelete="CASCADE"),
            primary_key=True,
            nullable=False,
        )
    )
    insurable_class_id: int = Field(
        sa_column=sa.Column(
            sa.ForeignKey("insurable_class.id", ondelete="CASCADE"),
            primary_key=True,
            nullable=False,
            index=True,
        )
    )
