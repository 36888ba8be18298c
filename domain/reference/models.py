"""Reference data the insurer keeps: lines of business, data access groups, products."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.core.columns import enum_column


class CoverageTier(StrEnum):
    """Who a product covers besides the employee."""

    EMPLOYEE_ONLY = "EMPLOYEE_ONLY"
    EMPLOYEE_SPOUSE = "EMPLOYEE_SPOUSE"
    EMPLOYEE_CHILDREN = "EMPLOYEE_CHILDREN"
    FAMILY = "FAMILY"


class ProductKind(StrEnum):
    """The kind of cover a product gives."""

    MEDICAL = "MEDICAL"
    DENTAL = "DENTAL"
    VISION = "VISION"
    LIFE = "LIFE"
    DISABILITY = "DISABILITY"


def _version_column() -> sa.Column[int]:
    return sa.Column("version", sa.Integer, nullable=False, server_default="1")


_lob_version = _version_column()
_dag_version = _version_column()
_product_version = _version_column()


class LineOfBusiness(SQLModel, table=True):
    """A line of business of the insurer (e.g. group health, group life)."""

    __tablename__ = "line_of_business"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=30, unique=True)
    name: str = Field(max_length=200)
    version: int = Field(default=1, sa_column=_lob_version)

    # SQLAlchemy checks and bumps the version on every UPDATE (as for group clients).
    __mapper_args__: ClassVar = {"version_id_col": _lob_version}


class DataAccessGroup(SQLModel, table=True):
    """A label on rows that decides which staff may see them."""

    __tablename__ = "data_access_group"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=30, unique=True)
    name: str = Field(max_length=200)
    version: int = Field(default=1, sa_column=_dag_version)

    # SQLAlchemy checks and bumps the version on every UPDATE (as for group clients).
    __mapper_args__: ClassVar = {"version_id_col": _dag_version}


class Product(SQLModel, table=True):
    """An insurance product a group account may offer."""

    __tablename__ = "product"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=30, unique=True)
    name: str = Field(max_length=200)
    kind: ProductKind = Field(sa_type=enum_column(ProductKind))
    line_of_business_id: int = Field(foreign_key="line_of_business.id", index=True)
    version: int = Field(default=1, sa_column=_product_version)

    # SQLAlchemy checks and bumps the version on every UPDATE (as for group clients).
    __mapper_args__: ClassVar = {"version_id_col": _product_version}


class ProductCoverageTier(SQLModel, table=True):
    """A coverage tier in which a product may be taken."""

    __tablename__ = "product_coverage_tier"

    product_id: int = Field(
        sa_column=sa.Column(
            sa.ForeignKey("product.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    tier: CoverageTier = Field(
        sa_column=sa.Column(enum_column(CoverageTier), primary_key=True, nullable=False)
    )
