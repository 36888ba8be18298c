"""Undoing a request's registration gives back exactly the rows before, reinstatement or not.

The same random policies as the termination's test: a dependant's removal and a person's
change are registered with their record kept (as under approval after the fact), the policy
may be terminated and reinstated meanwhile, and then the registration is undone.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from sqlmodel import col, select

from domain.audit.service import snapshot
from domain.core.errors import DomainError
from domain.policies import enrolment, lifecycle, reversal
from domain.policies.models import Person, Policy, PolicyMember, Relationship, TerminatedRow
from domain.policies.persons import update_person
from domain.policies.refunds import set_refund_account
from tests.domain.policies.test_termination import (
    ADMIN,
    LIMITS,
    START,
    Dependant,
    _day,
    _policy,
    _state,
    dependants,
    places,  # noqa: F401 (a fixture)
)
from tests.factories import Place

REQUEST = 41


async def _everything(session: AsyncSession, policy_id: int) -> dict[str, Any]:
    """The policy's rows (as the termination's test compares them) and its persons."""
    state = await _state(session, policy_id)
    ids = sorted({m["person_id"] for m in state["members"]})
    found = await session.scalars(select(Person).where(col(Person.id).in_(ids)))
    state["persons"] = [
        {k: v for k, v in snapshot(p).items() if k not in ("version", "updated_at")}
        for p in sorted(found.all(), key=lambda p: p.id or 0)
    ]
    return state


async def _register(
    session: AsyncSession, policy_id: int, removal: tuple[int, int] | None, rename: bool
) -> None:
    """A removal of the `removal[0]`th dependant on day `removal[1]`, a person's new name and
    refund account, registered with their record kept."""
    members = (
        await session.scalars(
            select(PolicyMember)
            .where(col(PolicyMember.policy_id) == policy_id)
            .order_by(col(PolicyMember.id))
        )
    ).all()
    holder = next(m.person_id for m in members if m.relationship is Relationship.SUBSCRIBER)
    family = [m.person_id for m in members if m.relationship is not Relationship.SUBSCRIBER]
    async with reversal.recording(session) as seen:
        if removal is not None and family:
            policy = await session.get_one(Policy, policy_id)
            with suppress(DomainError):  # refused (ended already): nothing to undo
                await enrolment.remove_member(
                    session,
                    actor=ADMIN,
                    limits=LIMITS,
                    policy_id=policy_id,
                    version=policy.version,
                    person_id=family[removal[0] % len(family)],
                    end_date=_day(removal[1]),
                )
        if rename:
            person = await session.get_one(Person, holder)
            await update_person(
                session,
                actor=ADMIN,
                limits=LIMITS,
                person_id=holder,
                version=person.version,
                changes={"family_name": "Smith", "city": "Springfield"},
            )
            policy = await session.get_one(Policy, policy_id)
            await set_refund_account(
                session,
                actor=ADMIN,
                limits=LIMITS,
                policy_id=policy_id,
                version=policy.version,
                person_id=holder,
                iban="DE89 3704 0044 0532 0130 00",
            )
    reversal.keep(session, seen, request_id=REQUEST, policy_id=policy_id)
    await session.flush()


async def _terminate_and_reinstate(session: AsyncSession, policy_id: int, ends: int) -> None:
    policy = await session.get_one(Policy, policy_id)
    ended = await lifecycle.terminate_policy(
        session,
        actor=ADMIN,
        limits=LIMITS,
        policy_id=policy_id,
        version=policy.version,
        end_date=_day(ends),
    )
    await lifecycle.reinstate_policy(
        session, actor=ADMIN, limits=LIMITS, policy_id=policy_id, version=ended.version
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    family=dependants,
    product_cuts=st.lists(st.integers(START, 80), max_size=3),
    removal=st.none() | st.tuples(st.integers(0, 3), st.integers(-20, 80)),
    rename=st.booleans(),
    terminated_meanwhile=st.none() | st.integers(-20, 40),
)
async def test_undoing_a_registration_gives_back_exactly_the_rows_before(
    connection: AsyncConnection,
    sessions: async_sessionmaker[AsyncSession],
    places: tuple[Place, Place],  # noqa: F811
    family: list[Dependant],
    product_cuts: list[int],
    removal: tuple[int, int] | None,
    rename: bool,
    terminated_meanwhile: int | None,
) -> None:
    savepoint = await connection.begin_nested()
    try:
        async with sessions() as session:
            # given a policy, and a registration kept for ratification
            policy = await _policy(
                session,
                places,
                subscriber_end=None,
                family=family,
                product_cuts=product_cuts,
                move=None,
            )
            policy_id: int = policy.id  # type: ignore[assignment]
            before = await _everything(session, policy_id)
            await _register(session, policy_id, removal, rename)
            # when the policy is maybe terminated and reinstated meanwhile
            if terminated_meanwhile is not None:
                await _terminate_and_reinstate(session, policy_id, terminated_meanwhile)
            # and the ratification is refused
            await reversal.reverse(session, actor=ADMIN, request_id=REQUEST, policy_id=policy_id)
            # then every row and person is as it was, and nothing is left on record
            assert await _everything(session, policy_id) == before
            assert (await session.scalars(select(TerminatedRow))).all() == []
    finally:
        await savepoint.rollback()
