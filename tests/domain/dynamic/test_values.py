"""Dynamic field values are checked against their definitions, as plain values."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.core.errors import ErrorCode, Problem
from domain.dynamic.models import DynamicField, FieldTarget, FieldType
from domain.dynamic.values import Assignment, assign, parse_number

SIZE = DynamicField(
    target=FieldTarget.GROUP_CLIENT, code="headcount", label="Headcount",
    value_type=FieldType.NUMBER, minimum="0", maximum="100000",
)  # fmt: skip
RISK = DynamicField(
    target=FieldTarget.GROUP_CLIENT, code="risk", label="Risk class",
    value_type=FieldType.ENUM, choices=["LOW", "HIGH"], write_roles=["backoffice"],
)  # fmt: skip
SINCE = DynamicField(
    target=FieldTarget.GROUP_CLIENT, code="since", label="Client since",
    value_type=FieldType.DATE, minimum="1990-01-01",
)  # fmt: skip
NOTE = DynamicField(
    target=FieldTarget.GROUP_CLIENT, code="note", label="Note",
    value_type=FieldType.TEXT, max_length=10,
)  # fmt: skip
DEFINED = {row.code: row for row in (SIZE, RISK, SINCE, NOTE)}


def _assign(
    *items: tuple[str, str | None], roles: frozenset[str] = frozenset({"backoffice"})
) -> tuple[dict[str, str], list[Problem]]:
    problems: list[Problem] = []
    values = assign(
        {"note": "kept"},
        [Assignment(name, value) for name, value in items],
        DEFINED,
        target=FieldTarget.GROUP_CLIENT,
        roles=roles,
        problems=problems,
    )
    return values, problems


def test_good_values_are_kept_in_normal_form() -> None:
    values, problems = _assign(
        ("headcount", " 1.50E+3 "), ("risk", "HIGH"), ("since", "2001-02-03")
    )
    assert problems == []
    assert values == {"note": "kept", "headcount": "1500", "risk": "HIGH", "since": "2001-02-03"}


def test_null_clears_a_value() -> None:
    values, problems = _assign(("note", None))
    assert (values, problems) == ({}, [])


@pytest.mark.parametrize(
    ("item", "code", "part"),
    [
        (("headcount", "lots"), ErrorCode.INVALID_FORMAT, "value"),
        (("headcount", "-1"), ErrorCode.INVALID_FORMAT, "value"),
        (("headcount", "1e999999"), ErrorCode.INVALID_FORMAT, "value"),
        (("headcount", "NaN"), ErrorCode.INVALID_FORMAT, "value"),
        (("risk", "MEDIUM"), ErrorCode.INVALID_FORMAT, "value"),
        (("since", "1989-12-31"), ErrorCode.INVALID_FORMAT, "value"),
        (("since", "03/02/2001"), ErrorCode.INVALID_FORMAT, "value"),
        (("note", "x" * 11), ErrorCode.TOO_LONG, "value"),
        (("note", "a\x00b"), ErrorCode.INVALID_FORMAT, "value"),
        (("note", "   "), ErrorCode.REQUIRED, "value"),
        (("colour", "red"), ErrorCode.NOT_FOUND, "name"),
    ],
)
def test_a_bad_value_is_refused_naming_its_place(
    item: tuple[str, str], code: ErrorCode, part: str
) -> None:
    good = ("headcount", "5") if item[0] == "risk" else ("risk", "LOW")
    _, problems = _assign(good, item)
    assert [(p.field, p.code) for p in problems] == [(("dynamicFields", "1", part), code)]


def test_a_field_given_twice_is_refused() -> None:
    _, problems = _assign(("risk", "LOW"), ("risk", "HIGH"))
    assert [(p.field, p.code) for p in problems] == [
        (("dynamicFields", "1", "name"), ErrorCode.DUPLICATE)
    ]


def test_a_restricted_field_is_refused_to_other_roles() -> None:
    _, problems = _assign(("risk", "LOW"), roles=frozenset({"group_manager"}))
    assert [(p.field, p.code) for p in problems] == [
        (("dynamicFields", "0", "value"), ErrorCode.FORBIDDEN)
    ]


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**12), max_value=10**12))
def test_a_number_reads_back_as_the_same_number(number: Decimal) -> None:
    values, problems = _assign(("headcount", str(number)))
    if problems:
        assert not 0 <= number <= 100000 or number.as_tuple().exponent < -10  # type: ignore[operator]
        return
    assert parse_number(values["headcount"]) == number
