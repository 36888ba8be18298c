"""Approval after the fact: the server's steps after a request registered at once.

Under the `after_the_fact` process flow, an employee's enrolment, dependant removal or data
change is registered before anyone approves it, and what the registration changed is written
down (domain.policies.reversal). The group's manager then ratifies it: kept, the record is
forgotten; refused, the registration is undone exactly, as its sender within the reach they
had, with the manager who refused recorded as `decided_by`, and the employee is told.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.errors import DomainError, ErrorCode
from domain.policies import reversal
from domain.workflow import progress
from domain.workflow.engine import TaskKind
from domain.workflow.models import (
    Decision,
    EventAction,
    TaskState,
    WorkflowRequest,
    WorkflowTask,
)
from domain.workflow.progress import SERVER


async def confirm(session: AsyncSession, request: WorkflowRequest) -> dict[str, Any]:
    """The group's manager ratified it: the registration stays; forget what it changed."""
    await reversal.forget(session, request.id)  # type: ignore[arg-type]
    return {"ratified": True}


async def reverse(session: AsyncSession, request: WorkflowRequest, sender: Actor) -> dict[str, Any]:
    """The group's manager refused it: undo the registration exactly, as its `sender`."""
    if request.policy_id is None:
        raise DomainError.of("id", ErrorCode.NOT_FOUND, "Nothing was registered to undo.")
    actor = replace(sender, decided_by=await _refuser(session, request))
    policy_id = request.policy_id
    if request.details.get("enrolment"):
        request.policy_id = None  # the policy it enrolled goes
        await session.flush()
    gone = await reversal.reverse(
        session,
        actor=actor,
        request_id=request.id,  # type: ignore[arg-type]
        policy_id=policy_id,
    )
    request.result = {**(request.result or {}), "reversed": True}
    if gone:
        request.result = {k: v for k, v in request.result.items() if k != "policyId"}
    said = f"Not ratified by {actor.decided_by}: what was registered is undone."
    progress.event(session, request, SERVER, EventAction.REVERSED, said)
    return {"reversed": True}


async def _refuser(session: AsyncSession, request: WorkflowRequest) -> str:
    """Who refused to ratify the request (the last to reject it in an inbox)."""
    found = await session.scalar(
        sa.select(col(WorkflowTask.completed_by))
        .where(
            col(WorkflowTask.request_id) == request.id,
            col(WorkflowTask.kind) == TaskKind.APPROVAL,
            col(WorkflowTask.state) == TaskState.COMPLETED,
            col(WorkflowTask.decision) == Decision.REJECT,
        )
        .order_by(col(WorkflowTask.completed_at).desc(), col(WorkflowTask.id).desc())
        .limit(1)
    )
    return found or SERVER
