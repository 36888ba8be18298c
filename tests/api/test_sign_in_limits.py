"""What failed sign-ins cost the server: a client address that keeps failing is refused with
429 before anything is checked, and a made-up API key repeated costs one database lookup."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from authz.principal import Principal, Role
from domain.access.models import ApiKey
from domain.workflow.steps import Runner
from tests.conftest import SETTINGS, StatementCounter, token_for

LIST_CLIENTS = "{ groupClients(first: 5) { totalCount } }"
ADMIN = token_for(Principal(subject="admin-1", roles=frozenset({Role.ADMIN})))
MADE_UP_KEY = "gck_0123abcd4567_" + "s" * 43
ClientAt = Callable[[str], AsyncClient]


@pytest.fixture
async def client_at(
    sessions: async_sessionmaker[AsyncSession], runner: Runner
) -> AsyncIterator[ClientAt]:
    """HTTP clients of one app (3 failures a minute, unknown keys remembered 1 s), by address."""
    settings = replace(SETTINGS, auth_failures_per_minute=3, unknown_key_seconds=1)
    app = create_app(settings, sessions=sessions, runner=runner)
    opened: list[AsyncClient] = []

    def at(address: str) -> AsyncClient:
        transport = ASGITransport(app=app, client=(address, 40000))
        opened.append(AsyncClient(transport=transport, base_url="http://test"))
        return opened[-1]

    yield at
    for client in opened:
        await client.aclose()


async def post(http: AsyncClient, credential: str) -> Response:
    headers = {"Authorization": f"Bearer {credential}"}
    return await http.post("/graphql", json={"query": LIST_CLIENTS}, headers=headers)


async def test_an_address_that_keeps_failing_to_sign_in_gets_429_with_retry_after(
    client_at: ClientAt,
) -> None:
    # given a client that failed three times within the minute
    attacker, neighbour = client_at("198.51.100.7"), client_at("198.51.100.8")
    failures = [await post(attacker, "not-a-token") for _ in range(3)]
    # when it tries again, with a bad token and then with a good one
    again = await post(attacker, "still-not-a-token")
    good = await post(attacker, ADMIN)
    # then the failures were 401s, and it is now refused before anything is checked
    assert [r.status_code for r in failures] == [401, 401, 401]
    for refused in (again, good):
        assert refused.status_code == 429, refused.text
        assert 1 <= int(refused.headers["retry-after"]) <= 20
        (error,) = refused.json()["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert "failed sign-ins" in error["message"]
    # and another address is not held to its failures
    assert (await post(neighbour, "not-a-token")).status_code == 401
    assert (await post(neighbour, ADMIN)).status_code == 200


async def test_successful_sign_ins_do_not_count_as_failures(client_at: ClientAt) -> None:
    # given
    client = client_at("198.51.100.9")
    # when
    answers = [await post(client, ADMIN) for _ in range(10)]
    # then
    assert {r.status_code for r in answers} == {200}


def _key_lookups(statements: StatementCounter) -> int:
    return sum("FROM api_key" in statement for statement in statements.statements)


async def test_a_made_up_api_key_repeated_costs_one_database_lookup(
    client_at: ClientAt, statements: StatementCounter
) -> None:
    # given
    clients = [client_at(f"203.0.113.{n}") for n in range(3)]
    statements.reset()
    # when a made-up key is presented six times from three addresses
    answers = [await post(client, MADE_UP_KEY) for client in clients for _ in range(2)]
    # then every answer is 401, and the database was asked once
    assert {r.status_code for r in answers} == {401}
    assert {r.json()["errors"][0]["message"] for r in answers} == {"The API key is not valid."}
    assert _key_lookups(statements) == 1


async def test_a_key_found_unknown_works_once_the_cache_forgets_it(
    client_at: ClientAt, session: AsyncSession
) -> None:
    # given a key refused as unknown, then made (as if its text had been guessed first)
    client = client_at("203.0.113.50")
    assert (await post(client, MADE_UP_KEY)).status_code == 401
    prefix, secret = MADE_UP_KEY.removeprefix("gck_").split("_")
    session.add(
        ApiKey(
            name="LATE",
            prefix=prefix,
            secret_hash=hashlib.sha256(secret.encode()).hexdigest(),
            created_by="admin-1",
            expires_at=datetime.now(UTC) + timedelta(days=30),
        )
    )
    await session.commit()
    # when it is presented within the cache's second, and after it
    within = await post(client, MADE_UP_KEY)
    await asyncio.sleep(1.1)
    after = await post(client, MADE_UP_KEY)
    # then
    assert within.status_code == 401
    assert after.status_code == 200, after.text
