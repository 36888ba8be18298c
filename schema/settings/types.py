"""GraphQL types of settings: their reference data, and each object's effective settings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Self

import strawberry

from authz.access import SETTINGS_READ
from domain.settings import models
from domain.settings.effective import Chosen, ChosenAdjustment, Effective
from domain.settings.sources import Owner
from schema.core.context import Info
from schema.core.cost import bound
from schema.core.direct import direct
from schema.core.permissions import guarded
from schema.core.relay import global_id
from schema.reference.types import CoverageTier

strawberry.enum(models.SettingLevel, description="Where a setting's value was set.")
strawberry.enum(models.SettingKind, description="The settings that can be set on a group.")
strawberry.enum(models.CollectionSetting, description="Who the premium is collected from.")
strawberry.enum(models.BillAllocation, description="How a group's bill is split into invoices.")
strawberry.enum(models.AdjustmentKind, description="A percentage or an amount.")
SettingLevel = models.SettingLevel
SettingKind = models.SettingKind
CollectionSetting = models.CollectionSetting
BillAllocation = models.BillAllocation
AdjustmentKind = models.AdjustmentKind

OWNER_TYPES = {
    SettingLevel.GROUP_CLIENT: "GroupClient",
    SettingLevel.PARENT_GROUP_CLIENT: "GroupClient",
    SettingLevel.GROUP_ACCOUNT: "GroupAccount",
    SettingLevel.GROUP_ACCOUNT_PRODUCT: "GroupAccountProduct",
    SettingLevel.POLICY: "Policy",
    SettingLevel.ENROLLMENT_PRODUCT: "EnrollmentProduct",
}


@strawberry.type(description="A code and a name of the settings' reference data.")
class Coded:
    code: str = strawberry.field(description="The business code, unique.")
    name: str = strawberry.field(description="The name shown to people.")

    @classmethod
    def from_model(cls, row: Any) -> Self:
        return cls(code=row.code, name=row.name)


@strawberry.type(description="A monthly premium for an age band (inclusive) and a tier.")
class PremiumRate:
    age_from: int = strawberry.field(description="The youngest age of the band.")
    age_to: int = strawberry.field(description="The oldest age of the band.")
    coverage_tier: CoverageTier = strawberry.field(description="Who is covered.")
    amount: Decimal = strawberry.field(description="The monthly premium, in the currency.")


@strawberry.type(description="Premium rates by age band and coverage tier, in one currency.")
class PremiumSchedule(Coded):
    currency: str = strawberry.field(description="ISO 4217 currency of the rates.")
    id_: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: Any) -> Self:
        return cls(code=row.code, name=row.name, currency=row.currency, id_=row.id)

    @strawberry.field(description="The rates, by tier and age band.", metadata=bound(50))
    async def rates(self, info: Info) -> list[PremiumRate]:
        rows = await info.context.loaders.settings.premium_rates_by_schedule.load(self.id_)
        return [
            PremiumRate(
                age_from=r.age_from, age_to=r.age_to, coverage_tier=r.coverage_tier, amount=r.amount
            )
            for r in sorted(rows, key=lambda r: (r.coverage_tier, r.age_from))
        ]


@strawberry.type(description="A discount or surcharge: a percentage, or an amount.")
class AdjustmentRule(Coded):
    kind: AdjustmentKind = strawberry.field(description="A percentage or an amount.")
    value: Decimal = strawberry.field(description="The rule's own value.")
    currency: str | None = strawberry.field(description="The currency of an amount.")

    @classmethod
    def from_model(cls, row: Any) -> Self:
        return cls(
            code=row.code, name=row.name, kind=row.kind, value=row.value, currency=row.currency
        )


def _owner_id(source: SettingSource, _info: Any) -> strawberry.ID | None:
    chosen = source.chosen
    return _id(OWNER_TYPES[chosen.level], chosen.owner_id) if source.shown else None


def _setting_id(source: SettingSource, _info: Any) -> strawberry.ID | None:
    return _id("Setting", source.chosen.setting.id) if source.shown else None  # type: ignore[arg-type]


@strawberry.type(description="Where an effective value was set.")
class SettingSource:
    level: SettingLevel = strawberry.field(description="The level that set it.")
    # Written when asked: a tree's effective settings make a source for every value, and
    # most documents ask only its level (bench.load's tree: 364 sources a request).
    id: strawberry.ID | None = direct(
        _owner_id,
        description="The id of the object that set it (a group client, account, account "
        "product, policy or enrolment product); null when you may not see that object (the "
        "value applies all the same).",
    )
    setting_id: strawberry.ID | None = direct(
        _setting_id,
        description="The setting itself, e.g. for settingRemove; null when you may not see "
        "the object that set it.",
    )
    start_date: date | None = strawberry.field(description="From when it is set; null: always.")
    end_date: date | None = strawberry.field(description="Until when; null: open-ended.")
    chosen: strawberry.Private[Chosen]
    shown: strawberry.Private[bool]
    """Whether the caller may see the level that set it (see domain.settings.sources)."""

    @classmethod
    def of(cls, chosen: Chosen | None, hidden: frozenset[Owner]) -> Self | None:
        """Where `chosen` came from, naming no level among `hidden` (out of the caller's reach)."""
        if chosen is None:
            return None
        return cls(
            level=chosen.level,
            start_date=chosen.setting.start_date,
            end_date=chosen.setting.end_date,
            chosen=chosen,
            shown=(chosen.level, chosen.owner_id) not in hidden,
        )


def _id(type_name: str, row_id: int) -> strawberry.ID:
    return strawberry.ID(global_id(type_name, row_id))


_SOURCE = "Where the value came from; null when no level sets it."
_VALUE = "The effective value; null when no level sets it."


@strawberry.type(description="An effective reference-data setting and where it came from.")
class EffectiveCoded:
    value: Coded | None = strawberry.field(description=_VALUE)
    source: SettingSource | None = strawberry.field(description=_SOURCE)


@strawberry.type(description="The effective premium schedule and where it came from.")
class EffectivePremiumSchedule:
    value: PremiumSchedule | None = strawberry.field(description=_VALUE)
    source: SettingSource | None = strawberry.field(description=_SOURCE)


@strawberry.type(description="The effective collection setting and where it came from.")
class EffectiveCollectionSetting:
    value: CollectionSetting | None = strawberry.field(description=_VALUE)
    source: SettingSource | None = strawberry.field(description=_SOURCE)


@strawberry.type(description="The effective bill allocation and where it came from.")
class EffectiveBillAllocation:
    value: BillAllocation | None = strawberry.field(description=_VALUE)
    source: SettingSource | None = strawberry.field(description=_SOURCE)


@strawberry.type(description="An effective rate or text and where it came from.")
class EffectiveDecimal:
    value: Decimal | None = strawberry.field(description=_VALUE)
    source: SettingSource | None = strawberry.field(description=_SOURCE)


@strawberry.type(description="An effective text value and where it came from.")
class EffectiveText:
    value: str | None = strawberry.field(description=_VALUE)
    source: SettingSource | None = strawberry.field(description=_SOURCE)


@strawberry.type(description="An adjustment that applies, with its value on the day.")
class EffectiveAdjustment:
    rule: AdjustmentRule = strawberry.field(description="The rule.")
    value: Decimal = strawberry.field(
        description="The value that applies: the group account period's when one covers "
        "the day, else the rule's own."
    )
    overridden: bool = strawberry.field(description="Whether a group account period set the value.")
    source: SettingSource = strawberry.field(description="Where the rule was set.")


@strawberry.type(description="A product parameter's effective value.")
class EffectiveParameterValue:
    name: str = strawberry.field(description="The parameter, as the product defines it.")
    value: str = strawberry.field(description="Its value.")
    source: SettingSource = strawberry.field(description="Where it was set.")


K = models.SettingKind


@strawberry.type(
    description="Every setting as it applies to an object on a day, each with its source; "
    "the most specific level that sets a setting wins (see the README's table)."
)
class EffectiveSettings:
    found: strawberry.Private[Effective]
    hidden: strawberry.Private[frozenset[Owner]]

    def _chosen(self, kind: models.SettingKind) -> Chosen | None:
        return self.found.single.get(kind)

    async def _coded(self, info: Info, kind: models.SettingKind, loader: str) -> EffectiveCoded:
        chosen = self._chosen(kind)
        if chosen is None:
            return EffectiveCoded(value=None, source=None)
        column = {
            K.BROKER_AGENT: "broker_agent_id",
            K.BILLING_ACCOUNT: "billing_account_id",
            K.ASSIGNED_PROVIDER_GROUP: "provider_group_id",
        }[kind]
        row = await getattr(info.context.loaders.settings, loader).load(
            getattr(chosen.setting, column)
        )
        return EffectiveCoded(
            value=Coded.from_model(row), source=SettingSource.of(chosen, self.hidden)
        )

    @strawberry.field(description="The premium schedule.")
    async def premium_schedule(self, info: Info) -> EffectivePremiumSchedule:
        chosen = self._chosen(K.PREMIUM_SCHEDULE)
        if chosen is None:
            return EffectivePremiumSchedule(value=None, source=None)
        loader = info.context.loaders.settings.premium_schedule_by_id
        row = await loader.load(chosen.setting.premium_schedule_id)  # type: ignore[arg-type]
        return EffectivePremiumSchedule(
            value=PremiumSchedule.from_model(row), source=SettingSource.of(chosen, self.hidden)
        )

    @strawberry.field(
        description="Every adjustment that applies: the enrolment product's own, and those "
        "of the first group level that has any.",
        metadata=bound(10),
    )
    async def adjustments(self, info: Info) -> list[EffectiveAdjustment]:
        loader = info.context.loaders.settings.adjustment_rule_by_id
        rules = await loader.load_many(
            [a.setting.adjustment_rule_id for a in self.found.adjustments]  # type: ignore[misc]
        )
        return [
            _adjustment(a, rule, self.hidden)
            for a, rule in zip(self.found.adjustments, rules, strict=True)
        ]

    @strawberry.field(description="The broker or agent.")
    async def broker_agent(self, info: Info) -> EffectiveCoded:
        return await self._coded(info, K.BROKER_AGENT, "broker_agent_by_id")

    @strawberry.field(description="Group billed, or direct billed to the member.")
    def collection_setting(self) -> EffectiveCollectionSetting:
        chosen = self._chosen(K.COLLECTION_SETTING)
        value = models.CollectionSetting(chosen.setting.value_text or "") if chosen else None
        return EffectiveCollectionSetting(value=value, source=SettingSource.of(chosen, self.hidden))

    @strawberry.field(description="The billing account premiums are billed to.")
    async def billing_account(self, info: Info) -> EffectiveCoded:
        return await self._coded(info, K.BILLING_ACCOUNT, "billing_account_by_id")

    @strawberry.field(description="How the bill is split into invoices.")
    def bill_allocation(self) -> EffectiveBillAllocation:
        chosen = self._chosen(K.BILL_ALLOCATION)
        value = models.BillAllocation(chosen.setting.value_text or "") if chosen else None
        return EffectiveBillAllocation(value=value, source=SettingSource.of(chosen, self.hidden))

    @strawberry.field(description="The group commission rate, a percentage.")
    def group_commission_rate(self) -> EffectiveDecimal:
        chosen = self._chosen(K.GROUP_COMMISSION_RATE)
        value = chosen.setting.value_decimal if chosen else None
        return EffectiveDecimal(value=value, source=SettingSource.of(chosen, self.hidden))

    @strawberry.field(
        description="The employer's share of the premium, a percentage; the employee pays the rest."
    )
    def employer_contribution(self) -> EffectiveDecimal:
        chosen = self._chosen(K.EMPLOYER_CONTRIBUTION)
        value = chosen.setting.value_decimal if chosen else None
        return EffectiveDecimal(value=value, source=SettingSource.of(chosen, self.hidden))

    @strawberry.field(description="The process flow requests follow.")
    def process_flow(self) -> EffectiveText:
        chosen = self._chosen(K.PROCESS_FLOW)
        value = chosen.setting.value_text if chosen else None
        return EffectiveText(value=value, source=SettingSource.of(chosen, self.hidden))

    @strawberry.field(description="The provider group members are assigned to.")
    async def assigned_provider_group(self, info: Info) -> EffectiveCoded:
        return await self._coded(info, K.ASSIGNED_PROVIDER_GROUP, "provider_group_by_id")

    @strawberry.field(
        description="The product's parameters that are set, by name.", metadata=bound(10)
    )
    def parameter_values(self) -> list[EffectiveParameterValue]:
        return [
            EffectiveParameterValue(
                name=name,
                value=chosen.setting.value_text or "",
                source=SettingSource.of(chosen, self.hidden),  # type: ignore[arg-type]
            )
            for name, chosen in sorted(self.found.parameters.items())
        ]


def _adjustment(
    chosen: ChosenAdjustment, rule: Any, hidden: frozenset[Owner]
) -> EffectiveAdjustment:
    return EffectiveAdjustment(
        rule=AdjustmentRule.from_model(rule),
        value=chosen.period.value if chosen.period else rule.value,
        overridden=chosen.period is not None,
        source=SettingSource.of(chosen, hidden),  # type: ignore[arg-type]
    )


def effective_field(what: str) -> Any:
    """The arguments of an `effectiveSettings(asOf)` field on an object."""
    return guarded(
        SETTINGS_READ,
        f"Every setting as it applies to this {what} on the day (today, UTC, when left out), "
        "with where each value came from.",
    )


async def load_effective(
    info: Info, level: models.SettingLevel, row_id: int, as_of: date | None
) -> EffectiveSettings:
    """The effective settings of one object, batched with its siblings'."""
    day = as_of or info.context.today()
    found, hidden = await info.context.loaders.settings.effective_settings.load(
        (level, row_id, day)
    )
    return EffectiveSettings(found=found, hidden=hidden)
