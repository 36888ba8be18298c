"""Trusted documents on a WebSocket: a graphql-transport-ws `subscribe` names its document by
hash as an HTTP request does, against the app served by uvicorn on loopback."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from api.app import create_app
from api.jobs import InProcess
from tests.api.test_persisted import COUNT, HEADERS, UNTRUSTED, add_documents, persisted
from tests.conftest import SETTINGS
from tests.graphql import answer

PROTOCOL = Subprotocol("graphql-transport-ws")


@pytest.fixture
async def server(
    sessions: async_sessionmaker[AsyncSession],
    runner: InProcess,
    database_url: str,
    session: AsyncSession,
) -> AsyncIterator[str]:
    """A server that runs only trusted documents, served over TCP on a free port."""
    await add_documents(session)
    settings = replace(SETTINGS, database_url=database_url, trusted_documents_only=True)
    app = create_app(settings, sessions=sessions, runner=runner)
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        yield f"127.0.0.1:{listening.getsockname()[1]}"
    finally:
        server.should_exit = True
        await serving
        listening.close()


async def _subscribe(websocket: ClientConnection, id: str, payload: dict[str, Any]) -> Any:
    """Send one subscribe and return the first message answering it."""
    await websocket.send(json.dumps({"id": id, "type": "subscribe", "payload": payload}))
    return json.loads(await asyncio.wait_for(websocket.recv(), 10))


async def test_a_subscribe_by_hash_runs_and_untrusted_ones_are_refused(server: str) -> None:
    async with connect(
        f"ws://{server}/graphql", subprotocols=[PROTOCOL], additional_headers=HEADERS
    ) as websocket:
        await websocket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await websocket.recv())["type"] == "connection_ack"
        # when a trusted document is named by its hash alone
        ran = await _subscribe(websocket, "1", {"extensions": persisted(COUNT)})
        done = json.loads(await websocket.recv())
        # and an unknown hash, and an untrusted text, are sent on the same connection
        unknown = await _subscribe(websocket, "2", {"extensions": persisted(UNTRUSTED)})
        text = await _subscribe(websocket, "3", {"query": UNTRUSTED})
        # then the first ran; the others are refused, each by its own error
        assert (ran["id"], ran["type"]) == ("1", "next")
        assert answer(ran["payload"]) == {"data": {"groupClients": {"totalCount": 2}}}
        assert done == {"id": "1", "type": "complete"}
        assert unknown["id"] == "2" and unknown["type"] == "error"
        assert unknown["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        assert text["id"] == "3" and text["type"] == "error"
        assert text["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
        # and the connection still serves
        again = await _subscribe(websocket, "4", {"query": COUNT})
        assert again["type"] == "next"
