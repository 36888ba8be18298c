"""A campaign from market event to every letter, on PostgreSQL with `groupcover worker`s.

Run: .venv/bin/python -m bench.campaign --postgres postgresql://postgres@127.0.0.1:5432/test \\
         [--database groupcover_campaign_bench] [--clients 100] [--members 10000] [--workers 2]
It builds the synthetic book (bench.synthetic: `--clients` roots, one level each) into a
database of its own, gives `--members` insured members a recent fill of one drug, and starts
`--workers` worker processes (`groupcover worker` of this tree). Then, timed: the drug goes over the
counter (marketEventRecord's service, as the back office would), the workers find the
audience and ask every client; as soon as a client's task opens, its team elects it and its
group manager opts in (as the API would, through domain.campaigns.tasks); the workers make
the letters. The clock stops when the run is DONE. It prints the wall time of each phase, the
CPU time of the workers and of PostgreSQL's server processes, and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from api import jobs
from authz.access import EVERYTHING, Actor
from bench import synthetic
from domain.campaigns import market, runs, tasks
from domain.campaigns.models import MarketEventKind
from domain.database import create_engine, session_factory
from domain.workflow.models import Decision
from migrations.runner import upgrade

ROOT = Path(__file__).resolve().parent.parent
DRUG = "NDC-0085-1128"
ADMIN = Actor("bench-admin", EVERYTHING)
SECRET = "bench-" + "k" * 40


def build(admin: str, database: str, *, clients: int, members: int) -> str:
    """The book in a fresh database, a default team, and `members` with a fill of DRUG."""
    base = make_url(admin).set(drivername="postgresql")
    with psycopg.connect(base.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    target = base.set(database=database)
    plain = target.render_as_string(hide_password=False)
    upgrade(target.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    # About 1.5 persons insured now a policy: enough members to pick `members` of them.
    # Trees of one level: every client a root of its own (each has its own account).
    synthetic.load(plain, clients=clients, depth=1, policies=members * 3 // 4 + clients)
    with psycopg.connect(plain) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO drug (code, name) VALUES (%s, 'Claritin 10 mg')", (DRUG,))
        cur.execute(
            "INSERT INTO account_team (code, name, email, members, is_default, version, "
            "created_at) VALUES ('COACH', 'Coach desk', 'coach@insurer.example', '[]', true, 1, "
            "now())"
        )
        cur.execute(
            "INSERT INTO claims_summary (person_id, drug_id, last_fill_date, fills_12_months, "
            "loaded_at) SELECT m.person_id, (SELECT id FROM drug), current_date - 30, 3, now() "
            "FROM (SELECT DISTINCT person_id FROM policy_member WHERE end_date IS NULL) m "
            "ORDER BY m.person_id LIMIT %s",
            (members,),
        )
    synthetic.settle(plain)
    return target.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def _workers(url: str, count: int) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "GROUPCOVER_DATABASE_URL": url, "GROUPCOVER_SECRET_KEY": SECRET,
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    command = [sys.executable, "-c", "from api.cli import main; main(['worker'])"]
    return [
        subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
        for _ in range(count)
    ]


def _cpu(pids: list[int]) -> float:
    """User and system seconds of these processes and their children, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15]) / ticks  # utime stime cutime cstime
    return total


def _postgres_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


async def campaign(url: str) -> dict[str, Any]:
    """Record the event, decide every task as it opens, wait for DONE; the times of each."""
    engine = create_engine(url)
    sessions = session_factory(engine)
    marks: dict[str, float] = {}
    began = time.perf_counter()
    async with jobs.queue_on(url) as queue:
        runner = jobs.Queued(queue)
        async with sessions() as session:
            event = await market.record_event(
                session, actor=ADMIN, kind=MarketEventKind.DRUG_OVER_THE_COUNTER,
                drug_codes=[DRUG], product_codes=[], description="Over the counter.",
                effective_date=synthetic.TODAY - timedelta(days=1),
            )  # fmt: skip
            started = await runs.start_runs(session, actor=ADMIN, event=event)
            await session.commit()
        for run_id in started:
            await runner.begin_campaign(run_id)
        decided: set[int] = set()
        while True:
            state, open_tasks, letters = await _progress(sessions, started[0])
            if "asked" not in marks and state != "STARTED":
                marks["asked"] = time.perf_counter() - began
            for task_id in open_tasks:
                if task_id not in decided:
                    decided.add(task_id)
                    await _decide(sessions, runner, task_id)
            if state == "DONE":
                break
            await asyncio.sleep(0.5)
        marks["done"] = time.perf_counter() - began
    await engine.dispose()
    return {**marks, "letters": letters, "tasks": len(decided)}


async def _progress(sessions: Any, run_id: int) -> tuple[str, list[int], int]:
    async with sessions() as session:
        state = await session.scalar(
            sa.text("SELECT state FROM campaign_run WHERE id = :id"), {"id": run_id}
        )
        open_tasks = list(
            await session.scalars(
                sa.text(
                    "SELECT t.id FROM campaign_task t JOIN campaign_client c "
                    "ON c.id = t.campaign_client_id WHERE c.run_id = :id AND t.state = 'OPEN' "
                    "ORDER BY t.id"
                ),
                {"id": run_id},
            )
        )
        letters = await session.scalar(
            sa.text("SELECT count(*) FROM campaign_letter WHERE run_id = :id"), {"id": run_id}
        )
    return str(state), open_tasks, int(letters or 0)


async def _decide(sessions: Any, runner: jobs.Queued, task_id: int) -> None:
    """The team elects, the managers opt in: each a transaction, as the API's mutation."""
    async with sessions() as session:
        part = await tasks.complete_task(
            session, actor=ADMIN, task_id=task_id, decision=Decision.APPROVE
        )
        await session.commit()
    if part.waits_on_server:
        await runner.merge_letters(part.id)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", required=True, help="a PostgreSQL server's URL")
    parser.add_argument("--database", default="groupcover_campaign_bench")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print("load average before:", ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    began = time.perf_counter()
    url = build(args.postgres, args.database, clients=args.clients, members=args.members)
    print(f"book built in {time.perf_counter() - began:.1f} s")
    workers = _workers(url, args.workers)
    try:
        time.sleep(5)  # the workers connect and listen
        pids = [w.pid for w in workers]
        postgres = _postgres_pids()
        cpu_before, pg_before = _cpu(pids), _cpu(postgres)
        found = asyncio.run(campaign(url))
        cpu, pg = _cpu(pids) - cpu_before, _cpu(_postgres_pids()) - pg_before
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"event to every letter: {found['done']:.1f} s (clients asked after "
        f"{found['asked']:.1f} s); {found['letters']} letters, {found['tasks']} tasks decided; "
        f"CPU: workers {cpu:.1f} s, PostgreSQL {pg:.1f} s; load average after {load}"
    )


if __name__ == "__main__":
    main()
