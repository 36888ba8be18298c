"""Spans for the request, its operation, its async resolvers and each SQL statement."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.observed import client, request_lines
from tests.factories import Book, families, place
from tests.schema.policies.enrol import ENROLL, enrol_input, person

PAGE = "query Page { policies(first: 5) { edges { node { number subscriber { givenName } } } } }"
NATIONAL_ID = "NID-55-TRACED-9090"


@pytest.fixture
def exporter() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    yield provider, spans
    provider.shutdown()


async def test_a_request_is_one_trace_of_request_operation_resolvers_and_statements(
    sessions: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    exporter: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    # given
    provider, spans = exporter
    await Book(session).setup()
    with request_lines() as lines:
        async with client(sessions, app_options={"tracer_provider": provider}) as http:
            # when
            body = (await http.post("/graphql", json={"query": PAGE})).json()
    # then
    found = spans.get_finished_spans()
    by_name = {span.name: span for span in found}
    request = by_name["POST /graphql"]
    operation = by_name["graphql Page"]
    resolver = by_name["resolve Query.policies"]
    statements = [span for span in found if span.name == "SELECT"]
    assert statements
    assert {span.context.trace_id for span in found} == {request.context.trace_id}
    assert operation.parent.span_id == request.context.span_id
    assert resolver.parent.span_id == operation.context.span_id
    assert any(span.parent.span_id == resolver.context.span_id for span in statements)
    assert request.attributes["http.response.status_code"] == 200
    trace_id = format(request.context.trace_id, "032x")
    assert body["extensions"]["traceId"] == trace_id  # in development
    assert json.loads(lines[0])["trace_id"] == trace_id


async def test_the_spans_of_a_page_do_not_grow_with_its_rows(
    sessions: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    exporter: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    # given one family, then five more
    provider, spans = exporter
    book = await Book(session).setup()
    acme = await place(book)
    counted = []
    for more in (1, 5):
        await families(book, acme, more, since=date(2024, 1, 1))
        async with client(sessions, app_options={"tracer_provider": provider}) as http:
            # when a page asks each policy's subscriber (a loader per row)
            body = (await http.post("/graphql", json={"query": PAGE})).json()
        counted.append((len(body["data"]["policies"]["edges"]), len(spans.get_finished_spans())))
        spans.clear()
    # then
    (one, few), (five, many) = counted
    assert (one, five) == (1, 5)  # a page of five
    assert few == many


async def test_a_caller_s_trace_is_continued(
    sessions: async_sessionmaker[AsyncSession],
    exporter: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, spans = exporter
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    async with client(sessions, app_options={"tracer_provider": provider}) as http:
        await http.post(
            "/graphql", json={"query": "{ me { subject } }"}, headers={"traceparent": parent}
        )
    (request,) = [span for span in spans.get_finished_spans() if span.name == "POST /graphql"]
    assert format(request.context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"


async def test_spans_carry_no_values_and_production_answers_carry_no_trace_id(
    sessions: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    exporter: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    # given an enrolment naming a person by national id, in production
    provider, spans = exporter
    acme = await place(await Book(session).setup())
    variables = enrol_input(acme, subscriber={"person": person("Ann", nationalId=NATIONAL_ID)})
    options = {"tracer_provider": provider}
    async with client(sessions, env="production", app_options=options) as http:
        # when
        body = (await http.post("/graphql", json={"query": ENROLL, "variables": variables})).json()
    # then it was traced, with statements, and no span holds the value
    assert body["data"]["policyEnroll"]["errors"] == []
    assert "extensions" not in body or "traceId" not in body["extensions"]
    found = spans.get_finished_spans()
    assert any(span.name == "INSERT" for span in found)
    for span in found:
        assert NATIONAL_ID not in json.dumps(dict(span.attributes or {}), default=str)
        assert NATIONAL_ID not in span.name


async def test_without_a_tracer_no_trace_id_is_given(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with client(sessions) as http:
        body = (await http.post("/graphql", json={"query": "{ me { subject } }"})).json()
    assert "traceId" not in (body.get("extensions") or {})
