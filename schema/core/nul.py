"""Refuse a NUL character (U+0000) in any text a request sends, naming where it stands.

PostgreSQL cannot store one in text: left to the database, it fails the statement and the
client gets "Unexpected error." A check here, before anything runs, covers every argument
(literal or variable), however deep in an input, ids included, without a scalar of our own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    FieldNode,
    GraphQLError,
    ObjectFieldNode,
    StringValueNode,
    ValidationRule,
)

_NUL = "\x00"
CODE = "BAD_USER_INPUT"


def _refusal(where: str, node: Any = None) -> GraphQLError:
    return GraphQLError(
        f"{where} holds a NUL character (\\u0000), which no text may contain.",
        node,
        extensions={"code": CODE},
    )


class NoNulLiterals(ValidationRule):
    """Refuse a string literal with a NUL, naming its field, argument and input path."""

    def enter_string_value(
        self, node: StringValueNode, _key: Any, parent: Any, _path: Any, ancestors: Any
    ) -> None:
        if _NUL not in node.value:
            return
        chain = [*ancestors, parent]
        names = [a.name.value for a in chain if isinstance(a, ArgumentNode | ObjectFieldNode)]
        fields = [a.name.value for a in chain if isinstance(a, FieldNode)]
        where = f"The argument '{'.'.join(names) or '?'}'"
        if fields:
            where += f" of '{fields[-1]}'"
        self.report_error(_refusal(where, node))


def variables_refusal(variables: dict[str, Any] | None) -> GraphQLError | None:
    """The refusal of variables whose value holds a NUL anywhere, naming the first; else None."""
    found = next(_nul_paths(variables or {}, ""), None)
    return None if found is None else _refusal(f"Variable '${found}'")


def _nul_paths(value: Any, path: str) -> Iterator[str]:
    """The paths (`input.dependants[0].givenName`) of the strings holding a NUL."""
    if isinstance(value, str):
        if _NUL in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if _NUL in str(key):
                yield f"{path}.{key!r}"
            yield from _nul_paths(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, f"{path}[{index}]")
