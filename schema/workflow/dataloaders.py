"""Per-request loaders of workflow requests, their tasks and timelines, as the caller sees them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import WORKFLOW_READ, Access
from domain.core.paging import table_of
from domain.core.reach import visible
from domain.workflow.models import ProcessDefinition, WorkflowEvent, WorkflowRequest, WorkflowTask
from schema.core.batch import lists_by, rows_by_id

REQUEST_COLUMNS = frozenset(column.key for column in table_of(WorkflowRequest).c) - {
    "workflow",
    "requester_scope",
}
"""What the API reads of a request: not its process state, which no field shows (33 KB a
request on the bench book: its 50 requests were 1.7 MB read, sent and decoded for nothing,
about a sixth of the inbox's CPU), nor the sender's grants."""


class WorkflowLoaders:
    """A task or a timeline line is visible with its request."""

    def __init__(self, session: AsyncSession, caller: Access) -> None:
        scope = caller.scope(WORKFLOW_READ)
        self.request_by_id = rows_by_id(
            session, WorkflowRequest, where=visible(scope, WorkflowRequest), columns=REQUEST_COLUMNS
        )
        self.task_by_id = rows_by_id(
            session,
            WorkflowTask,
            where=visible(scope, WorkflowTask),
        )
        self.tasks_by_request = lists_by(
            session,
            WorkflowTask,
            col(WorkflowTask.request_id),
            where=visible(scope, WorkflowTask),
        )
        self.events_by_request = lists_by(
            session,
            WorkflowEvent,
            col(WorkflowEvent.request_id),
            where=visible(scope, WorkflowEvent),
        )
        self.process_by_id = rows_by_id(session, ProcessDefinition, where=sa.true())
