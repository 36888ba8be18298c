"""The outbox on a committing database: a change's event commits or rolls back with it, the
events about one row are numbered 1, 2, 3 ... even when writers race for the row, and a reader
of the feed misses no event of writers that commit out of id order."""

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
from domain.core.paging import Window
from domain.core.transactions import atomic
from domain.database import create_engine, session_factory
from domain.events.models import DomainEvent
from domain.events.service import EventFilter, list_events
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


async def _feed(sessions: async_sessionmaker[AsyncSession], after: int | None) -> list[int]:
    """The ids of the events the admin's feed lists after the cursor `after`."""
    async with sessions() as session:
        page = await list_events(
            session, ADMIN.scope, criteria=EventFilter(), window=Window(first=100, after=after)
        )
        return [event.id for event in page.rows if event.id is not None]


async def test_writers_committing_out_of_id_order_leave_no_event_behind_the_cursor(
    committing: async_sessionmaker[AsyncSession],
) -> None:
    # given B, whose transaction started writing first, and A, which wrote its event first
    first, second, cursor = await _two_writers(committing, "ORDER")
    async with committing() as a, committing() as b:
        await b.begin()
        await b.execute(sa.select(sa.func.pg_current_xact_id()))
        await a.begin()
        await update_group_client(a, actor=ADMIN, group_client_id=first, version=1, name="A")
        await a.flush()
        await update_group_client(b, actor=ADMIN, group_client_id=second, version=1, name="B")
        await b.flush()
        (a_id,) = await _ids(a, first)
        (b_id,) = await _ids(b, second)
        # when B commits its later id while A is still open, and a reader takes the feed
        await b.commit()
        seen = await _feed(committing, cursor)
        # and A commits its earlier id after the reader's cursor moved past B's
        await a.commit()
        later = await _feed(committing, seen[-1])
    # then the reader saw B's event first, and A's after its cursor: nothing was missed
    assert a_id < b_id
    assert seen == [b_id]
    assert later == [a_id]
    assert await _feed(committing, cursor) == [b_id, a_id]


async def test_a_reader_stops_at_a_writer_still_open_before_later_commits(
    committing: async_sessionmaker[AsyncSession],
) -> None:
    # given A, open with its event written, and B, which began after A and committed
    first, second, cursor = await _two_writers(committing, "STOP")
    async with committing() as a, committing() as b:
        await a.begin()
        await update_group_client(a, actor=ADMIN, group_client_id=first, version=1, name="A")
        await a.flush()
        await b.begin()
        await update_group_client(b, actor=ADMIN, group_client_id=second, version=1, name="B")
        await b.commit()
        # when a reader takes the feed while A is open
        while_open = await _feed(committing, cursor)
        await a.commit()
        after_commit = await _feed(committing, cursor)
    # then it held B's event back until A's came before it
    assert while_open == []
    assert len(after_commit) == 2


async def _two_writers(
    sessions: async_sessionmaker[AsyncSession], prefix: str
) -> tuple[int, int, int | None]:
    """Two clients for two writers at once (PostgreSQL only), and the feed's cursor now."""
    if sessions.kw["bind"].dialect.name == "sqlite":
        pytest.skip("SQLite: one writer at a time, so ids follow commit order")
    first, second = await _client(sessions, f"{prefix}-A"), await _client(sessions, f"{prefix}-B")
    start = await _feed(sessions, None)
    return first, second, start[-1] if start else None


async def _ids(session: AsyncSession, client_id: int) -> list[int]:
    stmt = sa.select(col(DomainEvent.id)).where(
        col(DomainEvent.subject_type) == "GroupClient", col(DomainEvent.subject_id) == client_id
    )
    return list((await session.scalars(stmt)).all())
