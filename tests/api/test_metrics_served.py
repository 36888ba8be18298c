"""/metrics as `groupcover serve` gives them: added up over worker processes on a port of their
own, and the job queue's depth and age read from PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from api import jobs, metrics
from tests.api.test_metrics import samples
from tests.live import Live, environment, free_port, live_database, served

ME = "{ me { subject } }"


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    async with live_database("sqlite", tmp_path) as database:
        yield database


async def test_two_worker_processes_add_up_on_the_metrics_port(live: Live, tmp_path: Path) -> None:
    # given a server of two processes, its metrics on a port of their own
    port = free_port()
    env = environment(
        live,
        GROUPCOVER_METRICS="port",
        GROUPCOVER_METRICS_PORT=str(port),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    async with served(env, "--workers", "2") as base, httpx.AsyncClient() as http:
        # when ten requests arrive, each on a connection of its own (either process takes it)
        for _ in range(10):
            async with httpx.AsyncClient() as one:
                await one.post(f"http://{base}/graphql", json={"query": ME})
        scraped = await http.get(f"http://127.0.0.1:{port}/metrics")
        on_api_port = await http.get(f"http://{base}/metrics")
    # then every request is counted once, whichever process served it; the API port has none
    found = samples(scraped.text)
    refused = (
        "groupcover_requests_total",
        (("operation", "-"), ("outcome", "refused"), ("type", "-")),
    )
    assert found[refused] == 10  # no token: 401, counted as refused
    assert on_api_port.status_code == 404


@pytest.mark.postgresql(reason="the job queue is on PostgreSQL")
async def test_the_job_queue_shows_its_depth_and_age(tmp_path: Path) -> None:
    async with live_database("postgresql", tmp_path) as live:
        # given two jobs waiting, and no worker
        async with jobs.queue_on(live.url) as queue:
            for request_id in (1, 2):
                await jobs.defer_advance(queue, request_id)
        # when
        found = samples(metrics.generate_latest(metrics.registry(live.url)).decode())
    # then
    key = (("queue", "workflow"), ("status", "todo"))
    assert found[("groupcover_jobs", key)] == 2
    assert 0 <= found[("groupcover_jobs_oldest_seconds", key)] < 60
    assert found[("groupcover_jobs", (("queue", "workflow"), ("status", "doing")))] == 0
