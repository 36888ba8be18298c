"""A bare graphql-transport-ws client, message by message, for what gql hides: close codes,
`error` messages, many operations on one socket."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

PROTOCOL = Subprotocol("graphql-transport-ws")


async def opened(base: str, credential: str) -> ClientConnection:
    """A socket that sent connection_init with this credential, not yet acknowledged."""
    websocket = await connect(f"ws://{base}/graphql", subprotocols=[PROTOCOL])
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {credential}"}}
    await websocket.send(json.dumps(init))
    return websocket


async def acked(base: str, credential: str) -> ClientConnection:
    """A socket signed in and acknowledged."""
    websocket = await opened(base, credential)
    assert json.loads(await asyncio.wait_for(websocket.recv(), 30)) == {"type": "connection_ack"}
    return websocket


async def start(websocket: ClientConnection, id_: str, query: str, **variables: Any) -> None:
    payload = {"query": query, "variables": variables}
    await websocket.send(json.dumps({"id": id_, "type": "subscribe", "payload": payload}))


async def received(websocket: ClientConnection, within: float = 10) -> Any:
    return json.loads(await asyncio.wait_for(websocket.recv(), within))


async def send(websocket: ClientConnection, id_: str, query: str, **variables: Any) -> Any:
    """Start an operation and return the first message about it."""
    await start(websocket, id_, query, **variables)
    return await received(websocket)


async def closed(websocket: ClientConnection, within: float = 10) -> tuple[int, str]:
    """Wait for the server to close the socket; its close code and reason."""
    with pytest.raises(ConnectionClosed) as ended:
        while True:
            await asyncio.wait_for(websocket.recv(), within)
    assert ended.value.rcvd is not None
    return ended.value.rcvd.code, ended.value.rcvd.reason


async def ask(websocket: ClientConnection, id_: str, query: str, **variables: Any) -> Any:
    """Run a query or mutation: its `next` (after which the `complete` is read) or `error`."""
    first = await send(websocket, id_, query, **variables)
    if first["type"] == "next":
        assert (await received(websocket))["type"] == "complete"
    return first
