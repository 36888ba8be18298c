"""The ways a change to a policy or a person is refused."""

from __future__ import annotations

from datetime import date

from domain.core.errors import DomainError, ErrorCode, Problem
from domain.core.periods import Period


def missing(field: tuple[str, ...], what: str) -> Problem:
    """A required value was not given."""
    return Problem(field, ErrorCode.REQUIRED, f"Give {what}.")


def unknown(field: tuple[str, ...], what: str, value: object) -> Problem:
    """A code or id in the input names nothing the caller may use."""
    return Problem(field, ErrorCode.NOT_FOUND, f"No {what} {value!r}.")


def overlap(field: tuple[str, ...], what: str, first: Period, second: Period) -> Problem:
    """Two periods that must not share a day do."""
    return Problem(
        field,
        ErrorCode.OVERLAP,
        f"{what} from {_show(first)} overlaps {_show(second)}.",
    )


def overlap_hidden(field: tuple[str, ...], what: str, period: Period) -> Problem:
    """A period overlaps one on a row the caller may not see: say only that it does."""
    return Problem(
        field,
        ErrorCode.OVERLAP,
        f"{what} from {_show(period)} overlaps their coverage on another policy.",
    )


def outside_cover(field: tuple[str, ...], what: str, period: Period) -> Problem:
    """A dependant's or a product's period runs outside the subscriber's coverage."""
    return Problem(
        field,
        ErrorCode.OUTSIDE_SUBSCRIBER_COVER,
        f"{what} from {_show(period)} must lie inside the subscriber's coverage.",
    )


def not_offered(field: tuple[str, ...], message: str) -> Problem:
    """The product, tier or class is not available where and when the policy is."""
    return Problem(field, ErrorCode.NOT_OFFERED, message)


def staying(numbers: list[str], *, hidden: bool, after: date) -> Problem:
    """Policies stay in a group account after its end: name only those the caller may see."""
    named = [*numbers, *(["policies you may not change"] if hidden else [])]
    return Problem(
        ("end_date",),
        ErrorCode.CONFLICT,
        f"Policies stay in the account after {after}: {', '.join(named)}; move them or end "
        "them first.",
    )


def wrong_status(field: str, message: str) -> DomainError:
    """The policy is not in a state that allows this change."""
    return DomainError.of(field, ErrorCode.WRONG_STATUS, message)


def _show(period: Period) -> str:
    return f"{period.start} to {period.end}" if period.end else f"{period.start} on"
