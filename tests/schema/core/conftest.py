"""Two apps on the test's database, with and without compiled reads (schema.core.compiled),
and a record of which requests a plan answered."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from api.jobs import InProcess
from authz.principal import Principal
from schema.core import compiled
from tests.conftest import SETTINGS, StatementCounter, token_for


class Served:
    """Which requests the plan answered (True) or declined (False), in order."""

    def __init__(self) -> None:
        self.answers: list[bool] = []

    def clear(self) -> None:
        self.answers.clear()


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Served:
    seen = Served()
    answer = compiled.answer

    async def recording(*args: Any) -> Any:
        data = await answer(*args)
        seen.answers.append(data is not None)
        return data

    monkeypatch.setattr(compiled, "answer", recording)
    return seen


@pytest.fixture
async def executor(
    sessions: async_sessionmaker[AsyncSession], runner: InProcess
) -> AsyncIterator[AsyncClient]:
    """An HTTP client of the app with compiled reads off: every field through graphql-core."""
    app = create_app(replace(SETTINGS, compiled_reads=False), sessions=sessions, runner=runner)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        yield client


class Both:
    """Sends one request to each app and keeps both bodies and statement counts."""

    def __init__(
        self, http: AsyncClient, executor: AsyncClient, statements: StatementCounter
    ) -> None:
        self.http = http
        self.executor = executor
        self.statements = statements

    async def send(
        self, principal: Principal, query: str, variables: dict[str, Any] | None = None
    ) -> tuple[Any, Any]:
        """(compiled body, statements), (executor body, statements)."""
        sent = {"query": query, "variables": variables or {}}
        headers = {"Authorization": f"Bearer {token_for(principal)}"}
        answers = []
        for client in (self.http, self.executor):
            self.statements.reset()
            response = await client.post("/graphql", json=sent, headers=headers)
            answers.append((response.json(), self.statements.count))
        return answers[0], answers[1]


@pytest.fixture
def both(http: AsyncClient, executor: AsyncClient, statements: StatementCounter) -> Both:
    return Both(http, executor, statements)


def canonical(body: Any) -> str:
    """The body as JSON, its keys in the order they came: what 'the same answer' means here
    (a plan writes an object's keys in the order graphql-core collects them)."""
    return json.dumps(body)
