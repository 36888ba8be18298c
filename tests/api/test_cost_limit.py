"""The cost limit over HTTP: the fan-outs of issue 14 are refused before any SQL, with their cost."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from api.settings import load_settings
from authz.principal import Principal, Role
from tests.conftest import SETTINGS, StatementCounter, token_for
from tests.factories import Book
from tests.schema.core.test_cost import ALIASED_PAGES, FAN_OUT

Client = Callable[..., AsyncClient]
ADMIN = Principal(subject="admin-1", roles=frozenset({Role.ADMIN}))
PAGE = (
    "query($n: Int) { policies(first: $n) { edges { node { number subscriber { givenName } } } } }"
)


@pytest.fixture
async def client(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[Client]:
    made: list[AsyncClient] = []

    def build(**changes: object) -> AsyncClient:
        app = create_app(replace(SETTINGS, **changes), sessions=sessions)
        http = AsyncClient(
            transport=ASGITransport(app=app),
            base_url="http://test",
            headers={"Authorization": f"Bearer {token_for(ADMIN)}"},
        )
        made.append(http)
        return http

    yield build
    for http in made:
        await http.aclose()


@pytest.mark.parametrize("query", [ALIASED_PAGES, FAN_OUT], ids=["aliased pages", "fan-out"])
@pytest.mark.parametrize("env", ["development", "production"])
async def test_the_fan_outs_are_refused_with_their_cost_before_any_sql(
    client: Client, session: AsyncSession, statements: StatementCounter, query: str, env: str
) -> None:
    # given a book, and a server in each mode
    await Book(session).setup()
    http = client(env=env)
    statements.reset()
    # when
    response = await http.post("/graphql", json={"query": query})
    # then
    body = response.json()
    assert body.get("data") is None
    (error,) = body["errors"]
    cost = error["extensions"]["cost"]
    assert cost > 100_000
    assert error["message"] == (
        f"The query may return {cost} objects, more than the limit of 100000: "
        "ask for smaller pages (`first`) or fewer nested lists."
    )
    assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": 100_000}
    assert statements.count == 0


async def test_development_reports_each_querys_cost_and_production_does_not(
    client: Client,
) -> None:
    # given
    development, production = client(), client(env="production")
    # when the same query, with its page size in a variable, is sent to both
    variables = {"n": 7}
    dev = (await development.post("/graphql", json={"query": PAGE, "variables": variables})).json()
    prod = (await production.post("/graphql", json={"query": PAGE, "variables": variables})).json()
    # then: the connection (1), its edges (1), and 7 policies with a subscriber each (2)
    assert dev["extensions"] == {"cost": {"requested": 2 + 7 * 2, "limit": 100_000}}
    assert "extensions" not in prod
    assert dev["data"] == prod["data"] == {"policies": {"edges": []}}


async def test_a_lower_limit_from_the_environment_refuses_a_page(client: Client) -> None:
    limits = load_settings({"GROUPCOVER_SECRET_KEY": "k" * 40, "GROUPCOVER_MAX_COST": "100"})
    http = client(query_limits=limits.query_limits)
    small = await http.post("/graphql", json={"query": PAGE, "variables": {"n": 10}})
    large = await http.post("/graphql", json={"query": PAGE, "variables": {"n": 50}})
    assert "errors" not in small.json()
    assert large.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
