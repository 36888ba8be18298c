"""Keeping a client's part of a run in step with its process: state, tasks, timeline, lock.

The background parts of a run act as the server (`groupcover`) within the reach of whoever
recorded the event that started it (kept on the run as `started_scope`), with that person
named as the one who decided: a back office restricted to European clients starts runs whose
audience, tasks and letters stay within European clients, whoever's worker does the work.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor, RowScope
from domain.campaigns.models import (
    CampaignClient,
    CampaignEvent,
    CampaignRun,
    CampaignTask,
    ClientState,
    RunState,
)
from domain.core.changes import Action, changing
from domain.core.columns import utcnow
from domain.workflow import engine
from domain.workflow.engine import Assignee, Waiting
from domain.workflow.progress import SERVER, Inbox, keep_process, row_locked, writing

OPEN, COMPLETED, EXPIRED, CANCELLED = "OPEN", "COMPLETED", "EXPIRED", "CANCELLED"
ACTIVE = (ClientState.ELECTION, ClientState.OPT_IN, ClientState.MERGING)

__all__ = ["SERVER", "row_locked", "system", "writing"]


def system(run: CampaignRun, decided_by: str | None = None) -> Actor:
    """The server acting for a run: within the reach of whoever recorded its event."""
    scope = replace(RowScope.from_json(run.started_scope), subject=run.started_by)
    return Actor(SERVER, scope, decided_by=decided_by or run.started_by)


def line(
    session: AsyncSession, run_id: int, actor: str, action: str, message: str,
    client_id: int | None = None,
) -> None:  # fmt: skip
    """Add a line to a run's timeline (about one client's part, or the whole run)."""
    session.add(
        CampaignEvent(run_id=run_id, campaign_client_id=client_id, actor=actor, action=action,
                      message=message[:2000])
    )  # fmt: skip


TASKS = Inbox(CampaignTask, "campaign_client_id", OPEN, CANCELLED)


async def sync(session: AsyncSession, part: CampaignClient, workflow: Any, now: datetime) -> None:
    """Save the process state; open a task for each new wait, cancel those gone; set state."""
    assert part.id is not None
    waiting = engine.waiting(workflow)
    people = [w for w in waiting if w.assignee is not None]
    outcome = engine.outcome(workflow)
    if outcome is not None:
        state = ClientState(outcome)
    elif any(w.service for w in waiting):
        state = ClientState.MERGING
    elif any(w.assignee is Assignee.GROUP_MANAGER for w in people):
        state = ClientState.OPT_IN
    else:
        state = ClientState.ELECTION
    if state is not part.state:
        part.state = state
        line(session, part.run_id, SERVER, state.value, _SAID[state], part.id)
    await TASKS.keep(session, part.id, people, lambda wait: _task(part, wait, now))
    keep_process(part, workflow, waiting, now)


def _task(part: CampaignClient, wait: Waiting, now: datetime) -> CampaignTask:
    assert part.id is not None and wait.assignee and wait.due
    return CampaignTask(
        campaign_client_id=part.id, engine_task_id=wait.id, name=wait.name,
        title=wait.title[:200], assignee=wait.assignee.value, state=OPEN, due_at=now + wait.due,
    )  # fmt: skip


_SAID = {
    ClientState.ELECTION: "Waiting for the account team to elect the client.",
    ClientState.OPT_IN: "Waiting for the client's group managers to opt in.",
    ClientState.MERGING: "Opted in: the letters are being made.",
    ClientState.OPTED_IN: "Opted in: every letter is made.",
    ClientState.DECLINED: "The client did not opt in.",
    ClientState.NOT_ASKED: "The account team did not elect the client: it is not asked.",
    ClientState.FAILED: "Failed.",
}


async def finish_if_done(session: AsyncSession, run: CampaignRun) -> None:
    """Close the run once no client's part is still going."""
    assert run.id is not None
    going = await session.scalar(
        sa.select(sa.func.count())
        .select_from(CampaignClient)
        .where(col(CampaignClient.run_id) == run.id, col(CampaignClient.state).in_(ACTIVE))
    )
    if going or run.state is RunState.DONE:
        return
    async with changing(
        session, system(run), Action.CAMPAIGN_RUN_STEP, CampaignRun, run.id, marks_changed=False
    ) as change:
        change.row.state, change.row.updated_at = RunState.DONE, utcnow()
    line(session, run.id, SERVER, RunState.DONE.value, "Every client's part has ended.")
