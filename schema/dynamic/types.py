"""GraphQL types of dynamic fields: their definitions, and their values on a row."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.dataloader import DataLoader

from domain.dynamic import models
from domain.dynamic.service import MAX_FIELDS
from domain.dynamic.values import may_use
from schema.core.context import Info
from schema.core.cost import bound
from schema.core.relay import RowNode

strawberry.enum(models.FieldTarget, description="The kind of row a dynamic field is kept on.")
strawberry.enum(models.FieldType, description="What a dynamic field's value is.")
FieldTarget = models.FieldTarget
FieldType = models.FieldType

_ROLES = "Roles that may {}; empty: whoever may {} the row."


@strawberry.type(
    description="An extra field an admin defined on group clients, accounts or policies."
)
class DynamicField(RowNode):
    id: relay.NodeID[int]
    target: FieldTarget = strawberry.field(description="The kind of row it is kept on.")
    code: str = strawberry.field(description="Its name in dynamicFields, unique on its target.")
    label: str = strawberry.field(description="The name shown to people.")
    value_type: FieldType = strawberry.field(description="What its value is; never changes.")
    choices: list[str] = strawberry.field(description="The values an ENUM field allows.")
    minimum: str | None = strawberry.field(description="The lowest NUMBER or earliest DATE.")
    maximum: str | None = strawberry.field(description="The highest NUMBER or latest DATE.")
    max_length: int | None = strawberry.field(description="The longest TEXT allowed.")
    read_roles: list[str] = strawberry.field(description=_ROLES.format("read it", "read"))
    write_roles: list[str] = strawberry.field(description=_ROLES.format("set it", "change"))
    version: int = strawberry.field(description="Its version; give it back to change it.")

    @classmethod
    def from_model(cls, row: models.DynamicField) -> Self:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            target=row.target,
            code=row.code,
            label=row.label,
            value_type=row.value_type,
            choices=list(row.choices),
            minimum=row.minimum,
            maximum=row.maximum,
            max_length=row.max_length,
            read_roles=list(row.read_roles),
            write_roles=list(row.write_roles),
            version=row.version,
        )

    @classmethod
    def node_loader(cls, info: Info) -> DataLoader[int, Any]:
        return info.context.loaders.dynamic.dynamic_field_by_id


@strawberry.type(description="The value of one dynamic field on a row.")
class DynamicFieldValue:
    name: str = strawberry.field(description="The field's code.")
    label: str = strawberry.field(description="The field's name shown to people.")
    value_type: FieldType = strawberry.field(description="What the value is.")
    stored: strawberry.Private[str | None]
    readable: strawberry.Private[bool]

    @strawberry.field(
        description="The value as text (a number in plain notation, a date as YYYY-MM-DD); "
        "null when unset. FORBIDDEN (and null) when the field's usage restriction does not "
        "let your roles read it."
    )
    def value(self) -> str | None:
        if not self.readable:
            raise GraphQLError(
                f"Forbidden: your roles may not read the dynamic field {self.name!r}.",
                extensions={"code": "FORBIDDEN"},
            )
        return self.stored


DYNAMIC_FIELDS: dict[str, Any] = {
    "description": "Every dynamic field defined on this kind of row, in the order they were "
    "defined, with this row's values; set them through its update mutation.",
    "metadata": bound(MAX_FIELDS),
}


async def dynamic_values(
    info: Info, target: FieldTarget, values: Mapping[str, str] | None
) -> list[DynamicFieldValue]:
    """The row's values of every field defined on `target`, as the caller may read them."""
    definitions = await info.context.loaders.dynamic.fields_by_target.load(target)
    roles = frozenset(role.value for role in info.context.access.principal.all_roles)
    return [
        DynamicFieldValue(
            name=row.code,
            label=row.label,
            value_type=row.value_type,
            stored=(values or {}).get(row.code),
            readable=may_use(row.read_roles, roles),
        )
        for row in definitions
    ]
