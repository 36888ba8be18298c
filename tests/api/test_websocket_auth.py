"""Signing in on a WebSocket: by the handshake's header, or, as a browser must, by the token in
graphql-transport-ws's `connection_init` payload (graphql-ws's `connectionParams`). Real
clients against the app served by uvicorn in this test's event loop and transaction."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from api import tokens
from api.app import create_app
from api.jobs import InProcess
from authz.access import EVERYTHING, Actor
from authz.principal import GrantKind, Principal, Role
from domain.access import keys
from domain.access.models import AccessGrant
from domain.core.columns import utcnow
from tests.api.served import served
from tests.conftest import SETTINGS, TEST_SECRET, token_for
from tests.factories import Book

ADMIN_ACTOR = Actor("admin-1", EVERYTHING)
PORTAL = "https://portal.example.com"
CLIENTS = "{ groupClients(first: 10) { edges { node { code } } } }"
PROTOCOL = Subprotocol(WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL)
MANAGER = Principal("hr-1", frozenset({Role.GROUP_MANAGER}))
ADMIN = Principal("admin-1", frozenset({Role.ADMIN}))


@pytest.fixture
async def server(
    sessions: async_sessionmaker[AsyncSession], runner: InProcess, database_url: str
) -> AsyncIterator[str]:
    """The app, served over TCP by uvicorn on a free port; its address."""
    settings = replace(SETTINGS, database_url=database_url, cors_origins=(PORTAL,))
    app = create_app(settings, sessions=sessions, runner=runner)
    async with served(app) as base:
        yield base


@pytest.fixture
async def groups(session: AsyncSession) -> None:
    """ACME and GLOBEX; the manager hr-1 holds a stored grant on ACME only."""
    book = await Book(session).setup()
    await book.client(code="ACME")
    await book.client(code="GLOBEX")
    session.add(
        AccessGrant(
            subject=MANAGER.subject,
            role=Role.GROUP_MANAGER,
            kind=GrantKind.GROUP_CLIENT,
            code="ACME",
            created_by="admin-1",
        )
    )
    await session.commit()


async def _closed_on_init(base: str, payload: dict[str, Any]) -> tuple[int, str]:
    """Open a socket without credentials, send connection_init, and say how it was closed."""
    async with connect(f"ws://{base}/graphql", subprotocols=[PROTOCOL]) as websocket:
        await websocket.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(ConnectionClosed) as closed:
            await websocket.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


def _bearer(principal: Principal, **options: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.issue(principal, secret=TEST_SECRET, **options)}"}


async def test_a_token_sent_only_in_connection_init_signs_in_with_its_stored_grants(
    server: str, groups: None
) -> None:
    # given a browser-like client: no header, the token in connectionParams
    transport = WebsocketsTransport(
        url=f"ws://{server}/graphql",
        init_payload=_bearer(MANAGER),
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    # when
    async with Client(transport=transport) as session:
        data = await session.execute(gql(CLIENTS))
    # then the manager sees what their stored grant reaches, and nothing else
    assert data == {"groupClients": {"edges": [{"node": {"code": "ACME"}}]}}


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        pytest.param({}, "Missing `Authorization: Bearer <token>`", id="no token"),
        pytest.param({"Authorization": "Basic x"}, "must be `Bearer <token>`", id="not bearer"),
        pytest.param(
            _bearer(ADMIN, lifetime=timedelta(minutes=-1)), "The token has expired.", id="expired"
        ),
        pytest.param(
            {"authorization": f"Bearer {tokens.issue(ADMIN, secret='forged-' + 'x' * 40)}"},
            "The token's signature is not valid.",
            id="forged",
        ),
    ],
)
async def test_refused_credentials_in_connection_init_close_with_4401_and_the_reason(
    server: str, payload: dict[str, Any], says: str
) -> None:
    # when
    code, reason = await _closed_on_init(server, payload)
    # then
    assert code == 4401
    assert says in reason


async def test_a_revoked_api_key_in_connection_init_is_refused(
    server: str, session: AsyncSession
) -> None:
    # given a partner's key, revoked
    book = await Book(session).setup()
    await book.client(code="ACME")
    now = utcnow()
    row, key = await keys.create_api_key(
        session,
        actor=ADMIN_ACTOR,
        name="broker",
        group_client_codes=["ACME"],
        expires_at=now + timedelta(days=30),
        now=now,
    )
    await keys.revoke_api_key(session, actor=ADMIN_ACTOR, key_id=row.id, now=now)  # type: ignore[arg-type]
    await session.commit()
    # when
    code, reason = await _closed_on_init(server, {"Authorization": f"Bearer {key}"})
    # then
    assert (code, reason) == (4401, "The API key has been revoked.")


async def test_a_refused_header_refuses_the_handshake_with_the_http_401(server: str) -> None:
    # given
    forged = tokens.issue(ADMIN, secret="forged-" + "x" * 40)
    # when
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            f"ws://{server}/graphql",
            subprotocols=[PROTOCOL],
            additional_headers={"Authorization": f"Bearer {forged}"},
        ):
            pass
    # then
    response = refused.value.response
    assert response.status_code == 401
    (error,) = json.loads(response.body)["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "signature" in error["message"]


async def test_a_valid_header_still_signs_in(server: str, groups: None) -> None:
    # given a server-side client sending the token in the handshake
    transport = WebsocketsTransport(
        url=f"ws://{server}/graphql",
        headers={"Authorization": f"Bearer {token_for(ADMIN)}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    # when
    async with Client(transport=transport) as session:
        data = await session.execute(gql(CLIENTS))
    # then
    assert [e["node"]["code"] for e in data["groupClients"]["edges"]] == ["ACME", "GLOBEX"]


async def test_only_pages_of_an_allowed_origin_may_open_a_socket(server: str) -> None:
    # when a page of the portal, and one of another site, open a socket
    async with connect(f"ws://{server}/graphql", subprotocols=[PROTOCOL], origin=PORTAL) as ok:
        await ok.send(json.dumps({"type": "connection_init", "payload": _bearer(ADMIN)}))
        acknowledged = json.loads(await ok.recv())
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            f"ws://{server}/graphql", subprotocols=[PROTOCOL], origin="https://evil.example.net"
        ):
            pass
    # then
    assert acknowledged == {"type": "connection_ack"}
    assert refused.value.response.status_code == 403
