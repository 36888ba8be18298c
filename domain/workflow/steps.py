"""The server's steps of a request, which a background worker runs (see api.jobs).

Each is done in a transaction of its own that the caller commits: registering an approved
request (as its sender, within the reach they had when they sent it, with whoever approved it
recorded), telling the employee, escalating what is overdue.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor, RowScope
from domain.core.changes import Action, changing
from domain.core.columns import utcnow
from domain.core.errors import DomainError, ErrorCode
from domain.policies import reversal
from domain.policies.limits import PolicyLimits
from domain.workflow import engine, kinds, progress, ratification, scripts
from domain.workflow.engine import ProcessError, ServiceOperation
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
from domain.workflow.progress import SERVER


class Runner(Protocol):
    """Where a request's server steps, and premium runs, go once the change that made them
    due has committed."""

    async def kick(self, request_id: int) -> None: ...

    async def run_premiums(self, run_id: int) -> None:
        """Work a premium run (domain.premiums.runs) in the background."""

    async def kick_file(self, file_id: int) -> None:
        """Apply a large enrolment file RECEIVED in the background (domain.intake.background)."""

    async def begin_campaign(self, run_id: int) -> None:
        """Find a campaign run's audience and ask its clients (domain.campaigns.runs)."""

    async def merge_letters(self, part_id: int) -> None:
        """Make the letters of a client that opted in (domain.campaigns.merging)."""


async def server_step(session: AsyncSession, request_id: int, limits: PolicyLimits) -> bool:
    """Do the next server step of a request (register it, tell the employee), if one is due.

    Returns whether another is due after it. Run it in a transaction of its own and commit.
    """
    await progress.writing(session)
    request = await progress.locked(session, request_id)
    if not request.waits_on_server:
        return False
    if request.state in FINAL_STATES:
        request.waits_on_server = False
        return False
    workflow = engine.load(request.workflow)
    step = next((w for w in engine.waiting(workflow) if w.service), None)
    if step is None:
        request.waits_on_server = False
        return False
    try:
        result = await _do(session, request, limits, step.service)
        await scripts.bounded(engine.complete, workflow, step.id, {f"{step.name}_result": result})
    except DomainError as error:
        reasons = "; ".join(p.message for p in error.problems)
        what = "undo" if step.service is ServiceOperation.REVERSE else "register"
        return await _stop(session, request, f"The insurer could not {what} it: {reasons}")
    except ProcessError as error:
        return await _stop(session, request, f"The process stopped: {error}")
    await progress.sync(session, request, workflow, utcnow())
    return request.waits_on_server


async def _do(
    session: AsyncSession,
    request: WorkflowRequest,
    limits: PolicyLimits,
    operation: ServiceOperation | None,
) -> dict[str, Any]:
    """Do one server step of the request; the result goes into the process data."""
    if operation in (ServiceOperation.REGISTER, ServiceOperation.REGISTER_PROVISIONALLY):
        keep = operation is ServiceOperation.REGISTER_PROVISIONALLY
        return await _register(session, request, limits, provisionally=keep)
    if operation is ServiceOperation.CONFIRM:
        return await ratification.confirm(session, request)
    if operation is ServiceOperation.REVERSE:
        return await ratification.reverse(session, request, await requester(session, request))
    return _notify(session, request)


async def _stop(session: AsyncSession, request: WorkflowRequest, message: str) -> bool:
    progress.fail(session, request, message)
    await announce(session, request.id)  # type: ignore[arg-type]
    return False


async def requester(session: AsyncSession, request: WorkflowRequest) -> Actor:
    """The request's sender, within the reach they had when they sent it, and its approver.

    The approver is whoever last approved it in an inbox; `groupcover` when nobody had to
    (the decision table approved it, or the sender's own channel needs no approval). A
    request sent before the sender's reach was kept reaches nothing, never everything.
    """
    scope = replace(RowScope.from_json(request.requester_scope), subject=request.submitted_by)
    approver = await progress.last_decider(session, request.id, Decision.APPROVE)  # type: ignore[arg-type]
    return Actor(request.submitted_by, scope, decided_by=approver or SERVER)


async def _register(
    session: AsyncSession, request: WorkflowRequest, limits: PolicyLimits, *, provisionally: bool
) -> dict[str, Any]:
    """Register the request through the policies services, as its sender would.

    `provisionally`: it is ratified afterwards, so what it changes is written down to be
    undone exactly if that is refused (domain.workflow.ratification).
    """
    if request.requester_scope is None:
        raise DomainError.of(
            "id",
            ErrorCode.NOT_ALLOWED,
            "It was sent before the sender's reach was kept; send it again.",
        )
    actor = await requester(session, request)
    async with changing(
        session,
        actor,
        Action.WORKFLOW_REQUEST_REGISTER,
        WorkflowRequest,
        request.id,
        marks_changed=False,
    ):
        savepoint = await session.begin_nested()
        try:
            async with reversal.recording(session) as seen:
                result = await kinds.register(
                    session, actor=actor, limits=limits, type_=request.type, details=request.details
                )
        except BaseException:
            await savepoint.rollback()
            raise
        await savepoint.commit()
        if request.policy_id is None and result.get("policyId"):
            request.policy_id = result["policyId"]
        request.result = {**(request.result or {}), **result}
        said = "Registered at the insurer."
        if provisionally and request.policy_id is not None:
            reversal.keep(session, seen, request_id=request.id, policy_id=request.policy_id)  # type: ignore[arg-type]
            said = "Registered at the insurer at once; the group's manager ratifies it."
        progress.event(session, request, SERVER, EventAction.REGISTERED, said)
    return result


def _notify(session: AsyncSession, request: WorkflowRequest) -> dict[str, Any]:
    """Tell the employee: they hear of it through their requests and subscriptions."""
    outcome = "rejected" if request.state is RequestState.REJECTED else "done"
    if (request.result or {}).get("reversed"):
        outcome = "not ratified and undone"
    said = f"The employee was told the request is {outcome}."
    progress.event(session, request, SERVER, EventAction.NOTIFIED, said)
    return {"notified": True}


async def escalate_overdue(session: AsyncSession, now: datetime | None = None) -> int:
    """Hand every overdue open task to the back office as well; returns how many."""
    await progress.writing(session)
    now = now or utcnow()
    overdue = (
        await session.scalars(
            sa.select(WorkflowTask)
            .where(
                col(WorkflowTask.state) == TaskState.OPEN,
                col(WorkflowTask.escalated_at).is_(None),
                col(WorkflowTask.due_at) < now,
            )
            .order_by(col(WorkflowTask.id))
        )
    ).all()
    for task in overdue:
        task.escalated_at = now
        request = await session.get_one(WorkflowRequest, task.request_id)
        said = (
            f"{task.title} was due {task.due_at:%Y-%m-%d %H:%M} UTC; escalated to the back office."
        )
        progress.event(session, request, SERVER, EventAction.ESCALATED, said)
        await announce(session, request.id)  # type: ignore[arg-type]
    return len(overdue)


async def waiting_on_server(session: AsyncSession) -> list[int]:
    """Requests with a server step due: what a restarted worker picks up again."""
    return list(
        (
            await session.scalars(
                sa.select(sa.cast(col(WorkflowRequest.id), sa.Integer))
                .where(col(WorkflowRequest.waits_on_server))
                .order_by(col(WorkflowRequest.id))
            )
        ).all()
    )
