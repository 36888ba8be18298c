"""Terminating a policy and reinstating it gives back exactly the rows before (hypothesis).

Random policies: dependants with and without their own end dates (some ending on the
termination day), products one after another (each with a setting of its own), a move to
another account, and rows that start after the termination date, which it withdraws.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from sqlmodel import col, select

from authz.access import EVERYTHING, Actor
from domain.audit.service import snapshot
from domain.policies import lifecycle
from domain.policies.limits import PolicyLimits, utc_today
from domain.policies.models import (
    EnrollmentProduct,
    Gender,
    Person,
    Policy,
    PolicyAccountLink,
    PolicyClassLink,
    PolicyMember,
    PolicyStatus,
    Relationship,
    RowKind,
    TerminatedRow,
)
from domain.policies.state import policy_rows, policy_snapshot
from domain.reference.models import CoverageTier, Product
from domain.settings.models import Setting, SettingKind
from tests.factories import Book, Place, place

TODAY = utc_today()
START = -30  # the policy's first day, relative to today
ADMIN = Actor("admin-1", EVERYTHING)
LIMITS = PolicyLimits()


def _day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


@dataclass(frozen=True)
class Dependant:
    relationship: Relationship
    start: int
    length: int | None
    """Days after the start it ends; None: open-ended (a child: to the subscriber's end)."""


dependants = st.lists(
    st.builds(
        Dependant,
        st.sampled_from([Relationship.SPOUSE, Relationship.CHILD, Relationship.OTHER_DEPENDANT]),
        st.integers(START, 70),
        st.none() | st.integers(0, 60),
    ),
    max_size=4,
)


@pytest.fixture
async def places(session: AsyncSession) -> tuple[Place, Place]:
    book = await Book(session).setup()
    return await place(book, code="ACME"), await place(book, code="GLOBEX")


async def _policy(
    session: AsyncSession,
    places: tuple[Place, Place],
    *,
    subscriber_end: int | None,
    family: list[Dependant],
    product_cuts: list[int],
    move: int | None,
) -> Policy:
    """A valid policy written straight to the tables (the rules hold, so it can come back)."""
    persons = [
        Person(
            person_number=f"PN-T-{i}",
            given_name=f"P{i}",
            family_name="Doe",
            birth_date=_day(-365 * (5 if i and d.relationship is Relationship.CHILD else 40)),
            gender=Gender.UNKNOWN,
        )
        for i, d in enumerate([Dependant(Relationship.SUBSCRIBER, START, None), *family])
    ]
    session.add_all(persons)
    await session.flush()
    policy = Policy(
        number="POL-T",
        subscriber_id=persons[0].id,  # type: ignore[arg-type]
        line_of_business_id=places[0].account.line_of_business_id,
        data_access_group_id=places[0].account.data_access_group_id,
        start_date=_day(START),
    )
    session.add(policy)
    await session.flush()
    last = _day(subscriber_end) if subscriber_end is not None else None
    session.add(
        PolicyMember(
            policy_id=policy.id,
            person_id=persons[0].id,  # type: ignore[arg-type]
            relationship=Relationship.SUBSCRIBER,
            start_date=_day(START),
            end_date=last,
        )
    )
    for person, dependant in zip(persons[1:], family, strict=True):
        start = _day(dependant.start) if last is None else min(_day(dependant.start), last)
        end = start + timedelta(days=dependant.length) if dependant.length is not None else None
        if end is None and dependant.relationship is Relationship.CHILD:
            end = last or _day(200)
        if last is not None:
            end = last if end is None else min(end, last)
        session.add(
            PolicyMember(
                policy_id=policy.id,
                person_id=person.id,  # type: ignore[arg-type]
                relationship=dependant.relationship,
                start_date=start,
                end_date=end,
            )
        )
    _links(session, policy, places, move)
    await _products(session, policy, places, product_cuts, last)
    await session.flush()
    return policy


def _links(
    session: AsyncSession, policy: Policy, places: tuple[Place, Place], move: int | None
) -> None:
    """In ACME from the start; from `move` on (if any) in GLOBEX."""
    spans = [(START, None)] if move is None else [(START, move - 1), (move, None)]
    for where, (start, end) in zip(places, spans, strict=False):
        period = {"start_date": _day(start), "end_date": _day(end) if end is not None else None}
        session.add(
            PolicyAccountLink(policy_id=policy.id, group_account_id=where.account.id, **period)
        )  # type: ignore[arg-type]
        session.add(
            PolicyClassLink(policy_id=policy.id, insurable_class_id=where.staff.id, **period)
        )  # type: ignore[arg-type]


async def _products(
    session: AsyncSession,
    policy: Policy,
    places: tuple[Place, Place],
    cuts: list[int],
    last: date | None,
) -> None:
    """Medical in periods one after the other, cut at `cuts`; each with a setting of its own."""
    medical = await session.scalar(select(Product).where(col(Product.code) == "MED-PPO"))
    assert medical is not None
    starts = sorted({START, *(c for c in cuts if c > START)})
    for i, begin in enumerate(starts):
        start = _day(begin)
        end = _day(starts[i + 1] - 1) if i + 1 < len(starts) else last
        if last is not None and start > last:
            break
        row = EnrollmentProduct(
            policy_id=policy.id,
            product_id=medical.id,  # type: ignore[arg-type]
            coverage_tier=CoverageTier.FAMILY,
            start_date=start,
            end_date=min(end, last) if end is not None and last is not None else end,
        )
        session.add(row)
        await session.flush()
        session.add(
            Setting(
                kind=SettingKind.PARAMETER_VALUE,
                enrollment_product_id=row.id,
                parameter_name="DEDUCTIBLE",
                value_decimal=Decimal(100 + i),
            )
        )


async def _state(session: AsyncSession, policy_id: int) -> dict[str, Any]:
    """The policy's rows and its products' settings as the database holds them now."""
    session.expunge_all()
    policy = await session.get_one(Policy, policy_id)
    rows = await policy_rows(session, policy_id)
    state = policy_snapshot(policy, rows)
    for volatile in ("version", "updated_at"):
        state.pop(volatile)
    found = await session.scalars(
        select(Setting)
        .where(col(Setting.enrollment_product_id).in_([p.id for p in rows.products]))
        .order_by(col(Setting.id))
    )
    state["settings"] = [snapshot(s) for s in found.all()]
    return state


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    subscriber_end=st.none() | st.integers(20, 90),
    family=dependants,
    product_cuts=st.lists(st.integers(START, 80), max_size=3),
    move=st.none() | st.integers(START + 1, 80),
    ends=st.integers(START, 40),
    removed_on_the_day=st.booleans(),
)
async def test_terminating_then_reinstating_gives_back_exactly_the_rows_before(
    connection: AsyncConnection,
    sessions: async_sessionmaker[AsyncSession],
    places: tuple[Place, Place],
    subscriber_end: int | None,
    family: list[Dependant],
    product_cuts: list[int],
    move: int | None,
    ends: int,
    removed_on_the_day: bool,
) -> None:
    savepoint = await connection.begin_nested()
    try:
        async with sessions() as session:
            # given a policy, maybe with a dependant removed on the termination day itself
            if removed_on_the_day:
                family = [*family, Dependant(Relationship.SPOUSE, START, ends - START)]
            policy = await _policy(
                session,
                places,
                subscriber_end=subscriber_end,
                family=family,
                product_cuts=product_cuts,
                move=move,
            )
            policy_id: int = policy.id  # type: ignore[assignment]
            before = await _state(session, policy_id)
            end_date = _day(min(ends, subscriber_end if subscriber_end is not None else ends))
            # when it is terminated, and reinstated
            ended = await lifecycle.terminate_policy(
                session,
                actor=ADMIN,
                limits=LIMITS,
                policy_id=policy_id,
                version=1,
                end_date=end_date,
            )
            assert ended.status is PolicyStatus.TERMINATED
            terminated = await _state(session, policy_id)
            await lifecycle.reinstate_policy(
                session, actor=ADMIN, limits=LIMITS, policy_id=policy_id, version=ended.version
            )
            # then every row is as it was, withdrawn rows and their settings included
            after = await _state(session, policy_id)
            assert after == before
            assert all(
                m["end_date"] is not None and m["end_date"] <= end_date.isoformat()
                for m in terminated["members"]
            )
    finally:
        await savepoint.rollback()


async def test_a_policy_terminated_on_the_last_day_there_is_can_be_reinstated(
    session: AsyncSession, places: tuple[Place, Place]
) -> None:
    # given a policy ended on 9999-12-31 before dates were bounded, with the record migration
    # 0008 gave it (what ended on that day, then open-ended)
    child = Dependant(Relationship.CHILD, START, None)
    policy = await _policy(
        session, places, subscriber_end=None, family=[child], product_cuts=[], move=None
    )
    rows = await policy_rows(session, policy.id)  # type: ignore[arg-type]
    for kind, found in (
        (RowKind.MEMBER, rows.members),
        (RowKind.ACCOUNT_LINK, rows.accounts),
        (RowKind.CLASS_LINK, rows.classes),
        (RowKind.PRODUCT, rows.products),
    ):
        for row in found:
            row.end_date = date.max
            session.add(TerminatedRow(policy_id=policy.id, kind=kind, changed_id=row.id))  # type: ignore[arg-type]
    policy.status, policy.end_date = PolicyStatus.TERMINATED, date.max
    await session.flush()
    # when
    back = await lifecycle.reinstate_policy(
        session,
        actor=ADMIN,
        limits=LIMITS,
        policy_id=policy.id,
        version=policy.version,  # type: ignore[arg-type]
    )
    # then it runs on, the child to their age limit
    assert (back.status, back.end_date) == (PolicyStatus.ACTIVE, None)
    ends = {m.relationship: m.end_date for m in rows.members}
    assert ends[Relationship.SUBSCRIBER] is None
    assert ends[Relationship.CHILD] is not None and ends[Relationship.CHILD] < date(2999, 1, 1)
