"""GraphQL types of a group account's catalogue."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Self

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from domain.catalogue import models
from schema.core.context import Info
from schema.core.relay import CountedConnection, RowNode
from schema.groups.types import GroupAccount
from schema.reference.types import CoverageTier, Product

strawberry.enum(
    models.ItemKind,
    description="UPGRADE: a move to another product or tier (a PRODUCT_UPGRADE request); "
    "SERVICE: a service to buy (a SERVICE_PURCHASE request).",
)
ItemKind = models.ItemKind


@strawberry.type(
    description="An upgrade path or a purchasable service a group account offers from a day "
    "to a day, with its price and the employer's share of it."
)
class CatalogueItem(RowNode):
    id: relay.NodeID[int]
    kind: ItemKind = strawberry.field(description="What it offers.")
    code: str = strawberry.field(
        description="A service's code, which a SERVICE_PURCHASE names; an upgrade path's own."
    )
    name: str = strawberry.field(description="The name shown to people.")
    from_tier: CoverageTier | None = strawberry.field(
        description="An upgrade's starting tier; null: any tier of `fromProduct`."
    )
    to_tier: CoverageTier | None = strawberry.field(
        description="An upgrade's tier; null: the tier the member has."
    )
    price: Decimal = strawberry.field(
        description="A service's price for one; an upgrade's price a month, as quoted."
    )
    employer_share: Decimal = strawberry.field(description="What the employer pays of it.")
    employee_share: Decimal = strawberry.field(description="What the member pays of it.")
    currency: str = strawberry.field(description="ISO 4217.")
    start_date: date = strawberry.field(description="The first day it is offered.")
    end_date: date | None = strawberry.field(description="The last day; null: open-ended.")
    version: int = strawberry.field(description="Its version; give it back to end it.")
    row: strawberry.Private[models.CatalogueItem]

    @classmethod
    def from_model(cls, row: models.CatalogueItem) -> Self:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            kind=row.kind,
            code=row.code,
            name=row.name,
            from_tier=row.from_tier,
            to_tier=row.to_tier,
            price=row.price,
            employer_share=row.employer_share,
            employee_share=row.price - row.employer_share,
            currency=row.currency,
            start_date=row.start_date,
            end_date=row.end_date,
            version=row.version,
            row=row,
        )

    @classmethod
    def node_loader(cls, info: Info) -> DataLoader[int, Any]:
        return info.context.loaders.catalogue.item_by_id

    @strawberry.field(description="The group account that offers it, if you may see it.")
    async def group_account(self, info: Info) -> GroupAccount | None:
        found = await info.context.loaders.groups.group_account_by_id.load(
            self.row.group_account_id
        )
        return GroupAccount.from_model(found) if found else None

    @strawberry.field(description="The product an upgrade starts from; null for a service.")
    async def from_product(self, info: Info) -> Product | None:
        return await _product(info, self.row.from_product_id)

    @strawberry.field(description="The product an upgrade leads to; null for a service.")
    async def to_product(self, info: Info) -> Product | None:
        return await _product(info, self.row.to_product_id)


async def _product(info: Info, product_id: int | None) -> Product | None:
    if product_id is None:
        return None
    found = await info.context.loaders.reference.product_by_id.load(product_id)
    return Product.from_model(found) if found else None


@strawberry.type(description="A page of catalogue items.")
class CatalogueItemConnection(CountedConnection[CatalogueItem]):
    pass
