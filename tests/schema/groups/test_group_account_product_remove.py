"""groupAccountProductRemove: stop offering a product in a group account."""

from __future__ import annotations

from typing import Any

import pytest

from domain.groups.models import GroupAccount, GroupStatus
from schema.core.relay import global_id
from tests.factories import Book, place
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.policies.enrol import days, enrol, person

REMOVE = """
mutation Remove($input: GroupAccountProductRemoveInput!) {
  groupAccountProductRemove(input: $input) {
    groupAccount { code products { product { code } } }
    errors { field message code }
  }
}
"""

ADD = """
mutation Add($input: GroupAccountProductAddInput!) {
  groupAccountProductAdd(input: $input) {
    groupAccountProduct { product { code } openToAllClasses }
    errors { field message code }
  }
}
"""

STATE = """
query State($code: String!) {
  groupAccount(code: $code) {
    version
    products { id product { code } insurableClasses { code } }
    groupClient { status }
  }
  auditEvents(filter: {action: "groupAccountProductRemove"}) {
    totalCount edges { node { actor entityType entityId before after } }
  }
}
"""

NODE = """
query Node($id: ID!) { node(id: $id) { __typename } }
"""


@pytest.fixture
async def book(session) -> Book:
    return await Book(session).setup()


@pytest.fixture
async def account(book: Book) -> GroupAccount:
    """An account offering MED-PPO and DEN-BASIC to class C0, under an approved client."""
    client = await book.client(code="ACME")
    account = await book.account(client, code="ACME-STAFF", classes=2, products=2)
    client.status = GroupStatus.APPROVED
    await book.session.commit()
    return account


def _input(account: GroupAccount, product: str) -> dict[str, Any]:
    return {
        "input": {
            "groupAccountId": global_id("GroupAccount", account.id),  # type: ignore[arg-type]
            "productCode": product,
        }
    }


async def _state(admin: GraphQLClient) -> dict[str, Any]:
    return await admin.query(STATE, {"code": "ACME-STAFF"})


async def test_stops_offering_the_product(admin: GraphQLClient, account: GroupAccount) -> None:
    # when
    payload = await admin.mutate(REMOVE, _input(account, "DEN-BASIC"))
    # then
    assert ok(payload)["groupAccount"] == {
        "code": "ACME-STAFF",
        "products": [{"product": {"code": "MED-PPO"}}],
    }
    state = await _state(admin)
    assert [p["product"]["code"] for p in state["groupAccount"]["products"]] == ["MED-PPO"]
    assert state["groupAccount"]["groupClient"]["status"] == "CHANGED"


async def test_records_an_audit_event_for_the_offer_removed(
    admin: GraphQLClient, account: GroupAccount, book: Book
) -> None:
    # given
    (removed,) = [
        p["id"]
        for p in (await _state(admin))["groupAccount"]["products"]
        if p["product"]["code"] == "DEN-BASIC"
    ]
    # when
    ok(await admin.mutate(REMOVE, _input(account, "DEN-BASIC")))
    # then
    (event,) = [e["node"] for e in (await _state(admin))["auditEvents"]["edges"]]
    assert event["actor"] == "admin-1"
    assert event["entityType"] == "GroupAccountProduct"
    assert event["entityId"] == removed
    assert event["before"]["product_id"] == book.dental.id
    assert event["before"]["group_account_id"] == account.id
    assert event["after"] is None
    assert (await admin.query(NODE, {"id": removed}))["node"] is None


async def test_a_removed_product_can_be_offered_again(
    admin: GraphQLClient, account: GroupAccount
) -> None:
    # given
    ok(await admin.mutate(REMOVE, _input(account, "MED-PPO")))
    # when
    payload = await admin.mutate(ADD, _input(account, "MED-PPO"))
    # then
    assert ok(payload)["groupAccountProduct"] == {
        "product": {"code": "MED-PPO"},
        "openToAllClasses": True,
    }


REFUSALS = [
    pytest.param(
        {"productCode": "LIFE-2X"}, "NOT_OFFERED", ["input", "productCode"], id="not-offered"
    ),
    pytest.param(
        {"productCode": "VISION-X"}, "NOT_FOUND", ["input", "productCode"], id="unknown-product"
    ),
    pytest.param(
        {"groupAccountId": global_id("GroupAccount", 999_999)},
        "NOT_FOUND",
        ["input", "groupAccountId"],
        id="unknown-account",
    ),
    pytest.param(
        {"groupAccountId": "garbage"}, "NOT_FOUND", ["input", "groupAccountId"], id="malformed-id"
    ),
]


@pytest.mark.parametrize(("changes", "code", "field"), REFUSALS)
async def test_refuses_bad_input_and_changes_nothing(
    admin: GraphQLClient,
    account: GroupAccount,
    changes: dict[str, Any],
    code: str,
    field: list[str],
) -> None:
    # given
    before = await _state(admin)
    request = _input(account, "MED-PPO")
    request["input"].update(changes)
    # when
    payload = await admin.mutate(REMOVE, request)
    # then
    refused(payload, code, field)
    assert payload["groupAccount"] is None
    after = await _state(admin)
    assert after == before
    assert [p["product"]["code"] for p in after["groupAccount"]["products"]] == [
        "MED-PPO",
        "DEN-BASIC",
    ]
    assert after["groupAccount"]["groupClient"]["status"] == "APPROVED"
    assert after["auditEvents"]["totalCount"] == 0


async def test_refuses_to_remove_a_product_twice(
    admin: GraphQLClient, account: GroupAccount
) -> None:
    # given
    ok(await admin.mutate(REMOVE, _input(account, "MED-PPO")))
    # when
    payload = await admin.mutate(REMOVE, _input(account, "MED-PPO"))
    # then
    refused(payload, "NOT_OFFERED", ["input", "productCode"])
    assert (await _state(admin))["auditEvents"]["totalCount"] == 1


async def test_an_offer_policies_are_enrolled_in_stays(admin: GraphQLClient, book: Book) -> None:
    # given a family enrolled in Acme's medical
    acme = await place(book)
    await enrol(admin, acme)
    # when the offer is withdrawn
    payload = await admin.mutate(
        REMOVE, {"input": {"groupAccountId": _account_id(acme), "productCode": "MED-PPO"}}
    )
    # then
    refused(payload, "IN_USE", ["input", "productCode"])


async def test_an_offer_enrolled_only_in_the_past_goes_and_the_policy_stays_changeable(
    admin: GraphQLClient, book: Book
) -> None:
    # given medical that ended last month on a policy
    acme = await place(book)
    ended = [{"productCode": "MED-PPO", "coverageTier": "EMPLOYEE_ONLY", "endDate": days(-30)}]
    policy = await enrol(admin, acme, startDate=days(-60), products=ended, dependants=[])
    # when the offer is withdrawn
    ok(
        await admin.mutate(
            REMOVE, {"input": {"groupAccountId": _account_id(acme), "productCode": "MED-PPO"}}
        )
    )
    # then the policy's history does not stand in the way of a change today
    added = await admin.mutate(
        ADD_MEMBER,
        {
            "input": {
                "policyId": policy["id"],
                "version": policy["version"],
                "person": person("Jane"),
                "relationship": "SPOUSE",
            }
        },
    )
    ok(added)


def _account_id(where: Any) -> str:
    return global_id("GroupAccount", where.account.id)


ADD_MEMBER = """
mutation($input: PolicyMemberAddInput!) {
  policyMemberAdd(input: $input) { policy { id } errors { field code message } }
}
"""
