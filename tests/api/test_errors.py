"""Bugs and outages never leak internals to clients in production; client mistakes stay useful."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from api.settings import Settings
from authz.principal import Principal, Role
from domain.groups import queries
from tests.conftest import TEST_SECRET, token_for

QUERY = "{ groupClients(first: 1) { totalCount } }"


async def _boom(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("connection to 10.0.0.7 refused; SELECT secret FROM internals")


@pytest.fixture(params=["development", "production"])
async def client(
    request: pytest.FixtureRequest, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[tuple[str, AsyncClient]]:
    app = create_app(Settings("unused", TEST_SECRET, request.param), sessions=sessions)
    token = token_for(Principal(subject="admin-1", roles=frozenset({Role.ADMIN})))
    async with AsyncClient(
        transport=ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {token}"},
    ) as http:
        yield request.param, http


async def test_an_unexpected_failure_is_masked_in_production_only(
    client: tuple[str, AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a query whose database work fails unexpectedly
    env, http = client
    monkeypatch.setattr(queries, "list_group_clients", _boom)
    # when
    body = (await http.post("/graphql", json={"query": QUERY})).json()
    # then
    (error,) = body["errors"]
    if env == "production":
        assert error["message"] == "Unexpected error."
        assert "10.0.0.7" not in str(body)
    else:
        assert "10.0.0.7" in error["message"]


async def test_a_clients_own_mistake_keeps_its_message_in_production(
    client: tuple[str, AsyncClient],
) -> None:
    # given
    _env, http = client
    # when a page larger than allowed is asked for
    body = (
        await http.post("/graphql", json={"query": "{ groupClients(first: 500) { totalCount } }"})
    ).json()
    # then
    (error,) = body["errors"]
    assert error["message"] == "`first` must be between 0 and 100, got 500."


EMPLOYEE = Principal(subject="employee-1", roles=frozenset({Role.EMPLOYEE}))
REFUSED = 'query Groups { a: groupClient(code: "A") { code } b: groupClient(code: "B") { code } }'


def _graphql_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "strawberry.execution"]


async def test_expected_errors_are_logged_one_line_each_without_a_traceback(
    client: tuple[str, AsyncClient], caplog: pytest.LogCaptureFixture
) -> None:
    # given an employee, who may not read group clients
    _env, http = client
    headers = {"Authorization": f"Bearer {token_for(EMPLOYEE)}"}
    caplog.set_level(logging.INFO, logger="strawberry.execution")
    # when they ask for them twice, and then send a document that does not validate
    await http.post("/graphql", json={"query": REFUSED}, headers=headers)
    await http.post("/graphql", json={"query": "query Typo { groupClientz { code } }"})
    # then one line per error, naming the operation, the code and the path
    records = _graphql_records(caplog)
    assert [r.getMessage() for r in records] == [
        "GraphQL error: operation=Groups code=FORBIDDEN path=a",
        "GraphQL error: operation=Groups code=FORBIDDEN path=b",
        "GraphQL error: operation=Typo code=INVALID_REQUEST path=-",
    ]
    assert all(r.exc_info is None and r.levelno == logging.INFO for r in records)


async def test_an_unexpected_error_is_logged_with_its_traceback(
    client: tuple[str, AsyncClient],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given a query whose database work fails unexpectedly
    _env, http = client
    monkeypatch.setattr(queries, "list_group_clients", _boom)
    caplog.set_level(logging.INFO, logger="strawberry.execution")
    # when
    await http.post("/graphql", json={"query": QUERY})
    # then the error is logged with the traceback that leads to it
    (record,) = _graphql_records(caplog)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    assert "_boom" in caplog.text
