"""Time the 5-level tree query and the first page of group clients, as admin and restricted.

Run: .venv/bin/python -m bench.tree_query [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
Builds a 200-client tree (each client with an account, 2 classes, 2 products) in a fresh database,
then sends each query through the ASGI app (httpx, in process, no network) and prints the median
and p95 time and the SQL statement count, for an admin and for restricted roles whose grants
reach the same rows (so only the cost of authorization differs), with the overhead over admin.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from typing import Any

from httpx import ASGITransport, AsyncClient
from sqlalchemy import event

from api import tokens
from api.app import create_app
from api.settings import Settings
from authz.principal import Principal, Role
from domain.database import create_engine, session_factory
from migrations.runner import upgrade
from tests.conftest import _postgres_database
from tests.factories import Book, tree
from tests.schema.groups.test_statement_counts import PAGE, TREE

SECRET = "bench-" + "k" * 40


async def _measure(url: str, size: int, runs: int) -> list[tuple[str, str, float, float, int]]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with sessions() as session:
        root = await tree(await Book(session).setup(), size=size, depth=5)
        root_code = root.code
    seen: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    app = create_app(Settings(url, SECRET, "production"), sessions=sessions)
    rows = []
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://bench") as http:
        for name, query, variables in (
            (f"tree of {size}, 5 levels", TREE, {"code": root_code}),
            ("first page of 100 clients", PAGE, {}),
        ):
            for viewer, principal in _viewers(root_code).items():
                token = tokens.issue(principal, secret=SECRET)
                headers = {"Authorization": f"Bearer {token}"}
                payload = {"query": query, "variables": variables}
                times: list[float] = []
                for _ in range(runs):
                    seen.clear()
                    start = time.perf_counter()
                    response = await http.post("/graphql", json=payload, headers=headers)
                    times.append((time.perf_counter() - start) * 1000)
                    body: Any = response.json()
                    assert "errors" not in body, body["errors"]
                times.sort()
                p95 = times[int(len(times) * 0.95) - 1]
                rows.append((name, viewer, statistics.median(times), p95, len(seen)))
    await engine.dispose()
    return rows


def _viewers(root_code: str) -> dict[str, Principal]:
    """An admin, and restricted roles whose grants reach every row of the tree."""
    return {
        "admin": Principal("bench", frozenset({Role.ADMIN})),
        "backoffice (EU, HEALTH)": Principal(
            "bench-bo",
            frozenset({Role.BACKOFFICE}),
            data_access_groups=frozenset({"EU"}),
            lines_of_business=frozenset({"HEALTH"}),
        ),
        "group_manager (root)": Principal(
            "bench-hr", frozenset({Role.GROUP_MANAGER}), groups=frozenset({root_code})
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="base URL of a PostgreSQL server to bench on too")
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    targets = []
    with tempfile.TemporaryDirectory() as folder:
        sqlite_url = f"sqlite+aiosqlite:///{folder}/bench.db"
        upgrade(sqlite_url)
        targets.append(("sqlite", sqlite_url))
        databases = None
        if args.postgres:
            import tests.conftest as conftest

            conftest.POSTGRES_URL = args.postgres
            databases = _postgres_database()
            pg_url = next(databases)
            upgrade(pg_url)
            targets.append(("postgresql", pg_url))
        print("| database | query | who | median ms | p95 ms | over admin | SQL statements |")
        print("|---|---|---|---|---|---|---|")
        for backend, url in targets:
            admin_median: dict[str, float] = {}
            for name, viewer, median, p95, count in asyncio.run(
                _measure(url, args.size, args.runs)
            ):
                base = admin_median.setdefault(name, median)
                over = f"{(median / base - 1) * 100:+.0f}%"
                cells = [backend, name, viewer, f"{median:.1f}", f"{p95:.1f}", over, str(count)]
                print("| " + " | ".join(cells) + " |")
        if databases is not None:
            next(databases, None)


if __name__ == "__main__":
    main()
