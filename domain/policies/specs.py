"""What a policy change's input names, resolved within the actor's reach.

The persons (someone the actor may see, by id, or a person's data), the products and their
tiers, the insurable class of the account a policy joins, and a new policy's number; each
problem is recorded under the input field at fault, so a change can report them all at once.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.errors import ErrorCode, Problem
from domain.core.fields import check_code
from domain.core.reach import visible
from domain.groups.models import GroupAccount, InsurableClass
from domain.policies import errors
from domain.policies.checks import child_end
from domain.policies.limits import PolicyLimits, check_day, check_effective
from domain.policies.models import EnrollmentProduct, Person, Policy, PolicyMember, Relationship
from domain.policies.persons import PersonData, by_national_id, clean_person, person_for
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


class Named:
    """The persons of many member inputs, found together: each input is cleaned, then every
    person named by id (within the actor's reach) or by national id is looked up in one
    statement, then each input resolved in its order."""

    def __init__(self, limits: PolicyLimits) -> None:
        self.limits = limits
        self._cleaned: dict[int, PersonData] = {}
        self._by_id: dict[int, Person] = {}
        self._known: dict[str, Person] = {}

    def clean(self, path: tuple[str, ...], spec: MemberSpec, problems: list[Problem]) -> bool:
        """Record the problems of the input itself; whether it can name a person."""
        if (spec.person_id is None) == (spec.person is None):
            problems.append(
                Problem(
                    (*path, "person"),
                    ErrorCode.REQUIRED,
                    "Give exactly one of personId and person.",
                )
            )
            return False
        if spec.person is None:
            return True
        found = len(problems)
        data = clean_person((*path, "person"), spec.person, problems, today=self.limits.today())
        self._cleaned[id(spec)] = data
        return len(problems) == found

    async def look_up(self, session: AsyncSession, actor: Actor, specs: list[MemberSpec]) -> None:
        """Find the persons the cleaned inputs name, by id and by national id."""
        ids = {spec.person_id for spec in specs if spec.person_id is not None}
        if ids:
            stmt = sa.select(Person).where(col(Person.id).in_(ids), visible(actor.scope, Person))
            self._by_id = {p.id: p for p in await session.scalars(stmt)}  # type: ignore[misc]
        numbers = {d.national_id for d in self._cleaned.values() if d.national_id is not None}
        self._known = await by_national_id(session, numbers)

    def person(
        self, path: tuple[str, ...], spec: MemberSpec, problems: list[Problem]
    ) -> Person | None:
        """The person a cleaned input names: someone the actor may see, or a new one (not yet
        in the session)."""
        if spec.person_id is not None:
            known = self._by_id.get(spec.person_id)
            if known is None:
                problems.append(
                    Problem((*path, "person_id"), ErrorCode.NOT_FOUND, "No person with this id.")
                )
            return known
        return person_for((*path, "person"), self._cleaned[id(spec)], self._known, problems)


async def person_of(
    session: AsyncSession,
    actor: Actor,
    limits: PolicyLimits,
    path: tuple[str, ...],
    spec: MemberSpec,
    problems: list[Problem],
) -> Person | None:
    """The person a member input names: someone the actor may see, or new data."""
    named = Named(limits)
    if not named.clean(path, spec, problems):
        return None
    await named.look_up(session, actor, [spec])
    person = named.person(path, spec, problems)
    if person is not None and person.id is None:
        session.add(person)
        await session.flush()
    return person


@dataclass
class Classes:
    """The insurable classes inputs name (within the actor's reach), and the accounts that
    have any, looked up together."""

    by_id: dict[int, InsurableClass]
    accounts_with_classes: set[int]

    @classmethod
    async def look_up(
        cls, session: AsyncSession, actor: Actor, account_ids: set[int], class_ids: set[int]
    ) -> Classes:
        """The classes named and which of the accounts have any, in a statement each."""
        by_id: dict[int, InsurableClass] = {}
        if class_ids:
            stmt = sa.select(InsurableClass).where(
                col(InsurableClass.id).in_(class_ids), visible(actor.scope, InsurableClass)
            )
            by_id = {c.id: c for c in await session.scalars(stmt)}  # type: ignore[misc]
        having: set[int] = set()
        if account_ids:
            having = set(
                await session.scalars(
                    sa.select(col(InsurableClass.group_account_id))
                    .where(col(InsurableClass.group_account_id).in_(account_ids))
                    .distinct()
                )
            )
        return cls(by_id, having)

    def of(
        self, account: GroupAccount, class_id: int | None, problems: list[Problem]
    ) -> int | None:
        """The insurable class of the account the policy joins; required when it has any.

        A class the actor may see in another account is NOT_OFFERED there; one they may not
        see reads as unknown.
        """
        if class_id is not None:
            found = self.by_id.get(class_id)
            if found is None:
                problems.append(
                    Problem(
                        ("insurable_class_id",),
                        ErrorCode.NOT_FOUND,
                        "No insurable class with this id.",
                    )
                )
                return None
            if found.group_account_id != account.id:
                problems.append(
                    errors.not_offered(
                        ("insurable_class_id",),
                        "The insurable class belongs to another group account than "
                        f"{account.code}.",
                    )
                )
                return None
            return found.id
        if account.id in self.accounts_with_classes:
            problems.append(errors.missing(("insurable_class_id",), "the insurable class"))
        return None


async def insurable_class_of(
    session: AsyncSession,
    actor: Actor,
    account: GroupAccount,
    class_id: int | None,
    problems: list[Problem],
) -> int | None:
    """The insurable class of the account the policy joins (see Classes.of)."""
    named = {class_id} if class_id is not None else set()
    unnamed = {account.id} if class_id is None else set()
    classes = await Classes.look_up(session, actor, unnamed, named)  # type: ignore[arg-type]
    return classes.of(account, class_id, problems)


async def numbers_in_use(session: AsyncSession, numbers: Iterable[str | None]) -> set[str]:
    """Which of these policy numbers (the well-formed ones) are taken, in one statement."""
    wanted = set()
    for number in numbers:
        problems: list[Problem] = []
        code = check_code("number", number, problems) if number is not None else ""
        if code and not problems:
            wanted.add(code)
    if not wanted:
        return set()
    stmt = sa.select(col(Policy.number)).where(col(Policy.number).in_(wanted))
    return set(await session.scalars(stmt))


def policy_number(number: str | None, taken: set[str], problems: list[Problem]) -> str:
    """The new policy's number: the one given, if well-formed and not `taken`, or a made-up
    one."""
    if number is None:
        return f"POL-{secrets.token_hex(5).upper()}"
    found = len(problems)
    number = check_code("number", number, problems)
    if len(problems) == found and number in taken:
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
    """The enrolment rows the product inputs ask for (see enrolment_rows)."""
    by_code = await products_by_code(session, {spec.product_code for spec in specs})
    return enrolment_rows(specs, by_code, start, limits, problems)


async def products_by_code(session: AsyncSession, codes: set[str]) -> dict[str, Product]:
    """The products of these codes, in one statement."""
    stmt = sa.select(Product).where(col(Product.code).in_({c for c in codes if "\x00" not in c}))
    return {p.code: p for p in (await session.scalars(stmt)).all()}


def enrolment_rows(
    specs: Sequence[ProductSpec],
    by_code: dict[str, Product],
    start: date,
    limits: PolicyLimits,
    problems: list[Problem],
) -> list[EnrollmentProduct]:
    """The enrolment rows the product inputs ask for, from `start` unless they say; none
    when some product is unknown (each recorded as a problem)."""
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
