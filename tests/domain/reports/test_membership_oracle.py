"""membershipStats against counts made by paging through the lists, for random books and callers.

Hypothesis writes a random book (policies moving between accounts of two employers' trees,
members and products starting and ending on random days) and draws a random caller (any
role, random grants). The oracle pages through the policies list as that caller (the
domain's list, 3 a page), reads the rows of each policy found, and counts in plain Python:
a member row is looked at on asOf (in force: a policy and a member), on its first day when
that is in the range (a joiner) and on its last day when that is (a leaver), its keys read
on that day. Every figure of every group must be the oracle's.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from sqlmodel import col

from authz.access import GROUPS_READ, POLICIES_READ, Access
from domain.core.paging import Window
from domain.core.periods import holds
from domain.groups.models import GroupAccount
from domain.groups.queries import GroupClientFilter, list_group_clients
from domain.policies.models import EnrollmentProduct, Person, PolicyAccountLink, PolicyMember
from domain.policies.queries import PolicyFilter, list_policies
from domain.reports.groupings import MembershipFilter, MembershipKey, age_band
from domain.reports.membership import membership_stats
from domain.reports.ranges import day_range
from tests.domain.reports.scenarios import (
    CLIENTS,
    callers,
    day,
    policies,
    write_groups,
    write_policies,
)
from tests.factories import Book

PAGE = 3


async def _paged(fetch: Any) -> list[Any]:
    """Every row of a list, page after page."""
    rows: list[Any] = []
    after = None
    while True:
        page = await fetch(Window(first=PAGE, after=after))
        rows += page.rows
        if not page.has_next:
            return rows
        after = page.rows[-1].id


async def _rows_of(session: AsyncSession, model: Any, column: Any, ids: list[int]) -> list[Any]:
    if not ids:
        return []
    return list((await session.scalars(sa.select(model).where(column.in_(ids)))).all())


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


class Oracle:
    """The figures, counted from the rows of the policies the list shows."""

    def __init__(self, policies: list[Any], rows: dict[str, list[Any]], clients: dict[int, int]):
        self.policies = {p.id: p for p in policies}
        self.members = rows["members"]
        self.links = defaultdict(list)
        for link in rows["links"]:
            self.links[link.policy_id].append(link)
        self.products = defaultdict(list)
        for product in rows["products"]:
            self.products[product.policy_id].append(product)
        self.born = {p.id: p.birth_date for p in rows["persons"]}
        self.client_of = clients

    def account_on(self, policy_id: int, on: date) -> int | None:
        found = [lk.group_account_id for lk in self.links[policy_id] if holds(lk, on)]
        return found[0] if found else None

    def keys(self, member: Any, on: date, group_by: list[MembershipKey]) -> list[tuple[Any, ...]]:
        account = self.account_on(member.policy_id, on)
        products = [p for p in self.products[member.policy_id] if holds(p, on)] or [None]
        if not {MembershipKey.PRODUCT, MembershipKey.COVERAGE_TIER} & set(group_by):
            products = [None]
        values = {
            MembershipKey.GROUP_ACCOUNT: account,
            MembershipKey.GROUP_CLIENT: self.client_of.get(account) if account else None,
            MembershipKey.RELATIONSHIP: member.relationship,
            MembershipKey.LINE_OF_BUSINESS: self.policies[member.policy_id].line_of_business_id,
            MembershipKey.AGE_BAND: age_band(_age(self.born[member.person_id], on)),
        }
        out = []
        for product in products:
            values[MembershipKey.PRODUCT] = product.product_id if product else None
            values[MembershipKey.COVERAGE_TIER] = product.coverage_tier if product else None
            out.append(tuple(values[k] for k in group_by))
        return out

    def figures(
        self, as_of: date, start: date, end: date, group_by: list[MembershipKey], accounts: Any
    ) -> dict[tuple[Any, ...], tuple[int, int, int, int]]:
        sets: dict[tuple[Any, ...], list[set[int]]] = defaultdict(
            lambda: [set(), set(), set(), set()]
        )
        for m in self.members:
            looks = []
            if holds(m, as_of):
                looks.append((as_of, "in_force"))
            if start <= m.start_date <= end:
                looks.append((m.start_date, "joined"))
            if m.end_date is not None and start <= m.end_date <= end:
                looks.append((m.end_date, "left"))
            for on, kind in looks:
                if accounts is not None and self.account_on(m.policy_id, on) not in accounts:
                    continue
                for key in self.keys(m, on, group_by):
                    counted = sets[key]
                    if kind == "in_force":
                        counted[0].add(m.policy_id)
                        counted[1].add(m.id)
                    else:
                        counted[2 if kind == "joined" else 3].add(m.id)
        return {key: tuple(len(s) for s in counted) for key, counted in sets.items()}  # type: ignore[misc]


async def _filter_accounts(
    session: AsyncSession, access: Access, written: Any, client: str | None
) -> set[int] | None:
    """The accounts a filter by this client admits: none when the caller cannot list it."""
    if client is None:
        return None
    scope = access.scope(GROUPS_READ)
    listed = await _paged(
        lambda w: list_group_clients(session, scope=scope, criteria=GroupClientFilter(), window=w)
    )
    if written.clients[client] not in {c.id for c in listed}:
        return set()
    below = {"ROOT": ["ROOT", "CHILD"], "CHILD": ["CHILD"], "OTHER": ["OTHER"]}[client]
    return {written.accounts[f"{c}-GA"] for c in below}


scenario = st.fixed_dictionaries(
    {
        "policies": st.lists(policies, max_size=6),
        "caller": callers,
        "as_of": st.integers(0, 90),
        "start": st.integers(0, 70),
        "length": st.integers(0, 60),
        "group_by": st.lists(st.sampled_from(list(MembershipKey)), max_size=3, unique=True),
        "client": st.sampled_from([None, *CLIENTS]),
    }
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(drawn=scenario)
async def test_every_figure_is_what_paging_the_lists_counts(
    connection: AsyncConnection, sessions: async_sessionmaker[AsyncSession], drawn: dict[str, Any]
) -> None:
    savepoint = await connection.begin_nested()
    try:
        async with sessions() as session:
            # given
            book = await Book(session).setup()
            written = await write_groups(book)
            await write_policies(book, written, drawn["policies"])
            access = Access(drawn["caller"].principal(written.subscribers))
            as_of, start = day(drawn["as_of"]), day(drawn["start"])
            end = start + timedelta(days=drawn["length"])
            client = drawn["client"]
            # when
            found = await membership_stats(
                session,
                scope=access.scope(POLICIES_READ),
                groups_scope=access.scope(GROUPS_READ),
                as_of=as_of,
                period=day_range(start, end),
                group_by=drawn["group_by"],
                given=MembershipFilter(group_client_id=written.clients[client] if client else None),
            )
            # then
            expected = await _expected(session, access, written, drawn, (as_of, start, end))
        got = {
            tuple(row.keys[k] for k in drawn["group_by"]): (
                row.policies,
                row.members,
                row.joiners,
                row.leavers,
            )
            for row in found
        }
        assert got == expected
    finally:
        await savepoint.rollback()


async def _expected(
    session: AsyncSession, access: Access, written: Any, drawn: dict[str, Any], days: Any
) -> dict[tuple[Any, ...], tuple[int, int, int, int]]:
    scope, groups_scope = access.scope(POLICIES_READ), access.scope(GROUPS_READ)
    listed = await _paged(
        lambda w: list_policies(
            session, scope=scope, groups_scope=groups_scope, criteria=PolicyFilter(), window=w
        )
    )
    ids = [p.id for p in listed]
    members = await _rows_of(session, PolicyMember, col(PolicyMember.policy_id), ids)
    rows = {
        "members": members,
        "links": await _rows_of(session, PolicyAccountLink, col(PolicyAccountLink.policy_id), ids),
        "products": await _rows_of(
            session, EnrollmentProduct, col(EnrollmentProduct.policy_id), ids
        ),
        "persons": await _rows_of(session, Person, col(Person.id), [m.person_id for m in members]),
    }
    clients = dict(
        (await session.execute(sa.select(GroupAccount.id, GroupAccount.group_client_id))).all()
    )
    accounts = await _filter_accounts(session, access, written, drawn["client"])
    oracle = Oracle(listed, rows, clients)  # type: ignore[arg-type]
    return oracle.figures(*days, drawn["group_by"], accounts)
