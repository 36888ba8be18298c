"""Rules for the shapes of the plain values users type: codes and names."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from domain.core.errors import ErrorCode, Problem

CODE_MAX_LENGTH = 30
NAME_MAX_LENGTH = 200
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def is_code(value: str) -> bool:
    """Tell whether a text could be a business code at all."""
    return len(value) <= CODE_MAX_LENGTH and bool(_CODE.match(value))


def check_code(field: str, value: str, problems: list[Problem]) -> str:
    """Return the trimmed code, recording why it is unacceptable if it is."""
    code = value.strip()
    if not code:
        problems.append(Problem((field,), ErrorCode.REQUIRED, f"{field} must not be empty."))
    elif len(code) > CODE_MAX_LENGTH:
        problems.append(
            Problem(
                (field,),
                ErrorCode.TOO_LONG,
                f"{field} must be at most {CODE_MAX_LENGTH} characters, got {len(code)}.",
            )
        )
    elif not _CODE.match(code):
        problems.append(
            Problem(
                (field,),
                ErrorCode.INVALID_FORMAT,
                f"{field} may hold only letters, digits, '.', '_' and '-', "
                "and must start with a letter or digit.",
            )
        )
    return code


def check_name(
    field: str | tuple[str, ...],
    value: str,
    problems: list[Problem],
    *,
    max_length: int = NAME_MAX_LENGTH,
) -> str:
    """Return the name with its spaces tidied, recording why it is unacceptable if it is."""
    path = (field,) if isinstance(field, str) else field
    label = path[-1]
    name = " ".join(value.split())
    if not name:
        problems.append(Problem(path, ErrorCode.REQUIRED, f"{label} must not be empty."))
    elif not is_plain_text(name):
        problems.append(
            Problem(
                path,
                ErrorCode.INVALID_FORMAT,
                f"{label} must not hold control characters or lone surrogates.",
            )
        )
    elif len(name) > max_length:
        problems.append(
            Problem(
                path,
                ErrorCode.TOO_LONG,
                f"{label} must be at most {max_length} characters, got {len(name)}.",
            )
        )
    return name


def is_plain_text(value: str) -> bool:
    """Tell whether a text holds no control characters (NUL among them) or lone surrogates."""
    return not any(unicodedata.category(char) in ("Cc", "Cs") for char in value)


def check_amount(
    field: tuple[str, ...], value: Decimal, places: int, low: Decimal, high: Decimal,
    problems: list[Problem],
) -> None:  # fmt: skip
    """Record why a number is unacceptable: not finite, more decimals, or out of range."""
    try:
        exact = value == value.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        exact = False
    if not (value.is_finite() and exact and low <= value <= high):
        problems.append(
            Problem(
                field,
                ErrorCode.INVALID_FORMAT,
                f"A number from {low} to {high} with at most {places} decimals.",
            )
        )


def check_currency(field: str, value: str | None, problems: list[Problem]) -> str | None:
    """Return the currency code in capitals, recording why it is not an ISO 4217 code."""
    if value is None:
        return None
    text = value.strip().upper()
    if not _CURRENCY.match(text):
        problems.append(Problem((field,), ErrorCode.INVALID_FORMAT, "An ISO 4217 code, e.g. EUR."))
    return text
