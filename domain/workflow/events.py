"""Telling subscribers that a request changed, across server processes.

On PostgreSQL a change sends NOTIFY in its own transaction, so it is heard only once it
is committed, by every process that LISTENs; on SQLite (one process) it is published
in-process after the commit.

A process LISTENs on one connection, whatever the number of subscribers: `Listener` hears
every notification and hands it to the in-process `Broker`, which wakes the subscribers of
that request. (One connection per subscription let any signed-in user exhaust the database's
`max_connections` with subscriptions: issue 14.)
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

logger = logging.getLogger(__name__)

CHANNEL = "workflow_request"
_PENDING = "workflow_announce"
READY_WAIT = 5.0
"""How long a new subscriber waits for the shared LISTEN before it reads (seconds); if the
database is away longer, every subscriber is woken once the listener is back."""
BACKOFF = (0.1, 0.5, 1.0, 2.0, 5.0)
"""Seconds between attempts to reconnect the listener: growing, then every 5 s."""


class Broker:
    """In-process publish and subscribe by request id."""

    def __init__(self) -> None:
        self._queues: dict[int, set[asyncio.Queue[int]]] = defaultdict(set)

    def publish(self, request_id: int) -> None:
        for queue in list(self._queues.get(request_id, ())):
            queue.put_nowait(request_id)

    def publish_all(self) -> None:
        """Wake every subscriber: after a gap in listening, any request may have changed."""
        for request_id in list(self._queues):
            self.publish(request_id)

    @property
    def subscribers(self) -> int:
        return sum(len(queues) for queues in self._queues.values())

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


class Listener:
    """One LISTEN connection to a PostgreSQL database, shared by this process's subscribers.

    It runs while anyone subscribes, and reconnects with backoff when the connection drops;
    the subscribers stay in the broker meanwhile, and are all woken when it is back, since
    a notification sent in the gap is lost.
    """

    def __init__(self, conninfo: str, broker: Broker) -> None:
        self.conninfo = conninfo
        self.broker = broker
        self.users = 0
        self.ready = asyncio.Event()
        self.connection: psycopg.AsyncConnection[Any] | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        attempt = 0
        while True:
            try:
                await self._listen(woken=attempt > 0)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # any failure of the connection: try again
                logger.warning("the workflow listener lost its connection: %s", error)
            self.ready.clear()
            await asyncio.sleep(BACKOFF[min(attempt, len(BACKOFF) - 1)])
            attempt += 1

    async def _listen(self, *, woken: bool) -> None:
        async with await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True) as conn:
            self.connection = conn
            try:
                await conn.execute(f"LISTEN {CHANNEL}")
                self.ready.set()
                if woken:
                    self.broker.publish_all()
                notes = conn.notifies()
                try:
                    async for note in notes:
                        if note.payload.isdigit():
                            self.broker.publish(int(note.payload))
                finally:
                    # notifies() holds the connection's lock while it waits: let go first.
                    await notes.aclose()  # type: ignore[attr-defined]
            finally:
                self.connection = None


_LISTENERS: dict[str, Listener] = {}


@asynccontextmanager
async def _shared_listener(conninfo: str) -> AsyncIterator[Listener]:
    """The process's listener on this database, started for the first user, stopped after
    the last (so that no connection outlives its subscribers)."""
    listener = _LISTENERS.get(conninfo)
    if listener is None:
        listener = _LISTENERS[conninfo] = Listener(conninfo, LOCAL)
        listener.start()
    listener.users += 1
    try:
        yield listener
    finally:
        listener.users -= 1
        if listener.users == 0 and _LISTENERS.get(conninfo) is listener:
            del _LISTENERS[conninfo]
            await listener.stop()


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
    async with _shared_listener(conninfo) as listener, LOCAL.listening(request_id) as updates:
        with suppress(TimeoutError):  # the listener wakes every subscriber when it is back
            await asyncio.wait_for(listener.ready.wait(), READY_WAIT)
        yield updates
