"""Records read again, which PostgreSQL's sessions read straight on psycopg (domain.reading),
are those SQLAlchemy made the first time; the statement events still see each statement; a
driver's error reaches callers as SQLAlchemy's, and a cut connection leaves the pool."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from api.observe import watch_statements
from domain.core.columns import enum_column
from domain.core.paging import completed, selected
from domain.database import (
    among_keys,
    begin_writing,
    create_engine,
    is_unreachable,
    keys_of,
    records,
    request_sessions,
)
from domain.policies.models import Relationship
from domain.reference.models import LineOfBusiness


def _typed(value: str) -> Any:
    """A select whose columns SQLAlchemy processes (an enum from its value, a date) or not."""
    return sa.select(
        sa.cast(sa.literal(value), enum_column(Relationship)).label("relationship"),
        sa.literal(date(2026, 1, 7), sa.Date).label("day"),
        sa.null().label("absent"),
        sa.literal(7, sa.Integer).label("seven"),
    )


@pytest.fixture
def straight(monkeypatch: pytest.MonkeyPatch, committing: AsyncEngine) -> None:
    """On PostgreSQL, watch the statement events as api.observe does, and fail a statement
    that SQLAlchemy executes a second time: records read again go straight to psycopg."""
    if committing.dialect.name != "postgresql":
        return
    watch_statements(committing)
    executed: set[Any] = set()
    execute = AsyncConnection.execute

    async def once(self: AsyncConnection, statement: Any, *args: Any, **kwargs: Any) -> Any:
        shape = statement._generate_cache_key().key
        assert shape not in executed, "read through SQLAlchemy again"
        executed.add(shape)
        return await execute(self, statement, *args, **kwargs)

    monkeypatch.setattr(AsyncConnection, "execute", once)


def _described(rows: list[Any]) -> list[tuple[Any, ...]]:
    return [(row._fields, tuple(row), tuple(map(type, row))) for row in rows]


@pytest.mark.usefixtures("straight")
async def test_records_read_again_are_those_sqlalchemy_made_the_first_time(
    committed_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with committed_sessions() as session:
        # when a statement is read three times, and another of its shape with its own value
        first, again, third = [await records(session, _typed("SPOUSE")) for _ in range(3)]
        other = await records(session, _typed("CHILD"))
    # then each time the same fields, values and types; the other statement's value is its own
    assert _described(first) == _described(again) == _described(third)
    assert first == [(Relationship.SPOUSE, date(2026, 1, 7), None, 7)]
    assert other == [(Relationship.CHILD, date(2026, 1, 7), None, 7)]
    assert type(other[0].relationship) is Relationship


@pytest.mark.usefixtures("straight")
async def test_records_of_a_completed_statement_answer_none_for_what_it_did_not_read(
    committed_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with committed_sessions() as session:
        # given lines of business, read by their code alone
        async with session.begin():
            session.add(LineOfBusiness(code="PART-1", name="part 1"))
        stmt = sa.select(*selected(LineOfBusiness, frozenset({"code"})))
        stmt = completed(
            stmt.where(LineOfBusiness.code == "PART-1"), LineOfBusiness, frozenset({"code"})
        )
        # when the statement is read, twice (the second time straight on psycopg)
        for _ in range(2):
            (row,) = await records(session, stmt)
            # then the record has what was read, None for the other columns of the table
            assert (row.code, row.name) == ("PART-1", None)
            assert "line_of_business.name" not in str(stmt)  # not even as a NULL
            # and a name the table does not have is still an error, not a silent None
            with pytest.raises(AttributeError):
                row.nmae  # noqa: B018


@pytest.mark.usefixtures("straight")
async def test_a_statement_built_once_reads_the_keys_it_is_given(
    committed_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with committed_sessions() as session:
        postgresql = session.get_bind().dialect.name == "postgresql"
        # given lines of business, and a statement of them among the keys given
        async with session.begin():
            lines = [LineOfBusiness(code=f"READ-{n}", name=f"read {n}") for n in range(3)]
            session.add_all(lines)
        ids = [line.id for line in lines]
        stmt = sa.select(LineOfBusiness.code).where(among_keys(postgresql, LineOfBusiness.id))
        stmt = stmt.order_by(LineOfBusiness.code)
        # when it is read with other keys each time
        read = [
            await records(session, stmt, {"keys": keys_of(postgresql, LineOfBusiness.id, keys)})
            for keys in (ids[:1], ids, ids[1:], [])
        ]
    # then
    assert [[row.code for row in rows] for rows in read] == [
        ["READ-0"],
        ["READ-0", "READ-1", "READ-2"],
        ["READ-1", "READ-2"],
        [],
    ]


@pytest.mark.usefixtures("straight")
async def test_a_literal_parameter_is_rendered_for_each_statement(
    committed_sessions: async_sessionmaker[AsyncSession],
) -> None:
    def stmt(value: int) -> Any:
        return sa.select(sa.literal(value, sa.Integer, literal_execute=True).label("value"))

    async with committed_sessions() as session:
        read = [await records(session, stmt(value)) for value in (1, 2, 3)]
    assert read == [[(1,)], [(2,)], [(3,)]]


@pytest.fixture
def events(committing: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """(event, the execution context) of each statement event of the engine."""
    seen: list[tuple[str, Any]] = []

    def before(_conn: Any, _cursor: Any, _statement: str, _p: Any, context: Any, _m: Any) -> None:
        seen.append(("before", context))

    def after(_conn: Any, _cursor: Any, _statement: str, _p: Any, context: Any, _m: Any) -> None:
        seen.append(("after", context))

    def failed(context: Any) -> None:
        seen.append(("failed", context.execution_context))

    listeners = {"before_cursor_execute": before, "after_cursor_execute": after}
    listeners["handle_error"] = failed
    for name, listener in listeners.items():
        event.listen(committing.sync_engine, name, listener)
    yield seen
    for name, listener in listeners.items():
        event.remove(committing.sync_engine, name, listener)


@pytest.mark.usefixtures("straight")
async def test_each_statement_read_is_seen_by_the_statement_events(
    committed_sessions: async_sessionmaker[AsyncSession], events: list[tuple[str, Any]]
) -> None:
    async with committed_sessions() as session:
        failing = _failing_on_text(session.get_bind().dialect.name)
        # when a statement is read twice, and another fails the second time
        for _ in range(2):
            await records(session, _typed("SPOUSE"))
        await records(session, failing, {"text": "1"})
        with pytest.raises(DBAPIError):
            await records(session, failing, {"text": "one"})
    # then each began and ended, or failed, with one context its listeners can keep a span on
    assert [name for name, _ in events] == ["before", "after"] * 3 + ["before", "failed"]
    contexts = [context for _, context in events]
    assert all(context is not None for context in contexts)
    assert [contexts[n] is contexts[n + 1] for n in range(0, 8, 2)] == [True] * 4


def _failing_on_text(dialect: str) -> Any:
    """A select that fails when its parameter is "one", not when it is "1"."""
    text = sa.bindparam("text", type_=sa.String)
    if dialect == "postgresql":
        return sa.select(sa.cast(text, sa.Integer))
    return sa.select(sa.func.json(text))  # SQLite: malformed JSON


def _postgresql_only(engine: AsyncEngine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's statement timeout and backends")


async def test_a_statement_timeout_is_an_error_not_an_outage(own_database: str) -> None:
    engine = create_engine(own_database, statement_timeout_ms=200)
    _postgresql_only(engine)
    sleep = sa.select(sa.func.pg_sleep(sa.bindparam("seconds", type_=sa.Float)).label("slept"))
    try:
        async with request_sessions(engine)() as session:
            await records(session, sleep, {"seconds": 0})  # the statement is planned
            # when the statement runs too long
            with pytest.raises(DBAPIError, match="statement timeout") as raised:
                await records(session, sleep, {"seconds": 2})
            # then the caller gets SQLAlchemy's error of a statement, and may read again
            assert not is_unreachable(raised.value)
            assert not raised.value.connection_invalidated
            assert await records(session, sleep, {"seconds": 0}) == [("",)]
    finally:
        await engine.dispose()


async def test_a_killed_backend_is_an_outage_and_the_pool_drops_its_connection(
    committing: AsyncEngine, committed_sessions: async_sessionmaker[AsyncSession]
) -> None:
    _postgresql_only(committing)
    backend = sa.select(sa.func.pg_backend_pid().label("pid"))
    async with committed_sessions() as session:
        [(pid,)] = await records(session, backend)
        # when the server ends the session's backend
        url = committing.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        with pytest.raises(DBAPIError) as raised:
            await records(session, backend)
    # then the caller hears the database cannot be reached, and the next session reads anew
    assert is_unreachable(raised.value)
    assert raised.value.connection_invalidated
    async with committed_sessions() as session:
        [(other,)] = await records(session, backend)
    assert other != pid


async def test_reads_after_begin_writing_are_in_its_transaction(
    committed_sessions: async_sessionmaker[AsyncSession],
) -> None:
    codes = sa.select(LineOfBusiness.code).where(LineOfBusiness.code == "READ-W")
    async with committed_sessions() as session:
        await records(session, codes)  # read outside a transaction
        # when the session writes and, before it commits, reads what it wrote
        await begin_writing(session)
        session.add(LineOfBusiness(code="READ-W", name="written"))
        await session.flush()
        inside = await records(session, codes)
        async with committed_sessions() as other:
            outside = await records(other, codes)
        await session.rollback()
    # then it sees its write, which no other session sees
    assert (inside, outside) == ([("READ-W",)], [])
