"""A policy's dated rows and the facts they are checked against, read from the database."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.audit.service import record, snapshot
from domain.core.columns import utcnow
from domain.core.periods import of
from domain.groups.models import (
    GroupAccount,
    GroupAccountProduct,
    GroupAccountProductClass,
    InsurableClass,
)
from domain.policies.checks import Coverage, Facts, PolicyRows
from domain.policies.limits import PolicyLimits
from domain.policies.models import (
    EnrollmentProduct,
    Person,
    Policy,
    PolicyAccountLink,
    PolicyClassLink,
    PolicyMember,
)
from domain.reference.models import CoverageTier, Product, ProductCoverageTier


async def policy_rows(session: AsyncSession, policy_id: int) -> PolicyRows:
    """Every dated row of the policy, ordered by start."""

    async def rows(model: type) -> list:  # type: ignore[type-arg]
        stmt: sa.Select[Any] = (
            sa.select(model)
            .where(model.policy_id == policy_id)  # type: ignore[attr-defined]
            .order_by(model.start_date, model.id)  # type: ignore[attr-defined]
        )
        return list((await session.scalars(stmt)).all())

    return PolicyRows(
        members=await rows(PolicyMember),
        accounts=await rows(PolicyAccountLink),
        classes=await rows(PolicyClassLink),
        products=await rows(EnrollmentProduct),
    )


async def facts_for(
    session: AsyncSession,
    rows: PolicyRows,
    *,
    limits: PolicyLimits,
    policy_id: int | None,
    persons: Iterable[Person] = (),
) -> Facts:
    """Load what `rows` are checked against: persons, offers, tiers, other coverage."""
    birth_dates = {p.id: p.birth_date for p in persons if p.id is not None}
    person_ids = {m.person_id for m in rows.members} - birth_dates.keys()
    if person_ids:
        found = await session.execute(
            sa.select(col(Person.id), col(Person.birth_date)).where(col(Person.id).in_(person_ids))
        )
        birth_dates.update(dict(found.all()))  # type: ignore[arg-type]
    account_ids = {link.group_account_id for link in rows.accounts}
    product_ids = {p.product_id for p in rows.products}
    return Facts(
        birth_dates=birth_dates,  # type: ignore[arg-type]
        class_account=await _class_accounts(session, account_ids, rows),
        offers=await _offers(session, account_ids),
        tiers=await _tiers(session, product_ids),
        product_codes=await _codes(session, product_ids),
        account_ends=await _account_ends(session, account_ids),
        elsewhere=await _elsewhere(session, {m.person_id for m in rows.members}, policy_id),
        child_max_age=limits.child_max_age,
        today=limits.today(),
    )


async def _class_accounts(
    session: AsyncSession, account_ids: set[int], rows: PolicyRows
) -> dict[int, int]:
    class_ids = {link.insurable_class_id for link in rows.classes}
    stmt = sa.select(col(InsurableClass.id), col(InsurableClass.group_account_id)).where(
        sa.or_(
            col(InsurableClass.id).in_(class_ids),
            col(InsurableClass.group_account_id).in_(account_ids),
        )
    )
    return dict((await session.execute(stmt)).all())  # type: ignore[arg-type]


async def _offers(
    session: AsyncSession, account_ids: set[int]
) -> dict[tuple[int, int], frozenset[int] | None]:
    stmt = (
        sa.select(
            col(GroupAccountProduct.group_account_id),
            col(GroupAccountProduct.product_id),
            col(GroupAccountProductClass.insurable_class_id),
        )
        .outerjoin(
            GroupAccountProductClass,
            col(GroupAccountProductClass.group_account_product_id) == GroupAccountProduct.id,
        )
        .where(col(GroupAccountProduct.group_account_id).in_(account_ids))
    )
    allowed: dict[tuple[int, int], set[int]] = defaultdict(set)
    for account_id, product_id, class_id in (await session.execute(stmt)).all():
        classes = allowed[(account_id, product_id)]
        if class_id is not None:
            classes.add(class_id)
    return {key: frozenset(classes) or None for key, classes in allowed.items()}


async def _tiers(
    session: AsyncSession, product_ids: set[int]
) -> dict[int, frozenset[CoverageTier]]:
    stmt = sa.select(col(ProductCoverageTier.product_id), col(ProductCoverageTier.tier)).where(
        col(ProductCoverageTier.product_id).in_(product_ids)
    )
    tiers: dict[int, set[CoverageTier]] = defaultdict(set)
    for product_id, tier in (await session.execute(stmt)).all():
        tiers[product_id].add(tier)
    return {key: frozenset(value) for key, value in tiers.items()}


async def _codes(session: AsyncSession, product_ids: set[int]) -> dict[int, str]:
    stmt = sa.select(col(Product.id), col(Product.code)).where(col(Product.id).in_(product_ids))
    return dict((await session.execute(stmt)).all())  # type: ignore[arg-type]


async def _account_ends(session: AsyncSession, account_ids: set[int]) -> dict[int, date | None]:
    stmt = sa.select(col(GroupAccount.id), col(GroupAccount.end_date)).where(
        col(GroupAccount.id).in_(account_ids)
    )
    return dict((await session.execute(stmt)).all())  # type: ignore[arg-type]


async def _elsewhere(
    session: AsyncSession, person_ids: set[int], policy_id: int | None
) -> list[Coverage]:
    """The products these persons have on other policies, and when."""
    if not person_ids:
        return []
    stmt = (
        sa.select(PolicyMember, EnrollmentProduct, col(Policy.number))
        .join(EnrollmentProduct, col(EnrollmentProduct.policy_id) == PolicyMember.policy_id)
        .join(Policy, col(Policy.id) == PolicyMember.policy_id)
        .where(col(PolicyMember.person_id).in_(person_ids))
    )
    if policy_id is not None:
        stmt = stmt.where(col(PolicyMember.policy_id) != policy_id)
    found = []
    for member, product, number in (await session.execute(stmt)).all():
        shared = of(member).intersection(of(product))
        if shared is not None:
            found.append(Coverage(member.person_id, product.product_id, shared, number))
    return found


def policy_snapshot(policy: Policy, rows: PolicyRows) -> dict[str, Any]:
    """The policy with its dated rows, as the audit trail keeps it."""
    return {
        **snapshot(policy),
        "members": [snapshot(row) for row in rows.members],
        "account_links": [snapshot(row) for row in rows.accounts],
        "class_links": [snapshot(row) for row in rows.classes],
        "enrollment_products": [snapshot(row) for row in rows.products],
    }


async def audit_policy(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    policy: Policy,
    rows: PolicyRows,
    before: dict[str, Any] | None,
) -> None:
    """Record a change to a policy and its rows; a changed policy's version moves on."""
    if before is not None:  # a change to any row of the policy is a change to the policy
        policy.updated_at = utcnow()
    await session.flush()
    await record(
        session,
        actor=actor,
        action=action,
        entity=policy,
        before=before,
        after=policy_snapshot(policy, rows),
    )
