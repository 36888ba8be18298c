"""Keeping a request's rows in step with its process: state, inbox tasks, timeline, lock.

Every step (domain.workflow.submit, .tasks, .steps) ends here: the process state, the tasks
it waits on and the timeline are saved together with whatever the step changed, in the
caller's transaction, so a process killed between two steps loses nothing and does nothing
twice. The request row is locked for the step, so two steps of one request never overlap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.core.columns import utcnow
from domain.core.errors import DomainError, ErrorCode
from domain.workflow import engine
from domain.workflow.engine import TaskKind, Waiting
from domain.workflow.events import announce
from domain.workflow.models import (
    Decision,
    EventAction,
    RequestState,
    TaskState,
    WorkflowEvent,
    WorkflowRequest,
    WorkflowTask,
)

SERVER = "groupcover"
"""The actor of the server's own steps in timelines."""
MAX_MESSAGE = 2000


async def writing(session: AsyncSession) -> None:
    """On SQLite, take the database's write lock before reading anything.

    SQLite has one writer at a time. Two transactions that both read, then both write,
    deadlock, and one fails with "database is locked"; a transaction that asks for the
    write lock first simply waits its turn. (PostgreSQL locks the request row instead.)
    """
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(sa.text("UPDATE workflow_request SET id = id WHERE id = -1"))


async def row_locked(session: AsyncSession, model: Any, row_id: int) -> Any:
    """The row of `model` with this id, read afresh and locked until the transaction ends;
    None when there is none. Requests and campaign runs both step under it."""
    # Re-reading the row overwrites what this session holds of it: write that out first.
    await session.flush()
    return await session.scalar(
        sa.select(model)
        .where(model.id == row_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def locked(session: AsyncSession, request_id: int) -> WorkflowRequest:
    """The request, read afresh and locked until the transaction ends."""
    request: WorkflowRequest | None = await row_locked(session, WorkflowRequest, request_id)
    if request is None:
        raise DomainError.of("id", ErrorCode.NOT_FOUND, "No workflow request with this id.")
    return request


@dataclass(frozen=True)
class Inbox:
    """The rows of a process's steps for people: a request's tasks, or those of a campaign
    client's part. Both follow their process the same way (Inbox.keep)."""

    model: Any
    owner: str
    """The column naming the row whose process it is."""
    open: str
    cancelled: str

    async def keep(
        self,
        session: AsyncSession,
        owner_id: int,
        people: list[Waiting],
        make: Callable[[Waiting], Any],
    ) -> list[Waiting]:
        """Add a row (`make`) for each wait without an open one, cancel the open rows the
        process no longer waits on; the waits added."""
        opened = set(
            await session.scalars(sa.select(self.model.engine_task_id).where(*self._open(owner_id)))
        )
        added = [wait for wait in people if wait.id not in opened]
        session.add_all([make(wait) for wait in added])
        await self.cancel(session, owner_id, keep=[wait.id for wait in people])
        return added

    async def cancel(self, session: AsyncSession, owner_id: int, *, keep: list[str]) -> None:
        """Cancel the open rows but those of the waits in `keep`."""
        await session.execute(
            sa.update(self.model)
            .where(*self._open(owner_id), self.model.engine_task_id.not_in(keep))
            .values(state=self.cancelled)
            .execution_options(synchronize_session=False)
        )

    def _open(self, owner_id: int) -> tuple[Any, Any]:
        return getattr(self.model, self.owner) == owner_id, self.model.state == self.open


TASKS = Inbox(WorkflowTask, "request_id", TaskState.OPEN, TaskState.CANCELLED)


def keep_process(row: Any, workflow: Any, waiting: list[Waiting], now: datetime) -> None:
    """Save the process state on its row, and whether the server has a step of it to run."""
    row.waits_on_server = any(w.service for w in waiting)
    row.workflow = engine.dump(workflow)
    row.updated_at = now


async def sync(
    session: AsyncSession, request: WorkflowRequest, workflow: Any, now: datetime
) -> None:
    """Save the process state; open a task for each new wait, close those gone; set state."""
    assert request.id is not None
    waiting = engine.waiting(workflow)
    people = [w for w in waiting if w.assignee is not None]
    outcome = engine.outcome(workflow)
    if outcome is not None:
        state = RequestState(outcome)
    elif any(w.kind is TaskKind.APPROVAL for w in people):
        state = RequestState.PENDING_APPROVAL
    else:
        state = RequestState.APPROVED
    if state is not request.state:
        request.state = state
        event(session, request, SERVER, EventAction.STATE_CHANGED, _STATE_SAID[state])
    for wait in await TASKS.keep(session, request.id, people, lambda w: _task(request, w, now)):
        said = f"Waiting for: {wait.title} ({wait.assignee})."
        event(session, request, SERVER, EventAction.WAITING, said)
    keep_process(request, workflow, waiting, now)
    await announce(session, request.id)


def _task(request: WorkflowRequest, wait: Waiting, now: datetime) -> WorkflowTask:
    assert wait.assignee and wait.kind and wait.due
    return WorkflowTask(
        request_id=request.id,  # type: ignore[arg-type]
        engine_task_id=wait.id,
        name=wait.name,
        title=wait.title[:200],
        assignee=wait.assignee,
        kind=wait.kind,
        state=TaskState.OPEN,
        due_at=now + wait.due,
    )


_STATE_SAID = {
    RequestState.PENDING_APPROVAL: "Waiting for approval.",
    RequestState.APPROVED: "Approved; the insurer registers it.",
    RequestState.REJECTED: "Rejected.",
    RequestState.COMPLETED: "Completed.",
    RequestState.SUBMITTED: "Submitted.",
    RequestState.CANCELLED: "Cancelled.",
    RequestState.FAILED: "Failed.",
}


async def last_decider(session: AsyncSession, request_id: int, decision: Decision) -> str | None:
    """Who last decided `decision` on an approval of the request in an inbox, if anyone."""
    return await session.scalar(
        sa.select(col(WorkflowTask.completed_by))
        .where(
            col(WorkflowTask.request_id) == request_id,
            col(WorkflowTask.kind) == TaskKind.APPROVAL,
            col(WorkflowTask.state) == TaskState.COMPLETED,
            col(WorkflowTask.decision) == decision,
        )
        .order_by(col(WorkflowTask.completed_at).desc(), col(WorkflowTask.id).desc())
        .limit(1)
    )


def fail(session: AsyncSession, request: WorkflowRequest, message: str) -> None:
    """End the request FAILED, saying why in its timeline."""
    request.state = RequestState.FAILED
    request.waits_on_server = False
    request.updated_at = utcnow()
    event(session, request, SERVER, EventAction.FAILED, message)


def event(
    session: AsyncSession,
    request: WorkflowRequest,
    actor: str,
    action: EventAction,
    message: str,
) -> WorkflowEvent:
    """Add a line to the request's timeline."""
    line = WorkflowEvent(
        request_id=request.id,  # type: ignore[arg-type]
        actor=actor,
        action=action,
        state=request.state,
        message=message[:MAX_MESSAGE],
    )
    session.add(line)
    return line
