"""Time membershipStats and workflowStats over the 100,000-policy synthetic book, and measure
the memory of a full CSV export of its members.

Run: .venv/bin/python -m bench.reports --postgres postgresql://postgres@127.0.0.1:5432/test
         [--database groupcover_reports] [--reuse] [--runs 20]
It loads bench.synthetic's book (1,000 clients, 100,000 policies, 500 open requests) into a
database of its own (kept with --reuse), then sends each report query through the app in
process, round after round (the cases alternate within a round), as an admin, a reporting
user restricted to EU/HEALTH (which the whole book is) and the group manager of C1 (a tenth
of it). It prints the median, p95 and the spread (min-max) of each, then writes the MEMBERS
export as an admin while sampling the process's resident memory every 20 ms, and once more
under tracemalloc for the peak of Python's own allocations. The 1-minute load average is
printed beside every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import psycopg
from httpx import ASGITransport, AsyncClient
from sqlalchemy.engine import make_url

from api import tokens
from api.app import create_app
from api.settings import Settings
from authz.access import REPORTS_EXPORT, Access
from authz.principal import Principal, Role
from bench import synthetic
from domain.database import create_engine, session_factory
from domain.reports.exporting import create_export, run_export
from domain.reports.models import Export, ExportFormat, ExportKind
from domain.reports.sources import Criteria
from migrations.runner import upgrade

SECRET = "bench-" + "k" * 40
TODAY = synthetic.TODAY.isoformat()
YEAR_AGO = (synthetic.TODAY.replace(year=synthetic.TODAY.year - 1)).isoformat()
MEMBERSHIP = """
query M($asOf: Date!, $from: Date, $to: Date, $groupBy: [MembershipKey!]) {
  membershipStats(asOf: $asOf, from: $from, to: $to, groupBy: $groupBy) {
    policies members joiners leavers relationship ageBand coverageTier
  }
}
"""
WORKFLOW = """
query W($from: Date!, $to: Date!, $groupBy: [WorkflowKey!]) {
  workflowStats(from: $from, to: $to, groupBy: $groupBy) {
    submitted decided medianHoursToDecision p90HoursToDecision withinDueShare type month
  }
}
"""
RANGE = {"from": YEAR_AGO, "to": TODAY}
CASES = {
    "membership, no keys": (MEMBERSHIP, {"asOf": TODAY, **RANGE}),
    "membership by client": (MEMBERSHIP, {"asOf": TODAY, **RANGE, "groupBy": ["GROUP_CLIENT"]}),
    "membership by tier, relationship, age band": (
        MEMBERSHIP,
        {"asOf": TODAY, **RANGE, "groupBy": ["COVERAGE_TIER", "RELATIONSHIP", "AGE_BAND"]},
    ),
    "workflow by type and month": (WORKFLOW, {**RANGE, "groupBy": ["TYPE", "MONTH"]}),
}
VIEWERS = {
    "admin": Principal("bench-admin", frozenset({Role.ADMIN})),
    "reporting": Principal(
        "bench-rep",
        frozenset({Role.REPORTING}),
        data_access_groups=frozenset({"EU"}),
        lines_of_business=frozenset({"HEALTH"}),
    ),
    "group manager of C1": Principal(
        "bench-hr", frozenset({Role.GROUP_MANAGER}), groups=frozenset({synthetic.INBOX_ROOT})
    ),
}


def load_average() -> float:
    return os.getloadavg()[0]


def rss_mb() -> float:
    """The process's resident memory now, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def time_queries(url: str, runs: int) -> list[dict[str, Any]]:
    """Each case as each viewer, `runs` rounds, the cases alternating within a round."""
    engine = create_engine(url)
    app = create_app(
        Settings(url, SECRET, "production", rate_per_minute=0, statement_timeout_ms=0),
        sessions=session_factory(engine),
    )
    times: dict[tuple[str, str], list[float]] = {}
    loads: list[float] = []
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://bench") as http:
        for _ in range(runs):
            loads.append(load_average())
            for name, (query, variables) in CASES.items():
                for viewer, principal in VIEWERS.items():
                    token = tokens.issue(principal, secret=SECRET)
                    started = time.perf_counter()
                    response = await http.post(
                        "/graphql",
                        json={"query": query, "variables": variables},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    took = (time.perf_counter() - started) * 1000
                    body = response.json()
                    assert "errors" not in body, body["errors"]
                    times.setdefault((name, viewer), []).append(took)
    await engine.dispose()
    return [
        {
            "case": name,
            "viewer": viewer,
            "median": statistics.median(found),
            "p95": sorted(found)[max(0, int(len(found) * 0.95) - 1)],
            "min": min(found),
            "max": max(found),
            "load": f"{min(loads):.2f}-{max(loads):.2f}",
        }
        for (name, viewer), found in times.items()
    ]


async def export_members(url: str, folder: Path, *, traced: bool) -> dict[str, Any]:
    """A full MEMBERS export as an admin: its rows, time, RSS samples and tracemalloc peak."""
    engine = create_engine(url, statement_timeout_ms=0)
    sessions = session_factory(engine)
    access = Access(VIEWERS["admin"])
    async with sessions() as session:
        export = await create_export(
            session,
            actor=access.actor(REPORTS_EXPORT),
            access=access,
            kind=ExportKind.MEMBERS,
            format=ExportFormat.CSV,
            given=Criteria(),
        )
        await session.commit()
    samples: list[float] = []
    stop = asyncio.Event()

    async def sample() -> None:
        while not stop.is_set():
            samples.append(rss_mb())
            await asyncio.sleep(0.02)

    load = load_average()
    sampler = asyncio.create_task(sample())
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    await run_export(sessions, export.id, folder)  # type: ignore[arg-type]
    took = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if traced else None
    if traced:
        tracemalloc.stop()
    stop.set()
    await sampler
    async with sessions() as session:
        done = await session.get(Export, export.id)
    await engine.dispose()
    assert done is not None
    return {
        "rows": done.written_rows,
        "bytes": done.byte_size,
        "seconds": took,
        "rss": samples,
        "traced_peak_mb": peak,
        "load": load,
    }


def prepare(postgres: str, database: str, *, reuse: bool) -> str:
    """The book in its own database (made anew unless `reuse` and it exists); its URL."""
    base = make_url(postgres).set(drivername="postgresql")
    target = base.set(database=database)
    with psycopg.connect(base.render_as_string(hide_password=False), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not (reuse and exists):
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{database}"')
            exists = None
    url = target.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    upgrade(url)
    if not exists:
        plain = target.render_as_string(hide_password=False)
        synthetic.load(plain, clients=1000, depth=5, policies=100_000)
        asyncio.run(synthetic.send_requests(url, 500))
        synthetic.settle(plain)
    return url


def _summary(samples: list[float]) -> str:
    quarter = max(1, len(samples) // 4)
    marks = [samples[min(i * quarter, len(samples) - 1)] for i in range(4)] + [samples[-1]]
    return " / ".join(f"{m:.0f}" for m in marks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", required=True, help="a PostgreSQL server's URL")
    parser.add_argument("--database", default="groupcover_reports")
    parser.add_argument("--reuse", action="store_true", help="keep a book loaded before")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    url = prepare(args.postgres, args.database, reuse=args.reuse)
    print("| query | who | median ms | p95 ms | min-max ms | load avg (1 min) |")
    print("|---|---|---|---|---|---|")
    for row in asyncio.run(time_queries(url, args.runs)):
        print(
            f"| {row['case']} | {row['viewer']} | {row['median']:.0f} | {row['p95']:.0f} | "
            f"{row['min']:.0f}-{row['max']:.0f} | {row['load']} |"
        )
    with tempfile.TemporaryDirectory() as folder:
        for traced in (False, True):
            found = asyncio.run(export_members(url, Path(folder), traced=traced))
            rss = found["rss"]
            print(
                f"export MEMBERS{' (tracemalloc)' if traced else ''}: {found['rows']} rows, "
                f"{found['bytes'] / 2**20:.1f} MB, {found['seconds']:.1f} s; RSS MB at 0/25/50/"
                f"75/100% of the run: {_summary(rss)} (min {min(rss):.1f}, max {max(rss):.1f}, "
                f"{len(rss)} samples)"
                + (f"; tracemalloc peak {found['traced_peak_mb']:.1f} MB" if traced else "")
                + f"; load avg {found['load']:.2f}"
            )


if __name__ == "__main__":
    main()
