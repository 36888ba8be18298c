"""groupAccountProductAdd: offer a product to some or all classes of an account."""

from __future__ import annotations

from typing import Any

import pytest

from domain.groups.models import GroupAccount, GroupStatus, InsurableClass
from schema.core.relay import global_id
from tests.factories import Book
from tests.graphql import GraphQLClient, ok, refused

ADD = """
mutation Add($input: GroupAccountProductAddInput!) {
  groupAccountProductAdd(input: $input) {
    groupAccountProduct {
      id product { code } groupAccount { code } insurableClasses { code } openToAllClasses
    }
    errors { field message code }
  }
}
"""

STATE = """
query State($code: String!) {
  groupAccount(code: $code) {
    version
    products { product { code } insurableClasses { code } openToAllClasses }
    groupClient { status }
  }
  auditEvents(filter: {action: "groupAccountProductAdd"}) {
    totalCount edges { node { actor entityType entityId before after } }
  }
}
"""

NODE = """
query Node($id: ID!) {
  node(id: $id) { __typename ... on GroupAccountProduct { product { code } } }
}
"""


@pytest.fixture
async def book(session) -> Book:
    return await Book(session).setup()


@pytest.fixture
async def account(book: Book) -> GroupAccount:
    """An account with classes C0, C1 and C2, offering nothing yet, under an approved client."""
    client = await book.client(code="ACME")
    account = await book.account(client, code="ACME-STAFF", classes=3)
    client.status = GroupStatus.APPROVED
    await book.session.commit()
    return account


def _input(account: GroupAccount, product: str = "MED-PPO", **more: Any) -> dict[str, Any]:
    values = {
        "groupAccountId": global_id("GroupAccount", account.id),  # type: ignore[arg-type]
        "productCode": product,
    }
    return {"input": {**values, **more}}


async def _state(admin: GraphQLClient) -> dict[str, Any]:
    return await admin.query(STATE, {"code": "ACME-STAFF"})


async def test_offers_a_product_to_the_classes_listed(
    admin: GraphQLClient, account: GroupAccount
) -> None:
    # when
    payload = await admin.mutate(ADD, _input(account, insurableClassCodes=["C2", "C0"]))
    # then
    offer = ok(payload)["groupAccountProduct"]
    assert offer["product"] == {"code": "MED-PPO"}
    assert offer["groupAccount"] == {"code": "ACME-STAFF"}
    assert sorted(c["code"] for c in offer["insurableClasses"]) == ["C0", "C2"]
    assert offer["openToAllClasses"] is False
    (listed,) = (await _state(admin))["groupAccount"]["products"]
    assert listed["product"] == {"code": "MED-PPO"}
    assert sorted(c["code"] for c in listed["insurableClasses"]) == ["C0", "C2"]
    assert listed["openToAllClasses"] is False


@pytest.mark.parametrize("classes", [None, []], ids=["left-out", "empty"])
async def test_offers_a_product_to_every_class_when_none_are_listed(
    admin: GraphQLClient, account: GroupAccount, classes: list[str] | None
) -> None:
    # when
    payload = await admin.mutate(ADD, _input(account, insurableClassCodes=classes))
    # then
    offer = ok(payload)["groupAccountProduct"]
    assert offer["insurableClasses"] == []
    assert offer["openToAllClasses"] is True
    (listed,) = (await _state(admin))["groupAccount"]["products"]
    assert listed["openToAllClasses"] is True


async def test_a_class_listed_twice_is_allowed_once(
    admin: GraphQLClient, account: GroupAccount
) -> None:
    # when
    payload = await admin.mutate(ADD, _input(account, insurableClassCodes=["C1", " C1 "]))
    # then
    assert ok(payload)["groupAccountProduct"]["insurableClasses"] == [{"code": "C1"}]


async def test_marks_the_client_changed_and_records_an_audit_event(
    admin: GraphQLClient, account: GroupAccount
) -> None:
    # when
    offer = ok(await admin.mutate(ADD, _input(account, "DEN-BASIC")))["groupAccountProduct"]
    # then
    state = await _state(admin)
    assert state["groupAccount"]["groupClient"]["status"] == "CHANGED"
    (event,) = [e["node"] for e in state["auditEvents"]["edges"]]
    assert event["actor"] == "admin-1"
    assert event["entityType"] == "GroupAccountProduct"
    assert event["entityId"] == offer["id"]
    assert event["before"] is None
    assert event["after"]["group_account_id"] == account.id
    node = (await admin.query(NODE, {"id": event["entityId"]}))["node"]
    assert node == {"__typename": "GroupAccountProduct", "product": {"code": "DEN-BASIC"}}


async def test_the_same_product_may_be_offered_by_two_accounts(
    admin: GraphQLClient, book: Book, account: GroupAccount
) -> None:
    # given
    other = await book.account(await book.client(), code="OTHER-STAFF")
    await book.session.commit()
    # when
    first = await admin.mutate(ADD, _input(account))
    second = await admin.mutate(ADD, _input(other))
    # then
    assert ok(first)["groupAccountProduct"]["groupAccount"] == {"code": "ACME-STAFF"}
    assert ok(second)["groupAccountProduct"]["groupAccount"] == {"code": "OTHER-STAFF"}


async def test_refuses_a_product_already_offered(
    admin: GraphQLClient, account: GroupAccount
) -> None:
    # given
    ok(await admin.mutate(ADD, _input(account, insurableClassCodes=["C0"])))
    before = await _state(admin)
    # when
    payload = await admin.mutate(ADD, _input(account, insurableClassCodes=["C1"]))
    # then
    refused(payload, "DUPLICATE", ["input", "productCode"])
    assert payload["groupAccountProduct"] is None
    after = await _state(admin)
    assert after == before
    (listed,) = after["groupAccount"]["products"]
    assert listed["insurableClasses"] == [{"code": "C0"}]
    assert after["auditEvents"]["totalCount"] == 1


REFUSALS = [
    pytest.param(
        {"product": "VISION-X"}, "NOT_FOUND", ["input", "productCode"], id="unknown-product"
    ),
    pytest.param(
        {"insurableClassCodes": ["C0", "NOPE"]},
        "NOT_FOUND",
        ["input", "insurableClassCodes", "1"],
        id="unknown-class",
    ),
    pytest.param(
        {"insurableClassCodes": ["C0", "C0", "NOPE"]},
        "NOT_FOUND",
        ["input", "insurableClassCodes", "2"],
        id="unknown-class-after-a-repeat",
    ),
    pytest.param(
        {"insurableClassCodes": ["OTHER-CLASS"]},
        "NOT_FOUND",
        ["input", "insurableClassCodes", "0"],
        id="class-of-another-account",
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
async def test_refuses_bad_input_and_saves_nothing(
    admin: GraphQLClient,
    book: Book,
    account: GroupAccount,
    changes: dict[str, Any],
    code: str,
    field: list[str],
) -> None:
    # given
    other = await book.account(await book.client(), code="OTHER-STAFF")
    book.session.add(
        InsurableClass(group_account_id=other.id, code="OTHER-CLASS", name="Other")  # type: ignore[arg-type]
    )
    await book.session.commit()
    before = await _state(admin)
    changes = dict(changes)
    request = _input(account, changes.pop("product", "MED-PPO"))
    request["input"].update(changes)
    # when
    payload = await admin.mutate(ADD, request)
    # then
    refused(payload, code, field)
    assert payload["groupAccountProduct"] is None
    after = await _state(admin)
    assert after == before
    assert after["groupAccount"]["products"] == []
    assert after["groupAccount"]["groupClient"]["status"] == "APPROVED"
    assert after["auditEvents"]["totalCount"] == 0


async def test_reports_every_problem_together(admin: GraphQLClient, account: GroupAccount) -> None:
    # when
    payload = await admin.mutate(
        ADD, _input(account, "VISION-X", insurableClassCodes=["NOPE", "C1", "GONE"])
    )
    # then
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("NOT_FOUND", ["input", "productCode"]),
        ("NOT_FOUND", ["input", "insurableClassCodes", "0"]),
        ("NOT_FOUND", ["input", "insurableClassCodes", "2"]),
    ]
    assert "NOPE" in payload["errors"][1]["message"]
    assert "GONE" in payload["errors"][2]["message"]
    assert (await _state(admin))["groupAccount"]["products"] == []


async def test_reports_a_duplicate_and_an_unknown_class_together(
    admin: GraphQLClient, account: GroupAccount
) -> None:
    # given
    ok(await admin.mutate(ADD, _input(account)))
    # when
    payload = await admin.mutate(ADD, _input(account, insurableClassCodes=["NOPE"]))
    # then
    assert sorted((e["code"], e["field"]) for e in payload["errors"]) == [
        ("DUPLICATE", ["input", "productCode"]),
        ("NOT_FOUND", ["input", "insurableClassCodes", "0"]),
    ]
