"""What the field being resolved selects below it: selection peeking, in one place.

A resolver that knows what its field's selection reads can skip work the answer would not
show: a page of policies loads its members with it only when `members` is asked
(schema/policies/types.py), and a page reads the row past its end only when `hasNextPage`
is asked (schema/core/relay.py), and a page reads only the columns its selection shows
(schema/core/columns.py). The answer is worked out once per field of the document and
request, through fragments, and kept in the request's Context: a list of 1,000 policies asks
the same of each.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any

from strawberry.types.nodes import SelectedField

HAS_NEXT_PAGE = ("pageInfo", "hasNextPage")


def selection(info: Any) -> list[SelectedField]:
    """The fields the field being resolved selects, worked out once per field and request:
    strawberry converts the whole subtree of nodes each time `selected_fields` is read (an
    employee's coverage read its `policies` five times: 75 nodes converted a request)."""
    return remembered(info, _SELECTION, lambda: info.selected_fields)  # type: ignore[no-any-return]


_SELECTION = "selection"


def asks(info: Any, names: frozenset[str]) -> bool:
    """Whether the field being resolved selects, at any depth, a field named in `names`."""
    return bool(remembered(info, names, lambda: _anywhere(selection(info), names)))


def asks_path(info: Any, path: tuple[str, ...]) -> bool:
    """Whether the field being resolved selects this path of fields right below it, e.g.
    `pageInfo { hasNextPage }`."""
    return bool(remembered(info, path, lambda: _below(selection(info), path)))


def remembered(info: Any, question: Hashable, answer: Callable[[], Any]) -> Any:
    """`answer()`, worked out once per field of the document and request for `question`."""
    asked = info.context.asked
    # By the identity of the field's nodes, which live as long as the request, and all of
    # them: a fragment's node may be merged with different siblings in two places. Hashing a
    # graphql-core node hashes its whole subtree (12 us for bench.load's `policies`, at load
    # 20, against 0.5 by identity; asked 300 times in its nested query).
    key = (*map(id, info._raw_info.field_nodes), question)
    if key not in asked:
        asked[key] = answer()
    return asked[key]


def _anywhere(selections: Iterable[Any], names: frozenset[str]) -> bool:
    return any(
        (isinstance(selection, SelectedField) and selection.name in names)
        or _anywhere(selection.selections, names)
        for selection in selections
    )


def _below(fields: Iterable[SelectedField], path: tuple[str, ...]) -> bool:
    head, *rest = path
    return any(
        child.name == head and (not rest or _below([child], tuple(rest)))
        for field in fields
        for child in fields_of(field.selections)
    )


def fields_of(selections: Iterable[Any]) -> Iterator[SelectedField]:
    """The fields of a selection, those inside its fragments included."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:
            yield from fields_of(selection.selections)
