"""What a policy covers on a day, as its members see it: where it is placed, its products and
what describes their cover. Read by anyone who reads the policy (`Policy.coverage`), so that an
employee, who reaches neither the group account nor the settings, sees their own cover."""

from __future__ import annotations

from datetime import date
from typing import Any, Self

import strawberry

from domain.core.periods import as_of
from domain.policies.coverage import Placement
from domain.settings.cover import Cover
from schema.core.context import Info
from schema.reference.types import CoverageTier, Product

_COVER = (
    "Only the settings that describe the cover are shown here (the provider group and the "
    "parameter values); prices, commissions, billing and routing are in `effectiveSettings`."
)


@strawberry.type(description="A network of providers a member is assigned to.")
class CoverProviderGroup:
    code: str = strawberry.field(description="The business code, unique.")
    name: str = strawberry.field(description="The name shown to people.")


@strawberry.type(description="One parameter of a product as it applies, e.g. DEDUCTIBLE 500.")
class CoverParameter:
    name: str = strawberry.field(description="The parameter's name.")
    value: str = strawberry.field(description="Its effective value.")


@strawberry.type(description="A product the policy has on the day, and what describes its cover.")
class CoveredProduct:
    coverage_tier: CoverageTier = strawberry.field(description="Who the product covers.")
    start_date: date = strawberry.field(description="The first day, included.")
    end_date: date | None = strawberry.field(description="The last day; null while open.")
    row: strawberry.Private[Any]
    """The enrolment product's row."""
    day: strawberry.Private[date]

    @strawberry.field(description="The product.")
    async def product(self, info: Info) -> Product:
        row = await info.context.loaders.reference.product_by_id.load(self.row.product_id)
        return Product.from_model(row)

    @strawberry.field(description=f"The provider group the member is assigned to. {_COVER}")
    async def provider_group(self, info: Info) -> CoverProviderGroup | None:
        cover = await self._cover(info)
        found = cover.provider_group if cover else None
        return CoverProviderGroup(code=found.code, name=found.name) if found else None

    @strawberry.field(description=f"The product's parameter values, by name. {_COVER}")
    async def parameters(self, info: Info) -> list[CoverParameter]:
        cover = await self._cover(info)
        found = cover.parameters if cover else {}
        return [CoverParameter(name=name, value=value) for name, value in found.items()]

    async def _cover(self, info: Info) -> Cover | None:
        loader = info.context.loaders.settings.cover_by_enrollment_product
        return await loader.load((self.row.id, self.day))


@strawberry.type(
    description="What a policy covers on a day, as its members see it. " + _COVER,
)
class Coverage:
    policy_id: strawberry.Private[int]
    day: strawberry.Private[date]
    placement: strawberry.Private[Placement]

    @classmethod
    async def load(cls, info: Info, policy_id: int, day: date) -> Self:
        """The coverage of a policy on `day`, batched with the other policies'."""
        placement = await info.context.loaders.policies.placement_by_policy.load((policy_id, day))
        return cls(policy_id=policy_id, day=day, placement=placement)

    @strawberry.field(description="The name of the group account the policy is in.")
    def group_account_name(self) -> str | None:
        return self.placement.group_account

    @strawberry.field(description="The name of the insurable class the policy is in.")
    def insurable_class_name(self) -> str | None:
        return self.placement.insurable_class

    @strawberry.field(description="The products the policy has on the day, in order of start.")
    async def products(self, info: Info) -> list[CoveredProduct]:
        rows = await info.context.loaders.policies.enrollment_products_by_policy.load(
            self.policy_id
        )
        return [
            CoveredProduct(
                coverage_tier=row.coverage_tier,
                start_date=row.start_date,
                end_date=row.end_date,
                row=row,
                day=self.day,
            )
            for row in sorted(as_of(rows, self.day), key=lambda r: (r.start_date, r.id))
        ]
