"""Mutations of settings: each one transaction, each audited."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import strawberry
from strawberry import relay

from authz.access import SETTINGS_WRITE
from domain.core.errors import DomainError, ErrorCode
from domain.settings import catalogue, service
from domain.settings.models import BillingAccount, BrokerAgent, ProviderGroup, SettingLevel
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.mutations import actor, mutation
from schema.core.relay import global_id, require_id
from schema.settings import inputs
from schema.settings.types import OWNER_TYPES

_ERRORS = "Why the input was refused; empty on success, and then every change was saved."
_LEVELS = {
    name: level
    for level, name in OWNER_TYPES.items()
    if level is not SettingLevel.PARENT_GROUP_CLIENT
}


@strawberry.type(description="The outcome of settingSet.")
class SettingSetPayload:
    setting_id: strawberry.ID | None = strawberry.field(description="The new setting.")
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type(description="The outcome of settingRemove.")
class SettingRemovePayload:
    removed_id: strawberry.ID | None = strawberry.field(description="The removed setting.")
    errors: list[UserError] = strawberry.field(description=_ERRORS)


def _owner(value: str) -> tuple[SettingLevel, int]:
    """The level and row id of the object a setting is set on."""
    try:
        type_name = relay.GlobalID.from_id(value).type_name
    except ValueError:
        type_name = ""
    level = _LEVELS.get(type_name)
    if level is None:
        raise DomainError.of(
            "owner_id",
            ErrorCode.NOT_FOUND,
            "Not the id of a group client, group account, group account product, policy or "
            "enrolment product.",
        )
    return level, require_id(value, type_name, field="owner_id")


@strawberry.type(description="The outcome of adding reference data for settings.")
class ReferenceDataPayload:
    code: str | None = strawberry.field(description="The code of what was added.")
    errors: list[UserError] = strawberry.field(description=_ERRORS)


def _added(code: str) -> ReferenceDataPayload:
    return ReferenceDataPayload(code=code, errors=[])


async def _coded(info: Info, model: Any, given: inputs.CodedCreateInput) -> ReferenceDataPayload:
    row = await catalogue.create_coded(
        info.context.session, actor=actor(info), model=model, code=given.code, name=given.name
    )
    return _added(row.code)


@strawberry.type
class SettingsMutation:
    @mutation(SETTINGS_WRITE, "Add a broker or agent.")
    async def broker_agent_create(
        self, info: Info, input: inputs.BrokerAgentCreateInput
    ) -> ReferenceDataPayload:
        return await _coded(info, BrokerAgent, input)

    @mutation(SETTINGS_WRITE, "Add a billing account.")
    async def billing_account_create(
        self, info: Info, input: inputs.BillingAccountCreateInput
    ) -> ReferenceDataPayload:
        return await _coded(info, BillingAccount, input)

    @mutation(SETTINGS_WRITE, "Add a provider group.")
    async def provider_group_create(
        self, info: Info, input: inputs.ProviderGroupCreateInput
    ) -> ReferenceDataPayload:
        return await _coded(info, ProviderGroup, input)

    @mutation(SETTINGS_WRITE, "Add a premium schedule with its rates.")
    async def premium_schedule_create(
        self, info: Info, input: inputs.PremiumScheduleCreateInput
    ) -> ReferenceDataPayload:
        schedule = await catalogue.create_premium_schedule(
            info.context.session,
            actor=actor(info),
            code=input.code,
            name=input.name,
            currency=input.currency,
            rates=[
                catalogue.RateSpec(r.age_from, r.age_to, r.coverage_tier, r.amount)
                for r in input.rates
            ],
        )
        return _added(schedule.code)

    @mutation(SETTINGS_WRITE, "Add an adjustment rule.")
    async def adjustment_rule_create(
        self, info: Info, input: inputs.AdjustmentRuleCreateInput
    ) -> ReferenceDataPayload:
        rule = await catalogue.create_adjustment_rule(
            info.context.session,
            actor=actor(info),
            code=input.code,
            name=input.name,
            kind=input.kind,
            value=input.value,
            currency=input.currency,
        )
        return _added(rule.code)

    @mutation(SETTINGS_WRITE, "Define a named value of a product.")
    async def product_parameter_create(
        self, info: Info, input: inputs.ProductParameterCreateInput
    ) -> ReferenceDataPayload:
        parameter = await catalogue.create_product_parameter(
            info.context.session,
            actor=actor(info),
            product_code=input.product_code,
            name=input.name,
            description=input.description,
            allowed_values=input.allowed_values,
        )
        return _added(parameter.name)

    @mutation(
        SETTINGS_WRITE, "Give a group account its own value of an adjustment rule for a period."
    )
    async def adjustment_period_add(
        self, info: Info, input: inputs.AdjustmentPeriodAddInput
    ) -> ReferenceDataPayload:
        await catalogue.add_adjustment_period(
            info.context.session,
            actor=actor(info),
            group_account_id=require_id(
                input.group_account_id, "GroupAccount", field="group_account_id"
            ),
            adjustment_rule=input.adjustment_rule,
            start_date=input.start_date,
            end_date=input.end_date,
            value=input.value,
        )
        return _added(input.adjustment_rule.strip())

    @mutation(SETTINGS_WRITE, "Set a setting on a level for a period.")
    async def setting_set(self, info: Info, input: inputs.SettingSetInput) -> SettingSetPayload:
        level, owner_id = _owner(input.owner_id)
        setting = await service.set_setting(
            info.context.session,
            actor=actor(info),
            kind=input.kind,
            level=level,
            owner_id=owner_id,
            value=service.SettingValue(
                **{f.name: getattr(input, f.name) for f in fields(service.SettingValue)}
            ),
            start_date=input.start_date,
            end_date=input.end_date,
            parameter_name=input.parameter_name,
        )
        return SettingSetPayload(
            setting_id=strawberry.ID(global_id("Setting", setting.id)),  # type: ignore[arg-type]
            errors=[],
        )

    @mutation(SETTINGS_WRITE, "Remove a setting; the next level down then decides.")
    async def setting_remove(
        self, info: Info, input: inputs.SettingRemoveInput
    ) -> SettingRemovePayload:
        await service.remove_setting(
            info.context.session,
            actor=actor(info),
            setting_id=require_id(input.id, "Setting", field="id"),
        )
        return SettingRemovePayload(removed_id=input.id, errors=[])
