"""Queries of reference data."""

from __future__ import annotations

import strawberry

from authz.access import REFERENCE_READ
from domain.reference import models, service
from schema.core.context import Info
from schema.core.permissions import guarded
from schema.reference.types import DataAccessGroup, LineOfBusiness, Product


@strawberry.type
class ReferenceQuery:
    @strawberry.field(**guarded(REFERENCE_READ, "Every line of business, by code."))
    async def lines_of_business(self, info: Info) -> list[LineOfBusiness] | None:
        rows = await service.list_all(info.context.session, models.LineOfBusiness)
        return [LineOfBusiness.from_model(row) for row in rows]

    @strawberry.field(**guarded(REFERENCE_READ, "Every data access group, by code."))
    async def data_access_groups(self, info: Info) -> list[DataAccessGroup] | None:
        rows = await service.list_all(info.context.session, models.DataAccessGroup)
        return [DataAccessGroup.from_model(row) for row in rows]

    @strawberry.field(**guarded(REFERENCE_READ, "Every product, by code."))
    async def products(self, info: Info) -> list[Product] | None:
        rows = await service.list_all(info.context.session, models.Product)
        return [Product.from_model(row) for row in rows]
