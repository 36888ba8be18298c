"""The mail merge: one letter to each affected member of a client that opted in.

Done in batches, each a transaction of its own (a worker killed between two loses nothing):
a member gets a letter only if they are still covered on the day it is made and have none
from this run yet (a unique key per run and member: never two, even for a member of two
clients). The letters are made as the server within the recorder's reach, with whoever
opted in named as the one who decided. The template gets only the fields it declared.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.campaigns import audience
from domain.campaigns.models import (
    CampaignClient,
    CampaignDefinition,
    CampaignLetter,
    CampaignRun,
    CampaignTask,
    ClientState,
    MarketEvent,
)
from domain.campaigns.progress import (
    COMPLETED,
    SERVER,
    finish_if_done,
    line,
    row_locked,
    sync,
    system,
    writing,
)
from domain.core.changes import Action, changing
from domain.core.columns import utcnow
from domain.core.errors import DomainError
from domain.documents.models import DocumentKind
from domain.documents.producing import produce
from domain.groups.models import GroupClient
from domain.workflow import engine, scripts

BATCH = 50
"""Letters per transaction: about a second of typesetting, short enough to hold the lock."""


async def merge_batch(
    session: AsyncSession, part_id: int, *, batch: int = BATCH, today: date | None = None
) -> bool:
    """Make the next batch of a client's letters; whether another batch is due."""
    await writing(session)
    part = await row_locked(session, CampaignClient, part_id)
    if part is None or not part.waits_on_server:
        return False
    run = await session.get_one(CampaignRun, part.run_id)
    definition = await session.get_one(CampaignDefinition, run.definition_id)
    event = await session.get_one(MarketEvent, run.market_event_id)
    actor = system(run, decided_by=await _opted_in_by(session, part_id))
    day = today or utcnow().date()
    rule = audience.rule_of(
        event, definition.fill_months, definition.product_codes, definition.min_age,
        definition.max_age,
    )  # fmt: skip
    lettered = sa.select(col(CampaignLetter.person_id)).where(col(CampaignLetter.run_id) == run.id)
    addressees = await audience.still_covered(
        session, scope=actor.scope, rule=rule, group_client_id=part.group_client_id, day=day,
        skip=lettered, limit=batch,
    )  # fmt: skip
    client = await session.get_one(GroupClient, part.group_client_id)
    async with changing(
        session, actor, Action.CAMPAIGN_RUN_STEP, CampaignClient, part_id, marks_changed=False
    ):
        try:
            async with session.begin_nested():
                for member in addressees:
                    await _letter(session, actor, run, part, definition, event, client, member, day)
        except DomainError as error:
            _failed(session, part, error)
        else:
            part.letters += len(addressees)
            if len(addressees) == batch:
                return True
            await _done(session, part)
    await finish_if_done(session, run)
    return False


def _failed(session: AsyncSession, part: CampaignClient, error: DomainError) -> None:
    """A letter that cannot be made (its template reads a field the merge does not give):
    the client's part stops, FAILED, saying why; the letters of earlier batches stay."""
    part.state, part.waits_on_server, part.updated_at = ClientState.FAILED, False, utcnow()
    reasons = "; ".join(p.message for p in error.problems)
    line(session, part.run_id, SERVER, ClientState.FAILED.value, f"No letters: {reasons}", part.id)


async def _letter(
    session: AsyncSession, actor: Actor, run: CampaignRun, part: CampaignClient,
    definition: CampaignDefinition, event: MarketEvent, client: GroupClient,
    member: audience.Addressee, day: date,
) -> None:  # fmt: skip
    data = {
        "today": day.isoformat(), "memberName": member.name, "policyNumber": member.policy_number,
        "groupClient": client.name, "drugName": member.drug,
        "effectiveDate": event.effective_date.isoformat(), "description": event.description,
    }  # fmt: skip
    document = await produce(
        session, actor=actor, kind=DocumentKind.LETTER, data=data,
        file_name=f"letter-{run.id}-{member.policy_number}-{member.person_id}.pdf",
        policy_id=member.policy_id, template_code=definition.letter_template,
    )  # fmt: skip
    async with changing(
        session, actor, Action.CAMPAIGN_RUN_STEP, CampaignLetter, marks_changed=False
    ) as change:
        change.add(
            CampaignLetter(run_id=run.id, campaign_client_id=part.id,  # type: ignore[arg-type]
                           person_id=member.person_id, document_id=document.id)
        )  # fmt: skip


async def _opted_in_by(session: AsyncSession, part_id: int) -> str | None:
    return await session.scalar(
        sa.select(col(CampaignTask.completed_by))
        .where(
            col(CampaignTask.campaign_client_id) == part_id,
            col(CampaignTask.state) == COMPLETED,
            col(CampaignTask.assignee) == "GROUP_MANAGER",
        )
        .limit(1)
    )


async def _done(session: AsyncSession, part: CampaignClient) -> None:
    """Every letter is made: the process runs on to its end."""
    workflow = engine.load(part.workflow)
    step = next(w for w in engine.waiting(workflow) if w.service)
    merged = {"letters": part.letters}
    await scripts.bounded(engine.complete, workflow, step.id, {f"{step.name}_result": merged})
    said = f"{part.letters} letters made for the members still covered."
    line(session, part.run_id, SERVER, "MERGED", said, part.id)
    await sync(session, part, workflow, utcnow())


async def waiting(session: AsyncSession) -> tuple[list[int], list[int]]:
    """Runs not begun yet and clients whose letters are due (what a lost job left)."""
    runs = await session.scalars(
        sa.select(col(CampaignRun.id)).where(col(CampaignRun.state) == "STARTED")
    )
    parts = await session.scalars(
        sa.select(col(CampaignClient.id)).where(col(CampaignClient.waits_on_server))
    )
    return [i for i in runs if i is not None], [i for i in parts if i is not None]
