"""Counts of policies and insured members, joiners and leavers, grouped, in one statement.

The unit counted is a member row (a person's period on a policy). Each row is looked at on
up to three days: `as_of` (counted in `policies` and `members` when in force then), its first
day (a joiner when that falls in the range) and its last day (a leaver when that falls in
the range). Its group keys are read on that same day: a joiner counts in the account and
product they joined, a leaver in those they left. A policy with two products in force counts
under each product when grouped by PRODUCT or COVERAGE_TIER. Only ids, codes and bands come
out: no name, birth date or other personal field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import RowScope
from domain.core.reach import visible
from domain.groups.models import GroupAccount, GroupClient
from domain.groups.queries import subtree_ids
from domain.policies.models import (
    EnrollmentProduct,
    Person,
    Policy,
    PolicyAccountLink,
    PolicyMember,
)
from domain.reports.ranges import DayRange, keys
from domain.reports.sql import younger_than


class MembershipKey(StrEnum):
    """What membership figures may be grouped by."""

    GROUP_CLIENT = "GROUP_CLIENT"
    GROUP_ACCOUNT = "GROUP_ACCOUNT"
    PRODUCT = "PRODUCT"
    COVERAGE_TIER = "COVERAGE_TIER"
    RELATIONSHIP = "RELATIONSHIP"
    LINE_OF_BUSINESS = "LINE_OF_BUSINESS"
    AGE_BAND = "AGE_BAND"


AGE_BANDS: tuple[tuple[int, str], ...] = (
    (18, "0-17"),
    (26, "18-25"),
    (36, "26-35"),
    (46, "36-45"),
    (56, "46-55"),
    (66, "56-65"),
)
"""Each band's first age past it, and its name; older is OLDEST_BAND."""
OLDEST_BAND = "66+"


def age_band(age: int) -> str:
    """The band of an age, as the statement computes it."""
    return next((name for limit, name in AGE_BANDS if age < limit), OLDEST_BAND)


@dataclass(frozen=True)
class MembershipFilter:
    """Which members to count: under a group client (its subtree) or in one account, on the
    day each is looked at. A client or account the caller may not see matches nothing."""

    group_client_id: int | None = None
    group_account_id: int | None = None


@dataclass(frozen=True)
class MembershipRow:
    """One group's figures; a key not grouped by is absent from `keys`."""

    keys: dict[MembershipKey, Any]
    policies: int
    members: int
    joiners: int
    leavers: int


def _facts(as_of: date, period: DayRange) -> Any:
    """Each member row once per day it is looked at, with what it counts as then."""
    m = PolicyMember

    def part(day: Any, kind: str, where: Any) -> Any:
        return sa.select(
            col(m.id).label("member_id"),
            col(m.policy_id).label("policy_id"),
            col(m.person_id).label("person_id"),
            col(m.relationship).label("relationship"),
            sa.type_coerce(day, sa.Date).label("day"),
            sa.literal(kind).label("kind"),
        ).where(where)

    in_force = sa.and_(
        col(m.start_date) <= as_of, sa.or_(col(m.end_date).is_(None), col(m.end_date) >= as_of)
    )
    return sa.union_all(
        part(sa.literal(as_of, sa.Date), "in_force", in_force),
        part(col(m.start_date), "joined", col(m.start_date).between(period.start, period.end)),
        part(col(m.end_date), "left", col(m.end_date).between(period.start, period.end)),
    ).subquery("facts")


def _on(table: Any, day: Any) -> Any:
    return sa.and_(table.start_date <= day, sa.or_(table.end_date.is_(None), table.end_date >= day))


@dataclass
class _Joins:
    """The tables a statement joins to the facts, each only when a key or filter needs it."""

    facts: Any
    link: Any = None
    account: Any = None
    product: Any = None
    person: Any = None

    def link_of(self) -> Any:
        if self.link is None:
            self.link = sa.orm.aliased(PolicyAccountLink, name="link")
        return self.link

    def account_of(self) -> Any:
        if self.account is None:
            self.link_of()
            self.account = sa.orm.aliased(GroupAccount, name="account")
        return self.account

    def product_of(self) -> Any:
        if self.product is None:
            self.product = sa.orm.aliased(EnrollmentProduct, name="product")
        return self.product

    def person_of(self) -> Any:
        if self.person is None:
            self.person = sa.orm.aliased(Person, name="person")
        return self.person

    def joined(self, stmt: Any) -> Any:
        f = self.facts
        if self.link is not None:
            on = sa.and_(self.link.policy_id == f.c.policy_id, _on(self.link, f.c.day))
            stmt = stmt.outerjoin(self.link, on)
        if self.account is not None:
            stmt = stmt.outerjoin(self.account, self.account.id == self.link.group_account_id)
        if self.product is not None:
            on = sa.and_(self.product.policy_id == f.c.policy_id, _on(self.product, f.c.day))
            stmt = stmt.outerjoin(self.product, on)
        if self.person is not None:
            stmt = stmt.join(self.person, self.person.id == f.c.person_id)
        return stmt


def _key(key: MembershipKey, joins: _Joins) -> Any:
    f = joins.facts
    if key is MembershipKey.GROUP_CLIENT:
        return joins.account_of().group_client_id
    if key is MembershipKey.GROUP_ACCOUNT:
        return joins.link_of().group_account_id
    if key is MembershipKey.PRODUCT:
        return joins.product_of().product_id
    if key is MembershipKey.COVERAGE_TIER:
        return joins.product_of().coverage_tier
    if key is MembershipKey.RELATIONSHIP:
        return f.c.relationship
    if key is MembershipKey.LINE_OF_BUSINESS:
        return col(Policy.line_of_business_id)
    born = joins.person_of().birth_date
    bands = ((younger_than(born, f.c.day, limit), name) for limit, name in AGE_BANDS)
    return sa.case(*bands, else_=OLDEST_BAND)


def _filtered(joins: _Joins, given: MembershipFilter, groups_scope: RowScope) -> Any:
    """The filter's condition on the account each fact is in on its day."""
    conditions = []
    if given.group_account_id is not None:
        link = joins.link_of()
        conditions.append(link.group_account_id == given.group_account_id)
        conditions.append(
            link.group_account_id.in_(
                sa.select(col(GroupAccount.id)).where(visible(groups_scope, GroupAccount))
            )
        )
    if given.group_client_id is not None:
        clients = subtree_ids(given.group_client_id, visible=visible(groups_scope, GroupClient))
        accounts = sa.select(col(GroupAccount.id)).where(
            col(GroupAccount.group_client_id).in_(clients)
        )
        conditions.append(joins.link_of().group_account_id.in_(accounts))
    return sa.and_(sa.true(), *conditions)


def _count(facts: Any, kind: str, column: str) -> Any:
    return sa.func.count(sa.distinct(sa.case((facts.c.kind == kind, facts.c[column]))))


def membership_statement(
    *,
    scope: RowScope,
    groups_scope: RowScope,
    as_of: date,
    period: DayRange,
    group_by: tuple[MembershipKey, ...],
    given: MembershipFilter,
) -> Any:
    """The one GROUP BY statement of `membership_stats`."""
    facts = _facts(as_of, period)
    joins = _Joins(facts)
    columns = [_key(key, joins).label(key.value.lower()) for key in group_by]
    condition = _filtered(joins, given, groups_scope)
    stmt = sa.select(
        *columns,
        _count(facts, "in_force", "policy_id").label("policies"),
        _count(facts, "in_force", "member_id").label("members"),
        _count(facts, "joined", "member_id").label("joiners"),
        _count(facts, "left", "member_id").label("leavers"),
    ).select_from(facts)
    if not scope.everything or MembershipKey.LINE_OF_BUSINESS in group_by:
        # Every member has its policy: the join only filters by reach or reads the line.
        stmt = stmt.join(Policy, col(Policy.id) == facts.c.policy_id)
    stmt = joins.joined(stmt).where(visible(scope, Policy), condition)
    if columns:
        stmt = stmt.group_by(*columns).order_by(*columns)
    return stmt


async def membership_stats(
    session: AsyncSession,
    *,
    scope: RowScope,
    groups_scope: RowScope,
    as_of: date,
    period: DayRange,
    group_by: list[MembershipKey],
    given: MembershipFilter,
) -> list[MembershipRow]:
    """The figures of each group of members the scope reaches, in one statement."""
    chosen = keys(group_by)
    stmt = membership_statement(
        scope=scope,
        groups_scope=groups_scope,
        as_of=as_of,
        period=period,
        group_by=chosen,
        given=given,
    )
    rows = (await session.execute(stmt)).all()
    return [
        MembershipRow(
            keys={key: getattr(row, key.value.lower()) for key in chosen},
            policies=row.policies,
            members=row.members,
            joiners=row.joiners,
            leavers=row.leavers,
        )
        for row in rows
        if chosen or row.policies or row.joiners or row.leavers
    ]
