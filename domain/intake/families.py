"""Applying one family's rows (same employee number) as the policies mutations would.

A family is applied by the policies area's own services, as the actor who sent the file, so
every rule of that area holds unchanged (TOO_FAR_BACK, NOT_OFFERED, AGE_LIMIT, OVERLAP...).
Each family runs in a savepoint: a refusal rolls back all of it and nothing of the others.
A problem the services report names an input path; it is told on the row and the column
that gave that input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import visible
from domain.core.errors import DomainError, ErrorCode, Problem
from domain.groups.models import GroupAccount, InsurableClass
from domain.intake.census import CensusRow
from domain.intake.models import RowAction, RowOutcome
from domain.policies import enrolment, lifecycle
from domain.policies.employment import EmploymentData
from domain.policies.enrolment import MemberSpec, ProductSpec
from domain.policies.limits import PolicyLimits
from domain.policies.models import Person, Policy, PolicyAccountLink, PolicyMember, Relationship


@dataclass
class Outcome:
    """What became of one row."""

    row: CensusRow
    outcome: RowOutcome = RowOutcome.APPLIED
    problems: list[Problem] = field(default_factory=list)
    policy_id: int | None = None
    person_id: int | None = None


# The column of the file that gave each input a policies service names in a problem's path.
_COLUMN = {
    "given_name": "given_name",
    "family_name": "family_name",
    "birth_date": "birth_date",
    "gender": "gender",
    "national_id": "national_id",
    "product_code": "product_code",
    "coverage_tier": "coverage_tier",
    "products": "product_code",
    "start_date": "start_date",
    "end_date": "end_date",
    "group_account_id": "account_code",
    "insurable_class_id": "class_code",
    "relationship": "relationship",
}


async def apply_family(
    session: AsyncSession,
    *,
    actor: Actor,
    limits: PolicyLimits,
    clients: Any,
    rows: list[CensusRow],
) -> list[Outcome]:
    """Apply one family's rows in a savepoint: all of them, or none and every reason why."""
    outcomes = [Outcome(row) for row in rows]
    if any(row.problems for row in rows):
        return _refused(outcomes, [])
    try:
        async with session.begin_nested():
            existing = await _policy_of(session, actor, clients, rows[0].employee_number)
            if existing is None:
                await _enroll(session, actor, limits, clients, outcomes)
            else:
                await _update(session, actor, limits, existing, outcomes)
    except DomainError as error:
        return _refused(outcomes, list(error.problems))
    return outcomes


def _refused(outcomes: list[Outcome], problems: list[Problem]) -> list[Outcome]:
    """Every row of the family refused: each with its own problems, or why it was not applied."""
    subscriber = next(
        (o for o in outcomes if o.row.relationship == Relationship.SUBSCRIBER), outcomes[0]
    )
    dependants = [o for o in outcomes if o is not subscriber]
    for problem in problems:
        path = problem.field
        target = subscriber
        if len(path) > 1 and path[0] == "dependants" and path[1].isdigit():
            target = dependants[int(path[1])] if int(path[1]) < len(dependants) else subscriber
        column = next((_COLUMN[p] for p in reversed(path) if p in _COLUMN), "employee_number")
        target.row.problems.append(Problem((column,), problem.code, problem.message))
    for outcome in outcomes:
        outcome.outcome = RowOutcome.REFUSED
        outcome.policy_id = outcome.person_id = None
        outcome.problems = list(outcome.row.problems) or [
            Problem(
                ("employee_number",),
                ErrorCode.CONFLICT,
                "Another row of this family was refused, so none of the family was applied.",
            )
        ]
    return outcomes


async def _policy_of(
    session: AsyncSession, actor: Actor, clients: Any, employee_number: str
) -> Policy | None:
    """The family's policy in this group client, found by employee number within reach."""
    in_client = (
        sa.select(col(PolicyAccountLink.policy_id))
        .join(GroupAccount, col(GroupAccount.id) == col(PolicyAccountLink.group_account_id))
        .where(col(GroupAccount.group_client_id).in_(clients))
    )
    stmt = (
        sa.select(Policy)
        .where(
            col(Policy.employee_number) == employee_number,
            col(Policy.id).in_(in_client),
            visible(actor.scope, Policy),
        )
        .order_by(col(Policy.id).desc())
    )
    return await session.scalar(stmt)


async def _account(
    session: AsyncSession, actor: Actor, clients: Any, row: CensusRow
) -> tuple[int, int | None]:
    """The ids of the row's account and class, within the file's group client and reach."""
    account_id = await session.scalar(
        sa.select(col(GroupAccount.id)).where(
            col(GroupAccount.code) == row.account_code,
            col(GroupAccount.group_client_id).in_(clients),
            visible(actor.scope, GroupAccount),
        )
    )
    if account_id is None:
        raise DomainError.of(
            "group_account_id", ErrorCode.NOT_FOUND, "No group account with this code here."
        )
    if row.class_code is None:
        return account_id, None
    class_id = await session.scalar(
        sa.select(col(InsurableClass.id)).where(
            col(InsurableClass.group_account_id) == account_id,
            col(InsurableClass.code) == row.class_code,
        )
    )
    if class_id is None:
        raise DomainError.of(
            "insurable_class_id", ErrorCode.NOT_FOUND, "No class with this code in the account."
        )
    return account_id, class_id


def _member(row: CensusRow) -> MemberSpec:
    assert row.relationship is not None
    return MemberSpec(
        relationship=row.relationship, person=row.person, start_date=row.start_date,
        end_date=row.end_date,
    )  # fmt: skip


async def _enroll(
    session: AsyncSession,
    actor: Actor,
    limits: PolicyLimits,
    clients: Any,
    outcomes: list[Outcome],
) -> None:
    """A new family: `policyEnroll` with the subscriber row's account, class and product."""
    head = next((o for o in outcomes if o.row.relationship == Relationship.SUBSCRIBER), None)
    if head is None or head.row.action != RowAction.ADD:
        raise DomainError.of(
            "employee_number",
            ErrorCode.NOT_FOUND,
            "No policy with this employee number here; a new family needs a SUBSCRIBER row.",
        )
    if sum(o.row.relationship == Relationship.SUBSCRIBER for o in outcomes) > 1:
        raise DomainError.of("relationship", ErrorCode.DUPLICATE, "One SUBSCRIBER per family.")
    row = head.row
    account_id, class_id = await _account(session, actor, clients, row)
    assert row.start_date is not None
    products = []
    if row.product_code and row.coverage_tier:
        products.append(ProductSpec(product_code=row.product_code, coverage_tier=row.coverage_tier))
    others = [o for o in outcomes if o is not head]
    policy = await enrolment.enroll_policy(
        session,
        actor=actor,
        limits=limits,
        group_account_id=account_id,
        insurable_class_id=class_id,
        start_date=row.start_date,
        subscriber=MemberSpec(relationship=Relationship.SUBSCRIBER, person=row.person),
        dependants=[_member(o.row) for o in others],
        products=products,
        employment=EmploymentData(employee_number=row.employee_number),
    )
    await _note(session, policy, outcomes)


async def _update(
    session: AsyncSession,
    actor: Actor,
    limits: PolicyLimits,
    policy: Policy,
    outcomes: list[Outcome],
) -> None:
    """A known family: rows already true change nothing; new dependants and ends are applied."""
    for outcome in outcomes:
        row = outcome.row
        if row.action == RowAction.TERMINATE and row.relationship == Relationship.SUBSCRIBER:
            if policy.end_date == row.end_date:
                outcome.outcome = RowOutcome.NO_CHANGE
                continue
            if row.end_date is None:
                raise DomainError.of("end_date", ErrorCode.REQUIRED, "Give the last day covered.")
            policy = await lifecycle.terminate_policy(
                session, actor=actor, limits=limits, policy_id=policy.id,  # type: ignore[arg-type]
                version=policy.version, end_date=row.end_date,
            )  # fmt: skip
        elif row.action == RowAction.TERMINATE:
            policy = await _remove(session, actor, limits, policy, outcome)
        elif await _member_of(session, policy, row) is not None or (
            row.relationship == Relationship.SUBSCRIBER
        ):
            outcome.outcome = RowOutcome.NO_CHANGE
        else:
            policy = await enrolment.add_member(
                session, actor=actor, limits=limits, policy_id=policy.id,  # type: ignore[arg-type]
                version=policy.version, member=_member(row),
            )  # fmt: skip
    await _note(session, policy, outcomes)


async def _remove(
    session: AsyncSession, actor: Actor, limits: PolicyLimits, policy: Policy, outcome: Outcome
) -> Policy:
    """A dependant's end: `policyMemberRemove`, or nothing when it already ends then."""
    row = outcome.row
    person_id = await _member_of(session, policy, row)
    if person_id is None:
        raise DomainError.of("given_name", ErrorCode.NOT_FOUND, "No such member on the policy.")
    if row.end_date is None:
        raise DomainError.of("end_date", ErrorCode.REQUIRED, "Give the last day covered.")
    ends = await session.scalar(
        sa.select(sa.func.max(col(PolicyMember.end_date))).where(
            col(PolicyMember.policy_id) == policy.id, col(PolicyMember.person_id) == person_id
        )
    )
    if ends == row.end_date:
        outcome.outcome = RowOutcome.NO_CHANGE
        return policy
    return await enrolment.remove_member(
        session, actor=actor, limits=limits, policy_id=policy.id,  # type: ignore[arg-type]
        version=policy.version, person_id=person_id, end_date=row.end_date,
    )  # fmt: skip


async def _member_of(session: AsyncSession, policy: Policy, row: CensusRow) -> int | None:
    """The id of the person on the policy the row describes (same names and birth date)."""
    if row.person is None:
        return None
    stmt = (
        sa.select(col(Person.id))
        .join(PolicyMember, col(PolicyMember.person_id) == col(Person.id))
        .where(
            col(PolicyMember.policy_id) == policy.id,
            sa.func.lower(col(Person.given_name)) == row.person.given_name.lower(),
            sa.func.lower(col(Person.family_name)) == row.person.family_name.lower(),
            col(Person.birth_date) == row.person.birth_date,
        )
    )
    return await session.scalar(stmt.limit(1))


async def _note(session: AsyncSession, policy: Policy, outcomes: list[Outcome]) -> None:
    """Record on each row the policy and the person it touched."""
    for outcome in outcomes:
        outcome.policy_id = policy.id
        outcome.person_id = await _member_of(session, policy, outcome.row)
