"""Who a caller is insured as, and where their policies are placed: what `me` reads.

Every statement takes the caller's scope and asks the reach registry (`visible`), as every list
and loader does: a caller's own person and policies are theirs because their scope reaches them,
never because of who they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import RowScope
from domain.core.paging import table_of
from domain.core.periods import in_force
from domain.core.reach import visible
from domain.groups.models import GroupAccount, InsurableClass
from domain.policies.models import Person, Policy, PolicyAccountLink, PolicyClassLink, PolicyMember


async def person_by_number(session: AsyncSession, number: str, *, scope: RowScope) -> Any | None:
    """The person with this number, if `scope` reaches them."""
    stmt = sa.select(table_of(Person)).where(
        col(Person.person_number) == number, visible(scope, Person)
    )
    return (await session.execute(stmt)).first()


async def policies_insuring(session: AsyncSession, number: str, *, scope: RowScope) -> list[Any]:
    """The policies `scope` reaches on which the person with this number is or was insured,
    in creation order."""
    insured = (
        sa.select(col(PolicyMember.policy_id))
        .join(Person, col(Person.id) == col(PolicyMember.person_id))
        .where(col(Person.person_number) == number)
    )
    stmt = (
        sa.select(table_of(Policy))
        .where(col(Policy.id).in_(insured), visible(scope, Policy))
        .order_by(col(Policy.id))
    )
    return list((await session.execute(stmt)).all())


@dataclass(frozen=True)
class Placement:
    """The names of the group account and insurable class a policy is in on a day."""

    group_account: str | None = None
    insurable_class: str | None = None


async def placements(
    session: AsyncSession, policy_ids: list[int], day: date, *, scope: RowScope
) -> dict[int, Placement]:
    """Where each policy `scope` reaches is placed on `day`: the names of its account and
    class, each when `scope` reaches it too (a group manager reads the history of a policy that
    moved to another employer, not the other employer's account; an employee's scope reaches
    the accounts of their own policies: see domain.groups.reach). Two statements for any
    number of policies."""
    accounts = await _names(session, PolicyAccountLink, GroupAccount, policy_ids, day, scope)
    classes = await _names(session, PolicyClassLink, InsurableClass, policy_ids, day, scope)
    return {
        i: Placement(group_account=accounts.get(i), insurable_class=classes.get(i))
        for i in policy_ids
    }


async def _names(
    session: AsyncSession, link: Any, target: Any, ids: list[int], day: date, scope: RowScope
) -> dict[int, str]:
    target_id = link.group_account_id if target is GroupAccount else link.insurable_class_id
    stmt = (
        sa.select(col(link.policy_id), col(target.name))
        .join(target, col(target.id) == target_id)
        .where(
            col(link.policy_id).in_(ids),
            visible(scope, link),
            visible(scope, target),
            in_force(link, day),
        )
    )
    return {policy_id: name for policy_id, name in (await session.execute(stmt)).all()}
