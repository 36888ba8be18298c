"""Counts of policies and insured members, joiners and leavers, grouped, in one statement.

The unit counted is a member row (a person's period on a policy). Each row is looked at on
up to three days: `as_of` (counted in `policies` and `members` when in force then), its first
day (a joiner when that falls in the range) and its last day (a leaver when that falls in
the range). Its group keys are read on that same day: a joiner counts in the account and
product they joined, a leaver in those they left. A policy with two products in force counts
under each product when grouped by PRODUCT or COVERAGE_TIER. Only ids, codes and bands come
out: no name, birth date or other personal field.

Grouped by keys of the policy only (or none), the statement counts each day in a part of its
own and adds the parts up. Members in force are counted per policy first, so the policy's
keys are joined to one row a policy and `policies` is a plain count. No part counts a member
twice in a group, so none needs COUNT(DISTINCT) and PostgreSQL hashes the groups: a policy
has one account link a day (the write path refuses overlapping links), and of two products
in force with the same keys on a day (two of one tier; the same product twice) only the
first is joined. Grouped by a member's relationship or age band, one policy's members may
fall in several groups: then one pass over the three days' rows counts distinct policies and
members, which measured faster there (bench/README.md, "Reports: the statement in parts").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import RowScope
from domain.core.periods import in_force
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
from domain.reports.groupings import (
    AGE_BANDS,
    OLDEST_BAND,
    MembershipFilter,
    MembershipKey,
    MembershipRow,
)
from domain.reports.ranges import DayRange, keys
from domain.reports.sql import younger_than

KINDS = ("policies", "members", "joiners", "leavers")
"""The figures, in the order each part of the statement gives them."""
MEMBER_KEYS = frozenset({MembershipKey.RELATIONSHIP, MembershipKey.AGE_BAND})
"""Keys of a member rather than of their policy."""


@dataclass(frozen=True)
class _Ask:
    """What one call counts, as each part of the statement needs it."""

    scope: RowScope
    as_of: date
    period: DayRange
    group_by: tuple[MembershipKey, ...]
    admitted: Any
    """The accounts the filter admits (`_admitted`), or None."""


class _Part:
    """Member rows, each with the day it is looked at (`day`, a value or a column), joined to
    what the keys, the reach and the filter read on that day, and grouped by the keys."""

    def __init__(self, ask: _Ask, day: Any, policy_id: Any, source: Any) -> None:
        self.ask, self.day, self.policy_id, self.source = ask, day, policy_id, source
        self.keys: dict[MembershipKey, Any] = {}
        self.where: list[Any] = []
        self.reached = ask.scope.everything
        self.distinct = False
        """Whether the figures count distinct rows: then a second product of a tier may join."""

    def member_keys(self, relationship: Any, born: Any) -> None:
        """The keys read from the member row and their person (a join the caller makes)."""
        self.keys[MembershipKey.RELATIONSHIP] = relationship
        if born is not None:
            bands = ((younger_than(born, self.day, limit), name) for limit, name in AGE_BANDS)
            self.keys[MembershipKey.AGE_BAND] = sa.case(*bands, else_=OLDEST_BAND)

    def select(self, counts: list[Any]) -> Any:
        """The part's rows: its keys in the order asked, then the four figures."""
        stmt = self._policy_keys(sa.select().select_from(self.source))
        group_by = self.ask.group_by
        columns = [self.keys[key].label(key.value.lower()) for key in group_by]
        figures = [count.label(name) for count, name in zip(counts, KINDS, strict=True)]
        stmt = stmt.add_columns(*columns, *figures).where(*self.where)
        grouped = [self.keys[key] for key in group_by]
        return stmt.group_by(*grouped) if grouped else stmt

    def _policy_keys(self, stmt: Any) -> Any:
        ask, keys = self.ask, set(self.ask.group_by)
        accounts = {MembershipKey.GROUP_CLIENT, MembershipKey.GROUP_ACCOUNT} & keys
        if accounts or ask.admitted is not None:
            link: Any = sa.orm.aliased(PolicyAccountLink, name="link")
            stmt = stmt.outerjoin(
                link, sa.and_(link.policy_id == self.policy_id, in_force(link, self.day))
            )
            self.keys[MembershipKey.GROUP_ACCOUNT] = link.group_account_id
            if ask.admitted is not None:
                self.where.append(link.group_account_id.in_(ask.admitted))
            if MembershipKey.GROUP_CLIENT in keys:
                account = sa.orm.aliased(GroupAccount, name="account")
                stmt = stmt.outerjoin(account, account.id == link.group_account_id)
                self.keys[MembershipKey.GROUP_CLIENT] = account.group_client_id
        if {MembershipKey.PRODUCT, MembershipKey.COVERAGE_TIER} & keys:
            stmt = self._products(stmt)
        if not self.reached or MembershipKey.LINE_OF_BUSINESS in keys:
            # Every member has its policy: the join only filters by reach or reads the line.
            stmt = stmt.join(Policy, col(Policy.id) == self.policy_id)
            self.where.append(visible(ask.scope, Policy))
            self.keys[MembershipKey.LINE_OF_BUSINESS] = col(Policy.line_of_business_id)
        return stmt

    def _products(self, stmt: Any) -> Any:
        """The products in force on the day; when counting rows, of two with the same keys
        (two of one tier, or the same product twice) only the first, so that the member
        counts once in that group."""
        product: Any = sa.orm.aliased(EnrollmentProduct, name="product")
        twin: Any = sa.orm.aliased(EnrollmentProduct, name="twin")
        read = {MembershipKey.PRODUCT: "product_id", MembershipKey.COVERAGE_TIER: "coverage_tier"}
        earlier = sa.and_(
            twin.policy_id == product.policy_id,
            *(
                getattr(twin, c) == getattr(product, c)
                for k, c in read.items()
                if k in self.ask.group_by
            ),
            twin.id < product.id,
            in_force(twin, self.day),
        )
        once = not self.distinct
        if isinstance(self.day, sa.BindParameter):
            # One day for every row: leave the later twins out once, before the join.
            rows = sa.select(product).where(in_force(product, self.day))
            rows = rows.where(~sa.exists().where(earlier)) if once else rows
            found = rows.subquery("product")
            stmt = stmt.outerjoin(found, found.c.policy_id == self.policy_id)
            product = found.c
        else:
            on = sa.and_(product.policy_id == self.policy_id, in_force(product, self.day))
            stmt = stmt.outerjoin(product, on)
            if once:
                stmt = stmt.outerjoin(twin, earlier)
                self.where.append(twin.id.is_(None))
        self.keys[MembershipKey.PRODUCT] = product.product_id
        self.keys[MembershipKey.COVERAGE_TIER] = product.coverage_tier
        return stmt


def _in_force(ask: _Ask) -> Any:
    """Policies and members in force on as_of (no member keys): members counted per policy
    first, out of reach left out before counting, then the policy's keys on that day."""
    m: Any = sa.orm.aliased(PolicyMember, name="member")
    day = sa.literal(ask.as_of, sa.Date)
    rows = sa.select(m.policy_id, sa.func.count().label("n")).where(in_force(m, day))
    if not ask.scope.everything:
        reached = sa.select(col(Policy.id)).where(visible(ask.scope, Policy))
        rows = rows.where(m.policy_id.in_(reached))
    per_policy = rows.group_by(m.policy_id).subquery("per_policy")
    part = _Part(ask, day, per_policy.c.policy_id, per_policy)
    part.reached = True
    zero = sa.literal(0)
    return part.select([sa.func.count(), sa.func.sum(per_policy.c.n), zero, zero])


def _moved(ask: _Ask, kind: str) -> Any:
    """Joiners (`kind` "joined", read on their first day) or leavers (on their last), when
    grouped by keys of the policy only."""
    m: Any = sa.orm.aliased(PolicyMember, name="member")
    day = m.start_date if kind == "joined" else m.end_date
    part = _Part(ask, day, m.policy_id, m)
    part.where.append(day.between(ask.period.start, ask.period.end))
    zero, count = sa.literal(0), sa.func.count()
    return part.select([zero, zero, count, zero] if kind == "joined" else [zero, zero, zero, count])


def _one_pass(ask: _Ask) -> Any:
    """Every day's member rows in one pass, counted distinct (for member keys)."""
    m = PolicyMember

    def rows(day: Any, kind: str, where: Any) -> Any:
        return sa.select(
            col(m.id).label("member_id"),
            col(m.policy_id).label("policy_id"),
            col(m.person_id).label("person_id"),
            col(m.relationship).label("relationship"),
            sa.type_coerce(day, sa.Date).label("day"),
            sa.literal(kind).label("kind"),
        ).where(where)

    start, end = ask.period.start, ask.period.end
    facts = sa.union_all(
        rows(sa.literal(ask.as_of, sa.Date), "in_force", in_force(m, ask.as_of)),
        rows(col(m.start_date), "joined", col(m.start_date).between(start, end)),
        rows(col(m.end_date), "left", col(m.end_date).between(start, end)),
    ).subquery("facts")
    source: Any = facts
    born = None
    if MembershipKey.AGE_BAND in ask.group_by:
        person: Any = sa.orm.aliased(Person, name="person")
        source, born = facts.join(person, person.id == facts.c.person_id), person.birth_date
    part = _Part(ask, facts.c.day, facts.c.policy_id, source)
    part.distinct = True
    part.member_keys(facts.c.relationship, born)

    def distinct(kind: str, column: str) -> Any:
        return sa.func.count(sa.distinct(sa.case((facts.c.kind == kind, facts.c[column]))))

    return part.select(
        [
            distinct("in_force", "policy_id"),
            distinct("in_force", "member_id"),
            distinct("joined", "member_id"),
            distinct("left", "member_id"),
        ]
    )


def _admitted(given: MembershipFilter, groups_scope: RowScope) -> Any:
    """The accounts the filter admits (a select of ids), or None without a filter. Built
    once a statement: each part reuses it, and with it the client subtree's CTE."""
    conditions = []
    if given.group_account_id is not None:
        conditions.append(col(GroupAccount.id) == given.group_account_id)
        conditions.append(visible(groups_scope, GroupAccount))
    if given.group_client_id is not None:
        clients = subtree_ids(given.group_client_id, visible=visible(groups_scope, GroupClient))
        conditions.append(col(GroupAccount.group_client_id).in_(clients))
    return sa.select(col(GroupAccount.id)).where(*conditions) if conditions else None


def membership_statement(
    *,
    scope: RowScope,
    groups_scope: RowScope,
    as_of: date,
    period: DayRange,
    group_by: tuple[MembershipKey, ...],
    given: MembershipFilter,
) -> Any:
    """The one statement of `membership_stats`: its parts' figures added up by key."""
    ask = _Ask(scope, as_of, period, group_by, _admitted(given, groups_scope))
    if MEMBER_KEYS & set(group_by):
        parts = _one_pass(ask)
    else:
        parts = sa.union_all(_in_force(ask), _moved(ask, "joined"), _moved(ask, "left"))
    facts = parts.subquery("parts")
    columns = [facts.c[key.value.lower()] for key in group_by]
    sums = [
        sa.cast(sa.func.coalesce(sa.func.sum(facts.c[name]), 0), sa.Integer).label(name)
        for name in KINDS
    ]
    stmt = sa.select(*columns, *sums)
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
