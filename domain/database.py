"""Engines and sessions for PostgreSQL (production) and SQLite (embedded default)."""

from __future__ import annotations

import asyncio
import functools
import importlib
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import psycopg
import psycopg_pool
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel import SQLModel

from domain import reading

# Deterministic constraint names, so migrations name the same thing on both databases.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def create_engine(
    url: str,
    *,
    statement_timeout_ms: int = 0,
    pool_size: int = 0,
    prepared_statements: bool = True,
    **options: Any,
) -> AsyncEngine:
    """Create an async engine; on SQLite, with real transactions and foreign keys; on
    PostgreSQL, with a limit on how long one statement may run (0: none), a pool that
    keeps `pool_size` connections (0: SQLAlchemy's 5), and without psycopg preparing the
    statements it sends often unless `prepared_statements` (PgBouncer in transaction mode
    before 1.21 lends each transaction any server connection, where the prepared one is not).

    A pool smaller than the requests a process runs at once opens and closes a connection
    for the others (SQLAlchemy's overflow): with 5 and 8 requests in flight, 1.9 new
    connections per 100 requests; 16 and no access log took the employee's coverage from
    297 to 330 requests/s (issue 21)."""
    backend = make_url(url).get_backend_name()
    if backend == "postgresql" and statement_timeout_ms:
        options.setdefault("connect_args", {})["options"] = (
            f"-c statement_timeout={int(statement_timeout_ms)}"
        )
    if backend == "postgresql" and pool_size:
        options.setdefault("pool_size", pool_size)
    if backend == "postgresql" and not prepared_statements:
        options.setdefault("connect_args", {})["prepare_threshold"] = None
    engine = create_async_engine(url, **options)
    if backend == "sqlite":
        _make_sqlite_transactional(engine)
    return engine


UNREACHABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
"""Besides class 08 (connection exceptions): the server shut down or terminated the session
(pg_terminate_backend), is starting up, or has no connection slot free."""


def is_unreachable(error: BaseException) -> bool:
    """Whether an error says the database cannot be reached now (down, restarting, refusing
    connections, a connection cut), rather than that a statement was wrong: a client may
    retry the first, and the pool gets new connections for it (SQLAlchemy invalidates the
    pool when it sees a disconnect)."""
    seen: BaseException | None = error
    for _ in range(8):  # the driver's error is a cause or context a few levels down
        if seen is None:
            return False
        if _says_unreachable(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _says_unreachable(error: BaseException) -> bool:
    if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa.exc.TimeoutError):  # no pooled connection came free in time
        return True
    if isinstance(error, sqlite3.OperationalError):
        return "unable to open" in str(error)
    if isinstance(error, psycopg.InterfaceError | psycopg_pool.PoolTimeout):
        return True
    if isinstance(error, psycopg.OperationalError):
        # Failures to connect carry no SQLSTATE; a statement timeout (57014) is no outage.
        state = error.sqlstate
        return state is None or state.startswith("08") or state in UNREACHABLE_SQLSTATES
    return False


def _make_sqlite_transactional(engine: AsyncEngine) -> None:
    # sqlite3's legacy transaction control skips BEGIN before SELECT and SAVEPOINT, which
    # breaks savepoints and rollback; SQLAlchemy's documented fix is to emit BEGIN ourselves.
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        # SQLite's own lower() folds ASCII only; search must find "École" as PostgreSQL does.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        begin = connection.get_execution_options().get(SQLITE_BEGIN, "BEGIN")
        if begin:  # None: each statement is a transaction of its own, as in autocommit
            connection.exec_driver_sql(begin)


SQLITE_BEGIN = "sqlite_begin"
"""An execution option: the statement that begins a SQLite transaction ("BEGIN" unless set).

A transaction that reads and then writes asks SQLite to upgrade its read lock to a write
lock; when another transaction holds that, SQLite refuses at once ("database is locked",
whatever busy_timeout says), since waiting could deadlock. "BEGIN IMMEDIATE" takes the
write lock before the first read, and a second writer waits for it under busy_timeout."""


def _taking_turns(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(method)
    async def wrapper(self: SharedSession, *args: Any, **kwargs: Any) -> Any:
        task = asyncio.current_task()
        if self._turn_owner is task:  # a nested call (scalars -> execute) of the same turn
            return await method(self, *args, **kwargs)
        async with self._turn:
            # The statement runs in a task of its own that a cancellation does not stop:
            # graphql-core cancels a field's siblings when an error nulls their parent (a bad
            # `after` on a nested page), and a driver stopped mid-statement closes the
            # connection, failing the rest of the request with a 500. The turn is held until
            # the statement ends; then the cancellation goes on.
            work = asyncio.ensure_future(method(self, *args, **kwargs))
            self._turn_owner = work  # its nested calls (scalars -> execute) are this turn
            try:
                return await _uncancelled(work)
            finally:
                self._turn_owner = None

    return wrapper


async def _uncancelled(work: asyncio.Future[Any]) -> Any:
    """`work`'s result; a cancellation meanwhile waits for `work` to end, then is raised."""
    cancelled = False
    while True:
        try:
            result = await asyncio.shield(work)
        except asyncio.CancelledError:
            if work.done():
                raise
            cancelled = True
            continue
        if cancelled:
            raise asyncio.CancelledError
        return result


async def _read(
    session: AsyncSession, statement: sa.Select[Any], parameters: dict[str, Any] | None
) -> list[Any]:
    return await reading.read(await session.connection(), statement, parameters)


class SharedSession(AsyncSession):
    """A session that the concurrent resolvers and loaders of one request share.

    graphql-core resolves sibling fields concurrently and each DataLoader batch runs in its
    own task, but a session runs one statement at a time: operations here take turns.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turn = asyncio.Lock()
        self._turn_owner: asyncio.Task[Any] | None = None

    read = _taking_turns(_read)
    """`records` in a turn."""

    # The wrappers keep each method's signature; mypy cannot see through the decorator.
    execute = _taking_turns(AsyncSession.execute)  # type: ignore[assignment]
    scalar = _taking_turns(AsyncSession.scalar)  # type: ignore[assignment]
    scalars = _taking_turns(AsyncSession.scalars)  # type: ignore[assignment]
    get = _taking_turns(AsyncSession.get)  # type: ignore[assignment]
    flush = _taking_turns(AsyncSession.flush)  # type: ignore[assignment]
    commit = _taking_turns(AsyncSession.commit)  # type: ignore[assignment]
    rollback = _taking_turns(AsyncSession.rollback)  # type: ignore[assignment]
    delete = _taking_turns(AsyncSession.delete)  # type: ignore[assignment]
    refresh = _taking_turns(AsyncSession.refresh)  # type: ignore[assignment]


async def records(
    session: AsyncSession, statement: sa.Select[Any], parameters: dict[str, Any] | None = None
) -> list[Any]:
    """The rows of a select of columns (not of ORM entities) as records: read-only tuples with
    the columns as attributes, read on the session's connection.

    On the connection: the same statement in the same transaction, without what the session
    adds to an ORM-enabled select (any column of a model makes one), which copies every row it
    read (sqlalchemy.orm.loading.instances): reading 2,470 members cost 3.4 ms of CPU that way
    and 2.5 on the connection, their persons 4.3 and 2.6. As records: a Core row's attribute
    costs 0.23 us (Row.__getattr__ is Python), a record's 0.01; a list of members reads each
    row about ten times (its period, its order, the objects of the answer), a person four.
    On PostgreSQL, a statement's shape read before goes straight to psycopg (domain.reading)."""
    if isinstance(session, SharedSession):
        return await session.read(statement, parameters)  # type: ignore[no-any-return]
    return await _read(session, statement, parameters)


def among(session: AsyncSession, column: Any, values: Iterable[Any]) -> Any:
    """`column IN values`; on PostgreSQL `column = ANY(:values)`, one array parameter however
    many values. An IN renders a parameter per value, so each batch size is a new statement
    for SQLAlchemy, psycopg and PostgreSQL to render and parse: 2,539 persons by id took 23 ms
    that way and 13 ms with ANY."""
    values = list(values)
    if not is_postgresql(session):
        return column.in_(values)
    if _integers(column) and all(type(value) is int for value in values):
        text = sa.literal(_array_text(values), sa.Text)
        return column == sa.any_(sa.cast(text, _array_of(column.type)))
    return column == sa.any_(sa.literal(values, _array_of(column.type)))


KEYS = "keys"
"""The parameter a statement built by `among_keys` takes its values from when it runs."""


def among_keys(postgresql: bool, column: Any) -> Any:
    """`column` among the values of the `KEYS` parameter (`keys_of` gives it), as `among`
    writes it on PostgreSQL or SQLite: for a statement built once and run with other values
    each time (domain.core.paging)."""
    if not postgresql:
        return column.in_(sa.bindparam(KEYS, expanding=True))
    return column == sa.any_(keys_array(column))


def keys_array(column: Any) -> Any:
    """On PostgreSQL, the `KEYS` parameter as an array of `column`'s type (`keys_of` gives its
    value): integers are sent as the array's text and cast."""
    if _integers(column):
        return sa.cast(sa.bindparam(KEYS, type_=sa.Text), _array_of(column.type))
    return sa.bindparam(KEYS, type_=_array_of(column.type))


def keys_of(postgresql: bool, column: Any, values: list[Any]) -> Any:
    """The value of the `KEYS` parameter of `among_keys(postgresql, column)`."""
    if postgresql and _integers(column):
        return _array_text([int(value) for value in values])
    return values


def _integers(column: Any) -> bool:
    return isinstance(column.type, sa.Integer)


def _array_text(values: list[int]) -> str:
    """Integers as PostgreSQL's text of an array: psycopg writes a list item by item in Python
    (2,539 ids in 1.07 ms), where joining their digits takes 0.19, and PostgreSQL reads the
    same text."""
    return "{" + ",".join(map(str, values)) + "}"


def is_postgresql(session: AsyncSession) -> bool:
    """Whether the session talks to PostgreSQL (else SQLite), for a statement that only
    PostgreSQL can run, or runs better written its own way."""
    bind = session.bind
    return bind is not None and bind.dialect.name == "postgresql"


@functools.lru_cache(maxsize=64)
def _array_of(item: Any) -> ARRAY[Any]:
    return ARRAY(item)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def session_factory(engine: AsyncEngine | AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """Shared sessions that keep loaded rows usable after commit, for building the response."""
    return async_sessionmaker(engine, class_=SharedSession, expire_on_commit=False, autoflush=False)


READS_OUTSIDE_TRANSACTION = "reads outside transaction"
"""Marks, in Session.info, a session whose reads run without a transaction."""

_READING: dict[str, dict[str, Any]] = {
    "postgresql": {"isolation_level": "AUTOCOMMIT"},
    "sqlite": {SQLITE_BEGIN: None},
}
_WRITING: dict[str, dict[str, Any]] = {
    # PostgreSQL's default level, which the services' guarded updates are written for.
    "postgresql": {"isolation_level": "READ COMMITTED"},
    "sqlite": {SQLITE_BEGIN: "BEGIN IMMEDIATE"},
}


def request_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """The sessions of HTTP requests, subscriptions and in-process workflow steps. They read
    outside any transaction and `begin_writing` opens one for a write.

    On PostgreSQL (autocommit) a request that only reads saves the BEGIN and ROLLBACK round
    trips, two of an employee's coverage's eight (bench.load: 280 requests/s with them, 310
    and 337 without). A read sees what it would in a transaction: at READ COMMITTED each
    statement takes its own snapshot either way. On SQLite each read likewise sees what was
    committed when it ran, and holds the database's shared lock only while it runs: a
    transaction left open by a request or a WebSocket's session kept every writer waiting
    until it timed out ("database is locked")."""
    return async_sessionmaker(
        engine.execution_options(**_READING[engine.dialect.name]),
        class_=SharedSession,
        expire_on_commit=False,
        autoflush=False,
        info={READS_OUTSIDE_TRANSACTION: True},
    )


async def begin_writing(session: AsyncSession) -> None:
    """Make what the session does next one transaction, for a session of `request_sessions`
    that was reading outside one (on SQLite, one that holds the write lock from its first
    statement); other sessions are in one already."""
    if not session.info.get(READS_OUTSIDE_TRANSACTION):
        return
    await session.commit()  # ends the reads: nothing was written outside a transaction
    await session.connection(execution_options=_WRITING[session.get_bind().dialect.name])


_MODELS = (
    "domain.access.models",
    "domain.audit.models",
    "domain.catalogue.models",
    "domain.persisted.models",
    "domain.documents.models",
    "domain.mail.models",
    "domain.intake.models",
    "domain.events.models",
    "domain.groups.models",
    "domain.policies.models",
    "domain.premiums.models",
    "domain.reference.models",
    "domain.reports.models",
    "domain.settings.models",
    "domain.validation.models",
    "domain.webhooks.models",
    "domain.workflow.models",
)


def all_models() -> None:
    """Import every area's tables so that the metadata knows them all.

    By name: domain.core imports this module, and must not depend on the areas (the
    import contracts in pyproject.toml)."""
    for name in _MODELS:
        importlib.import_module(name)
