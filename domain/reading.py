"""The rows of a select as records (domain.database.records); on PostgreSQL sent straight to
psycopg once SQLAlchemy has compiled the statement and described its rows.

SQLAlchemy's execution of a compiled select (an execution context, a cursor adapted through a
greenlet, a result) cost about as much CPU as psycopg's own work for the small statements of a
request (issue 21). Here the first execution of each statement's shape goes through
SQLAlchemy; what it compiled (the SQL, its parameters' processors, how the rows are processed
and named) is kept as a `_Plan`, and later executions of that shape give psycopg the SQL and
the parameters' values themselves, on the psycopg connection beneath the same SQLAlchemy
connection: the same transaction, or none under autocommit. What SQLAlchemy would still have
done is done here: the statement events that count and span statements (api.observe, the
tests' counters), and a driver's error handled by the connection, which wraps it in a
DBAPIError and invalidates a connection that was cut."""

from __future__ import annotations

import functools
from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.engine.base import TransactionalContext
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import greenlet_spawn

PLANS = 512
"""Statement shapes whose plans are kept; the oldest goes first."""

_plans: dict[tuple[Any, Dialect], _Plan | None] = {}
"""By statement shape (its cache key) and dialect; None: always through SQLAlchemy."""


async def read(
    connection: AsyncConnection, statement: sa.Select[Any], parameters: dict[str, Any] | None
) -> list[Any]:
    """The rows of `statement` run on `connection` as records."""
    sync = connection.sync_connection
    if sync is None or sync.dialect.driver != "psycopg":
        return _records(await connection.execute(statement, parameters), _absent(statement))
    key = statement._generate_cache_key()  # remembered by the statement
    shape = (key.key, sync.dialect) if key is not None else None
    plan = _plans.get(shape, _UNPLANNED) if shape is not None else None
    if plan is _UNPLANNED:
        result = await connection.execute(statement, parameters)
        absent = _absent(statement)
        _keep(shape, _Plan.of(result, absent))
        return _records(result, absent)
    if plan is None or not _direct(sync):
        return _records(await connection.execute(statement, parameters), _absent(statement))
    assert key is not None
    sql, values = plan.sql_and_values(key.bindparams, parameters or {})
    return await plan.run(sync, statement, sql, values)


_UNPLANNED: Any = object()


def _keep(shape: Any, plan: _Plan | None) -> None:
    if len(_plans) >= PLANS:
        del _plans[next(iter(_plans))]
    _plans[shape] = plan


def _direct(connection: Connection) -> bool:
    """Whether SQLAlchemy would run a statement on the connection as it is, with nothing of
    its own to do first (reconnect, begin, refuse an inactive transaction, log, call a
    listener of the execution, or one that executes for the dialect): else it runs the
    statement itself."""
    transaction, nested = connection._transaction, connection._nested_transaction
    if connection._trans_context_manager:
        TransactionalContext._trans_ctx_check(connection)
    return (
        connection._dbapi_connection is not None
        and transaction is not None
        and transaction.is_active
        and (nested is None or nested.is_active)
        and not connection._echo
        and not connection.dialect.dispatch.do_execute
        and not connection.dialect.dispatch.do_execute_no_params
        and not connection.dispatch.before_execute
        and not connection.dispatch.after_execute
    )


@dataclass(frozen=True, slots=True)
class _Bind:
    """One parameter of the SQL: the name it goes by there, the keys a caller's value may be
    given by, where its own value is (its place among the statement's cache key's parameters,
    else its compiled bind), and the processor of its value."""

    name: str
    keys: tuple[str, ...]
    place: int | None
    bind: Any
    process: Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Plan:
    """What SQLAlchemy made of a statement's shape, to run it again without SQLAlchemy."""

    compiled: SQLCompiler
    binds: tuple[_Bind, ...]
    expands: bool  # literal_execute or expanding parameters: the SQL depends on the values
    processors: Sequence[Callable[[Any], Any] | None] | None
    record: Any

    @classmethod
    def of(cls, result: sa.CursorResult[Any], absent: tuple[str, ...]) -> _Plan | None:
        """The plan of the statement `result` is of (its records answering None for the
        `absent` columns), or None where SQLAlchemy must run it (one that is not cached, names
        its parameters by position, or translates schemas). Statements of one shape select
        the same columns of the same tables, so they leave out the same ones."""
        compiled = result.context.compiled
        metadata = result._metadata
        if (
            not isinstance(compiled, SQLCompiler)
            or compiled.cache_key is None
            or compiled.positional
            or compiled.schema_translate_map
            or compiled._collect_params
            or not getattr(metadata, "_safe_for_cache", False)
        ):
            return None
        return cls(
            compiled,
            _binds(compiled),
            bool(compiled.literal_execute_params or compiled.post_compile_params),
            metadata._effective_processors,  # type: ignore[union-attr]
            record_type(tuple(result.keys()), absent),
        )

    def sql_and_values(
        self, extracted: Sequence[Any], parameters: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """The SQL and the psycopg parameters of one execution, as SQLAlchemy's execution
        context makes them (DefaultExecutionContext._init_compiled)."""
        if self.expands:
            return self._expanded(extracted, parameters)
        values = {}
        for bind in self.binds:
            value = _value(bind, extracted, parameters)
            values[bind.name] = value if bind.process is None else bind.process(value)
        return self.compiled.string, values

    def _expanded(
        self, extracted: Sequence[Any], parameters: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        compiled = self.compiled
        given = compiled.construct_params(
            parameters, extracted_parameters=extracted, escape_names=False
        )
        expanded = compiled._process_parameters_for_postcompile(given)
        processors: dict[str, Any] = {**compiled._bind_processors, **expanded.processors}
        escaped = compiled.escaped_bind_names
        values = {
            escaped.get(key, key): processors[key](value) if key in processors else value
            for key, value in expanded.parameters.items()
        }
        return expanded.statement, values

    async def run(
        self, connection: Connection, statement: Any, sql: str, values: dict[str, Any]
    ) -> list[Any]:
        """Run the SQL on the psycopg connection beneath `connection`, as
        Connection._exec_single_context would, and make records of its rows."""
        context = _context(connection, self.compiled, statement, sql, values)
        events = connection._has_events or connection.engine._has_events
        driver: Any = connection._dbapi_connection.driver_connection  # type: ignore[union-attr]
        try:
            async with driver.cursor() as cursor:
                if events:
                    for before in connection.dispatch.before_cursor_execute:
                        sql, values = before(connection, cursor, sql, values, context, False)
                await cursor.execute(sql, values)
                rows = await cursor.fetchall() if cursor.pgresult.status == _TUPLES_OK else []
                if events:
                    connection.dispatch.after_cursor_execute(
                        connection, cursor, sql, values, context, False
                    )
        except BaseException as error:
            # Raises SQLAlchemy's error for it, as after a statement it ran itself: it tells
            # the listeners (handle_error), and invalidates the connection if it was cut.
            await greenlet_spawn(
                connection._handle_dbapi_exception, error, sql, values, None, context
            )
            raise  # not reached: the connection raised its own
        return _as_records(rows, self.processors, self.record)


_TUPLES_OK = 2  # psycopg.pq.ExecStatus.TUPLES_OK


def _binds(compiled: SQLCompiler) -> tuple[_Bind, ...]:
    """Each parameter of the compiled SQL, as construct_params finds its value."""
    assert compiled.cache_key is not None and compiled._cache_key_bind_match is not None
    matches = compiled._cache_key_bind_match[0]
    places = {
        bind: place
        for place, original in enumerate(compiled.cache_key.bindparams)
        for bind in matches.get(original, ())
    }
    escaped = compiled.escaped_bind_names
    return tuple(
        _Bind(
            escaped.get(name, name),
            (bind.key, name) if bind.key != name else (name,),
            places.get(bind),
            bind,
            compiled._bind_processors.get(name),  # type: ignore[arg-type]  # one per name
        )
        for bind, name in compiled.bind_names.items()
    )


def _value(bind: _Bind, extracted: Sequence[Any], parameters: dict[str, Any]) -> Any:
    for key in bind.keys:
        if key in parameters:
            return parameters[key]
    if bind.bind.required:
        raise sa.exc.InvalidRequestError(
            f"A value is required for bind parameter {bind.bind.key!r}", code="cd3x"
        )
    source = bind.bind if bind.place is None else extracted[bind.place]
    return source.effective_value if bind.bind.callable else source.value


def _context(
    connection: Connection, compiled: SQLCompiler, statement: Any, sql: str, values: Any
) -> Any:
    """An execution context of the dialect's class with what the statement events and the
    error handling read of one (its listeners here keep a statement's span on it)."""
    dialect = connection.dialect
    context: Any = dialect.execution_ctx_cls.__new__(dialect.execution_ctx_cls)
    context.root_connection = connection
    context._dbapi_connection = connection._dbapi_connection
    context.dialect = dialect
    context.compiled = compiled
    context.invoked_statement = statement
    context.execution_options = connection._execution_options
    context.statement = context.unicode_statement = sql
    context.parameters = [values]
    return context


def _records(result: sa.CursorResult[Any], absent: tuple[str, ...]) -> list[Any]:
    """The result's rows as records, made from the driver's tuples with SQLAlchemy's result
    processors (an enum's member from its name, SQLite's dates from text) applied a column at a
    time: a Core row per row and a record made from it cost 2.4 ms of CPU for 2,470 members,
    this 1.8 (issue 21)."""
    rows = result._fetchall_impl()  # the driver's rows, before Core's Row
    processors = result._metadata._effective_processors
    result._soft_close()  # as Result.all closes it
    return _as_records(rows, processors, record_type(tuple(result.keys()), absent))


def _as_records(
    rows: Any,
    processors: Sequence[Callable[[Any], Any] | None] | None,
    record: Any,
) -> list[Any]:
    if not rows:
        return []
    if processors:
        columns: list[Any] = list(zip(*rows, strict=True))
        for index, process in enumerate(processors):
            if process is not None:
                columns[index] = map(process, columns[index])
        rows = zip(*columns, strict=True)
    return list(map(partial(tuple.__new__, record), rows))


@functools.lru_cache(maxsize=256)
def record_type(fields: tuple[str, ...], absent: tuple[str, ...] = ()) -> Any:
    """The record (a named tuple) of rows with these columns, which answers None for the
    `absent` ones (attributes of its class: nothing per row); one class per set of names."""
    record = namedtuple("Record", fields)  # type: ignore[misc]  # names known at run time
    if not absent:
        return record
    return type("Record", (record,), {"__slots__": (), **dict.fromkeys(absent)})


ABSENT = "groupcover_absent"
"""The execution option of a statement that names columns it does not select, for which its
records answer None (domain.core.paging.completed)."""


def _absent(statement: Any) -> tuple[str, ...]:
    return statement.get_execution_options().get(ABSENT, ())  # type: ignore[no-any-return]
