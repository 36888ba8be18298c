"""Data access group and line of business restrictions as SQL predicates."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import RowScope
from domain.audit.service import snapshot
from domain.core.reach import Entity, declare
from domain.reference.models import DataAccessGroup, LineOfBusiness, Product, ProductCoverageTier


def any_of(*parts: Any) -> Any:
    """The OR of the parts that can hold at all.

    PostgreSQL turns `x IN (subquery)` into a join only where no OR sits above it, even an
    OR with a constant false (measured: 10 ms instead of 0.1 ms for an employee's policy
    among 100,000); so a scope's parts that can never hold are left out, not OR-ed in.
    """
    live = [part for part in parts if not isinstance(part, sa.sql.elements.False_)]
    if not live:
        return sa.false()
    return live[0] if len(live) == 1 else sa.or_(*live)


def restricted(scope: RowScope, data_access_group_id: Any, line_of_business_id: Any) -> Any:
    """Rows whose own data access group and line of business some restriction allows."""
    return any_of(
        *(
            sa.and_(
                data_access_group_id.in_(
                    sa.select(col(DataAccessGroup.id)).where(
                        col(DataAccessGroup.code).in_(sorted(r.data_access_groups))
                    )
                ),
                line_of_business_id.in_(
                    sa.select(col(LineOfBusiness.id)).where(
                        col(LineOfBusiness.code).in_(sorted(r.lines_of_business))
                    )
                ),
            )
            for r in sorted(scope.restrictions, key=repr)
        ),
    )


def everyone(scope: RowScope) -> Any:
    """Rows anyone may see who may read the area at all (reference data, catalogues)."""
    return sa.true()


async def _product_state(session: AsyncSession, row: Any) -> dict[str, Any]:
    """A product as the audit trail keeps it: its columns and its coverage tiers."""
    stmt = sa.select(col(ProductCoverageTier.tier)).where(
        col(ProductCoverageTier.product_id) == row.id
    )
    tiers = {str(tier) for tier in await session.scalars(stmt)}
    return {**snapshot(row), "coverage_tiers": sorted(tiers)}


for _model, _noun in (
    (LineOfBusiness, "line of business"),
    (DataAccessGroup, "data access group"),
    (ProductCoverageTier, "coverage tier"),
):
    declare(_model, Entity(noun=_noun, reach=everyone))
declare(Product, Entity(noun="product", reach=everyone, snapshot=_product_state))
