"""Expected failures of domain operations, as data the API can hand back to a user."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """Stable, machine-readable reasons a domain operation refused its input."""

    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID_FORMAT = "INVALID_FORMAT"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE = "DUPLICATE"
    STALE_VERSION = "STALE_VERSION"
    CYCLE = "CYCLE"
    HAS_CHILDREN = "HAS_CHILDREN"
    HAS_GROUP_ACCOUNTS = "HAS_GROUP_ACCOUNTS"
    NOT_OFFERED = "NOT_OFFERED"
    CONFLICT = "CONFLICT"
    FORBIDDEN = "FORBIDDEN"
    NOT_ALLOWED = "NOT_ALLOWED"
    EXPIRED = "EXPIRED"
    OVERLAP = "OVERLAP"
    END_BEFORE_START = "END_BEFORE_START"
    OUTSIDE_SUBSCRIBER_COVER = "OUTSIDE_SUBSCRIBER_COVER"
    AGE_LIMIT = "AGE_LIMIT"
    TOO_FAR_BACK = "TOO_FAR_BACK"
    WRONG_STATUS = "WRONG_STATUS"
    IN_USE = "IN_USE"
    DOES_NOT_COMPILE = "DOES_NOT_COMPILE"
    FIELD_NOT_GIVEN = "FIELD_NOT_GIVEN"
    TIER_MISMATCH = "TIER_MISMATCH"  # the family no longer fits a product's coverage tier
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    MISSING_RATE = "MISSING_RATE"
    NO_SCHEDULE = "NO_SCHEDULE"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (a path of input field names), why and what."""

    field: tuple[str, ...]
    code: ErrorCode
    message: str


class DomainError(Exception):
    """An operation refused its input; nothing it did is kept."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems

    @classmethod
    def of(cls, field: str, code: ErrorCode, message: str) -> DomainError:
        """Build an error with a single problem on one input field."""
        return cls(Problem((field,), code, message))


def raise_if(problems: list[Problem]) -> None:
    """Refuse the input with every problem found, if any."""
    if problems:
        raise DomainError(*problems)


def check_version(row: Any, version: int) -> None:
    """Refuse a change made on an outdated copy of a versioned row."""
    if row.version != version:
        raise DomainError(
            Problem(
                ("version",),
                ErrorCode.STALE_VERSION,
                f"Version {version} is stale: the current version is {row.version}. "
                "Reload and retry.",
            )
        )
