"""Inputs of the settings' mutations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from schema.settings.types import BillAllocation, CollectionSetting, SettingKind

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


@strawberry.input(description="A setting to remove; the next level down then decides.")
class SettingRemoveInput:
    id: strawberry.ID = strawberry.field(description="The setting (a source's settingId).")
