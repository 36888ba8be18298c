"""Relay plumbing: opaque ids, cursors and connections with a total count."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry import relay

from domain.core.errors import DomainError, ErrorCode
from domain.core.paging import MAX_PAGE_SIZE, Slice, Window
from schema.core.asked import HAS_NEXT_PAGE, asks_path
from schema.core.columns import node_columns

NodeT = TypeVar("NodeT", bound=relay.Node)
CURSOR_PREFIX = "cursor"
# Row ids are 32-bit integers on PostgreSQL: a larger number names no row.
MAX_ROW_ID = 2**31 - 1


def _row_id(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ROW_ID else None


def window(info: Any, first: int | None, after: str | None) -> Window:
    """Turn a connection field's arguments into a window, refusing sizes outside
    0..MAX_PAGE_SIZE. The row past the window is read only when the field asks
    `pageInfo { hasNextPage }`, and only the columns its nodes show (schema.core.columns)."""
    size = MAX_PAGE_SIZE if first is None else first
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise GraphQLError(f"`first` must be between 0 and {MAX_PAGE_SIZE}, got {first}.")
    return Window(
        first=size,
        after=None if after is None else _cursor_id(after),
        more=asks_path(info, HAS_NEXT_PAGE),
        columns=node_columns(info),
    )


def _cursor_id(cursor: str) -> int:
    try:
        prefix, value = relay.from_base64(cursor)
        row_id = _row_id(value)
        if prefix != CURSOR_PREFIX or row_id is None:
            raise ValueError(prefix)
        return row_id
    except ValueError:
        raise GraphQLError("`after` is not a cursor this server gave out.") from None


def global_id(type_name: str, row_id: int) -> str:
    """Encode a row id as the opaque id of a node of `type_name`."""
    return str(relay.GlobalID(type_name, str(row_id)))


def decode_id(value: str, type_name: str) -> int | None:
    """Return the row id inside a global id of `type_name`, or None when it is not one."""
    try:
        found = relay.GlobalID.from_id(value)
        return _row_id(found.node_id) if found.type_name == type_name else None
    except ValueError:
        return None


async def node_of(info: Any, value: str) -> relay.Node | None:
    """The node a global id names, or None: for an unknown or hidden row, and for an id that
    names no type of node at all (garbage, `Node`, a connection, an input)."""
    try:
        found = relay.GlobalID.from_id(value)
    except ValueError:
        return None
    definition = info.schema.get_type_by_name(found.type_name)
    origin = getattr(definition, "origin", None)
    if getattr(definition, "is_interface", True) or not (
        isinstance(origin, type) and issubclass(origin, RowNode)
    ):
        return None
    return await found.resolve_node(info, required=False)


def require_id(value: str, type_name: str, *, field: str) -> int:
    """Return the row id inside a global id, or refuse the input field as not found."""
    row_id = decode_id(value, type_name)
    if row_id is None:
        raise DomainError.of(field, ErrorCode.NOT_FOUND, f"No {type_name} with this id.")
    return row_id


def optional_id(value: str | None, type_name: str, *, field: str) -> int | None:
    """Like require_id, but None stays None."""
    return None if value is None else require_id(value, type_name, field=field)


@strawberry.type(description="A page of a list, with how to fetch the next page.")
class CountedConnection(relay.Connection[NodeT], Generic[NodeT]):
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items the whole list holds, across all pages.")
    async def total_count(self) -> int:
        return await self._count()

    @classmethod
    async def load(
        cls,
        info: Any,
        pages: Any,
        counts: Any,
        key: Any,
        node: Callable[[Any], NodeT],
        *,
        first: int | None,
        after: str | None,
    ) -> Any:
        """Build one parent's connection from a page loader and a count loader keyed by it."""
        page = await pages.load((key, window(info, first, after)))
        return cls.of(page, node, lambda: counts.load(key), after=after is not None)

    @classmethod
    def of(
        cls,
        page: Slice[Any],
        node: Callable[[Any], NodeT],
        count: Callable[[], Awaitable[int]],
        *,
        after: bool = False,
    ) -> Any:
        """Build a connection from a window of rows, mapping each row with `node`."""
        rows: Sequence[Any] = page.rows
        edges: list[relay.Edge[NodeT]] = [_Edge(row.id, node(row)) for row in rows]
        return cls(edges=edges, page_info=_PageInfo(rows, page.has_next, after), _count=count)


def cursor_of(row_id: int) -> str:
    """The cursor of the row with this id."""
    return relay.to_base64(CURSOR_PREFIX, row_id)


# Cursors are written only when read: most queries read none (bench.load's nested query has
# 1,100 edges in 200 connections and reads no cursor). graphql-core reads these attributes.
class _Edge(relay.Edge[Any]):
    def __init__(self, row_id: int, node: Any) -> None:
        self.row_id = row_id
        self.node = node

    @property
    def cursor(self) -> str:  # type: ignore[override]
        return cursor_of(self.row_id)


class _PageInfo(relay.PageInfo):
    def __init__(self, rows: Sequence[Any], has_next_page: bool, has_previous_page: bool) -> None:
        self.rows = rows
        self.has_next_page = has_next_page
        self.has_previous_page = has_previous_page

    @property
    def start_cursor(self) -> str | None:  # type: ignore[override]
        return cursor_of(self.rows[0].id) if self.rows else None

    @property
    def end_cursor(self) -> str | None:  # type: ignore[override]
        return cursor_of(self.rows[-1].id) if self.rows else None


class RowNode(relay.Node):
    """A node built from one table row and fetched by id through a per-request loader.

    The loader holds only rows the caller may see, so `node(id:)` answers null for a hidden
    row exactly as for an unknown id.
    """

    @classmethod
    def node_loader(cls, info: Any) -> Any:
        """Return the loader of this type's rows by id."""
        raise NotImplementedError

    @classmethod
    def from_model(cls, row: Any) -> Any:
        """Build the GraphQL object of a row."""
        raise NotImplementedError

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Any, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        ids = [_row_id(i) or -1 for i in node_ids]
        rows = await cls.node_loader(info).load_many(ids)
        return [cls.from_model(row) if row else None for row in rows]
