"""Building blocks for per-request DataLoaders: one statement per batch of keys.

Each takes `where`, the predicate of the rows the request's principal may see, so that a
loader can never return a row that a list would hide.

Loaders give records (domain.database.records), not ORM objects: read-only tuples with
the model's columns as attributes, which is all a GraphQL type reads. A record costs a
fraction of an ORM object to build and sits in no reference cycle, so a large answer's rows
are freed as soon as it is built rather than at the cycle collector's next pass.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import replace
from datetime import date
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from domain.core import paging

K = TypeVar("K", bound=Hashable)


def rows_by_id(
    session: AsyncSession, model: Any, *, where: Any, columns: paging.Columns = None
) -> DataLoader[int, Any]:
    """Load the `where` rows of `model` by id; None for ids with no such row. With `columns`,
    only those are read (domain.core.paging.selected)."""

    async def load(ids: list[int]) -> list[Any]:
        found = await paging.fetch_by_id(session, model, ids, where=where, columns=columns)
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


def pages_by(
    session: AsyncSession, model: Any, key_column: Any, *, where: Any
) -> DataLoader[tuple[Hashable, paging.Window], paging.Slice[Any]]:
    """Load one window of `model` rows per key; keys asking the same window share a statement."""

    async def load(keys: list[tuple[Hashable, paging.Window]]) -> list[paging.Slice[Any]]:
        found: dict[tuple[Hashable, paging.Window], paging.Slice[Any]] = {}
        for window, group in by_window(keys).items():
            wanted = list(dict.fromkeys(key for key, _ in group))
            slices = await paging.fetch_slices(
                session, model, key_column, wanted, window, where=where
            )
            found.update({(key, asked): slices[key] for key, asked in group})
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)


def counts_by(session: AsyncSession, key_column: Any, *, where: Any) -> DataLoader[Hashable, int]:
    """Load how many `where` rows each key of `key_column` has."""

    async def load(keys: list[Hashable]) -> list[int]:
        counts = await paging.count_by(session, key_column, keys, where=where)
        return [counts[key] for key in keys]

    return DataLoader(load_fn=load)


def lists_by(
    session: AsyncSession,
    model: Any,
    key_column: Any,
    *,
    where: Any,
    joined: paging.Joined | None = None,
) -> DataLoader[Hashable, list[Any]]:
    """Load every `where` row of `model` of each key of `key_column`, ordered by id; with
    `joined`, each with the row of another model it names (domain.core.paging.Joined)."""

    async def load(keys: list[Hashable]) -> list[list[Any]]:
        grouped = await paging.fetch_grouped(
            session, model, key_column, keys, where=where, joined=joined
        )
        return [grouped[key] for key in keys]

    return DataLoader(load_fn=load)


def by_window(
    keys: list[tuple[K, paging.Window]],
) -> dict[paging.Window, list[tuple[K, paging.Window]]]:
    """Keys grouped by the window to read for them: one statement per window of rows, which
    reads the columns any key of the group asks for. A key's columns are part of it, so a
    row read with fewer columns is never what a later, wider selection gets."""
    groups: dict[paging.Window, list[tuple[K, paging.Window]]] = defaultdict(list)
    for key in keys:
        groups[replace(key[1], columns=None)].append(key)
    return {
        replace(rows, columns=paging.wider(*(window.columns for _, window in group))): group
        for rows, group in groups.items()
    }


def by_day(keys: list[tuple[int, date]]) -> dict[date, list[int]]:
    """Ids keyed with a day, grouped by day: one statement per day asked (a page asks one)."""
    asked: dict[date, list[int]] = defaultdict(list)
    for row_id, day in keys:
        asked[day].append(row_id)
    return asked
