"""Mutations of settings: each one transaction, each audited."""

from __future__ import annotations

from dataclasses import fields

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from authz.access import SETTINGS_WRITE
from domain.core.errors import DomainError, ErrorCode
from domain.settings import service
from domain.settings.models import SettingLevel
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


@strawberry.type
class SettingsMutation:
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
