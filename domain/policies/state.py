"""A policy's dated rows and the facts they are checked against, read from the database.

A change to a policy goes through domain.core.changes, whose snapshot of the policy (the
`Policy` declaration in domain.policies.reach) loads these rows: `rows_of` hands the change
those very rows, and `settle` records the state they are left in, so no change loads them
twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import RowScope
from domain.audit.service import snapshot
from domain.core.changes import Change
from domain.core.columns import utcnow
from domain.core.periods import of
from domain.core.reach import visible
from domain.groups.models import (
    GroupAccount,
    GroupAccountProduct,
    GroupAccountProductClass,
    InsurableClass,
)
from domain.policies.checks import AccountEnd, Coverage, Facts, PolicyRows
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
    scope: RowScope,
    policy_id: int | None,
    persons: Iterable[Person] = (),
) -> Facts:
    """Load what `rows` are checked against: persons, offers, tiers, other coverage.

    `persons` are those the actor named or described themselves; of any other row, `scope`
    (the actor's) decides whether a message may show it (see checks.Facts).
    """
    birth_dates = {p.id: p.birth_date for p in persons if p.id is not None}
    person_ids = {m.person_id for m in rows.members} - birth_dates.keys()
    hidden: set[int] = set()
    if person_ids:
        found = await session.execute(
            sa.select(col(Person.id), col(Person.birth_date), seen(scope, Person)).where(
                col(Person.id).in_(person_ids)
            )
        )
        for person_id, born, shown in found.all():
            birth_dates[person_id] = born
            if not shown:
                hidden.add(person_id)
    account_ids = {link.group_account_id for link in rows.accounts}
    product_ids = {p.product_id for p in rows.products}
    return Facts(
        birth_dates=birth_dates,  # type: ignore[arg-type]
        hidden_persons=frozenset(hidden),
        class_account=await _class_accounts(session, account_ids, rows),
        offers=await _offers(session, account_ids),
        tiers=await _tiers(session, product_ids),
        product_codes=await _codes(session, product_ids),
        account_ends=await _account_ends(session, account_ids, scope),
        elsewhere=await _elsewhere(session, {m.person_id for m in rows.members}, policy_id, scope),
        child_max_age=limits.child_max_age,
        today=limits.today(),
    )


async def tier_facts(session: AsyncSession, rows: PolicyRows) -> Facts:
    """Only what the tier rule needs: the tiers each product is sold in, and its code."""
    product_ids = {p.product_id for p in rows.products}
    return Facts(
        birth_dates={},
        class_account={},
        offers={},
        tiers=await _tiers(session, product_ids),
        product_codes=await _codes(session, product_ids),
        account_ends={},
    )


def seen(scope: RowScope, model: type) -> Any:
    """A column telling whether the scope reaches the row: one statement, no row checked alone."""
    return sa.case((visible(scope, model), sa.literal(1)), else_=sa.literal(0)).label("seen")


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


async def _account_ends(
    session: AsyncSession, account_ids: set[int], scope: RowScope
) -> dict[int, AccountEnd]:
    stmt = sa.select(
        col(GroupAccount.id), col(GroupAccount.end_date), seen(scope, GroupAccount)
    ).where(col(GroupAccount.id).in_(account_ids))
    found = (await session.execute(stmt)).all()
    return {account_id: AccountEnd(ends, bool(shown)) for account_id, ends, shown in found}


async def _elsewhere(
    session: AsyncSession, person_ids: set[int], policy_id: int | None, scope: RowScope
) -> list[Coverage]:
    """The products these persons have on other policies, and when; the policy's number
    only when the scope reaches it."""
    if not person_ids:
        return []
    number = sa.case((visible(scope, Policy), col(Policy.number)), else_=sa.null())
    stmt = (
        sa.select(PolicyMember, EnrollmentProduct, number)
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


async def policy_state(session: AsyncSession, policy: Policy) -> dict[str, Any]:
    """The policy's snapshot for the write path; keeps the rows it loaded for `rows_of`."""
    rows = await policy_rows(session, policy.id)  # type: ignore[arg-type]
    session.info.setdefault(_LOADED, {})[policy.id] = rows
    return policy_snapshot(policy, rows)


_LOADED = "policy_rows_of_changes"


def rows_of(change: Change[Policy]) -> PolicyRows:
    """The policy's rows as the change's snapshot loaded them (the same objects)."""
    loaded: dict[int, PolicyRows] = change.session.info.get(_LOADED, {})
    return loaded.pop(change.row.id)  # type: ignore[arg-type]


async def settle(change: Change[Policy], rows: PolicyRows) -> None:
    """Record the rows as the change leaves them; a change to any of them moves the policy's
    version on."""
    await settle_all([(change, rows)])


async def settle_all(changes: list[tuple[Change[Policy], PolicyRows]]) -> None:
    """`settle` many changes, flushing once."""
    for change, _ in changes:
        if change.before is not None:  # a new policy starts at its first version
            change.row.updated_at = utcnow()
    await changes[0][0].session.flush()
    for change, rows in changes:
        change.after = policy_snapshot(change.row, rows)
