"""`groupcover worker`: procrastinate's worker, kept running through database outages.

procrastinate stops its worker when one of its side tasks loses the database (its LISTEN
connection, its heartbeat: "Side task listener failed ... stopping worker"), and a PostgreSQL
restart or failover does exactly that. Here the worker is started again, with the queue's
connections made anew, after a wait that doubles from 0.5 s to 30 s while the database stays
away; each attempt is one log line. Only SIGINT or SIGTERM (or `--once`) ends it.

Each start first puts back in the queue the jobs that a worker gone silent held ("doing" for
ever otherwise; jobs.retry_stalled, also every minute), then the workflow sweep picks up
requests waiting on the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import time
from pathlib import Path
from typing import Any

from api import deliveries, jobs, mailer
from api.settings import Settings, database_engine
from domain.database import session_factory
from domain.documents import kinds
from domain.mail.service import on_queued
from domain.workflow import scripts

logger = logging.getLogger("groupcover.worker")

FIRST_WAIT_SECONDS = 0.5
LONGEST_WAIT_SECONDS = 30.0
STEADY_SECONDS = 60.0
"""A run at least this long counts as recovered: the next wait starts short again."""


async def run(settings: Settings, *, concurrency: int, once: bool, on_start: Any) -> None:
    """Work the queue until asked to stop; after a lost database, wait, reconnect, go on."""
    engine = database_engine(
        settings,
        statement_timeout_ms=settings.statement_timeout_ms,
        pool_size=concurrency,  # a job holds one session at a time
    )
    sessions = session_factory(engine)
    jobs.configure_worker(sessions, settings.policy_limits, Path(settings.exports_dir))
    mailer.configure_worker(mailer.Mailer(sessions, settings.mail))
    deliveries.configure_worker(sessions, settings.webhooks)
    scripts.configure(settings.script_limits)
    kinds.configure(settings.retention)
    stopping = asyncio.Event()
    working: list[asyncio.Task[None]] = []
    _on_signals(stopping, working)
    failures = 0
    try:
        while not stopping.is_set():
            work = _work(settings, sessions, concurrency, once, on_start)
            working[:] = [asyncio.create_task(work)]
            began = time.monotonic()
            reason = await _attempt(working[0], stopping, once)
            if reason is None:
                return
            if time.monotonic() - began > STEADY_SECONDS:
                failures = 0  # it had worked for a while: this is a new outage
            wait = min(LONGEST_WAIT_SECONDS, FIRST_WAIT_SECONDS * 2**failures)
            failures += 1
            logger.warning(
                "worker stopped: %s; reconnecting in %.1f s (attempt %d)", reason, wait, failures
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), wait)
    finally:
        await engine.dispose()


async def _attempt(working: asyncio.Task[None], stopping: asyncio.Event, once: bool) -> str | None:
    """Wait for one run of the worker; None when it ended as asked, else why it stopped."""
    try:
        await working
    except asyncio.CancelledError:
        if stopping.is_set():
            return None
        raise
    except Exception as error:
        if once:
            raise
        return f"{type(error).__name__}: {_first_line(error)}"
    if once or stopping.is_set():
        return None
    return "procrastinate stopped its worker (a lost database connection)"


async def _work(
    settings: Settings, sessions: Any, concurrency: int, once: bool, on_start: Any
) -> None:
    async with jobs.queue_on(settings.listen_url) as queue:
        on_start(queue)
        # Mail queued by a job here is sent by a job too, once that job commits.
        on_queued(mailer.deferring(lambda: queue))
        await jobs.retry_stalled(queue)
        # Pick up what a worker that died left half done, then take jobs.
        _escalated, due = await jobs.sweep(sessions)
        for request_id in due:
            await jobs.defer_advance(queue, request_id)
        # New events become deliveries here, on every worker (each endpoint taken by one).
        defer = functools.partial(deliveries.defer_delivery, queue)
        await deliveries.dispatch(sessions, defer, sweep=True)
        dispatching = (
            None
            if once
            else asyncio.create_task(deliveries.run_dispatcher(sessions, defer, settings.webhooks))
        )
        try:
            await queue.run_worker_async(
                queues=list(jobs.QUEUES),
                concurrency=concurrency,
                wait=not once,
                # Ours (see _on_signals): procrastinate's would end only the current attempt.
                install_signal_handlers=False,
            )
        finally:
            if dispatching is not None:
                dispatching.cancel()


def _on_signals(stopping: asyncio.Event, working: list[asyncio.Task[None]]) -> None:
    """SIGINT and SIGTERM stop the worker gracefully (procrastinate finishes running jobs)."""
    loop = asyncio.get_running_loop()

    def stop() -> None:
        stopping.set()
        for task in working:
            task.cancel()

    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop)


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [""])[0][:200]
