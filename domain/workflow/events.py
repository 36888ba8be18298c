"""Telling subscribers that a request changed, across server processes.

On PostgreSQL a change sends NOTIFY in its own transaction, so it is heard only once it
is committed, by every process that LISTENs; on SQLite (one process) it is published
in-process after the commit.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

CHANNEL = "workflow_request"
_PENDING = "workflow_announce"


class Broker:
    """In-process publish and subscribe by request id."""

    def __init__(self) -> None:
        self._queues: dict[int, set[asyncio.Queue[int]]] = defaultdict(set)

    def publish(self, request_id: int) -> None:
        for queue in list(self._queues.get(request_id, ())):
            queue.put_nowait(request_id)

    @asynccontextmanager
    async def listening(self, request_id: int) -> AsyncIterator[AsyncIterator[int]]:
        queue: asyncio.Queue[int] = asyncio.Queue()
        self._queues[request_id].add(queue)

        async def updates() -> AsyncIterator[int]:
            while True:
                yield await queue.get()

        try:
            yield updates()
        finally:
            self._queues[request_id].discard(queue)
            if not self._queues[request_id]:
                del self._queues[request_id]


LOCAL = Broker()


async def announce(session: AsyncSession, request_id: int) -> None:
    """Tell subscribers of this request, once the caller's transaction commits."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(sa.select(sa.func.pg_notify(CHANNEL, str(request_id))))
        return
    pending: set[int] = session.info.setdefault(_PENDING, set())
    if not pending:
        # A change rolled back may still be announced: a subscriber reads it and sees none.
        event.listen(session.sync_session, "after_commit", _publish, once=True)
    pending.add(request_id)


def _publish(sync_session: Any) -> None:
    for request_id in sync_session.info.pop(_PENDING, set()):
        LOCAL.publish(request_id)


@asynccontextmanager
async def changes(database_url: str, request_id: int) -> AsyncIterator[AsyncIterator[int]]:
    """Listen, from now on, for the changes of one request, wherever they are made."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        async with LOCAL.listening(request_id) as updates:
            yield updates
        return
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        await conn.execute(f"LISTEN {CHANNEL}")

        async def notified() -> AsyncIterator[int]:
            async for note in conn.notifies():
                if note.payload == str(request_id):
                    yield request_id

        updates = notified()
        try:
            yield updates
        finally:
            # notifies() holds the connection's lock while it waits: let go before closing.
            await updates.aclose()  # type: ignore[attr-defined]
