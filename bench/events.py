"""Events out on PostgreSQL: commit-to-delivery latency of webhooks, and what writing a
change's event costs the change.

Run: .venv/bin/python -m bench.events [--changes 10000] [--rate 60] [--workers 2]
         [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

1. Latency. A database of its own with `--clients` group clients; one admin endpoint pointing
   at a real receiver in this process (tests.receiver: it verifies every signature);
   `--workers` `groupcover worker` processes. Writers rename clients (one group_client.changed
   event each) at `--rate` changes a second in all, `--changes` in all, each client by one
   writer so that the writer knows its events' numbers. Latency is the receipt time of an
   event's first arrival minus the time its change's commit returned.
   Beside it: the CPU seconds the workers' processes and this database's PostgreSQL backends
   used during the run, per change.
2. Cost. With the workers stopped, the same rename through the write path, with the outbox
   recorder and with the audit event alone (domain.core.changes.write_audit), in alternated
   rounds after a warm-up: 1 writer, then 4 concurrent writers (on 4 clients). Each round
   gives per change its wall time, this process's CPU time and the CPU time of this
   database's PostgreSQL backends (from /proc: the server must run on this machine).

`--part latency` or `--part cost` runs one of the two.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

import tests.conftest as conftest
from bench.harness import SECRET, arguments
from domain.core import changes
from domain.database import create_engine, request_sessions
from domain.groups.models import GroupClient
from domain.webhooks.models import WebhookEndpoint
from migrations.runner import upgrade
from tests.domain.webhooks.conftest import endpoint, rename
from tests.factories import Book
from tests.live import GROUPCOVER, ROOT
from tests.receiver import Receiver, receiving

Sessions = async_sessionmaker[AsyncSession]


def _load() -> str:
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    """CPU seconds (user and system) a process on this machine used so far; 0 once gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


async def _backends(sessions: Sessions) -> dict[int, float]:
    """This database's PostgreSQL backends and the CPU seconds each used so far."""
    async with sessions() as session:
        pids = await session.scalars(
            sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        )
        return {pid: _cpu(pid) for pid in pids.all()}


async def _backend_cpu(sessions: Sessions, before: dict[int, float]) -> float:
    """CPU seconds this database's backends used since `before` (those gone meanwhile lost)."""
    now = await _backends(sessions)
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in now.items())


async def _seed(sessions: Sessions, count: int) -> list[int]:
    async with sessions() as session:
        book = await Book(session).setup()
        ids = [(await book.client(code=f"EV-{n}")).id for n in range(count)]
        await session.commit()
    return [i for i in ids if i is not None]


def _workers(url: str, count: int) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "GROUPCOVER_DATABASE_URL": url, "GROUPCOVER_SECRET_KEY": SECRET}
    return [
        subprocess.Popen([GROUPCOVER, "worker"], env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
        for _ in range(count)
    ]


async def _write(
    sessions: Sessions,
    mine: list[int],
    total: int,
    interval: float,
    commits: dict[Any, float],
    first: int,
) -> None:
    """Rename this writer's clients in turn, one change each `interval` seconds."""
    numbers = {client_id: int(client_id == first) for client_id in mine}
    began = time.monotonic()
    for n in range(total):
        await asyncio.sleep(max(0.0, began + n * interval - time.monotonic()))
        client_id = mine[n % len(mine)]
        await rename(sessions, client_id, f"Name {n}")
        numbers[client_id] += 1
        commits[(client_id, numbers[client_id])] = time.time()


async def _arrived(receiver: Receiver, total: int, seconds: float) -> dict[Any, float]:
    deadline = time.monotonic() + seconds
    first: dict[Any, float] = {}
    while time.monotonic() < deadline:
        for item in receiver.received[len(first) :]:
            key = (item.body["data"]["subjectId"], item.body["data"]["sequence"])
            first.setdefault(key, item.at)
        if len(first) >= total:
            break
        await asyncio.sleep(0.5)
    return first


async def _ready(sessions: Sessions, receiver: Receiver, client_id: int) -> None:
    """Wait until the workers deliver a first change (they take seconds to start)."""
    await rename(sessions, client_id, "Warm-up")
    await _arrived(receiver, 1, 180)
    assert receiver.received, "the workers delivered nothing in 3 minutes"
    receiver.received.clear()


async def latency(sessions: Sessions, url: str, args: Any, ids: list[int]) -> dict[str, Any]:
    """Send `args.changes` changes and time each from its commit to its arrival."""
    writers = 4
    async with receiving() as receiver:
        _, receiver.secret = await endpoint(sessions, receiver.url)
        processes = _workers(url, args.workers)
        await _ready(sessions, receiver, ids[0])
        load_before = _load()
        workers_before = sum(_cpu(process.pid) for process in processes)
        backends_before = await _backends(sessions)
        commits: dict[Any, float] = {}
        per_writer = args.changes // writers
        began = time.monotonic()
        await asyncio.gather(
            *(
                _write(sessions, ids[w::writers], per_writer, writers / args.rate, commits, ids[0])
                for w in range(writers)
            )
        )
        wrote = time.monotonic() - began
        arrived = await _arrived(receiver, len(commits), args.wait)
        workers_cpu = sum(_cpu(process.pid) for process in processes) - workers_before
        backends_cpu = await _backend_cpu(sessions, backends_before)
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
        waits = sorted(arrived[key] - commits[key] for key in commits if key in arrived)
    return {
        "changes": len(commits),
        "delivered": len(arrived),
        "received (with redeliveries)": len(receiver.received),
        "bad signatures": receiver.unsigned,
        "seconds writing": wrote,
        "p50": statistics.median(waits),
        "p95": waits[int(len(waits) * 0.95) - 1],
        "max": waits[-1],
        "workers' CPU ms a change": workers_cpu * 1000 / len(commits),
        "PostgreSQL CPU ms a change (writers' and workers')": backends_cpu * 1000 / len(commits),
        "load": f"{load_before} before, {_load()} after",
    }


@contextmanager
def recorder(on: bool) -> Iterator[None]:
    """The outbox recorder registered (as always) or the audit event alone, for the block."""
    kept = list(changes._RECORDERS)
    if not on:
        changes._RECORDERS[:] = [changes.write_audit]
    try:
        yield
    finally:
        changes._RECORDERS[:] = kept


@dataclass
class Costs:
    """Per change: wall seconds, this process's CPU seconds, the backends' CPU seconds."""

    wall: list[float] = field(default_factory=list)
    app: list[float] = field(default_factory=list)
    database: list[float] = field(default_factory=list)


async def _round(sessions: Sessions, ids: list[int], per_writer: int, costs: Costs) -> None:
    """Rename with one writer per client in `ids` at once; add the round's costs a change."""

    async def one(client_id: int) -> None:
        for n in range(per_writer):
            await rename(sessions, client_id, f"Cost {n}")

    backends = await _backends(sessions)
    began, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one(i) for i in ids))
    wall, app = time.perf_counter() - began, time.process_time() - cpu
    database = await _backend_cpu(sessions, backends)
    changes = per_writer * len(ids)
    costs.wall.append(wall / changes)
    costs.app.append(app / changes)
    costs.database.append(database / changes)


async def cost(sessions: Sessions, ids: list[int], args: Any) -> dict[str, Any]:
    """Per-change costs with and without the recorder, alternated rounds after a warm-up."""
    scratch = Costs()
    await _round(sessions, ids, args.warmup, scratch)
    with recorder(False):
        await _round(sessions, ids, args.warmup, scratch)
    costs = {True: Costs(), False: Costs()}
    load_before = _load()
    for n in range(args.rounds):
        for on in (True, False) if n % 2 == 0 else (False, True):
            with recorder(on):
                await _round(sessions, ids, args.per_round // len(ids), costs[on])
    values: dict[str, Any] = {"writers": len(ids)}
    for name in ("wall", "app", "database"):
        with_events, without = getattr(costs[True], name), getattr(costs[False], name)
        overheads = sorted(a / b - 1 for a, b in zip(with_events, without, strict=True))
        values[f"{name} ms with events"] = statistics.median(with_events) * 1000
        values[f"{name} ms without"] = statistics.median(without) * 1000
        values[f"{name} overhead median"] = statistics.median(overheads)
        values[f"{name} overhead min..max"] = (overheads[0], overheads[-1])
        values[f"{name} overhead of the sums"] = sum(with_events) / sum(without) - 1
    values["load"] = f"{load_before} before, {_load()} after"
    return values


async def main(args: Any, url: str) -> None:
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    sessions = request_sessions(engine)
    try:
        ids = await _seed(sessions, args.clients)
        if args.part in ("both", "latency"):
            print(_table("latency", await latency(sessions, url, args, ids)), flush=True)
        async with sessions() as session:
            await session.execute(sa.update(WebhookEndpoint).values(enabled=False))
            await session.commit()
        if args.part in ("both", "cost"):
            for writers in (1, 4):
                costs = await cost(sessions, ids[:writers], args)
                print(_table(f"cost, {writers} writer(s)", costs), flush=True)
        async with sessions() as session:
            done = await session.scalar(sa.select(sa.func.count(col(GroupClient.id))))
            print(f"group clients: {done}")
    finally:
        await engine.dispose()


def _table(title: str, values: dict[str, Any]) -> str:
    lines = [f"\n{title}", "| measure | value |", "|---|---|"]
    lines += [f"| {name} | {_cell(value)} |" for name, value in values.items()]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, tuple):
        return " .. ".join(_cell(v) for v in value)
    return str(value)


def cli(build: Callable[..., Any] = main) -> None:
    parser = arguments(__doc__, size=0)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=60.0, help="changes a second, in all")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--wait", type=float, default=600.0, help="seconds to wait for delivery")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--per-round", type=int, default=200)
    parser.add_argument("--part", choices=("both", "latency", "cost"), default="both")
    args = parser.parse_args()
    conftest.POSTGRES_URL = args.postgres or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    databases = conftest._postgres_database()
    url = next(databases)
    try:
        asyncio.run(build(args, url))
    finally:
        next(databases, None)


if __name__ == "__main__":
    cli()
