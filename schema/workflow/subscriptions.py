"""Following a request as it changes, over graphql-transport-ws."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError

from authz.access import WORKFLOW_READ
from domain.workflow.events import changes
from domain.workflow.models import FINAL_STATES
from schema.core.context import Info
from schema.core.permissions import guarded
from schema.core.relay import decode_id
from schema.workflow.types import WorkflowRequest


@strawberry.type
class WorkflowSubscription:
    @strawberry.subscription(
        **guarded(
            WORKFLOW_READ,
            "The request now, then again after each change (a step, a decision, an "
            "escalation), from whichever server process made it; ends when it ends.",
        )
    )
    async def workflow_request_updated(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[WorkflowRequest | None, None]:
        context = info.context
        row_id = decode_id(id, "WorkflowRequest")
        current = await _load(info, row_id)
        if current is None or row_id is None:
            raise GraphQLError("No such request.", extensions={"code": "NOT_FOUND"})
        # Listen first, then read: a change made in between is not missed.
        async with changes(context.listen_url, row_id) as updates:
            await context.session.rollback()
            context.reset_loaders()
            current = await _load(info, row_id)
            while current is not None:
                yield current
                if current.row.state in FINAL_STATES:
                    return
                # Hold no transaction while waiting; the next read sees what was committed.
                await context.session.rollback()
                await anext(updates)
                context.reset_loaders()
                current = await _load(info, row_id)


async def _load(info: Info, row_id: int | None) -> WorkflowRequest | None:
    if row_id is None:
        return None
    row = await info.context.loaders.workflow.request_by_id.load(row_id)
    return WorkflowRequest.from_model(row) if row else None
