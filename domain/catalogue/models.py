"""The self-service catalogue of a group account: the upgrade paths between products and
tiers its members may take, and the services they may buy, each with a price and the share
of it the employer pays, for a period.

An item is kept once made: its price never changes under a request that chose it. A new
price is a new item from a day, after the old one's end (`catalogueItemEnd`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.core.columns import UTCDateTime, enum_column, utcnow
from domain.reference.models import CoverageTier


class ItemKind(StrEnum):
    """What a catalogue item offers."""

    UPGRADE = "UPGRADE"
    """A move from one product (and tier) to another: a PRODUCT_UPGRADE request."""
    SERVICE = "SERVICE"
    """A service to buy, by its code: a SERVICE_PURCHASE request."""


_item_version = sa.Column("version", sa.Integer, nullable=False, server_default="1")


class CatalogueItem(SQLModel, table=True):
    """An upgrade path or a purchasable service a group account offers, for a period."""

    __tablename__ = "catalogue_item"
    __table_args__ = (
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
        sa.CheckConstraint("employer_share >= 0 AND employer_share <= price", name="share"),
    )

    id: int | None = Field(default=None, primary_key=True)
    group_account_id: int = Field(foreign_key="group_account.id", index=True)
    kind: ItemKind = Field(sa_type=enum_column(ItemKind))
    code: str = Field(max_length=30)
    """A service's code (what a SERVICE_PURCHASE names); an upgrade path's own code."""
    name: str = Field(max_length=200)
    from_product_id: int | None = Field(default=None, foreign_key="product.id", index=True)
    from_tier: CoverageTier | None = Field(
        default=None, sa_type=enum_column(CoverageTier, name="from_tier")
    )
    """The tier the upgrade starts from; none: any tier of `from_product_id`."""
    to_product_id: int | None = Field(default=None, foreign_key="product.id", index=True)
    to_tier: CoverageTier | None = Field(
        default=None, sa_type=enum_column(CoverageTier, name="to_tier")
    )
    """The tier the upgrade leads to; none: the tier the member has."""
    price: Decimal = Field(sa_type=sa.Numeric(14, 2))
    """A service's price for one; an upgrade's price a month, as quoted to the member."""
    employer_share: Decimal = Field(sa_type=sa.Numeric(14, 2))
    """What the employer pays of `price`; the member pays the rest."""
    currency: str = Field(max_length=3)
    start_date: date
    end_date: date | None = None
    version: int = Field(default=1, sa_column=_item_version)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    __mapper_args__: ClassVar = {"version_id_col": _item_version}
