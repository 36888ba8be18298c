"""Queries of reference data."""

from __future__ import annotations

import strawberry

from domain.reference import models, service
from schema.core.context import Info
from schema.reference.types import DataAccessGroup, LineOfBusiness, Product


@strawberry.type
class ReferenceQuery:
    @strawberry.field(description="Every line of business, by code.")
    async def lines_of_business(self, info: Info) -> list[LineOfBusiness]:
        rows = await service.list_all(info.context.session, models.LineOfBusiness)
        return [LineOfBusiness.from_model(row) for row in rows]

    @strawberry.field(description="Every data access group, by code.")
    async def data_access_groups(self, info: Info) -> list[DataAccessGroup]:
        rows = await service.list_all(info.context.session, models.DataAccessGroup)
        return [DataAccessGroup.from_model(row) for row in rows]

    @strawberry.field(description="Every product, by code.")
    async def products(self, info: Info) -> list[Product]:
        rows = await service.list_all(info.context.session, models.Product)
        return [Product.from_model(row) for row in rows]
