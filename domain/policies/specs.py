"""What a policy change's input names, resolved within the actor's reach.

The persons (someone the actor may see, by id, or a person's data), the products and their
tiers, the insurable class of the account a policy joins, and a new policy's number; each
problem is recorded under the input field at fault, so a change can report them all at once.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import find
from domain.core.errors import ErrorCode, Problem
from domain.core.fields import check_code
from domain.groups.models import GroupAccount, InsurableClass
from domain.policies import errors
from domain.policies.checks import child_end
from domain.policies.limits import PolicyLimits, check_day, check_effective
from domain.policies.models import EnrollmentProduct, Person, Policy, PolicyMember, Relationship
from domain.policies.persons import PersonData, clean_person, person_for
from domain.reference.models import CoverageTier, Product


@dataclass(frozen=True)
class MemberSpec:
    """A person to insure: someone known, by id, or a new person's data (give one)."""

    relationship: Relationship
    person_id: int | None = None
    person: PersonData | None = None
    start_date: date | None = None
    end_date: date | None = None


@dataclass(frozen=True)
class ProductSpec:
    """A product to enrol in, in a coverage tier, from a date (by default the policy's)."""

    product_code: str
    coverage_tier: CoverageTier
    start_date: date | None = None
    end_date: date | None = None


def member_row(
    person: Person, spec: MemberSpec, start: date, *, limits: PolicyLimits | None = None
) -> PolicyMember:
    """The member row a spec asks for; a child ends by default the day before the age limit."""
    start = spec.start_date or start
    end = spec.end_date
    if end is None and spec.relationship == Relationship.CHILD and limits is not None:
        limit = child_end(person.birth_date, None, limits.child_max_age)
        end = limit if limit >= start else None  # past the limit already: AGE_LIMIT says so
    return PolicyMember(
        person_id=person.id,  # type: ignore[arg-type]
        relationship=spec.relationship,
        start_date=start,
        end_date=end,
    )


def check_dependants(
    dependants: Sequence[MemberSpec], limits: PolicyLimits, problems: list[Problem]
) -> None:
    """Record why a dependant's relationship or own dates cannot be."""
    for i, spec in enumerate(dependants):
        if spec.relationship == Relationship.SUBSCRIBER:
            problems.append(
                Problem(
                    ("dependants", str(i), "relationship"),
                    ErrorCode.NOT_ALLOWED,
                    "A dependant cannot be a subscriber.",
                )
            )
        if spec.start_date is not None:
            check_effective(("dependants", str(i), "start_date"), spec.start_date, limits, problems)
        check_day(("dependants", str(i), "end_date"), spec.end_date, problems)


async def person_of(
    session: AsyncSession,
    actor: Actor,
    limits: PolicyLimits,
    path: tuple[str, ...],
    spec: MemberSpec,
    problems: list[Problem],
) -> Person | None:
    """The person a member input names: someone the actor may see, or new data."""
    if (spec.person_id is None) == (spec.person is None):
        problems.append(
            Problem(
                (*path, "person"), ErrorCode.REQUIRED, "Give exactly one of personId and person."
            )
        )
        return None
    if spec.person_id is not None:
        known = await find(session, actor, Person, spec.person_id)
        if known is None:
            problems.append(
                Problem((*path, "person_id"), ErrorCode.NOT_FOUND, "No person with this id.")
            )
        return known
    found = len(problems)
    data = clean_person((*path, "person"), spec.person, problems, today=limits.today())  # type: ignore[arg-type]
    if len(problems) > found:
        return None
    return await person_for(session, (*path, "person"), data, problems)


async def insurable_class_of(
    session: AsyncSession,
    actor: Actor,
    account: GroupAccount,
    class_id: int | None,
    problems: list[Problem],
) -> int | None:
    """The insurable class of the account the policy joins; required when it has any.

    A class the actor may see in another account is NOT_OFFERED there; one they may not see
    reads as unknown.
    """
    if class_id is not None:
        found = await find(session, actor, InsurableClass, class_id)
        if found is None:
            problems.append(
                Problem(
                    ("insurable_class_id",), ErrorCode.NOT_FOUND, "No insurable class with this id."
                )
            )
        elif found.group_account_id != account.id:
            problems.append(
                errors.not_offered(
                    ("insurable_class_id",),
                    f"The insurable class belongs to another group account than {account.code}.",
                )
            )
            return None
        return found.id if found is not None else None
    has_classes = await session.scalar(
        sa.select(col(InsurableClass.id))
        .where(col(InsurableClass.group_account_id) == account.id)
        .limit(1)
    )
    if has_classes is not None:
        problems.append(errors.missing(("insurable_class_id",), "the insurable class"))
    return None


async def policy_number(session: AsyncSession, number: str | None, problems: list[Problem]) -> str:
    """The new policy's number: the one given, if well-formed and free, or a made-up one."""
    if number is None:
        return f"POL-{secrets.token_hex(5).upper()}"
    found = len(problems)
    number = check_code("number", number, problems)
    if len(problems) == found and await session.scalar(
        sa.select(col(Policy.id)).where(col(Policy.number) == number)
    ):
        problems.append(
            Problem(("number",), ErrorCode.DUPLICATE, f"The number {number!r} is already in use.")
        )
    return number


async def enrolments(
    session: AsyncSession,
    specs: Sequence[ProductSpec],
    start: date,
    limits: PolicyLimits,
    problems: list[Problem],
) -> list[EnrollmentProduct]:
    """The enrolment rows the product inputs ask for, from `start` unless they say; none
    when some product is unknown (each recorded as a problem)."""
    codes = {spec.product_code for spec in specs if "\x00" not in spec.product_code}
    stmt = sa.select(Product).where(col(Product.code).in_(codes))
    by_code = {p.code: p for p in (await session.scalars(stmt)).all()}
    found = len(problems)
    rows = []
    for i, spec in enumerate(specs):
        path = ("products", str(i))
        if spec.start_date is not None:
            check_effective((*path, "start_date"), spec.start_date, limits, problems)
        check_day((*path, "end_date"), spec.end_date, problems)
        product = by_code.get(spec.product_code)
        if product is None:
            problems.append(errors.unknown((*path, "product_code"), "product", spec.product_code))
            continue
        rows.append(
            EnrollmentProduct(
                product_id=product.id,  # type: ignore[arg-type]
                coverage_tier=spec.coverage_tier,
                start_date=spec.start_date or start,
                end_date=spec.end_date,
            )
        )
    return rows if len(problems) == found else []
