"""People's steps of a request: deciding on or fulfilling an inbox task, and cancelling."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor, RowScope
from domain.core import changes
from domain.core.changes import Action, changing
from domain.core.columns import utcnow
from domain.core.errors import DomainError, ErrorCode, Problem, raise_if
from domain.workflow import engine, progress, scripts
from domain.workflow import reach as access
from domain.workflow.engine import ProcessError, TaskKind
from domain.workflow.events import announce
from domain.workflow.models import (
    FINAL_STATES,
    Decision,
    EventAction,
    RequestState,
    TaskState,
    WorkflowRequest,
    WorkflowTask,
)

MAX_COMMENT = 2000
MAX_TASK_DATA = 10_000


@dataclass(frozen=True)
class TaskDecision:
    """What the person acting on a task gives: a decision, a comment, a fulfilment's data."""

    task_id: int
    decision: Decision | None
    comment: str | None
    data: Mapping[str, Any] | None


async def complete_task(
    session: AsyncSession,
    *,
    actor: Actor,
    manager: RowScope,
    back_office: RowScope,
    given: TaskDecision,
) -> WorkflowRequest:
    """Decide on an approval or finish a fulfilment; exactly one of two racing calls wins.

    `manager` and `back_office` are the actor's reach in each of those roles: the inbox
    tasks they act on differ (see domain.workflow.reach.actionable).
    """
    await progress.writing(session)
    task = await session.scalar(
        sa.select(WorkflowTask)
        .join(WorkflowRequest, col(WorkflowRequest.id) == col(WorkflowTask.request_id))
        .where(col(WorkflowTask.id) == given.task_id, access.actionable(manager, back_office))
    )
    if task is None:
        raise changes.not_found("id", "task")
    request = await progress.locked(session, task.request_id)
    if task.state is not TaskState.OPEN:
        raise DomainError.of("id", ErrorCode.WRONG_STATUS, _closed(task))
    data = dict(given.data or {})
    _check_decision(actor, request, task, given, data)
    decision = given.decision or Decision.APPROVE
    async with changing(
        session, actor, Action.WORKFLOW_TASK_COMPLETE, WorkflowTask, task.id, marks_changed=False
    ):
        await _close(session, actor, task, decision, given.comment)
        verb = {
            (TaskKind.APPROVAL, Decision.APPROVE): EventAction.APPROVED,
            (TaskKind.APPROVAL, Decision.REJECT): EventAction.REJECTED,
        }.get((task.kind, decision), EventAction.FULFILLED)
        said = f": {given.comment}" if given.comment else "."
        by = f"{task.title}: {verb.lower()} by {actor.subject}{said}"
        decided = progress.event(session, request, actor.subject, verb, by)
        if task.kind is TaskKind.FULFILMENT and data:
            request.result = {**(request.result or {}), **engine.jsonable(data)}
        await _go_on(session, request, task, decision, data)
        decided.state = request.state
    return request


def _check_decision(
    actor: Actor,
    request: WorkflowRequest,
    task: WorkflowTask,
    given: TaskDecision,
    data: dict[str, Any],
) -> None:
    problems: list[Problem] = []
    if request.submitted_by == actor.subject:
        problems.append(
            Problem(
                ("id",),
                ErrorCode.NOT_ALLOWED,
                "You submitted this request; someone else must decide on it.",
            )
        )
    if task.kind is TaskKind.APPROVAL and given.decision is None:
        problems.append(Problem(("decision",), ErrorCode.REQUIRED, "Approve or reject."))
    if task.kind is TaskKind.FULFILMENT and given.decision is Decision.REJECT:
        problems.append(
            Problem(
                ("decision",),
                ErrorCode.NOT_ALLOWED,
                "The request is approved; register it, or cancel the request.",
            )
        )
    if given.comment is not None and len(given.comment) > MAX_COMMENT:
        problems.append(
            Problem(("comment",), ErrorCode.TOO_LONG, f"At most {MAX_COMMENT} characters.")
        )
    if len(engine.jsonable(data).__repr__()) > MAX_TASK_DATA:
        problems.append(
            Problem(("data",), ErrorCode.TOO_LONG, f"At most {MAX_TASK_DATA} characters of data.")
        )
    raise_if(problems)


async def _close(
    session: AsyncSession,
    actor: Actor,
    task: WorkflowTask,
    decision: Decision,
    comment: str | None,
) -> None:
    """Mark the task done, unless someone else did first."""
    # Only one caller turns an OPEN task COMPLETED; on PostgreSQL the second waits for the
    # first to commit, then finds the task closed.
    done = await session.execute(
        sa.update(WorkflowTask)
        .where(col(WorkflowTask.id) == task.id, col(WorkflowTask.state) == TaskState.OPEN)
        .values(
            state=TaskState.COMPLETED,
            completed_by=actor.subject,
            completed_at=utcnow(),
            decision=decision,
            comment=comment,
        )
        .execution_options(synchronize_session=False)
    )
    await session.refresh(task)
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise DomainError.of("id", ErrorCode.WRONG_STATUS, _closed(task))


async def _go_on(
    session: AsyncSession,
    request: WorkflowRequest,
    task: WorkflowTask,
    decision: Decision,
    data: dict[str, Any],
) -> None:
    """Run the process on from the task to its next wait."""
    workflow = engine.load(request.workflow)
    try:
        await scripts.bounded(
            engine.complete,
            workflow,
            task.engine_task_id,
            {"decision": decision.value, f"{task.name}_data": engine.jsonable(data)},
        )
    except ProcessError as error:
        progress.fail(session, request, f"The process stopped: {error}")
    else:
        await progress.sync(session, request, workflow, utcnow())


def _closed(task: WorkflowTask) -> str:
    if task.state is TaskState.COMPLETED:
        return f"Already decided by {task.completed_by} at {task.completed_at:%Y-%m-%d %H:%M} UTC."
    return "The request ended; this task is closed."


async def cancel(
    session: AsyncSession,
    *,
    actor: Actor,
    may_cancel_any: bool,
    request_id: int,
    reason: str | None,
) -> WorkflowRequest:
    """Withdraw a request that has not ended: its sender, or the back office, may."""
    await progress.writing(session)
    await changes.load(session, actor, WorkflowRequest, request_id, field="id")
    request = await progress.locked(session, request_id)
    if request.submitted_by != actor.subject and not may_cancel_any:
        raise DomainError.of(
            "id", ErrorCode.NOT_ALLOWED, "Only its sender or the insurer may cancel a request."
        )
    if request.state in FINAL_STATES:
        raise DomainError.of(
            "id", ErrorCode.WRONG_STATUS, f"The request is {request.state}; it cannot be cancelled."
        )
    if reason is not None and len(reason) > MAX_COMMENT:
        raise DomainError.of("reason", ErrorCode.TOO_LONG, f"At most {MAX_COMMENT} characters.")
    async with changing(
        session,
        actor,
        Action.WORKFLOW_REQUEST_CANCEL,
        WorkflowRequest,
        request_id,
        marks_changed=False,
    ):
        workflow = engine.load(request.workflow)
        workflow.cancel()
        request.state = RequestState.CANCELLED
        progress.keep_process(request, workflow, [], utcnow())
        await progress.TASKS.cancel(session, request_id, keep=[])
        said = f"Cancelled by {actor.subject}" + (f": {reason}" if reason else ".")
        progress.event(session, request, actor.subject, EventAction.CANCELLED, said)
        await announce(session, request_id)
    return request
