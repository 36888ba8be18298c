"""The ways a change to grants or API keys is refused."""

from __future__ import annotations

from domain.core.errors import ErrorCode, Problem


def role_kind_mismatch(role: str, kind: str, allowed: str) -> Problem:
    """The role is not scoped by what the grant names."""
    return Problem(
        ("role",),
        ErrorCode.NOT_ALLOWED,
        f"A {role} grant cannot name a {kind}; it names a {allowed}.",
    )
