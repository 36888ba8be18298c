"""Queries of validation rules."""

from __future__ import annotations

import strawberry

from authz.access import RULES_READ
from domain.validation import service
from schema.core.context import Info
from schema.core.permissions import guarded
from schema.validation.types import ValidationRule


@strawberry.type
class RulesQuery:
    @strawberry.field(
        **guarded(RULES_READ, "Every validation rule, enabled or not, in the order they run.")
    )
    async def validation_rules(self, info: Info) -> list[ValidationRule] | None:
        rows = await service.list_rules(info.context.session)
        return [ValidationRule.from_model(row) for row in rows]
