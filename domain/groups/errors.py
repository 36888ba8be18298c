"""The ways a change to the group structure is refused."""

from __future__ import annotations

from domain.core.errors import DomainError, ErrorCode, Problem


def duplicate_code(code: str) -> Problem:
    """The code is taken by another row of the same kind."""
    return Problem(("code",), ErrorCode.DUPLICATE, f"The code {code!r} is already in use.")


def cycle() -> DomainError:
    """The move would make a group client its own ancestor."""
    return DomainError.of(
        "new_parent_id",
        ErrorCode.CYCLE,
        "A group client cannot be moved under itself or under one of its descendants.",
    )


def still_has(field: str, code: ErrorCode, what: str) -> Problem:
    """The row cannot go while others depend on it."""
    return Problem((field,), code, f"Cannot delete a group client that still has {what}.")
