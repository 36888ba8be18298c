"""How webhook inputs are refused: the shared error codes, with messages naming the field."""

from __future__ import annotations

from domain.core.errors import ErrorCode, Problem
from domain.events.catalogue import catalogue


def check_event_types(field: str, types: list[str], problems: list[Problem]) -> list[str]:
    """The types, each once, recording NOT_FOUND for a name the catalogue lacks."""
    known = catalogue()
    for index, name in enumerate(types):
        if name not in known:
            problems.append(
                Problem((field, str(index)), ErrorCode.NOT_FOUND, f"No event type {name[:60]!r}.")
            )
    return list(dict.fromkeys(types))


def partner_needs_clients(field: str) -> Problem:
    """A partner's endpoint names the group clients it is about."""
    return Problem(
        (field,), ErrorCode.REQUIRED, "Name at least one of your group clients to hear about."
    )
