"""One record per GraphQL request over HTTP: its log line, its metrics and its span.

`Observed` wraps /graphql: it gives each request an id (a client's `X-Request-ID` if it is
a plain token, else a new one, echoed in the response), times it, and when the response has
gone writes one line to the `groupcover.requests` logger: request id, subject, operation
name and type, HTTP status, outcome, duration, SQL statements and trace id. Never the
document, its variables or any header: a national id sent as a variable must not reach logs
that many people read. The statement count comes from api.traces' hook on the engine, the
operation and its errors from `Recorded`, the subject from the request's context.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from api import metrics, traces
from schema.core.logs import is_unexpected

logger = logging.getLogger("groupcover.requests")

_REQUEST_ID = re.compile(r"[-_.0-9A-Za-z]{1,64}")


@dataclass
class RequestRecord:
    """What one request did, as the log line and the metrics tell it."""

    request_id: str
    subject: str = "-"
    operation: str = "-"
    type: str = "-"
    status: int = 0
    outcome: str = "ok"
    duration_ms: float = 0.0
    statements: int = 0
    trace_id: str = "-"
    errors: list[str] = field(default_factory=list)

    def settle(self) -> None:
        """Say how the request ended: from its HTTP status, else from its GraphQL errors."""
        if self.status == 429:
            self.outcome = "rate_limited"
        elif self.status >= 500:
            self.outcome = "failed"
        elif self.status >= 400:
            self.outcome = "refused"
        elif "UNEXPECTED" in self.errors:
            self.outcome = "failed"
        elif self.errors:
            self.outcome = "errors"


_current: ContextVar[RequestRecord | None] = ContextVar("groupcover_request", default=None)


def current() -> RequestRecord | None:
    """The record of the request being served in this task, if any."""
    return _current.get()


class Observed:
    """Record, log and count each HTTP request to the wrapped app (see the module's doc)."""

    def __init__(self, app: ASGIApp, *, tracing: traces.Tracing, count: bool) -> None:
        self.app = app
        self.tracing = tracing
        self.count = count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record = RequestRecord(request_id=_request_id(scope))
        token = _current.set(record)
        began = time.perf_counter()

        async def sent(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
                message.setdefault("headers", []).append(
                    (b"x-request-id", record.request_id.encode())
                )
            await send(message)

        try:
            with self.tracing.request_span(scope, record):
                await self.app(scope, receive, sent)
        finally:
            _current.reset(token)
            record.duration_ms = round((time.perf_counter() - began) * 1000, 2)
            record.status = record.status or 500
            record.settle()
            logger.info("request", extra={"record": record})
            if self.count:
                metrics.observe_request(record)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            given = value.decode("latin-1")
            if _REQUEST_ID.fullmatch(given):
                return given
    return uuid.uuid4().hex


def watch_statements(engine: AsyncEngine) -> None:
    """Count each SQL statement into the request's record, and span it when tracing."""
    sync_engine = engine.sync_engine
    if event.contains(sync_engine, "before_cursor_execute", _before):
        return
    event.listen(sync_engine, "before_cursor_execute", _before)
    event.listen(sync_engine, "after_cursor_execute", _after)
    event.listen(sync_engine, "handle_error", _failed)


def _before(
    connection: Any, _cursor: Any, statement: str, _parameters: Any, context: Any, _many: bool
) -> None:
    record = _current.get()
    if record is not None:
        record.statements += 1
    traces.statement_span_start(context, statement, connection.dialect.name)


def _after(
    _connection: Any, _cursor: Any, _statement: str, _parameters: Any, context: Any, _many: bool
) -> None:
    traces.statement_span_end(context)


def _failed(context: Any) -> None:
    if context.execution_context is not None:
        traces.statement_span_end(context.execution_context, context.original_exception)


class Recorded(SchemaExtension):
    """Put the operation's name, type and error codes into the request's record."""

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        finally:
            self._record()

    def _record(self) -> None:
        record = _current.get()
        if record is None:  # an operation over a WebSocket: no HTTP request to record
            return
        context = self.execution_context
        record.operation = traces.operation_name(context.operation_name)
        record.type = traces.operation_type(context)
        errors = getattr(context.result, "errors", None) or context.pre_execution_errors or ()
        record.errors.extend(error_code(error) for error in errors)


def record_errors(errors: Any) -> None:
    """Note the codes of a result's errors, unless the operation's end noted them already
    (an error raised while parsing reaches the result only after the operation has ended)."""
    record = _current.get()
    if record is not None and not record.errors:
        record.errors.extend(error_code(error) for error in errors or ())


def error_code(error: GraphQLError) -> str:
    if is_unexpected(error):
        return "UNEXPECTED"
    return str((error.extensions or {}).get("code") or "INVALID_REQUEST")


class JsonLines(logging.Formatter):
    """A request's record as one JSON object on one line."""

    def format(self, record: logging.LogRecord) -> str:
        request: RequestRecord | None = getattr(record, "record", None)
        if request is None:
            return json.dumps({"level": record.levelname, "message": record.getMessage()})
        # The record's fields as they are (all plain values): dataclasses.asdict copies each
        # one deeply, 11 us of the line's 24 (its share of every request's CPU).
        line = {"time": _utc(record.created), **vars(request)}
        line["errors"] = sorted(set(request.errors))
        return json.dumps(line, separators=(",", ":"))


class PlainLines(logging.Formatter):
    """A request's record as a short line a developer reads in a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        r: RequestRecord | None = getattr(record, "record", None)
        if r is None:
            return record.getMessage()
        errors = f" errors={','.join(sorted(set(r.errors)))}" if r.errors else ""
        return (
            f"{r.status} {r.outcome} {r.type} {r.operation} {r.duration_ms} ms "
            f"{r.statements} statements subject={r.subject} request={r.request_id} "
            f"trace={r.trace_id}{errors}"
        )


def configure_logging(log_format: str) -> None:
    """Send request lines to standard error, as JSON or plain text (once per process)."""
    if any(getattr(handler, "groupcover", False) for handler in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.groupcover = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonLines() if log_format == "json" else PlainLines())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _utc(created: float) -> str:
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
        + f".{int(created % 1 * 1000):03d}Z"
    )
