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
from domain.workflow.models import (
    Decision,
    EventAction,
    WorkflowRequest,
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
    refuser = await progress.last_decider(session, request.id, Decision.REJECT)  # type: ignore[arg-type]
    actor = replace(sender, decided_by=refuser or SERVER)
    policy_id = request.policy_id
    if request.details.get("enrolment"):
        await _unused_elsewhere(session, request.id, policy_id)  # type: ignore[arg-type]
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


async def _unused_elsewhere(session: AsyncSession, request_id: int, policy_id: int) -> None:
    """Refuse to take away a policy that other requests were sent about meanwhile."""
    other = await session.scalar(
        sa.select(col(WorkflowRequest.id))
        .where(col(WorkflowRequest.policy_id) == policy_id, col(WorkflowRequest.id) != request_id)
        .limit(1)
    )
    if other is not None:
        raise DomainError.of(
            "id",
            ErrorCode.WRONG_STATUS,
            "Other requests were sent about the policy it enrolled; the insurer must end it.",
        )
