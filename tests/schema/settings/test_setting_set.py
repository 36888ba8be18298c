"""settingSet and settingRemove: where a setting may go, what it takes, and what it changes."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.principal import Principal, Role
from domain.audit.models import AuditEvent
from domain.groups.models import GroupAccount, GroupClient, GroupStatus
from domain.reference.models import DataAccessGroup
from schema.core.relay import global_id
from tests.conftest import token_for
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.policies.enrol import days
from tests.schema.settings.conftest import SET, Group, effective, set_

REMOVE = """
mutation Remove($input: SettingRemoveInput!) {
  settingRemove(input: $input) { removedId errors { field code message } }
}
"""

STATUS = 'query { groupClient(code: "ACME") { status } }'
VERSION = 'query { groupClient(code: "ACME") { status version } }'

BACK_OFFICE = Principal(
    "bo-1",
    frozenset({Role.BACKOFFICE}),
    data_access_groups=frozenset({"EU"}),
    lines_of_business=frozenset({"HEALTH"}),
)


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


async def _account_in_the_us(session: AsyncSession, group: Group) -> None:
    """Put ACME's account in the US data access group, out of an EU back office's reach."""
    us = await session.scalar(
        sa.select(col(DataAccessGroup.id)).where(DataAccessGroup.code == "US")
    )
    await session.execute(
        sa.update(GroupAccount)
        .where(col(GroupAccount.id) == group.where.account.id)
        .values(data_access_group_id=us)
    )
    await session.commit()


async def test_a_setting_out_of_the_callers_reach_reads_as_an_unknown_id(
    admin: GraphQLClient, http: AsyncClient, group: Group, session: AsyncSession
) -> None:
    # given a setting on an account the back office does not reach
    await _account_in_the_us(session, group)
    setting = await set_(admin, group.account, "BROKER_AGENT", brokerAgent="BRK-B")
    back_office = GraphQLClient(http, token_for(BACK_OFFICE))
    unknown_account = global_id("GroupAccount", 999_999)
    # when it sets one there, or removes the one there
    answers = [
        await back_office.mutate(SET, _set(owner, "BROKER_AGENT", brokerAgent="BRK-A"))
        for owner in (group.account, unknown_account)
    ] + [
        await back_office.mutate(REMOVE, {"input": {"id": setting_id}})
        for setting_id in (setting, global_id("Setting", 999_999))
    ]
    # then each reads exactly as an id that names nothing
    assert [e for answer in answers for e in answer["errors"]] == [
        *[
            {
                "field": ["input", "ownerId"],
                "code": "NOT_FOUND",
                "message": "No group account with this id.",
            }
        ]
        * 2,
        *[{"field": ["input", "id"], "code": "NOT_FOUND", "message": "No setting with this id."}]
        * 2,
    ]
    actors = await session.scalars(sa.select(col(AuditEvent.actor)).distinct())
    assert list(actors) == ["admin-1"]


async def test_each_change_to_a_setting_is_audited_and_moves_the_groups_version_by_one(
    admin: GraphQLClient, group: Group, session: AsyncSession
) -> None:
    # given an approved group
    await session.execute(
        sa.update(GroupClient)
        .where(col(GroupClient.id) == group.where.client.id)
        .values(status=GroupStatus.APPROVED)
    )
    await session.commit()
    before = (await admin.query(VERSION))["groupClient"]
    # when a setting is set on its account's offer, then removed
    setting = await set_(admin, group.offer, "ASSIGNED_PROVIDER_GROUP", providerGroup="NET-A")
    after_set = (await admin.query(VERSION))["groupClient"]
    ok(await admin.mutate(REMOVE, {"input": {"id": setting}}))
    after_remove = (await admin.query(VERSION))["groupClient"]
    # then the group is CHANGED, its version one further at each change
    assert before["status"] == "APPROVED"
    assert after_set == {"status": "CHANGED", "version": before["version"] + 1}
    assert after_remove == {"status": "CHANGED", "version": before["version"] + 2}
    # and the trail holds both changes of the setting, by their action
    events = (
        await session.scalars(
            sa.select(AuditEvent)
            .where(col(AuditEvent.entity_type) == "Setting")
            .order_by(col(AuditEvent.id))
        )
    ).all()
    assert [(e.action, e.actor) for e in events][-2:] == [
        ("settingSet", "admin-1"),
        ("settingRemove", "admin-1"),
    ]
    created, removed = events[-2:]
    assert (created.before, removed.after) == (None, None)
    assert created.after == removed.before
