"""Who sees and decides what of a campaign, and what it refuses.

A group manager follows their own client's counts and opt-in, never another client's, never
the account team's election and never a member's claims; a letter downloads only for those
who may read its policy. Bad input and other clients' ids are refused in the payload.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from api.jobs import InProcess
from authz.principal import Principal, Role
from domain.campaigns.models import CampaignLetter, CampaignRun, CampaignTask
from domain.campaigns.tasks import expire_due
from domain.core.columns import utcnow
from domain.documents import service
from domain.documents.models import DocumentKind
from domain.mail.models import OutgoingMail
from schema.core.relay import global_id
from tests.conftest import token_for
from tests.domain.documents.conftest import REVIEWER
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.campaigns.coach import ADMIN, BACK_OFFICE, DEFAULT_TEAM, Scene, manager, set_scene
from tests.schema.campaigns.test_campaign_scenario import (
    COMPLETE,
    RECORD,
    RUNS,
    TASKS,
    _decide,
    _event,
    _task,
)

CLAIMS = "query Claims($id: ID!) { claimsSummaries(personId: $id) { lastFillDate } }"


async def _started(session: AsyncSession, http: AsyncClient, runner: InProcess) -> Scene:
    scene = await set_scene(session)
    ok(await GraphQLClient(http, BACK_OFFICE).mutate(RECORD, _event(scene)))
    await runner.drain()
    return scene


async def test_a_group_manager_follows_only_their_clients_counts_and_opt_ins(
    session: AsyncSession, http: AsyncClient, runner: InProcess
) -> None:
    # given
    scene = await _started(session, http, runner)
    globex, brightside = (
        GraphQLClient(http, manager("GLOBEX")),
        GraphQLClient(http, manager("BRIGHTSIDE")),
    )
    office = GraphQLClient(http, BACK_OFFICE)

    # when
    globex_run = (await globex.query(RUNS))["campaignRuns"]["edges"][0]["node"]
    brightside_run = (await brightside.query(RUNS))["campaignRuns"]["edges"][0]["node"]

    # then each sees their own client's part and counts, nothing of the others'
    assert [c["groupClient"]["code"] for c in globex_run["clients"]] == ["GLOBEX"]
    assert globex_run["counts"] == [{"state": "ELECTION", "clients": 1, "members": 4, "letters": 0}]
    assert [c["groupClient"]["code"] for c in brightside_run["clients"]] == ["BRIGHTSIDE"]
    assert all("group clients" not in line["message"] for line in globex_run["timeline"])
    # and their own opt-ins only: not the team's election, not another client's
    assert (await globex.query(TASKS))["campaignTasks"]["edges"] == []
    brightside_tasks = (await brightside.query(TASKS))["campaignTasks"]["edges"]
    assert [(t["node"]["name"], t["node"]["part"]["groupClient"]["code"])
            for t in brightside_tasks] == [("opt_in", "BRIGHTSIDE")]  # fmt: skip
    # and never a member's claims
    body = await globex.raw(CLAIMS, {"id": global_id("Person", scene.affected["GLOBEX"][1])})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # and as an attacker, another client's task and the team's election read as unknown
    election = await _task(office, "election", "GLOBEX")
    for task_id in (brightside_tasks[0]["node"]["id"], election):
        payload = await globex.mutate(COMPLETE, {"input": {"id": task_id, "decision": "APPROVE"}})
        refused(payload, "NOT_FOUND", ["input", "id"])
    partner = GraphQLClient(http, token_for(Principal("p-1", frozenset({Role.PARTNER}))))
    assert (await partner.raw(RUNS))["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_letter_downloads_only_for_those_who_may_read_it(
    session: AsyncSession, http: AsyncClient, runner: InProcess
) -> None:
    # given Globex elected and opted in
    await _started(session, http, runner)
    office, globex = GraphQLClient(http, BACK_OFFICE), GraphQLClient(http, manager("GLOBEX"))
    await _decide(office, await _task(office, "election", "GLOBEX"), "APPROVE")
    await _decide(globex, await _task(globex, "opt_in", "GLOBEX"), "APPROVE")
    await runner.drain()
    document_id = await session.scalar(sa.select(col(CampaignLetter.document_id)).limit(1))
    url = f"/documents/{global_id('Document', document_id)}"  # type: ignore[arg-type]

    # when
    mine = await http.get(url, headers=globex.headers)
    theirs = await http.get(url, headers=GraphQLClient(http, manager("NORTHWIND")).headers)
    anonymous = await http.get(url)

    # then
    assert (mine.status_code, mine.content[:5]) == (200, b"%PDF-")
    assert (theirs.status_code, anonymous.status_code) == (404, 401)
    # and a task decided already is not decided again
    task_id = global_id("CampaignTask", await _decided(session))
    payload = await globex.mutate(COMPLETE, {"input": {"id": task_id, "decision": "REJECT"}})
    refused(payload, "WRONG_STATUS", ["input", "id"])


async def _decided(session: AsyncSession) -> Any:
    return await session.scalar(
        sa.select(col(CampaignTask.id)).where(
            col(CampaignTask.name) == "opt_in", col(CampaignTask.state) == "COMPLETED"
        )
    )


async def test_an_unanswered_opt_in_is_reminded_then_expires_as_a_no(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    http: AsyncClient,
    runner: InProcess,
) -> None:
    # given Brightside asked directly, P7D
    await _started(session, http, runner)
    office = GraphQLClient(http, BACK_OFFICE)
    mails = await session.scalar(sa.select(sa.func.count()).select_from(OutgoingMail))

    # when five days pass, then eight
    async with sessions() as later:
        elections = await expire_due(later, utcnow() + timedelta(days=5, hours=1))
        await later.commit()
    reminded = await session.scalar(
        sa.select(col(CampaignTask.reminded_at)).where(col(CampaignTask.name) == "opt_in")
    )
    reminder = await session.scalar(
        sa.select(OutgoingMail).order_by(col(OutgoingMail.id).desc()).limit(1)
    )
    async with sessions() as later:
        expired = await expire_due(later, utcnow() + timedelta(days=8))
        await later.commit()

    # then the two elections (P3D) expire, the opt-in is reminded once to the team, then expires
    assert (elections, expired) == (2, 1)
    assert reminded is not None
    assert reminder is not None and reminder.recipients == [DEFAULT_TEAM[1]]
    assert "Brightside Bakery LLC has not answered yet" in reminder.body
    assert await session.scalar(sa.select(sa.func.count()).select_from(OutgoingMail)) == mails + 1
    run = (await office.query(RUNS))["campaignRuns"]["edges"][0]["node"]
    assert run["state"] == "DONE"
    assert {c["state"]: c["clients"] for c in run["counts"]} == {"DECLINED": 1, "NOT_ASKED": 2}


async def test_a_letter_reading_a_field_the_merge_does_not_give_stops_the_part(
    session: AsyncSession, http: AsyncClient, runner: InProcess
) -> None:
    # given an approved version of the campaign's letter that reads a salary
    await _started(session, http, runner)
    template = await service.create_template(
        session, actor=ADMIN, code="coach-drug-letter", kind=DocumentKind.LETTER,
        body="Dear #data.memberName, you earn #data.salary.", fields=["memberName", "salary"],
    )  # fmt: skip
    await service.approve_template(session, actor=REVIEWER, template_id=template.id)  # type: ignore[arg-type]
    await session.commit()
    office, globex = GraphQLClient(http, BACK_OFFICE), GraphQLClient(http, manager("GLOBEX"))

    # when Globex opts in
    await _decide(office, await _task(office, "election", "GLOBEX"), "APPROVE")
    await _decide(globex, await _task(globex, "opt_in", "GLOBEX"), "APPROVE")
    await runner.drain()

    # then no letter, and the part says why
    assert await session.scalar(sa.select(sa.func.count()).select_from(CampaignLetter)) == 0
    run = (await office.query(RUNS))["campaignRuns"]["edges"][0]["node"]
    assert {c["groupClient"]["code"]: c["state"] for c in run["clients"]}["GLOBEX"] == "FAILED"
    failed = [line["message"] for line in run["timeline"] if line["action"] == "FAILED"]
    assert len(failed) == 1 and "reads salary, which this merge does not give" in failed[0]


async def test_an_unknown_drug_starts_nothing(
    session: AsyncSession, http: AsyncClient, runner: InProcess
) -> None:
    # given
    scene = await set_scene(session)
    event = _event(scene)
    event["input"]["drugCodes"] = ["NDC-9999-9999"]

    # when
    payload = await GraphQLClient(http, BACK_OFFICE).mutate(RECORD, event)
    await runner.drain()

    # then
    refused(payload, "NOT_FOUND", ["input", "drugCodes", "0"])
    assert await session.scalar(sa.select(sa.func.count()).select_from(CampaignRun)) == 0
