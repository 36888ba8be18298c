"""Inputs of the settings' mutations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from schema.reference.types import CoverageTier
from schema.settings.types import AdjustmentKind, BillAllocation, CollectionSetting, SettingKind

_CODE = "Its code; only for a {kind} setting."


@strawberry.input(
    description="A setting to set on a group client, group account, group account product, "
    "policy or enrolment product; give the one value field its kind takes."
)
class SettingSetInput:
    owner_id: strawberry.ID = strawberry.field(
        description="The object to set it on; which levels a setting may be set on is in "
        "the README's table (e.g. a process flow on a policy or a group client)."
    )
    kind: SettingKind = strawberry.field(description="Which setting.")
    start_date: date | None = strawberry.field(
        default=None, description="From when; null: since always."
    )
    end_date: date | None = strawberry.field(default=None, description="Until when, included.")
    premium_schedule: str | None = strawberry.field(
        default=None, description=_CODE.format(kind="PREMIUM_SCHEDULE")
    )
    adjustment_rule: str | None = strawberry.field(
        default=None, description=_CODE.format(kind="ADJUSTMENT")
    )
    broker_agent: str | None = strawberry.field(
        default=None, description=_CODE.format(kind="BROKER_AGENT")
    )
    billing_account: str | None = strawberry.field(
        default=None, description=_CODE.format(kind="BILLING_ACCOUNT")
    )
    provider_group: str | None = strawberry.field(
        default=None, description=_CODE.format(kind="ASSIGNED_PROVIDER_GROUP")
    )
    collection_setting: CollectionSetting | None = strawberry.field(
        default=None, description="Only for a COLLECTION_SETTING setting."
    )
    bill_allocation: BillAllocation | None = strawberry.field(
        default=None, description="Only for a BILL_ALLOCATION setting."
    )
    group_commission_rate: Decimal | None = strawberry.field(
        default=None, description="A percentage from 0 to 100; only for GROUP_COMMISSION_RATE."
    )
    process_flow: str | None = strawberry.field(
        default=None, description="The process's key; only for PROCESS_FLOW."
    )
    parameter_name: str | None = strawberry.field(
        default=None, description="A parameter the product defines; only for PARAMETER_VALUE."
    )
    parameter_value: str | None = strawberry.field(
        default=None, description="Its value; only for PARAMETER_VALUE."
    )
    employer_contribution: Decimal | None = strawberry.field(
        default=None,
        description="The employer's share of the premium, a percentage from 0 to 100; only "
        "for EMPLOYER_CONTRIBUTION.",
    )


@strawberry.input(description="A setting to remove; the next level down then decides.")
class SettingRemoveInput:
    id: strawberry.ID = strawberry.field(description="The setting (a source's settingId).")


@strawberry.input(description="A broker or agent, a billing account or a provider group.")
class CodedCreateInput:
    code: str = strawberry.field(description="Business code, unique among its kind.")
    name: str = strawberry.field(description="The name shown to people.")


@strawberry.input(description="A new broker or agent.")
class BrokerAgentCreateInput(CodedCreateInput):
    pass


@strawberry.input(description="A new billing account.")
class BillingAccountCreateInput(CodedCreateInput):
    pass


@strawberry.input(description="A new provider group.")
class ProviderGroupCreateInput(CodedCreateInput):
    pass


@strawberry.input(description="A monthly premium for an age band and a tier.")
class PremiumRateInput:
    age_from: int = strawberry.field(description="The youngest age of the band, 0 to 150.")
    age_to: int = strawberry.field(description="The oldest age of the band, included.")
    coverage_tier: CoverageTier = strawberry.field(description="Who is covered.")
    amount: Decimal = strawberry.field(description="The monthly premium, two decimals.")


@strawberry.input(description="A new premium schedule with its rates.")
class PremiumScheduleCreateInput:
    code: str = strawberry.field(description="Business code, unique.")
    name: str = strawberry.field(description="The name shown to people.")
    currency: str = strawberry.field(description="ISO 4217 currency of every rate.")
    rates: list[PremiumRateInput] = strawberry.field(
        description="The rates; a tier's age bands must not overlap."
    )


@strawberry.input(description="A new adjustment rule.")
class AdjustmentRuleCreateInput:
    code: str = strawberry.field(description="Business code, unique.")
    name: str = strawberry.field(description="The name shown to people.")
    kind: AdjustmentKind = strawberry.field(description="PERCENTAGE or AMOUNT.")
    value: Decimal = strawberry.field(
        description="The percentage (-100 to 100) or the amount; negative is a discount."
    )
    currency: str | None = strawberry.field(
        default=None, description="Required for an AMOUNT, not allowed for a PERCENTAGE."
    )


@strawberry.input(description="A new parameter of a product.")
class ProductParameterCreateInput:
    product_code: str = strawberry.field(description="The product.")
    name: str = strawberry.field(description="The parameter's name, like a code.")
    description: str = strawberry.field(default="", description="What it means.")
    allowed_values: list[str] | None = strawberry.field(
        default=None,
        description="The values a setting of it may take, each once; null: any value.",
    )


@strawberry.input(description="A group account's own value of an adjustment for a period.")
class AdjustmentPeriodAddInput:
    group_account_id: strawberry.ID = strawberry.field(description="The group account.")
    adjustment_rule: str = strawberry.field(description="The rule's code.")
    start_date: date = strawberry.field(description="The first day.")
    end_date: date | None = strawberry.field(default=None, description="The last day, if any.")
    value: Decimal = strawberry.field(description="The value that applies instead.")
