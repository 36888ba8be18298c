"""Reading a CSV file a user sends: text checked as a whole, then row by row, no database.

The header names the columns (any order; `;` or `,` between cells, UTF-8 with or without a
byte order mark). A cell is text and stays text: one that looks like a spreadsheet formula
(`=cmd|...`) is kept exactly as sent and never evaluated, here or anywhere after. A file that
cannot be read at all is refused whole (`FileRefused`); a bad cell is a problem of its row,
naming its column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from domain.core.errors import ErrorCode, Problem

MAX_LINE = 10_000
"""The longest line read, in characters; a longer one rejects the file (no row needs it)."""


class FileRefused(Exception):
    """The file as a whole cannot be read; nothing of it is applied."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def refuse(message: str, column: str = "file") -> FileRefused:
    """The refusal of a whole file, naming the column (or the file) at fault."""
    return FileRefused(Problem((column,), ErrorCode.INVALID_FORMAT, message))


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (a BOM is dropped), no NUL, no line longer than MAX_LINE."""
    if b"\x00" in data:
        raise refuse("The file is binary (it holds NUL bytes); send a UTF-8 CSV text.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise refuse(f"The file is not UTF-8 text (byte {error.start + 1}).") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > MAX_LINE:
            raise refuse(f"Line {number} is longer than {MAX_LINE} characters.")
    if not text.strip():
        raise FileRefused(Problem(("file",), ErrorCode.REQUIRED, "The file is empty."))
    return text


@dataclass
class Cells:
    """One row's cells by column name, and the problems found reading them."""

    line: int
    values: dict[str, str | None]
    problems: list[Problem] = field(default_factory=list)

    def text(self, name: str, *, optional: bool = False) -> str | None:
        """The cell as sent, without surrounding spaces; a formula-like cell stays text."""
        value = (self.values.get(name) or "").strip()
        if value:
            return value
        if not optional:
            self.problems.append(Problem((name,), ErrorCode.REQUIRED, f"Give {name}."))
        return None

    def day(self, name: str, *, optional: bool = False) -> date | None:
        """The cell as a date (YYYY-MM-DD)."""
        return self.parsed(name, optional, date.fromisoformat, "a date as YYYY-MM-DD")

    def choice(self, name: str, enum: type[StrEnum], *, optional: bool = False) -> Any:
        """The cell as a member of `enum`, in any case."""
        allowed = ", ".join(e.value for e in enum)
        return self.parsed(name, optional, lambda v: enum(v.upper()), f"one of {allowed}")

    def parsed(self, name: str, optional: bool, parse: Callable[[str], Any], shape: str) -> Any:
        """The cell read by `parse` (which raises ValueError), or None with a problem."""
        value = self.text(name, optional=optional)
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError:
            self.problems.append(
                Problem((name,), ErrorCode.INVALID_FORMAT, f"Give {shape}, not '{value[:40]}'.")
            )
            return None


def read_rows(data: bytes, *, required: Sequence[str], optional: Sequence[str]) -> list[Cells]:
    """Every non-blank row of a CSV file with this header; FileRefused if it cannot be read."""
    text = decode(data)
    header = text.splitlines()[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        names = [name.strip().lower() for name in next(reader)]
        _check_header(names, required, optional)
        rows = [
            _cells(reader.line_num, names, cells)
            for cells in reader
            if any(cell.strip() for cell in cells)
        ]
    except csv.Error as error:
        raise refuse(f"The file is not well-formed CSV (it may be cut short): {error}.") from None
    if not rows:
        raise FileRefused(Problem(("file",), ErrorCode.REQUIRED, "The file has no rows."))
    return rows


def _check_header(names: list[str], required: Sequence[str], optional: Sequence[str]) -> None:
    known = set(required) | set(optional)
    problems = [
        Problem((name,), ErrorCode.INVALID_FORMAT, f"Unknown column '{name[:50]}'.")
        for name in names
        if name not in known
    ] + [
        Problem((name,), ErrorCode.REQUIRED, f"The column '{name}' is missing.")
        for name in required
        if name not in names
    ]
    if len(set(names)) < len(names):
        problems.append(Problem(("file",), ErrorCode.DUPLICATE, "A column is named twice."))
    if problems:
        raise FileRefused(*problems)


def _cells(line: int, names: list[str], cells: list[str]) -> Cells:
    row = Cells(
        line, {name: (cells[i] if i < len(cells) else None) for i, name in enumerate(names)}
    )
    if len(cells) != len(names):
        row.problems.append(
            Problem(
                (names[min(len(cells), len(names) - 1)],),
                ErrorCode.INVALID_FORMAT,
                f"The row has {len(cells)} cells, the header {len(names)}.",
            )
        )
    return row
