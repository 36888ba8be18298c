"""Per-request loaders of workflow requests, their tasks and timelines, as the caller sees them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import WORKFLOW_READ, Access
from domain.core.reach import visible
from domain.workflow.models import ProcessDefinition, WorkflowEvent, WorkflowRequest, WorkflowTask
from schema.core.batch import lists_by, rows_by_id


class WorkflowLoaders:
    """A task or a timeline line is visible with its request."""

    def __init__(self, session: AsyncSession, caller: Access) -> None:
        scope = caller.scope(WORKFLOW_READ)
        self.request_by_id = rows_by_id(
            session, WorkflowRequest, where=visible(scope, WorkflowRequest)
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
