"""Reading reference data by business code."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.core.errors import ErrorCode, Problem
from domain.core.fields import is_code
from domain.reference.models import (
    CoverageTier,
    DataAccessGroup,
    LineOfBusiness,
    Product,
    ProductCoverageTier,
)

Coded = TypeVar("Coded", LineOfBusiness, DataAccessGroup, Product)

_LABELS = {
    LineOfBusiness: "line of business",
    DataAccessGroup: "data access group",
    Product: "product",
}


async def find_by_code(
    session: AsyncSession, model: type[Coded], code: str, *, field: str, problems: list[Problem]
) -> Coded | None:
    """Return the row with this code, recording a NOT_FOUND problem on `field` if none."""
    row: Coded | None = None
    if is_code(code.strip()):
        row = await session.scalar(
            sa.select(model).where(col(model.code) == code.strip())  # type: ignore[arg-type]
        )
    if row is None:
        problems.append(
            Problem((field,), ErrorCode.NOT_FOUND, f"No {_LABELS[model]} with code {code!r}.")
        )
    return row


async def list_all(session: AsyncSession, model: Any) -> list[Any]:
    """Return every row of a small reference table, ordered by code."""
    return list((await session.scalars(sa.select(model).order_by(model.code))).all())


async def tiers_by_product(
    session: AsyncSession, product_ids: Iterable[int]
) -> dict[int, list[CoverageTier]]:
    """Return each product's coverage tiers, in the order of the tier enum."""
    ids = list(product_ids)
    found: dict[int, list[CoverageTier]] = {pid: [] for pid in ids}
    stmt = sa.select(ProductCoverageTier).where(col(ProductCoverageTier.product_id).in_(ids))
    for row in (await session.scalars(stmt)).all():
        found[row.product_id].append(CoverageTier(row.tier))
    order = list(CoverageTier)
    return {pid: sorted(tiers, key=order.index) for pid, tiers in found.items()}
