"""A request's problems named as its sender typed the fields (camelCase, under their input)."""

from __future__ import annotations

from domain.core.errors import DomainError, Problem
from domain.core.naming import camel


def under(error: DomainError, prefix: tuple[str, ...]) -> list[Problem]:
    """The error's problems, each field in camelCase under `prefix`."""
    return [
        Problem((*prefix, *(camel(f) for f in p.field)), p.code, p.message) for p in error.problems
    ]
