"""Requests through their process: submit, decide, cancel, and the server's own steps.

Each function is one step, done in the caller's transaction: the request's process state,
its inbox tasks and its timeline are saved together with whatever the step changed (a
policy registered, say), so a process killed between two steps loses nothing and does
nothing twice. The request row is locked for the step, so two steps of one request never
overlap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor, RowScope
from authz.principal import Role
from domain.audit.service import record, snapshot
from domain.core.columns import utcnow
from domain.core.errors import DomainError, ErrorCode, Problem, raise_if
from domain.policies.limits import PolicyLimits
from domain.settings.chains import chains_for
from domain.settings.effective import choose
from domain.settings.models import SettingKind, SettingLevel
from domain.workflow import engine, kinds
from domain.workflow import reach as access
from domain.workflow.engine import ProcessError, TaskKind
from domain.workflow.events import announce
from domain.workflow.models import (
    FINAL_STATES,
    Channel,
    Decision,
    ProcessDefinition,
    RequestState,
    RequestType,
    TaskState,
    WorkflowEvent,
    WorkflowRequest,
    WorkflowTask,
)

MAX_KEY = 200
MAX_COMMENT = 2000
MAX_TASK_DATA = 10_000
SERVER = "groupcover"
"""The actor of the server's own steps in timelines."""
_AUDIT_OMIT = frozenset({"workflow", "details"})  # the process state; personal data


@dataclass(frozen=True)
class Submission:
    """A request as its sender gives it; `details` as JSON (see domain.workflow.kinds)."""

    type: RequestType
    channel: Channel
    details: Mapping[str, Any]
    idempotency_key: str | None = None


# --- Submitting -----------------------------------------------------------------------


async def submit(
    session: AsyncSession,
    *,
    actor: Actor,
    roles: frozenset[Role],
    limits: PolicyLimits,
    submission: Submission,
) -> WorkflowRequest:
    """Check a request, start its process and run it to its first wait.

    A retry with the same idempotency key returns the first request and does nothing.
    """
    await _writing(session)
    details = dict(submission.details)
    key = submission.idempotency_key
    if key is not None:
        again = await _by_key(session, actor.subject, key)
        if again is not None:
            if (again.type, again.channel, again.details) != (
                submission.type,
                submission.channel,
                engine.jsonable(details),
            ):
                raise DomainError.of(
                    "idempotencyKey",
                    ErrorCode.DUPLICATE,
                    "This idempotency key was used for a different request.",
                )
            return again
    problems: list[Problem] = []
    if key is not None and not 0 < len(key) <= MAX_KEY:
        problems.append(
            Problem(("idempotencyKey",), ErrorCode.TOO_LONG, f"1 to {MAX_KEY} characters.")
        )
    if not roles & kinds.CHANNEL_ROLES[submission.channel]:
        problems.append(
            Problem(
                ("channel",),
                ErrorCode.NOT_ALLOWED,
                f"You cannot send requests on the {submission.channel} channel.",
            )
        )
    raise_if(problems)
    kinds.check_shape(submission.type, submission.channel, details)
    anchor = await kinds.anchor(session, actor, submission.type, details)
    await kinds.check_references(session, submission.type, details)
    if submission.type in kinds.AUTOMATIC:
        await _try_out(session, limits, submission.type, details, anchor)
    definition = await _process_for(session, anchor, actor.subject)
    request = WorkflowRequest(
        type=submission.type,
        channel=submission.channel,
        state=RequestState.SUBMITTED,
        submitted_by=actor.subject,
        idempotency_key=key,
        process_definition_id=definition.id,  # type: ignore[arg-type]
        group_account_id=anchor.group_account_id,
        policy_id=anchor.policy_id,
        person_id=anchor.person_id,
        line_of_business_id=anchor.line_of_business_id,
        data_access_group_id=anchor.data_access_group_id,
        details=engine.jsonable(details),
        workflow="",
    )
    session.add(request)
    await session.flush()
    now = utcnow()
    _event(
        session, request, actor.subject, "SUBMITTED", f"Submitted on the {request.channel} channel."
    )
    try:
        workflow = engine.start(
            engine.definition_of(definition.bpmn, definition.dmn),
            _process_data(request, limits.today()),
        )
    except ProcessError as error:
        _fail(session, request, f"The process stopped: {error}")
        request.workflow = "{}"
    else:
        await _sync(session, request, workflow, now)
    await record(
        session,
        actor=actor.subject,
        action="workflowRequestSubmit",
        entity=request,
        before=None,
        omit=_AUDIT_OMIT,
    )
    return request


async def _by_key(session: AsyncSession, subject: str, key: str) -> WorkflowRequest | None:
    return await session.scalar(
        sa.select(WorkflowRequest).where(
            col(WorkflowRequest.submitted_by) == subject,
            col(WorkflowRequest.idempotency_key) == key,
        )
    )


async def _try_out(
    session: AsyncSession,
    limits: PolicyLimits,
    type_: RequestType,
    details: Mapping[str, Any],
    anchor: kinds.Anchor,
) -> None:
    """Register the request as it would be, then undo it: its errors are the sender's."""
    savepoint = await session.begin_nested()
    try:
        await kinds.register(
            session,
            subject=SERVER,
            limits=limits,
            type_=type_,
            details=details,
            request_anchor=anchor,
        )
    finally:
        await savepoint.rollback()


def _process_data(request: WorkflowRequest, today: date) -> dict[str, Any]:
    """What the process and its decision tables see: never the personal details."""
    event_date = request.details.get("event_date")
    return {
        "request_id": request.id,
        "type": request.type.value,
        "channel": request.channel.value,
        "life_event": request.details.get("life_event"),
        "days_since_event": (today - date.fromisoformat(event_date)).days if event_date else None,
        # What applies when no rule of the decision table does: the strictest route.
        "approval": "MANAGER",
        "registration": "BACK_OFFICE",
    }


async def _process_for(
    session: AsyncSession, anchor: kinds.Anchor, subject: str
) -> ProcessDefinition:
    """The newest version of the effective `process flow` (policy, then group client)."""
    key = engine.DEFAULT_PROCESS
    level, owner = (
        (SettingLevel.POLICY, anchor.policy_id)
        if anchor.policy_id is not None
        else (SettingLevel.GROUP_ACCOUNT, anchor.group_account_id)
    )
    if owner is not None:
        chain = (await chains_for(session, level, [owner], date.today()))[owner]
        chosen = choose(chain, date.today()).single.get(SettingKind.PROCESS_FLOW)
        if chosen is not None and chosen.setting.value_text:
            key = chosen.setting.value_text
    found = await latest(session, key)
    if found is None and key == engine.DEFAULT_PROCESS:
        bpmn, dmn = engine.shipped()
        found = await deploy(session, subject=SERVER, bpmn=bpmn, dmn=dmn)
    if found is None:
        raise DomainError.of(
            "type",
            ErrorCode.NOT_FOUND,
            f"The process flow `{key}` set for this group is not deployed; ask the insurer.",
        )
    return found


# --- Process definitions --------------------------------------------------------------


async def latest(session: AsyncSession, key: str) -> ProcessDefinition | None:
    """The newest deployed version of a process."""
    return await session.scalar(
        sa.select(ProcessDefinition)
        .where(col(ProcessDefinition.key) == key)
        .order_by(col(ProcessDefinition.version).desc())
        .limit(1)
    )


async def deploy(
    session: AsyncSession, *, subject: str, bpmn: str, dmn: Sequence[str]
) -> ProcessDefinition:
    """Check a process file and its decision tables; keep it as the next version of its key.

    Requests in flight keep the version they started on.
    """
    try:
        parsed = engine.parse(bpmn, list(dmn))
        # A process that cannot even start is refused too.
        engine.start(
            parsed,
            {
                "type": "CERTIFICATE",
                "channel": "BACK_OFFICE",
                "life_event": None,
                "days_since_event": None,
                "approval": "MANAGER",
                "registration": "BACK_OFFICE",
                "request_id": 0,
            },
        )
    except ProcessError as error:
        raise DomainError.of("bpmn", ErrorCode.INVALID_FORMAT, str(error)) from error
    current = await latest(session, parsed.key)
    definition = ProcessDefinition(
        key=parsed.key,
        version=(current.version + 1) if current else 1,
        name=parsed.name[:200],
        bpmn=bpmn,
        dmn=list(dmn),
        deployed_by=subject,
    )
    session.add(definition)
    await session.flush()
    await record(
        session,
        actor=subject,
        action="processDefinitionDeploy",
        entity=definition,
        before=None,
        omit=frozenset({"bpmn", "dmn"}),
    )
    return definition


# --- People's steps -------------------------------------------------------------------


@dataclass(frozen=True)
class TaskDecision:
    task_id: int
    decision: Decision | None
    comment: str | None
    data: Mapping[str, Any] | None


async def complete_task(
    session: AsyncSession,
    *,
    subject: str,
    manager: RowScope,
    back_office: RowScope,
    given: TaskDecision,
) -> WorkflowRequest:
    """Decide on an approval or finish a fulfilment; exactly one of two racing calls wins."""
    await _writing(session)
    task = await session.scalar(
        sa.select(WorkflowTask)
        .join(WorkflowRequest, col(WorkflowRequest.id) == col(WorkflowTask.request_id))
        .where(col(WorkflowTask.id) == given.task_id, access.actionable(manager, back_office))
    )
    if task is None:
        raise DomainError.of("id", ErrorCode.NOT_FOUND, "No such task in your inbox.")
    request = await _locked(session, task.request_id)
    problems: list[Problem] = []
    if task.state is not TaskState.OPEN:
        raise DomainError.of("id", ErrorCode.WRONG_STATUS, _closed(task))
    if request.submitted_by == subject:
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
    data = dict(given.data or {})
    if len(engine.jsonable(data).__repr__()) > MAX_TASK_DATA:
        problems.append(
            Problem(("data",), ErrorCode.TOO_LONG, f"At most {MAX_TASK_DATA} characters of data.")
        )
    raise_if(problems)
    now = utcnow()
    decision = given.decision or Decision.APPROVE
    # Only one caller turns an OPEN task COMPLETED; on PostgreSQL the second waits for the
    # first to commit, then finds the task closed.
    done = await session.execute(
        sa.update(WorkflowTask)
        .where(col(WorkflowTask.id) == task.id, col(WorkflowTask.state) == TaskState.OPEN)
        .values(
            state=TaskState.COMPLETED,
            completed_by=subject,
            completed_at=now,
            decision=decision,
            comment=given.comment,
        )
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        await session.refresh(task)
        raise DomainError.of("id", ErrorCode.WRONG_STATUS, _closed(task))
    await session.refresh(task)
    verb = {
        (TaskKind.APPROVAL, Decision.APPROVE): "APPROVED",
        (TaskKind.APPROVAL, Decision.REJECT): "REJECTED",
    }.get((task.kind, decision), "FULFILLED")
    said = f": {given.comment}" if given.comment else "."
    decided = _event(
        session, request, subject, verb, f"{task.title}: {verb.lower()} by {subject}{said}"
    )
    if task.kind is TaskKind.FULFILMENT and data:
        request.result = {**(request.result or {}), **engine.jsonable(data)}
    workflow = engine.load(request.workflow)
    try:
        engine.complete(
            workflow,
            task.engine_task_id,
            {"decision": decision.value, f"{task.name}_data": engine.jsonable(data)},
        )
    except ProcessError as error:
        _fail(session, request, f"The process stopped: {error}")
    else:
        await _sync(session, request, workflow, now)
    decided.state = request.state
    await record(session, actor=subject, action="workflowTaskComplete", entity=task, before=None)
    return request


def _closed(task: WorkflowTask) -> str:
    if task.state is TaskState.COMPLETED:
        return f"Already decided by {task.completed_by} at {task.completed_at:%Y-%m-%d %H:%M} UTC."
    return "The request ended; this task is closed."


async def cancel(
    session: AsyncSession,
    *,
    subject: str,
    scope: RowScope,
    may_cancel_any: bool,
    request_id: int,
    reason: str | None,
) -> WorkflowRequest:
    """Withdraw a request that has not ended: its sender, or the back office, may."""
    await _writing(session)
    visible = await session.scalar(
        sa.select(col(WorkflowRequest.id)).where(
            col(WorkflowRequest.id) == request_id, access.requests(scope)
        )
    )
    if visible is None:
        raise DomainError.of("id", ErrorCode.NOT_FOUND, "No such request.")
    request = await _locked(session, request_id)
    if request.submitted_by != subject and not may_cancel_any:
        raise DomainError.of(
            "id", ErrorCode.NOT_ALLOWED, "Only its sender or the insurer may cancel a request."
        )
    if request.state in FINAL_STATES:
        raise DomainError.of(
            "id", ErrorCode.WRONG_STATUS, f"The request is {request.state}; it cannot be cancelled."
        )
    if reason is not None and len(reason) > MAX_COMMENT:
        raise DomainError.of("reason", ErrorCode.TOO_LONG, f"At most {MAX_COMMENT} characters.")
    before = snapshot(request, omit=_AUDIT_OMIT)
    workflow = engine.load(request.workflow)
    workflow.cancel()
    request.state = RequestState.CANCELLED
    request.waits_on_server = False
    request.workflow = engine.dump(workflow)
    request.updated_at = utcnow()
    await _close_tasks(session, request.id, [])  # type: ignore[arg-type]
    _event(
        session,
        request,
        subject,
        "CANCELLED",
        f"Cancelled by {subject}" + (f": {reason}" if reason else "."),
    )
    await announce(session, request.id)  # type: ignore[arg-type]
    await record(
        session,
        actor=subject,
        action="workflowRequestCancel",
        entity=request,
        before=before,
        omit=_AUDIT_OMIT,
    )
    return request


# --- The server's steps ---------------------------------------------------------------


async def server_step(session: AsyncSession, request_id: int, limits: PolicyLimits) -> bool:
    """Do the next server step of a request (register it, tell the employee), if one is due.

    Returns whether another is due after it. Run it in a transaction of its own and commit.
    """
    await _writing(session)
    request = await _locked(session, request_id)
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
    now = utcnow()
    try:
        result = await _serve(session, request, step.service or "", limits)
    except DomainError as error:
        reasons = "; ".join(p.message for p in error.problems)
        _fail(session, request, f"The insurer could not register it: {reasons}")
        await announce(session, request.id)  # type: ignore[arg-type]
        return False
    try:
        engine.complete(workflow, step.id, {f"{step.name}_result": result})
    except ProcessError as error:
        _fail(session, request, f"The process stopped: {error}")
        await announce(session, request.id)  # type: ignore[arg-type]
        return False
    await _sync(session, request, workflow, now)
    return request.waits_on_server


async def _serve(
    session: AsyncSession, request: WorkflowRequest, operation: str, limits: PolicyLimits
) -> dict[str, Any]:
    if operation == "register":
        savepoint = await session.begin_nested()
        try:
            result = await kinds.register(
                session,
                subject=f"workflow:{request.id}",
                limits=limits,
                type_=request.type,
                details=request.details,
                request_anchor=kinds.Anchor(
                    request.group_account_id,
                    request.policy_id,
                    request.person_id,
                    request.line_of_business_id,
                    request.data_access_group_id,
                ),
            )
        except BaseException:
            await savepoint.rollback()
            raise
        await savepoint.commit()
        if request.policy_id is None and result.get("policyId"):
            request.policy_id = result["policyId"]
        request.result = {**(request.result or {}), **result}
        _event(session, request, SERVER, "REGISTERED", "Registered at the insurer.")
        return result
    # notify: the employee hears of it through their requests and subscriptions.
    outcome = "rejected" if request.state is RequestState.REJECTED else "done"
    _event(session, request, SERVER, "NOTIFIED", f"The employee was told the request is {outcome}.")
    return {"notified": True}


async def escalate_overdue(session: AsyncSession, now: datetime | None = None) -> int:
    """Hand every overdue open task to the back office as well; returns how many."""
    await _writing(session)
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
        _event(
            session,
            request,
            SERVER,
            "ESCALATED",
            f"{task.title} was due {task.due_at:%Y-%m-%d %H:%M} UTC; escalated to the back office.",
        )
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


# --- Keeping rows in step with the process --------------------------------------------


async def _writing(session: AsyncSession) -> None:
    """On SQLite, take the database's write lock before reading anything.

    SQLite has one writer at a time. Two transactions that both read, then both write,
    deadlock, and one fails with "database is locked"; a transaction that asks for the
    write lock first simply waits its turn. (PostgreSQL locks the request row instead.)
    """
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(sa.text("UPDATE workflow_request SET id = id WHERE id = -1"))


async def _locked(session: AsyncSession, request_id: int) -> WorkflowRequest:
    # Re-reading the row overwrites what this session holds of it: write that out first.
    await session.flush()
    request = await session.scalar(
        sa.select(WorkflowRequest)
        .where(col(WorkflowRequest.id) == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if request is None:
        raise DomainError.of("id", ErrorCode.NOT_FOUND, "No such request.")
    return request


async def _sync(
    session: AsyncSession, request: WorkflowRequest, workflow: Any, now: datetime
) -> None:
    """Save the process state; open a task for each new wait, close those gone; set state."""
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
        _event(session, request, SERVER, "STATE_CHANGED", _STATE_SAID[state])
    open_ids = set(
        (
            await session.scalars(
                sa.select(col(WorkflowTask.engine_task_id)).where(
                    col(WorkflowTask.request_id) == request.id,
                    col(WorkflowTask.state) == TaskState.OPEN,
                )
            )
        ).all()
    )
    for wait in people:
        if wait.id in open_ids:
            continue
        assert wait.assignee and wait.kind and wait.due
        session.add(
            WorkflowTask(
                request_id=request.id,  # type: ignore[arg-type]
                engine_task_id=wait.id,
                name=wait.name,
                title=wait.title[:200],
                assignee=wait.assignee,
                kind=wait.kind,
                state=TaskState.OPEN,
                due_at=now + wait.due,
            )
        )
        _event(session, request, SERVER, "WAITING", f"Waiting for: {wait.title} ({wait.assignee}).")
    await _close_tasks(session, request.id, [w.id for w in people])  # type: ignore[arg-type]
    request.waits_on_server = any(w.service for w in waiting)
    request.workflow = engine.dump(workflow)
    request.updated_at = now
    await announce(session, request.id)  # type: ignore[arg-type]


_STATE_SAID = {
    RequestState.PENDING_APPROVAL: "Waiting for approval.",
    RequestState.APPROVED: "Approved; the insurer registers it.",
    RequestState.REJECTED: "Rejected.",
    RequestState.COMPLETED: "Completed.",
    RequestState.SUBMITTED: "Submitted.",
    RequestState.CANCELLED: "Cancelled.",
    RequestState.FAILED: "Failed.",
}


async def _close_tasks(session: AsyncSession, request_id: int, keep: list[str]) -> None:
    await session.execute(
        sa.update(WorkflowTask)
        .where(
            col(WorkflowTask.request_id) == request_id,
            col(WorkflowTask.state) == TaskState.OPEN,
            col(WorkflowTask.engine_task_id).not_in(keep),
        )
        .values(state=TaskState.CANCELLED)
        .execution_options(synchronize_session=False)
    )


def _fail(session: AsyncSession, request: WorkflowRequest, message: str) -> None:
    request.state = RequestState.FAILED
    request.waits_on_server = False
    request.updated_at = utcnow()
    _event(session, request, SERVER, "FAILED", message[:2000])


def _event(
    session: AsyncSession, request: WorkflowRequest, actor: str, action: str, message: str
) -> WorkflowEvent:
    event = WorkflowEvent(
        request_id=request.id,  # type: ignore[arg-type]
        actor=actor,
        action=action,
        state=request.state,
        message=message[:2000],
    )
    session.add(event)
    return event
