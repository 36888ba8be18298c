"""settingSet and settingRemove: where a setting may go, what it takes, and what it changes."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from domain.groups.models import GroupClient, GroupStatus
from schema.core.relay import global_id
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.policies.enrol import days
from tests.schema.settings.conftest import SET, Group, effective, set_

REMOVE = """
mutation Remove($input: SettingRemoveInput!) {
  settingRemove(input: $input) { removedId errors { field code message } }
}
"""

STATUS = 'query { groupClient(code: "ACME") { status } }'


def _set(owner: str, kind: str, **value: Any) -> dict[str, Any]:
    return {"input": {"ownerId": owner, "kind": kind, **value}}


@pytest.mark.parametrize(
    ("owner", "kind", "value", "code", "field"),
    [
        ("offer", "BROKER_AGENT", {"brokerAgent": "BRK-A"}, "NOT_ALLOWED", ["input", "ownerId"]),
        ("client", "BROKER_AGENT", {}, "REQUIRED", ["input", "brokerAgent"]),
        ("client", "BROKER_AGENT", {"brokerAgent": "NOPE"}, "NOT_FOUND", ["input", "brokerAgent"]),
        (
            "client",
            "GROUP_COMMISSION_RATE",
            {"groupCommissionRate": "101"},
            "INVALID_FORMAT",
            ["input", "groupCommissionRate"],
        ),
        (
            "offer",
            "PARAMETER_VALUE",
            {"parameterName": "COLOUR", "parameterValue": "red"},
            "NOT_FOUND",
            ["input", "parameterName"],
        ),
        (
            "client",
            "PROCESS_FLOW",
            {"processFlow": "x", "startDate": days(5), "endDate": days(4)},
            "END_BEFORE_START",
            ["input", "endDate"],
        ),
        (
            "nothing",
            "PROCESS_FLOW",
            {"processFlow": "x"},
            "NOT_FOUND",
            ["input", "ownerId"],
        ),
    ],
)
async def test_refuses_a_setting_that_does_not_fit_naming_the_field(
    admin: GraphQLClient,
    group: Group,
    owner: str,
    kind: str,
    value: dict[str, Any],
    code: str,
    field: list[str],
) -> None:
    # given
    target = getattr(group, owner, global_id("GroupClient", 999_999))
    # when
    payload = await admin.mutate(SET, _set(target, kind, **value))
    # then
    refused(payload, code, field)
    assert (await effective(admin, group.client))["processFlow"]["value"] is None


async def test_a_value_of_another_kind_is_refused(admin: GraphQLClient, group: Group) -> None:
    payload = await admin.mutate(
        SET, _set(group.client, "BROKER_AGENT", brokerAgent="BRK-A", processFlow="x")
    )
    refused(payload, "NOT_ALLOWED", ["input", "processFlow"])


async def test_the_same_setting_twice_at_once_on_one_level_overlaps(
    admin: GraphQLClient, group: Group
) -> None:
    # given the flow is set from next week on
    await set_(admin, group.client, "PROCESS_FLOW", processFlow="a", startDate=days(7))
    # when another is set until then, and another overlapping it
    await set_(admin, group.client, "PROCESS_FLOW", processFlow="b", endDate=days(6))
    payload = await admin.mutate(
        SET, _set(group.client, "PROCESS_FLOW", processFlow="c", startDate=days(6))
    )
    # then
    refused(payload, "OVERLAP", ["input", "startDate"])
    assert (await effective(admin, group.client, days(6)))["processFlow"]["value"] == "b"
    assert (await effective(admin, group.client, days(7)))["processFlow"]["value"] == "a"


async def test_a_setting_on_the_account_makes_the_group_changed_and_removing_it_falls_back(
    admin: GraphQLClient, group: Group, session: AsyncSession
) -> None:
    # given an approved group with the client's broker
    await set_(admin, group.client, "BROKER_AGENT", brokerAgent="BRK-A")
    await session.execute(
        sa.update(GroupClient)
        .where(GroupClient.id == group.where.client.id)  # type: ignore[arg-type]
        .values(status=GroupStatus.APPROVED)
    )
    await session.commit()
    # when the account gets its own
    setting = await set_(admin, group.account, "BROKER_AGENT", brokerAgent="BRK-B")
    # then the group must be approved again
    assert (await admin.query(STATUS))["groupClient"]["status"] == "CHANGED"
    # and when the account's is removed
    removed = ok(await admin.mutate(REMOVE, {"input": {"id": setting}}))
    # then
    assert removed["removedId"] == setting
    found = (await effective(admin, group.account))["brokerAgent"]
    assert found["value"] == {"code": "BRK-A"}
    refused(await admin.mutate(REMOVE, {"input": {"id": setting}}), "NOT_FOUND", ["input", "id"])
