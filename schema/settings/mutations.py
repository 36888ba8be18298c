"""Mutations of settings: each one transaction, each audited."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import fields
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from authz.access import SETTINGS_WRITE, Actor
from domain.core.errors import DomainError, ErrorCode
from domain.settings import catalogue, service
from domain.settings.models import BillingAccount, BrokerAgent, ProviderGroup, SettingLevel
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.mutations import actor, perform
from schema.core.permissions import guarded
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


async def _period(session: AsyncSession, who: Actor, given: inputs.AdjustmentPeriodAddInput) -> str:
    await catalogue.add_adjustment_period(
        session,
        actor=who,
        group_account_id=require_id(
            given.group_account_id, "GroupAccount", field="group_account_id"
        ),
        adjustment_rule=given.adjustment_rule,
        start_date=given.start_date,
        end_date=given.end_date,
        value=given.value,
    )
    return given.adjustment_rule.strip()


async def _code_of(made: Awaitable[Any]) -> str:
    return str((await made).code)


async def _name_of(made: Awaitable[Any]) -> str:
    return str((await made).name)


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


async def _added(
    info: Info, add: Callable[[AsyncSession, Actor], Awaitable[str]]
) -> ReferenceDataPayload:
    """Add one row of reference data and answer its code (a parameter: its name)."""

    async def run(session: AsyncSession) -> str:
        return await add(session, actor(info, SETTINGS_WRITE))

    return await perform(
        info, run, lambda code, errors: ReferenceDataPayload(code=code, errors=errors)
    )


def _coded(
    model: Any,
) -> Callable[[Info, inputs.CodedCreateInput], Awaitable[ReferenceDataPayload]]:
    async def create(info: Info, given: inputs.CodedCreateInput) -> ReferenceDataPayload:
        return await _added(
            info,
            lambda session, who: _code_of(
                catalogue.create_coded(
                    session, actor=who, model=model, code=given.code, name=given.name
                )
            ),
        )

    return create


@strawberry.type
class SettingsMutation:
    @strawberry.mutation(**guarded(SETTINGS_WRITE, "Add a broker or agent."))
    async def broker_agent_create(
        self, info: Info, input: inputs.BrokerAgentCreateInput
    ) -> ReferenceDataPayload:
        return await _coded(BrokerAgent)(info, input)

    @strawberry.mutation(**guarded(SETTINGS_WRITE, "Add a billing account."))
    async def billing_account_create(
        self, info: Info, input: inputs.BillingAccountCreateInput
    ) -> ReferenceDataPayload:
        return await _coded(BillingAccount)(info, input)

    @strawberry.mutation(**guarded(SETTINGS_WRITE, "Add a provider group."))
    async def provider_group_create(
        self, info: Info, input: inputs.ProviderGroupCreateInput
    ) -> ReferenceDataPayload:
        return await _coded(ProviderGroup)(info, input)

    @strawberry.mutation(**guarded(SETTINGS_WRITE, "Add a premium schedule with its rates."))
    async def premium_schedule_create(
        self, info: Info, input: inputs.PremiumScheduleCreateInput
    ) -> ReferenceDataPayload:
        rates = [
            catalogue.RateSpec(r.age_from, r.age_to, r.coverage_tier, r.amount) for r in input.rates
        ]
        return await _added(
            info,
            lambda session, who: _code_of(
                catalogue.create_premium_schedule(
                    session,
                    actor=who,
                    code=input.code,
                    name=input.name,
                    currency=input.currency,
                    rates=rates,
                )
            ),
        )

    @strawberry.mutation(**guarded(SETTINGS_WRITE, "Add an adjustment rule."))
    async def adjustment_rule_create(
        self, info: Info, input: inputs.AdjustmentRuleCreateInput
    ) -> ReferenceDataPayload:
        return await _added(
            info,
            lambda session, who: _code_of(
                catalogue.create_adjustment_rule(
                    session,
                    actor=who,
                    code=input.code,
                    name=input.name,
                    kind=input.kind,
                    value=input.value,
                    currency=input.currency,
                )
            ),
        )

    @strawberry.mutation(**guarded(SETTINGS_WRITE, "Define a named value of a product."))
    async def product_parameter_create(
        self, info: Info, input: inputs.ProductParameterCreateInput
    ) -> ReferenceDataPayload:
        return await _added(
            info,
            lambda session, who: _name_of(
                catalogue.create_product_parameter(
                    session,
                    actor=who,
                    product_code=input.product_code,
                    name=input.name,
                    description=input.description,
                )
            ),
        )

    @strawberry.mutation(
        **guarded(
            SETTINGS_WRITE,
            "Give a group account its own value of an adjustment rule for a period.",
        )
    )
    async def adjustment_period_add(
        self, info: Info, input: inputs.AdjustmentPeriodAddInput
    ) -> ReferenceDataPayload:
        return await _added(
            info,
            lambda session, who: _period(session, who, input),
        )

    @strawberry.mutation(**guarded(SETTINGS_WRITE, "Set a setting on a level for a period."))
    async def setting_set(self, info: Info, input: inputs.SettingSetInput) -> SettingSetPayload:
        async def run(session: AsyncSession) -> strawberry.ID:
            level, owner_id = _owner(input.owner_id)
            setting = await service.set_setting(
                session,
                actor=actor(info, SETTINGS_WRITE),
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
            return strawberry.ID(global_id("Setting", setting.id))  # type: ignore[arg-type]

        return await perform(
            info, run, lambda made, errors: SettingSetPayload(setting_id=made, errors=errors)
        )

    @strawberry.mutation(
        **guarded(SETTINGS_WRITE, "Remove a setting; the next level down then decides.")
    )
    async def setting_remove(
        self, info: Info, input: inputs.SettingRemoveInput
    ) -> SettingRemovePayload:
        async def run(session: AsyncSession) -> strawberry.ID:
            await service.remove_setting(
                session,
                actor=actor(info, SETTINGS_WRITE),
                setting_id=require_id(input.id, "Setting", field="id"),
            )
            return input.id

        return await perform(
            info, run, lambda done, errors: SettingRemovePayload(removed_id=done, errors=errors)
        )
