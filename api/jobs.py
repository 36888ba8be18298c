"""Running the server's steps of requests in the background.

On PostgreSQL they are procrastinate jobs, run by `groupcover worker` on any number of
machines; on SQLite they run in the server's own process. Either way each step is a
transaction of its own (domain.workflow.steps.server_step), and a sweep every minute
escalates overdue tasks and picks up again any request whose step was lost with a process
that died: a request waiting on the server says so in its row (`waits_on_server`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import procrastinate
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.campaigns import merging
from domain.campaigns import runs as campaigns
from domain.campaigns.tasks import expire_due
from domain.core.transactions import atomic
from domain.intake import background
from domain.policies.limits import PolicyLimits
from domain.premiums import runs
from domain.reports.exporting import run_export
from domain.workflow import steps

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 60
CRASH_AFTER = "GROUPCOVER_CRASH_AFTER_STEPS"
"""Tests only: a worker that exits at once after this many committed steps."""


async def drive(
    sessions: async_sessionmaker[AsyncSession], limits: PolicyLimits, request_id: int
) -> int:
    """Do a request's server steps, each in its own transaction, until none is due."""
    done = 0
    while True:
        async with sessions() as session, atomic(session):
            more = await steps.server_step(session, request_id, limits)
        done += 1
        maybe_crash()
        if not more:
            return done


async def sweep(
    sessions: async_sessionmaker[AsyncSession], now: datetime | None = None
) -> tuple[int, list[int]]:
    """Escalate overdue tasks; return how many, and the requests waiting on the server."""
    async with sessions() as session, atomic(session):
        escalated = await steps.escalate_overdue(session, now)
    async with sessions() as session:
        return escalated, await steps.waiting_on_server(session)


async def sweep_campaigns(
    sessions: async_sessionmaker[AsyncSession], now: datetime | None = None
) -> tuple[list[int], list[int]]:
    """Remind and expire campaign tasks; return the runs not begun and the clients whose
    letters are due (a lost job's work)."""
    async with sessions() as session, atomic(session):
        await expire_due(session, now)
    async with sessions() as session:
        return await merging.waiting(session)


async def begin_campaign(sessions: async_sessionmaker[AsyncSession], run_id: int) -> None:
    """Find a campaign run's audience and ask its clients, in one transaction."""
    async with sessions() as session, atomic(session):
        await campaigns.begin(session, run_id)


async def merge_letters(sessions: async_sessionmaker[AsyncSession], part_id: int) -> None:
    """Make a client's letters, a batch per transaction, until none is due."""
    more = True
    while more:
        async with sessions() as session, atomic(session):
            more = await merging.merge_batch(session, part_id)


async def drive_premium_run(sessions: async_sessionmaker[AsyncSession], run_id: int) -> None:
    """Work a premium run: list its policies, then each batch in a transaction of its own
    (its progress visible as it goes), then close it; FAILED when a step raised."""
    try:
        async with sessions() as session, atomic(session):
            batches = await runs.prepare(session, run_id)
        for batch in batches:
            async with sessions() as session, atomic(session):
                await runs.charge(session, run_id, batch)
    except Exception:
        logger.exception("premium run %s failed", run_id)
        async with sessions() as session, atomic(session):
            await runs.finish(session, run_id, failed=True)
        return
    async with sessions() as session, atomic(session):
        await runs.finish(session, run_id)


_done: Counter[str] = Counter()


def maybe_crash(variable: str = CRASH_AFTER) -> None:
    """Tests only: die like a killed process (no cleanup, no rollback of what is committed) at
    the call that makes as many as the environment `variable` says."""
    limit = os.environ.get(variable)
    if limit:
        _done[variable] += 1
        if _done[variable] >= int(limit):
            os._exit(17)


class InProcess:
    """Steps run as tasks of the server's event loop (SQLite, one process).

    With `autostart=False` (tests) steps wait until `drain()`, which runs them in order.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        limits: PolicyLimits,
        *,
        autostart: bool = True,
        exports_dir: Path = Path("exports"),
    ) -> None:
        self.sessions = sessions
        self.limits = limits
        self.autostart = autostart
        self.exports_dir = exports_dir
        self._waiting: list[Callable[[], Awaitable[Any]]] = []
        self._running: set[asyncio.Task[Any]] = set()

    async def kick(self, request_id: int) -> None:
        # The sweep tries again; the request row says what is due.
        self._run(lambda: drive(self.sessions, self.limits, request_id), f"request {request_id}")

    async def run_premiums(self, run_id: int) -> None:
        self._run(lambda: drive_premium_run(self.sessions, run_id), f"premium run {run_id}")

    async def export(self, export_id: int) -> None:
        self._run(
            lambda: run_export(self.sessions, export_id, self.exports_dir), f"export {export_id}"
        )

    async def kick_file(self, file_id: int) -> None:
        """Apply a large enrolment file as a task of this loop (or at `drain()`)."""
        # On failure the file stays RECEIVED; its progress says how far it went.
        self._run(
            lambda: background.apply_received(self.sessions, self.limits, file_id),
            f"enrolment file {file_id}",
        )

    async def begin_campaign(self, run_id: int) -> None:
        self._run(lambda: begin_campaign(self.sessions, run_id), f"campaign run {run_id}")

    async def merge_letters(self, part_id: int) -> None:
        self._run(lambda: merge_letters(self.sessions, part_id), f"campaign letters {part_id}")

    def _run(self, work: Callable[[], Awaitable[Any]], what: str) -> None:
        """Start `work` as a task of this loop, its failure logged; without autostart, keep it
        for `drain()`, where a failure is raised."""
        if not self.autostart:
            self._waiting.append(work)
            return

        async def logged() -> None:
            try:
                await work()
            except Exception:
                logger.exception("background work on %s failed", what)

        task = asyncio.create_task(logged())
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def drain(self) -> None:
        """Run all the work kept, in the order it came, and the work it makes due, to the end."""
        while self._waiting or self._running:
            if self._waiting:
                await self._waiting.pop(0)()
            if self._running:
                await asyncio.gather(*list(self._running))

    async def sweep(self, now: datetime | None = None) -> int:
        """Escalate what is overdue and pick up what a crash left; returns escalations."""
        escalated, due = await sweep(self.sessions, now)
        for request_id in due:
            await self.kick(request_id)
        started, merging_ = await sweep_campaigns(self.sessions, now)
        for run_id in started:
            await self.begin_campaign(run_id)
        for part_id in merging_:
            await self.merge_letters(part_id)
        return escalated

    async def run_sweeps(self) -> None:
        """Sweep every minute, for as long as the server runs."""
        while True:
            try:
                await self.sweep()
            except Exception:
                logger.exception("workflow sweep failed")
            await asyncio.sleep(SWEEP_SECONDS)


# --- procrastinate (PostgreSQL) -------------------------------------------------------

jobs = procrastinate.App(connector=procrastinate.PsycopgConnector())
"""The job functions; `open_queue` gives an app of them connected to a database."""

_worker_state: dict[str, Any] = {}


def configure_worker(
    sessions: async_sessionmaker[AsyncSession],
    limits: PolicyLimits,
    exports_dir: Path = Path("exports"),
) -> None:
    """What the job functions use in this process."""
    _worker_state.update(sessions=sessions, limits=limits, exports_dir=exports_dir)


@jobs.task(
    name="workflow.advance",
    queue="workflow",
    retry=procrastinate.RetryStrategy(max_attempts=5, exponential_wait=2),
)
async def advance(request_id: int) -> None:
    """Do a request's due server steps."""
    await drive(_worker_state["sessions"], _worker_state["limits"], request_id)


@jobs.task(
    name="reports.export",
    queue="exports",
    retry=procrastinate.RetryStrategy(max_attempts=3, exponential_wait=2),
)
async def export_job(export_id: int) -> None:
    """Write an export's file."""
    await run_export(_worker_state["sessions"], export_id, _worker_state["exports_dir"])


@jobs.task(name="premiums.run", queue="premiums")
async def premium_run(run_id: int) -> None:
    """Work a premium run to its end (a run done again adds nothing it added before)."""
    await drive_premium_run(_worker_state["sessions"], run_id)


@jobs.periodic(cron="* * * * *", periodic_id="workflow-sweep")
@jobs.task(
    name="workflow.sweep", queue="workflow", queueing_lock="workflow-sweep", pass_context=True
)
async def sweep_job(context: procrastinate.JobContext, timestamp: int) -> None:
    """Escalate overdue tasks, retry jobs of workers gone silent, and pick up requests whose
    step a dead worker lost."""
    _escalated, due = await sweep(_worker_state["sessions"])
    assert context.app is not None
    await retry_stalled(context.app)
    for request_id in due:
        await defer_advance(context.app, request_id)
    started, merging_ = await sweep_campaigns(_worker_state["sessions"])
    queued = Queued(context.app)
    for run_id in started:
        await queued.begin_campaign(run_id)
    for part_id in merging_:
        await queued.merge_letters(part_id)


@jobs.task(
    name="intake.apply",
    queue="intake",
    retry=procrastinate.RetryStrategy(max_attempts=5, exponential_wait=2),
)
async def apply_file(file_id: int) -> None:
    """Apply what is left of a large enrolment file, part by part."""
    await background.apply_received(_worker_state["sessions"], _worker_state["limits"], file_id)


@jobs.task(
    name="campaigns.begin",
    queue="campaigns",
    retry=procrastinate.RetryStrategy(max_attempts=5, exponential_wait=2),
)
async def campaign_begin(run_id: int) -> None:
    """Find a campaign run's audience and ask its clients (done twice, it asks nobody twice)."""
    await begin_campaign(_worker_state["sessions"], run_id)


@jobs.task(
    name="campaigns.merge",
    queue="campaigns",
    retry=procrastinate.RetryStrategy(max_attempts=5, exponential_wait=2),
)
async def campaign_merge(part_id: int) -> None:
    """Make a client's campaign letters (a member never gets two)."""
    await merge_letters(_worker_state["sessions"], part_id)


async def defer_advance(app: procrastinate.App, request_id: int) -> None:
    # A job for this request that is already waiting does this step too.
    with contextlib.suppress(procrastinate.exceptions.AlreadyEnqueued):
        await app.configure_task(
            "workflow.advance", queueing_lock=f"request-{request_id}"
        ).defer_async(request_id=request_id)


QUEUES = ("workflow", "mail", "exports", "webhooks", "premiums", "intake", "campaigns")
"""The queues a worker takes jobs from (and whose stalled jobs it retries)."""
POOL_WAIT_SECONDS = 5
STALLED_AFTER_SECONDS = 60
"""A worker writes a heartbeat every 10 s (procrastinate's default); one silent for a minute
is gone, and the jobs it held are retried."""


async def retry_stalled(app: procrastinate.App) -> list[int]:
    """Put back in the queue the jobs held by workers gone silent; return their ids.

    A stalled job whose twin (same queueing lock) is already waiting is closed as aborted
    instead: the twin does the same work, once."""
    stalled = [
        job
        for queue in QUEUES
        for job in await app.job_manager.get_stalled_jobs(
            queue=queue, seconds_since_heartbeat=STALLED_AFTER_SECONDS
        )
    ]
    retried = []
    for job in stalled:
        assert job.id is not None
        try:
            await app.job_manager.retry_job(job)
        except procrastinate.exceptions.UniqueViolation:
            await app.job_manager.finish_job(job, procrastinate.jobs.Status.ABORTED, False)
            logger.warning("job %s held by a silent worker is closed: its twin waits", job.id)
            continue
        retried.append(job.id)
        logger.warning("job %s (%s) held by a silent worker is retried", job.id, job.task_name)
    return retried


@asynccontextmanager
async def queue_on(database_url: str) -> AsyncIterator[procrastinate.App]:
    """The job queue, open on this PostgreSQL database for the block."""
    # procrastinate's pool checks a connection before lending it (psycopg_pool's
    # check_connection), so one that PostgreSQL closed is replaced, not handed to a defer.
    # While the database is down a request that defers a job waits for a connection at most
    # POOL_WAIT_SECONDS (psycopg_pool's default, 30 s, outlasted clients' timeouts), then
    # gets 503 (psycopg_pool.PoolTimeout; api.outages).
    connector = procrastinate.PsycopgConnector(
        conninfo=conninfo(database_url), timeout=POOL_WAIT_SECONDS
    )
    with jobs.replace_connector(connector) as app:
        async with app.open_async():
            yield app


class Queued:
    """Steps as procrastinate jobs, for `groupcover worker` to run (PostgreSQL)."""

    def __init__(self, app: procrastinate.App) -> None:
        self.app = app

    async def kick(self, request_id: int) -> None:
        await defer_advance(self.app, request_id)

    async def export(self, export_id: int) -> None:
        await self.app.configure_task("reports.export").defer_async(export_id=export_id)

    async def run_premiums(self, run_id: int) -> None:
        await self.app.configure_task("premiums.run").defer_async(run_id=run_id)

    async def kick_file(self, file_id: int) -> None:
        # One job per file: a second kick while it waits is the same work.
        with contextlib.suppress(procrastinate.exceptions.AlreadyEnqueued):
            await self.app.configure_task(
                "intake.apply", queueing_lock=f"enrollment-file-{file_id}"
            ).defer_async(file_id=file_id)

    async def begin_campaign(self, run_id: int) -> None:
        with contextlib.suppress(procrastinate.exceptions.AlreadyEnqueued):
            await self.app.configure_task(
                "campaigns.begin", queueing_lock=f"campaign-run-{run_id}"
            ).defer_async(run_id=run_id)

    async def merge_letters(self, part_id: int) -> None:
        with contextlib.suppress(procrastinate.exceptions.AlreadyEnqueued):
            await self.app.configure_task(
                "campaigns.merge", queueing_lock=f"campaign-client-{part_id}"
            ).defer_async(part_id=part_id)


def conninfo(database_url: str) -> str:
    """A libpq connection string for the SQLAlchemy URL of a PostgreSQL database."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
