"""Persons: what a user may type about one, finding them again, changing them.

A person is one row however many employers insure them, and holds only what is the same at
every employer: who they are and how to reach them at home. Enrolling a national id that is
already known links that person when the birth date and the names agree; any other answer
would tell the caller what another employer recorded. What an employer knows of its employee
(salary, work e-mail) is on its policy: see domain.policies.employment.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import Action, changing, not_found
from domain.core.columns import utcnow
from domain.core.errors import ErrorCode, Problem, raise_if
from domain.core.fields import check_name, is_plain_text
from domain.policies import reach
from domain.policies.ages import age_limit_end
from domain.policies.limits import PolicyLimits
from domain.policies.models import Gender, Person, PolicyMember, Relationship

EARLIEST_BIRTH = date(1900, 1, 1)


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


# field -> (most characters, the shape it must have, what to tell the user)
_TEXTS: dict[str, tuple[int, re.Pattern[str] | None, str]] = {
    "national_id": (30, re.compile(r"^[A-Za-z0-9][A-Za-z0-9./ -]*$"), "letters, digits, ./- "),
    "email": (254, re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), "an address like ann@example.com"),
    "phone": (30, re.compile(r"^\+?[0-9][0-9 ().-]{2,}$"), "digits, spaces, ( ) . - and a +"),
    "address_line": (200, None, ""),
    "postal_code": (20, re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]*$"), "letters, digits, - "),
    "city": (100, None, ""),
    "country": (2, re.compile(r"^[A-Z]{2}$"), "an ISO 3166 code of two letters, e.g. DE"),
}
EMAIL = _TEXTS["email"]


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
        if value is not None and name == "country":
            value = value.upper()
        changes[name] = check_text((*path, name), value, longest, shape, hint, problems)
    if not EARLIEST_BIRTH <= data.birth_date <= today:
        problems.append(
            Problem(
                (*path, "birth_date"),
                ErrorCode.INVALID_FORMAT,
                f"The birth date must lie between {EARLIEST_BIRTH} and today.",
            )
        )
    return replace(data, **changes)


def check_text(
    field: tuple[str, ...],
    value: str | None,
    longest: int,
    shape: re.Pattern[str] | None,
    hint: str,
    problems: list[Problem],
) -> str | None:
    """Return the text with its spaces tidied, None when empty; record why it is unacceptable."""
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


async def by_national_id(session: AsyncSession, national_ids: set[str]) -> dict[str, Person]:
    """The persons known by these national ids, in one statement."""
    if not national_ids:
        return {}
    stmt = sa.select(Person).where(col(Person.national_id).in_(national_ids))
    return {p.national_id: p for p in await session.scalars(stmt)}  # type: ignore[misc]


def person_for(
    path: tuple[str, ...], data: PersonData, known: dict[str, Person], problems: list[Problem]
) -> Person | None:
    """The person `known` holds under the national id, or a new one (added to `known`, so the
    same national id later in the same input finds it); None when the details do not agree.

    Linking a known person shows the caller nothing they did not type themselves: the
    national id, birth date and names must all agree (names ignoring case), and what an
    employer knows of its employee is on its own policy, never on the person.
    """
    found = known.get(data.national_id) if data.national_id is not None else None
    if found is not None:
        if _same_human(found, data):
            return found
        problems.append(unusable_national_id((*path, "national_id")))
        return None
    person = Person(person_number=_new_number(), **asdict(data))
    if data.national_id is not None:
        known[data.national_id] = person
    return person


def _same_human(known: Person, data: PersonData) -> bool:
    return (known.birth_date, known.given_name.casefold(), known.family_name.casefold()) == (
        data.birth_date,
        data.given_name.casefold(),
        data.family_name.casefold(),
    )


def _new_number() -> str:
    return f"PN-{secrets.token_hex(5).upper()}"


def unusable_national_id(field: tuple[str, ...]) -> Problem:
    """The one answer that a national id is someone's already, the minimum the unique id
    cannot avoid: it says neither whose, nor where, nor which of the details differ."""
    return Problem(
        field,
        ErrorCode.DUPLICATE,
        "This national id cannot be used with these details; check it, the birth date and "
        "the names.",
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
    """Change a person's shared data; fields not in `changes` keep their value, None clears one.

    Everyone who insures the person sees the change, so only a caller whose write reach holds
    a policy the person is insured on today (not ended) may make it."""
    async with changing(
        session, actor, Action.PERSON_UPDATE, Person, person_id, version=version
    ) as change:
        person = change.row
        if not await _insured_in_reach(session, actor, person_id, limits.today()):
            raise not_found("id", "person")
        data = await _checked(session, person, changes, limits)
        for name, value in asdict(data).items():
            setattr(person, name, value)
        person.updated_at = utcnow()
    return person


async def _insured_in_reach(
    session: AsyncSession, actor: Actor, person_id: int, today: date
) -> bool:
    """Whether the person is insured, today or later, on a policy the actor may change."""
    if actor.scope.everything:
        return True
    stmt = sa.select(col(PolicyMember.id)).where(
        col(PolicyMember.person_id) == person_id,
        sa.or_(col(PolicyMember.end_date).is_(None), col(PolicyMember.end_date) >= today),
        reach.of_policies(actor.scope, col(PolicyMember.policy_id)),
    )
    return await session.scalar(stmt.limit(1)) is not None


async def _checked(
    session: AsyncSession, person: Person, changes: Mapping[str, Any], limits: PolicyLimits
) -> PersonData:
    """The person's data with `changes` applied and tidied; refused with every problem."""
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
        problems.append(unusable_national_id(("national_id",)))
    problems.extend(await _children_past_limit(session, person.id, data.birth_date, limits))  # type: ignore[arg-type]
    raise_if(problems)
    return data


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
