"""An 834's reinstatement (025) and change (001) of a known family, and an audit's (030) match.

Each is made by the policies area's own services, as the sender: a reinstatement by
`policyReinstate` (a dependant's ended cover by `policyMemberAdd` again), a change of names,
birth date or gender by `personUpdate`, of account, product or tier by `policyMove` from the
row's first day (DTP 348/356, else today). Each returns the policy and whether it changed
anything: a row already true is NO_CHANGE.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.errors import DomainError, ErrorCode
from domain.groups.models import GroupAccount
from domain.intake.census import CensusRow
from domain.policies import enrolment, lifecycle
from domain.policies.enrolment import MemberSpec, ProductSpec
from domain.policies.limits import PolicyLimits, day_after
from domain.policies.models import (
    EnrollmentProduct,
    Person,
    Policy,
    PolicyAccountLink,
    PolicyMember,
    PolicyStatus,
    Relationship,
)
from domain.policies.persons import update_person
from domain.reference.models import CoverageTier, Product

Changed = tuple[Policy, bool]


def family_tier(relationships: list[Relationship | None]) -> CoverageTier:
    """The tier a family fits: the employee alone, with a partner, with children, or all."""
    partner = any(r in (Relationship.SPOUSE, Relationship.DOMESTIC_PARTNER) for r in relationships)
    children = any(r in (Relationship.CHILD, Relationship.OTHER_DEPENDANT) for r in relationships)
    if partner and children:
        return CoverageTier.FAMILY
    if partner:
        return CoverageTier.EMPLOYEE_SPOUSE
    return CoverageTier.EMPLOYEE_CHILDREN if children else CoverageTier.EMPLOYEE_ONLY


async def find(session: AsyncSession, policy: Policy, row: CensusRow) -> Person | None:
    """The person on the policy the row describes (see `match`)."""
    return match(await people_of(session, policy), policy, row)


async def people_of(session: AsyncSession, policy: Policy) -> list[Person]:
    """Everyone the policy has ever insured."""
    return (await people_of_all(session, [policy.id]))[policy.id]  # type: ignore[index]


async def people_of_all(
    session: AsyncSession, policy_ids: list[int | None]
) -> dict[int, list[Person]]:
    """Everyone each of these policies has ever insured, in one statement."""
    stmt = (
        sa.select(col(PolicyMember.policy_id), Person)
        .join(Person, col(Person.id) == col(PolicyMember.person_id))
        .where(col(PolicyMember.policy_id).in_(policy_ids))
        .order_by(col(PolicyMember.policy_id), col(Person.id))
    )
    found: dict[int, list[Person]] = {i: [] for i in policy_ids if i is not None}
    for policy_id, person in (await session.execute(stmt)).all():
        theirs = found[policy_id]  # type: ignore[index]
        if person not in theirs:
            theirs.append(person)
    return found


def match(people: list[Person], policy: Policy, row: CensusRow) -> Person | None:
    """The one of `people` the row describes: by national id, names and birth date, or (for
    the subscriber's row) the policy's subscriber."""
    data = row.person_changes or _named(row)
    for person in people:
        if row.member_id and person.national_id == row.member_id:
            return person
    for person in people:
        if data and all(
            str(getattr(person, k)).lower() == str(data[k]).lower()
            for k in ("given_name", "family_name", "birth_date")
            if k in data
        ):
            return person
    if row.relationship == Relationship.SUBSCRIBER:
        return next((p for p in people if p.id == policy.subscriber_id), None)
    return None


def _named(row: CensusRow) -> dict[str, Any]:
    if row.person is None:
        return {}
    p = row.person
    return {"given_name": p.given_name, "family_name": p.family_name, "birth_date": p.birth_date}


async def reinstate(
    session: AsyncSession, actor: Actor, limits: PolicyLimits, policy: Policy, row: CensusRow
) -> Changed:
    """A terminated policy runs again (its products as the row says); a dependant's ended
    cover starts again from the row's first day (or the day after it ended)."""
    if row.relationship != Relationship.SUBSCRIBER:
        return await _reinstate_member(session, actor, limits, policy, row)
    changed = False
    if policy.status == PolicyStatus.TERMINATED:
        policy = await lifecycle.reinstate_policy(
            session, actor=actor, limits=limits, policy_id=policy.id,  # type: ignore[arg-type]
            version=policy.version,
        )  # fmt: skip
        changed = True
    policy, moved = await move(session, actor, limits, policy, row, accounts=None)
    return policy, changed or moved


async def _reinstate_member(
    session: AsyncSession, actor: Actor, limits: PolicyLimits, policy: Policy, row: CensusRow
) -> Changed:
    person = await find(session, policy, row)
    if person is None:
        raise DomainError.of("given_name", ErrorCode.NOT_FOUND, "No such member on the policy.")
    ends = list(
        await session.scalars(
            sa.select(col(PolicyMember.end_date)).where(
                col(PolicyMember.policy_id) == policy.id,
                col(PolicyMember.person_id) == person.id,
            )
        )
    )
    if None in ends or max(e for e in ends if e) >= limits.today():
        return policy, False
    start = row.start_date or day_after(max(e for e in ends if e))
    policy = await enrolment.add_member(
        session, actor=actor, limits=limits, policy_id=policy.id,  # type: ignore[arg-type]
        version=policy.version,
        member=MemberSpec(relationship=row.relationship or Relationship.OTHER_DEPENDANT,
                          person_id=person.id, start_date=start),
    )  # fmt: skip
    return policy, True


async def change(
    session: AsyncSession,
    actor: Actor,
    limits: PolicyLimits,
    policy: Policy,
    row: CensusRow,
    *,
    accounts: Any,
) -> Changed:
    """Make the member as the row says: names, birth date, gender; account, product, tier."""
    person = await find(session, policy, row)
    if person is None:
        raise DomainError.of("given_name", ErrorCode.NOT_FOUND, "No such member on the policy.")
    differ = {k: v for k, v in row.person_changes.items() if getattr(person, k) != v}
    if differ:
        await update_person(
            session, actor=actor, limits=limits, person_id=person.id,  # type: ignore[arg-type]
            version=person.version, changes=differ,
        )  # fmt: skip
    if person.id != policy.subscriber_id:
        return policy, bool(differ)
    policy, moved = await move(session, actor, limits, policy, row, accounts=accounts)
    return policy, bool(differ) or moved


async def move(
    session: AsyncSession,
    actor: Actor,
    limits: PolicyLimits,
    policy: Policy,
    row: CensusRow,
    *,
    accounts: Any,
) -> Changed:
    """Move the policy to the row's account (given `accounts`, the ids of its code) and
    products from the row's first day, when they differ from what it has then."""
    on = row.start_date or limits.today()
    current, target = await _accounts(session, policy, row, on, accounts)
    products = await _products(session, policy, row, on)
    if target is None and products is None:
        return policy, False
    # A product's change alone is a move within the same account (policyMove needs one).
    policy = await lifecycle.move_policy(
        session, actor=actor, limits=limits, policy_id=policy.id,  # type: ignore[arg-type]
        version=policy.version, on=on, group_account_id=target or current, products=products,
    )  # fmt: skip
    return policy, True


async def _accounts(
    session: AsyncSession, policy: Policy, row: CensusRow, on: date, accounts: Any
) -> tuple[int | None, int | None]:
    """The policy's account on `on`, and the row's when it is another."""
    found = (
        await session.execute(
            sa.select(col(GroupAccount.id), col(GroupAccount.code))
            .join(
                PolicyAccountLink, col(PolicyAccountLink.group_account_id) == col(GroupAccount.id)
            )
            .where(col(PolicyAccountLink.policy_id) == policy.id, _covers(PolicyAccountLink, on))
        )
    ).first()
    current, code = found if found is not None else (None, None)
    if accounts is None or not row.account_code or code == row.account_code:
        return current, None
    target: int = await accounts(row)
    return current, target


async def _products(
    session: AsyncSession, policy: Policy, row: CensusRow, on: date
) -> list[ProductSpec] | None:
    """The products the policy should have from `on`, or None when they are what it has."""
    if not row.product_code:
        return None
    stmt = (
        sa.select(col(Product.code), col(EnrollmentProduct.coverage_tier))
        .join(EnrollmentProduct, col(EnrollmentProduct.product_id) == col(Product.id))
        .where(col(EnrollmentProduct.policy_id) == policy.id, _covers(EnrollmentProduct, on))
    )
    current = {code: tier for code, tier in (await session.execute(stmt)).all()}
    wanted = dict(current)
    codes = [row.product_code, *row.more_products]
    for code in codes:
        if row.drops_product:
            wanted.pop(code, None)
        else:
            wanted[code] = (
                row.coverage_tier
                or current.get(code)
                or next(iter(current.values()), CoverageTier.EMPLOYEE_ONLY)
            )
    if wanted == current:
        return None
    return [ProductSpec(product_code=code, coverage_tier=tier) for code, tier in wanted.items()]


def _covers(model: Any, on: date) -> Any:
    return sa.and_(
        col(model.start_date) <= on,
        sa.or_(col(model.end_date).is_(None), col(model.end_date) >= on),
    )
