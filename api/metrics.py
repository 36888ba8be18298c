"""Prometheus metrics: requests, latency, SQL statements, the pool, the job queue, sockets.

`GROUPCOVER_METRICS` says where they are read: `off` (the default), `token` (GET /metrics
on the API's port with `Authorization: Bearer $GROUPCOVER_METRICS_TOKEN`) or `port`
(GET /metrics on `GROUPCOVER_METRICS_PORT`, served by `groupcover serve`'s own process, for
a network the proxy does not reach). `groupcover serve` keeps the values in
PROMETHEUS_MULTIPROC_DIR (a fresh folder unless given), so that every worker process's
counts add up whichever process answers a scrape. The job queue is read from
procrastinate_jobs when scraped (PostgreSQL only).

Operation names are free text chosen by clients: a process labels at most MAX_OPERATIONS of
them, then `other`, so that a client cannot grow the series without bound.
"""

from __future__ import annotations

import asyncio
import hmac
import os
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
MAX_OPERATIONS = 200

REQUESTS = Counter(
    "groupcover_requests", "GraphQL requests over HTTP", ["operation", "type", "outcome"]
)
LATENCY = Histogram(
    "groupcover_request_seconds",
    "Time to answer a GraphQL request over HTTP",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
STATEMENTS = Histogram(
    "groupcover_request_statements",
    "SQL statements run by one GraphQL request",
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 100, 250),
)
POOL_IN_USE = Gauge(
    "groupcover_db_connections_in_use",
    "Database connections lent out of the pool now",
    multiprocess_mode="livesum",
)
SOCKETS = Gauge(
    "groupcover_open_sockets", "Signed-in WebSockets open now", multiprocess_mode="livesum"
)
SUBSCRIPTIONS = Gauge(
    "groupcover_open_subscriptions",
    "Operations running over WebSockets now (subscriptions, mostly)",
    multiprocess_mode="livesum",
)
RATE_LIMITED = Counter(
    "groupcover_rate_limited", "Requests and socket messages refused for their rate", ["where"]
)

_labelled: set[str] = set()


def _operation_label(name: str) -> str:
    if name in _labelled or len(_labelled) < MAX_OPERATIONS:
        _labelled.add(name)
        return name
    return "other"


def observe_request(record: Any) -> None:
    """Count one finished request (an api.observe.RequestRecord)."""
    operation = _operation_label(record.operation)
    REQUESTS.labels(operation, record.type, record.outcome).inc()
    LATENCY.labels(operation).observe(record.duration_ms / 1000)
    STATEMENTS.observe(record.statements)
    if record.outcome == "rate_limited":
        RATE_LIMITED.labels("http").inc()


def watch_pool(engine: AsyncEngine) -> None:
    """Follow how many of the engine's pooled connections are lent out."""
    from sqlalchemy import event

    pool = engine.sync_engine.pool
    if event.contains(pool, "checkout", _checked_out):
        return
    event.listen(pool, "checkout", _checked_out)
    event.listen(pool, "checkin", _checked_in)


def _checked_out(*_args: Any) -> None:
    POOL_IN_USE.inc()


def _checked_in(*_args: Any) -> None:
    POOL_IN_USE.dec()


class JobQueue(Collector):
    """Jobs waiting and running per queue, and the age of the oldest waiting, when scraped."""

    QUERY = """
        SELECT j.queue_name, j.status, count(*),
               coalesce(max(extract(epoch FROM now() - coalesce(e.at, j.scheduled_at))), 0)
        FROM procrastinate_jobs j
        LEFT JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred'
        WHERE j.status IN ('todo', 'doing')
          AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())
        GROUP BY j.queue_name, j.status
    """

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo

    def collect(self) -> Iterator[GaugeMetricFamily]:
        import psycopg

        depth = GaugeMetricFamily(
            "groupcover_jobs",
            "Background jobs due, by queue and status",
            labels=["queue", "status"],
        )
        age = GaugeMetricFamily(
            "groupcover_jobs_oldest_seconds",
            "Seconds since the oldest job due and not yet done was deferred",
            labels=["queue", "status"],
        )
        from api.jobs import QUEUES

        # Every queue is shown, empty ones as 0: an alert on a series needs it to exist.
        found = {(queue, status): (0, 0.0) for queue in QUEUES for status in ("todo", "doing")}
        with psycopg.connect(self.conninfo, connect_timeout=5) as connection:
            for queue, status, count, oldest in connection.execute(self.QUERY):
                found[queue, status] = (count, float(oldest))
        for (queue, status), (count, oldest) in found.items():
            depth.add_metric([queue, status], count)
            age.add_metric([queue, status], oldest)
        yield depth
        yield age


def registry(database_url: str) -> CollectorRegistry:
    """What a scrape reads: every process's values (multiprocess mode) and the job queue."""
    if os.environ.get(MULTIPROC_DIR):
        found = CollectorRegistry()
        multiprocess.MultiProcessCollector(found)
    else:
        found = CollectorRegistry()
        found.register(_Everything())
    if database_url.startswith("postgresql"):
        from api.jobs import conninfo

        found.register(JobQueue(conninfo(database_url)))
    return found


class _Everything(Collector):
    """The process's own registry, inside a registry that adds the job queue."""

    def collect(self) -> Iterator[Any]:
        yield from REGISTRY.collect()


def endpoint(token: str, database_url: str) -> Any:
    """GET /metrics for a bearer of `token`; every other caller gets 404, as if absent."""
    scraped = registry(database_url)
    expected = f"Bearer {token}".encode()

    async def metrics(request: Request) -> Response:
        given = request.headers.get("authorization", "").encode()
        if not token or not hmac.compare_digest(given, expected):
            return JSONResponse({"error": "Not found."}, status_code=404)
        # The job queue's figures need a query: off the event loop.
        body = await asyncio.to_thread(generate_latest, scraped)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return metrics


def serve_port(host: str, port: int, database_url: str) -> None:
    """Serve /metrics on a port of its own, from a thread of this process."""
    from prometheus_client import start_http_server

    start_http_server(port, addr=host, registry=registry(database_url))
