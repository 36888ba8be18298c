"""Who a campaign concerns: the affected members, counted per group client in one statement.

A member is affected when they are insured on a policy in force on the day asked, linked then
to an account of the client's tree, with a fill of one of the event's drugs in the months
before the event (for a drug event), one of the products asked (if any), and of the age asked.
A member belongs to the top of the tree their account hangs in: a campaign asks the employer,
not one of its departments. Everything is within the reach of whoever recorded the event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from authz.access import RowScope
from domain.campaigns.models import ClaimsSummary, Drug, MarketEvent
from domain.core.periods import in_force
from domain.groups import reach as groups
from domain.groups.models import GroupAccount, GroupClient
from domain.policies import reach as policies
from domain.policies.models import (
    EnrollmentProduct,
    Person,
    Policy,
    PolicyAccountLink,
    PolicyMember,
)
from domain.reference.models import LineOfBusiness, Product


@dataclass(frozen=True)
class Rule:
    """What a campaign definition asks of a member, with the event's drugs and products."""

    drug_codes: tuple[str, ...]
    product_codes: tuple[str, ...]
    fill_months: int
    min_age: int | None
    max_age: int | None
    event_date: date


@dataclass(frozen=True)
class Affected:
    """A group client's count of affected members, its size and its line of business."""

    group_client_id: int
    members: int
    size: int
    line_of_business: str


def _months_before(day: date, months: int) -> date:
    month = day.month - 1 - months
    year = day.year + month // 12
    return date(year, month % 12 + 1, min(day.day, 28))


def _years_before(day: date, years: int) -> date:
    return day.replace(year=day.year - years, day=min(day.day, 28))


def _roots() -> Any:
    """Every group client with the top of its tree."""
    top: Any = sa.select(
        col(GroupClient.id).label("id"), col(GroupClient.id).label("root_id")
    ).where(col(GroupClient.parent_id).is_(None))
    tree = top.cte("client_root", recursive=True)
    below = sa.select(col(GroupClient.id), tree.c.root_id).where(
        col(GroupClient.parent_id) == tree.c.id
    )
    return tree.union_all(below)


def _members(scope: RowScope, rule: Rule, covered_on: date, *columns: Any) -> sa.Select[Any]:
    """The affected members (one row per member, policy and drug), with `columns`."""
    roots = _roots()
    root = aliased(GroupClient)
    stmt = (
        sa.select(roots.c.root_id, *columns)
        .select_from(PolicyMember)
        .join(Policy, col(Policy.id) == col(PolicyMember.policy_id))
        .join(Person, col(Person.id) == col(PolicyMember.person_id))
        .join(PolicyAccountLink, col(PolicyAccountLink.policy_id) == col(Policy.id))
        .join(GroupAccount, col(GroupAccount.id) == col(PolicyAccountLink.group_account_id))
        .join(roots, roots.c.id == col(GroupAccount.group_client_id))
        .join(root, root.id == roots.c.root_id)
        .where(
            # Affected on the event's date, and still covered on the day asked.
            in_force(PolicyMember, rule.event_date),
            in_force(PolicyMember, covered_on),
            in_force(PolicyAccountLink, covered_on),
            policies.policies(scope),
            groups.clients(scope, root),
        )
    )
    if rule.drug_codes:
        since = _months_before(rule.event_date, rule.fill_months)
        stmt = (
            stmt.join(ClaimsSummary, col(ClaimsSummary.person_id) == col(Person.id))
            .join(Drug, col(Drug.id) == col(ClaimsSummary.drug_id))
            .where(col(Drug.code).in_(rule.drug_codes), col(ClaimsSummary.last_fill_date) >= since)
        )
    if rule.product_codes:
        products = (
            sa.select(col(EnrollmentProduct.policy_id))
            .join(Product, col(Product.id) == col(EnrollmentProduct.product_id))
            .where(
                col(Product.code).in_(rule.product_codes), in_force(EnrollmentProduct, covered_on)
            )
        )
        stmt = stmt.where(col(Policy.id).in_(products))
    if rule.min_age is not None:
        stmt = stmt.where(col(Person.birth_date) <= _years_before(rule.event_date, rule.min_age))
    if rule.max_age is not None:
        oldest = _years_before(rule.event_date, rule.max_age + 1)
        stmt = stmt.where(col(Person.birth_date) > oldest)
    return stmt


async def count_affected(session: AsyncSession, *, scope: RowScope, rule: Rule) -> list[Affected]:
    """Each group client with affected members on the event's date: one aggregate statement
    for the counts, one for the sizes of those clients."""
    found = _members(scope, rule, rule.event_date, col(Person.id).label("person_id")).subquery()
    counts: dict[int, int] = dict(
        (
            await session.execute(
                sa.select(found.c.root_id, sa.func.count(sa.distinct(found.c.person_id)))
                .group_by(found.c.root_id)
                .order_by(found.c.root_id)
            )
        ).all()
    )
    if not counts:
        return []
    return [
        Affected(client, counts[client], size, line)
        for client, size, line in await _sizes(session, list(counts), rule.event_date)
    ]


async def _sizes(session: AsyncSession, clients: list[int], day: date) -> list[Any]:
    roots = _roots()
    stmt = (
        sa.select(
            col(GroupClient.id),
            sa.func.count(sa.distinct(col(PolicyAccountLink.policy_id))),
            col(LineOfBusiness.code),
        )
        .select_from(GroupClient)
        .join(LineOfBusiness, col(LineOfBusiness.id) == col(GroupClient.line_of_business_id))
        .join(roots, roots.c.root_id == col(GroupClient.id))
        .outerjoin(GroupAccount, col(GroupAccount.group_client_id) == roots.c.id)
        .outerjoin(
            PolicyAccountLink,
            sa.and_(
                col(PolicyAccountLink.group_account_id) == col(GroupAccount.id),
                in_force(PolicyAccountLink, day),
            ),
        )
        .where(col(GroupClient.id).in_(clients))
        .group_by(col(GroupClient.id), col(LineOfBusiness.code))
        .order_by(col(GroupClient.id))
    )
    return list((await session.execute(stmt)).all())


@dataclass(frozen=True)
class Addressee:
    """A member a letter goes to, with what the merge gives the template."""

    person_id: int
    policy_id: int
    policy_number: str
    name: str
    drug: str


async def still_covered(
    session: AsyncSession,
    *,
    scope: RowScope,
    rule: Rule,
    group_client_id: int,
    day: date,
    skip: Any,
    limit: int,
) -> list[Addressee]:
    """Up to `limit` affected members of a client still covered on `day`, but those `skip`
    (a select of person ids) names; one row per member, their first policy and drug."""
    found = _members(
        scope, rule, day,
        col(Person.id).label("person_id"), col(Policy.id).label("policy_id"),
        col(Policy.number).label("number"), col(Person.given_name).label("given"),
        col(Person.family_name).label("family"),
        (col(Drug.name) if rule.drug_codes else sa.literal("")).label("drug"),
    ).subquery()  # fmt: skip
    stmt = (
        sa.select(
            found.c.person_id, sa.func.min(found.c.policy_id), sa.func.min(found.c.number),
            sa.func.min(found.c.given), sa.func.min(found.c.family), sa.func.min(found.c.drug),
        )
        .where(found.c.root_id == group_client_id, found.c.person_id.not_in(skip))
        .group_by(found.c.person_id)
        .order_by(found.c.person_id)
        .limit(limit)
    )  # fmt: skip
    return [
        Addressee(person, policy, number, f"{given} {family}", drug)
        for person, policy, number, given, family, drug in (await session.execute(stmt)).all()
    ]


def rule_of(event: MarketEvent, fill_months: int, product_codes: list[str],
            min_age: int | None, max_age: int | None) -> Rule:  # fmt: skip
    """A definition's audience rule for an event: the event's drugs, and its products or else
    the definition's."""
    return Rule(
        drug_codes=tuple(event.drug_codes),
        product_codes=tuple(event.product_codes or product_codes),
        fill_months=fill_months,
        min_age=min_age,
        max_age=max_age,
        event_date=event.effective_date,
    )
