"""Mutations of dynamic fields: admins define them and change their rules, each audited.

Values are set through the update mutation of the row they describe (groupClientUpdate,
groupAccountUpdate, policyEmploymentUpdate), so a value is a change to that row like any
other of its fields.
"""

from __future__ import annotations

import strawberry

from authz.access import REFERENCE_WRITE
from domain.dynamic import service
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.mutations import actor, mutation
from schema.core.relay import require_id
from schema.dynamic import inputs
from schema.dynamic.types import DynamicField


@strawberry.type(description="The outcome of dynamicFieldDefine or dynamicFieldUpdate.")
class DynamicFieldPayload:
    dynamic_field: DynamicField | None = strawberry.field(description="The field as saved.")
    errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success, and then it was saved."
    )


@strawberry.type
class DynamicMutation:
    @mutation(REFERENCE_WRITE, "Define a dynamic field on every group client, account or policy.")
    async def dynamic_field_define(
        self, info: Info, input: inputs.DynamicFieldDefineInput
    ) -> DynamicFieldPayload:
        row = await service.define_field(
            info.context.session,
            actor=actor(info),
            target=input.target,
            code=input.code,
            value_type=input.value_type,
            definition=input.rules.definition(),
        )
        return DynamicFieldPayload(dynamic_field=DynamicField.from_model(row), errors=[])

    @mutation(REFERENCE_WRITE, "Change a dynamic field's label, checks or usage restriction.")
    async def dynamic_field_update(
        self, info: Info, input: inputs.DynamicFieldUpdateInput
    ) -> DynamicFieldPayload:
        row = await service.update_field(
            info.context.session,
            actor=actor(info),
            field_id=require_id(input.id, "DynamicField", field="id"),
            version=input.version,
            definition=input.rules.definition(),
        )
        return DynamicFieldPayload(dynamic_field=DynamicField.from_model(row), errors=[])
