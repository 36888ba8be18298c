"""Single sign-on through the app: a GraphQL query and a WebSocket signed in by the identity
provider's token (served by a real JWKS endpoint on loopback), beside the server's own tokens;
what a client is told when the provider's keys cannot be fetched."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import pytest
import uvicorn
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from api.app import create_app
from api.jobs import InProcess
from authz.principal import Principal, Role
from tests.api.idp import Key, Provider, serving, sign
from tests.conftest import SETTINGS, token_for
from tests.factories import Book
from tests.graphql import GraphQLClient

CLIENTS = "{ groupClients(first: 10) { edges { node { code } } } }"
PROTOCOL = Subprotocol(WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL)
KEY = Key.ec("ec-app")


@pytest.fixture
def idp() -> Iterator[Provider]:
    with serving(KEY) as provider:
        yield provider


@pytest.fixture
async def http(
    sessions: async_sessionmaker[AsyncSession], runner: InProcess, idp: Provider
) -> AsyncIterator[AsyncClient]:
    """An HTTP client of the app, which trusts the provider beside its own tokens."""
    app = create_app(replace(SETTINGS, oidc=idp.settings()), sessions=sessions, runner=runner)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        yield client


@pytest.fixture
async def groups(session: AsyncSession) -> None:
    book = await Book(session).setup()
    await book.client(code="ACME")
    await book.client(code="GLOBEX")
    await session.commit()


def codes(data: dict[str, object]) -> list[str]:
    return [edge["node"]["code"] for edge in data["groupClients"]["edges"]]  # type: ignore[index]


async def test_the_providers_token_queries_within_the_grants_it_carries(
    http: AsyncClient, groups: None
) -> None:
    # given an HR manager of ACME, as the company's provider says
    manager = GraphQLClient(http, sign(KEY, roles=["group_manager"], groups=["ACME"]))
    # when
    data = await manager.query(CLIENTS)
    # then
    assert codes(data) == ["ACME"]


async def test_the_servers_own_tokens_still_sign_in(http: AsyncClient, groups: None) -> None:
    # given
    admin = GraphQLClient(http, token_for(Principal("admin-1", frozenset({Role.ADMIN}))))
    # when
    data = await admin.query(CLIENTS)
    # then
    assert codes(data) == ["ACME", "GLOBEX"]


async def test_a_refused_provider_token_gets_the_401_every_refusal_gets(http: AsyncClient) -> None:
    # when
    response = await http.post(
        "/graphql",
        json={"query": CLIENTS},
        headers={"Authorization": f"Bearer {sign(KEY, aud='another-app')}"},
    )
    # then
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    (error,) = response.json()["errors"]
    assert error == {
        "message": "The token's audience is not this server.",
        "extensions": {"code": "UNAUTHENTICATED"},
    }


async def test_keys_out_of_reach_get_503_saying_so_without_internals(
    http: AsyncClient, idp: Provider
) -> None:
    # given
    idp.status, idp.body = 500, b"Traceback: connection to ldap://10.0.0.7 failed"
    # when
    response = await http.post(
        "/graphql", json={"query": CLIENTS}, headers={"Authorization": f"Bearer {sign(KEY)}"}
    )
    # then
    assert response.status_code == 503
    assert response.headers["retry-after"] == "10"
    (error,) = response.json()["errors"]
    assert error == {
        "message": "The identity provider's signing keys cannot be fetched now; try again later.",
        "extensions": {"code": "UNAVAILABLE"},
    }


@pytest.fixture
async def server(
    sessions: async_sessionmaker[AsyncSession], runner: InProcess, idp: Provider
) -> AsyncIterator[str]:
    """The app trusting the provider, served by uvicorn on a free port; its address."""
    app = create_app(replace(SETTINGS, oidc=idp.settings()), sessions=sessions, runner=runner)
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    serving_task = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        yield f"127.0.0.1:{listening.getsockname()[1]}"
    finally:
        server.should_exit = True
        await serving_task
        listening.close()


async def test_the_providers_token_in_connection_init_signs_a_socket_in(
    server: str, groups: None
) -> None:
    # given a browser-like client: the provider's token in connectionParams
    transport = WebsocketsTransport(
        url=f"ws://{server}/graphql",
        init_payload={"Authorization": f"Bearer {sign(KEY, roles=['admin'])}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    # when
    async with Client(transport=transport) as session:
        data = await session.execute(gql(CLIENTS))
    # then
    assert codes(data) == ["ACME", "GLOBEX"]


async def test_keys_out_of_reach_close_a_socket_to_be_retried(server: str, idp: Provider) -> None:
    # given
    idp.status, idp.body = 502, b"down"
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {sign(KEY)}"}}
    # when
    async with connect(f"ws://{server}/graphql", subprotocols=[PROTOCOL]) as websocket:
        await websocket.send(json.dumps(init))
        with pytest.raises(ConnectionClosed) as closed:
            await websocket.recv()
    # then: 1013, "try again later", which graphql-ws clients retry (4401 they would not)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1013
    assert "try again later" in closed.value.rcvd.reason
