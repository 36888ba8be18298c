"""Authorization declared on fields and mutations: a permission that asks casbin, once a request.

`guarded(need, description)` gives the keyword arguments of a strawberry field or mutation:
the description says what it requires, and a caller without it gets a top-level error with
code FORBIDDEN at the field's path (and null there), the rest of the answer intact. So that
one refusal never empties a whole answer, every such field is nullable: `declared(schema)`
lists them, and tests/schema/core/test_forbidden_fields.py holds the schema to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLField, GraphQLObjectType
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter

from authz.access import Need
from schema.core.cost import bound


class Requires(BasePermission):
    """Allows the field when some role of the caller may do `need`."""

    error_extensions = {"code": "FORBIDDEN"}

    def __init__(self, need: Need) -> None:
        self.need = need
        self.message = _refusal(need)

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return bool(info.context.access.allows(self.need))


def guarded(need: Need, description: str, *, items: int | None = None) -> dict[str, Any]:
    """Field or mutation arguments that require `need` and document it; a list field that
    holds at most about `items` items says so for its cost (schema.core.cost)."""
    return {
        "description": requires(need, description),
        "extensions": [PermissionExtension(permissions=[Requires(need)], use_directives=False)],
        "metadata": {NEED: need, **(bound(items) if items is not None else {})},
    }


NEED = "groupcover.need"
"""Where a field's metadata keeps the need it was declared with (`guarded`, `direct`)."""


def need_of(field: GraphQLField) -> Need | None:
    """The need a field of the built schema was declared with; None for a field anyone reads."""
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return (getattr(definition, "metadata", None) or {}).get(NEED)


def declared(schema: strawberry.Schema) -> Iterator[tuple[str, str, GraphQLField, Need]]:
    """Every field of the schema that requires a need: (type name, field name, field, need)."""
    for type_name, graphql_type in sorted(schema._schema.type_map.items()):
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field_name, field in graphql_type.fields.items():
            need = need_of(field)
            if need is not None:
                yield type_name, field_name, field, need


def requires(need: Need, description: str) -> str:
    return f"{description} Requires {need}."


def refuse(need: Need) -> GraphQLError:
    """The error `guarded` gives, for a field that checks `need` itself (see schema.core.direct)."""
    return GraphQLError(_refusal(need), extensions={"code": "FORBIDDEN"})


def _refusal(need: Need) -> str:
    return f"Forbidden: this needs the permission {need}."
