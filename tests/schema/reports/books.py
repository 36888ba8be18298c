"""Two employers for the report tests: ACME (EU, HEALTH) in everyone's grants, and GLOBEX (US)
outside every restricted role's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.principal import Principal, Role
from domain.policies.models import Policy
from tests.factories import Book, Place, families, place

SINCE = date(2026, 1, 1)
AS_OF = date(2026, 3, 1)


@dataclass
class Employers:
    book: Book
    acme: Place
    globex: Place
    acme_policies: list[Policy]


async def employers(session: AsyncSession, *, acme: int = 3, globex: int = 2) -> Employers:
    """ACME with `acme` families, GLOBEX (another tenant, US) with `globex`."""
    book = await Book(session).setup()
    home, other = await place(book, code="ACME"), await place(book, code="GLOBEX")
    made = await families(book, home, acme, since=SINCE)
    theirs = await families(book, other, globex, since=SINCE)
    await session.execute(
        sa.update(Policy)
        .where(col(Policy.id).in_([p.id for p in theirs]))
        .values(data_access_group_id=book.dag_us.id)
    )
    await session.commit()
    return Employers(book, home, other, made)


def callers(employee_person: str) -> dict[str, Principal]:
    """A principal of every role; the restricted ones reach ACME only."""
    eu = {"data_access_groups": frozenset({"EU"}), "lines_of_business": frozenset({"HEALTH"})}
    return {
        "admin": Principal("admin-1", frozenset({Role.ADMIN})),
        "backoffice": Principal("bo-1", frozenset({Role.BACKOFFICE}), **eu),  # type: ignore[arg-type]
        "group_manager": Principal(
            "hr-1", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"ACME"})
        ),
        "employee": Principal("emp-1", frozenset({Role.EMPLOYEE}), person=employee_person),
        "partner": Principal("partner-1", frozenset({Role.PARTNER}), groups=frozenset({"ACME"})),
        "reporting": Principal("rep-1", frozenset({Role.REPORTING}), **eu),  # type: ignore[arg-type]
    }
