"""Queries of workflow requests, the caller's inbox and the deployed process flows."""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa
import strawberry
from sqlmodel import col

from authz.access import WORKFLOW_ACT, WORKFLOW_DEPLOY, WORKFLOW_READ
from domain.core.columns import utcnow
from domain.workflow import queries
from domain.workflow.models import ProcessDefinition as ProcessDefinitionRow
from schema.core.asked import asks_path
from schema.core.context import Info
from schema.core.permissions import guarded
from schema.core.relay import window
from schema.workflow.dataloaders import REQUEST_COLUMNS
from schema.workflow.inputs import WorkflowRequestFilter, WorkflowTaskFilter
from schema.workflow.types import (
    ProcessDefinition,
    WorkflowRequest,
    WorkflowRequestConnection,
    WorkflowTask,
    WorkflowTaskConnection,
)

TOTAL_COUNT = ("totalCount",)


@strawberry.type
class WorkflowQuery:
    @strawberry.field(
        **guarded(
            WORKFLOW_READ,
            "Requests you sent or may see, oldest first, at most 100 a page. A group manager "
            "sees the requests of their groups, but none about someone's health.",
        )
    )
    async def workflow_requests(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: WorkflowRequestFilter | None = None,
    ) -> WorkflowRequestConnection | None:
        session, access = info.context.session, info.context.access
        given = queries.RequestFilter(
            state=filter.state if filter else None, type=filter.type if filter else None
        )
        scope = access.scope(WORKFLOW_READ)
        page = await queries.list_requests(
            session,
            scope=scope,
            subject=access.subject,
            given=given,
            window=replace(window(info, first, after), columns=REQUEST_COLUMNS),
        )
        return WorkflowRequestConnection.of(
            page,
            WorkflowRequest.from_model,
            lambda: queries.count_requests(
                session, scope=scope, subject=access.subject, given=given
            ),
            after=after is not None,
        )

    @strawberry.field(
        **guarded(
            WORKFLOW_ACT,
            "Your inbox: the tasks you may act on, oldest first, at most 100 a page. A group "
            "manager gets the approvals of their groups; the back office its own tasks and "
            "every overdue one; a vendor the back-office tasks of its request types about its "
            "group clients (of its task kinds).",
        )
    )
    async def workflow_tasks(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: WorkflowTaskFilter | None = None,
    ) -> WorkflowTaskConnection | None:
        session = info.context.session
        manager, back_office = info.context.access.inbox()
        filter = filter or WorkflowTaskFilter()
        given = queries.TaskFilter(state=filter.state, type=filter.type, overdue=filter.overdue)
        now = utcnow()
        page = await queries.list_tasks(
            session,
            manager=manager,
            back_office=back_office,
            given=given,
            window=window(info, first, after),
            now=now,
            counted=asks_path(info, TOTAL_COUNT),
        )

        async def total() -> int:
            if page.total is not None:
                return page.total
            return await queries.count_tasks(
                session, manager=manager, back_office=back_office, given=given, now=now
            )

        return WorkflowTaskConnection.of(
            page, WorkflowTask.from_model, total, after=after is not None
        )

    @strawberry.field(
        **guarded(WORKFLOW_DEPLOY, "Every deployed version of every process flow, newest first.")
    )
    async def process_definitions(self, info: Info) -> list[ProcessDefinition] | None:
        rows = await info.context.session.scalars(
            sa.select(ProcessDefinitionRow).order_by(
                col(ProcessDefinitionRow.key), col(ProcessDefinitionRow.version).desc()
            )
        )
        return [ProcessDefinition.from_model(row) for row in rows.all()]
