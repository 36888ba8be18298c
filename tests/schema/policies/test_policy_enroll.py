"""policyEnroll: a subscriber, their family and products in one call, or nothing at all."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from domain.audit.models import AuditEvent
from domain.policies.models import Person, Policy, PolicyMember
from schema.core.relay import global_id
from tests.factories import Place
from tests.graphql import GraphQLClient, refused
from tests.schema.policies.enrol import ENROLL, days, enrol, enrol_input, person, years_ago


async def _count(session: AsyncSession, model: Any) -> int:
    return int(await session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


async def test_enrols_the_family_with_products_from_the_start(
    admin: GraphQLClient, acme: Place, session: AsyncSession
) -> None:
    # when
    policy = await enrol(admin, acme)
    # then
    assert (policy["status"], policy["version"]) == ("ACTIVE", 1)
    assert policy["number"].startswith("POL-")
    assert policy["startDate"] == days(0)
    assert policy["subscriber"]["givenName"] == "John"
    assert policy["subscriber"]["nationalId"] == "NID-JOHN"
    members = [(m["person"]["givenName"], m["relationship"]) for m in policy["members"]]
    assert members == [("John", "SUBSCRIBER"), ("Jane", "SPOUSE"), ("Jim", "CHILD")]
    assert policy["groupAccount"] == {"code": "ACME-GA"}
    assert policy["insurableClass"] == {"code": "STAFF"}
    assert policy["enrollmentProducts"] == [
        {
            "product": {"code": "MED-PPO"},
            "coverageTier": "FAMILY",
            "startDate": days(0),
            "endDate": None,
        }
    ]
    assert policy["lineOfBusiness"] == {"code": "HEALTH"}
    assert policy["dataAccessGroup"] == {"code": "EU"}
    events = (await session.scalars(sa.select(AuditEvent))).all()
    assert [(e.action, e.entity_type) for e in events] == [("policyEnroll", "Policy")]
    assert len(events[0].after["members"]) == 3  # type: ignore[index]


async def test_a_childs_coverage_ends_the_day_before_the_age_limit(
    admin: GraphQLClient, acme: Place
) -> None:
    # given a child who turns 26 in ten days
    child = {"person": person("Kid", born=years_ago(26, days_more=-10)), "relationship": "CHILD"}
    # when
    policy = await enrol(admin, acme, dependants=[child])
    # then the end is shown in advance
    (_, kid) = policy["members"]
    assert kid["endDate"] == days(9)
    assert kid["ageLimitDate"] == days(9)


async def test_a_known_national_id_is_the_same_person_in_another_group(
    admin: GraphQLClient, acme: Place, book: Any, session: AsyncSession
) -> None:
    # given John enrolled in Acme
    first = await enrol(admin, acme)
    other = await _other_place(book)
    # when his spouse's group enrols him as a dependant
    john = person("John", nationalId="NID-JOHN")
    second = await enrol(
        admin,
        other,
        subscriber={"person": person("Mary", nationalId="NID-MARY")},
        dependants=[{"person": john, "relationship": "SPOUSE"}],
        products=[{"productCode": "LIFE-2X", "coverageTier": "EMPLOYEE_ONLY"}],
        insurableClassId=global_id("InsurableClass", other.executives.id),  # type: ignore[arg-type]
    )
    # then both policies insure one and the same person
    assert second["members"][1]["person"]["id"] == first["subscriber"]["id"]
    assert await _count(session, Person) == 4


async def _other_place(book: Any) -> Place:
    from tests.factories import place

    return await place(book, code="GLOBEX")


async def test_nothing_is_saved_when_any_part_is_refused(
    admin: GraphQLClient, acme: Place, session: AsyncSession
) -> None:
    # given an input whose second product is not sold in any tier
    products = [
        {"productCode": "MED-PPO", "coverageTier": "FAMILY"},
        {"productCode": "DEN-BASIC", "coverageTier": "FAMILY"},
    ]
    # when
    payload = await admin.mutate(ENROLL, enrol_input(acme, products=products))
    # then
    refused(payload, "NOT_OFFERED", ["input", "products", "1", "coverageTier"])
    assert payload["policy"] is None
    for model in (Policy, PolicyMember, Person, AuditEvent):
        assert await _count(session, model) == 0


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"startDate": days(-200)}, "TOO_FAR_BACK", ["input", "startDate"]),
        ({"insurableClassId": None}, "REQUIRED", ["input", "insurableClassId"]),
        ({"products": []}, "REQUIRED", ["input", "products"]),
        (
            {"products": [{"productCode": "NOPE", "coverageTier": "FAMILY"}]},
            "NOT_FOUND",
            ["input", "products", "0", "productCode"],
        ),
        (
            {"products": [{"productCode": "LIFE-2X", "coverageTier": "EMPLOYEE_ONLY"}]},
            "NOT_OFFERED",
            ["input", "products", "0", "productCode"],
        ),
        (
            {
                "dependants": [
                    {"person": person("Old", born=years_ago(27)), "relationship": "CHILD"}
                ]
            },
            "AGE_LIMIT",
            ["input", "dependants", "0", "startDate"],
        ),
        (
            {
                "dependants": [
                    {"person": person("Jane"), "relationship": "SPOUSE", "startDate": days(-1)}
                ]
            },
            "OUTSIDE_SUBSCRIBER_COVER",
            ["input", "dependants", "0", "startDate"],
        ),
        (
            {
                "dependants": [
                    {
                        "person": person("Jane"),
                        "relationship": "SPOUSE",
                        "startDate": days(5),
                        "endDate": days(4),
                    }
                ]
            },
            "END_BEFORE_START",
            ["input", "dependants", "0", "endDate"],
        ),
        (
            {"dependants": [{"person": person("Jane"), "relationship": "SUBSCRIBER"}]},
            "NOT_ALLOWED",
            ["input", "dependants", "0", "relationship"],
        ),
        (
            {"subscriber": {"person": person("John", email="not-an-address")}},
            "INVALID_FORMAT",
            ["input", "subscriber", "person", "email"],
        ),
        (
            {"subscriber": {"person": person("John", birthDate=days(1))}},
            "INVALID_FORMAT",
            ["input", "subscriber", "person", "birthDate"],
        ),
        (
            {"employment": {"salary": "1000.50"}},
            "REQUIRED",
            ["input", "employment", "salaryCurrency"],
        ),
        (
            {"subscriber": {"person": person("   ")}},
            "REQUIRED",
            ["input", "subscriber", "person", "givenName"],
        ),
        ({"subscriber": {}}, "REQUIRED", ["input", "subscriber", "person"]),
        ({"number": "bad number!"}, "INVALID_FORMAT", ["input", "number"]),
        ({"dataAccessGroup": "NOPE"}, "NOT_FOUND", ["input", "dataAccessGroup"]),
        (
            {"groupAccountId": global_id("GroupAccount", 999_999)},
            "NOT_FOUND",
            ["input", "groupAccountId"],
        ),
    ],
)
async def test_refuses_bad_input_naming_the_field(
    admin: GraphQLClient,
    acme: Place,
    session: AsyncSession,
    changes: dict[str, Any],
    code: str,
    field: list[str],
) -> None:
    # when
    payload = await admin.mutate(ENROLL, enrol_input(acme, **changes))
    # then
    refused(payload, code, field)
    assert await _count(session, Policy) == 0
    assert await _count(session, Person) == 0


async def test_the_same_person_twice_on_one_policy_overlaps(
    admin: GraphQLClient, acme: Place
) -> None:
    # given John's national id given again as his own spouse
    twin = {"person": person("John", nationalId="NID-JOHN"), "relationship": "SPOUSE"}
    # when
    payload = await admin.mutate(ENROLL, enrol_input(acme, dependants=[twin]))
    # then
    refused(payload, "OVERLAP", ["input", "dependants", "0", "startDate"])


async def test_a_national_id_with_another_birth_date_is_refused(
    admin: GraphQLClient, acme: Place
) -> None:
    # given
    await enrol(admin, acme)
    impostor = person("John", nationalId="NID-JOHN", birthDate=years_ago(30))
    # when
    payload = await admin.mutate(ENROLL, enrol_input(acme, subscriber={"person": impostor}))
    # then
    refused(payload, "DUPLICATE", ["input", "subscriber", "person", "nationalId"])


async def test_a_person_cannot_have_the_same_product_on_two_policies_at_once(
    admin: GraphQLClient, acme: Place
) -> None:
    # given John has medical through Acme
    await enrol(admin, acme)
    # when another policy would give him medical again
    payload = await admin.mutate(
        ENROLL,
        enrol_input(
            acme,
            subscriber={"person": person("Mary", nationalId="NID-MARY")},
            dependants=[
                {"person": person("John", nationalId="NID-JOHN"), "relationship": "SPOUSE"}
            ],
        ),
    )
    # then
    refused(payload, "OVERLAP", ["input", "dependants", "0", "startDate"])


async def test_the_policy_number_must_be_unique(admin: GraphQLClient, acme: Place) -> None:
    # given
    await enrol(admin, acme, number="P-1")
    # when
    other = person("Mary", nationalId="NID-MARY")
    payload = await admin.mutate(
        ENROLL, enrol_input(acme, number="P-1", subscriber={"person": other}, dependants=[])
    )
    # then
    refused(payload, "DUPLICATE", ["input", "number"])
