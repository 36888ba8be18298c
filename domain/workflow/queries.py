"""Lists of requests and of inbox tasks, as a principal may see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import RowScope
from domain.core.paging import Slice, Window, count, fetch_counted_slice, fetch_slice
from domain.core.reach import visible
from domain.workflow import reach as access
from domain.workflow.models import (
    RequestState,
    RequestType,
    TaskState,
    WorkflowRequest,
    WorkflowTask,
)


@dataclass(frozen=True)
class RequestFilter:
    state: RequestState | None = None
    type: RequestType | None = None


def _requests(scope: RowScope, subject: str, given: RequestFilter) -> sa.Select[Any]:
    stmt = sa.select(WorkflowRequest).where(visible(scope, WorkflowRequest))
    if given.state is not None:
        stmt = stmt.where(col(WorkflowRequest.state) == given.state)
    if given.type is not None:
        stmt = stmt.where(col(WorkflowRequest.type) == given.type)
    return stmt


async def list_requests(
    session: AsyncSession, *, scope: RowScope, subject: str, given: RequestFilter, window: Window
) -> Slice[WorkflowRequest]:
    return await fetch_slice(session, _requests(scope, subject, given), WorkflowRequest, window)


async def count_requests(
    session: AsyncSession, *, scope: RowScope, subject: str, given: RequestFilter
) -> int:
    return await count(session, _requests(scope, subject, given))


@dataclass(frozen=True)
class TaskFilter:
    state: TaskState | None = TaskState.OPEN
    type: RequestType | None = None
    overdue: bool | None = None


def _tasks(manager: RowScope, back_office: RowScope, given: TaskFilter, now: datetime) -> Any:
    stmt = (
        sa.select(WorkflowTask)
        .join(WorkflowRequest, col(WorkflowRequest.id) == col(WorkflowTask.request_id))
        .where(access.actionable(manager, back_office))
    )
    if given.state is not None:
        stmt = stmt.where(col(WorkflowTask.state) == given.state)
    if given.type is not None:
        stmt = stmt.where(col(WorkflowRequest.type) == given.type)
    if given.overdue is not None:
        late = sa.and_(col(WorkflowTask.state) == TaskState.OPEN, col(WorkflowTask.due_at) < now)
        stmt = stmt.where(late if given.overdue else sa.not_(late))
    return stmt


async def list_tasks(
    session: AsyncSession,
    *,
    manager: RowScope,
    back_office: RowScope,
    given: TaskFilter,
    window: Window,
    now: datetime,
    counted: bool = False,
) -> Slice[WorkflowTask]:
    """A window of the tasks the scopes act on, oldest first; `counted`, with how many there
    are in all (the page's `total`, read in the same statement)."""
    tasks = _tasks(manager, back_office, given, now)
    if counted:
        return await fetch_counted_slice(session, tasks, WorkflowTask, window)
    return await fetch_slice(session, tasks, WorkflowTask, window)


async def count_tasks(
    session: AsyncSession,
    *,
    manager: RowScope,
    back_office: RowScope,
    given: TaskFilter,
    now: datetime,
) -> int:
    return await count(session, _tasks(manager, back_office, given, now))
