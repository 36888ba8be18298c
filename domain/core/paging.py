"""Keyset pagination over rows ordered by id (or another key that ends with it), one
statement for one list or for many."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from operator import itemgetter
from typing import Any, Generic, TypeAlias, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from domain.database import KEYS, among, among_keys, is_postgresql, keys_of, records
from domain.reading import ABSENT, record_type

T = TypeVar("T")
S = TypeVar("S", bound=sa.Select[Any])
MAX_PAGE_SIZE = 100
Columns: TypeAlias = frozenset[str] | None
"""The names of the columns of a row to read, or None for every column."""


@dataclass(frozen=True)
class Window:
    """Which rows of a list to return: the first `first` after the row with id `after`.

    With `more`, the slice tells whether more rows follow, by reading one row past the
    window; without it (nobody asked), `has_next` is False and no extra row is read. With
    `columns`, only those (and the id) are read and the others are null in the rows (see
    `selected`); a window of other columns is another key of a loader."""

    first: int = MAX_PAGE_SIZE
    after: int | None = None
    more: bool = True
    columns: Columns = None

    @property
    def rows(self) -> int:
        """How many rows to read: the window's, and one more to see if more follow."""
        return self.first + 1 if self.more else self.first


@dataclass(frozen=True)
class Slice(Generic[T]):
    """The rows of one window and whether more follow."""

    rows: Sequence[T]
    has_next: bool
    total: int | None = None
    """How many rows the whole list holds, when it was counted with the window
    (`fetch_counted_slice`) and that told it."""


def table_of(model: Any) -> sa.Table:
    """The table of a model: selecting it, or its columns, gives rows (read as `records`),
    which cost far less than ORM objects."""
    return model.__table__  # type: ignore[no-any-return]


def columns_in(model: Any, source: sa.Subquery) -> list[Any]:
    """The model's columns as `source`, a subquery of its rows, names them (those it has)."""
    return [source.c[column.key] for column in table_of(model).c if column.key in source.c]


def selected(model: Any, columns: Columns) -> list[Any]:
    """What to select of `model` to read `columns` and its id: those alone. Reading 2 of a
    person's 16 columns costs a fifth of reading them all (2,500 persons: 1.3 ms of CPU
    against 7.8). A statement of them is `completed`, so that its records have every
    attribute a row of the whole table has, None where not read."""
    table = table_of(model)
    if columns is None:
        return [table]
    wanted = columns | {"id"}
    return [c for c in table.c if c.key in wanted]


def completed(stmt: S, model: Any, columns: Columns) -> S:
    """`stmt`, of the `columns` of `model` that `selected` gives, read as records that hold
    None for the model's other columns (domain.reading.ABSENT). They were once selected as
    NULLs: a NULL is cheap to PostgreSQL, not to the client, whose driver takes each apart
    (2,470 members with their persons' 16 columns, 14 of them NULL: 1.7 ms of CPU; without
    the NULLs: 1.0)."""
    return stmt if columns is None else stmt.execution_options(**{ABSENT: absent(model, columns)})


@lru_cache(maxsize=256)
def absent(model: Any, columns: frozenset[str]) -> tuple[str, ...]:
    """The columns of `model` that `selected` leaves out of `columns`."""
    wanted = columns | {"id"}
    return tuple(c.key for c in table_of(model).c if c.key not in wanted)


def wider(*sets: Columns) -> Columns:
    """The columns that serve every one of `sets`: their union, or every column."""
    if any(columns is None for columns in sets):
        return None
    return frozenset().union(*sets)  # type: ignore[arg-type]


def cut(rows: Sequence[T], window: Window) -> Slice[T]:
    """The slice of `window` from the rows read for it (`window.rows` of them at most)."""
    return Slice(rows=rows[: window.first], has_next=len(rows) > window.first)


async def fetch_slice(
    session: AsyncSession,
    stmt: sa.Select[Any],
    model: Any,
    window: Window,
    *,
    order: Sequence[Any] = (),
    after: Callable[[int], Any] | None = None,
) -> Slice[Any]:
    """Return one window of a select of `model` rows, ordered by id, or by `order` with
    `after(id)` choosing the rows after the row with that id; as records of the window's
    columns when it names them."""
    return await run_slice(
        session, slice_select(stmt, model, window, order=order, after=after), window
    )


def slice_select(
    stmt: sa.Select[Any],
    model: Any,
    window: Window,
    *,
    order: Sequence[Any] = (),
    after: Callable[[int], Any] | None = None,
) -> sa.Select[Any]:
    """The select of one window of `stmt`'s rows, as `fetch_slice` reads it; a caller that
    keeps it runs it again with `run_slice`."""
    if window.after is not None:
        stmt = stmt.where(model.id > window.after if after is None else after(window.after))
    stmt = stmt.order_by(*(order or [model.id])).limit(window.rows)
    if window.columns is None:
        return stmt
    return completed(
        stmt.with_only_columns(*selected(model, window.columns)), model, window.columns
    )


async def run_slice(session: AsyncSession, stmt: sa.Select[Any], window: Window) -> Slice[Any]:
    """The slice of `window` that `slice_select` wrote: model objects, or records of the
    window's columns."""
    if window.columns is None:
        return cut((await session.scalars(stmt)).all(), window)
    return cut(await records(session, stmt), window)


async def count(session: AsyncSession, stmt: sa.Select[Any]) -> int:
    """Count the rows a select returns."""
    total = await session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    return int(total or 0)


async def count_by(
    session: AsyncSession, key_column: Any, keys: Iterable[Hashable], *, where: Any
) -> dict[Any, int]:
    """Count the `where` rows per key of `key_column`, in one statement; none counts 0."""
    keys = list(keys)
    stmt = (
        sa.select(key_column, sa.func.count())
        .where(among(session, key_column, keys), where)
        .group_by(key_column)
    )
    found = {key: int(n) for key, n in (await session.execute(stmt)).all()}
    return {key: found.get(key, 0) for key in keys}


TOTAL = "total"
"""The column of each row of `fetch_counted_slice` that holds the count of the whole list."""


async def fetch_counted_slice(
    session: AsyncSession, stmt: sa.Select[Any], model: Any, window: Window
) -> Slice[Any]:
    """`fetch_slice` of rows ordered by id and `count` of the same select, in one statement:
    each row read carries how many rows the whole list holds (as records, `TOTAL` beside the
    model's columns). A page and its count each planned and ran the list's select (the
    group manager's inbox on the bench book: 1.1 and 0.9 ms of PostgreSQL's CPU); counted
    over its rows before the window is cut, the list is read once (1.3 ms). A window
    that reads no row tells the count only at the start of the list (none: 0); its `total`
    is None otherwise, for `count` to tell."""
    listed = stmt.with_only_columns(
        *selected(model, window.columns), sa.func.count().over().label(TOTAL)
    ).subquery()
    page = completed(sa.select(*listed.c), model, window.columns)
    if window.after is not None:
        page = page.where(listed.c.id > window.after)
    rows = await records(session, page.order_by(listed.c.id).limit(window.rows))
    found = cut(rows, window)
    if rows:
        return Slice(found.rows, found.has_next, total=rows[0].total)
    at_start = window.after is None and window.rows > 0
    return Slice(found.rows, found.has_next, total=0 if at_start else None)


STATEMENTS = 1024
"""How many built statements of loaders a process keeps (the least recently used go)."""


@dataclass(frozen=True, eq=False)
class Same:
    """A SQL expression as a key of a cache, by identity: two expressions are the same
    condition only if they are one object (a scope's predicate is built once per scope, see
    authz.access.SCOPES). Held here, the object lives as long as the entry, so its identity is
    never another's."""

    expression: Any

    def __hash__(self) -> int:
        return id(self.expression)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Same) and other.expression is self.expression


async def fetch_slices(
    session: AsyncSession,
    model: Any,
    key_column: Any,
    keys: Iterable[Hashable],
    window: Window,
    *,
    where: Any,
) -> dict[Any, Slice[Any]]:
    """Return one window of the `where` rows of `model` per key of `key_column`, at once (the
    statement built once, as in `fetch_by_id`, with the keys and `after` its parameters)."""
    keys = list(keys)
    postgresql = is_postgresql(session)
    stmt = _slices(
        postgresql,
        model,
        Same(key_column),
        Same(where),
        window.after is not None,
        window.rows,
        window.columns,
    )
    parameters = {KEYS: keys_of(postgresql, key_column, keys)}
    if window.after is not None:
        parameters[AFTER] = window.after
    grouped = group_by(await records(session, stmt, parameters), keys, key_column.key)
    return {key: cut(rows, window) for key, rows in grouped.items()}


AFTER = "after"
"""The parameter of a statement built once that holds the id a window starts after."""


@lru_cache(maxsize=STATEMENTS)
def _slices(
    postgresql: bool,
    model: Any,
    key_column: Same,
    where: Same,
    after: bool,
    rows: int,
    columns: Columns,
) -> sa.Select[Any]:
    column = key_column.expression
    position = sa.func.row_number().over(partition_by=column, order_by=model.id).label("position")
    wanted = wider(columns, frozenset({column.key}))
    inner = sa.select(*selected(model, wanted), position).where(
        among_keys(postgresql, column), where.expression
    )
    if after:
        inner = inner.where(model.id > sa.bindparam(AFTER))
    ranked = inner.subquery()
    outer = sa.select(*columns_in(model, ranked)).where(ranked.c.position <= rows)
    return completed(outer.order_by(ranked.c.id), model, wanted)


@lru_cache(maxsize=STATEMENTS)
def _by_id(postgresql: bool, model: Any, where: Same, columns: Columns) -> sa.Select[Any]:
    stmt = sa.select(*selected(model, columns)).where(
        among_keys(postgresql, model.id), where.expression
    )
    return completed(stmt, model, columns)


@lru_cache(maxsize=STATEMENTS)
def _grouped(postgresql: bool, model: Any, key_column: Same, where: Same) -> sa.Select[Any]:
    return (
        sa.select(table_of(model))
        .where(among_keys(postgresql, key_column.expression), where.expression)
        .order_by(model.id)
    )


async def fetch_by_id(
    session: AsyncSession, model: Any, ids: Iterable[int], *, where: Any, columns: Columns = None
) -> dict[int, Any]:
    """The `where` rows of `model` with these ids, by id, in one statement; of `columns`
    only, when given (see `selected`).

    The statement is built once per model, condition and columns, and run with the ids as its
    parameter: building a select and working out SQLAlchemy's key of its compiled form cost
    more than running it (an employee's coverage reads four lists this way)."""
    ids = list(ids)
    postgresql = is_postgresql(session)
    stmt = _by_id(postgresql, model, Same(where), columns)
    rows = await records(session, stmt, {KEYS: keys_of(postgresql, model.id, ids)})
    return {row.id: row for row in rows}


async def fetch_grouped(
    session: AsyncSession,
    model: Any,
    key_column: Any,
    keys: Iterable[Hashable],
    *,
    where: Any,
    joined: Joined | None = None,
) -> dict[Any, list[Any]]:
    """Return all the `where` rows of `model` per key of `key_column`, ordered by id (the
    statement built once, as in `fetch_by_id`); with `joined`, each as a pair of the row and
    the row of another model it names, read in the same statement."""
    keys = list(keys)
    postgresql = is_postgresql(session)
    parameters = {KEYS: keys_of(postgresql, key_column, keys)}
    if joined is None:
        stmt = _grouped(postgresql, model, Same(key_column), Same(where))
        return group_by(await records(session, stmt, parameters), keys, key_column.key)
    stmt = _grouped_with(
        postgresql,
        model,
        Same(key_column),
        Same(where),
        joined.model,
        Same(joined.on),
        Same(joined.where),
        joined.columns,
    )
    pairs = _pairs(await records(session, stmt, parameters), model, joined.model, joined.columns)
    return group_by(pairs, keys, key_column.key, within=itemgetter(0))


@dataclass(frozen=True, eq=False)
class Joined:
    """The one row of another model that each row read names (a member's person, an enrolment
    product's product), read in the rows' own statement rather than in one of its own: a
    round trip less, for the app and for PostgreSQL. None where the row names none that
    `where` allows."""

    model: Any
    on: Any
    """The column of the rows read that holds the other row's id."""
    where: Any
    """The other model's rows the caller may read, as the other model's loader reads them."""
    columns: Columns = None
    """Its columns to read (see `selected`), as the other model's loader reads them."""


JOINED = "joined_"
"""What the joined model's columns are named with in the joined statement (ids meet)."""


@lru_cache(maxsize=STATEMENTS)
def _grouped_with(
    postgresql: bool,
    model: Any,
    key_column: Same,
    where: Same,
    other: Any,
    on: Same,
    other_where: Same,
    columns: Columns,
) -> sa.Select[Any]:
    table = table_of(model)
    picked = _read_of(other, columns)
    found = sa.and_(other.id == on.expression, other_where.expression)
    if postgresql:
        # One row by its id in a LATERAL (LIMIT 1 keeps it one): as a plain join, PostgreSQL
        # hashed the whole person table for a thousand policies' members (44 ms against 5).
        one = sa.select(*picked).where(found).limit(1).lateral(JOINED)
        source = table.outerjoin(one, sa.true())
        picked = list(one.c)
    else:
        source = table.outerjoin(table_of(other), found)
    return (
        sa.select(table, *(column.label(JOINED + column.key) for column in picked))
        .select_from(source)
        .where(among_keys(postgresql, key_column.expression), where.expression)
        .order_by(model.id)
    )


def _pairs(rows: list[Any], model: Any, other: Any, columns: Columns) -> list[tuple[Any, Any]]:
    """The joined statement's rows as pairs of records: the row itself, which has the model's
    columns under their names (and the other's under JOINED ones, unread), and a record of the
    other's under theirs (a `completed` one of `columns`). One record a row fewer to make:
    2,470 members, 0.6 ms."""
    width = len(table_of(model).c)
    names = tuple(column.key for column in _read_of(other, columns))
    make = partial(
        tuple.__new__, record_type(names, () if columns is None else absent(other, columns))
    )
    at = width + names.index("id")
    return [(row, make(row[width:]) if row[at] is not None else None) for row in rows]


def _read_of(other: Any, columns: Columns) -> list[Any]:
    """The columns of the joined model that the joined statement reads, in the table's order."""
    return list(table_of(other).c) if columns is None else selected(other, columns)


def group_by(
    rows: Iterable[Any],
    keys: Iterable[Hashable],
    attribute: str,
    *,
    within: Callable[[Any], Any] | None = None,
) -> dict[Any, list[Any]]:
    """The rows of each key, by the key each holds in `attribute` (of the record `within`
    finds in it, such as a pair's first), in the rows' order; a key without rows has an empty
    list."""
    grouped: dict[Any, list[Any]] = {key: [] for key in keys}
    for row in rows:
        grouped[getattr(row if within is None else within(row), attribute)].append(row)
    return grouped
