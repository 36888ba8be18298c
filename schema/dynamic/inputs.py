"""Inputs of the dynamic field mutations."""

from __future__ import annotations

from typing import Any

import strawberry

from domain.dynamic.service import FieldDefinition
from domain.dynamic.values import Assignment
from schema.dynamic.types import FieldTarget, FieldType

_ROLES = "The roles that may {}; empty or left out: whoever may {} the row."


@strawberry.input(description="The value of one dynamic field to set on a row.")
class DynamicFieldAssignmentInput:
    name: str = strawberry.field(description="The field's code.")
    value: str | None = strawberry.field(
        description="The new value as text (a number, a date as YYYY-MM-DD, one of an ENUM's "
        "choices); null clears it."
    )


def assignments_field() -> Any:
    """The `dynamicFields` argument of an update input."""
    return strawberry.field(
        default=None,
        description="Dynamic field values to set, or with null to clear; the others keep theirs.",
    )


def assignments(given: list[DynamicFieldAssignmentInput] | None) -> list[Assignment]:
    """The domain's assignments from an update input's `dynamicFields`."""
    return [Assignment(name=item.name, value=item.value) for item in given or ()]


@strawberry.input(description="What a dynamic field is and who may use it.")
class DynamicFieldRulesInput:
    label: str = strawberry.field(description="The name shown to people.")
    choices: list[str] | None = strawberry.field(
        default=None, description="The values an ENUM field allows (required for ENUM only)."
    )
    minimum: str | None = strawberry.field(
        default=None, description="The lowest NUMBER or earliest DATE (YYYY-MM-DD) allowed."
    )
    maximum: str | None = strawberry.field(
        default=None, description="The highest NUMBER or latest DATE allowed."
    )
    max_length: int | None = strawberry.field(
        default=None, description="The longest TEXT allowed, at most 1,000 (the default)."
    )
    read_roles: list[str] | None = strawberry.field(
        default=None, description=_ROLES.format("read its values", "read")
    )
    write_roles: list[str] | None = strawberry.field(
        default=None, description=_ROLES.format("set its values", "change")
    )

    def definition(self) -> FieldDefinition:
        """The domain's definition of a field with these rules."""
        return FieldDefinition(
            label=self.label,
            choices=tuple(self.choices or ()),
            minimum=self.minimum,
            maximum=self.maximum,
            max_length=self.max_length,
            read_roles=tuple(self.read_roles or ()),
            write_roles=tuple(self.write_roles or ()),
        )


@strawberry.input(description="A new dynamic field on every row of one kind.")
class DynamicFieldDefineInput:
    target: FieldTarget = strawberry.field(description="The kind of row it is kept on.")
    code: str = strawberry.field(description="Its name, unique on its target; never changes.")
    value_type: FieldType = strawberry.field(description="What its value is; never changes.")
    rules: DynamicFieldRulesInput = strawberry.field(description="Its label, checks and usage.")


@strawberry.input(description="New rules for a dynamic field; values already set are kept.")
class DynamicFieldUpdateInput:
    id: strawberry.ID = strawberry.field(description="The dynamic field.")
    version: int = strawberry.field(description="The version you read; refused if stale.")
    rules: DynamicFieldRulesInput = strawberry.field(description="Its new label, checks, usage.")
