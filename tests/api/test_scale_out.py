"""Two `groupcover serve` processes and two workers on one PostgreSQL database, as compose.yaml
runs them: a request made through either server is one the other sees, a subscription opened on
one hears a change made through the other (NOTIFY reaches every process's LISTEN), and the jobs
the servers defer are each run once, by either worker."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from api import jobs
from domain.workflow.models import Channel, RequestState, RequestType
from tests.api import ws
from tests.api.test_metrics import samples
from tests.api.test_subscription_limits import APPROVE, FOLLOW, INBOX, _pending, _people, _post
from tests.domain.workflow.test_reliability import _enrolment, _state, _submit
from tests.live import GROUPCOVER, ROOT, Live, environment, live_database, serving

pytestmark = pytest.mark.postgresql(reason="workers and LISTEN need PostgreSQL")

TOKEN = "scrape-" + "s" * 40
ENROLMENTS = 6


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    async with live_database("postgresql", tmp_path) as database:
        yield database


@contextlib.asynccontextmanager
async def workers(live: Live | str, count: int, **more: str) -> AsyncIterator[None]:
    """`count` workers taking jobs from the live database (or the one at a URL), one job at a
    time each, with `more` settings."""
    started = [
        await asyncio.create_subprocess_exec(
            GROUPCOVER,
            "worker",
            "--concurrency",
            "1",
            env=environment(live, **more),
            cwd=ROOT,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    try:
        yield
    finally:
        for process in started:
            process.terminate()
        for process in started:
            await asyncio.wait_for(process.wait(), 30)


async def _until(check: object, seconds: float = 60) -> None:
    for _ in range(int(seconds * 5)):
        if await check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.2)
    raise AssertionError("not reached in time")


async def _none_doing(statuses: object) -> bool:
    return "doing" not in await statuses()  # type: ignore[operator]


async def _gauges(base: str) -> tuple[float, float]:
    """The open sockets and subscriptions a server's /metrics show."""
    async with httpx.AsyncClient() as http:
        response = await http.get(
            f"http://{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
        )
    found = samples(response.text)
    return found[("groupcover_open_sockets", ())], found[("groupcover_open_subscriptions", ())]


async def _closed(base: str) -> bool:
    return await _gauges(base) == (0, 0)


async def test_two_servers_and_two_workers_share_requests_subscriptions_and_jobs(
    live: Live,
) -> None:
    settings = {"GROUPCOVER_METRICS": "token", "GROUPCOVER_METRICS_TOKEN": TOKEN}
    async with (
        serving(live, **settings) as first,
        serving(live, **settings) as second,
        workers(live, 2),
    ):
        employee, manager = _people(live)
        # given an employee's request made through the first server, followed there
        request_id = await _pending(live, first, employee)
        socket = await ws.acked(first, employee)
        await ws.start(socket, "1", FOLLOW, id=request_id)
        assert (await ws.received(socket, 30))["payload"]["data"]["workflowRequestUpdated"] == {
            "state": "PENDING_APPROVAL"
        }
        assert await _gauges(first) == (1, 1)  # a socket, a subscription on it
        # when the manager approves it through the second server
        (edge,) = (await _post(second, manager, INBOX))["workflowTasks"]["edges"]
        await _post(second, manager, APPROVE, id=edge["node"]["id"])
        # then the subscription on the first hears every state up to the end, which a worker's
        # job reached (the server only deferred it)
        heard = []
        while "COMPLETED" not in heard:
            message = await ws.received(socket, 60)
            heard.append(message["payload"]["data"]["workflowRequestUpdated"]["state"])
        await socket.close()
        await _until(lambda: _closed(first))
        # and jobs deferred at once are each run once, by the two workers together
        made = [
            await _submit(
                live, Channel.GROUP_PORTAL, RequestType.ENROLMENT, **_enrolment(live, f"P-S{n}")
            )
            for n in range(ENROLMENTS)
        ]
        async with jobs.queue_on(live.url) as queue:
            for made_id in made:
                await jobs.defer_advance(queue, made_id)

        async def all_done() -> bool:
            states = [await _state(live, made_id) for made_id in made]
            return all(state == (RequestState.COMPLETED, False) for state in states)

        await _until(all_done)

        async def statuses() -> dict[str, int]:
            async with live.sessions() as session:
                found = await session.execute(
                    sa.text("SELECT status, count(*) FROM procrastinate_jobs GROUP BY status")
                )
            return {str(status): int(count) for status, count in found.all()}

        # a job marks itself done just after its last step (and the minute's sweep may run)
        await _until(lambda: _none_doing(statuses))
        done = await statuses()
        assert done.get("succeeded", 0) >= ENROLMENTS
        assert not {"doing", "failed"} & set(done), done
        # and each server counted its own requests, and both see the queue
        async with httpx.AsyncClient() as http:
            scraped = [
                samples(
                    (
                        await http.get(
                            f"http://{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
                        )
                    ).text
                )
                for base in (first, second)
            ]
    served = [
        sum(v for (name, _labels), v in found.items() if name == "groupcover_requests_total")
        for found in scraped
    ]
    assert served == [1, 2]  # the submission; the inbox and the approval
    assert all(any(name == "groupcover_jobs" for name, _ in found) for found in scraped)
