"""Working webhook queues: events into deliveries, deliveries out, in order per subject.

On PostgreSQL each subject's queue is a procrastinate job (`webhooks.deliver`) that holds the
queue's lock (procrastinate runs no two jobs of one lock at once, in the order deferred), and
every worker looks for new events every `poll_seconds`. On SQLite the same work runs in the
server's process. Either way a delivery is marked DELIVERED only after the receiver accepted
it: a worker killed mid-delivery leaves it PENDING, and the job it held is retried once the
worker is found silent (api.jobs.retry_stalled), so the receiver gets it again, same id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx
import procrastinate
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api import webhooks
from api.jobs import jobs, maybe_crash
from api.webhooks import WebhookSettings
from domain.core.columns import utcnow
from domain.core.transactions import atomic
from domain.webhooks import delivery, fanout
from domain.webhooks.fanout import SubjectKey

logger = logging.getLogger(__name__)

QUEUE = "webhooks"
SWEEP_SECONDS = 5.0
"""How often queues whose head is due (a retry's time came, a lost job's) are picked up."""
CRASH_AFTER_SENDS = "GROUPCOVER_CRASH_AFTER_SENDS"
"""Tests only: a worker that exits at once after this many answered sends, before recording."""

Sessions = async_sessionmaker[AsyncSession]
Defer = Callable[[SubjectKey], Awaitable[None]]


async def work(
    sessions: Sessions, http: httpx.AsyncClient, settings: WebhookSettings, key: SubjectKey
) -> datetime | None:
    """Send a queue's deliveries in order until it is empty or its head must wait; then
    return when the head is due (None: nothing waits). How an attempt went and the next
    head are one transaction."""
    sent: tuple[int, delivery.Answer, datetime] | None = None
    while True:
        async with sessions() as session, atomic(session):
            if sent is not None:
                await delivery.settle(session, *sent, settings.retry)
                await session.flush()  # the head below must see it settled
            due = await delivery.head(session, key, utcnow())
        if not isinstance(due, delivery.Attempt):
            return due
        answer = await webhooks.send(http, due, settings)
        maybe_crash(CRASH_AFTER_SENDS)  # the receiver has it; its answer is not recorded
        sent = (due.delivery_id, answer, utcnow())


async def dispatch(sessions: Sessions, defer: Defer, *, sweep: bool) -> int:
    """Make the deliveries of new events and queue their subjects (with `sweep`, also every
    queue whose head is due); return how many queues were queued."""
    keys: set[SubjectKey] = set()
    async with sessions() as session:
        new = await fanout.behind(session)
    if new:  # else no write lock (SQLite's is the database's) is taken every poll
        async with sessions() as session, atomic(session):
            keys |= set(await fanout.fan_out(session))
    if sweep:
        async with sessions() as session:
            keys |= set(await delivery.due(session, utcnow()))
    await asyncio.gather(*(defer(key) for key in sorted(keys)))
    return len(keys)


async def run_dispatcher(sessions: Sessions, defer: Defer, settings: WebhookSettings) -> None:
    """Look for new events every `poll_seconds`, for as long as the process runs."""
    loop = asyncio.get_running_loop()
    swept = 0.0
    while True:
        sweep = loop.time() - swept >= SWEEP_SECONDS
        try:
            await dispatch(sessions, defer, sweep=sweep)
            swept = loop.time() if sweep else swept
        except Exception:  # the next pass tries again; nothing is lost (cursors, PENDING)
            logger.exception("webhook dispatch failed")
        await asyncio.sleep(settings.poll_seconds)


class LocalDeliveries:
    """Queues worked as tasks of this process (SQLite): one task per queue at a time."""

    def __init__(self, sessions: Sessions, settings: WebhookSettings) -> None:
        self.sessions = sessions
        self.settings = settings
        self.http = webhooks.client(settings)
        self._running: dict[SubjectKey, asyncio.Task[Any]] = {}

    async def defer(self, key: SubjectKey) -> None:
        if key not in self._running:
            task = asyncio.create_task(self._work_logged(key))
            self._running[key] = task
            task.add_done_callback(lambda _: self._running.pop(key, None))

    async def _work_logged(self, key: SubjectKey) -> None:
        try:
            await work(self.sessions, self.http, self.settings, key)
        except Exception:  # its deliveries stay PENDING: the sweep picks the queue up again
            logger.exception("webhook queue %s failed", key)

    async def drain(self) -> None:
        """Send everything due, retries included, until nothing more is due now."""
        while await dispatch(self.sessions, self.defer, sweep=True) or self._running:
            await asyncio.gather(*list(self._running.values()))

    async def run(self) -> None:
        """Dispatch and send for as long as the server runs."""
        try:
            await run_dispatcher(self.sessions, self.defer, self.settings)
        finally:
            await self.http.aclose()


# --- procrastinate (PostgreSQL) -------------------------------------------------------

_worker: dict[str, Any] = {}


def configure_worker(sessions: Sessions, settings: WebhookSettings) -> None:
    """What the delivery jobs use in this process."""
    _worker.update(sessions=sessions, settings=settings, http=webhooks.client(settings))


@jobs.task(name="webhooks.deliver", queue=QUEUE, pass_context=True)
async def deliver(context: procrastinate.JobContext, key: str) -> None:
    """Send one subject's due deliveries in order; queue the next attempt when one must wait."""
    later = await work(
        _worker["sessions"], _worker["http"], _worker["settings"], SubjectKey.parse(key)
    )
    if later is not None:
        assert context.app is not None
        await defer_delivery(context.app, SubjectKey.parse(key), at=later)


async def defer_delivery(
    app: procrastinate.App, key: SubjectKey, *, at: datetime | None = None
) -> None:
    """Queue a subject's job; one already waiting for it does the same work."""
    with contextlib.suppress(procrastinate.exceptions.AlreadyEnqueued):
        await app.configure_task(
            "webhooks.deliver", lock=str(key), queueing_lock=str(key), schedule_at=at
        ).defer_async(key=str(key))
