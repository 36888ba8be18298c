"""The outbox on a committing database: a change's event commits or rolls back with it, and
the events about one row are numbered 1, 2, 3 ... even when writers race for the row."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from authz.access import Actor, RowScope
from domain.core.errors import DomainError, ErrorCode
from domain.core.transactions import atomic
from domain.database import create_engine, session_factory
from domain.events.models import DomainEvent
from domain.groups.models import GroupClient
from domain.groups.service import update_group_client
from domain.reference.models import DataAccessGroup, LineOfBusiness
from migrations.runner import upgrade
from tests.conftest import _postgres_database
from tests.factories import Book
from tests.live import BACKENDS

WRITERS = 6
"""How many writers change one group client at once."""


class Boom(Exception):
    """A failure after the change was written, before the commit."""


@pytest.fixture(scope="module", params=BACKENDS)
async def committing(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    folder = tmp_path_factory.mktemp("outbox")
    urls = (
        iter([f"sqlite+aiosqlite:///{folder / 'outbox.db'}"])
        if request.param == "sqlite"
        else _postgres_database()
    )
    for url in urls:
        await asyncio.to_thread(upgrade, url)
        engine = create_engine(url)
        try:
            yield session_factory(engine)
        finally:
            await engine.dispose()


async def _client(sessions: async_sessionmaker[AsyncSession], code: str) -> int:
    """A committed group client (the first call also commits the reference data)."""
    async with sessions() as session:
        if await session.scalar(sa.select(sa.func.count(col(GroupClient.id)))) == 0:
            await Book(session).setup()
        book = Book(session)
        book.health = await session.scalar(
            sa.select(LineOfBusiness).where(col(LineOfBusiness.code) == "HEALTH")
        )
        book.dag_eu = await session.scalar(
            sa.select(DataAccessGroup).where(col(DataAccessGroup.code) == "EU")
        )
        client = await book.client(code=code)
        await session.commit()
        return client.id  # type: ignore[return-value]


ADMIN = Actor(subject="admin-1", scope=RowScope(everything=True))


async def _events(sessions: async_sessionmaker[AsyncSession], client_id: int) -> list[int]:
    async with sessions() as session:
        stmt = (
            sa.select(col(DomainEvent.sequence))
            .where(col(DomainEvent.subject_type) == "GroupClient")
            .where(col(DomainEvent.subject_id) == client_id)
            .order_by(col(DomainEvent.id))
        )
        return list((await session.scalars(stmt)).all())


async def _rename(sessions: async_sessionmaker[AsyncSession], client_id: int, name: str) -> bool:
    """Rename the client at the version read, retrying while others win; True once done."""
    for _ in range(50):
        async with sessions() as session:
            version = await session.scalar(
                sa.select(col(GroupClient.version)).where(col(GroupClient.id) == client_id)
            )
            try:
                async with atomic(session):
                    await update_group_client(
                        session, actor=ADMIN, group_client_id=client_id, version=version, name=name
                    )
                return True
            except DomainError as error:
                codes = {problem.code for problem in error.problems}
                assert codes <= {ErrorCode.STALE_VERSION, ErrorCode.CONFLICT}
        await asyncio.sleep(0.01)
    return False


async def test_a_rolled_back_change_leaves_no_event(
    committing: async_sessionmaker[AsyncSession],
) -> None:
    # given
    client_id = await _client(committing, "ACME")
    written = []
    # when the change is made, its event written, and then the transaction fails
    with pytest.raises(Boom):
        async with committing() as session, atomic(session):
            await update_group_client(
                session, actor=ADMIN, group_client_id=client_id, version=1, name="Renamed"
            )
            written.append(await session.scalar(sa.select(sa.func.count(col(DomainEvent.id)))))
            raise Boom
    # then the event was there inside the transaction, and is gone with it
    assert written == [1]
    assert await _events(committing, client_id) == []


async def test_racing_writers_number_one_row_s_events_without_gap_or_duplicate(
    committing: async_sessionmaker[AsyncSession],
) -> None:
    # given
    client_id = await _client(committing, "RACE")
    # when
    done = await asyncio.gather(
        *(_rename(committing, client_id, f"Name {n}") for n in range(WRITERS))
    )
    # then
    assert all(done)
    assert await _events(committing, client_id) == list(range(1, WRITERS + 1))


async def test_the_database_refuses_a_second_event_with_a_row_s_number(
    committing: async_sessionmaker[AsyncSession],
) -> None:
    # given
    client_id = await _client(committing, "TWICE")
    event = {"type": "group_client.changed", "actor": "x", "subject_type": "GroupClient"}
    # when / then
    with pytest.raises(IntegrityError):
        async with committing() as session:
            for _ in range(2):
                session.add(DomainEvent(**event, subject_id=client_id, sequence=1))
            await session.commit()
