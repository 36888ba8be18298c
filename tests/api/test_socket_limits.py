"""A WebSocket is held to what HTTP is (issue 14): a principal's sockets and subscriptions are
capped, its messages take from the same rate buckets as its HTTP requests, and a socket closes
when its token expires or its API key is revoked. Real clients against the app served by
uvicorn in this test's event loop and transaction, with short intervals."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api import tokens
from api.app import create_app
from api.jobs import InProcess
from api.settings import SocketLimits
from authz.access import EVERYTHING, Actor
from authz.principal import Principal, Role
from domain.access import keys
from domain.core.columns import utcnow
from tests.api import ws
from tests.api.served import served
from tests.conftest import SETTINGS, TEST_SECRET
from tests.factories import Book

CLIENTS = "{ __typename }"
FAST = SocketLimits(max_sockets=2, check_seconds=0.2)

Serve = Callable[..., AbstractAsyncContextManager[str]]


@pytest.fixture
def serve(
    sessions: async_sessionmaker[AsyncSession], runner: InProcess, database_url: str
) -> Serve:
    """Serve the app with these settings changed."""

    def serving(**changes: Any) -> AbstractAsyncContextManager[str]:
        settings = replace(SETTINGS, database_url=database_url, socket_limits=FAST, **changes)
        return served(create_app(settings, sessions=sessions, runner=runner))

    return serving


def _employee(**options: Any) -> str:
    principal = Principal("emp-1", frozenset({Role.EMPLOYEE}))
    return tokens.issue(principal, secret=TEST_SECRET, **options)


async def test_a_principal_s_socket_over_the_cap_is_closed_with_the_reason(serve: Serve) -> None:
    async with serve() as base:
        # given the two sockets an employee may hold
        token = _employee()
        first, second = await ws.acked(base, token), await ws.acked(base, token)
        # when they open a third, then close one and try again
        third = await ws.opened(base, token)
        code, reason = await ws.closed(third)
        await first.close()
        await asyncio.sleep(0.1)
        again = await ws.acked(base, token)
        # then the third was refused saying why, and a socket freed is one to take
        assert (code, reason) == (4429, "At most 2 open sockets per user; close one first.")
        # and another employee is not counted with them
        other = Principal("emp-9", frozenset({Role.EMPLOYEE}))
        await (await ws.acked(base, tokens.issue(other, secret=TEST_SECRET))).close()
        await second.close()
        await again.close()


async def test_every_operation_on_a_socket_counts_against_the_http_rate(serve: Serve) -> None:
    async with serve(rate_per_minute=5) as base, AsyncClient() as http:
        token = _employee()
        websocket = await ws.acked(base, token)  # the connection_init: 1 of 5
        # when the socket sends queries, then HTTP asks once more
        answers = [await ws.ask(websocket, str(n), CLIENTS) for n in range(5)]
        over_http = await http.post(
            f"http://{base}/graphql",
            json={"query": CLIENTS},
            headers={"Authorization": f"Bearer {token}"},
        )
        # then four were answered, the fifth refused on the socket, and HTTP shares the count
        assert [a["type"] for a in answers] == ["next"] * 4 + ["error"]
        (error,) = answers[-1]["payload"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert error["message"] == "More than 5 requests a minute; retry later."
        assert over_http.status_code == 429
        # and a new socket of a subject over its rate is closed at once, saying why
        code, reason = await ws.closed(await ws.opened(base, token))
        assert (code, reason) == (4429, "More than 5 requests a minute; retry later.")
        await websocket.close()


async def test_a_socket_closes_when_its_token_expires(serve: Serve) -> None:
    async with serve() as base:
        # given a socket signed in with a token valid for 3 more seconds (a token's expiry is in
        # whole seconds, so it may end up to a second sooner; a busy machine needs the margin
        # to say connection_init before it ends)
        issued = time.monotonic()
        websocket = await ws.acked(base, _employee(lifetime=timedelta(seconds=3)))
        # when it expires
        code, reason = await ws.closed(websocket)
        # then the socket was closed soon after (checked every 0.2 s here), and not before
        assert (code, reason) == (4401, "The token has expired.")
        assert 1.9 < time.monotonic() - issued < 4.5


async def test_a_socket_closes_when_its_api_key_is_revoked(
    serve: Serve, session: AsyncSession
) -> None:
    # given a partner's socket, signed in with an API key
    await (await Book(session).setup()).client(code="ACME")
    admin, now = Actor("admin-1", EVERYTHING), utcnow()
    row, key = await keys.create_api_key(
        session,
        actor=admin,
        name="broker",
        group_client_codes=["ACME"],
        expires_at=now + timedelta(days=30),
        now=now,
    )
    await session.commit()
    async with serve() as base:
        websocket = await ws.acked(base, key)
        assert (await ws.ask(websocket, "1", CLIENTS))["type"] == "next"
        # when the key is revoked
        await keys.revoke_api_key(session, actor=admin, key_id=row.id, now=utcnow())  # type: ignore[arg-type]
        await session.commit()
        revoked = time.monotonic()
        code, reason = await ws.closed(websocket)
        # then its open socket closes within the check's interval
        assert (code, reason) == (4401, "The API key has been revoked.")
        assert time.monotonic() - revoked < 1.5
