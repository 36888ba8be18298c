"""The automated coach end to end on the demo book (issue 18, "Done when").

A drug goes over the counter; one run starts; each account team gets one e-mail (read from a
real SMTP server) with its clients' counts; Globex's team elects it, the decision table sends
Brightside straight to its managers, Northwind's team lets its election expire (not asked);
Globex opts in, Brightside declines; exactly Globex's affected members still covered get one
letter each, whose text names them and the drug; recording the event again creates nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from api.jobs import InProcess, begin_campaign, merge_letters
from domain.campaigns.models import CampaignClient, CampaignLetter, CampaignRun, MarketEvent
from domain.campaigns.tasks import expire_due
from domain.core.columns import utcnow
from domain.documents.models import Document, DocumentContent, DocumentKind
from domain.mail.sending import deliver_due
from domain.mail.transports import SmtpTransport
from domain.policies.models import Person
from schema.core.relay import global_id
from tests.domain.documents.pdfs import text_of
from tests.domain.mail.smtp import smtp_server
from tests.graphql import GraphQLClient, ok
from tests.schema.campaigns.coach import (
    BACK_OFFICE,
    DEFAULT_TEAM,
    DRUG,
    DRUG_NAME,
    FILLED,
    TEAMS,
    Scene,
    manager,
    set_scene,
)

RECORD = """
mutation Record($input: MarketEventRecordInput!) {
  marketEventRecord(input: $input) { marketEvent { kind } errors { field code message } }
}"""
RUNS = """
query Runs {
  campaignRuns(first: 10) {
    totalCount
    edges { node {
      id state definition { code version }
      counts { state clients members letters }
      clients { groupClient { code } members route state letters }
      timeline { actor action message }
    } }
  }
}"""
TASKS = """
query Tasks($state: String! = "OPEN") {
  campaignTasks(first: 20, state: $state) {
    edges { node { id name assignee state part { groupClient { code } members } } }
  }
}"""
COMPLETE = """
mutation Complete($input: CampaignTaskCompleteInput!) {
  campaignTaskComplete(input: $input) { part { state } errors { field code message } }
}"""


def _event(scene: Scene) -> dict[str, Any]:
    return {
        "input": {
            "kind": "DRUG_OVER_THE_COUNTER",
            "drugCodes": [DRUG],
            "productCodes": [],
            "effectiveDate": scene.event_date.isoformat(),
            "description": "Claritin is sold over the counter, without a prescription.",
        }
    }


async def _task(client: GraphQLClient, name: str, code: str) -> str:
    edges = (await client.query(TASKS))["campaignTasks"]["edges"]
    found = [e["node"] for e in edges
             if e["node"]["name"] == name and e["node"]["part"]["groupClient"]["code"] == code]  # fmt: skip
    assert len(found) == 1, edges
    return str(found[0]["id"])


async def _decide(client: GraphQLClient, task_id: str, decision: str) -> str:
    payload = await client.mutate(COMPLETE, {"input": {"id": task_id, "decision": decision}})
    return str(ok(payload)["part"]["state"])


async def test_a_drug_over_the_counter_reaches_exactly_the_opted_in_members(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    http: AsyncClient,
    runner: InProcess,
) -> None:
    # given
    scene = await set_scene(session)
    office = GraphQLClient(http, BACK_OFFICE)
    globex, brightside = (
        GraphQLClient(http, manager("GLOBEX")),
        GraphQLClient(http, manager("BRIGHTSIDE")),
    )

    # when the event is recorded, and its run begins in the background
    ok(await office.mutate(RECORD, _event(scene)))
    await runner.drain()

    # then one run, each client in the state its team or the decision table put it
    runs = (await office.query(RUNS))["campaignRuns"]
    assert runs["totalCount"] == 1
    run = runs["edges"][0]["node"]
    assert run["definition"] == {"code": "drug-coach", "version": 1}
    parts = {c["groupClient"]["code"]: c for c in run["clients"]}
    assert {code: (p["members"], p["route"], p["state"]) for code, p in parts.items()} == {
        "GLOBEX": (FILLED["GLOBEX"], "ELECT", "ELECTION"),
        "NORTHWIND": (FILLED["NORTHWIND"], "ELECT", "ELECTION"),
        "BRIGHTSIDE": (FILLED["BRIGHTSIDE"], "DIRECT", "OPT_IN"),
    }

    # and each team gets one e-mail with its clients' counts, read from an SMTP server
    with smtp_server() as (inbox, url):
        assert await deliver_due(sessions, SmtpTransport(url), sender="coach@groupcover.test") == 3
    by_team = {m["To"]: m.get_content() for m in inbox.messages}
    assert set(by_team) == {email for _code, email in TEAMS.values()} | {DEFAULT_TEAM[1]}
    assert "Globex Holdings: 4 affected members" in by_team["globex-team@insurer.example"]
    assert "Northwind Logistics Pty Ltd: 3 affected" in by_team["northwind-team@insurer.example"]
    assert (
        "Brightside Bakery LLC: 2 affected members; its group managers are asked"
        in by_team[DEFAULT_TEAM[1]]
    )
    assert all("Globex" not in body for to, body in by_team.items() if "globex" not in to)

    # when Globex's team elects it, Northwind's lets its election expire
    assert await _decide(office, await _task(office, "election", "GLOBEX"), "APPROVE") == "OPT_IN"
    async with sessions() as later:
        assert await expire_due(later, utcnow() + timedelta(days=3, hours=1)) == 1
        await later.commit()
    # and Globex's managers opt in, Brightside's decline
    assert await _decide(globex, await _task(globex, "opt_in", "GLOBEX"), "APPROVE") == "MERGING"
    brightside_task = await _task(brightside, "opt_in", "BRIGHTSIDE")
    assert await _decide(brightside, brightside_task, "REJECT") == "DECLINED"
    await runner.drain()

    # then exactly Globex's affected members still covered have one letter each
    letters = (
        await session.execute(
            sa.select(col(CampaignLetter.person_id), col(DocumentContent.content), Person)
            .join(DocumentContent, col(DocumentContent.document_id) == col(CampaignLetter.document_id))
            .join(Person, col(Person.id) == col(CampaignLetter.person_id))
        )
    ).all()  # fmt: skip
    expected = set(scene.affected["GLOBEX"]) - {scene.left}
    assert sorted(p for p, _pdf, _person in letters) == sorted(expected)
    for _id, pdf, person in letters:
        text = text_of(pdf)
        assert f"{person.given_name} {person.family_name}" in text
        assert DRUG_NAME in text
    run = (await office.query(RUNS))["campaignRuns"]["edges"][0]["node"]
    assert run["state"] == "DONE"
    assert {c["state"]: (c["clients"], c["letters"]) for c in run["counts"]} == {
        "OPTED_IN": (1, len(expected)),
        "DECLINED": (1, 0),
        "NOT_ASKED": (1, 0),
    }
    actions = [line["action"] for line in run["timeline"]]
    assert {"STARTED", "TEAM_TOLD", "ELECTION_APPROVE", "ELECTION_EXPIRED", "OPT_IN_APPROVE",
            "OPT_IN_REJECT", "MERGED", "DONE"} <= set(actions)  # fmt: skip

    # when the event is recorded again, and every background step runs again
    before = await _counts(session)
    ok(await office.mutate(RECORD, _event(scene)))
    await runner.drain()
    run_id = await session.scalar(sa.select(col(CampaignRun.id)))
    part_ids = list(await session.scalars(sa.select(col(CampaignClient.id))))
    await begin_campaign(sessions, run_id)  # type: ignore[arg-type]
    for part_id in part_ids:
        await merge_letters(sessions, part_id)
    # then nothing new
    assert await _counts(session) == before


async def _counts(session: AsyncSession) -> tuple[int | None, ...]:
    return tuple(
        [
            await session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (MarketEvent, CampaignRun, CampaignClient, CampaignLetter)
        ]
        + [
            await session.scalar(
                sa.select(sa.func.count())
                .select_from(Document)
                .where(col(Document.kind) == DocumentKind.LETTER)
            )
        ]
    )


__all__ = ["global_id"]
