"""A premium run over the synthetic book (bench.synthetic) on PostgreSQL: time, statements.

Run: .venv/bin/python -m bench.premiums --postgres postgresql://postgres@127.0.0.1:5432/test \\
         [--database groupcover_premiums_bench] [--policies 100000] [--clients 1000]
         [--rounds 1] [--reuse]
It builds the synthetic book into a database of its own, gives its schedule rates (three age
bands of each tier), every group client the schedule and every root a 75 % employer
contribution, then starts a run of next month under each root (as the back office would) and
works it in this process as `groupcover worker` would (api.jobs.drive_premium_run): first a
run that writes every charge, then a second that finds nothing changed, each `--rounds`
times (a round after the first run deletes its charges and runs first). It prints the wall
time, the CPU time of this process and of the PostgreSQL backends of the book's database
(read from /proc, so the server must run on this machine; "-" where it cannot be read), the
charges, the SQL statements (and per policy) and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from datetime import timedelta
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url

from api.jobs import drive_premium_run
from authz.access import EVERYTHING, Actor
from bench import synthetic
from domain.database import create_engine, session_factory
from domain.premiums import runs
from migrations.runner import upgrade

PERIOD = (synthetic.TODAY.replace(day=1) + timedelta(days=32)).strftime("%Y-%m")
BANDS = ((0, 29, 80), (30, 49, 110), (50, 120, 160))
TIERS = {"EMPLOYEE_ONLY": 1, "EMPLOYEE_SPOUSE": 2, "EMPLOYEE_CHILDREN": 2, "FAMILY": 3}


def build(admin: str, database: str, *, clients: int, policies: int) -> str:
    """Make the book in a fresh database; return its SQLAlchemy URL."""
    base = make_url(admin).set(drivername="postgresql")
    with psycopg.connect(base.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    target = base.set(database=database)
    plain = target.render_as_string(hide_password=False)
    upgrade(target.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    synthetic.load(plain, clients=clients, depth=5, policies=policies)
    with psycopg.connect(plain) as conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM premium_schedule WHERE code = 'PS'")
        schedule = cur.fetchone()[0]  # type: ignore[index]
        for tier, times in TIERS.items():
            for low, high, amount in BANDS:
                cur.execute(
                    "INSERT INTO premium_rate (premium_schedule_id, age_from, age_to, "
                    "coverage_tier, amount) VALUES (%s, %s, %s, %s, %s)",
                    (schedule, low, high, tier, amount * times),
                )
        cur.execute(
            "INSERT INTO setting (kind, group_client_id, premium_schedule_id, created_at) "
            "SELECT 'PREMIUM_SCHEDULE', c.id, %s, now() FROM group_client c WHERE NOT EXISTS "
            "(SELECT 1 FROM setting s WHERE s.group_client_id = c.id "
            "AND s.kind = 'PREMIUM_SCHEDULE')",
            (schedule,),
        )
        cur.execute(
            "INSERT INTO setting (kind, group_client_id, value_decimal, created_at) "
            "SELECT 'EMPLOYER_CONTRIBUTION', id, 75, now() FROM group_client "
            "WHERE parent_id IS NULL"
        )
    synthetic.settle(plain)
    return target.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


async def run_all(url: str) -> dict[str, Any]:
    """Start and work a run under every root; the time, the statements and what it wrote."""
    engine = create_engine(url)
    counted = [0]
    database = make_url(url).database

    def count(*_args: Any) -> None:
        counted[0] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    sessions = session_factory(engine)
    try:
        async with sessions() as session:
            roots = list(
                await session.scalars(
                    sa.text("SELECT id FROM group_client WHERE parent_id IS NULL")
                )
            )
            ids = []
            for root in roots:
                started = await runs.start(
                    session, actor=Actor("bench", EVERYTHING), period=PERIOD,
                    group_client_id=root, dry_run=False,
                )  # fmt: skip
                ids.append(started.id)
            await session.commit()
        counted[0] = 0
        server_before = backend_cpu(url, database)
        began, cpu = time.perf_counter(), time.process_time()
        for run_id in ids:
            await drive_premium_run(sessions, run_id)
        took, cpu = time.perf_counter() - began, time.process_time() - cpu
        server = backend_cpu(url, database)
        async with sessions() as session:
            totals = (
                await session.execute(
                    sa.text(
                        "SELECT sum(policies_done), sum(charges_added), sum(amount_added), "
                        "sum(error_count), count(*) FILTER (WHERE status <> 'DONE') "
                        "FROM premium_run WHERE id = ANY(:ids)"
                    ),
                    {"ids": ids},
                )
            ).one()
    finally:
        await engine.dispose()
    policies, charges, amount, errors, not_done = totals
    return {
        "seconds": took, "cpu": cpu, "runs": len(ids), "policies": policies, "charges": charges,
        "amount": amount, "errors": errors, "not_done": not_done, "statements": counted[0],
        "server_cpu": _spent(server_before, server),
    }  # fmt: skip


def backend_cpu(url: str, database: str | None) -> dict[int, float] | None:
    """CPU seconds (user and system) of each PostgreSQL backend of the database, by process
    id; None when /proc does not show them (a server on another machine)."""
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as conn:
        pids = [
            pid
            for (pid,) in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            )
        ]
    found = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def _spent(before: dict[int, float] | None, after: dict[int, float] | None) -> float | None:
    """The CPU the backends spent in between (a backend new since counts from nothing)."""
    if before is None or after is None:
        return None
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def _report(name: str, found: dict[str, Any]) -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    per = found["statements"] / max(found["policies"], 1)
    server = "-" if found["server_cpu"] is None else f"{found['server_cpu']:.1f}"
    print(
        f"{name}: {found['seconds']:.1f} s wall, CPU {found['cpu']:.1f} s here and {server} s "
        f"in PostgreSQL, {found['runs']} runs, {found['policies']} policies, "
        f"{found['charges']} charges added ({found['amount']}), {found['errors']} errors, "
        f"{found['not_done']} not DONE, {found['statements']} statements "
        f"({per:.4f} a policy); load average {load}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", required=True, help="a PostgreSQL server's URL")
    parser.add_argument("--database", default="groupcover_premiums_bench")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--policies", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--reuse", action="store_true", help="price the book built before in --database"
    )
    args = parser.parse_args()
    print("load average before:", ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    began = time.perf_counter()
    if args.reuse:
        url = make_url(args.postgres).set(drivername="postgresql+psycopg", database=args.database)
        url = url.render_as_string(hide_password=False)
    else:
        url = build(args.postgres, args.database, clients=args.clients, policies=args.policies)
        print(f"book built in {time.perf_counter() - began:.1f} s")
    for round in range(1, args.rounds + 1):
        if round > 1 or args.reuse:
            forget(url)
        _report(f"round {round}, first run (writes every charge)", asyncio.run(run_all(url)))
        _report(f"round {round}, second run (nothing changed)", asyncio.run(run_all(url)))


def forget(url: str) -> None:
    """Delete the runs and charges of earlier rounds, so the next first run writes all."""
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as conn:
        # Not DELETE: each deleted charge would look for the reversals that name it.
        conn.execute("TRUNCATE premium_charge, premium_run")


if __name__ == "__main__":
    main()
