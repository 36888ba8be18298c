"""The few SQL expressions reports need that PostgreSQL and SQLite spell differently.

Each is one SQLAlchemy construct compiled per dialect, so a report builds one statement and
both databases answer it with the same numbers.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class day_number(FunctionElement[int]):
    """A date as the integer YYYYMMDD: the difference of two, divided by 10,000 and
    truncated, is a person's age in whole years on the later day (29 February included)."""

    type = sa.Integer()
    inherit_cache = True


@compiles(day_number, "postgresql")
def _day_number_postgresql(element: day_number, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(to_char({compiler.process(element.clauses, **kw)}, 'YYYYMMDD') AS INTEGER)"


@compiles(day_number, "sqlite")
def _day_number_sqlite(element: day_number, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(strftime('%Y%m%d', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


def age_on(birth_date: Any, day: Any) -> Any:
    """A person's age in whole years on `day` (a date value or column)."""
    # Floor division: `/` is true division in SQLAlchemy 2, and PostgreSQL rounds a numeric
    # cast to integer (25.9 would make 26).
    return (day_number(day) - day_number(birth_date)) // 10000


class younger_than(FunctionElement[bool]):
    """Whether a person born on the first date is younger than `years` whole years on the
    second: `age_on(birth_date, day) < years`, spelled so that PostgreSQL compares two dates
    instead of formatting both as text (a report asks it of every member up to six times).
    PostgreSQL's `day - N years` keeps 28 February for a day of 29 February, so one born on
    29 February turns N on 1 March, as age_on counts; SQLite's date() would roll over to
    1 March the other way, so SQLite compares the whole-years number instead."""

    type = sa.Boolean()
    inherit_cache = True

    def __init__(self, birth_date: Any, day: Any, years: int) -> None:
        super().__init__(birth_date, day, sa.literal(int(years), sa.Integer))


@compiles(younger_than, "postgresql")
def _younger_postgresql(element: younger_than, compiler: SQLCompiler, **kw: Any) -> str:
    birth, day, years = (compiler.process(c, **kw) for c in element.clauses)
    return f"({birth} > CAST({day} - make_interval(years => {years}) AS DATE))"


@compiles(younger_than, "sqlite")
def _younger_sqlite(element: younger_than, compiler: SQLCompiler, **kw: Any) -> str:
    birth, day, years = element.clauses
    return compiler.process(age_on(birth, day) < years, **kw)


class hours_between(FunctionElement[float]):
    """The hours from the first timestamp to the second, as a float."""

    type = sa.Float()
    inherit_cache = True


@compiles(hours_between, "postgresql")
def _hours_postgresql(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)"


@compiles(hours_between, "sqlite")
def _hours_sqlite(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 24.0)"


class month_of(FunctionElement[str]):
    """A timestamp's month, as the text YYYY-MM (UTC)."""

    type = sa.String()
    inherit_cache = True


@compiles(month_of, "postgresql")
def _month_postgresql(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    value = compiler.process(element.clauses, **kw)
    return f"to_char(({value}) AT TIME ZONE 'UTC', 'YYYY-MM')"


@compiles(month_of, "sqlite")
def _month_sqlite(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"


def ranked_columns(name: str, value: Any, partition: list[Any]) -> list[Any]:
    """SQLite: the window columns `interpolated` needs for one measure: its rank among the
    group's non-null values (nulls last) and how many there are."""
    order = (value.is_(None), value)
    return [
        sa.func.row_number()
        .over(partition_by=partition or None, order_by=order)
        .label(f"{name}_rn"),
        sa.func.count(value).over(partition_by=partition or None).label(f"{name}_n"),
    ]


def interpolated(fraction: float, source: Any, name: str) -> Any:
    """SQLite: the percentile `fraction` of measure `name` in each group of `source` (a
    subquery with `ranked_columns`), as percentile_cont computes it: with n values sorted
    v1..vn and p = (n - 1) * fraction, v[floor p + 1] + (p - floor p) * (v[floor p + 2] -
    v[floor p + 1]); NULL for a group without values."""
    value, rank, n = source.c[name], source.c[f"{name}_rn"], source.c[f"{name}_n"]
    position = (n - 1) * fraction
    floor = sa.cast(position, sa.Integer)  # truncation: p >= 0 whenever there is a value
    low = sa.func.max(sa.case((rank == floor + 1, value)))
    high = sa.func.max(sa.case((rank == floor + 2, value)))
    return low + sa.func.max(position - floor) * sa.func.coalesce(high - low, 0.0)
