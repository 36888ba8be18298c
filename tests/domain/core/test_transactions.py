"""A write that the database gives up on for a concurrent one's sake is refused as a CONFLICT to
retry, never an internal error; nothing of it is kept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.core.errors import DomainError, ErrorCode
from domain.core.transactions import atomic
from domain.database import create_engine, request_sessions
from domain.reference.models import LineOfBusiness


@pytest.fixture
async def impatient(own_database: str) -> AsyncIterator[AsyncEngine]:
    """An engine whose SQLite connections wait 0.1 s for a lock, not 5."""
    engine = create_engine(own_database)

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        if engine.dialect.name == "sqlite":
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=100")
            cursor.close()

    yield engine
    await engine.dispose()


async def _codes(committed_sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with committed_sessions() as session:
        return list(await session.scalars(sa.select(LineOfBusiness.code)))


async def test_a_writer_kept_waiting_too_long_is_told_to_retry(
    committed_sessions: async_sessionmaker[AsyncSession], impatient: AsyncEngine
) -> None:
    if impatient.dialect.name != "sqlite":
        pytest.skip("SQLite: one writer at a time, the others wait up to busy_timeout")
    async with committed_sessions() as holder, request_sessions(impatient)() as waiter:
        # given a write under way that holds the lock longer than the other may wait
        async with atomic(holder):
            holder.add(LineOfBusiness(code="TX-1", name="First"))
            await holder.flush()
            # when another write asks for its turn
            with pytest.raises(DomainError) as refused:
                async with atomic(waiter):
                    waiter.add(LineOfBusiness(code="TX-2", name="Second"))
        # then it was told to retry, and the first write was kept
        assert [p.code for p in refused.value.problems] == [ErrorCode.CONFLICT]
        async with atomic(waiter):
            waiter.add(LineOfBusiness(code="TX-3", name="Retried"))
    codes = await _codes(committed_sessions)
    assert ("TX-1" in codes, "TX-2" in codes, "TX-3" in codes) == (True, False, True)


async def test_of_two_writers_that_deadlock_one_is_told_to_retry(
    committed_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with committed_sessions() as session, atomic(session):
        session.add_all([LineOfBusiness(code=f"DL-{n}", name="Before") for n in (1, 2)])
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL: SQLite's writers take turns and cannot deadlock")
    both_locked = asyncio.Barrier(2)

    async def rename(first: str, then: str) -> None:
        async with committed_sessions() as writer, atomic(writer):
            await _rename(writer, first)
            await both_locked.wait()
            await _rename(writer, then)

    # when two writers each lock one row, then ask for the other's
    outcomes = await asyncio.gather(
        rename("DL-1", "DL-2"), rename("DL-2", "DL-1"), return_exceptions=True
    )
    # then one went through and the other was told to retry
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert outcomes.count(None) == 1 and len(refused) == 1, outcomes
    assert [p.code for p in refused[0].problems] == [ErrorCode.CONFLICT]


async def _rename(session: AsyncSession, code: str) -> None:
    await session.execute(
        sa.update(LineOfBusiness).where(LineOfBusiness.code == code).values(name="After")
    )
