"""No premium run ever includes a CHANGED group client: its policies are neither priced nor
charged, and the run lists it as skipped."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from sqlmodel import col

from authz.access import EVERYTHING, Actor
from domain.groups.models import GroupClient, GroupStatus
from domain.policies.limits import utc_today
from domain.premiums import runs
from domain.premiums.models import PremiumCharge, PremiumRun
from domain.settings.models import PremiumSchedule, Setting, SettingKind
from tests.factories import Book, families, place, settings_reference

ACTOR = Actor(subject="admin-1", scope=EVERYTHING)
PERIOD = (utc_today().replace(day=1) + timedelta(days=32)).strftime("%Y-%m")


async def _tree(session: AsyncSession, statuses: list[GroupStatus]) -> GroupClient:
    """A root and a child per status, each with its own account, a schedule and 2 families."""
    book = await Book(session).setup()
    await settings_reference(book)
    schedule = await session.scalar(
        sa.select(col(PremiumSchedule.id)).where(col(PremiumSchedule.code) == "PS-STD")
    )
    root = await place(book, code="ROOT")
    for i, status in enumerate([GroupStatus.APPROVED, *statuses]):
        where = root if i == 0 else await place(book, code=f"C{i}", parent=root.client)
        session.add(
            Setting(
                kind=SettingKind.PREMIUM_SCHEDULE,
                group_client_id=where.client.id,
                premium_schedule_id=schedule,
            )
        )
        await families(book, where, 2, since=utc_today() - timedelta(days=40))
        await session.execute(
            sa.update(GroupClient)
            .where(col(GroupClient.id) == where.client.id)
            .values(status=status)
        )
    await session.commit()
    return root.client


async def _work(session: AsyncSession, run: PremiumRun) -> None:
    for batch in await runs.prepare(session, run.id):  # type: ignore[arg-type]
        await runs.charge(session, run.id, batch)  # type: ignore[arg-type]
    await runs.finish(session, run.id)  # type: ignore[arg-type]


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(statuses=st.lists(st.sampled_from(GroupStatus), min_size=1, max_size=4))
async def test_no_run_includes_a_changed_client(
    connection: AsyncConnection,
    sessions: async_sessionmaker[AsyncSession],
    statuses: list[GroupStatus],
) -> None:
    savepoint = await connection.begin_nested()
    try:
        async with sessions() as session:
            # given
            root = await _tree(session, statuses)
            # when
            run = await runs.start(
                session,
                actor=ACTOR,
                period=PERIOD,
                group_client_id=root.id,
                dry_run=False,  # type: ignore[arg-type]
            )
            await _work(session, run)
            # then
            changed = {f"C{i + 1}" for i, s in enumerate(statuses) if s is GroupStatus.CHANGED}
            codes = dict((await session.execute(sa.select(GroupClient.id, GroupClient.code))).all())  # type: ignore[call-overload]
            charged = set(await session.scalars(sa.select(col(PremiumCharge.group_client_id))))
            await session.refresh(run)
            assert {codes[i] for i in charged}.isdisjoint(changed)
            assert {codes[s["group_client_id"]] for s in run.skipped} == changed
            assert run.policies_total == 2 * (1 + len(statuses) - len(changed))
            assert run.charges_added == run.policies_total
    finally:
        await savepoint.rollback()
