"""Checking dynamic field values against their definitions: plain values in, plain values out.

A value is kept as text in a normal form (a number as Decimal's text, a date in ISO 8601), so
two writers of the same value store the same thing and a rule compares it as its type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from authz.principal import Role
from domain.core.errors import ErrorCode, Problem
from domain.core.fields import is_plain_text
from domain.dynamic.models import DynamicField, FieldTarget, FieldType

TEXT_LIMIT = 1000
"""The longest text any dynamic field holds, whatever its own limit says."""

_NOUNS = {
    FieldTarget.GROUP_CLIENT: "group clients",
    FieldTarget.GROUP_ACCOUNT: "group accounts",
    FieldTarget.POLICY: "policies",
}


@dataclass(frozen=True)
class Assignment:
    """One value to set: the field's code and its new value (None clears it)."""

    name: str
    value: str | None


def may_use(roles_allowed: Sequence[str], roles: frozenset[str]) -> bool:
    """Whether a caller with `roles` may read or write a field restricted to `roles_allowed`
    (an admin always may)."""
    return not roles_allowed or Role.ADMIN.value in roles or bool(roles & set(roles_allowed))


def assign(
    current: Mapping[str, str],
    assignments: Sequence[Assignment],
    definitions: Mapping[str, DynamicField],
    *,
    target: FieldTarget,
    roles: frozenset[str],
    problems: list[Problem],
) -> dict[str, str]:
    """The values after `assignments`, recording each problem under `dynamicFields.<i>`."""
    values = dict(current)
    seen: set[str] = set()
    for index, item in enumerate(assignments):
        path = ("dynamicFields", str(index))
        definition = definitions.get(item.name)
        if definition is None:
            message = f"No dynamic field {item.name!r} is defined on {_NOUNS[target]}."
            problems.append(Problem((*path, "name"), ErrorCode.NOT_FOUND, message))
        elif item.name in seen:
            message = f"{item.name!r} is given more than once."
            problems.append(Problem((*path, "name"), ErrorCode.DUPLICATE, message))
        elif not may_use(definition.write_roles, roles):
            message = f"Your roles may not set {item.name!r}."
            problems.append(Problem((*path, "value"), ErrorCode.FORBIDDEN, message))
        elif item.value is None:
            values.pop(item.name, None)
        else:
            normal = normalize(definition, item.value, (*path, "value"), problems)
            if normal is not None:
                values[item.name] = normal
        seen.add(item.name)
    return values


def normalize(
    definition: DynamicField, raw: str, path: tuple[str, ...], problems: list[Problem]
) -> str | None:
    """The value in its normal form, or None after recording why it is not acceptable."""
    checker = {
        FieldType.TEXT: _text,
        FieldType.NUMBER: _number,
        FieldType.DATE: _date,
        FieldType.ENUM: _choice,
    }[definition.value_type]
    normal, why = checker(definition, raw)
    if why is not None:
        problems.append(Problem(path, why[0], f"{definition.code}: {why[1]}"))
        return None
    return normal


Outcome = tuple[str | None, tuple[ErrorCode, str] | None]


def _text(definition: DynamicField, raw: str) -> Outcome:
    text = raw.strip()
    limit = min(definition.max_length or TEXT_LIMIT, TEXT_LIMIT)
    if not text:
        return None, (ErrorCode.REQUIRED, "must not be empty; send null to clear it.")
    if not is_plain_text(text):
        return None, (ErrorCode.INVALID_FORMAT, "must not hold control characters.")
    if len(text) > limit:
        return None, (ErrorCode.TOO_LONG, f"must be at most {limit} characters, got {len(text)}.")
    return text, None


def _number(definition: DynamicField, raw: str) -> Outcome:
    number = parse_number(raw)
    if number is None:
        return None, (ErrorCode.INVALID_FORMAT, f"{raw[:40]!r} is not a number.")
    low, high = parse_number(definition.minimum), parse_number(definition.maximum)
    if (low is not None and number < low) or (high is not None and number > high):
        return None, (ErrorCode.INVALID_FORMAT, _range(definition, "a number"))
    return format((number + 0).normalize(), "f"), None


def _date(definition: DynamicField, raw: str) -> Outcome:
    day = parse_date(raw)
    if day is None:
        return None, (ErrorCode.INVALID_FORMAT, f"{raw[:40]!r} is not a date (YYYY-MM-DD).")
    low, high = parse_date(definition.minimum), parse_date(definition.maximum)
    if (low is not None and day < low) or (high is not None and day > high):
        return None, (ErrorCode.INVALID_FORMAT, _range(definition, "a date"))
    return day.isoformat(), None


def _choice(definition: DynamicField, raw: str) -> Outcome:
    if raw not in definition.choices:
        allowed = ", ".join(definition.choices)
        return None, (ErrorCode.INVALID_FORMAT, f"{raw[:40]!r} is not one of: {allowed}.")
    return raw, None


def _range(definition: DynamicField, kind: str) -> str:
    low, high = definition.minimum or "any", definition.maximum or "any"
    return f"must be {kind} from {low} to {high}."


def parse_number(raw: str | None) -> Decimal | None:
    """The finite number a text holds, or None (as for no text at all)."""
    if raw is None or len(raw) > 40:
        return None
    try:
        number = Decimal(raw.strip())
    except InvalidOperation:
        return None
    # An exponent far from a form's numbers would write a million digits in normal form.
    if not number.is_finite() or not -10 <= number.as_tuple().exponent <= 15:  # type: ignore[operator]
        return None
    return number if number.is_zero() or number.adjusted() <= 15 else None


def parse_date(raw: str | None) -> date | None:
    """The day a YYYY-MM-DD text names, or None."""
    if raw is None or len(raw) != 10:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None
