"""personUpdate: a person's data changes everywhere they are insured, or not at all."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Place
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.policies.enrol import days, enrol, person, years_ago

UPDATE = """
mutation Update($input: PersonUpdateInput!) {
  personUpdate(input: $input) {
    person { id version givenName familyName birthDate email country nationalId }
    errors { field message code }
  }
}
"""


def _input(who: dict[str, Any], version: int = 1, **changes: Any) -> dict[str, Any]:
    return {"input": {"id": who["id"], "version": version, **changes}}


async def test_changes_only_the_fields_given_and_clears_those_set_to_null(
    admin: GraphQLClient, acme: Place
) -> None:
    # given
    john = person("John", nationalId="NID-JOHN", email="john@example.com")
    policy = await enrol(admin, acme, subscriber={"person": john})
    subscriber = policy["subscriber"]
    # when
    payload = await admin.mutate(
        UPDATE,
        _input(
            subscriber,
            familyName="  Smith ",
            email=None,
            country="de",
        ),
    )
    # then
    changed = ok(payload)["person"]
    assert changed["givenName"] == "John"
    assert changed["familyName"] == "Smith"
    assert changed["email"] is None
    assert changed["country"] == "DE"
    assert changed["nationalId"] == "NID-JOHN"
    assert changed["version"] == 2


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"givenName": None}, "REQUIRED", ["input", "givenName"]),
        ({"givenName": "x" * 101}, "TOO_LONG", ["input", "givenName"]),
        ({"country": "Germany"}, "TOO_LONG", ["input", "country"]),
        ({"birthDate": days(3)}, "INVALID_FORMAT", ["input", "birthDate"]),
        ({"phone": "call me"}, "INVALID_FORMAT", ["input", "phone"]),
        ({"version": 5}, "STALE_VERSION", ["input", "version"]),
    ],
)
async def test_refuses_bad_data_naming_the_field(
    admin: GraphQLClient, acme: Place, changes: dict[str, Any], code: str, field: list[str]
) -> None:
    # given
    policy = await enrol(admin, acme)
    given = dict(changes)  # the parameters are shared by both databases' runs
    version = given.pop("version", 1)
    # when
    payload = await admin.mutate(UPDATE, _input(policy["subscriber"], version, **given))
    # then
    refused(payload, code, field)


async def test_a_national_id_is_one_persons(admin: GraphQLClient, acme: Place) -> None:
    # given John and his spouse
    policy = await enrol(
        admin,
        acme,
        dependants=[{"person": person("Jane", nationalId="NID-JANE"), "relationship": "SPOUSE"}],
    )
    # when John is given Jane's national id
    payload = await admin.mutate(UPDATE, _input(policy["subscriber"], nationalId="NID-JANE"))
    # then
    refused(payload, "DUPLICATE", ["input", "nationalId"])


async def test_a_birth_date_that_puts_a_child_past_the_age_limit_is_refused(
    admin: GraphQLClient, acme: Place
) -> None:
    # given a child of 20, covered until the day before 26
    policy = await enrol(admin, acme)
    child = policy["members"][2]["person"]
    # when their birth date is corrected to make them 30
    payload = await admin.mutate(UPDATE, _input(child, birthDate=years_ago(30)))
    # then
    refused(payload, "AGE_LIMIT", ["input", "birthDate"])
