"""The pure FHIR mapping: a family as FHIR R4B resources, without a database."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from domain.exports.fhir import Client, bundle
from domain.exports.queries import Family, Placed
from domain.policies.models import Gender, Relationship

DAY = date(2026, 6, 1)
ACME = Client(id=1, code="ACME", name="Acme Ltd")


def _person(id: int, given: str) -> Any:
    return SimpleNamespace(
        id=id,
        person_number=f"PN-{id}",
        given_name=given,
        family_name="Doe",
        birth_date=date(1980, 1, 1),
        gender=Gender.FEMALE,
        national_id=f"NI-{id}",
        email=f"{given.lower()}@example.org",
        phone=None,
        address_line="1 Main St",
        postal_code=None,
        city="Springfield",
        country="US",
    )


def _family(policy_id: int, *members: tuple[Relationship, Any]) -> Family:
    return Family(
        policy=SimpleNamespace(id=policy_id, number=f"P-{policy_id}"),
        members=[
            (
                SimpleNamespace(
                    id=10 * policy_id + n, relationship=relation, start_date=DAY, end_date=None
                ),
                person,
            )
            for n, (relation, person) in enumerate(members)
        ],
        placed=Placed(account=("ACME-GA", "Staff account"), products=[("MED", "Medical")]),
    )


def _of(found: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in found["entry"] if e["resource"]["resourceType"] == kind]


def test_a_domestic_partner_is_common_to_the_subscriber_and_dompart_to_them() -> None:
    # given a subscriber and a domestic partner
    family = _family(
        1,
        (Relationship.SUBSCRIBER, _person(1, "Ann")),
        (Relationship.DOMESTIC_PARTNER, _person(2, "Bo")),
    )
    # when
    found = bundle(ACME, [family], as_of=DAY, personal=True)
    # then the answer is what fhir.resources reads back, and the relationships are coded
    assert Bundle.model_validate(found).model_dump(mode="json", exclude_none=True) == found
    (related,) = _of(found, "RelatedPerson")
    assert related["relationship"][0]["coding"][0]["code"] == "DOMPART"
    assert related["patient"] == {"reference": "Patient/person-1"}
    codes = [c["relationship"]["coding"][0]["code"] for c in _of(found, "Coverage")]
    assert codes == ["self", "common"]
    patient = _of(found, "Patient")[0]
    assert patient["telecom"] == [{"system": "email", "value": "ann@example.org", "use": "home"}]
    assert {"system": "urn:groupcover:national-id", "value": "NI-1"} in patient["identifier"]


def test_a_person_on_two_policies_is_one_patient() -> None:
    # given Ann subscribes one policy and is a spouse on another
    ann = _person(1, "Ann")
    families = [
        _family(1, (Relationship.SUBSCRIBER, ann)),
        _family(2, (Relationship.SUBSCRIBER, _person(2, "Bo")), (Relationship.SPOUSE, ann)),
    ]
    # when
    found = bundle(ACME, families, as_of=DAY, personal=True)
    # then
    assert [p["id"] for p in _of(found, "Patient")] == ["person-1", "person-2"]
    assert len(_of(found, "Coverage")) == 3


def test_a_family_whose_subscriber_left_has_coverage_without_a_subscriber() -> None:
    # given only the child is still insured
    family = _family(1, (Relationship.CHILD, _person(3, "Cy")))
    # when
    found = bundle(ACME, [family], as_of=DAY, personal=False)
    # then no RelatedPerson points nowhere, and the Coverage still validates
    assert _of(found, "RelatedPerson") == []
    (coverage,) = _of(found, "Coverage")
    assert "subscriber" not in coverage and coverage["subscriberId"] == "P-1"
    Bundle.model_validate(found)
