"""OpenTelemetry spans: the HTTP request, its GraphQL operation, each async resolver (a list
or a loader's batch) and each SQL statement; exported by OTLP when
OTEL_EXPORTER_OTLP_ENDPOINT is set, off (and free) otherwise.

The spans are made here rather than by the ASGI and SQLAlchemy instrumentations or
strawberry's OpenTelemetryExtension: the ASGI one records the full URL, which for a GET
carries the variables (a national id); strawberry's records every resolver argument and
turns every sync field into an async one (about 40 us a field, DESIGN.md). Here a span
carries names, paths and statement texts with their placeholders, never a value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from inspect import isawaitable
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from starlette.types import Scope
from strawberry.extensions import SchemaExtension

_tracer: ContextVar[Tracer | None] = ContextVar("groupcover_tracer", default=None)
_SPAN = "groupcover_span"
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
MAX_STATEMENT_CHARS = 2000


def operation_name(name: object) -> str:
    """A GraphQL operation name as sent, if it is one ('-' otherwise): the field is free text,
    and a client may send any JSON there (an object, a list), which the view then refuses."""
    return name if isinstance(name, str) and _NAME.fullmatch(name) else "-"


def otlp_provider() -> TracerProvider:
    """Spans sent in batches by OTLP over HTTP to OTEL_EXPORTER_OTLP_ENDPOINT."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    name = os.environ.get("OTEL_SERVICE_NAME", "groupcover")
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


class Tracing:
    """This app's tracer, or none: then every span below costs one context lookup."""

    def __init__(self, provider: trace.TracerProvider | None) -> None:
        self.tracer = provider.get_tracer("groupcover") if provider is not None else None

    @contextmanager
    def request_span(self, scope: Scope, record: Any) -> Iterator[None]:
        """Span one HTTP request (continuing a caller's `traceparent`); its trace id on record."""
        if self.tracer is None:
            yield
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        with self.tracer.start_as_current_span(
            f"{scope['method']} {scope['path']}",
            context=propagate.extract(headers),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": scope["method"], "url.path": scope["path"]},
        ) as span:
            record.trace_id = format(span.get_span_context().trace_id, "032x")
            token = _tracer.set(self.tracer)
            try:
                yield
            finally:
                _tracer.reset(token)
                span.set_attribute("http.response.status_code", record.status)
                span.set_attribute("graphql.operation.name", record.operation)


def trace_id() -> str | None:
    """The current trace's id in hex, if a span is recording."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


class Traced(SchemaExtension):
    """Span the GraphQL operation and each async resolver outside lists; in development, the
    trace id in the response's `extensions` (`traceId`)."""

    def __init__(self, *, production: bool = True, **rest: Any) -> None:
        super().__init__(**rest)
        self.production = production

    def on_operation(self) -> Iterator[None]:
        tracer = _tracer.get()
        if tracer is None:
            yield
            return
        context = self.execution_context
        with tracer.start_as_current_span("graphql") as span:
            try:
                yield
            finally:
                # The name is known once the document is parsed, when the request gives none.
                span.update_name(f"graphql {operation_name(context.operation_name)}")
                span.set_attribute("graphql.operation.type", operation_type(context))

    def resolve(
        self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any
    ) -> Any:
        result = _next(root, info, *args, **kwargs)
        tracer = _tracer.get()
        if tracer is None or not isawaitable(result):
            return result  # a sync field reads a loaded row: no span, no cost
        if _in_a_list(info.path):
            # One row's field waits on its loader's batch: a span per row would make the trace
            # grow with the page; the batch's statement has its own span.
            return result
        return _spanned(tracer, result, f"{info.parent_type.name}.{info.field_name}")

    def get_results(self) -> dict[str, Any]:
        found = None if self.production else trace_id()
        return {"traceId": found} if found else {}


def operation_type(context: Any) -> str:
    """query, mutation or subscription; '-' for a document that did not parse."""
    if context.graphql_document is None:
        return "-"
    try:
        return str(context.operation_type.value)
    except RuntimeError:  # no such operation in the document
        return "-"


def _in_a_list(path: Any) -> bool:
    while path is not None:
        if isinstance(path.key, int):
            return True
        path = path.prev
    return False


async def _spanned(tracer: Tracer, result: Awaitable[Any], name: str) -> Any:
    with tracer.start_as_current_span(f"resolve {name}"):
        return await result


def statement_span_start(context: Any, statement: str, dialect: str) -> None:
    """Open the span of one SQL statement (its text with placeholders, never values)."""
    tracer = _tracer.get()
    if tracer is None:
        return
    span = tracer.start_span(
        statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL",
        kind=SpanKind.CLIENT,
        attributes={"db.system": dialect, "db.statement": statement[:MAX_STATEMENT_CHARS]},
    )
    setattr(context, _SPAN, span)


def statement_span_end(context: Any, error: BaseException | None = None) -> None:
    """Close the span of a statement, marked failed if it raised."""
    span = getattr(context, _SPAN, None)
    if span is None:
        return
    if error is not None:
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))
    span.end()
    setattr(context, _SPAN, None)
