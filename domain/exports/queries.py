"""Reading what a group's export holds on a day: its policies, members, persons, placements and
products, within the caller's reach, in a fixed number of statements for any number of policies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import RowScope
from domain.audit.models import AuditEvent
from domain.core.paging import table_of
from domain.core.periods import in_force
from domain.core.reach import visible
from domain.database import among
from domain.groups.models import GroupAccount, GroupClient, InsurableClass
from domain.policies.models import (
    EnrollmentProduct,
    Policy,
    PolicyAccountLink,
    PolicyClassLink,
)
from domain.policies.queries import PolicyFilter, members_with_persons
from domain.reference.models import CoverageTier, Product, ProductKind


@dataclass(frozen=True)
class Placed:
    """A policy's group account and insurable class on the day, as code and name."""

    account: tuple[str, str] | None = None
    insurable_class: tuple[str, str] | None = None
    products: list[tuple[str, str]] = field(default_factory=list)
    """The (code, name) of each product the policy has on the day."""


@dataclass(frozen=True)
class Enrolled:
    """A product a policy has: its code and kind, the tier and the period."""

    code: str
    kind: ProductKind
    tier: CoverageTier
    start_date: date
    end_date: date | None


@dataclass(frozen=True)
class Family:
    """One policy in force on the day, its members in force with their persons, where it is."""

    policy: Any
    members: list[tuple[Any, Any]]
    placed: Placed
    enrolled: list[Enrolled] = field(default_factory=list)
    """The products in force on the day (or, for the changes since a day, in that time)."""


async def families_of(
    session: AsyncSession,
    *,
    client: GroupClient,
    as_of: date,
    scope: RowScope,
    groups_scope: RowScope,
    since: date | None = None,
) -> list[Family]:
    """The policies in force on `as_of` in the client's subtree that `scope` reaches, with the
    members in force that day; six statements for any number of policies.

    With `since`, the policies, members and products in force on some day from `since` to
    `as_of` instead (what a file of the changes since a day is made of).
    """
    first = as_of if since is None else since
    criteria = PolicyFilter(group_client_id=client.id, as_of=as_of if since is None else None)
    stmt = criteria.select(scope, groups_scope=groups_scope)
    if since is not None:  # ever in the group, and in force some day of the time
        stmt = stmt.where(overlapping(Policy, first, as_of))
    policies = list((await session.execute(stmt)).scalars())
    ids = [policy.id for policy in policies]
    if not ids:
        return []
    members = await members_with_persons(session, ids, scope=scope)
    accounts = await _placements(session, PolicyAccountLink, GroupAccount, ids, as_of, scope)
    classes = await _placements(session, PolicyClassLink, InsurableClass, ids, as_of, scope)
    products = await _products(session, ids, (first, as_of), scope)
    return [
        Family(
            policy=policy,
            members=[(m, p) for m, p in members.get(policy.id, []) if _meets(m, first, as_of)],
            placed=Placed(
                account=accounts.get(policy.id),
                insurable_class=classes.get(policy.id),
                products=[(e.code, name) for e, name in products.get(policy.id, [])],
            ),
            enrolled=[e for e, _ in products.get(policy.id, [])],
        )
        for policy in policies
    ]


def overlapping(model: Any, first: date, last: date) -> Any:
    """Rows of `model` in force on some day from `first` to `last`."""
    return sa.and_(
        col(model.start_date) <= last,
        sa.or_(col(model.end_date).is_(None), col(model.end_date) >= first),
    )


def _meets(row: Any, first: date, last: date) -> bool:
    return row.start_date <= last and (row.end_date is None or row.end_date >= first)


async def _placements(
    session: AsyncSession, link: Any, target: Any, ids: list[int], day: date, scope: RowScope
) -> dict[int, tuple[str, str]]:
    """The (code, name) of the account or class each policy is linked to on `day`."""
    target_id = link.group_account_id if target is GroupAccount else link.insurable_class_id
    stmt = (
        sa.select(col(link.policy_id), col(target.code), col(target.name))
        .join(target, col(target.id) == target_id)
        .where(
            among(session, col(link.policy_id), ids),
            visible(scope, link),
            visible(scope, target),
            in_force(link, day),
        )
    )
    return {policy_id: (code, name) for policy_id, code, name in await session.execute(stmt)}


async def _products(
    session: AsyncSession, ids: list[int], days: tuple[date, date], scope: RowScope
) -> dict[int, list[tuple[Enrolled, str]]]:
    """The products each policy has on some day of `days` with their names, in enrolment
    order."""
    product, row = table_of(Product), EnrollmentProduct
    stmt = (
        sa.select(
            col(row.policy_id),
            product.c.code,
            product.c.name,
            product.c.kind,
            col(row.coverage_tier),
            col(row.start_date),
            col(row.end_date),
        )
        .join(product, product.c.id == col(row.product_id))
        .where(
            among(session, col(row.policy_id), ids),
            visible(scope, row),
            overlapping(row, *days),
        )
        .order_by(col(row.id))
    )
    found: dict[int, list[tuple[Enrolled, str]]] = {}
    for policy_id, code, name, kind, tier, start, end in await session.execute(stmt):
        enrolled = Enrolled(code, ProductKind(kind), CoverageTier(tier), start, end)
        found.setdefault(policy_id, []).append((enrolled, name))
    return found


async def changed_since(
    session: AsyncSession, families: list[Family], since: date
) -> frozenset[int]:
    """The policies among `families` the audit trail shows changed, or whose members' persons
    changed, on or after `since` (UTC); one statement."""
    persons: dict[int, set[int]] = {}
    for family in families:
        for _, person in family.members:
            persons.setdefault(person.id, set()).add(family.policy.id)
    policies = [family.policy.id for family in families]
    if not policies:
        return frozenset()
    kind, key = col(AuditEvent.entity_type), col(AuditEvent.entity_id)
    stmt = sa.select(kind, key).where(
        col(AuditEvent.occurred_at) >= datetime.combine(since, time(), tzinfo=UTC),
        sa.or_(
            sa.and_(kind == "Policy", among(session, key, policies)),
            sa.and_(kind == "Person", among(session, key, list(persons))),
        ),
    )
    found: set[int] = set()
    for entity, row_id in await session.execute(stmt):
        found |= {row_id} if entity == "Policy" else persons.get(row_id, set())
    return frozenset(found)
