"""Deploying process flows, the version a request keeps, and the flow a group's setting picks."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from domain.settings.models import Setting, SettingKind
from domain.workflow.engine import shipped
from tests.graphql import ok, refused
from tests.schema.policies.enrol import days
from tests.schema.workflow.conftest import Cast
from tests.schema.workflow.requests import complete, open_task, request, submit, submitted

DEPLOY = """
mutation($input: ProcessDefinitionDeployInput!) {
  processDefinitionDeploy(input: $input) {
    processDefinition { key version name deployedBy }
    errors { field code message }
  }
}
"""
LIST = "{ processDefinitions { key version } }"
BPMN, DMN = shipped()
# Every request needs the manager's approval, from whichever channel it comes.
STRICT = BPMN.replace('id="standard" name="Standard request"', 'id="strict" name="Strict"').replace(
    'approval == "MANAGER" and channel in ("EMPLOYEE", "PARTNER")', 'approval != "BACK_OFFICE"'
)


async def _deploy(cast: Cast, bpmn: str, dmn: list[str] = DMN) -> dict:
    return await cast.admin.mutate(DEPLOY, {"input": {"bpmn": bpmn, "dmn": dmn}})


async def test_a_new_version_serves_new_requests_while_old_ones_keep_theirs(cast: Cast) -> None:
    # given a request in flight on version 1
    old = await submitted(
        cast.employee,
        type="TERMINATION",
        channel="EMPLOYEE",
        policyId=cast.policy_id,
        endDate=days(0),
    )
    # when version 2 is deployed (approvals due in one day instead of three)
    deployed = ok(await _deploy(cast, BPMN.replace('value="P3D"', 'value="P1D"')))
    new = await submitted(
        cast.employee, type="CERTIFICATE", channel="EMPLOYEE", policyId=cast.policy_id
    )
    ok(await complete(cast.manager, open_task(old)["id"], decision="APPROVE"))
    await cast.runner.drain()
    # then
    assert deployed["processDefinition"] == {
        "key": "standard",
        "version": 2,
        "name": "Standard request",
        "deployedBy": "admin-1",
    }
    assert (await request(cast.admin, old["id"]))["process"] == {"key": "standard", "version": 1}
    assert (await request(cast.admin, old["id"]))["state"] == "COMPLETED"
    assert new["process"] == {"key": "standard", "version": 2}
    assert (await cast.admin.query(LIST))["processDefinitions"] == [
        {"key": "standard", "version": 2},
        {"key": "standard", "version": 1},
    ]


async def test_a_broken_file_is_refused_and_nothing_is_deployed(cast: Cast) -> None:
    # given
    await submitted(cast.employee, type="CERTIFICATE", channel="EMPLOYEE", policyId=cast.policy_id)
    before = await cast.admin.query(LIST)
    # when
    broken = await _deploy(cast, BPMN.replace('id="register"', 'id="wire_money"'))
    scripted = await _deploy(cast, BPMN.replace('approval == "BACK_OFFICE"', "__import__('os')"))
    # then
    refused(broken, "INVALID_FORMAT", ["input", "bpmn"])
    assert "unknown operation `wire_money`" in broken["errors"][0]["message"]
    refused(scripted, "INVALID_FORMAT", ["input", "bpmn"])
    assert await cast.admin.query(LIST) == before


async def test_the_groups_process_flow_setting_picks_the_process(
    cast: Cast, session: AsyncSession
) -> None:
    # given ACME's process flow is `strict`
    ok(await _deploy(cast, STRICT))
    session.add(
        Setting(
            kind=SettingKind.PROCESS_FLOW, group_client_id=cast.place.client.id, value_text="strict"
        )
    )
    await session.commit()
    # when a certificate (approved at once in the standard flow) comes from the employee
    made = await submitted(
        cast.employee, type="CERTIFICATE", channel="EMPLOYEE", policyId=cast.policy_id
    )
    # then it waits for ACME's manager
    assert made["process"] == {"key": "strict", "version": 1}
    assert open_task(made)["name"] == "manager_approval"


async def test_a_process_flow_nobody_deployed_is_a_clear_error(
    cast: Cast, session: AsyncSession
) -> None:
    # given
    session.add(
        Setting(
            kind=SettingKind.PROCESS_FLOW,
            group_client_id=cast.place.client.id,
            value_text="missing",
        )
    )
    await session.commit()
    # when
    payload = await submit(
        cast.employee, type="CERTIFICATE", channel="EMPLOYEE", policyId=cast.policy_id
    )
    # then
    refused(payload, "NOT_FOUND", ["input", "type"])
    assert "`missing`" in payload["errors"][0]["message"]
