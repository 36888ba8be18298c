"""Grants an admin keeps in the database: read on every request, so a change counts at once."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor, outsourceable
from authz.principal import Grant, GrantKind, Role
from domain.access import errors
from domain.access.models import AccessGrant
from domain.core.changes import Action, changing
from domain.core.errors import DomainError, ErrorCode, Problem
from domain.core.paging import Slice, Window, count, fetch_slice
from domain.database import records
from domain.groups.queries import client_by_code
from domain.reference.models import DataAccessGroup, LineOfBusiness
from domain.reference.service import find_by_code
from domain.workflow.engine import TaskKind
from domain.workflow.models import RequestType

SUBJECT_MAX_LENGTH = 100

# What each role's grants name; admin and employee take no stored grants (admin reaches
# everything, an employee is bound to the person in their token). A vendor needs a group
# client and a request type to reach anything; task kinds narrow it.
_RESTRICTED = (GrantKind.DATA_ACCESS_GROUP, GrantKind.LINE_OF_BUSINESS)
GRANT_KINDS: dict[Role, tuple[GrantKind, ...]] = {
    Role.BACKOFFICE: _RESTRICTED,
    Role.REPORTING: _RESTRICTED,
    Role.GROUP_MANAGER: (GrantKind.GROUP_CLIENT,),
    Role.PARTNER: (GrantKind.GROUP_CLIENT,),
    Role.VENDOR: (GrantKind.GROUP_CLIENT, GrantKind.REQUEST_TYPE, GrantKind.TASK_KIND),
}
_REFERENCE: dict[GrantKind, type[DataAccessGroup] | type[LineOfBusiness]] = {
    GrantKind.DATA_ACCESS_GROUP: DataAccessGroup,
    GrantKind.LINE_OF_BUSINESS: LineOfBusiness,
}


_GRANTS_OF: sa.Select[*tuple[Any, ...]] = sa.select(
    col(AccessGrant.role), col(AccessGrant.kind), col(AccessGrant.code)
).where(col(AccessGrant.subject) == sa.bindparam("subject"))
"""Built once: every request reads its caller's grants (see domain.core.paging.fetch_by_id)."""


async def stored_grants(session: AsyncSession, subject: str) -> frozenset[Grant]:
    """Return the grants kept for a subject, in one statement, read on the session's
    connection (domain.database.records): through the session's own execute it cost about
    60 us more of every request's CPU."""
    rows = await records(session, _GRANTS_OF, {"subject": subject})
    return frozenset(Grant(role=row.role, kind=row.kind, code=row.code) for row in rows)


def check_subject(field: str, value: str, problems: list[Problem]) -> str:
    """Return the trimmed subject, recording why it is unacceptable if it is.

    A subject is matched exactly against a token's `sub`, so it is trimmed and never
    rewritten; one with spaces or control characters inside could match no token.
    """
    subject = value.strip()
    if not subject:
        problems.append(Problem((field,), ErrorCode.REQUIRED, f"{field} must not be empty."))
    elif any(char.isspace() or not char.isprintable() for char in subject):
        problems.append(
            Problem(
                (field,),
                ErrorCode.INVALID_FORMAT,
                f"{field} must not hold spaces or control characters.",
            )
        )
    elif len(subject) > SUBJECT_MAX_LENGTH:
        problems.append(
            Problem(
                (field,),
                ErrorCode.TOO_LONG,
                f"{field} must be at most {SUBJECT_MAX_LENGTH} characters, got {len(subject)}.",
            )
        )
    return subject


def _check_kind(role: Role, kind: GrantKind, problems: list[Problem]) -> None:
    allowed = GRANT_KINDS.get(role, ())
    if not allowed:
        problems.append(
            Problem(
                ("role",),
                ErrorCode.NOT_ALLOWED,
                f"The {role} role is not granted in the database: "
                + ("it reaches everything." if role is Role.ADMIN else "it comes with a person."),
            )
        )
    elif kind not in allowed:
        problems.append(errors.role_kind_mismatch(role, kind, " or a ".join(allowed)))


async def add_grant(
    session: AsyncSession, *, actor: Actor, subject: str, role: Role, kind: GrantKind, code: str
) -> AccessGrant:
    """Give a subject a role on a group client, a data access group or a line of business."""
    problems: list[Problem] = []
    subject = check_subject("subject", subject, problems)
    _check_kind(role, kind, problems)
    code = await _target_code(session, actor, kind, code, problems)
    if not problems and await _granted(session, subject, role, kind, code):
        problems.append(
            Problem(("code",), ErrorCode.DUPLICATE, f"{subject} already holds this grant.")
        )
    if problems:
        raise DomainError(*problems)
    async with changing(session, actor, Action.ACCESS_GRANT_ADD, AccessGrant) as change:
        return change.add(
            AccessGrant(subject=subject, role=role, kind=kind, code=code, created_by=actor.subject)
        )


async def _target_code(
    session: AsyncSession, actor: Actor, kind: GrantKind, code: str, problems: list[Problem]
) -> str:
    """Return the code of what the grant names, recording NOT_FOUND when nothing has it."""
    if kind is GrantKind.GROUP_CLIENT:
        found = await client_by_code(session, code, scope=actor.scope)
        if found is None:
            problems.append(Problem(("code",), ErrorCode.NOT_FOUND, f"No group client {code!r}."))
        return found.code if found else code
    if kind is GrantKind.REQUEST_TYPE:
        if _known(code, RequestType, "request type", problems) and not outsourceable(code):
            problems.append(
                Problem(("code",), ErrorCode.NOT_ALLOWED, f"{code} requests are not for vendors.")
            )
        return code
    if kind is GrantKind.TASK_KIND:
        _known(code, TaskKind, "task kind", problems)
        return code
    model = _REFERENCE[kind]
    row = await find_by_code(session, model, code, field="code", problems=problems)  # type: ignore[type-var]
    return row.code if row else code


def _known(code: str, values: type[StrEnum], noun: str, problems: list[Problem]) -> bool:
    """Whether the code is one of the values, recording NOT_FOUND (listing them) if not."""
    if code in set(values):
        return True
    known = ", ".join(values)
    problems.append(Problem(("code",), ErrorCode.NOT_FOUND, f"No {noun} {code!r}: {known}."))
    return False


async def _granted(
    session: AsyncSession, subject: str, role: Role, kind: GrantKind, code: str
) -> bool:
    stmt = sa.select(col(AccessGrant.id)).where(
        col(AccessGrant.subject) == subject,
        col(AccessGrant.role) == role,
        col(AccessGrant.kind) == kind,
        col(AccessGrant.code) == code,
    )
    return await session.scalar(stmt) is not None


async def remove_grant(session: AsyncSession, *, actor: Actor, grant_id: int) -> AccessGrant:
    """Take a grant back; the subject's next request no longer has it."""
    async with changing(
        session, actor, Action.ACCESS_GRANT_REMOVE, AccessGrant, grant_id
    ) as change:
        await change.delete()
    return change.row


@dataclass(frozen=True)
class GrantFilter:
    """Which grants to list; every given criterion must hold."""

    subject: str | None = None

    def select(self) -> sa.Select[AccessGrant]:
        stmt = sa.select(AccessGrant)
        if self.subject is None:
            return stmt
        if "\x00" in self.subject:  # no subject holds one; PostgreSQL cannot even compare it
            return stmt.where(sa.false())
        return stmt.where(col(AccessGrant.subject) == self.subject.strip())


async def list_grants(
    session: AsyncSession, *, criteria: GrantFilter, window: Window
) -> Slice[AccessGrant]:
    """Return a window of the matching grants, oldest first."""
    return await fetch_slice(session, criteria.select(), AccessGrant, window)


async def count_grants(session: AsyncSession, *, criteria: GrantFilter) -> int:
    """Count the matching grants."""
    return await count(session, criteria.select())
