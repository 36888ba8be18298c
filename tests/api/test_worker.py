"""`groupcover worker` through database outages: it reconnects instead of exiting, and the
jobs a dead worker held are retried and run once."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import col

from api import jobs
from domain.policies.models import Policy
from domain.workflow.models import Channel, RequestState, RequestType
from tests.domain.workflow.test_reliability import _count, _enrolment, _state, _submit
from tests.live import (
    GROUPCOVER,
    ROOT,
    Live,
    cut_connections,
    environment,
    groupcover,
    live_database,
)

pytestmark = pytest.mark.postgresql(reason="the worker runs on PostgreSQL")


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    async with live_database("postgresql", tmp_path) as database:
        yield database


async def _forget_cut_connections(live: Live) -> None:
    """This test's own pool held connections that were cut too."""
    await live.sessions.kw["bind"].dispose()


def _read(log: Path) -> str:
    return log.read_text()


async def _cut_until_it_stops(live: Live, log: Path) -> None:
    """Cut the worker's connections until procrastinate stops its worker and ours says it
    reconnects. procrastinate rides out a cut that misses its listener (one made while the
    listener connects, or between its waits) on its own, with nothing in the log."""
    for _ in range(12):
        cut_connections(live.url)
        with contextlib.suppress(AssertionError):
            return await _wait_for(log, "reconnecting in", seconds=5)
    raise AssertionError(f"the worker never stopped to reconnect:\n{_read(log)[-3000:]}")


async def _wait_for(log: Path, text: str, seconds: float = 60) -> None:
    for _ in range(int(seconds * 10)):
        if text in _read(log):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{text!r} not in the worker's log:\n{_read(log)[-3000:]}")


async def _completed(live: Live, request_id: int, seconds: float = 60) -> bool:
    for _ in range(int(seconds * 5)):
        if await _state(live, request_id) == (RequestState.COMPLETED, False):
            return True
        await asyncio.sleep(0.2)
    return False


async def test_a_worker_whose_connections_are_cut_reconnects_and_runs_the_next_job(
    live: Live, tmp_path: Path
) -> None:
    # given a running worker
    log = tmp_path / "worker.log"
    with log.open("wb") as err:
        worker = await asyncio.create_subprocess_exec(
            GROUPCOVER, "worker", env=environment(live), cwd=ROOT, stderr=err
        )
    try:
        await _wait_for(log, "groupcover worker started")
        # when its database connections are cut twice (as by a restart of PostgreSQL)
        await _cut_until_it_stops(live, log)
        await _wait_for(log, "(attempt 1)")
        cut_connections(live.url)
        await _forget_cut_connections(live)
        # and a registration is queued afterwards
        request_id = await _submit(
            live, Channel.GROUP_PORTAL, RequestType.ENROLMENT, **_enrolment(live, "P-CUT")
        )
        async with jobs.queue_on(live.url) as queue:
            await jobs.defer_advance(queue, request_id)
        # then the worker is still there, and does it
        assert await _completed(live, request_id), _read(log)[-3000:]
        assert worker.returncode is None
    finally:
        worker.send_signal(signal.SIGTERM)
        stopped = await asyncio.wait_for(worker.wait(), 30)
    # and a SIGTERM still stops it
    assert stopped == 0, _read(log)[-3000:]
    assert _read(log).count("groupcover worker started") >= 2
    policies = sa.select(Policy).where(col(Policy.number) == "P-CUT")
    assert await _count(live, policies) == 1


async def _advance_jobs(live: Live) -> list[str]:
    """The statuses of the request's jobs, oldest first."""
    async with live.sessions() as session:
        rows = await session.scalars(
            sa.text(
                "SELECT status FROM procrastinate_jobs "
                "WHERE task_name = 'workflow.advance' ORDER BY id"
            )
        )
        return [str(status) for status in rows]


async def _silence_workers(live: Live) -> None:
    """As if a minute had passed since every worker's last heartbeat."""
    async with live.sessions() as session:
        await session.execute(
            sa.text("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'")
        )
        await session.commit()


async def test_a_job_left_doing_by_a_silent_worker_is_retried_and_runs_once(live: Live) -> None:
    # given a registration's job that a worker took and then went silent with
    request_id = await _submit(
        live, Channel.GROUP_PORTAL, RequestType.ENROLMENT, **_enrolment(live, "P-STALL")
    )
    async with jobs.queue_on(live.url) as queue:
        await jobs.defer_advance(queue, request_id)
        worker_id = await queue.job_manager.register_worker()
    async with live.sessions() as session:
        await session.execute(
            sa.text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :worker"),
            {"worker": worker_id},
        )
        await session.commit()
    await _silence_workers(live)
    # when a worker starts
    worker = await groupcover(live, "worker", "--once")
    # then the job was put back in the queue and done, once (a job it queued for the next
    # step waits: --once stops when the queue was empty at its last look)
    assert worker.returncode == 0, worker.stderr.decode()[-2000:]
    assert "held by a silent worker is retried" in worker.stderr.decode()
    statuses = await _advance_jobs(live)
    assert statuses[0] == "succeeded"
    assert "doing" not in statuses
    assert await _state(live, request_id) == (RequestState.COMPLETED, False)
    policies = sa.select(Policy).where(col(Policy.number) == "P-STALL")
    assert await _count(live, policies) == 1


async def test_nothing_a_killed_worker_held_stays_doing(live: Live) -> None:
    # given a registration whose worker died (os._exit, as by SIGKILL) after its first step,
    # which had queued the next step as a job of its own
    request_id = await _submit(
        live, Channel.GROUP_PORTAL, RequestType.ENROLMENT, **_enrolment(live, "P-KILL")
    )
    async with jobs.queue_on(live.url) as queue:
        await jobs.defer_advance(queue, request_id)
    killed = await groupcover(live, "worker", "--once", **{jobs.CRASH_AFTER: "1"})
    assert killed.returncode == 17, killed.stderr.decode()[-2000:]
    await _silence_workers(live)
    # when a new worker starts
    second = await groupcover(live, "worker", "--once")
    # then no job stays doing, and one did the work. Which jobs there are depends on the
    # periodic sweeps (each minute's turn), which drive waiting requests too: the crash may be
    # a sweep's, and a sweep may queue a step that finds nothing left to do.
    assert second.returncode == 0, second.stderr.decode()[-2000:]
    statuses = await _advance_jobs(live)
    assert "doing" not in statuses and "succeeded" in statuses, statuses
    assert await _state(live, request_id) == (RequestState.COMPLETED, False)
    policies = sa.select(Policy).where(col(Policy.number) == "P-KILL")
    assert await _count(live, policies) == 1
