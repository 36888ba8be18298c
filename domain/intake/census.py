"""Reading a census file: a CSV with one row per member, checked cell by cell, no database.

The header names the columns (any order; `;` or `,` between cells, UTF-8 with or without a
byte order mark). A row becomes the input of the policies mutation it stands for: a family's
subscriber row (relationship SUBSCRIBER) that of `policyEnroll`, with its product; a
dependant's row that of a member in it (or `policyMemberAdd` when the policy exists); a row
with action TERMINATE that of `policyTerminate`, with `end_date` as the last day covered.
A cell is text and stays text: one that looks like a spreadsheet formula (`=cmd|...`) is kept
exactly as sent and never evaluated, here or anywhere after.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from domain.core.errors import ErrorCode, Problem
from domain.intake.models import RowAction
from domain.policies.models import Gender, Relationship
from domain.policies.persons import PersonData
from domain.reference.models import CoverageTier

REQUIRED = (
    "employee_number",
    "relationship",
    "given_name",
    "family_name",
    "birth_date",
    "gender",
    "account_code",
    "start_date",
)
OPTIONAL = ("national_id", "class_code", "product_code", "coverage_tier", "end_date", "action")
COLUMNS = REQUIRED + OPTIONAL
MAX_LINE = 10_000
"""The longest line read, in characters; a longer one rejects the file (no census needs it)."""


@dataclass
class CensusRow:
    """One member's row, read and checked on its own; `problems` name the column at fault."""

    line: int
    employee_number: str
    relationship: Relationship | None = None
    action: RowAction = RowAction.ADD
    person: PersonData | None = None
    account_code: str = ""
    class_code: str | None = None
    product_code: str | None = None
    coverage_tier: CoverageTier | None = None
    start_date: date | None = None
    end_date: date | None = None
    problems: list[Problem] = field(default_factory=list)
    member_id: str | None = None
    """An 834's NM109 (the member's national id): finds a known member whose names changed."""
    person_changes: dict[str, Any] = field(default_factory=dict)
    """The person's fields an 834 change (001) or audit (030) gives, to compare and apply."""
    more_products: list[str] = field(default_factory=list)
    """An 834's further HD loops' products, in the same tier."""
    drops_product: bool = False
    """An 834's HD01 024: the row ends its product (HD03/HD04) instead of adding it."""


class FileRefused(Exception):
    """The file as a whole cannot be read; nothing of it is applied."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def _refuse(message: str, column: str = "file") -> FileRefused:
    return FileRefused(Problem((column,), ErrorCode.INVALID_FORMAT, message))


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (a BOM is dropped), no NUL, no line longer than MAX_LINE."""
    if b"\x00" in data:
        raise _refuse("The file is binary (it holds NUL bytes); send a UTF-8 CSV text.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _refuse(f"The file is not UTF-8 text (byte {error.start + 1}).") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > MAX_LINE:
            raise _refuse(f"Line {number} is longer than {MAX_LINE} characters.")
    if not text.strip():
        raise FileRefused(Problem(("file",), ErrorCode.REQUIRED, "The file is empty."))
    return text


def read(data: bytes) -> list[CensusRow]:
    """Every row of a census file, each checked on its own; FileRefused if it cannot be read."""
    text = decode(data)
    header = text.splitlines()[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        names = [name.strip().lower() for name in next(reader)]
        _check_header(names)
        rows = [
            _row(reader.line_num, names, cells)
            for cells in reader
            if any(cell.strip() for cell in cells)
        ]
    except csv.Error as error:
        raise _refuse(f"The file is not well-formed CSV (it may be cut short): {error}.") from None
    if not rows:
        raise FileRefused(Problem(("file",), ErrorCode.REQUIRED, "The file has no rows."))
    return rows


def _check_header(names: list[str]) -> None:
    problems = [
        Problem((name,), ErrorCode.INVALID_FORMAT, f"Unknown column '{name[:50]}'.")
        for name in names
        if name not in COLUMNS
    ] + [
        Problem((name,), ErrorCode.REQUIRED, f"The column '{name}' is missing.")
        for name in REQUIRED
        if name not in names
    ]
    if len(set(names)) < len(names):
        problems.append(Problem(("file",), ErrorCode.DUPLICATE, "A column is named twice."))
    if problems:
        raise FileRefused(*problems)


def _row(line: int, names: list[str], cells: list[str]) -> CensusRow:
    values = {name: (cells[i] if i < len(cells) else None) for i, name in enumerate(names)}
    row = CensusRow(line=line, employee_number=(values.get("employee_number") or "").strip())
    problems = row.problems
    if len(cells) != len(names):
        problems.append(
            Problem(
                (names[min(len(cells), len(names) - 1)],),
                ErrorCode.INVALID_FORMAT,
                f"The row has {len(cells)} cells, the header {len(names)}.",
            )
        )
    cell = _Cells(values, problems)
    cell.text("employee_number")
    row.relationship = cell.choice("relationship", Relationship)
    row.action = cell.choice("action", RowAction, optional=True) or RowAction.ADD
    row.account_code = cell.text("account_code") or ""
    row.class_code = cell.text("class_code", optional=True)
    row.product_code = cell.text("product_code", optional=True)
    row.coverage_tier = cell.choice("coverage_tier", CoverageTier, optional=True)
    row.start_date = cell.day("start_date")
    row.end_date = cell.day("end_date", optional=True)
    row.person = _person(cell)
    return row


def _person(cell: _Cells) -> PersonData | None:
    given = cell.text("given_name")
    family = cell.text("family_name")
    born = cell.day("birth_date")
    gender = cell.choice("gender", Gender)
    national_id = cell.text("national_id", optional=True)
    if given is None or family is None or born is None or gender is None:
        return None
    return PersonData(
        given_name=given,
        family_name=family,
        birth_date=born,
        gender=gender,
        national_id=national_id,
    )


@dataclass
class _Cells:
    values: dict[str, str | None]
    problems: list[Problem]

    def text(self, name: str, *, optional: bool = False) -> str | None:
        """The cell as sent, without surrounding spaces; a formula-like cell stays text."""
        value = (self.values.get(name) or "").strip()
        if value:
            return value
        if not optional:
            self.problems.append(Problem((name,), ErrorCode.REQUIRED, f"Give {name}."))
        return None

    def day(self, name: str, *, optional: bool = False) -> date | None:
        return self._parsed(name, optional, date.fromisoformat, "a date as YYYY-MM-DD")

    def choice(self, name: str, enum: type[StrEnum], *, optional: bool = False) -> Any:
        allowed = ", ".join(e.value for e in enum)
        return self._parsed(name, optional, lambda v: enum(v.upper()), f"one of {allowed}")

    def _parsed(self, name: str, optional: bool, parse: Callable[[str], Any], shape: str) -> Any:
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
