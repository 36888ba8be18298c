"""A fair side-by-side load test of groupcover and PostGraphile, on the synthetic books.

Run (after `python -m bench.synthetic --postgres URL [--policies N --database NAME]`):
  .venv/bin/python -m bench.load --postgres postgresql://postgres@127.0.0.1:5432/groupcover_bench \\
      [more books' URLs] [--workers 2] [--connections 16] [--requests 200] [--rounds 3]
For each book it starts `groupcover serve --workers N` in production mode and PostGraphile 5
(installed from the npm registry with Node 22 into `bench/.postgraphile` on first use, preset
`amber`) on the same database, so both read the same rows through the same indexes (every
index groupcover's statements want is in the migrations). After a warm-up of each query on
each side, it runs `--rounds` rounds; in each, every query is sent `--requests` times over
`--connections` kept-alive connections (a fixed count: every answer is waited for), and the
nested query is sent to both sides, groupcover first in odd rounds and PostGraphile first in
even ones. Each run reports requests/s, p50 and p99 latency, failed answers (not 200, or
carrying `errors`), the CPU per request of the server's processes and of the database's
backends, read from /proc from idle to idle, the load average when it began, and the
client's own CPU. The summary gives the median and the spread over the rounds, the SQL
statements of one answer (counted in process) and the server's memory. The floor is the
nested query's rows by one raw SQL statement with psycopg on one connection.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from httpx import ASGITransport, AsyncClient
from sqlalchemy import event
from sqlalchemy.engine import make_url

from api import tokens
from api.app import create_app
from api.settings import Settings
from authz.principal import Principal, Role
from bench.fixed import (
    Outcome,
    children,
    cpu_seconds,
    load_average,
    parent,
    reaped_seconds,
    send,
    settle,
)
from bench.load_queries import (
    BEFORE,
    FLOOR_SQL,
    NESTED,
    POSTGRAPHILE,
    POSTGRAPHILE_NESTED,
    QUERIES,
)
from bench.servers import postgraphile, rss_mb, serve, stop
from bench.synthetic import INBOX_ROOT
from domain.database import create_engine, session_factory
from tests.conftest import StatementCounter

SECRET = "load-" + "k" * 40


def _token(principal: Principal) -> str:
    return tokens.issue(principal, secret=SECRET)


def _principals(url: str) -> dict[str, Principal]:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT person_number FROM person ORDER BY id LIMIT 1").fetchone()
    person = row[0] if row else None
    admin = Principal("load-admin", frozenset({Role.ADMIN}))
    employee = Principal("load-employee", frozenset({Role.EMPLOYEE}), person=person)
    manager = Principal("load-hr", frozenset({Role.GROUP_MANAGER}), groups=frozenset({INBOX_ROOT}))
    return {
        name: employee if "employee" in name else manager if "manager" in name else admin
        for name in QUERIES
    }


async def _statements(sa_url: str, query: str, principal: Principal) -> int:
    engine = create_engine(sa_url)
    seen = StatementCounter()
    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    settings = Settings(sa_url, SECRET, "production", rate_per_minute=0)
    app = create_app(settings, sessions=session_factory(engine))
    headers = {"Authorization": f"Bearer {_token(principal)}"}
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://load") as http:
        await http.post("/graphql", json={"query": query}, headers=headers)  # warm
        seen.reset()
        await http.post("/graphql", json={"query": query}, headers=headers)
    await engine.dispose()
    return seen.count


@dataclass(frozen=True)
class Side:
    """One server under test, and how each query is asked of it."""

    name: str
    server: subprocess.Popen[bytes]
    port: int
    queries: dict[str, tuple[bytes, dict[str, str]]]


@dataclass(frozen=True)
class Run:
    """One fixed-count run's figures; CPU in ms per request."""

    outcome: Outcome
    app_ms: float
    database_ms: float
    client_ms: float
    load: str


def _backends(raw: str) -> tuple[int, list[int]]:
    """PostgreSQL's postmaster, and the book's server processes (each connection's backend)
    but the one asking."""
    with psycopg.connect(raw) as conn:
        rows = conn.execute(
            "SELECT pid, pid = pg_backend_pid() FROM pg_stat_activity "
            "WHERE datname = current_database()"
        ).fetchall()
        # Read while the connection is open: its backend ends with it.
        postmaster = parent(next(pid for pid, mine in rows if mine))
    return postmaster, [pid for pid, mine in rows if not mine]


def _spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two readings; a process new since the first counts whole."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def _run(side: Side, name: str, raw: str, args: argparse.Namespace, count: int) -> Run:
    """Send one query `count` times and read the CPU it cost, from idle to idle."""
    body, headers = side.queries[name]
    app = children(side.server.pid)
    postmaster, database = _backends(raw)
    settle(app + database)
    load = load_average()
    app_before, database_before = cpu_seconds(app), cpu_seconds(database)
    reaped_before = reaped_seconds(postmaster)
    client_before = time.process_time()
    outcome = asyncio.run(send(side.port, body, headers, count=count, connections=args.connections))
    client = time.process_time() - client_before
    database = sorted(set(database) | set(_backends(raw)[1]))
    settle(app + database)
    # Backends that ended meanwhile (parallel query workers, overflow connections) count
    # through the postmaster; so do those of other databases that ended: run it alone.
    reaped = reaped_seconds(postmaster) - reaped_before
    per_request = 1000 / count
    return Run(
        outcome,
        _spent(app_before, cpu_seconds(app)) * per_request,
        (_spent(database_before, cpu_seconds(database)) + reaped) * per_request,
        client * per_request,
        load,
    )


def _floor(url: str, count: int) -> float:
    """Raw SQL fetches of the nested query's rows a second, on one connection."""
    with psycopg.connect(url) as conn:
        start = time.perf_counter()
        for _ in range(count):
            conn.execute(FLOOR_SQL).fetchall()
        return count / (time.perf_counter() - start)


def _sides(raw: str, sa_url: str, args: argparse.Namespace) -> list[Side]:
    principals = _principals(raw)
    ours = {
        name: (
            json.dumps({"query": query}).encode(),
            {"Authorization": f"Bearer {_token(principals[name])}"},
        )
        for name, query in QUERIES.items()
        if args.only in name
    }
    sides = [Side("groupcover", serve(sa_url, args.port, args.workers, SECRET), args.port, ours)]
    if args.before:
        port = args.port + 2
        try:
            settings = dict(pair.split("=", 1) for pair in args.before_setting)
            server = serve(sa_url, port, args.workers, SECRET, Path(args.before), settings)
        except BaseException:
            stop(sides[0].server)
            raise
        sides.append(Side(BEFORE, server, port, ours))
    if NESTED in ours and not args.no_postgraphile:
        theirs: dict[str, tuple[bytes, dict[str, str]]] = {
            NESTED: (json.dumps({"query": POSTGRAPHILE_NESTED}).encode(), {})
        }
        try:
            server = postgraphile(raw, args.postgraphile_port)
        except BaseException:
            for side in sides:
                stop(side.server)
            raise
        sides.append(Side(POSTGRAPHILE, server, args.postgraphile_port, theirs))
    return sides


def _spread(values: list[float], digits: int = 1) -> str:
    low, middle, high = min(values), statistics.median(values), max(values)
    return f"{middle:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def _summary(name: str, side: Side, runs: list[Run], statements: str) -> str:
    outcomes = [run.outcome for run in runs]
    cells = [
        name,
        side.name,
        _spread([o.rate for o in outcomes]),
        _spread([o.percentile(50) for o in outcomes], 0),
        _spread([o.percentile(99) for o in outcomes], 0),
        _spread([run.app_ms for run in runs]),
        _spread([run.database_ms for run in runs]),
        str(sum(o.failed for o in outcomes)),
        statements,
        f"{rss_mb(side.server):.0f}",
        " / ".join(run.load.split()[0] for run in runs),
    ]
    return "| " + " | ".join(cells) + " |"


def _book(url: str, args: argparse.Namespace) -> None:
    """Warm up, run the rounds and print the figures of one synthetic book."""
    raw = make_url(url).set(drivername="postgresql").render_as_string(False)
    sa_url = make_url(url).set(drivername="postgresql+psycopg").render_as_string(False)
    with psycopg.connect(raw) as conn:
        policies = conn.execute("SELECT count(*) FROM policy").fetchone()[0]  # type: ignore[index]
    principals = _principals(raw)
    statements = {
        name: asyncio.run(_statements(sa_url, query, principals[name]))
        for name, query in QUERIES.items()
        if args.only in name
    }
    sides = _sides(raw, sa_url, args)
    print(
        f"\n## {policies:,} policies: groupcover {args.workers} workers, PostGraphile 1 process; "
        f"{args.requests} requests a run over {args.connections} connections\n"
    )
    print(
        "| round | query | side | req/s | p50 ms | p99 ms | failed | app CPU ms/req "
        "| PG CPU ms/req | client CPU ms/req | load avg |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    runs: dict[tuple[str, str], list[Run]] = {}
    try:
        for side in sides:
            for name in side.queries:
                _run(side, name, raw, args, args.warmup)
        for round_ in range(1, args.rounds + 1):
            order = sides if round_ % 2 else sides[::-1]
            for name in statements:
                for side in order:
                    if name not in side.queries:
                        continue
                    run = _run(side, name, raw, args, args.requests)
                    runs.setdefault((name, side.name), []).append(run)
                    o = run.outcome
                    print(
                        f"| {round_} | {name} | {side.name} | {o.rate:.1f} | "
                        f"{o.percentile(50):.0f} | {o.percentile(99):.0f} | {o.failed} | "
                        f"{run.app_ms:.1f} | {run.database_ms:.1f} | {run.client_ms:.2f} | "
                        f"{run.load} |",
                        flush=True,
                    )
        print(
            "\n| query | side | req/s median (min-max) | p50 ms | p99 ms | app CPU ms/req "
            "| PG CPU ms/req | failed | SQL statements | server MB | load avg (1 min) |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for (name, side_name), found in runs.items():
            side = next(s for s in sides if s.name == side_name)
            count = str(statements[name]) if side is sides[0] else "-"
            print(_summary(name, side, found, count))
        print()
        _ratio(runs, NESTED, POSTGRAPHILE)
        for name in statements if args.before else ():
            _ratio(runs, name, BEFORE)
    finally:
        for side in sides:
            stop(side.server)
    print(
        f"floor: the nested query's rows by raw SQL (psycopg, 1 connection): "
        f"{_floor(raw, args.floor):.1f} fetches/s, load avg {load_average()}"
    )


def _ratio(runs: dict[tuple[str, str], list[Run]], name: str, other: str) -> None:
    """groupcover's figures over another side's on one query, round by round."""
    ours, theirs = runs.get((name, "groupcover")), runs.get((name, other))
    if not ours or not theirs:
        return
    pairs = list(zip(ours, theirs, strict=True))
    rate = [a.outcome.rate / b.outcome.rate for a, b in pairs]
    cpu = [(a.app_ms + a.database_ms) / (b.app_ms + b.database_ms) for a, b in pairs]
    p99 = [a.outcome.percentile(99) / b.outcome.percentile(99) for a, b in pairs]
    print(
        f"groupcover / {other}, {name}, round by round: requests/s {_spread(rate, 2)}x, "
        f"CPU per request (app + PostgreSQL) {_spread(cpu, 2)}x, p99 {_spread(p99, 2)}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", required=True, nargs="+", help="synthetic books' databases")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--requests", type=int, default=200, help="requests a run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=50, help="requests a warm-up run")
    parser.add_argument("--floor", type=int, default=50, help="raw SQL fetches for the floor")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--postgraphile-port", type=int, default=8091)
    parser.add_argument("--no-postgraphile", action="store_true", help="groupcover alone")
    parser.add_argument(
        "--before", help="another checkout of groupcover to measure in the same rounds"
    )
    parser.add_argument(
        "--before-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting of the --before side only, e.g. GROUPCOVER_COMPILED_READS=false "
        "with --before naming this checkout",
    )
    parser.add_argument(
        "--only", default="", help="run only the queries whose name holds this text"
    )
    args = parser.parse_args()
    for url in args.postgres:
        _book(url, args)


if __name__ == "__main__":
    main()
