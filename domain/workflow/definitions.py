"""Process definitions: deploying a process file as the next version of its key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import Action, changing
from domain.core.errors import DomainError, ErrorCode
from domain.workflow import engine, scripts
from domain.workflow.engine import ProcessError
from domain.workflow.models import ProcessDefinition

_TRIAL_DATA = {
    "type": "CERTIFICATE",
    "channel": "BACK_OFFICE",
    "life_event": None,
    "days_since_event": None,
    "approval": "MANAGER",
    "registration": "BACK_OFFICE",
    "request_id": 0,
    "flow": "standard",
}
"""What a process is started with to prove, before it is deployed, that it starts at all."""


async def latest(session: AsyncSession, key: str) -> ProcessDefinition | None:
    """The newest deployed version of a process."""
    return await session.scalar(
        sa.select(ProcessDefinition)
        .where(col(ProcessDefinition.key) == key)
        .order_by(col(ProcessDefinition.version).desc())
        .limit(1)
    )


async def deploy(
    session: AsyncSession,
    *,
    actor: Actor,
    bpmn: str,
    dmn: Sequence[str],
    trial: Mapping[str, Any] = _TRIAL_DATA,
) -> ProcessDefinition:
    """Check a process file and its decision tables; keep it as the next version of its key.

    Requests in flight keep the version they started on. `trial` is the data the process is
    tried with (a campaign's process is started with other data than a request's).
    """
    try:
        parsed = engine.parse(bpmn, list(dmn))
        # A process that cannot even start is refused too.
        # Its scripts within the limits, off the event loop, as every request's run.
        await scripts.bounded(engine.start, parsed, dict(trial))
    except ProcessError as error:
        raise DomainError.of("bpmn", ErrorCode.INVALID_FORMAT, str(error)) from error
    current = await latest(session, parsed.key)
    async with changing(
        session, actor, Action.PROCESS_DEFINITION_DEPLOY, ProcessDefinition, marks_changed=False
    ) as change:
        definition = change.add(
            ProcessDefinition(
                key=parsed.key,
                version=(current.version + 1) if current else 1,
                name=parsed.name[:200],
                bpmn=bpmn,
                dmn=list(dmn),
                deployed_by=actor.subject,
            )
        )
    return definition
