"""Submitting a request: check it, try its registration out, start its process.

The sender's reach is kept on the request (`requester_scope`): the registration, maybe days
later and by a background step, acts as the sender within that reach (domain.workflow.steps),
and the trial run at submission does too, so that both answer exactly as the direct mutation
would: a row the sender cannot see reads as an unknown id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import NOTHING, Actor
from authz.principal import Role
from domain.core.changes import Action, changing
from domain.core.columns import utcnow
from domain.core.errors import DomainError, ErrorCode, Problem, raise_if
from domain.policies.limits import PolicyLimits
from domain.settings.chains import chains_for
from domain.settings.effective import choose
from domain.settings.models import SettingKind, SettingLevel
from domain.workflow import anchors, costs, definitions, engine, kinds, progress, scripts
from domain.workflow.engine import ProcessError
from domain.workflow.models import (
    Channel,
    EventAction,
    ProcessDefinition,
    RequestState,
    RequestType,
    WorkflowRequest,
)
from domain.workflow.progress import SERVER

MAX_KEY = 200


@dataclass(frozen=True)
class Submission:
    """A request as its sender gives it; `details` as JSON (see domain.workflow.kinds)."""

    type: RequestType
    channel: Channel
    details: Mapping[str, Any]
    idempotency_key: str | None = None


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
    await progress.writing(session)
    details = dict(submission.details)
    again = await _again(session, actor, submission)
    if again is not None:
        return again
    _check_sender(submission, roles)
    today = limits.today()
    kinds.check_shape(submission.type, submission.channel, details)
    anchor = await anchors.anchor(session, actor, submission.type, details, today=today)
    item = await kinds.check_references(
        session, submission.type, details, policy_id=anchor.policy_id, today=today
    )
    cost = costs.of_item(item, details.get("quantity") or 1)
    if submission.type in kinds.AUTOMATIC:
        cost = await _try_out(session, actor, limits, submission, anchor, cost)
    definition = await _process_for(session, anchor, today)
    async with changing(
        session, actor, Action.WORKFLOW_REQUEST_SUBMIT, WorkflowRequest, marks_changed=False
    ) as change:
        request = change.add(_request(actor, submission, anchor, definition))
        await session.flush()
        said = f"Submitted on the {request.channel} channel."
        progress.event(session, request, actor.subject, EventAction.SUBMITTED, said)
        await _start(
            session, request, definition, _process_data(request, definition.key, today, cost)
        )
    return request


async def _again(
    session: AsyncSession, actor: Actor, submission: Submission
) -> WorkflowRequest | None:
    """The request a retry with the same key repeats; a different one under it is refused."""
    key = submission.idempotency_key
    if key is None:
        return None
    again = await session.scalar(
        sa.select(WorkflowRequest).where(
            col(WorkflowRequest.submitted_by) == actor.subject,
            col(WorkflowRequest.idempotency_key) == key,
        )
    )
    if again is None:
        return None
    sent = (submission.type, submission.channel, engine.jsonable(dict(submission.details)))
    if (again.type, again.channel, again.details) != sent:
        raise DomainError.of(
            "idempotencyKey",
            ErrorCode.DUPLICATE,
            "This idempotency key was used for a different request.",
        )
    return again


def _check_sender(submission: Submission, roles: frozenset[Role]) -> None:
    """The key fits, and the sender may speak on the channel."""
    problems: list[Problem] = []
    key = submission.idempotency_key
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


def _request(
    actor: Actor, submission: Submission, anchor: anchors.Anchor, definition: ProcessDefinition
) -> WorkflowRequest:
    return WorkflowRequest(
        type=submission.type,
        channel=submission.channel,
        state=RequestState.SUBMITTED,
        submitted_by=actor.subject,
        requester_scope=actor.scope.to_json(),
        idempotency_key=submission.idempotency_key,
        process_definition_id=definition.id,  # type: ignore[arg-type]
        group_account_id=anchor.group_account_id,
        policy_id=anchor.policy_id,
        person_id=anchor.person_id,
        line_of_business_id=anchor.line_of_business_id,
        data_access_group_id=anchor.data_access_group_id,
        details=engine.jsonable(dict(submission.details)),
        workflow="",
    )


async def _start(
    session: AsyncSession,
    request: WorkflowRequest,
    definition: ProcessDefinition,
    data: dict[str, Any],
) -> None:
    """Start the request's process with `data` and run it to its first wait."""
    try:
        workflow = await scripts.bounded(
            engine.start, engine.definition_of(definition.bpmn, definition.dmn), data
        )
    except ProcessError as error:
        progress.fail(session, request, f"The process stopped: {error}")
        request.workflow = "{}"
    else:
        await progress.sync(session, request, workflow, utcnow())


async def _try_out(
    session: AsyncSession,
    actor: Actor,
    limits: PolicyLimits,
    submission: Submission,
    anchor: anchors.Anchor,
    cost: costs.Cost,
) -> costs.Cost:
    """Register the request as its sender would, then undo it: its errors are the sender's,
    and the premium's change it made is its cost (domain.workflow.costs)."""
    details = dict(submission.details)
    window = costs.window(submission.type, details, limits.today())
    savepoint = await session.begin_nested()
    try:
        before = await costs.premium(session, anchor.policy_id, window)
        result = await kinds.register(
            session, actor=actor, limits=limits, type_=submission.type, details=details
        )
        after = before
        # Pricing a policy takes about 15 statements; a change of address cannot move it.
        if costs.may_change_premium(submission.type, details):
            policy_id = result.get("policyId") or anchor.policy_id
            after = await costs.premium(session, policy_id, window)
        return costs.with_premiums(cost, before, after)
    finally:
        await savepoint.rollback()


def _process_data(
    request: WorkflowRequest, flow: str, today: date, cost: costs.Cost
) -> dict[str, Any]:
    """What the process and its decision tables see: never the personal details; what the
    request costs (domain.workflow.costs)."""
    event_date = request.details.get("event_date")
    return {
        "request_id": request.id,
        "flow": flow,
        "type": request.type.value,
        "channel": request.channel.value,
        "life_event": request.details.get("life_event"),
        "days_since_event": (today - date.fromisoformat(event_date)).days if event_date else None,
        **cost.facts(),
        # What applies when no rule of the decision table does: the strictest route.
        "approval": "MANAGER",
        "registration": "BACK_OFFICE",
    }


async def _process_for(
    session: AsyncSession, anchor: anchors.Anchor, today: date
) -> ProcessDefinition:
    """The newest version of the effective `process flow` (policy, then group client)."""
    key = engine.DEFAULT_PROCESS
    level, owner = (
        (SettingLevel.POLICY, anchor.policy_id)
        if anchor.policy_id is not None
        else (SettingLevel.GROUP_ACCOUNT, anchor.group_account_id)
    )
    if owner is not None:
        chain = (await chains_for(session, level, [owner], today))[owner]
        chosen = choose(chain, today).single.get(SettingKind.PROCESS_FLOW)
        if chosen is not None and chosen.setting.value_text:
            key = chosen.setting.value_text
    found = await definitions.latest(session, key)
    if found is None and key in engine.SHIPPED:
        bpmn, dmn = engine.shipped(key)
        # The shipped process, deployed by the server itself on first use.
        found = await definitions.deploy(session, actor=Actor(SERVER, NOTHING), bpmn=bpmn, dmn=dmn)
    if found is None:
        raise DomainError.of(
            "type",
            ErrorCode.NOT_FOUND,
            f"The process flow `{key}` set for this group is not deployed; ask the insurer.",
        )
    return found
