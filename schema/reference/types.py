"""GraphQL types of reference data."""

from __future__ import annotations

from typing import Any, Self

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from domain.reference import models
from schema.core.context import Info
from schema.core.relay import RowNode

strawberry.enum(models.CoverageTier, description="Who a product covers besides the employee.")
strawberry.enum(models.ProductKind, description="The kind of cover a product gives.")
CoverageTier = models.CoverageTier
ProductKind = models.ProductKind


@strawberry.type(description="A line of business of the insurer, e.g. group health.")
class LineOfBusiness:
    code: str = strawberry.field(description="The business code, unique.")
    name: str = strawberry.field(description="The name shown to people.")
    version: int = strawberry.field(description="Its version; give it back to change it.")

    @classmethod
    def from_model(cls, row: models.LineOfBusiness) -> Self:
        return cls(code=row.code, name=row.name, version=row.version)

    @classmethod
    async def load(cls, info: Info, row_id: int) -> Self:
        """The line of business with this id, through the request's loader."""
        return cls.from_model(
            await info.context.loaders.reference.line_of_business_by_id.load(row_id)
        )


@strawberry.type(description="A label on rows that decides which staff may see them.")
class DataAccessGroup:
    code: str = strawberry.field(description="The business code, unique.")
    name: str = strawberry.field(description="The name shown to people.")
    version: int = strawberry.field(description="Its version; give it back to change it.")

    @classmethod
    def from_model(cls, row: models.DataAccessGroup) -> Self:
        return cls(code=row.code, name=row.name, version=row.version)

    @classmethod
    async def load(cls, info: Info, row_id: int) -> Self:
        """The data access group with this id, through the request's loader."""
        return cls.from_model(
            await info.context.loaders.reference.data_access_group_by_id.load(row_id)
        )


@strawberry.type(description="An insurance product that group accounts may offer.")
class Product(RowNode):
    id: relay.NodeID[int]
    code: str = strawberry.field(description="The business code, unique.")
    name: str = strawberry.field(description="The name shown to people.")
    kind: ProductKind = strawberry.field(description="The kind of cover.")
    version: int = strawberry.field(description="Its version; give it back to change it.")
    row: strawberry.Private[models.Product]

    @classmethod
    def from_model(cls, row: models.Product) -> Self:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            code=row.code,
            name=row.name,
            kind=row.kind,
            version=row.version,
            row=row,
        )

    @classmethod
    def node_loader(cls, info: Info) -> DataLoader[int, Any]:
        return info.context.loaders.reference.product_by_id

    @strawberry.field(description="The coverage tiers in which the product may be taken.")
    async def coverage_tiers(self, info: Info) -> list[CoverageTier]:
        return await info.context.loaders.reference.coverage_tiers_by_product.load(self.id)

    @strawberry.field(description="The line of business the product belongs to.")
    async def line_of_business(self, info: Info) -> LineOfBusiness:
        return await LineOfBusiness.load(info, self.row.line_of_business_id)
