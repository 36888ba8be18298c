"""Enrolling a subscriber with their family and products, and adding or removing a member.

Each function is one change of domain.core.changes, made as the actor who asked: it builds
the policy's rows as they would be, checks every rule at once, and saves nothing unless all
hold; it flushes, and the caller commits or rolls back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import Actor
from domain.core.changes import Action, Change, changing
from domain.core.errors import ErrorCode, Problem, raise_if
from domain.policies import errors
from domain.policies.checks import Blame, PolicyRows, check_policy
from domain.policies.employment import EmploymentData
from domain.policies.limits import PolicyLimits, check_day, check_effective, day_after
from domain.policies.models import (
    EnrollmentProduct,
    Policy,
    PolicyAccountLink,
    PolicyClassLink,
    PolicyMember,
    PolicyStatus,
    Relationship,
)
from domain.policies.opening import Enrolment, enroll
from domain.policies.specs import (
    MemberSpec,
    ProductSpec,
    member_row,
    person_of,
)
from domain.policies.state import facts_for, rows_of, settle, tier_facts
from domain.policies.tiers import NAMED, check_tiers, family_on, retier
from domain.reference.models import CoverageTier

Dated = TypeVar("Dated", PolicyMember, PolicyAccountLink, PolicyClassLink, EnrollmentProduct)


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
    employment: EmploymentData | None = None,
) -> Policy:
    """Open a policy in a group account: the subscriber, their dependants and products (see
    domain.policies.opening)."""
    enrolment = Enrolment(
        group_account_id=group_account_id,
        insurable_class_id=insurable_class_id,
        start_date=start_date,
        subscriber=subscriber,
        dependants=dependants,
        products=products,
        number=number,
        line_of_business=line_of_business,
        data_access_group=data_access_group,
        employment=employment,
    )
    return await enroll(session, actor=actor, limits=limits, enrolment=enrolment)


async def add_member(
    session: AsyncSession,
    *,
    actor: Actor,
    limits: PolicyLimits,
    policy_id: int,
    version: int,
    member: MemberSpec,
    coverage_tier: CoverageTier | None = None,
) -> Policy:
    """Insure one more person on an active policy, from a date; the products then move to
    `coverage_tier`, if given (see domain.policies.tiers)."""
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
        person = await person_of(session, actor, limits, (), member, problems)
        start = member.start_date or max(limits.today(), change.row.start_date)
        check_effective(("start_date",), start, limits, problems)
        check_day(("end_date",), member.end_date, problems)
        raise_if(problems)
        blame = Blame()
        row = blame.made(member_row(person, member, start, limits=limits), ())  # type: ignore[arg-type]
        before = family_on(rows, start)
        rows.members.append(row)
        facts = await facts_for(
            session,
            rows,
            limits=limits,
            scope=actor.scope,
            policy_id=policy_id,
            persons=[person],  # type: ignore[list-item]
        )
        made = retier(rows, facts, blame, start, coverage_tier) if coverage_tier else []
        raise_if(check_policy(rows, facts, blame) or check_tiers(rows, facts, blame, start, before))
        _attach(session, change.row, PolicyRows(members=[row], products=made))
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
    coverage_tier: CoverageTier | None = None,
) -> Policy:
    """End a dependant's coverage on `end_date`, the last day covered; the products then move
    to `coverage_tier`, if given (see domain.policies.tiers)."""
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
        before = family_on(rows, day_after(end_date))
        await end_rows(session, rows.members, theirs, end_date)
        await _follow_tier(session, change, rows, (day_after(end_date), before), coverage_tier)
        await settle(change, rows)
    return change.row


async def _follow_tier(
    session: AsyncSession,
    change: Change[Policy],
    rows: PolicyRows,
    when: tuple[date, list[Relationship]],
    tier: CoverageTier | None,
) -> None:
    """Refuse a family the change leaves out of its products' tiers on the day (the family of
    that day before the change given), unless `tier` is named: then move them to it (if it is
    sold and fits)."""
    day, before = when
    facts = await tier_facts(session, rows)
    blame = Blame()
    made = retier(rows, facts, blame, day, tier) if tier else []
    problems = check_tiers(rows, facts, blame, day, before)
    problems += [
        errors.not_offered(NAMED, f"The product is not sold in the tier {tier}.")
        for product in rows.products
        if id(product) in blame.paths
        and product.coverage_tier not in facts.tiers.get(product.product_id, frozenset())
    ]
    raise_if(problems)
    _attach(session, change.row, PolicyRows(products=made))


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
