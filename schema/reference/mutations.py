"""Mutations of reference data: admins add and change lines of business, data access groups
and products, each one transaction, each audited."""

from __future__ import annotations

import strawberry

from authz.access import REFERENCE_WRITE
from domain.reference import editing, models, products
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.mutations import actor, mutation
from schema.core.relay import require_id
from schema.reference import inputs
from schema.reference.types import DataAccessGroup, LineOfBusiness, Product

_ERRORS = "Why the input was refused; empty on success, and then every change was saved."


@strawberry.type(description="The outcome of lineOfBusinessCreate or lineOfBusinessUpdate.")
class LineOfBusinessPayload:
    line_of_business: LineOfBusiness | None = strawberry.field(
        description="The line of business as saved."
    )
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type(description="The outcome of dataAccessGroupCreate or dataAccessGroupUpdate.")
class DataAccessGroupPayload:
    data_access_group: DataAccessGroup | None = strawberry.field(
        description="The data access group as saved."
    )
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type(description="The outcome of productCreate or productUpdate.")
class ProductPayload:
    product: Product | None = strawberry.field(description="The product as saved.")
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type
class ReferenceMutation:
    @mutation(REFERENCE_WRITE, "Add a line of business.")
    async def line_of_business_create(
        self, info: Info, input: inputs.LineOfBusinessCreateInput
    ) -> LineOfBusinessPayload:
        row = await editing.create_labelled(
            info.context.session, actor=actor(info), model=models.LineOfBusiness,
            code=input.code, name=input.name,
        )  # fmt: skip
        return LineOfBusinessPayload(line_of_business=LineOfBusiness.from_model(row), errors=[])

    @mutation(REFERENCE_WRITE, "Rename a line of business; its code never changes.")
    async def line_of_business_update(
        self, info: Info, input: inputs.LineOfBusinessUpdateInput
    ) -> LineOfBusinessPayload:
        row = await editing.update_labelled(
            info.context.session, actor=actor(info), model=models.LineOfBusiness,
            code=input.code, name=input.name, version=input.version,
        )  # fmt: skip
        return LineOfBusinessPayload(line_of_business=LineOfBusiness.from_model(row), errors=[])

    @mutation(REFERENCE_WRITE, "Add a data access group.")
    async def data_access_group_create(
        self, info: Info, input: inputs.DataAccessGroupCreateInput
    ) -> DataAccessGroupPayload:
        row = await editing.create_labelled(
            info.context.session, actor=actor(info), model=models.DataAccessGroup,
            code=input.code, name=input.name,
        )  # fmt: skip
        return DataAccessGroupPayload(data_access_group=DataAccessGroup.from_model(row), errors=[])

    @mutation(REFERENCE_WRITE, "Rename a data access group; its code never changes.")
    async def data_access_group_update(
        self, info: Info, input: inputs.DataAccessGroupUpdateInput
    ) -> DataAccessGroupPayload:
        row = await editing.update_labelled(
            info.context.session, actor=actor(info), model=models.DataAccessGroup,
            code=input.code, name=input.name, version=input.version,
        )  # fmt: skip
        return DataAccessGroupPayload(data_access_group=DataAccessGroup.from_model(row), errors=[])

    @mutation(REFERENCE_WRITE, "Add a product of a line of business, with its coverage tiers.")
    async def product_create(self, info: Info, input: inputs.ProductCreateInput) -> ProductPayload:
        row = await products.create_product(
            info.context.session, actor=actor(info), code=input.code, name=input.name,
            kind=input.kind, line_of_business=input.line_of_business,
            coverage_tiers=input.coverage_tiers,
        )  # fmt: skip
        return ProductPayload(product=Product.from_model(row), errors=[])

    @mutation(
        REFERENCE_WRITE,
        "Change a product: its name at any time; its kind and line of business until it is "
        "offered or enrolled in; its tiers, but not one a policy is enrolled in.",
    )
    async def product_update(self, info: Info, input: inputs.ProductUpdateInput) -> ProductPayload:
        row = await products.update_product(
            info.context.session, actor=actor(info),
            product_id=require_id(input.id, "Product", field="id"), version=input.version,
            name=input.name, kind=input.kind, line_of_business=input.line_of_business,
            coverage_tiers=input.coverage_tiers,
        )  # fmt: skip
        return ProductPayload(product=Product.from_model(row), errors=[])
