"""On PostgreSQL a request's session reads outside a transaction and writes inside one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.core.transactions import atomic
from domain.database import create_engine, request_sessions
from domain.reference.models import LineOfBusiness
from migrations.runner import upgrade
from tests.conftest import POSTGRES_URL, _postgres_database

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL only: SQLite reads in one")


@pytest.fixture(scope="module")
def own_database() -> Iterator[str]:
    """A database of this module's: what a request commits must really be committed."""
    for url in _postgres_database():
        upgrade(url)
        yield url


@pytest.fixture
async def committing(own_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(own_database)
    yield engine
    await engine.dispose()


@pytest.fixture
def in_transaction(committing: AsyncEngine) -> Iterator[list[tuple[str, bool]]]:
    """(statement, whether it ran inside a transaction) for each statement sent."""
    seen: list[tuple[str, bool]] = []

    def record(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append((statement.split()[0], not conn.connection.dbapi_connection.autocommit))

    event.listen(committing.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(committing.sync_engine, "before_cursor_execute", record)


async def _codes(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        return list(await session.scalars(sa.select(LineOfBusiness.code).order_by("code")))


async def test_reads_run_outside_a_transaction_and_writes_inside_one(
    committing: AsyncEngine, in_transaction: list[tuple[str, bool]]
) -> None:
    sessions = request_sessions(committing)
    async with sessions() as session:
        # when a request reads, writes through atomic, then reads again
        await session.execute(sa.select(LineOfBusiness.id))
        async with atomic(session):
            session.add(LineOfBusiness(code="RS-1", name="Kept"))
            await session.flush()
            await session.execute(sa.select(LineOfBusiness.id))
        await session.execute(sa.select(LineOfBusiness.id))
    # then only the atomic block's statements ran inside a transaction
    assert in_transaction == [
        ("SELECT", False),
        ("INSERT", True),
        ("SELECT", True),
        ("SELECT", False),
    ]
    assert "RS-1" in await _codes(sessions)


async def test_a_failed_write_leaves_nothing_even_after_reads(committing: AsyncEngine) -> None:
    sessions = request_sessions(committing)
    async with sessions() as session:
        await session.execute(sa.select(LineOfBusiness.id))
        # when the block writes two rows and then fails
        with pytest.raises(RuntimeError):
            async with atomic(session):
                session.add(LineOfBusiness(code="RS-2", name="Lost"))
                await session.flush()
                session.add(LineOfBusiness(code="RS-3", name="Lost"))
                await session.flush()
                raise RuntimeError("after the writes")
        # then neither was kept, and the session reads on
        assert (
            await session.execute(sa.select(sa.func.count()).select_from(LineOfBusiness))
        ).scalar() is not None
    codes = await _codes(sessions)
    assert "RS-2" not in codes and "RS-3" not in codes


async def test_the_app_serves_reads_and_writes_with_request_sessions(own_database: str) -> None:
    from httpx import ASGITransport, AsyncClient

    from api.app import create_app
    from api.settings import Settings
    from authz.principal import Principal, Role
    from tests.conftest import TEST_SECRET, token_for

    # given the app as production builds it, with its own engine and request sessions
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
