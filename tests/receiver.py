"""A real webhook receiver for tests: an HTTP server on a free loopback port that checks every
signature with the standardwebhooks package and answers as the test scripts it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from standardwebhooks import Webhook
from starlette.requests import Request
from starlette.responses import Response

from tests.live import free_port


@dataclass
class Received:
    """One request the receiver got: its webhook-id and its JSON body."""

    message_id: str
    body: dict[str, Any]
    at: float = field(default_factory=time.time)
    """When it arrived (the epoch's seconds): what bench.events measures latency to."""

    @property
    def subject(self) -> tuple[str, int]:
        return self.body["data"]["subjectType"], self.body["data"]["subjectId"]


@dataclass
class Receiver:
    """What the receiver got, and how it answers next (a status per request, then 204)."""

    url: str
    secret: str = ""
    answers: list[int] = field(default_factory=list)
    delay_seconds: float = 0.0
    received: list[Received] = field(default_factory=list)
    unsigned: int = 0
    """Requests whose signature did not verify with `secret`."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        raw = await request.body()
        try:
            body = Webhook(self.secret).verify(raw, dict(request.headers))
        except Exception:
            self.unsigned += 1
            await Response(status_code=400)(scope, receive, send)
            return
        self.received.append(Received(request.headers["webhook-id"], body))
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        status = self.answers.pop(0) if self.answers else 204
        await Response(status_code=status)(scope, receive, send)

    def ids(self) -> list[str]:
        return [item.message_id for item in self.received]

    def payloads(self) -> list[dict[str, Any]]:
        return [item.body["data"]["payload"] for item in self.received]


@asynccontextmanager
async def receiving() -> AsyncIterator[Receiver]:
    """A receiver listening on 127.0.0.1 for the block; set its `secret` once known."""
    port = free_port()
    receiver = Receiver(url=f"http://127.0.0.1:{port}/hooks")
    config = uvicorn.Config(receiver, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    for _ in range(1000):  # uvicorn offers no event to await: it sets `started`
        if server.started:
            break
        await asyncio.sleep(0.01)
    try:
        yield receiver
    finally:
        server.should_exit = True
        await serving
