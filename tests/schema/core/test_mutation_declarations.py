"""Every mutation is declared one way: `@mutation(need, description)` from schema.core.mutations."""

from __future__ import annotations

from typing import Any

from strawberry.permission import PermissionExtension

from schema.core.mutations import DECLARED
from schema.core.permissions import Requires
from schema.root import Mutation

# TODO(write-path): empty once policies and workflow are @mutations (helpers h1, h2, h3).


def _needs(field: Any) -> list[Any]:
    """The needs the field's permission extensions check before it resolves."""
    return [
        permission.need
        for extension in field.extensions
        if isinstance(extension, PermissionExtension)
        for permission in extension.permissions
        if isinstance(permission, Requires)
    ]


def test_every_mutation_checks_the_need_its_body_was_declared_with() -> None:
    # given every field of the schema's Mutation
    fields = Mutation.__strawberry_definition__.fields  # type: ignore[attr-defined]
    # when
    skipped = [
        f.python_name
        for f in fields
        if f.base_resolver is not None and f.base_resolver.wrapped_func not in DECLARED
    ]
    unchecked = [
        f.python_name
        for f in fields
        if f.base_resolver is not None
        and f.base_resolver.wrapped_func in DECLARED
        and _needs(f) != [DECLARED[f.base_resolver.wrapped_func]]
    ]
    # then
    assert skipped == [], "declare these with @mutation(need, description)"
    assert unchecked == []
    assert all(f.base_resolver is not None for f in fields)


def test_every_mutation_of_the_schema_is_declared() -> None:
    # a test that could pass with an empty registry would prove nothing
    names = {f.python_name for f in Mutation.__strawberry_definition__.fields}  # type: ignore[attr-defined]
    declared = {resolver.__name__ for resolver in DECLARED}
    assert names <= declared
