"""Campaign runs: started by a market event, they find the affected members and ask.

Recording an event starts one run per campaign definition it matches, in the recording's
transaction (a unique key per event and definition: never two). A background step then
counts the affected members per group client (one aggregate, within the recorder's reach),
starts each client's process, which opens the account team's election or the client's
opt-in, and e-mails each account team the counts of its clients (sent after commit).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.campaigns import audience, definitions
from domain.campaigns.models import (
    AccountTeam,
    CampaignClient,
    CampaignDefinition,
    CampaignRun,
    ClientState,
    MarketEvent,
    RunState,
)
from domain.campaigns.progress import (
    SERVER,
    finish_if_done,
    line,
    row_locked,
    sync,
    system,
    writing,
)
from domain.campaigns.teams import teams_of
from domain.core.changes import Action, changing
from domain.core.columns import utcnow
from domain.groups.models import GroupClient
from domain.mail.service import queue_mail
from domain.workflow import engine, scripts


async def start_runs(session: AsyncSession, *, actor: Actor, event: MarketEvent) -> list[int]:
    """Start a run of each campaign the event matches and has none yet; their ids."""
    started = []
    for definition in await definitions.matching(session, event.kind):
        exists = await session.scalar(
            sa.select(col(CampaignRun.id)).where(
                col(CampaignRun.market_event_id) == event.id,
                col(CampaignRun.definition_id) == definition.id,
            )
        )
        if exists is not None:
            continue
        async with changing(
            session, actor, Action.CAMPAIGN_RUN_START, CampaignRun, marks_changed=False
        ) as change:
            change.add(
                CampaignRun(
                    market_event_id=event.id, definition_id=definition.id,  # type: ignore[arg-type]
                    started_by=actor.subject, started_scope=actor.scope.to_json(),
                )
            )  # fmt: skip
        said = f"Started by {actor.subject}: {definition.name} (version {definition.version})."
        line(session, change.row.id, actor.subject, RunState.STARTED.value, said)  # type: ignore[arg-type]
        started.append(change.row.id)
    return started  # type: ignore[return-value]


async def begin(session: AsyncSession, run_id: int) -> None:
    """Find the run's audience and ask: each client's process started, each team e-mailed.

    A run begun already is left alone, so a step done twice asks nobody twice.
    """
    await writing(session)
    run = await row_locked(session, CampaignRun, run_id)
    if run is None or run.state is not RunState.STARTED:
        return
    actor = system(run)
    definition = await session.get_one(CampaignDefinition, run.definition_id)
    event = await session.get_one(MarketEvent, run.market_event_id)
    process = await definitions.process_for(session, definition.process_key)
    parsed = engine.definition_of(process.bpmn, list(process.dmn))
    rule = audience.rule_of(
        event, definition.fill_months, definition.product_codes, definition.min_age,
        definition.max_age,
    )  # fmt: skip
    affected = await audience.count_affected(session, scope=actor.scope, rule=rule)
    teams = await teams_of(session, [a.group_client_id for a in affected])
    parts = []
    for found in affected:
        team = teams[found.group_client_id][0]
        data = {"event_kind": event.kind.value, "line_of_business": found.line_of_business,
                "size": found.size, "members": found.members}  # fmt: skip
        workflow = await scripts.bounded(engine.start, parsed, data)
        async with changing(
            session, actor, Action.CAMPAIGN_RUN_STEP, CampaignClient, marks_changed=False
        ) as change:
            part = change.add(
                CampaignClient(
                    run_id=run_id, group_client_id=found.group_client_id,
                    account_team_id=team.id if team else None, members=found.members,
                    size=found.size, route=workflow.last_task.data.get("route"),
                    state=ClientState.ELECTION, workflow=engine.dump(workflow),
                )
            )  # fmt: skip
            await session.flush()
            await sync(session, part, workflow, utcnow())
        parts.append(part)
    await _tell_teams(session, run, event, parts)
    async with changing(
        session, actor, Action.CAMPAIGN_RUN_STEP, CampaignRun, run_id, marks_changed=False
    ) as change:
        change.row.process_definition_id = process.id
        change.row.state, change.row.updated_at = RunState.RUNNING, utcnow()
    members = sum(p.members for p in parts)
    said = f"{members} affected members in {len(parts)} group clients; each client asked."
    line(session, run_id, SERVER, RunState.RUNNING.value, said)
    await finish_if_done(session, run)


async def _tell_teams(
    session: AsyncSession, run: CampaignRun, event: MarketEvent, parts: list[CampaignClient]
) -> None:
    """One e-mail per account team, with the counts of its clients (never a member's name)."""
    by_team: dict[int | None, list[CampaignClient]] = defaultdict(list)
    for part in parts:
        by_team[part.account_team_id].append(part)
    names: dict[int, str] = dict(
        (  # type: ignore[arg-type]
            await session.execute(
                sa.select(col(GroupClient.id), col(GroupClient.name)).where(
                    col(GroupClient.id).in_([p.group_client_id for p in parts])
                )
            )
        ).all()
    )
    for team_id, mine in by_team.items():
        if team_id is None:
            said = f"{len(mine)} group clients have no account team and no default team."
            line(session, run.id, SERVER, "NO_TEAM", said)  # type: ignore[arg-type]
            continue
        team = await session.get_one(AccountTeam, team_id)
        await queue_mail(
            session, to=[team.email], subject=_subject(event)[:300],
            body=_body(team, event, mine, names),
        )  # fmt: skip
        said = f"E-mailed account team {team.code} about {len(mine)} group clients."
        line(session, run.id, SERVER, "TEAM_TOLD", said)  # type: ignore[arg-type]


def _subject(event: MarketEvent) -> str:
    drugs = ", ".join(event.drug_codes or event.product_codes)
    return f"Campaign: {event.kind.value.replace('_', ' ').lower()} ({drugs}) affects your clients"


def _body(
    team: AccountTeam, event: MarketEvent, parts: list[CampaignClient], names: dict[int, str]
) -> str:
    rows = []
    for part in sorted(parts, key=lambda p: names[p.group_client_id]):
        ask = (
            "its group managers are asked to opt in"
            if part.state is ClientState.OPT_IN
            else f"elect it in your inbox by {utcnow() + timedelta(days=3):%Y-%m-%d}"
        )
        rows.append(f"- {names[part.group_client_id]}: {part.members} affected members; {ask}.")
    return (
        f"Dear {team.name},\n\n{event.description}\n(effective {event.effective_date}).\n\n"
        "Affected members of your clients (members with a recent fill, covered that day):\n"
        + "\n".join(rows)
        + "\n\nOnly counts are given here; the claims stay with the insurer.\n"
    )
