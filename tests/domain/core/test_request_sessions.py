"""A request's session reads outside a transaction and writes inside one that, on SQLite, holds
the write lock from its start: concurrent writers wait their turn, readers never wait."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.core.transactions import atomic
from domain.reference.models import LineOfBusiness

PROMPTLY = 2.0
"""Seconds: well under SQLite's busy_timeout (5 s), so a wait for a lock shows as a timeout."""


def _in_transaction(conn: Any) -> bool:
    dbapi_connection = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        return not dbapi_connection.autocommit
    return bool(dbapi_connection._connection.in_transaction)  # aiosqlite's sqlite3 connection


@pytest.fixture
def in_transaction(committing: AsyncEngine) -> Iterator[list[tuple[str, bool]]]:
    """(statement, whether it ran inside a transaction) for each statement but BEGIN."""
    seen: list[tuple[str, bool]] = []

    def record(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        verb = statement.split()[0]
        if verb != "BEGIN":
            seen.append((verb, _in_transaction(conn)))

    event.listen(committing.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(committing.sync_engine, "before_cursor_execute", record)


async def _codes(committed_sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with committed_sessions() as session:
        return list(await session.scalars(sa.select(LineOfBusiness.code).order_by("code")))


async def _add(session: AsyncSession, code: str) -> None:
    session.add(LineOfBusiness(code=code, name=code))
    await session.flush()


async def test_reads_run_outside_a_transaction_and_writes_inside_one(
    committed_sessions: async_sessionmaker[AsyncSession], in_transaction: list[tuple[str, bool]]
) -> None:
    async with committed_sessions() as session:
        # when a request reads, writes through atomic, then reads again
        await session.execute(sa.select(LineOfBusiness.id))
        async with atomic(session):
            await _add(session, "RS-1")
            await session.execute(sa.select(LineOfBusiness.id))
        await session.execute(sa.select(LineOfBusiness.id))
    # then only the atomic block's statements ran inside a transaction
    assert in_transaction == [
        ("SELECT", False),
        ("INSERT", True),
        ("SELECT", True),
        ("SELECT", False),
    ]
    assert "RS-1" in await _codes(committed_sessions)


async def test_a_failed_write_leaves_nothing_even_after_reads(
    committed_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with committed_sessions() as session:
        await session.execute(sa.select(LineOfBusiness.id))
        # when the block writes two rows and then fails
        with pytest.raises(RuntimeError):
            async with atomic(session):
                await _add(session, "RS-2")
                await _add(session, "RS-3")
                raise RuntimeError("after the writes")
        # then neither was kept, and the session reads on
        assert await session.scalar(sa.select(sa.func.count()).select_from(LineOfBusiness))
    codes = await _codes(committed_sessions)
    assert "RS-2" not in codes and "RS-3" not in codes


async def test_a_savepoint_inside_a_write_undoes_only_its_own_part(
    committed_sessions: async_sessionmaker[AsyncSession],
) -> None:
    # when a write tries something in a savepoint, undoes it, and writes on
    async with committed_sessions() as session, atomic(session):
        await _add(session, "SP-1")
        savepoint = await session.begin_nested()
        await _add(session, "SP-2")
        await savepoint.rollback()
        await _add(session, "SP-3")
    # then what came before and after the savepoint was kept, and only that
    codes = await _codes(committed_sessions)
    assert ("SP-1" in codes, "SP-2" in codes, "SP-3" in codes) == (True, False, True)


async def test_writers_that_read_first_both_write(
    committed_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def read_then_write(code: str) -> None:
        async with committed_sessions() as session:
            await session.execute(sa.select(LineOfBusiness.id))
            async with atomic(session):
                await session.execute(sa.select(LineOfBusiness.id))
                await asyncio.sleep(0.05)  # long enough for the other to read too
                await _add(session, code)

    # when two requests each read, then write, at the same moment
    await asyncio.wait_for(
        asyncio.gather(read_then_write("RW-1"), read_then_write("RW-2")), PROMPTLY
    )
    # then both writes were kept: the second waited for the first
    codes = await _codes(committed_sessions)
    assert "RW-1" in codes and "RW-2" in codes


async def test_an_open_session_that_read_holds_up_no_writer(
    committed_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with committed_sessions() as reader:
        # given a session (a subscription's, say) that read and stays open
        await reader.execute(sa.select(LineOfBusiness.id))
        # when another session writes
        async with committed_sessions() as writer:
            await asyncio.wait_for(_write(writer, "OS-1"), PROMPTLY)
        # then it was kept at once, and the reader sees it
        assert "OS-1" in list(await reader.scalars(sa.select(LineOfBusiness.code)))


async def _write(session: AsyncSession, code: str) -> None:
    async with atomic(session):
        await _add(session, code)


async def test_a_reader_is_not_held_up_by_a_writer(
    committed_sessions: async_sessionmaker[AsyncSession],
) -> None:
    # given a write under way, not yet committed
    async with committed_sessions() as writer, committed_sessions() as reader, atomic(writer):
        await _add(writer, "RD-1")
        # when another session reads meanwhile
        codes = await asyncio.wait_for(reader.scalars(sa.select(LineOfBusiness.code)), PROMPTLY)
        # then it reads at once, what was committed before
        assert "RD-1" not in list(codes)
    assert "RD-1" in await _codes(committed_sessions)


async def test_the_app_serves_reads_and_writes_with_request_sessions(own_database: str) -> None:
    from httpx import ASGITransport, AsyncClient

    from api.app import create_app
    from api.settings import Settings
    from authz.principal import Principal, Role
    from tests.conftest import TEST_SECRET, token_for

    # given the app as production builds it, with its own engine and request committed_sessions
    app = create_app(Settings(own_database, TEST_SECRET, "development", rate_per_minute=0))
    headers = {
        "Authorization": f"Bearer {token_for(Principal('admin-1', frozenset({Role.ADMIN})))}"
    }
    create = (
        'mutation { brokerAgentCreate(input: {code: "%s", name: "B"}) { code errors { code } } }'
    )
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as http:
        # when an admin adds a broker, adds one with the same code again, then lists them
        first = (
            await http.post("/graphql", json={"query": create % "BR-1"}, headers=headers)
        ).json()
        again = (
            await http.post("/graphql", json={"query": create % "BR-1"}, headers=headers)
        ).json()
        listed = (
            await http.post(
                "/graphql",
                json={"query": "{ settingsReferenceData { brokerAgents { code } } }"},
                headers=headers,
            )
        ).json()
    await app.state.engine.dispose()
    # then the first was saved, the second refused, and the list shows the one
    assert first.get("data"), first
    assert first["data"]["brokerAgentCreate"] == {"code": "BR-1", "errors": []}
    assert again["data"]["brokerAgentCreate"]["errors"]
    assert listed.get("data"), listed
    assert listed["data"]["settingsReferenceData"]["brokerAgents"] == [{"code": "BR-1"}]
