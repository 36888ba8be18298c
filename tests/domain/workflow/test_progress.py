"""A process's steps for people follow the process as rows (domain.workflow.progress.Inbox),
the same way for a request's tasks and a campaign client's: a new wait opens one row, a wait
still open keeps its row, a wait gone is cancelled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.workflow.engine import Assignee, TaskKind, Waiting
from domain.workflow.models import (
    Channel,
    ProcessDefinition,
    RequestState,
    RequestType,
    TaskState,
    WorkflowRequest,
    WorkflowTask,
)
from domain.workflow.progress import TASKS

NOW = datetime(2027, 1, 4, 9, tzinfo=UTC)


def _wait(engine_id: str) -> Waiting:
    return Waiting(
        engine_id, "approve", "Approve", assignee=Assignee.GROUP_MANAGER,
        kind=TaskKind.APPROVAL, due=timedelta(days=3),
    )  # fmt: skip


def _task(request_id: int, wait: Waiting) -> WorkflowTask:
    assert wait.assignee and wait.kind
    return WorkflowTask(
        request_id=request_id, engine_task_id=wait.id, name=wait.name, title=wait.title,
        assignee=wait.assignee, kind=wait.kind, state=TaskState.OPEN, due_at=NOW,
    )  # fmt: skip


async def _request(session: AsyncSession) -> int:
    definition = ProcessDefinition(key="p", version=1, name="p", bpmn="", dmn={}, deployed_by="t")
    session.add(definition)
    await session.flush()
    request = WorkflowRequest(
        type=RequestType.CERTIFICATE, channel=Channel.BACK_OFFICE, state=RequestState.SUBMITTED,
        submitted_by="t", process_definition_id=definition.id, details={}, workflow="",
    )  # fmt: skip
    session.add(request)
    await session.flush()
    assert request.id is not None
    return request.id


async def _states(session: AsyncSession, request_id: int) -> dict[str, TaskState]:
    await session.flush()
    rows = await session.execute(
        sa.select(col(WorkflowTask.engine_task_id), col(WorkflowTask.state)).where(
            col(WorkflowTask.request_id) == request_id
        )
    )
    return {engine_id: state for engine_id, state in rows.all()}


async def test_a_new_wait_opens_a_row_one_still_open_keeps_it_one_gone_is_cancelled(
    session: AsyncSession,
) -> None:
    # given a request whose process waits on A and B
    request_id = await _request(session)
    first = await TASKS.keep(
        session, request_id, [_wait("A"), _wait("B")], lambda w: _task(request_id, w)
    )
    await session.flush()  # the step's rows are written when it ends
    # when it waits on B and C instead
    then = await TASKS.keep(
        session, request_id, [_wait("B"), _wait("C")], lambda w: _task(request_id, w)
    )
    # then C alone is new, B keeps its one row, A is cancelled
    assert [w.id for w in first] == ["A", "B"]
    assert [w.id for w in then] == ["C"]
    assert await _states(session, request_id) == {
        "A": TaskState.CANCELLED,
        "B": TaskState.OPEN,
        "C": TaskState.OPEN,
    }
