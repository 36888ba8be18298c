"""What the request line, the metrics and the traces add to one request, in process.

The same page of 20 policies (with each subscriber's name: 4 SQL statements) is sent through
four apps on one SQLite database: `bare` (no line written, no metrics, no tracer: what is
always on is the per-request record and the statement-counting hook), `+log` (the JSON line,
written to /dev/null), `+metrics` (and /metrics counted, token mode) and `+traces` (and spans
made and handed to a batch processor whose exporter drops them). After a warm-up of each, the
apps take turns in rounds (the order rotated each round), a fixed number of requests per turn;
a turn's figures are the process's CPU time per request (all threads) and the median wall
time. CPU time is the figure to compare on a shared machine: wall time there mostly measures
the other processes. Printed per app: the mean over rounds and its spread (lowest-highest),
the CPU difference to `bare`, and the load average before and after.

    python -m bench.observability [--rounds 6] [--requests 300]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from httpx import ASGITransport, AsyncClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from api import tokens
from api.app import create_app
from api.observe import JsonLines
from api.settings import MetricsSettings, Settings
from authz.principal import Principal, Role
from domain.database import create_engine, request_sessions, session_factory
from migrations.runner import upgrade
from tests.factories import Book, families, place

SECRET = "bench-" + "k" * 40
PAGE = "query Page { policies(first: 20) { edges { node { number subscriber { givenName } } } } }"
ADMIN = Principal(subject="bench", roles=frozenset({Role.ADMIN}))


class Dropped(SpanExporter):
    """An exporter that sends nowhere: the cost measured is making and batching spans."""

    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


async def _book(url: str) -> None:
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        book = await Book(session).setup()
        await families(book, await place(book), 20, since=date(2024, 1, 1))
        await session.commit()
    await engine.dispose()


def _apps(url: str) -> dict[str, Any]:
    sessions = request_sessions(create_engine(url))
    base = Settings(url, SECRET, "production", rate_per_minute=0)
    metrics = replace(base, metrics=MetricsSettings(mode="token", token="t" * 40))
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Dropped()))
    return {
        "bare": create_app(base, sessions=sessions),
        "+log": create_app(base, sessions=sessions),
        "+metrics": create_app(metrics, sessions=sessions),
        "+traces": create_app(metrics, sessions=sessions, tracer_provider=provider),
    }


async def _turn(app: Any, name: str, count: int) -> tuple[float, float]:
    """The median wall milliseconds of `count` requests to `app`, and the process's CPU
    milliseconds per request (all its threads: SQLite's, the span exporter's)."""
    logging.getLogger("groupcover.requests").setLevel(
        logging.WARNING if name == "bare" else logging.INFO
    )
    headers = {"Authorization": f"Bearer {tokens.issue(ADMIN, secret=SECRET)}"}
    times = []
    cpu = time.process_time()
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://bench") as http:
        for _ in range(count):
            began = time.perf_counter()
            response = await http.post("/graphql", json={"query": PAGE}, headers=headers)
            times.append((time.perf_counter() - began) * 1000)
            assert "errors" not in response.json()
    return statistics.median(times), (time.process_time() - cpu) * 1000 / count


async def run(rounds: int, requests: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        await asyncio.to_thread(upgrade, url)
        await _book(url)
        _lines_to_nowhere()
        apps = _apps(url)
        names = list(apps)
        for name in names:  # warm-up
            await _turn(apps[name], name, requests // 3)
        load_before = os.getloadavg()
        figures: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
        for round_ in range(rounds):
            order = names[round_ % len(names) :] + names[: round_ % len(names)]
            for name in order:
                figures[name].append(await _turn(apps[name], name, requests))
        load_after = os.getloadavg()
    print(f"{rounds} rounds x {requests} requests per app; load average (1, 5, 15 min) "
          f"before {_load(load_before)}, after {_load(load_after)}")  # fmt: skip
    print(
        "| app | CPU ms per request (mean of rounds) | spread | over bare | wall p50 ms | spread |"
    )
    print("|---|---|---|---|---|---|")
    bare = statistics.mean(cpu for _wall, cpu in figures["bare"])
    for name, found in figures.items():
        walls, cpus = [wall for wall, _cpu in found], [cpu for _wall, cpu in found]
        mean = statistics.mean(cpus)
        print(
            f"| {name} | {mean:.2f} | {min(cpus):.2f}-{max(cpus):.2f} | "
            f"{(mean - bare) * 1000:+.0f} us ({(mean / bare - 1) * 100:+.1f}%) | "
            f"{statistics.mean(walls):.2f} | {min(walls):.2f}-{max(walls):.2f} |"
        )


def _lines_to_nowhere() -> None:
    """Format request lines as in production, and write them to /dev/null."""
    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 (open for the run)
    handler.setFormatter(JsonLines())
    logger = logging.getLogger("groupcover.requests")
    logger.addHandler(handler)
    logger.propagate = False


def _load(figures: tuple[float, float, float]) -> str:
    return ", ".join(f"{figure:.2f}" for figure in figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(run(args.rounds, args.requests))


if __name__ == "__main__":
    main()
