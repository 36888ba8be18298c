"""Queries of dynamic field definitions."""

from __future__ import annotations

import strawberry

from authz.access import REFERENCE_READ
from domain.dynamic import service
from schema.core.context import Info
from schema.core.permissions import guarded
from schema.dynamic.types import DynamicField, FieldTarget

_DEFINITIONS = guarded(
    REFERENCE_READ,
    "The dynamic fields defined on one kind of row, in order.",
    items=service.MAX_FIELDS,
)


@strawberry.type
class DynamicQuery:
    @strawberry.field(**_DEFINITIONS)
    async def dynamic_field_definitions(
        self, info: Info, target: FieldTarget
    ) -> list[DynamicField] | None:
        rows = await service.fields_of(info.context.session, target)
        return [DynamicField.from_model(row) for row in rows.values()]
