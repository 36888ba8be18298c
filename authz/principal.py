"""Who is calling, and what they were granted."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum


class Role(StrEnum):
    """What kind of user a principal is."""

    ADMIN = "admin"
    BACKOFFICE = "backoffice"
    GROUP_MANAGER = "group_manager"
    EMPLOYEE = "employee"
    PARTNER = "partner"
    REPORTING = "reporting"
    VENDOR = "vendor"
    """An outsourcer doing the insurer's tasks of some request types for some group clients."""


class GrantKind(StrEnum):
    """What a grant names: a group client (and its subtree), a data access group, a line;
    for a vendor also a request type and a task kind (APPROVAL, FULFILMENT) it works on."""

    GROUP_CLIENT = "GROUP_CLIENT"
    DATA_ACCESS_GROUP = "DATA_ACCESS_GROUP"
    LINE_OF_BUSINESS = "LINE_OF_BUSINESS"
    REQUEST_TYPE = "REQUEST_TYPE"
    TASK_KIND = "TASK_KIND"


@dataclass(frozen=True)
class Grant:
    """A role held in one domain: on a group client, a data access group or a line."""

    role: Role
    kind: GrantKind
    code: str


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a subject, its roles and the grants that scope them.

    `groups`, `data_access_groups` and `lines_of_business` come with the token and scope
    every role the token names; `stored` are the grants an admin keeps in the database.
    """

    subject: str
    roles: frozenset[Role]
    groups: frozenset[str] = field(default_factory=frozenset)
    data_access_groups: frozenset[str] = field(default_factory=frozenset)
    lines_of_business: frozenset[str] = field(default_factory=frozenset)
    person: str | None = None
    stored: frozenset[Grant] = field(default_factory=frozenset)

    @property
    def all_roles(self) -> frozenset[Role]:
        """The token's roles and every role a stored grant gives."""
        return self.roles | {grant.role for grant in self.stored}

    def codes(self, role: Role, kind: GrantKind) -> frozenset[str]:
        """The codes of `kind` this principal holds `role` on."""
        from_token = {
            GrantKind.GROUP_CLIENT: self.groups,
            GrantKind.DATA_ACCESS_GROUP: self.data_access_groups,
            GrantKind.LINE_OF_BUSINESS: self.lines_of_business,
        }.get(kind, frozenset())  # a vendor's request types and task kinds are stored only
        stored = {g.code for g in self.stored if g.role == role and g.kind == kind}
        return (from_token if role in self.roles else frozenset()) | stored

    def with_stored(self, grants: frozenset[Grant]) -> Principal:
        """The same principal with the grants read from the database."""
        return replace(self, stored=grants)


ANONYMOUS = Principal(subject="anonymous", roles=frozenset())
"""Nobody: what an unauthenticated request would be, granted nothing."""
