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

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.core.errors import Problem
from domain.core.tables import Cells, read_rows
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
    product_days: dict[str, tuple[date | None, date | None]] = field(default_factory=dict)
    """An 834's HD loops' own first and last days (their DTP 348 and 349), by product."""
    drops_product: bool = False
    """An 834's HD01 024: the row ends its product (HD03/HD04) instead of adding it."""


def read(data: bytes) -> list[CensusRow]:
    """Every row of a census file, each checked on its own; FileRefused if it cannot be read."""
    return [_row(cells) for cells in read_rows(data, required=REQUIRED, optional=OPTIONAL)]


def _row(cell: Cells) -> CensusRow:
    row = CensusRow(
        line=cell.line,
        employee_number=(cell.values.get("employee_number") or "").strip(),
        problems=cell.problems,
    )
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


def _person(cell: Cells) -> PersonData | None:
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
