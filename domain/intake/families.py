"""Applying families' rows (same employee number) as the policies mutations would.

A family is applied by the policies area's own services, as the actor who sent the file, so
every rule of that area holds unchanged (TOO_FAR_BACK, NOT_OFFERED, AGE_LIMIT, OVERLAP...).
New families are enrolled together, up to RUN at a time (domain.policies.opening checks each
alone and writes them in a fixed number of statements); a known family runs in a savepoint.
Either way a refusal undoes all of its family and nothing of the others. A problem the
services report names an input path; it is told on the row and the column that gave it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.errors import DomainError, ErrorCode, Problem
from domain.intake import maintenance
from domain.intake.census import CensusRow
from domain.intake.models import RowAction, RowOutcome
from domain.intake.within import Within, account, policy_of
from domain.policies import enrolment, lifecycle
from domain.policies.employment import EmploymentData
from domain.policies.enrolment import MemberSpec, ProductSpec
from domain.policies.limits import PolicyLimits, day_after
from domain.policies.models import Person, Policy, PolicyMember, Relationship
from domain.policies.opening import Enrolment, enroll_policies
from domain.reference.models import CoverageTier


@dataclass
class Outcome:
    """What became of one row."""

    row: CensusRow
    outcome: RowOutcome = RowOutcome.APPLIED
    problems: list[Problem] = field(default_factory=list)
    policy_id: int | None = None
    person_id: int | None = None


RUN = 500
"""New families enrolled together at most: their statements are a fixed number per run."""

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


async def apply_families(
    session: AsyncSession,
    *,
    actor: Actor,
    limits: PolicyLimits,
    clients: Within,
    families: list[list[CensusRow]],
) -> list[Outcome]:
    """Apply families in the file's order, each all or none and every reason why: each run of
    new families enrolled together (domain.policies.opening), a known family in a savepoint."""
    outcomes: list[Outcome] = []
    run: list[tuple[list[Outcome], Enrolment]] = []
    for rows in families:
        family = [Outcome(row) for row in rows]
        if any(row.problems for row in rows):
            outcomes += _refused(family, [])
            continue
        existing = await policy_of(session, actor, clients, rows[0].employee_number)
        if existing is None:
            try:
                run.append((family, await _enrolment(session, actor, clients, family)))
            except DomainError as error:
                outcomes += _refused(family, list(error.problems))
            if len(run) == RUN:
                outcomes += await _enroll(session, actor, limits, run)
                run = []
            continue
        outcomes += await _enroll(session, actor, limits, run)
        run = []
        outcomes += await _known(session, actor, limits, clients, existing, family)
    return outcomes + await _enroll(session, actor, limits, run)


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


def _member(row: CensusRow) -> MemberSpec:
    assert row.relationship is not None
    return MemberSpec(
        relationship=row.relationship, person=row.person, start_date=row.start_date,
        end_date=row.end_date,
    )  # fmt: skip


async def _enrolment(
    session: AsyncSession, actor: Actor, clients: Within, outcomes: list[Outcome]
) -> Enrolment:
    """A new family's `policyEnroll`: the subscriber row's account, class and products."""
    head = next((o for o in outcomes if o.row.relationship == Relationship.SUBSCRIBER), None)
    if head is None or head.row.action not in (RowAction.ADD, RowAction.AUDIT):
        raise DomainError.of(
            "employee_number",
            ErrorCode.NOT_FOUND,
            "No policy with this employee number here; a new family needs a SUBSCRIBER row.",
        )
    if sum(o.row.relationship == Relationship.SUBSCRIBER for o in outcomes) > 1:
        raise DomainError.of("relationship", ErrorCode.DUPLICATE, "One SUBSCRIBER per family.")
    row = head.row
    account_id, class_id = await account(session, actor, clients, row)
    assert row.start_date is not None
    tier = row.coverage_tier or maintenance.family_tier([o.row.relationship for o in outcomes])
    codes = [row.product_code, *row.more_products] if row.product_code else []
    return Enrolment(
        group_account_id=account_id,
        insurable_class_id=class_id,
        start_date=row.start_date,
        subscriber=MemberSpec(relationship=Relationship.SUBSCRIBER, person=row.person),
        dependants=[_member(o.row) for o in outcomes if o is not head],
        products=[_product(row, code, tier) for code in codes],
        employment=EmploymentData(employee_number=row.employee_number),
    )


def _product(row: CensusRow, code: str, tier: CoverageTier) -> ProductSpec:
    """The product of the row, from its own first day when it starts after the policy."""
    first, last = row.product_days.get(code, (None, None))
    later = first if first is not None and row.start_date and first > row.start_date else None
    return ProductSpec(product_code=code, coverage_tier=tier, start_date=later, end_date=last)


async def _enroll(
    session: AsyncSession,
    actor: Actor,
    limits: PolicyLimits,
    run: list[tuple[list[Outcome], Enrolment]],
) -> list[Outcome]:
    """Enrol a run of new families at once; each refused alone leaves nothing of itself."""
    if not run:
        return []
    results = await enroll_policies(
        session, actor=actor, limits=limits, enrolments=[e for _, e in run]
    )
    people = await maintenance.people_of_all(
        session, [r.id for r in results if isinstance(r, Policy)]
    )
    outcomes: list[Outcome] = []
    for (family, _), result in zip(run, results, strict=True):
        if isinstance(result, DomainError):
            outcomes += _refused(family, list(result.problems))
        else:
            outcomes += _noted(people[result.id], result, family)  # type: ignore[index]
    return outcomes


async def _known(
    session: AsyncSession,
    actor: Actor,
    limits: PolicyLimits,
    clients: Within,
    policy: Policy,
    outcomes: list[Outcome],
) -> list[Outcome]:
    """A known family's rows in turn, in a savepoint: all of them, or none and every reason
    why; a row already true changes nothing."""
    try:
        async with session.begin_nested():
            for outcome in outcomes:
                policy, changed = await _apply_row(
                    session, actor, limits, clients, policy, outcome.row
                )
                if not changed:
                    outcome.outcome = RowOutcome.NO_CHANGE
            await _note(session, policy, outcomes)
    except DomainError as error:
        return _refused(outcomes, list(error.problems))
    return outcomes


async def _apply_row(
    session: AsyncSession,
    actor: Actor,
    limits: PolicyLimits,
    clients: Within,
    policy: Policy,
    row: CensusRow,
) -> maintenance.Changed:
    """Apply one row of a known family as its maintenance type asks."""
    if row.action == RowAction.REINSTATE:
        return await maintenance.reinstate(session, actor, limits, policy, row)
    if row.action == RowAction.TERMINATE:
        return await _end(session, actor, limits, policy, row)
    known = await maintenance.find(session, policy, row)
    if row.action == RowAction.ADD and known is None:
        return await _add(session, actor, limits, policy, row), True

    async def accounts(row: CensusRow) -> int:
        return (await account(session, actor, clients, row))[0]

    if row.action == RowAction.ADD:
        return policy, False
    if known is None:  # an audit's new dependant
        return await _add(session, actor, limits, policy, row), True
    policy, changed = await maintenance.change(
        session, actor, limits, policy, row, accounts=accounts
    )
    if row.action == RowAction.CHANGE and row.end_date is not None:
        policy, ended = await _end(session, actor, limits, policy, row)
        changed = changed or ended
    return policy, changed


async def _add(
    session: AsyncSession, actor: Actor, limits: PolicyLimits, policy: Policy, row: CensusRow
) -> Policy:
    day = row.start_date or limits.today()
    family = [*await _family_on(session, policy, day), row.relationship]
    return await enrolment.add_member(
        session, actor=actor, limits=limits, policy_id=policy.id,  # type: ignore[arg-type]
        version=policy.version, member=_member(row),
        coverage_tier=row.coverage_tier or maintenance.family_tier(family),
    )  # fmt: skip


async def _end(
    session: AsyncSession, actor: Actor, limits: PolicyLimits, policy: Policy, row: CensusRow
) -> maintenance.Changed:
    """The policy ends (the subscriber's row) or the dependant's cover, on the row's last day."""
    if row.relationship != Relationship.SUBSCRIBER:
        return await _remove(session, actor, limits, policy, row)
    if policy.end_date == row.end_date:
        return policy, False
    if row.end_date is None:
        raise DomainError.of("end_date", ErrorCode.REQUIRED, "Give the last day covered.")
    policy = await lifecycle.terminate_policy(
        session, actor=actor, limits=limits, policy_id=policy.id,  # type: ignore[arg-type]
        version=policy.version, end_date=row.end_date,
    )  # fmt: skip
    return policy, True


async def _remove(
    session: AsyncSession, actor: Actor, limits: PolicyLimits, policy: Policy, row: CensusRow
) -> maintenance.Changed:
    """A dependant's end: `policyMemberRemove`, or nothing when it already ends then."""
    person = await maintenance.find(session, policy, row)
    if person is None:
        raise DomainError.of("given_name", ErrorCode.NOT_FOUND, "No such member on the policy.")
    if row.end_date is None:
        raise DomainError.of("end_date", ErrorCode.REQUIRED, "Give the last day covered.")
    ends = await session.scalar(
        sa.select(sa.func.max(col(PolicyMember.end_date))).where(
            col(PolicyMember.policy_id) == policy.id, col(PolicyMember.person_id) == person.id
        )
    )
    if ends == row.end_date:
        return policy, False
    family = await _family_on(session, policy, day_after(row.end_date), leaving=person.id)
    policy = await enrolment.remove_member(
        session, actor=actor, limits=limits, policy_id=policy.id,  # type: ignore[arg-type]
        version=policy.version, person_id=person.id,  # type: ignore[arg-type]
        end_date=row.end_date,
        coverage_tier=row.coverage_tier or maintenance.family_tier(family),
    )  # fmt: skip
    return policy, True


async def _family_on(
    session: AsyncSession, policy: Policy, day: date, *, leaving: int | None = None
) -> list[Relationship | None]:
    """The relationships of the policy's members covered on `day` (but `leaving`): without
    HD05 (or a census tier), a family's tier follows who is in it after the row."""
    stmt = sa.select(col(PolicyMember.relationship)).where(
        col(PolicyMember.policy_id) == policy.id,
        col(PolicyMember.person_id) != (leaving or 0),
        col(PolicyMember.start_date) <= day,
        sa.or_(col(PolicyMember.end_date).is_(None), col(PolicyMember.end_date) >= day),
    )
    return list(await session.scalars(stmt))


async def _note(session: AsyncSession, policy: Policy, outcomes: list[Outcome]) -> None:
    """Record on each row the policy and the person it touched."""
    _noted(await maintenance.people_of(session, policy), policy, outcomes)


def _noted(people: list[Person], policy: Policy, outcomes: list[Outcome]) -> list[Outcome]:
    for outcome in outcomes:
        outcome.policy_id = policy.id
        person = maintenance.match(people, policy, outcome.row)
        outcome.person_id = person.id if person else None
    return outcomes
