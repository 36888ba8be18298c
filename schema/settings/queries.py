"""Queries of the settings' reference data."""

from __future__ import annotations

import strawberry

from authz.access import SETTINGS_READ
from domain.settings import catalogue
from schema.core.context import Info
from schema.core.permissions import guarded
from schema.settings.types import AdjustmentRule, Coded, PremiumSchedule


@strawberry.type(description="A named value a product defines.")
class ProductParameter:
    product_code: str = strawberry.field(description="The product that defines it.")
    name: str = strawberry.field(description="The parameter's name.")
    description: str = strawberry.field(description="What it means.")
    allowed_values: list[str] | None = strawberry.field(
        description="The values a setting of it may take; null: any value."
    )


@strawberry.type(description="Everything settings can name, each list by code.")
class SettingsReferenceData:
    premium_schedules: list[PremiumSchedule] = strawberry.field(description="Premium schedules.")
    adjustment_rules: list[AdjustmentRule] = strawberry.field(description="Adjustment rules.")
    broker_agents: list[Coded] = strawberry.field(description="Brokers and agents.")
    billing_accounts: list[Coded] = strawberry.field(description="Billing accounts.")
    provider_groups: list[Coded] = strawberry.field(description="Provider groups.")
    product_parameters: list[ProductParameter] = strawberry.field(
        description="The parameters products define."
    )


@strawberry.type
class SettingsQuery:
    @strawberry.field(**guarded(SETTINGS_READ, "The reference data settings can name."))
    async def settings_reference_data(self, info: Info) -> SettingsReferenceData | None:
        found = await catalogue.reference_data(info.context.session)
        return SettingsReferenceData(
            premium_schedules=[PremiumSchedule.from_model(r) for r in found.premium_schedules],
            adjustment_rules=[AdjustmentRule.from_model(r) for r in found.adjustment_rules],
            broker_agents=[Coded.from_model(r) for r in found.broker_agents],
            billing_accounts=[Coded.from_model(r) for r in found.billing_accounts],
            provider_groups=[Coded.from_model(r) for r in found.provider_groups],
            product_parameters=[
                ProductParameter(
                    product_code=code,
                    name=p.name,
                    description=p.description,
                    allowed_values=p.allowed_values,
                )
                for code, p in found.product_parameters
            ],
        )
