"""Inputs of the reference data mutations."""

from __future__ import annotations

import strawberry

from schema.reference.types import CoverageTier, ProductKind

_CODE = "The business code: letters, digits, '.', '_' and '-', at most 30; never changes."
_VERSION = "The version you read; refused if stale."


@strawberry.input(description="A new line of business.")
class LineOfBusinessCreateInput:
    code: str = strawberry.field(description=_CODE)
    name: str = strawberry.field(description="The name shown to people.")


@strawberry.input(description="A new name for a line of business.")
class LineOfBusinessUpdateInput:
    code: str = strawberry.field(description="The line of business to change, by code.")
    version: int = strawberry.field(description=_VERSION)
    name: str = strawberry.field(description="The new name.")


@strawberry.input(description="A new data access group.")
class DataAccessGroupCreateInput:
    code: str = strawberry.field(description=_CODE)
    name: str = strawberry.field(description="The name shown to people.")


@strawberry.input(description="A new name for a data access group.")
class DataAccessGroupUpdateInput:
    code: str = strawberry.field(description="The data access group to change, by code.")
    version: int = strawberry.field(description=_VERSION)
    name: str = strawberry.field(description="The new name.")


@strawberry.input(
    description="A new product; define its parameters afterwards with productParameterCreate."
)
class ProductCreateInput:
    code: str = strawberry.field(description=_CODE)
    name: str = strawberry.field(description="The name shown to people.")
    kind: ProductKind = strawberry.field(description="The kind of cover.")
    line_of_business: str = strawberry.field(description="The code of its line of business.")
    coverage_tiers: list[CoverageTier] = strawberry.field(
        description="The tiers in which it may be taken; at least one, each once."
    )


@strawberry.input(description="What to change of a product; a field left null is kept.")
class ProductUpdateInput:
    id: strawberry.ID = strawberry.field(description="The product to change.")
    version: int = strawberry.field(description=_VERSION)
    name: str | None = strawberry.field(default=None, description="A new name.")
    kind: ProductKind | None = strawberry.field(
        default=None, description="A new kind; refused once it is offered or enrolled in."
    )
    line_of_business: str | None = strawberry.field(
        default=None,
        description="The code of a new line of business; refused once it is offered or "
        "enrolled in.",
    )
    coverage_tiers: list[CoverageTier] | None = strawberry.field(
        default=None,
        description="All its tiers from now on; a tier a policy is enrolled in cannot go.",
    )
