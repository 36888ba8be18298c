"""DEPENDANT_REMOVAL and the wider DATA_CHANGE, from every channel that may send them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Book, place
from tests.graphql import GraphQLClient, refused
from tests.schema.policies.enrol import days, enrol, person, years_ago
from tests.schema.workflow.conftest import Cast
from tests.schema.workflow.requests import submit, submitted
from tests.schema.workflow.test_request_flows import _run_to_end

POLICY = """
query($id: ID!) { node(id: $id) { ... on Policy {
  members { person { id givenName familyName birthDate addressLine city } endDate refundIban }
} } }
"""
MEMBERS = """
query($id: ID!) { node(id: $id) { ... on Policy { members { person { id } endDate } } } }
"""
LIST = "{ workflowRequests { totalCount } }"
IBAN = "DE89 3704 0044 0532 0130 00"


def _member(cast: Cast, name: str) -> str:
    return next(
        m["person"]["id"] for m in cast.policy["members"] if m["person"]["givenName"] == name
    )


def _removal(cast: Cast, channel: str, **values: Any) -> dict[str, Any]:
    """Jane's cover to end in ten days, with `values` instead."""
    given = {"endDate": days(10), "reason": "Divorce", "personId": _member(cast, "Jane")}
    return {"type": "DEPENDANT_REMOVAL", "channel": channel, **given, **values}


async def _members(client: GraphQLClient, cast: Cast, query: str = POLICY) -> dict[str, Any]:
    data = await client.query(query, {"id": cast.policy_id})
    return {m["person"]["id"]: m for m in data["node"]["members"]}


@pytest.mark.parametrize("channel", ["BACK_OFFICE", "GROUP_PORTAL", "EMPLOYEE"])
async def test_a_dependant_is_removed_by_request_from_every_channel(
    cast: Cast, channel: str
) -> None:
    # given Jane, John's spouse on P-1
    sender = cast.by_channel(channel)
    jane = _member(cast, "Jane")
    # when John's household asks that her cover end in ten days, and it runs its course
    made = await submitted(sender, **_removal(cast, channel))
    end, path = await _run_to_end(cast, sender, made)
    # then it is registered, after the manager's approval for the employee's
    assert end["state"] == "COMPLETED", end["timeline"]
    assert path == (["manager_approval"] if channel == "EMPLOYEE" else [])
    members = await _members(cast.admin, cast, MEMBERS)
    assert members[jane]["endDate"] == days(10)
    assert members[cast.holder_id]["endDate"] is None


async def test_a_partner_cannot_send_a_dependant_removal(cast: Cast) -> None:
    payload = await submit(cast.partner, **_removal(cast, "PARTNER"))
    refused(payload, "NOT_ALLOWED", ["input", "channel"])


def _removals() -> list[Any]:
    return [
        ({"personId": "HOLDER"}, "NOT_ALLOWED", ["input", "personId"]),
        ({"personId": "JANE", "endDate": days(-1)}, "END_BEFORE_START", ["input", "endDate"]),
        ({"personId": "JANE", "reason": None}, "REQUIRED", ["input", "reason"]),
        ({"personId": "JANE", "endDate": None}, "REQUIRED", ["input", "endDate"]),
        ({"personId": "garbage"}, "NOT_FOUND", ["input", "personId"]),
    ]


@pytest.mark.parametrize(("values", "code", "field"), _removals())
async def test_a_wrong_dependant_removal_is_refused_by_field_and_nothing_is_kept(
    cast: Cast, values: dict[str, Any], code: str, field: list[str]
) -> None:
    # given
    who = {"HOLDER": cast.holder_id, "JANE": _member(cast, "Jane")}
    given = {"endDate": days(10), "reason": "Divorce", **values}
    given["personId"] = who.get(given["personId"], given["personId"])
    before = await _members(cast.admin, cast, MEMBERS)
    # when
    payload = await submit(cast.employee, type="DEPENDANT_REMOVAL", channel="EMPLOYEE", **given)
    # then
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)], payload
    assert (await cast.admin.query(LIST))["workflowRequests"]["totalCount"] == 0
    assert await _members(cast.admin, cast, MEMBERS) == before


async def test_another_employers_manager_cannot_remove_a_dependant_they_cannot_see(
    cast: Cast, book: Book
) -> None:
    # given GLOBEX's own policy, so that its manager has something in reach
    globex = await place(book, code="GLOBEX")
    await enrol(cast.admin, globex, subscriber={"person": person("Gil", nationalId="NID-GIL")})
    # when GLOBEX's manager names ACME's Jane
    payload = await submit(cast.stranger_manager, **_removal(cast, "GROUP_PORTAL"))
    # then she reads as an unknown id
    refused(payload, "NOT_FOUND", ["input", "personId"])


@pytest.mark.parametrize("channel", ["BACK_OFFICE", "GROUP_PORTAL", "EMPLOYEE", "PARTNER"])
async def test_a_data_change_changes_name_address_birth_date_and_refund_account(
    cast: Cast, channel: str
) -> None:
    # given John, and his child Jim whose birth date was typed a year early
    sender = cast.by_channel(channel)
    jim = _member(cast, "Jim")
    # when the name and address of John, then Jim's birth date and refund account, change
    first = await submitted(
        sender,
        type="DATA_CHANGE",
        channel=channel,
        personId=cast.holder_id,
        name={"familyName": "Smith", "evidenceReference": "MC-2026-118"},
        contact={"addressLine": "1 Main St", "city": "Springfield"},
    )
    second = await submitted(
        sender,
        type="DATA_CHANGE",
        channel=channel,
        personId=jim,
        birthDate=years_ago(9),
        refundIban=IBAN,
    )
    ends = [(await _run_to_end(cast, sender, made))[0] for made in (first, second)]
    # then both are registered, and the account is kept compact on Jim's membership
    assert [end["state"] for end in ends] == ["COMPLETED", "COMPLETED"], ends
    assert ends[0]["result"] == {
        "changed": ["addressLine", "city", "familyName"],
        "evidenceReference": "MC-2026-118",
    }
    members = await _members(cast.back_office, cast)
    john, child = members[cast.holder_id], members[jim]
    assert (john["person"]["familyName"], john["person"]["city"]) == ("Smith", "Springfield")
    assert (child["person"]["birthDate"], child["refundIban"]) == (
        years_ago(9),
        "DE89370400440532013000",
    )


async def test_a_refund_account_is_forbidden_to_the_employer_and_left_out_of_details(
    cast: Cast,
) -> None:
    # given John's refund account, set by his own request
    made = await submitted(
        cast.employee,
        type="DATA_CHANGE",
        channel="EMPLOYEE",
        personId=cast.holder_id,
        refundIban=IBAN,
    )
    await _run_to_end(cast, cast.employee, made)
    # when his employer's manager reads the policy and the request
    body = await cast.manager.raw(POLICY, {"id": cast.policy_id})
    asked = await cast.manager.raw(
        "query($id: ID!) { node(id: $id) { ... on WorkflowRequest { details refundIban } } }",
        {"id": made["id"]},
    )
    # then the account is FORBIDDEN to them, and not in the details they may read
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}
    assert all(m["refundIban"] is None for m in body["data"]["node"]["members"])
    assert [e["path"] for e in asked["errors"]] == [["node", "refundIban"]]
    assert "refundIban" not in asked["data"]["node"]["details"]
    # and the employee reads their own
    mine = await _members(cast.employee, cast)
    assert mine[cast.holder_id]["refundIban"] == "DE89370400440532013000"


def _data_changes() -> list[Any]:
    return [
        (
            {"refundIban": "DE89 3704 0044 0532 0130 01"},
            "INVALID_FORMAT",
            ["input", "refundIban"],
        ),
        ({"refundIban": "hello"}, "INVALID_FORMAT", ["input", "refundIban"]),
        (
            {"name": {"givenName": "Jo", "evidenceReference": "  "}},
            "REQUIRED",
            ["input", "name", "evidenceReference"],
        ),
        ({"name": {"evidenceReference": "MC-1"}}, "REQUIRED", ["input", "name"]),
        ({}, "REQUIRED", ["input", "contact"]),
        ({"birthDate": days(3)}, "INVALID_FORMAT", ["input", "birthDate"]),
        ({"personId": "garbage", "refundIban": IBAN}, "NOT_FOUND", ["input", "personId"]),
        # Jim, ten, made thirty: covered as a child past the age limit
        ({"personId": "JIM", "birthDate": years_ago(30)}, "AGE_LIMIT", ["input", "birthDate"]),
    ]


@pytest.mark.parametrize(("values", "code", "field"), _data_changes())
async def test_a_wrong_data_change_is_refused_by_field_and_nothing_is_kept(
    cast: Cast, values: dict[str, Any], code: str, field: list[str]
) -> None:
    # given
    given = {"personId": cast.holder_id, **values}
    given["personId"] = {"JIM": _member(cast, "Jim")}.get(given["personId"], given["personId"])
    # when
    payload = await submit(cast.employee, type="DATA_CHANGE", channel="EMPLOYEE", **given)
    # then
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)], payload
    assert (await cast.admin.query(LIST))["workflowRequests"]["totalCount"] == 0
    members = await _members(cast.back_office, cast)
    assert all(m["refundIban"] is None for m in members.values())
    assert members[cast.holder_id]["person"]["familyName"] == "Doe"


async def test_another_employers_manager_cannot_change_a_person_they_cannot_see(
    cast: Cast, book: Book
) -> None:
    globex = await place(book, code="GLOBEX")
    await enrol(cast.admin, globex, subscriber={"person": person("Gil", nationalId="NID-GIL")})
    payload = await submit(
        cast.stranger_manager,
        type="DATA_CHANGE",
        channel="GROUP_PORTAL",
        personId=cast.holder_id,
        refundIban=IBAN,
    )
    refused(payload, "NOT_FOUND", ["input", "personId"])
