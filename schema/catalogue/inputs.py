"""Inputs of the catalogue's mutations and queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from schema.catalogue.types import ItemKind
from schema.reference.types import CoverageTier


@strawberry.input(
    description="An upgrade path (`fromProductCode` and `toProductCode`, tiers optional) or a "
    "service (no products) a group account offers from a day."
)
class CatalogueItemAddInput:
    group_account_id: strawberry.ID = strawberry.field(description="The group account.")
    kind: ItemKind = strawberry.field(description="UPGRADE or SERVICE.")
    code: str = strawberry.field(
        description="Up to 30 letters, digits, '.', '_' or '-': a service's code is what a "
        "SERVICE_PURCHASE names; one item of a code in an account on any day."
    )
    name: str = strawberry.field(description="The name shown to people.")
    price: Decimal = strawberry.field(
        description="Two decimals, not negative: a service's price for one, an upgrade's a month."
    )
    employer_share: Decimal = strawberry.field(
        description="What the employer pays of the price: from 0 to the price."
    )
    currency: str = strawberry.field(description="ISO 4217, e.g. EUR.")
    start_date: date = strawberry.field(description="The first day it is offered.")
    end_date: date | None = strawberry.field(
        default=None, description="The last day; null: open-ended."
    )
    from_product_code: str | None = strawberry.field(
        default=None, description="An upgrade: the product it starts from."
    )
    from_tier: CoverageTier | None = strawberry.field(
        default=None, description="An upgrade: only from this tier; null: any."
    )
    to_product_code: str | None = strawberry.field(
        default=None, description="An upgrade: the product it leads to, offered by the account."
    )
    to_tier: CoverageTier | None = strawberry.field(
        default=None, description="An upgrade: the tier it leads to; null: the member's."
    )


@strawberry.input(description="A catalogue item to stop offering.")
class CatalogueItemEndInput:
    id: strawberry.ID = strawberry.field(description="The item.")
    version: int = strawberry.field(description="The version you saw.")
    end_date: date = strawberry.field(
        description="The last day it is offered; requests dated later are refused (NOT_OFFERED)."
    )


@strawberry.input(description="Which catalogue items to list.")
class CatalogueItemFilter:
    group_account_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this group account's items."
    )
    policy_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Only what this policy is offered: its account's services, and the "
        "upgrades from the products it has on `asOf`.",
    )
    kind: ItemKind | None = strawberry.field(default=None, description="Only this kind.")
    as_of: date | None = strawberry.field(
        default=None,
        description="Only items offered on this day; today by default with `policyId`, "
        "otherwise any day.",
    )
