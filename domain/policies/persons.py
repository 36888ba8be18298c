"""Persons: what a user may type about one, finding them again, changing them.

A person is one row however many policies and groups they are insured in: enrolling a
national id that is already known finds that person, if the birth date agrees.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.audit.service import record, snapshot
from domain.core.columns import utcnow
from domain.core.errors import ErrorCode, Problem, check_version, raise_if
from domain.core.fields import check_name, is_plain_text
from domain.policies.ages import age_limit_end
from domain.policies.limits import PolicyLimits, load_person
from domain.policies.models import Gender, Person, PolicyMember, Relationship

EARLIEST_BIRTH = date(1900, 1, 1)
MAX_SALARY = Decimal("999999999999.99")


@dataclass(frozen=True)
class PersonData:
    """What a user gives about a person; optional fields left None are unknown."""

    given_name: str
    family_name: str
    birth_date: date
    gender: Gender
    national_id: str | None = None
    email: str | None = None
    phone: str | None = None
    address_line: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    salary: Decimal | None = None
    salary_currency: str | None = None


# field -> (most characters, the shape it must have, what to tell the user)
_TEXTS: dict[str, tuple[int, re.Pattern[str] | None, str]] = {
    "national_id": (30, re.compile(r"^[A-Za-z0-9][A-Za-z0-9./ -]*$"), "letters, digits, ./- "),
    "email": (254, re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), "an address like ann@example.com"),
    "phone": (30, re.compile(r"^\+?[0-9][0-9 ().-]{2,}$"), "digits, spaces, ( ) . - and a +"),
    "address_line": (200, None, ""),
    "postal_code": (20, re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]*$"), "letters, digits, - "),
    "city": (100, None, ""),
    "country": (2, re.compile(r"^[A-Z]{2}$"), "an ISO 3166 code of two letters, e.g. DE"),
    "salary_currency": (3, re.compile(r"^[A-Z]{3}$"), "an ISO 4217 code, e.g. EUR"),
}
_UPPER = {"country", "salary_currency"}


def clean_person(
    path: tuple[str, ...], data: PersonData, problems: list[Problem], *, today: date
) -> PersonData:
    """Return the person's data tidied, recording every problem under `path`."""
    changes: dict[str, Any] = {
        "given_name": check_name((*path, "given_name"), data.given_name, problems, max_length=100),
        "family_name": check_name(
            (*path, "family_name"), data.family_name, problems, max_length=100
        ),
    }
    for name, (longest, shape, hint) in _TEXTS.items():
        value = getattr(data, name)
        if value is not None and name in _UPPER:
            value = value.upper()
        changes[name] = _text((*path, name), value, longest, shape, hint, problems)
    if not EARLIEST_BIRTH <= data.birth_date <= today:
        problems.append(
            Problem(
                (*path, "birth_date"),
                ErrorCode.INVALID_FORMAT,
                f"The birth date must lie between {EARLIEST_BIRTH} and today.",
            )
        )
    _salary(path, data.salary, changes["salary_currency"], problems)
    return replace(data, **changes)


def _text(
    field: tuple[str, ...],
    value: str | None,
    longest: int,
    shape: re.Pattern[str] | None,
    hint: str,
    problems: list[Problem],
) -> str | None:
    text = " ".join(value.split()) if value is not None else None
    if not text:
        return None
    if not is_plain_text(text):
        problems.append(Problem(field, ErrorCode.INVALID_FORMAT, "Control characters."))
    elif len(text) > longest:
        problems.append(
            Problem(field, ErrorCode.TOO_LONG, f"At most {longest} characters, got {len(text)}.")
        )
    elif shape is not None and not shape.match(text):
        problems.append(Problem(field, ErrorCode.INVALID_FORMAT, f"Expected {hint}."))
    return text


def _salary(
    path: tuple[str, ...], salary: Decimal | None, currency: str | None, problems: list[Problem]
) -> None:
    if salary is None:
        if currency is not None:
            problems.append(
                Problem((*path, "salary"), ErrorCode.REQUIRED, "A currency needs a salary.")
            )
        return
    try:
        exact = salary == salary.quantize(Decimal("0.01"))
    except InvalidOperation:
        exact = False
    if not (salary.is_finite() and exact and Decimal(0) <= salary <= MAX_SALARY):
        problems.append(
            Problem(
                (*path, "salary"),
                ErrorCode.INVALID_FORMAT,
                f"A salary is an amount from 0 to {MAX_SALARY} with at most two decimals.",
            )
        )
    elif currency is None:
        problems.append(
            Problem((*path, "salary_currency"), ErrorCode.REQUIRED, "Give the salary's currency.")
        )


async def person_for(
    session: AsyncSession, path: tuple[str, ...], data: PersonData, problems: list[Problem]
) -> Person | None:
    """Find the person by national id, or add a new one; None when the id is someone else's."""
    if data.national_id is not None:
        known = await session.scalar(
            sa.select(Person).where(col(Person.national_id) == data.national_id)
        )
        if known is not None:
            if known.birth_date == data.birth_date:
                return known
            problems.append(_taken((*path, "national_id")))
            return None
    person = Person(person_number=_new_number(), **asdict(data))
    session.add(person)
    await session.flush()  # the same national id later in the same input finds this person
    return person


def _new_number() -> str:
    return f"PN-{secrets.token_hex(5).upper()}"


def _taken(field: tuple[str, ...]) -> Problem:
    return Problem(
        field, ErrorCode.DUPLICATE, "Another person, with another birth date, has this national id."
    )


async def update_person(
    session: AsyncSession,
    *,
    actor: Actor,
    limits: PolicyLimits,
    person_id: int,
    version: int,
    changes: Mapping[str, Any],
) -> Person:
    """Change a person's data; fields not in `changes` keep their value, None clears one."""
    person = await load_person(session, person_id, scope=actor.scope, field_name="id")
    check_version(person, version)
    current = {f.name: getattr(person, f.name) for f in fields(PersonData)}
    problems: list[Problem] = []
    for name in ("given_name", "family_name", "birth_date", "gender"):
        if name in changes and changes[name] is None:
            problems.append(Problem((name,), ErrorCode.REQUIRED, f"{name} cannot be cleared."))
    raise_if(problems)
    data = clean_person((), PersonData(**{**current, **changes}), problems, today=limits.today())
    if data.national_id not in (None, person.national_id) and await session.scalar(
        sa.select(col(Person.id)).where(col(Person.national_id) == data.national_id)
    ):
        problems.append(_taken(("national_id",)))
    problems.extend(await _children_past_limit(session, person_id, data.birth_date, limits))
    raise_if(problems)
    before = snapshot(person)
    for name, value in asdict(data).items():
        setattr(person, name, value)
    person.updated_at = utcnow()
    await record(session, actor=actor.subject, action="personUpdate", entity=person, before=before)
    return person


async def _children_past_limit(
    session: AsyncSession, person_id: int, birth_date: date, limits: PolicyLimits
) -> list[Problem]:
    """A new birth date must not leave the person covered as a child past the age limit."""
    limit = age_limit_end(birth_date, limits.child_max_age)
    stmt = sa.select(col(PolicyMember.id)).where(
        col(PolicyMember.person_id) == person_id,
        col(PolicyMember.relationship) == Relationship.CHILD,
        sa.or_(col(PolicyMember.end_date).is_(None), col(PolicyMember.end_date) > limit),
    )
    if await session.scalar(stmt.limit(1)) is None:
        return []
    return [
        Problem(
            ("birth_date",),
            ErrorCode.AGE_LIMIT,
            f"With this birth date the person is covered as a child past {limit}, "
            f"beyond the age limit of {limits.child_max_age}; end that coverage first.",
        )
    ]
