"""Approval after the fact: registered at once, ratified by the group's manager, or undone."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from domain.audit.models import AuditEvent
from domain.policies.models import TerminatedRow
from domain.settings.models import Setting, SettingKind
from schema.core.relay import global_id
from tests.graphql import GraphQLClient, ok
from tests.schema.policies.enrol import days, enrol_input, person, years_ago
from tests.schema.workflow.conftest import Cast
from tests.schema.workflow.requests import complete, open_task, request, submitted

POLICY = """
query($id: ID!) { node(id: $id) { ... on Policy {
  version
  members { person { id givenName familyName } startDate endDate refundIban }
} } }
"""

SEARCH = "{ policies { totalCount } }"


@pytest.fixture
async def after_the_fact(cast: Cast, session: AsyncSession) -> Cast:
    """ACME approves its employees' changes after the fact."""
    session.add(
        Setting(
            kind=SettingKind.PROCESS_FLOW,
            group_client_id=cast.place.client.id,
            value_text="after_the_fact",
        )
    )
    await session.commit()
    return cast


async def _policy(cast: Cast) -> dict[str, Any]:
    data = await cast.back_office.query(POLICY, {"id": cast.policy_id})
    node = data["node"]
    node.pop("version")
    return node


def _jane(cast: Cast) -> str:
    return next(
        m["person"]["id"] for m in cast.policy["members"] if m["person"]["givenName"] == "Jane"
    )


async def _registered_at_once(cast: Cast, sender: GraphQLClient, **values: Any) -> dict[str, Any]:
    made = await submitted(sender, **values)
    await cast.runner.drain()
    return await request(cast.admin, made["id"])


def _removal(cast: Cast, channel: str = "EMPLOYEE") -> dict[str, Any]:
    """Jane's cover to end in ten days."""
    return {
        "type": "DEPENDANT_REMOVAL",
        "channel": channel,
        "personId": _jane(cast),
        "endDate": days(10),
        "reason": "Divorce",
    }


async def _decided(cast: Cast, made: dict[str, Any], decision: str) -> dict[str, Any]:
    """The request once ACME's manager decided on its ratification, and the server went on."""
    ok(await complete(cast.manager, open_task(made)["id"], decision=decision))
    await cast.runner.drain()
    return await request(cast.admin, made["id"])


def _actions(made: dict[str, Any]) -> list[str]:
    return [line["action"] for line in made["timeline"]]


async def _records(session: AsyncSession) -> int:
    return await session.scalar(sa.select(sa.func.count()).select_from(TerminatedRow)) or 0


async def test_a_removal_is_registered_at_once_and_stays_when_ratified(
    after_the_fact: Cast, session: AsyncSession
) -> None:
    cast = after_the_fact
    # when John asks that Jane's cover end, and ACME's manager ratifies it afterwards
    made = await _registered_at_once(cast, cast.employee, **_removal(cast))
    removed = await _policy(cast)
    end = await _decided(cast, made, "APPROVE")
    # then it was registered before anyone approved it, and stays
    assert made["process"] == {"key": "after_the_fact", "version": 1}
    assert (made["state"], open_task(made)["name"]) == ("PENDING_APPROVAL", "ratification")
    jane = next(m for m in removed["members"] if m["person"]["id"] == _jane(cast))
    assert jane["endDate"] == days(10)
    assert end["state"] == "COMPLETED"
    assert await _policy(cast) == removed
    assert _actions(end)[:4] == ["SUBMITTED", "STATE_CHANGED", "REGISTERED", "STATE_CHANGED"]
    assert _actions(end)[4:8] == ["WAITING", "APPROVED", "STATE_CHANGED", "NOTIFIED"]
    assert await _records(session) == 0


async def test_a_refused_removal_is_undone_exactly_and_the_employee_told(
    after_the_fact: Cast, session: AsyncSession
) -> None:
    cast = after_the_fact
    before = await _policy(cast)
    # when John's removal of Jane is registered, and ACME's manager refuses it
    made = await _registered_at_once(cast, cast.employee, **_removal(cast))
    end = await _decided(cast, made, "REJECT")
    # then every row is as before, the timeline shows both steps, and John is told
    assert await _policy(cast) == before
    assert end["state"] == "REJECTED"
    messages = {line["action"]: line["message"] for line in end["timeline"]}
    assert messages["REGISTERED"].startswith("Registered at the insurer at once")
    assert messages["REJECTED"].startswith("Ratify as the group's manager: rejected by hr-1")
    assert messages["REVERSED"] == "Not ratified by hr-1: what was registered is undone."
    assert messages["NOTIFIED"] == "The employee was told the request is not ratified and undone."
    assert await _records(session) == 0
    audit = await session.execute(
        sa.select(AuditEvent.actor, AuditEvent.decided_by).where(
            AuditEvent.action == "policyChangeReverse"
        )
    )
    assert audit.all() == [("emp-john", "hr-1")]


async def test_a_refused_enrolment_of_a_spouse_takes_her_off_again(after_the_fact: Cast) -> None:
    cast = after_the_fact
    before = await _policy(cast)
    made = await _registered_at_once(
        cast,
        cast.employee,
        type="ENROLMENT",
        channel="EMPLOYEE",
        policyId=cast.policy_id,
        dependants=[{"person": person("Ann", born=years_ago(35)), "relationship": "SPOUSE"}],
        lifeEvent="MARRIAGE",
        eventDate=days(-3),
    )
    added = await _policy(cast)
    end = await _decided(cast, made, "REJECT")
    # then Ann was on the policy until the refusal, and is gone after it
    assert len(added["members"]) == len(before["members"]) + 1
    assert await _policy(cast) == before
    assert end["state"] == "REJECTED"


async def test_a_refused_data_change_gives_back_the_name_and_account(after_the_fact: Cast) -> None:
    cast = after_the_fact
    before = await _policy(cast)
    made = await _registered_at_once(
        cast,
        cast.employee,
        type="DATA_CHANGE",
        channel="EMPLOYEE",
        personId=cast.holder_id,
        name={"familyName": "Smith", "evidenceReference": "MC-1"},
        refundIban="DE89 3704 0044 0532 0130 00",
    )
    changed = await _policy(cast)
    await _decided(cast, made, "REJECT")
    john = next(m for m in changed["members"] if m["person"]["id"] == cast.holder_id)
    assert (john["person"]["familyName"], john["refundIban"]) == ("Smith", "DE89370400440532013000")
    assert await _policy(cast) == before


async def test_the_group_portal_is_not_asked_to_ratify_its_own_change(
    after_the_fact: Cast,
) -> None:
    cast = after_the_fact
    made = await _registered_at_once(cast, cast.manager, **_removal(cast, "GROUP_PORTAL"))
    assert made["state"] == "COMPLETED"
    assert made["tasks"] == []


def _new_policy(cast: Cast) -> dict[str, Any]:
    """Max's enrolment, a new policy P-NEW, sent by the partner."""
    new = enrol_input(
        cast.place,
        subscriber={"person": person("Max", nationalId="NID-MAX")},
        number="P-NEW",
        dependants=[],
    )["input"]
    return {"type": "ENROLMENT", "channel": "PARTNER", "enrolment": new}


async def test_a_refused_new_policy_is_taken_away_with_its_new_person(
    after_the_fact: Cast,
) -> None:
    cast = after_the_fact
    made = await _registered_at_once(cast, cast.partner, **_new_policy(cast))
    policy_id = made["result"]["policyId"]
    end = await _decided(cast, made, "REJECT")
    # then the policy and Max are gone again
    assert end["state"] == "REJECTED"
    assert "policyId" not in end["result"]
    found = await cast.admin.query(POLICY, {"id": global_id("Policy", policy_id)})
    assert found == {"node": None}
    assert (await cast.admin.query(SEARCH))["policies"]["totalCount"] == 1


async def test_a_new_policy_others_asked_about_meanwhile_is_not_taken_away(
    after_the_fact: Cast,
) -> None:
    cast = after_the_fact
    made = await _registered_at_once(cast, cast.partner, **_new_policy(cast))
    policy = global_id("Policy", made["result"]["policyId"])
    await submitted(cast.back_office, type="CERTIFICATE", channel="BACK_OFFICE", policyId=policy)
    end = await _decided(cast, made, "REJECT")
    assert end["state"] == "FAILED"
    assert end["timeline"][-1]["message"].startswith(
        "The insurer could not undo it: Other requests were sent about the policy"
    )
    assert (await cast.admin.query(SEARCH))["policies"]["totalCount"] == 2
