"""Mutations of a group account's catalogue: offer an item, stop offering it."""

from __future__ import annotations

import strawberry

from authz.access import PREMIUMS_RUN
from domain.catalogue import service
from schema.catalogue import inputs
from schema.catalogue.types import CatalogueItem
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.mutations import actor, mutation
from schema.core.relay import require_id


@strawberry.type(description="The outcome of catalogueItemAdd or catalogueItemEnd.")
class CatalogueItemPayload:
    catalogue_item: CatalogueItem | None = strawberry.field(description="The item.")
    errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success, and then every change was saved."
    )


@strawberry.type
class CatalogueMutation:
    @mutation(
        PREMIUMS_RUN,
        "Offer an upgrade path or a service in a group account from a day, with its price "
        "and the employer's share; the account's group client becomes CHANGED.",
    )
    async def catalogue_item_add(
        self, info: Info, input: inputs.CatalogueItemAddInput
    ) -> CatalogueItemPayload:
        row = await service.add_item(
            info.context.session,
            actor=actor(info),
            group_account_id=require_id(
                input.group_account_id, "GroupAccount", field="group_account_id"
            ),
            spec=service.ItemSpec(
                kind=input.kind,
                code=input.code,
                name=input.name,
                price=input.price,
                employer_share=input.employer_share,
                currency=input.currency,
                start_date=input.start_date,
                end_date=input.end_date,
                from_product_code=input.from_product_code,
                from_tier=input.from_tier,
                to_product_code=input.to_product_code,
                to_tier=input.to_tier,
            ),
        )
        return CatalogueItemPayload(catalogue_item=CatalogueItem.from_model(row), errors=[])

    @mutation(
        PREMIUMS_RUN,
        "Stop offering a catalogue item after a day; requests that pick it for a later day "
        "are refused.",
    )
    async def catalogue_item_end(
        self, info: Info, input: inputs.CatalogueItemEndInput
    ) -> CatalogueItemPayload:
        row = await service.end_item(
            info.context.session,
            actor=actor(info),
            item_id=require_id(input.id, "CatalogueItem", field="id"),
            version=input.version,
            end_date=input.end_date,
        )
        return CatalogueItemPayload(catalogue_item=CatalogueItem.from_model(row), errors=[])
