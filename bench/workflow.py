"""Time workflow requests end to end: employees send, their manager approves, the server registers.

Run: .venv/bin/python -m bench.workflow [--size 1000] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
Builds `--size` families in one account; each family's employee sends a termination of
its policy (the shipped flow asks their group manager), the manager's inbox is read with
every task open, the manager approves each task, and the server's steps (registration
through the policies services, then telling the employee) run as the in-process runner
runs them. Each step goes through the ASGI app in process (httpx, no network); a row
gives the median and p95 time of one step, its SQL statements, and the steps a second.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from httpx import ASGITransport, AsyncClient
from sqlalchemy import event
from sqlmodel import col

from api import tokens
from api.app import create_app
from api.jobs import InProcess
from api.settings import Settings
from authz.principal import Principal, Role
from bench.harness import SECRET, arguments, targets
from domain.database import create_engine, session_factory
from domain.policies.limits import PolicyLimits, utc_today
from domain.policies.models import Person
from schema.core.relay import global_id
from tests.conftest import StatementCounter
from tests.factories import Book, families, place
from tests.schema.workflow.requests import COMPLETE, INBOX, SUBMIT

MANAGER = Principal("hr-1", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"ACME"}))


def _row(backend: str, name: str, times: list[float], statements: int) -> str:
    times = sorted(times)
    p95 = times[max(int(len(times) * 0.95) - 1, 0)]
    per_second = len(times) / (sum(times) / 1000)
    cells = [
        backend,
        name,
        str(len(times)),
        f"{statistics.median(times):.1f}",
        f"{p95:.1f}",
        f"{per_second:.0f}",
        str(statements),
    ]
    return "| " + " | ".join(cells) + " |"


async def measure(backend: str, url: str, size: int) -> list[str]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with sessions() as session:
        book = await Book(session).setup()
        where = await place(book)
        policies = await families(book, where, size, since=utc_today() - timedelta(days=90))
        numbers = dict(
            (
                await session.execute(
                    sa.select(col(Person.id), col(Person.person_number)).where(
                        col(Person.id).in_([p.subscriber_id for p in policies])
                    )
                )
            ).all()
        )
        await session.commit()
    runner = InProcess(sessions, PolicyLimits(), autostart=False)
    app = create_app(
        Settings(url, SECRET, "production", rate_per_minute=0), sessions=sessions, runner=runner
    )
    seen = StatementCounter()
    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    end = (utc_today() + timedelta(days=30)).isoformat()
    rows: dict[str, tuple[list[float], int]] = {}

    def note(name: str, spent: float, count: int) -> None:
        times, _ = rows.setdefault(name, ([], count))
        times.append(spent)
        rows[name] = (times, max(rows[name][1], count))

    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://bench") as http:

        async def post(name: str, principal: Principal, query: str, variables: Any) -> Any:
            """Send one operation, time it and count its statements; fail on any error."""
            headers = {"Authorization": f"Bearer {tokens.issue(principal, secret=SECRET)}"}
            seen.reset()
            began = time.perf_counter()
            response = await http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
            note(name, (time.perf_counter() - began) * 1000, seen.count)
            body = response.json()
            assert "errors" not in body, body["errors"]
            (payload,) = body["data"].values()
            assert not payload.get("errors"), payload["errors"]
            return payload

        tasks: list[str] = []
        for policy in policies:
            employee = Principal(
                f"emp-{policy.id}", frozenset({Role.EMPLOYEE}), person=numbers[policy.subscriber_id]
            )
            submission = {
                "type": "TERMINATION",
                "channel": "EMPLOYEE",
                "policyId": global_id("Policy", policy.id),  # type: ignore[arg-type]
                "endDate": end,
            }
            made = await post("employee submits", employee, SUBMIT, {"input": submission})
            (task,) = [t for t in made["request"]["tasks"] if t["state"] == "OPEN"]
            tasks.append(task["id"])
        for _ in range(30):
            inbox = await post(
                f"manager's inbox, first page of {size} open",
                MANAGER,
                INBOX,
                {"filter": {"state": "OPEN"}},
            )
            assert inbox["totalCount"] == size
        for task_id in tasks:
            approval = {"id": task_id, "decision": "APPROVE", "comment": "ok"}
            await post("manager approves", MANAGER, COMPLETE, {"input": approval})
            seen.reset()
            began = time.perf_counter()
            await runner.drain()
            note(
                "server registers and tells the employee",
                (time.perf_counter() - began) * 1000,
                seen.count,
            )
    async with sessions() as session:
        states = (
            await session.execute(
                sa.text("SELECT state, count(*) FROM workflow_request GROUP BY 1")
            )
        ).all()
    assert dict(states) == {"COMPLETED": size}, states  # type: ignore[arg-type]
    await engine.dispose()
    return [_row(backend, name, times, count) for name, (times, count) in rows.items()]


def main() -> None:
    args = arguments(__doc__, size=1000).parse_args()
    print("| database | step | times | median ms | p95 ms | a second | SQL statements (max) |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for backend, url in targets(args.postgres, folder):
            for line in asyncio.run(measure(backend, url, args.size)):
                print(line, flush=True)


if __name__ == "__main__":
    main()
