"""People's steps of a campaign: the account team's election and the client's opt-in.

An election is decided by the back office that reaches the client; an opt-in only by the
client's group managers (or an admin). A task not decided in time is reminded once, two days
before it is due (a line in the timeline and an e-mail to the account team, who may call),
and at its due time it expires: a "no", as a decision of the server's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.campaigns.models import (
    AccountTeam,
    CampaignClient,
    CampaignRun,
    CampaignTask,
)
from domain.campaigns.progress import (
    COMPLETED,
    EXPIRED,
    OPEN,
    SERVER,
    finish_if_done,
    line,
    row_locked,
    sync,
    system,
    writing,
)
from domain.campaigns.reach import actionable
from domain.core.changes import Action, changing
from domain.core.columns import utcnow
from domain.core.errors import DomainError, ErrorCode
from domain.groups.models import GroupClient
from domain.mail.service import queue_mail
from domain.workflow import engine, scripts
from domain.workflow.models import Decision

REMIND_BEFORE = timedelta(days=2)
_VERB = {
    ("BACK_OFFICE", "APPROVE"): "elected",
    ("BACK_OFFICE", "REJECT"): "not elected",
    ("GROUP_MANAGER", "APPROVE"): "opted in",
    ("GROUP_MANAGER", "REJECT"): "declined",
}


async def complete_task(
    session: AsyncSession, *, actor: Actor, task_id: int, decision: Decision
) -> CampaignClient:
    """Decide on an election or an opt-in the actor may act on; one of two racing calls wins."""
    await writing(session)
    stmt = sa.select(col(CampaignTask.id)).where(
        col(CampaignTask.id) == task_id, actionable(actor.scope)
    )
    if await session.scalar(stmt) is None:
        raise DomainError.of("id", ErrorCode.NOT_FOUND, "No task with this id.")
    async with changing(
        session, actor, Action.CAMPAIGN_TASK_COMPLETE, CampaignTask, task_id, marks_changed=False
    ) as change:
        task = change.row
        part = await row_locked(session, CampaignClient, task.campaign_client_id)
        await session.refresh(task)
        if task.state != OPEN:
            said = f"It was closed already ({task.state.lower()})."
            raise DomainError.of("id", ErrorCode.WRONG_STATUS, said)
        await _decide(session, part, task, actor.subject, decision.value)
    return part


async def _decide(
    session: AsyncSession, part: CampaignClient, task: CampaignTask, by: str, decision: str
) -> None:
    """Close the task, run the client's process on from it, say so in the timeline."""
    now = utcnow()
    task.state = EXPIRED if decision == EXPIRED else COMPLETED
    task.decision, task.completed_by, task.completed_at = decision, by, now
    workflow = engine.load(part.workflow)
    await scripts.bounded(engine.complete, workflow, task.engine_task_id, {"decision": decision})
    verb = _VERB.get((task.assignee, decision), "expired: counted as a no")
    line(session, part.run_id, by, f"{task.name.upper()}_{decision}",
         f"{task.title}: {verb} by {by}.", part.id)  # fmt: skip
    await sync(session, part, workflow, now)


async def expire_due(session: AsyncSession, now: datetime | None = None) -> int:
    """Remind what is close to due and expire what is overdue; how many expired."""
    now = now or utcnow()
    await writing(session)
    await _remind(session, now)
    overdue = list(
        await session.scalars(
            sa.select(col(CampaignTask.id))
            .where(col(CampaignTask.state) == OPEN, col(CampaignTask.due_at) <= now)
            .order_by(col(CampaignTask.id))
        )
    )
    for task_id in overdue:
        run = await _run_of(session, task_id)  # type: ignore[arg-type]
        async with changing(
            session, system(run), Action.CAMPAIGN_RUN_STEP, CampaignTask, task_id,
            marks_changed=False,
        ) as change:  # fmt: skip
            part = await row_locked(session, CampaignClient, change.row.campaign_client_id)
            await _decide(session, part, change.row, SERVER, EXPIRED)
        await finish_if_done(session, run)
    return len(overdue)


async def _run_of(session: AsyncSession, task_id: int) -> CampaignRun:
    return await session.get_one(
        CampaignRun,
        await session.scalar(
            sa.select(col(CampaignClient.run_id))
            .join(CampaignTask, col(CampaignTask.campaign_client_id) == col(CampaignClient.id))
            .where(col(CampaignTask.id) == task_id)
        ),
    )


async def _remind(session: AsyncSession, now: datetime) -> None:
    """Once per task, two days before it is due: the timeline and the team's mailbox."""
    due: list[Any] = list(
        (
            await session.execute(
                sa.select(CampaignTask, CampaignClient, col(GroupClient.name), AccountTeam)
                .join(
                    CampaignClient, col(CampaignClient.id) == col(CampaignTask.campaign_client_id)
                )
                .join(GroupClient, col(GroupClient.id) == col(CampaignClient.group_client_id))
                .outerjoin(AccountTeam, col(AccountTeam.id) == col(CampaignClient.account_team_id))
                .where(
                    col(CampaignTask.state) == OPEN,
                    col(CampaignTask.reminded_at).is_(None),
                    col(CampaignTask.due_at) > now,
                    col(CampaignTask.due_at) <= now + REMIND_BEFORE,
                )
                .order_by(col(CampaignTask.id))
            )
        ).all()
    )
    for task, part, client, team in due:
        run = await session.get_one(CampaignRun, part.run_id)
        async with changing(
            session, system(run), Action.CAMPAIGN_RUN_STEP, CampaignTask, task.id,
            marks_changed=False,
        ) as change:  # fmt: skip
            change.row.reminded_at = now
        said = f"Reminder: {task.title} is due {task.due_at:%Y-%m-%d %H:%M} UTC."
        line(session, part.run_id, SERVER, "REMINDED", said, part.id)
        if team is not None:
            body = (
                f"{client} has not answered yet: {task.title}, due "
                f"{task.due_at:%Y-%m-%d %H:%M} UTC. Unanswered, it counts as a no.\n"
            )
            await queue_mail(
                session, to=[team.email], subject=f"Reminder: {client}"[:300], body=body
            )
