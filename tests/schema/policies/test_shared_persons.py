"""Persons shared by several employers: one row per human, and each employer learns of them
only what it typed or what is on its own policies (issue 13, reproduction 2)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from httpx import AsyncClient

from authz.principal import Principal, Role
from schema.core.relay import global_id
from tests.conftest import token_for
from tests.factories import Book, Place, place
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.policies.enrol import days, enrol_input, person

ENROLL = """
mutation Enroll($input: PolicyEnrollInput!) {
  policyEnroll(input: $input) {
    policy {
      id number version
      employment { employeeNumber workEmail salary salaryCurrency }
      subscriber { id version givenName familyName birthDate nationalId email phone }
    }
    errors { field message code }
  }
}
"""

EMPLOYMENT = """
query($id: ID!) {
  node(id: $id) { ... on Policy { employment { employeeNumber workEmail salary salaryCurrency } } }
}
"""

EMPLOYMENT_UPDATE = """
mutation Change($input: PolicyEmploymentUpdateInput!) {
  policyEmploymentUpdate(input: $input) {
    policy { version employment { employeeNumber workEmail salary salaryCurrency } }
    errors { field message code }
  }
}
"""

PERSON_UPDATE = """
mutation Update($input: PersonUpdateInput!) {
  personUpdate(input: $input) {
    person { version phone }
    errors { field message code }
  }
}
"""

TERMINATE = """
mutation End($input: PolicyTerminateInput!) {
  policyTerminate(input: $input) { policy { status } errors { field message code } }
}
"""

JOHN = person("John", nationalId="NID-JOHN")
AT_NORTHWIND = {
    "employeeNumber": "NW-7",
    "workEmail": "john@northwind.example",
    "salary": "91000.00",
    "salaryCurrency": "EUR",
}
NOTHING_KNOWN = {"employeeNumber": None, "workEmail": None, "salary": None, "salaryCurrency": None}


async def _medical(client: GraphQLClient, where: Place, **changes: Any) -> dict[str, Any]:
    changes = {"dependants": [], **changes}
    return ok(await client.mutate(ENROLL, enrol_input(where, **changes)))["policy"]


@pytest.fixture
async def northwind(book: Book) -> Place:
    return await place(book, code="NORTHWIND")


@pytest.fixture
async def globex(book: Book) -> Place:
    return await place(book, code="GLOBEX")


def _manager(http: AsyncClient, of: Place) -> GraphQLClient:
    principal = Principal(
        f"hr-{of.client.code}", frozenset({Role.GROUP_MANAGER}), groups=frozenset({of.client.code})
    )
    return GraphQLClient(http, token_for(principal))


def _life(where: Place, **changes: Any) -> dict[str, Any]:
    """An enrolment in term life, so that one person may also have medical elsewhere."""
    return enrol_input(
        where,
        **{
            "dependants": [],
            "insurableClassId": global_id("InsurableClass", where.executives.id),  # type: ignore[arg-type]
            "products": [{"productCode": "LIFE-2X", "coverageTier": "EMPLOYEE_ONLY"}],
            **changes,
        },
    )


async def _enrol(client: GraphQLClient, where: Place, **changes: Any) -> dict[str, Any]:
    return ok(await client.mutate(ENROLL, _life(where, **changes)))["policy"]


async def test_enrolling_a_national_id_known_at_another_employer_shows_only_what_was_typed(
    http: AsyncClient, northwind: Place, globex: Place
) -> None:
    # given John insured through NORTHWIND, with what NORTHWIND knows of him
    theirs = await _medical(
        _manager(http, northwind), northwind, subscriber={"person": JOHN}, employment=AT_NORTHWIND
    )
    globex_hr = _manager(http, globex)
    # when GLOBEX's manager enrols the same national id, birth date and names
    body = await globex_hr.raw(ENROLL, _life(globex, subscriber={"person": JOHN}))
    # then it is the same person, and the answer holds nothing NORTHWIND recorded
    ours = ok(body["data"]["policyEnroll"])["policy"]
    assert ours["subscriber"]["id"] == theirs["subscriber"]["id"]
    assert ours["employment"] == NOTHING_KNOWN
    assert {k: ours["subscriber"][k] for k in ("givenName", "familyName", "birthDate")} == {
        "givenName": JOHN["givenName"],
        "familyName": JOHN["familyName"],
        "birthDate": JOHN["birthDate"],
    }
    answer = json.dumps(body)
    assert not any(known in answer for known in ("NW-7", "northwind", "91000"))
    assert await globex_hr.query(EMPLOYMENT, {"id": theirs["id"]}) == {"node": None}


async def test_a_product_the_person_has_elsewhere_is_refused_naming_no_policy_nor_dates(
    http: AsyncClient, northwind: Place, globex: Place
) -> None:
    # given John with medical at NORTHWIND since a day in the past
    theirs = await _medical(
        _manager(http, northwind), northwind, subscriber={"person": JOHN}, startDate=days(-20)
    )
    # when GLOBEX's manager enrols him in medical too
    payload = await _manager(http, globex).mutate(
        ENROLL, enrol_input(globex, subscriber={"person": JOHN}, dependants=[])
    )
    # then the rule holds, and the refusal names nothing of NORTHWIND's policy
    refused(payload, "OVERLAP", ["input", "subscriber", "startDate"])
    message = payload["errors"][0]["message"]
    assert theirs["number"] not in message and days(-20) not in message


async def test_a_national_id_with_other_details_gets_one_answer_wherever_it_is_known(
    http: AsyncClient, northwind: Place, globex: Place
) -> None:
    # given John known at NORTHWIND, and Gus at GLOBEX itself
    await _medical(_manager(http, northwind), northwind, subscriber={"person": JOHN})
    globex_hr = _manager(http, globex)
    gus = person("Gus", nationalId="NID-GUS")
    await _enrol(globex_hr, globex, subscriber={"person": gus})
    attempts = [
        {**JOHN, "birthDate": "1970-01-01"},
        {**JOHN, "givenName": "Jon"},
        {**gus, "birthDate": "1970-01-01"},
    ]
    # when GLOBEX's manager enrols each national id with details that do not agree
    answers = [
        await globex_hr.mutate(ENROLL, _life(globex, subscriber={"person": p})) for p in attempts
    ]
    # then each is refused alike, and the refusal says nothing of whose or where
    refused(answers[0], "DUPLICATE", ["input", "subscriber", "person", "nationalId"])
    assert answers[0] == answers[1] == answers[2]
    message = answers[0]["errors"][0]["message"]
    assert "another" not in message.lower() and "NORTHWIND" not in message


async def test_no_change_by_one_employer_reaches_what_another_knows(
    http: AsyncClient, northwind: Place, globex: Place
) -> None:
    # given John employed by both, each employer knowing its own
    northwind_hr, globex_hr = _manager(http, northwind), _manager(http, globex)
    theirs = await _medical(
        northwind_hr, northwind, subscriber={"person": JOHN}, employment=AT_NORTHWIND
    )
    ours = await _enrol(globex_hr, globex, subscriber={"person": JOHN})
    john = ours["subscriber"]
    # when GLOBEX's manager changes John and its own employment data, and tries NORTHWIND's
    changed = await globex_hr.mutate(
        PERSON_UPDATE, {"input": {"id": john["id"], "version": john["version"], "phone": "+1 555"}}
    )
    mine = await globex_hr.mutate(
        EMPLOYMENT_UPDATE,
        {"input": {"policyId": ours["id"], "version": ours["version"], "salary": "1.00",
                   "salaryCurrency": "USD", "workEmail": "john@globex.example"}},
    )  # fmt: skip
    other = await globex_hr.mutate(
        EMPLOYMENT_UPDATE,
        {"input": {"policyId": theirs["id"], "version": theirs["version"], "salary": "1.00"}},
    )
    # then the shared phone changed for both, each employment only for its own employer
    assert ok(changed)["person"]["phone"] == "+1 555"
    assert ok(mine)["policy"]["employment"] == {
        "employeeNumber": None,
        "workEmail": "john@globex.example",
        "salary": "1.00",
        "salaryCurrency": "USD",
    }
    refused(other, "NOT_FOUND", ["input", "policyId"])
    seen = await northwind_hr.query(EMPLOYMENT, {"id": theirs["id"]})
    assert seen == {"node": {"employment": AT_NORTHWIND}}
    assert await northwind_hr.query(EMPLOYMENT, {"id": ours["id"]}) == {"node": None}


async def test_only_an_employer_insuring_the_person_today_changes_their_shared_data(
    http: AsyncClient, admin: GraphQLClient, northwind: Place, globex: Place
) -> None:
    # given John at NORTHWIND, and GLOBEX's policy of him ended yesterday
    northwind_hr, globex_hr = _manager(http, northwind), _manager(http, globex)
    await _medical(northwind_hr, northwind, subscriber={"person": JOHN})
    ended = await _enrol(globex_hr, globex, subscriber={"person": JOHN}, startDate=days(-60))
    ok(
        await globex_hr.mutate(
            TERMINATE,
            {"input": {"policyId": ended["id"], "version": ended["version"], "endDate": days(-1)}},
        )
    )
    john = ended["subscriber"]
    change = {"input": {"id": john["id"], "version": john["version"], "phone": "+1 555"}}
    # when each employer's manager changes his phone
    by_globex = await globex_hr.mutate(PERSON_UPDATE, change)
    by_northwind = await northwind_hr.mutate(PERSON_UPDATE, change)
    # then GLOBEX insures him no more, and its attempt reads as for an unknown person
    refused(by_globex, "NOT_FOUND", ["input", "id"])
    assert by_globex["errors"][0]["message"] == "No person with this id."
    assert ok(by_northwind)["person"]["phone"] == "+1 555"


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"salary": "100.00"}, "REQUIRED", ["input", "salaryCurrency"]),
        ({"salaryCurrency": "EUR"}, "REQUIRED", ["input", "salary"]),
        ({"salary": "-1", "salaryCurrency": "EUR"}, "INVALID_FORMAT", ["input", "salary"]),
        ({"workEmail": "not an address"}, "INVALID_FORMAT", ["input", "workEmail"]),
        ({"employeeNumber": "x" * 31}, "TOO_LONG", ["input", "employeeNumber"]),
        ({"version": 9, "workEmail": "a@b.example"}, "STALE_VERSION", ["input", "version"]),
    ],
)
async def test_employment_data_is_checked_field_by_field(
    admin: GraphQLClient, northwind: Place, changes: dict[str, Any], code: str, field: list[str]
) -> None:
    # given
    policy = await _enrol(admin, northwind, subscriber={"person": JOHN})
    given = {"policyId": policy["id"], "version": policy["version"], **changes}
    # when
    payload = await admin.mutate(EMPLOYMENT_UPDATE, {"input": given})
    # then
    refused(payload, code, field)


async def test_employment_data_set_at_enrolment_is_changed_or_cleared_field_by_field(
    admin: GraphQLClient, northwind: Place
) -> None:
    # given
    policy = await _enrol(admin, northwind, subscriber={"person": JOHN}, employment=AT_NORTHWIND)
    # when
    payload = await admin.mutate(
        EMPLOYMENT_UPDATE,
        {"input": {"policyId": policy["id"], "version": policy["version"], "workEmail": None,
                   "salary": "95000.50"}},
    )  # fmt: skip
    # then
    changed = ok(payload)["policy"]
    assert changed["employment"] == {**AT_NORTHWIND, "workEmail": None, "salary": "95000.50"}
    assert changed["version"] == policy["version"] + 1
