"""policyMove: to another account or class from a date, keeping the history."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient

from authz.principal import Principal, Role
from schema.core.relay import global_id
from tests.conftest import token_for
from tests.factories import Book, Place, place
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.policies.enrol import POLICY_FIELDS, days, enrol

MOVE = f"""
mutation Move($input: PolicyMoveInput!) {{
  policyMove(input: $input) {{
    policy {{
      {POLICY_FIELDS}
      before: groupAccount(asOf: "{days(9)}") {{ code }}
      after: groupAccount(asOf: "{days(10)}") {{ code }}
      history {{
        groupAccounts {{ groupAccount {{ code }} startDate endDate }}
        insurableClasses {{ insurableClass {{ code }} startDate endDate }}
        enrollmentProducts {{ product {{ code }} startDate endDate }}
      }}
    }}
    errors {{ field message code }}
  }}
}}
"""


def _move(policy: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "input": {"policyId": policy["id"], "version": policy["version"], "date": days(10), **more}
    }


def _class(row: Any) -> str:
    return global_id("InsurableClass", row.id)


async def test_moves_to_another_account_from_a_date(
    admin: GraphQLClient, acme: Place, book: Book
) -> None:
    # given
    policy = await enrol(admin, acme)
    other = await place(book, code="GLOBEX")
    # when
    payload = await admin.mutate(
        MOVE,
        _move(
            policy,
            groupAccountId=global_id("GroupAccount", other.account.id),  # type: ignore[arg-type]
            insurableClassId=_class(other.staff),
        ),
    )
    # then the day before is in the old account, the day itself in the new one
    moved = ok(payload)["policy"]
    assert (moved["before"], moved["after"]) == ({"code": "ACME-GA"}, {"code": "GLOBEX-GA"})
    assert moved["history"]["groupAccounts"] == [
        {"groupAccount": {"code": "ACME-GA"}, "startDate": days(0), "endDate": days(9)},
        {"groupAccount": {"code": "GLOBEX-GA"}, "startDate": days(10), "endDate": None},
    ]
    assert [c["endDate"] for c in moved["history"]["insurableClasses"]] == [days(9), None]
    # and medical, offered there too, carries on
    assert moved["history"]["enrollmentProducts"] == [
        {"product": {"code": "MED-PPO"}, "startDate": days(0), "endDate": None}
    ]


async def test_moves_to_another_class_with_new_products(admin: GraphQLClient, acme: Place) -> None:
    # given
    policy = await enrol(admin, acme, dependants=[])
    # when John becomes an executive and takes term life too
    products = [
        {"productCode": "MED-PPO", "coverageTier": "EMPLOYEE_ONLY"},
        {"productCode": "LIFE-2X", "coverageTier": "EMPLOYEE_ONLY"},
    ]
    payload = await admin.mutate(
        MOVE, _move(policy, insurableClassId=_class(acme.executives), products=products)
    )
    # then
    moved = ok(payload)["policy"]
    assert [
        (p["product"]["code"], p["startDate"], p["endDate"])
        for p in moved["history"]["enrollmentProducts"]
    ] == [
        ("MED-PPO", days(0), days(9)),
        ("MED-PPO", days(10), None),
        ("LIFE-2X", days(10), None),
    ]


async def test_a_product_the_new_class_may_not_have_is_refused(
    admin: GraphQLClient, acme: Place
) -> None:
    # given an executive with term life
    policy = await enrol(
        admin,
        acme,
        dependants=[],
        insurableClassId=_class(acme.executives),
        products=[{"productCode": "LIFE-2X", "coverageTier": "EMPLOYEE_ONLY"}],
    )
    # when moved to staff, where term life is not offered
    payload = await admin.mutate(MOVE, _move(policy, insurableClassId=_class(acme.staff)))
    # then
    refused(payload, "NOT_OFFERED", ["input", "insurableClassId"])


async def test_refuses_bad_moves(admin: GraphQLClient, acme: Place, book: Book) -> None:
    # given
    policy = await enrol(admin, acme)
    other = await place(book, code="GLOBEX")
    cases = [
        (_move(policy), "REQUIRED", ["input", "groupAccountId"]),
        (
            _move(policy, insurableClassId=_class(other.staff)),
            "NOT_OFFERED",
            ["input", "insurableClassId"],
        ),
        (
            _move(policy, groupAccountId=global_id("GroupAccount", other.account.id)),  # type: ignore[arg-type]
            "REQUIRED",
            ["input", "insurableClassId"],
        ),
        (
            _move(policy, date=days(-100), insurableClassId=_class(acme.executives)),
            "TOO_FAR_BACK",
            ["input", "date"],
        ),
        (
            _move(policy, version=7, insurableClassId=_class(acme.executives)),
            "STALE_VERSION",
            ["input", "version"],
        ),
    ]
    for variables, code, field in cases:
        refused(await admin.mutate(MOVE, variables), code, field)
    # then nothing moved
    again = await admin.query(
        "query($id: ID!) { policy(id: $id) { version history { groupAccounts { endDate } } } }",
        {"id": policy["id"]},
    )
    assert again["policy"] == {
        "version": policy["version"],
        "history": {"groupAccounts": [{"endDate": None}]},
    }


async def test_a_move_keeps_at_least_one_product(admin: GraphQLClient, acme: Place) -> None:
    # given
    policy = await enrol(admin, acme)
    # when
    payload = await admin.mutate(
        MOVE, _move(policy, insurableClassId=_class(acme.executives), products=[])
    )
    # then
    refused(payload, "REQUIRED", ["input", "products"])


async def test_a_class_of_another_account_is_not_offered_or_unknown_if_hidden(
    http: AsyncClient, admin: GraphQLClient, acme: Place, book: Book
) -> None:
    # given ACME's manager, who sees ACME's classes but not GLOBEX's
    policy = await enrol(admin, acme)
    other = await place(book, code="GLOBEX")
    manager = GraphQLClient(
        http,
        token_for(
            Principal("hr-acme", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"ACME"}))
        ),
    )
    account = global_id("GroupAccount", acme.account.id)  # type: ignore[arg-type]
    # when both move the policy within ACME's account to GLOBEX's class
    by_admin = await admin.mutate(
        MOVE, _move(policy, groupAccountId=account, insurableClassId=_class(other.staff))
    )
    by_manager = await manager.mutate(
        MOVE, _move(policy, groupAccountId=account, insurableClassId=_class(other.staff))
    )
    # then the admin learns the class is not offered there, the manager that it is unknown
    refused(by_admin, "NOT_OFFERED", ["input", "insurableClassId"])
    refused(by_manager, "NOT_FOUND", ["input", "insurableClassId"])
    assert "GLOBEX" not in str(by_manager)
