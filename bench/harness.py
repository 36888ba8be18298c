"""Timing GraphQL queries through the ASGI app, per viewer, on SQLite and PostgreSQL.

Each query is sent `runs` times through the app in process (httpx, no network); a row of
the table gives the median and p95 time, the overhead over the first viewer (the admin)
and the SQL statements of one answer.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from httpx import ASGITransport, AsyncClient
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from api import tokens
from api.app import create_app
from api.settings import Settings
from authz.principal import Principal
from domain.database import create_engine, session_factory
from migrations.runner import upgrade
from tests.conftest import StatementCounter, _postgres_database

SECRET = "bench-" + "k" * 40


@dataclass(frozen=True)
class Case:
    """One query to time, as each viewer."""

    name: str
    query: str
    variables: dict[str, Any]
    viewers: dict[str, Principal]


Build = Callable[[AsyncSession], Awaitable[list[Case]]]
Row = tuple[str, str, float, float, int]


async def measure(url: str, build: Build, runs: int) -> list[Row]:
    """Build the data with `build`, then time each case as each of its viewers."""
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with sessions() as session:
        cases = await build(session)
    seen = StatementCounter()  # what the statement-count tests count: no BEGIN, no COMMIT
    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    # No rate limit: a benchmark is one principal asking as fast as it can.
    app = create_app(Settings(url, SECRET, "production", rate_per_minute=0), sessions=sessions)
    rows = []
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://bench") as http:
        for case in cases:
            for viewer, principal in case.viewers.items():
                headers = {"Authorization": f"Bearer {tokens.issue(principal, secret=SECRET)}"}
                payload = {"query": case.query, "variables": case.variables}
                times: list[float] = []
                for _ in range(runs):
                    seen.reset()
                    start = time.perf_counter()
                    response = await http.post("/graphql", json=payload, headers=headers)
                    times.append((time.perf_counter() - start) * 1000)
                    body: Any = response.json()
                    assert "errors" not in body, body["errors"]
                times.sort()
                p95 = times[int(len(times) * 0.95) - 1]
                rows.append((case.name, viewer, statistics.median(times), p95, seen.count))
    await engine.dispose()
    return rows


def targets(postgres: str | None, folder: str) -> Iterator[tuple[str, str]]:
    sqlite_url = f"sqlite+aiosqlite:///{folder}/bench.db"
    upgrade(sqlite_url)
    yield "sqlite", sqlite_url
    if postgres:
        import tests.conftest as conftest

        conftest.POSTGRES_URL = postgres
        databases = _postgres_database()
        pg_url = next(databases)
        upgrade(pg_url)
        yield "postgresql", pg_url
        next(databases, None)


def arguments(description: str | None, *, size: int) -> argparse.ArgumentParser:
    """The options every benchmark takes: where to run besides SQLite, and how much to build."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--postgres", help="base URL of a PostgreSQL server to bench on too")
    parser.add_argument("--size", type=int, default=size)
    return parser


def run(description: str | None, build: Callable[[argparse.Namespace], Build]) -> None:
    """The command line: print the table for SQLite, and PostgreSQL when given."""
    parser = arguments(description, size=200)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    print("| database | query | who | median ms | p95 ms | over admin | SQL statements |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for backend, url in targets(args.postgres, folder):
            admin_median: dict[str, float] = {}
            for name, viewer, median, p95, count in asyncio.run(
                measure(url, build(args), args.runs)
            ):
                base = admin_median.setdefault(name, median)
                over = f"{(median / base - 1) * 100:+.0f}%"
                cells = [backend, name, viewer, f"{median:.1f}", f"{p95:.1f}", over, str(count)]
                print("| " + " | ".join(cells) + " |")
