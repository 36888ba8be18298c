"""Per-request loaders of reference data."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from authz.access import REFERENCE_READ, Access
from domain.reference.models import CoverageTier, DataAccessGroup, LineOfBusiness, Product
from domain.reference.service import tiers_by_product
from schema.core.batch import rows_by_id


def reference_read(caller: Access) -> Any:
    """The reference rows the caller reads: reference data carries no restrictions, so a caller
    reads all of it or none. A read joining them (an enrolment product's product) asks this
    too, so that it finds the rows these loaders would."""
    return sa.true() if caller.allows(REFERENCE_READ) else sa.false()


class ReferenceLoaders:
    """Loaders of lines of business, data access groups and products."""

    def __init__(self, session: AsyncSession, caller: Access) -> None:
        readable = reference_read(caller)
        self.line_of_business_by_id = rows_by_id(session, LineOfBusiness, where=readable)
        self.data_access_group_by_id = rows_by_id(session, DataAccessGroup, where=readable)
        self.product_by_id = rows_by_id(session, Product, where=readable)

        async def tiers(ids: list[int]) -> list[list[CoverageTier]]:
            found = await tiers_by_product(session, ids)
            return [found[i] for i in ids]

        self.coverage_tiers_by_product = DataLoader(load_fn=tiers)
