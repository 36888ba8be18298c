"""Each limit on a request, crossed: the answer says which, and nothing runs past it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from httpx import ASGITransport, AsyncClient
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from api.settings import Settings, SettingsError, SocketLimits, load_settings
from authz.principal import Principal, Role
from domain.database import create_engine
from domain.workflow.scripts import ScriptLimits
from schema.core.limits import QueryLimits
from tests.conftest import SETTINGS, token_for
from tests.graphql import answer

Client = Callable[..., AsyncClient]
ADMIN = Principal(subject="admin-1", roles=frozenset({Role.ADMIN}))


@pytest.fixture
async def client(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[Client]:
    """An HTTP client of an app built with some settings changed, signed in as `who`."""
    made: list[AsyncClient] = []

    def build(who: Principal = ADMIN, **changes: Any) -> AsyncClient:
        app = create_app(replace(SETTINGS, **changes), sessions=sessions)
        http = AsyncClient(
            transport=ASGITransport(app=app),
            base_url="http://test",
            headers={"Authorization": f"Bearer {token_for(who)}"},
        )
        made.append(http)
        return http

    yield build
    for http in made:
        await http.aclose()


async def _errors(http: AsyncClient, query: str) -> list[str]:
    response = await http.post("/graphql", json={"query": query})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.get("data") is None, body
    return [e["message"] for e in body["errors"]]


def _nested(depth: int) -> str:
    inner = "code"
    for _ in range(depth):
        inner = f"parent {{ {inner} }}"
    return f'{{ groupClient(code: "X") {{ {inner} }} }}'


async def test_a_document_deeper_than_the_limit_is_refused(client: Client) -> None:
    http = client(query_limits=QueryLimits(max_depth=5))
    assert answer((await http.post("/graphql", json={"query": _nested(3)})).json()) == {
        "data": {"groupClient": None}
    }
    assert any("exceeds maximum operation depth of 5" in m for m in await _errors(http, _nested(6)))


async def test_too_many_aliases_are_refused(client: Client) -> None:
    http = client(query_limits=QueryLimits(max_aliases=3))
    query = "{ " + " ".join(f"a{i}: linesOfBusiness {{ code }}" for i in range(4)) + " }"
    assert any("aliases" in m for m in await _errors(http, query))


async def test_too_many_tokens_are_refused(client: Client) -> None:
    http = client(query_limits=QueryLimits(max_tokens=100))
    query = "{ " + " ".join("linesOfBusiness { code name }" for _ in range(30)) + " }"
    assert any("token" in m.lower() for m in await _errors(http, query))


async def test_too_many_directives_are_refused(client: Client) -> None:
    http = client(query_limits=QueryLimits(max_directives=2))
    query = (
        "{ "
        + " ".join(f"a{i}: linesOfBusiness @include(if: true) {{ code }}" for i in range(3))
        + " }"
    )
    assert await _errors(http, query) == ["The document has more than 2 directives."]


async def test_a_body_over_the_limit_gets_413(client: Client) -> None:
    http = client(max_body_bytes=1000)
    response = await http.post(
        "/graphql", json={"query": "{ linesOfBusiness { code } }" + " " * 2000}
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"


async def test_a_principal_over_its_rate_gets_429_and_others_do_not(client: Client) -> None:
    # given a limit of 3 a minute
    busy = client(rate_per_minute=3)
    query = {"query": "{ linesOfBusiness { code } }"}
    # when
    answers = [(await busy.post("/graphql", json=query)).status_code for _ in range(4)]
    # then
    assert answers == [200, 200, 200, 429]
    refused = await busy.post("/graphql", json=query)
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_production_hides_the_schema_and_suggestions(client: Client) -> None:
    production = client(env="production")
    development = client()
    introspection = "{ __schema { types { name } } }"
    assert any("introspection" in m.lower() for m in await _errors(production, introspection))
    typo = "{ groupClientz { totalCount } }"
    assert await _errors(production, typo) == ["Cannot query field 'groupClientz' on type 'Query'."]
    assert any("Did you mean" in m for m in await _errors(development, typo))


async def test_get_never_runs_a_mutation_and_batches_are_refused(client: Client) -> None:
    http = client()
    mutation = 'mutation { accessGrantRemove(input: {id: "x"}) { removedId } }'
    by_get = await http.get("/graphql", params={"query": mutation})
    assert by_get.status_code in (400, 405)
    batch = await http.post("/graphql", json=[{"query": "{ linesOfBusiness { code } }"}] * 2)
    assert batch.status_code == 400


async def test_readyz_says_whether_the_database_answers(
    client: Client, sessions: async_sessionmaker[AsyncSession]
) -> None:
    assert (await client().get("/readyz")).json() == {"status": "ready"}
    broken = create_app(
        SETTINGS,
        sessions=async_sessionmaker(create_engine("sqlite+aiosqlite:////nonexistent/x.db")),
    )
    async with AsyncClient(transport=ASGITransport(app=broken), base_url="http://test") as http:
        response = await http.get("/readyz")
    assert (response.status_code, response.json()) == (503, {"status": "unavailable"})


async def test_postgresql_stops_a_statement_that_runs_too_long(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the statement timeout is PostgreSQL's")
    engine = create_engine(database_url, statement_timeout_ms=100)
    try:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError, match="statement timeout"):
                await conn.execute(sa.text("SELECT pg_sleep(2)"))
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GROUPCOVER_MAX_DEPTH", "0"),
        ("GROUPCOVER_MAX_ALIASES", "many"),
        ("GROUPCOVER_MAX_BODY_BYTES", "10"),
        ("GROUPCOVER_RATE_PER_MINUTE", "-1"),
        ("GROUPCOVER_MAX_SOCKETS_PER_PRINCIPAL", "0"),
        ("GROUPCOVER_MAX_SUBSCRIPTIONS_PER_PRINCIPAL", "lots"),
        ("GROUPCOVER_SOCKET_CHECK_SECONDS", "0"),
        ("GROUPCOVER_SCRIPT_MAX_STEPS", "10"),
        ("GROUPCOVER_SCRIPT_MAX_MS", "2.5"),
        ("GROUPCOVER_HEADER_TIMEOUT_SECONDS", "0"),
        ("GROUPCOVER_MAX_CONNECTIONS", "lots"),
        ("GROUPCOVER_MAX_HEADER_BYTES", "100"),
        ("GROUPCOVER_AUTH_FAILURES_PER_MINUTE", "-5"),
        ("GROUPCOVER_UNKNOWN_KEY_SECONDS", "86400"),
    ],
)
def test_a_limit_outside_its_range_stops_the_server(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({"GROUPCOVER_SECRET_KEY": "k" * 40, name: value})


def test_limits_are_read_from_the_environment() -> None:
    settings = load_settings(
        {
            "GROUPCOVER_SECRET_KEY": "k" * 40,
            "GROUPCOVER_MAX_DEPTH": "8",
            "GROUPCOVER_RATE_PER_MINUTE": "0",
            "GROUPCOVER_STATEMENT_TIMEOUT_MS": "2500",
            "GROUPCOVER_HEADER_TIMEOUT_SECONDS": "3",
            "GROUPCOVER_MAX_CONNECTIONS": "0",
            "GROUPCOVER_AUTH_FAILURES_PER_MINUTE": "7",
        }
    )
    assert (settings.query_limits.max_depth, settings.rate_per_minute) == (8, 0)
    assert settings.statement_timeout_ms == 2500
    assert (settings.header_timeout_seconds, settings.auth_failures_per_minute) == (3, 7)
    assert (settings.max_connections, settings.keep_alive_seconds) == (0, 5)
    assert isinstance(settings, Settings)


def test_socket_and_script_limits_are_read_from_the_environment() -> None:
    settings = load_settings(
        {
            "GROUPCOVER_SECRET_KEY": "k" * 40,
            "GROUPCOVER_MAX_SOCKETS_PER_PRINCIPAL": "3",
            "GROUPCOVER_MAX_SUBSCRIPTIONS_PER_PRINCIPAL": "20",
            "GROUPCOVER_SOCKET_CHECK_SECONDS": "2",
            "GROUPCOVER_SCRIPT_MAX_STEPS": "5000",
            "GROUPCOVER_SCRIPT_MAX_MS": "250",
        }
    )
    assert settings.socket_limits == SocketLimits(3, 20, 2)
    assert settings.script_limits == ScriptLimits(max_steps=5000, max_seconds=0.25)
    assert load_settings({"GROUPCOVER_SECRET_KEY": "k" * 40}).socket_limits == SocketLimits()


async def test_a_cached_document_is_still_held_to_each_servers_limits(client: Client) -> None:
    # given documents a lenient server has parsed and validated (and so cached)
    deep, long = _nested(6), "{ " + " ".join("linesOfBusiness { code }" for _ in range(30)) + " }"
    lenient = client(query_limits=QueryLimits(max_depth=10, max_tokens=1000))
    for query in (deep, long):
        assert "errors" not in (await lenient.post("/graphql", json={"query": query})).json()
    # when a strict server gets them, twice
    strict = client(query_limits=QueryLimits(max_depth=5, max_tokens=100))
    for _ in range(2):
        # then each time they are refused
        assert any("exceeds maximum operation depth of 5" in m for m in await _errors(strict, deep))
        assert any("token" in m.lower() for m in await _errors(strict, long))


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        (
            "{ groupClients { edges { node { cod } } } }",
            None,
            "Cannot query field 'cod' on type 'GroupClient'.",
        ),
        (
            "{ groupClients(firs: 1) { totalCount } }",
            None,
            "Unknown argument 'firs' on field 'Query.groupClients'.",
        ),
        (
            "{ groupClients { ...F } } fragment F on GroupClientConection { totalCount }",
            None,
            "Unknown type 'GroupClientConection'.",
        ),
        (
            "{ groupClients(filter: {status: APROVED}) { totalCount } }",
            None,
            "Value 'APROVED' does not exist in 'GroupStatus' enum.",
        ),
        (
            "query($f: GroupClientFilter) { groupClients(filter: $f) { totalCount } }",
            {"f": {"status": "APPROVEDX"}},
            "Variable '$f' has invalid value at .status: Value 'APPROVEDX' does not exist in "
            "'GroupStatus' enum.",
        ),
        (
            "{ groupClients { edges } }",
            None,
            "Field 'edges' of type '[GroupClientEdge!]!' must have a selection of subfields.",
        ),
        (
            "query($f: GroupClientFilter) { groupClients(filter: $f) { totalCount } }",
            {"f": {"searc": "x"}},
            "Variable '$f' has invalid value: Expected value of type 'GroupClientFilter' not to "
            "include unknown field 'searc'. Found: {'searc': 'x'}.",
        ),
    ],
    ids=[
        "field",
        "argument",
        "type",
        "enum literal",
        "enum in a variable",
        "subfields",
        "input field, mid-message",
    ],
)
async def test_production_strips_every_suggestion_wherever_it_stands(
    client: Client, query: str, variables: dict[str, Any] | None, message: str
) -> None:
    # given the same mistake sent to both modes
    payload = {"query": query, "variables": variables or {}}
    development = (await client().post("/graphql", json=payload)).json()
    production = (await client(env="production").post("/graphql", json=payload)).json()
    # then development suggests, and production says only what is wrong
    assert any("Did you mean" in e["message"] for e in development["errors"])
    assert [e["message"] for e in production["errors"]] == [message]
