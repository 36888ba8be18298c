"""Who is calling, and what they were granted."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """What kind of user a principal is."""

    ADMIN = "admin"
    BACKOFFICE = "backoffice"
    GROUP_MANAGER = "group_manager"
    EMPLOYEE = "employee"
    PARTNER = "partner"
    REPORTING = "reporting"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a subject, its roles and the grants that scope them."""

    subject: str
    roles: frozenset[Role]
    groups: frozenset[str] = field(default_factory=frozenset)
    data_access_groups: frozenset[str] = field(default_factory=frozenset)
    lines_of_business: frozenset[str] = field(default_factory=frozenset)
    person: str | None = None


ANONYMOUS = Principal(subject="anonymous", roles=frozenset())
"""Nobody: what an unauthenticated request would be, granted nothing."""
