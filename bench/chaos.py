"""Chaos: mixed reads and writes while the database connections are cut and access blocked.

Run: .venv/bin/python -m bench.chaos --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
     [--seconds 60] [--clients 8]
Makes its own database `groupcover_chaos` (dropped first) with ACME and 50 families, starts
`groupcover serve --workers 2` (production) and `groupcover worker` on it, and runs `--clients`
clients for `--seconds`: each sends reads (a page of group clients), group-client creations
and enrolments through a group manager's request (approved at once, registered by the
worker). Meanwhile every 10 s every session on the database is ended (pg_terminate_backend),
and once, at 25 s, the database takes no connections for 5 s (ALLOW_CONNECTIONS false). A
client that gets 503 waits what Retry-After says (at most 1 s) and resends a write with the
same idempotency key or code. Afterwards it waits up to 90 s for the worker, then checks
that every acknowledged write is there and no request is left unfinished.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from api import tokens
from authz.principal import Principal, Role
from bench.harness import SECRET
from domain.database import create_engine, session_factory
from migrations.runner import upgrade
from schema.core.relay import decode_id, global_id
from tests.factories import Book, families, place

NAME = "groupcover_chaos"
ADMIN = Principal("admin-1", frozenset({Role.ADMIN}))
MANAGER = Principal("hr-1", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"ACME"}))
READ = "{ groupClients(first: 20) { totalCount edges { node { code name } } } }"
CREATE = """mutation($input: GroupClientCreateInput!) { groupClientCreate(input: $input) {
  groupClient { code } errors { code message } } }"""
SUBMIT = """mutation($input: WorkflowRequestSubmitInput!) { workflowRequestSubmit(input: $input) {
  request { id state } errors { code message } } }"""


@dataclass
class Tally:
    """What the clients saw."""

    requests: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    clients_made: set[str] = field(default_factory=set)
    requests_made: set[str] = field(default_factory=set)
    successes: list[float] = field(default_factory=list)


def _admin(base: str) -> str:
    return make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)


def _sql(base: str, *statements: str) -> None:
    with psycopg.connect(_admin(base), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _cut(base: str) -> None:
    _sql(
        base,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{NAME}' AND pid <> pg_backend_pid()",
    )


async def _book(url: str) -> dict[str, str]:
    """ACME, its account and 50 families; the ids an enrolment names."""
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        book = await Book(session).setup()
        acme = await place(book)
        await families(book, acme, 50, since=date(2024, 1, 1))
        await session.commit()
        ids = {
            "account": global_id("GroupAccount", acme.account.id),  # type: ignore[arg-type]
            "class": global_id("InsurableClass", acme.staff.id),  # type: ignore[arg-type]
        }
    await engine.dispose()
    return ids


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [".venv/bin/groupcover", *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def _enrolment(ids: dict[str, str], key: str) -> dict[str, Any]:
    person = {
        "givenName": "Chaos",
        "familyName": key,
        "birthDate": "1985-05-05",
        "gender": "FEMALE",
        "nationalId": f"NID-{key}",
    }
    return {
        "type": "ENROLMENT",
        "channel": "GROUP_PORTAL",
        "idempotencyKey": key,
        "enrolment": {
            "groupAccountId": ids["account"],
            "insurableClassId": ids["class"],
            "startDate": date.today().isoformat(),
            "number": key,
            "subscriber": {"person": person},
            "products": [{"productCode": "MED-PPO", "coverageTier": "EMPLOYEE_ONLY"}],
        },
    }


async def _send(
    http: httpx.AsyncClient, token: str, query: str, variables: Any, tally: Tally
) -> Any:
    """One request; the payload of a clean answer, else None with its kind counted."""
    tally.requests += 1
    try:
        answer = await http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    except httpx.TransportError as error:
        tally.errors[f"connection: {type(error).__name__}"] += 1
        await asyncio.sleep(0.2)
        return None
    if answer.status_code != 200:
        code = _code(answer)
        tally.errors[f"HTTP {answer.status_code} {code}"] += 1
        await asyncio.sleep(min(1.0, float(answer.headers.get("retry-after", "1"))))
        return None
    body = answer.json()
    if body.get("errors"):
        tally.errors[f"HTTP 200 with errors: {body['errors'][0]['message'][:40]}"] += 1
        return None
    (payload,) = body["data"].values()
    if isinstance(payload, dict) and payload.get("errors"):
        tally.errors[f"user error {payload['errors'][0]['code']}"] += 1
        return None
    tally.successes.append(time.monotonic())
    return payload


def _code(answer: httpx.Response) -> str:
    try:
        return str(answer.json()["errors"][0]["extensions"]["code"])
    except (ValueError, KeyError, IndexError, TypeError):
        return answer.text[:30]


async def _client(number: int, base: str, ids: dict[str, str], until: float, tally: Tally) -> None:
    admin = tokens.issue(ADMIN, secret=SECRET)
    manager = tokens.issue(MANAGER, secret=SECRET)
    rng = random.Random(number)
    async with httpx.AsyncClient(base_url=base, timeout=15) as http:
        made = 0
        while time.monotonic() < until:
            pick = rng.random()
            if pick < 0.6:
                await _send(http, admin, READ, {}, tally)
                continue
            made += 1
            key = f"CH-{number}-{made}"
            for _attempt in range(5):  # a write is resent as it was until answered
                if pick < 0.8:
                    values = {
                        "code": key,
                        "name": key,
                        "lineOfBusiness": "HEALTH",
                        "dataAccessGroup": "EU",
                    }
                    payload = await _send(http, admin, CREATE, {"input": values}, tally)
                    if payload is not None:
                        tally.clients_made.add(key)
                        break
                else:
                    payload = await _send(
                        http, manager, SUBMIT, {"input": _enrolment(ids, key)}, tally
                    )
                    if payload is not None:
                        tally.requests_made.add(payload["request"]["id"])
                        break
                if time.monotonic() >= until:
                    break


async def _chaos(base: str, started: float, seconds: float, cuts: list[tuple[float, str]]) -> None:
    """Cut every session every 10 s; once, at 25 s, take no connections for 5 s."""
    blocked = False
    for at in range(10, int(seconds), 5):
        await asyncio.sleep(max(0.0, started + at - time.monotonic()))
        if at == 25 and not blocked:
            blocked = True
            _sql(base, f'ALTER DATABASE "{NAME}" ALLOW_CONNECTIONS false')
            _cut(base)
            await asyncio.sleep(5)
            _sql(base, f'ALTER DATABASE "{NAME}" ALLOW_CONNECTIONS true')
            cuts.append((time.monotonic(), "blocked 5 s"))
        elif at % 10 == 0:
            _cut(base)
            cuts.append((time.monotonic(), "cut"))


def _recoveries(cuts: list[tuple[float, str]], successes: list[float]) -> list[float]:
    """Seconds from each cut (or the end of the block) to the next clean answer."""
    ordered = sorted(successes)
    return [next((t - at for t in ordered if t >= at), float("inf")) for at, _kind in cuts]


async def _unfinished(url: str, made: set[str], codes: set[str], wait: float) -> dict[str, int]:
    """After the worker catches up (up to `wait` s): what is missing or left unfinished."""
    engine = create_engine(url)
    ids = [decode_id(request, "WorkflowRequest") for request in made]
    deadline = time.monotonic() + wait
    async with engine.connect() as conn:
        while True:
            open_requests = await conn.scalar(
                sa.text(
                    "SELECT count(*) FROM workflow_request "
                    "WHERE state NOT IN ('COMPLETED', 'REJECTED', 'CANCELLED', 'FAILED') "
                    "OR waits_on_server"
                )
            )
            if not open_requests or time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
        found_requests = await conn.scalar(
            sa.text("SELECT count(*) FROM workflow_request WHERE id = ANY(:ids)"), {"ids": ids}
        )
        found_clients = await conn.scalar(
            sa.text("SELECT count(*) FROM group_client WHERE code = ANY(:codes)"),
            {"codes": list(codes)},
        )
        doing = await conn.scalar(
            sa.text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'")
        )
    await engine.dispose()
    return {
        "requests found": int(found_requests or 0),
        "clients found": int(found_clients or 0),
        "unfinished": int(open_requests or 0),
        "jobs doing": int(doing or 0),
    }


async def _run(args: argparse.Namespace, url: str, ids: dict[str, str], folder: Path) -> None:
    env = {
        **os.environ,
        "GROUPCOVER_DATABASE_URL": url,
        "GROUPCOVER_SECRET_KEY": SECRET,
        "GROUPCOVER_ENV": "production",
        "GROUPCOVER_MAIL_FOLDER": str(folder / "mail"),  # production sends none unless told
        "GROUPCOVER_RATE_PER_MINUTE": "0",
    }
    server = _start(
        ["serve", "--port", str(args.port), "--workers", "2"], env, folder / "serve.log"
    )
    worker = _start(["worker"], env, folder / "worker.log")
    base = f"http://127.0.0.1:{args.port}"
    try:
        await _ready(base)
        load = os.getloadavg()[0]
        tally, cuts = Tally(), []
        started = time.monotonic()
        until = started + args.seconds
        await asyncio.gather(
            _chaos(args.postgres, started, args.seconds, cuts),
            *(_client(n, base, ids, until, tally) for n in range(args.clients)),
        )
        caught_up = time.monotonic()
        after = await _unfinished(url, tally.requests_made, tally.clients_made, 90)
        _report(args, tally, cuts, after, time.monotonic() - caught_up, load, worker, folder)
    finally:
        for process in (server, worker):
            process.terminate()
            process.wait(timeout=30)


async def _ready(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        for _ in range(300):
            try:
                if (await http.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the server did not start")


def _report(
    args: argparse.Namespace,
    tally: Tally,
    cuts: list[tuple[float, str]],
    after: dict[str, int],
    catch_up: float,
    load: float,
    worker: subprocess.Popen[bytes],
    folder: Path,
) -> None:
    recoveries = _recoveries([c for c in cuts if c[1] == "cut"], tally.successes) or [0.0]
    unblocked = _recoveries([c for c in cuts if c[1] != "cut"], tally.successes)
    errors = ", ".join(f"{kind}: {n}" for kind, n in tally.errors.most_common()) or "none"
    restarts = (folder / "worker.log").read_text().count("reconnecting in")
    rows = [
        ("seconds, clients, server processes", f"{args.seconds}, {args.clients}, 2"),
        ("cuts (all sessions ended) / blocks of 5 s", f"{len(recoveries)} / {len(unblocked)}"),
        ("requests", str(tally.requests)),
        ("errors by kind", f"{sum(tally.errors.values())} ({errors})"),
        (
            "acknowledged writes: group clients, enrolment requests",
            f"{len(tally.clients_made)}, {len(tally.requests_made)}",
        ),
        (
            "acknowledged writes found afterwards",
            f"{after['clients found']}, {after['requests found']}",
        ),
        ("workflow requests left unfinished after the worker caught up", str(after["unfinished"])),
        ("jobs left 'doing'", str(after["jobs doing"])),
        ("seconds for the worker to catch up after the load", f"{catch_up:.1f}"),
        (
            "worker still running; its reconnections",
            f"{'yes' if worker.poll() is None else 'NO'}; {restarts}",
        ),
        (
            "seconds to recover after a cut: median, max",
            f"{statistics.median(recoveries):.2f}, {max(recoveries):.2f}",
        ),
        ("seconds to recover after the block ended", f"{unblocked[0]:.2f}" if unblocked else "-"),
        ("1-minute load average at the start", f"{load:.2f}"),
    ]
    print("| measure | value |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", required=True, help="base URL of the PostgreSQL server")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    _sql(
        args.postgres, f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)', f'CREATE DATABASE "{NAME}"'
    )
    url = make_url(args.postgres).set(drivername="postgresql+psycopg", database=NAME)
    sa_url = url.render_as_string(hide_password=False)
    upgrade(sa_url)
    ids = asyncio.run(_book(sa_url))
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(_run(args, sa_url, ids, Path(folder)))


if __name__ == "__main__":
    main()
