"""workflowStats against figures made by paging through the requests list, for random
requests, timelines, tasks and callers.

The oracle pages through the requests list as the caller (the domain's list, 3 a page),
reads each request's timeline and tasks, and computes every figure in plain Python: hours
from submission to the first STATE_CHANGED line to APPROVED, REJECTED or COMPLETED (and to
COMPLETED), percentiles by linear interpolation (as PostgreSQL's percentile_cont), tasks
completed by their due time, ESCALATED lines, and lines written by persons.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from sqlmodel import col

from authz.access import WORKFLOW_READ, Access
from domain.groups.models import GroupAccount
from domain.reports.ranges import day_range
from domain.reports.workflow import WorkflowKey, workflow_stats
from domain.workflow.models import WorkflowEvent, WorkflowTask
from domain.workflow.queries import RequestFilter, list_requests
from tests.domain.reports.scenarios import (
    SUBJECT,
    callers,
    day,
    requests,
    write_groups,
    write_requests,
)
from tests.domain.reports.test_membership_oracle import _paged, _rows_of
from tests.factories import Book

DECIDED = {"APPROVED", "REJECTED", "COMPLETED"}


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks, as percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def _measures(request: Any, lines: list[Any], tasks: list[Any]) -> dict[str, Any]:
    changed = [e for e in lines if e.action == "STATE_CHANGED"]
    decided = min((e.at for e in changed if e.state in DECIDED), default=None)
    approved = min((e.at for e in changed if e.state in ("APPROVED", "COMPLETED")), default=None)
    completed = min((e.at for e in changed if e.state == "COMPLETED"), default=None)
    hours = lambda when: None if when is None else (when - request.created_at) / timedelta(hours=1)  # noqa: E731
    done = [t for t in tasks if t.completed_at is not None]
    return {
        "decision": hours(decided),
        "completion": hours(completed),
        "auto": approved is not None
        and not any(e.action in ("APPROVED", "REJECTED") for e in lines),
        "decided": decided is not None,
        "escalated": any(e.action == "ESCALATED" for e in lines),
        "touches": sum(e.actor != "groupcover" and e.action != "SUBMITTED" for e in lines),
        "done": len(done),
        "on_time": sum(t.completed_at <= t.due_at for t in done),
    }


def _key(key: WorkflowKey, request: Any, tasks: list[Any], clients: dict[int, int]) -> Any:
    if key is WorkflowKey.TYPE:
        return request.type
    if key is WorkflowKey.CHANNEL:
        return request.channel
    if key is WorkflowKey.MONTH:
        return request.created_at.strftime("%Y-%m")
    if key is WorkflowKey.GROUP_CLIENT:
        return clients.get(request.group_account_id)
    first = min(tasks, key=lambda t: t.id, default=None)
    return first.assignee if first else None


def _figures(
    groups: dict[tuple[Any, ...], list[dict[str, Any]]],
) -> dict[tuple[Any, ...], dict[str, Any]]:
    out = {}
    for key, items in groups.items():
        decisions = [i["decision"] for i in items if i["decision"] is not None]
        completions = [i["completion"] for i in items if i["completion"] is not None]
        out[key] = {
            "submitted": len(items),
            "auto_approved": sum(i["auto"] for i in items),
            "decided": sum(i["decided"] for i in items),
            "escalated": sum(i["escalated"] for i in items),
            "human_touches": sum(i["touches"] for i in items),
            "tasks_completed": sum(i["done"] for i in items),
            "tasks_within_due": sum(i["on_time"] for i in items),
            "median_hours_to_decision": percentile(decisions, 0.5),
            "p90_hours_to_decision": percentile(decisions, 0.9),
            "median_hours_to_completion": percentile(completions, 0.5),
            "p90_hours_to_completion": percentile(completions, 0.9),
        }
    return out


scenario = st.fixed_dictionaries(
    {
        "requests": st.lists(requests, max_size=8),
        "caller": callers,
        "start": st.integers(0, 60),
        "length": st.integers(0, 40),
        "group_by": st.lists(st.sampled_from(list(WorkflowKey)), max_size=3, unique=True),
    }
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(drawn=scenario)
async def test_every_figure_is_what_paging_the_list_computes(
    connection: AsyncConnection, sessions: async_sessionmaker[AsyncSession], drawn: dict[str, Any]
) -> None:
    savepoint = await connection.begin_nested()
    try:
        async with sessions() as session:
            # given
            book = await Book(session).setup()
            written = await write_groups(book)
            await write_requests(book, written, drawn["requests"])
            access = Access(drawn["caller"].principal([]))
            start = day(drawn["start"])
            period = day_range(start, start + timedelta(days=drawn["length"]))
            # when
            found = await workflow_stats(
                session,
                scope=access.scope(WORKFLOW_READ),
                period=period,
                group_by=drawn["group_by"],
            )
            # then
            expected = await _expected(session, access, period, drawn["group_by"])
        got = {
            tuple(row.keys[k] for k in drawn["group_by"]): {
                name: getattr(row, name) for name in next(iter(expected.values()), {})
            }
            for row in found
        }
        assert got.keys() == expected.keys()
        for key, figures in expected.items():
            for name, value in figures.items():
                _same(got[key][name], value, (key, name))
    finally:
        await savepoint.rollback()


def _same(got: Any, expected: Any, where: Any) -> None:
    """Equal counts; hours equal to a few milliseconds (SQLite's julianday is no finer)."""
    if isinstance(expected, float):
        assert got is not None and abs(got - expected) < 1e-5, (where, got, expected)
    else:
        assert got == expected, (where, got, expected)


async def _expected(
    session: AsyncSession, access: Access, period: Any, group_by: list[WorkflowKey]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    scope = access.scope(WORKFLOW_READ)
    listed = await _paged(
        lambda w: list_requests(
            session, scope=scope, subject=SUBJECT, given=RequestFilter(), window=w
        )
    )
    chosen = [r for r in listed if period.since <= r.created_at < period.until]
    ids = [r.id for r in chosen]
    lines = await _rows_of(session, WorkflowEvent, col(WorkflowEvent.request_id), ids)
    tasks = await _rows_of(session, WorkflowTask, col(WorkflowTask.request_id), ids)
    clients = dict(
        (await session.execute(sa.select(GroupAccount.id, GroupAccount.group_client_id))).all()
    )
    by_request: dict[int, tuple[list[Any], list[Any]]] = {i: ([], []) for i in ids}
    for line in lines:
        by_request[line.request_id][0].append(line)
    for task in tasks:
        by_request[task.request_id][1].append(task)
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for request in chosen:
        own_lines, own_tasks = by_request[request.id]
        key = tuple(_key(k, request, own_tasks, clients) for k in group_by)
        groups[key].append(_measures(request, own_lines, own_tasks))
    return _figures(groups)
