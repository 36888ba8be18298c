"""A vendor's reach and figures against an oracle, for random requests, tasks and grants.

Hypothesis draws requests (a type, an account under ROOT, CHILD below it, or OTHER, or none)
with tasks (an assignee, a kind, maybe done by the vendor or someone else, maybe escalated),
and a vendor's stored grants (some clients, some request types, maybe some task kinds). The
oracle restates the rule in plain Python: a request is the vendor's when its type is granted
and one casbin lets vendors take (none about health), and its account's client is a granted
one or below one; a task is the vendor's when its request is, it is the back office's, and
its kind is granted (any kind when none is). The requests list, the inbox and vendorStats
must agree with it.
"""

from __future__ import annotations

from datetime import timedelta
from statistics import median
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from authz.access import WORKFLOW_READ, Access
from authz.principal import Grant, GrantKind, Principal, Role
from domain.core.paging import Window
from domain.reports.ranges import DayRange
from domain.reports.vendors import vendor_stats
from domain.workflow.models import ProcessDefinition, WorkflowRequest, WorkflowTask
from domain.workflow.queries import RequestFilter, TaskFilter, list_requests, list_tasks
from tests.domain.reports.scenarios import ACCOUNTS, BASE, at, write_groups
from tests.factories import Book

VENDOR = "vendor-o"
TYPES = ("ENROLMENT", "TERMINATION", "DATA_CHANGE", "MEDICAL_AUTHORIZATION")
OUTSOURCEABLE = {"ENROLMENT", "TERMINATION", "DATA_CHANGE"}
BELOW = {"ROOT": {"ROOT", "CHILD"}, "CHILD": {"CHILD"}, "OTHER": {"OTHER"}}

tasks = st.fixed_dictionaries(
    {
        "assignee": st.sampled_from(["BACK_OFFICE", "GROUP_MANAGER"]),
        "kind": st.sampled_from(["APPROVAL", "FULFILMENT"]),
        "by": st.sampled_from([None, VENDOR, "bo-1"]),
        "hours": st.integers(1, 48),
        "escalated": st.booleans(),
    }
)
requests = st.fixed_dictionaries(
    {
        "type": st.sampled_from(TYPES),
        "account": st.sampled_from([None, *sorted(ACCOUNTS)]),
        "tasks": st.lists(tasks, max_size=2),
    }
)
grants = st.fixed_dictionaries(
    {
        "clients": st.frozensets(st.sampled_from(sorted(BELOW)), max_size=2),
        "types": st.frozensets(st.sampled_from(TYPES), max_size=3),
        "kinds": st.frozensets(st.sampled_from(["APPROVAL", "FULFILMENT"]), max_size=2),
    }
)


def _principal(drawn: dict[str, Any]) -> Principal:
    stored = frozenset(
        Grant(Role.VENDOR, kind, code)
        for kind, codes in (
            (GrantKind.GROUP_CLIENT, drawn["clients"]),
            (GrantKind.REQUEST_TYPE, drawn["types"]),
            (GrantKind.TASK_KIND, drawn["kinds"]),
        )
        for code in codes
    )
    return Principal(VENDOR, frozenset({Role.VENDOR}), stored=stored)


def _theirs(request: dict[str, Any], drawn: dict[str, Any]) -> bool:
    reached = set().union(*(BELOW[code] for code in drawn["clients"]))
    return (
        request["type"] in drawn["types"] & OUTSOURCEABLE
        and request["account"] is not None
        and ACCOUNTS[request["account"]] in reached
    )


def _task_theirs(task: dict[str, Any], drawn: dict[str, Any]) -> bool:
    return task["assignee"] == "BACK_OFFICE" and (
        not drawn["kinds"] or task["kind"] in drawn["kinds"]
    )


async def _write(session: AsyncSession, specs: list[dict[str, Any]]) -> list[tuple[int, list[int]]]:
    """Each request and its tasks; the id of each request and of its tasks."""
    written = await write_groups(await Book(session).setup())
    definition = ProcessDefinition(key="o", version=1, name="O", bpmn="", dmn={}, deployed_by="t")
    session.add(definition)
    await session.flush()
    ids = []
    for n, spec in enumerate(specs):
        request = WorkflowRequest(
            type=spec["type"],
            channel="BACK_OFFICE",
            state="SUBMITTED",
            submitted_by="someone",
            process_definition_id=definition.id,  # type: ignore[arg-type]
            group_account_id=written.accounts[spec["account"]] if spec["account"] else None,
            details={},
            workflow="",
            created_at=at(n),
        )
        session.add(request)
        await session.flush()
        made = [_task(n, i, request.id, task) for i, task in enumerate(spec["tasks"])]  # type: ignore[arg-type]
        session.add_all(made)
        await session.flush()
        ids.append((request.id, [task.id for task in made]))
    return ids  # type: ignore[return-value]


def _task(n: int, i: int, request_id: int, task: dict[str, Any]) -> WorkflowTask:
    return WorkflowTask(
        request_id=request_id,
        engine_task_id=f"t-{n}-{i}",
        name="task",
        title="Task",
        assignee=task["assignee"],
        kind=task["kind"],
        state="COMPLETED" if task["by"] else "OPEN",
        due_at=at(n + 24),
        escalated_at=at(n + 25) if task["escalated"] else None,
        completed_by=task["by"],
        completed_at=at(n + task["hours"]) if task["by"] else None,
        created_at=at(n),
    )


async def _paged(fetch: Any) -> list[Any]:
    rows: list[Any] = []
    after = None
    while True:
        page = await fetch(Window(first=3, after=after))
        rows += page.rows
        if not page.has_next:
            return rows
        after = page.rows[-1].id


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(specs=st.lists(requests, max_size=8), drawn=grants)
async def test_a_vendor_reaches_what_the_oracle_says_and_counts_it(
    connection: AsyncConnection,
    sessions: async_sessionmaker[AsyncSession],
    specs: list[dict[str, Any]],
    drawn: dict[str, Any],
) -> None:
    savepoint = await connection.begin_nested()
    try:
        async with sessions() as session:
            # given
            ids = await _write(session, specs)
            access = Access(_principal(drawn))
            manager, back_office = access.inbox()
            # when
            seen = await _paged(
                lambda w: list_requests(
                    session,
                    scope=access.scope(WORKFLOW_READ),
                    subject=VENDOR,
                    given=RequestFilter(),
                    window=w,
                )
            )
            inbox = await _paged(
                lambda w: list_tasks(
                    session,
                    manager=manager,
                    back_office=back_office,
                    given=TaskFilter(state=None),
                    window=w,
                    now=at(0),
                )
            )
            (row,) = await vendor_stats(
                session,
                scopes={VENDOR: back_office},
                period=DayRange(BASE, BASE + timedelta(days=1)),
            )
        # then
        theirs = [n for n, spec in enumerate(specs) if _theirs(spec, drawn)]
        mine = [
            (ids[n][1][i], task)
            for n in theirs
            for i, task in enumerate(specs[n]["tasks"])
            if _task_theirs(task, drawn)
        ]
        done = [task for _, task in mine if task["by"] == VENDOR]
        assert sorted(request.id for request in seen) == sorted(ids[n][0] for n in theirs)
        assert sorted(task.id for task in inbox) == sorted(task_id for task_id, _ in mine)
        assert (row.tasks, row.done, row.escalated, row.open) == (
            len(mine),
            len(done),
            sum(task["escalated"] for _, task in mine),
            sum(task["by"] is None for _, task in mine),
        )
        assert row.done_within_due == sum(task["hours"] <= 24 for task in done)
        expected = median([task["hours"] for task in done]) if done else None
        assert (row.median_hours_to_done is None) == (expected is None)
        if expected is not None:
            assert abs(row.median_hours_to_done - expected) < 1e-3  # type: ignore[operator]
    finally:
        await savepoint.rollback()
