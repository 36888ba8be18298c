"""Authorization declared on fields and mutations: a permission that asks casbin, once a request.

`guarded(need, description)` gives the keyword arguments of a strawberry field or mutation:
the description says what it requires, and a caller without it gets a top-level error with
code FORBIDDEN at the field's path (and null there), the rest of the answer intact.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from strawberry.permission import BasePermission, PermissionExtension

from authz.access import Need


class Requires(BasePermission):
    """Allows the field when some role of the caller may do `need`."""

    error_extensions = {"code": "FORBIDDEN"}

    def __init__(self, need: Need) -> None:
        self.need = need
        self.message = _refusal(need)

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return bool(info.context.access.allows(self.need))


def guarded(need: Need, description: str) -> dict[str, Any]:
    """Field or mutation arguments that require `need` and document it."""
    return {
        "description": requires(need, description),
        "extensions": [PermissionExtension(permissions=[Requires(need)], use_directives=False)],
    }


def requires(need: Need, description: str) -> str:
    return f"{description} Requires {need}."


def refuse(need: Need) -> GraphQLError:
    """The error `guarded` gives, for a field that checks `need` itself (see schema.core.direct)."""
    return GraphQLError(_refusal(need), extensions={"code": "FORBIDDEN"})


def _refusal(need: Need) -> str:
    return f"Forbidden: this needs the permission {need}."
