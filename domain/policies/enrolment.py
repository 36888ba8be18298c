"""Enrolling a subscriber with their family and products, and adding or removing a member.

Each function is one change of domain.core.changes, made as the actor who asked: it builds
the policy's rows as they would be, checks every rule at once, and saves nothing unless all
hold; it flushes, and the caller commits or rolls back.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import Action, Change, changing, find, load
from domain.core.errors import ErrorCode, Problem, raise_if
from domain.core.fields import check_code
from domain.groups.editing import restrictions
from domain.groups.models import GroupAccount, InsurableClass
from domain.policies import errors
from domain.policies.checks import Blame, PolicyRows, check_policy, child_end
from domain.policies.limits import PolicyLimits, check_day, check_effective
from domain.policies.models import (
    EnrollmentProduct,
    Person,
    Policy,
    PolicyAccountLink,
    PolicyClassLink,
    PolicyMember,
    PolicyStatus,
    Relationship,
)
from domain.policies.persons import PersonData, clean_person, person_for
from domain.policies.state import facts_for, rows_of, settle
from domain.reference.models import CoverageTier, Product

Dated = TypeVar("Dated", PolicyMember, PolicyAccountLink, PolicyClassLink, EnrollmentProduct)


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


async def enroll_policy(
    session: AsyncSession,
    *,
    actor: Actor,
    limits: PolicyLimits,
    group_account_id: int,
    insurable_class_id: int | None,
    start_date: date,
    subscriber: MemberSpec,
    dependants: Sequence[MemberSpec] = (),
    products: Sequence[ProductSpec],
    number: str | None = None,
    line_of_business: str | None = None,
    data_access_group: str | None = None,
) -> Policy:
    """Open a policy in a group account: the subscriber, their dependants and products."""
    async with changing(session, actor, Action.POLICY_ENROLL, Policy) as change:
        account = await load(
            session, actor, GroupAccount, group_account_id, field="group_account_id"
        )
        problems: list[Problem] = []
        check_effective(("start_date",), start_date, limits, problems)
        class_id = await insurable_class_of(session, actor, account, insurable_class_id, problems)
        number = await _number(session, number, problems)
        lob, dag = await restrictions(
            session,
            problems,
            line_of_business=line_of_business,
            data_access_group=data_access_group,
        )
        found = await enrolments(session, products, start_date, limits, problems)
        if not products:
            problems.append(errors.missing(("products",), "at least one product"))
        holder = await _person(session, actor, limits, ("subscriber",), subscriber, problems)
        family = [
            await _person(session, actor, limits, ("dependants", str(i)), spec, problems)
            for i, spec in enumerate(dependants)
        ]
        _dependants_dates(dependants, limits, problems)
        raise_if(problems)
        assert holder is not None
        rows, blame = _new_rows(account, class_id, start_date, subscriber, holder, found)
        for i, (spec, person) in enumerate(zip(dependants, family, strict=True)):
            row = _member(person, spec, start_date, limits=limits)  # type: ignore[arg-type]
            rows.members.append(blame.made(row, ("dependants", str(i))))
        persons = [p for p in (holder, *family) if p is not None]
        facts = await facts_for(
            session, rows, limits=limits, scope=actor.scope, policy_id=None, persons=persons
        )
        raise_if(check_policy(rows, facts, blame))
        policy = change.add(
            Policy(
                number=number,
                subscriber_id=holder.id,  # type: ignore[arg-type]
                line_of_business_id=lob.id if lob else account.line_of_business_id,  # type: ignore[arg-type]
                data_access_group_id=dag.id if dag else account.data_access_group_id,  # type: ignore[arg-type]
                start_date=start_date,
            )
        )
        await session.flush()
        _attach(session, policy, rows)
        await settle(change, rows)
    return policy


def _new_rows(
    account: GroupAccount,
    class_id: int | None,
    start_date: date,
    subscriber: MemberSpec,
    holder: Person,
    products: list[EnrollmentProduct],
) -> tuple[PolicyRows, Blame]:
    """A new policy's subscriber, links and products, each blamed on the input it came from."""
    blame = Blame(fallback=("start_date",))
    rows = PolicyRows(
        members=[blame.made(_member(holder, subscriber, start_date), ("subscriber",))],
        accounts=[PolicyAccountLink(group_account_id=account.id, start_date=start_date)],  # type: ignore[arg-type]
    )
    if class_id:
        link = PolicyClassLink(insurable_class_id=class_id, start_date=start_date)
        rows.classes.append(blame.made(link, ("insurable_class_id",)))
    for i, enrolment in enumerate(products):
        rows.products.append(blame.made(enrolment, ("products", str(i))))
    return rows, blame


async def add_member(
    session: AsyncSession,
    *,
    actor: Actor,
    limits: PolicyLimits,
    policy_id: int,
    version: int,
    member: MemberSpec,
) -> Policy:
    """Insure one more person on an active policy, from a date."""
    async with changing(
        session,
        actor,
        Action.POLICY_MEMBER_ADD,
        Policy,
        policy_id,
        field="policy_id",
        version=version,
    ) as change:
        rows = active_rows(change)
        problems: list[Problem] = []
        if member.relationship == Relationship.SUBSCRIBER:
            problems.append(
                Problem(
                    ("relationship",),
                    ErrorCode.NOT_ALLOWED,
                    "A policy has one subscriber; enrol a new policy for another.",
                )
            )
        person = await _person(session, actor, limits, (), member, problems)
        start = member.start_date or max(limits.today(), change.row.start_date)
        check_effective(("start_date",), start, limits, problems)
        check_day(("end_date",), member.end_date, problems)
        raise_if(problems)
        blame = Blame()
        row = blame.made(_member(person, member, start, limits=limits), ())  # type: ignore[arg-type]
        rows.members.append(row)
        facts = await facts_for(
            session,
            rows,
            limits=limits,
            scope=actor.scope,
            policy_id=policy_id,
            persons=[person],  # type: ignore[list-item]
        )
        raise_if(check_policy(rows, facts, blame))
        _attach(session, change.row, PolicyRows(members=[row]))
        await settle(change, rows)
    return change.row


async def remove_member(
    session: AsyncSession,
    *,
    actor: Actor,
    limits: PolicyLimits,
    policy_id: int,
    version: int,
    person_id: int,
    end_date: date,
) -> Policy:
    """End a dependant's coverage on `end_date`, the last day covered."""
    async with changing(
        session,
        actor,
        Action.POLICY_MEMBER_REMOVE,
        Policy,
        policy_id,
        field="policy_id",
        version=version,
    ) as change:
        rows = active_rows(change)
        problems: list[Problem] = []
        theirs: list[PolicyMember] = []
        if check_effective(("end_date",), end_date, limits, problems):
            theirs = [
                m
                for m in rows.members
                if m.person_id == person_id and (m.end_date is None or m.end_date > end_date)
            ]
            problems.extend(_removable(theirs, end_date))
        raise_if(problems)
        await end_rows(session, rows.members, theirs, end_date)
        await settle(change, rows)
    return change.row


def _removable(theirs: list[PolicyMember], end_date: date) -> list[Problem]:
    """Why these rows of one person cannot end on `end_date`, if they cannot."""
    if not theirs:
        return [
            Problem(
                ("person_id",),
                ErrorCode.NOT_FOUND,
                f"This person is not insured on the policy after {end_date}.",
            )
        ]
    if any(m.relationship == Relationship.SUBSCRIBER for m in theirs):
        return [
            Problem(
                ("person_id",),
                ErrorCode.NOT_ALLOWED,
                "The subscriber cannot be removed; terminate the policy instead.",
            )
        ]
    return []


def active_rows(change: Change[Policy]) -> PolicyRows:
    """The rows of the policy the change is about, which must still be active."""
    rows = rows_of(change)
    if change.row.status != PolicyStatus.ACTIVE:
        raise errors.wrong_status("policy_id", "The policy is terminated; reinstate it first.")
    return rows


async def end_rows(
    session: AsyncSession, rows: list[Dated], ending: list[Dated], day: date
) -> None:
    """End `ending` (some of `rows`) on `day`; drop those that would start after it."""
    for row in ending:
        if row.start_date > day:
            rows.remove(row)
            await session.delete(row)
        elif row.end_date is None or row.end_date > day:
            row.end_date = day


def _attach(session: AsyncSession, policy: Policy, rows: PolicyRows) -> None:
    for row in rows.every():
        row.policy_id = policy.id
    session.add_all(rows.every())


def _member(
    person: Person, spec: MemberSpec, start: date, *, limits: PolicyLimits | None = None
) -> PolicyMember:
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


def _dependants_dates(
    dependants: Sequence[MemberSpec], limits: PolicyLimits, problems: list[Problem]
) -> None:
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


async def _person(
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


async def _number(session: AsyncSession, number: str | None, problems: list[Problem]) -> str:
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
