"""Reading what a group's export holds on a day: its policies, members, persons, placements and
products, within the caller's reach, in a fixed number of statements for any number of policies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import RowScope
from domain.core.paging import table_of
from domain.core.periods import holds, in_force
from domain.core.reach import visible
from domain.database import among
from domain.groups.models import GroupAccount, GroupClient, InsurableClass
from domain.policies.models import EnrollmentProduct, PolicyAccountLink, PolicyClassLink
from domain.policies.queries import PolicyFilter, members_with_persons
from domain.reference.models import Product


@dataclass(frozen=True)
class Placed:
    """A policy's group account and insurable class on the day, as code and name."""

    account: tuple[str, str] | None = None
    insurable_class: tuple[str, str] | None = None
    products: list[tuple[str, str]] = field(default_factory=list)
    """The (code, name) of each product the policy has on the day."""


@dataclass(frozen=True)
class Family:
    """One policy in force on the day, its members in force with their persons, where it is."""

    policy: Any
    members: list[tuple[Any, Any]]
    placed: Placed


async def families_of(
    session: AsyncSession,
    *,
    client: GroupClient,
    as_of: date,
    scope: RowScope,
    groups_scope: RowScope,
) -> list[Family]:
    """The policies in force on `as_of` in the client's subtree that `scope` reaches, with the
    members in force that day; six statements for any number of policies."""
    criteria = PolicyFilter(group_client_id=client.id, as_of=as_of)
    policies = list(
        (await session.execute(criteria.select(scope, groups_scope=groups_scope))).scalars()
    )
    ids = [policy.id for policy in policies]
    if not ids:
        return []
    members = await members_with_persons(session, ids, scope=scope)
    accounts = await _placements(session, PolicyAccountLink, GroupAccount, ids, as_of, scope)
    classes = await _placements(session, PolicyClassLink, InsurableClass, ids, as_of, scope)
    products = await _products(session, ids, as_of, scope)
    return [
        Family(
            policy=policy,
            members=[(m, p) for m, p in members.get(policy.id, []) if holds(m, as_of)],
            placed=Placed(
                account=accounts.get(policy.id),
                insurable_class=classes.get(policy.id),
                products=products.get(policy.id, []),
            ),
        )
        for policy in policies
    ]


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
    session: AsyncSession, ids: list[int], day: date, scope: RowScope
) -> dict[int, list[tuple[str, str]]]:
    """The (code, name) of the products each policy has on `day`, in enrolment order."""
    product = table_of(Product)
    stmt = (
        sa.select(col(EnrollmentProduct.policy_id), product.c.code, product.c.name)
        .join(product, product.c.id == col(EnrollmentProduct.product_id))
        .where(
            among(session, col(EnrollmentProduct.policy_id), ids),
            visible(scope, EnrollmentProduct),
            in_force(EnrollmentProduct, day),
        )
        .order_by(col(EnrollmentProduct.id))
    )
    found: dict[int, list[tuple[str, str]]] = {}
    for policy_id, code, name in await session.execute(stmt):
        found.setdefault(policy_id, []).append((code, name))
    return found
