"""A group's cover on a day as a FHIR R4B Bundle (type `collection`), built from loaded rows.

Pure: plain rows in, a JSON-ready dict out, checked by `fhir.resources.R4B` before it leaves.
The mapping follows openIMIS's FHIR guide (a policy is a Coverage, a family a Group, the
policy holder an Organization) and US Core's Coverage must-support elements: one Coverage per
insured member of a policy (US Core's beneficiary is one patient), with the subscriber, the
relationship, the period, the payor and the classes (group account, insurable class, plans).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from domain.exports.queries import Family
from domain.policies.models import Relationship

SYSTEM = "urn:groupcover"
"""The prefix of the identifier systems: the insurer's own numbers and codes."""
INSURER = "groupcover insurer"
"""How the payor of every Coverage is named (the insurer running this server)."""
_COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
_SUBSCRIBER_RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
_ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_REDACTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "REDACTED",
    "display": "redacted",
}
"""The security label of a Patient or RelatedPerson whose personal fields were left out."""

_TO_SUBSCRIBER = {
    Relationship.SUBSCRIBER: "self",
    Relationship.SPOUSE: "spouse",
    Relationship.DOMESTIC_PARTNER: "common",
    Relationship.CHILD: "child",
    Relationship.OTHER_DEPENDANT: "other",
}
_ROLE = {
    Relationship.SPOUSE: ("SPS", "spouse"),
    Relationship.DOMESTIC_PARTNER: ("DOMPART", "domestic partner"),
    Relationship.CHILD: ("CHILD", "child"),
    Relationship.OTHER_DEPENDANT: ("FAMMEMB", "family member"),
}
_GENDER = {"FEMALE": "female", "MALE": "male", "OTHER": "other", "UNKNOWN": "unknown"}


@dataclass(frozen=True)
class Client:
    """The group client the export is of: its id, business code and name."""

    id: int
    code: str
    name: str


def bundle(
    client: Client, families: Iterable[Family], *, as_of: date, personal: bool
) -> dict[str, Any]:
    """The Bundle of the client's families on `as_of`, validated; personal fields (names, birth
    date, gender, national id, contact) only when `personal`, else a REDACTED label says so."""
    organization = _organization(client)
    resources: list[dict[str, Any]] = [organization]
    persons: dict[int, dict[str, Any]] = {}
    for family in families:
        subscriber = _subscriber_of(family)
        resources.append(_group(family))
        for member, person in family.members:
            persons.setdefault(person.id, _patient(person, personal))
            if member.relationship != Relationship.SUBSCRIBER and subscriber is not None:
                resources.append(_related(member, person, subscriber, personal))
            resources.append(_coverage(family, member, person, client))
    data = {
        "resourceType": "Bundle",
        "type": "collection",
        "meta": {"tag": [{"system": f"{SYSTEM}:as-of", "code": as_of.isoformat()}]},
        "entry": [{"resource": resource} for resource in (*persons.values(), *resources)],
    }
    # Validated whole, then answered as built: the dict is already plain JSON, and dumping the
    # models again cost more than validating them (6.6 s against 5.2 s for 1,000 families).
    Bundle.model_validate(data)
    return data


def _ref(kind: str, key: int | str) -> dict[str, str]:
    return {"reference": f"{kind}/{_id(kind, key)}"}


def _id(kind: str, key: int | str) -> str:
    prefix = {"Patient": "person", "Group": "policy", "Organization": "group-client"}
    return f"{prefix.get(kind, kind.lower())}-{key}"


def _organization(client: Client) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": _id("Organization", client.id),
        "identifier": [{"system": f"{SYSTEM}:group-client", "value": client.code}],
        "active": True,
        "name": client.name,
    }


def _subscriber_of(family: Family) -> Any:
    for member, person in family.members:
        if member.relationship == Relationship.SUBSCRIBER:
            return person
    return None


def _personal(person: Any, personal: bool) -> dict[str, Any]:
    """A Patient's or RelatedPerson's personal elements, or the label saying they are left out."""
    if not personal:
        return {"meta": {"security": [_REDACTED]}}
    telecom = [
        {"system": system, "value": value, "use": "home"}
        for system, value in (("email", person.email), ("phone", person.phone))
        if value
    ]
    address = {
        key: value
        for key, value in (
            ("line", [person.address_line] if person.address_line else None),
            ("postalCode", person.postal_code),
            ("city", person.city),
            ("country", person.country),
        )
        if value
    }
    found = {
        "name": [{"family": person.family_name, "given": [person.given_name]}],
        "gender": _GENDER[str(person.gender)],
        "birthDate": person.birth_date.isoformat(),
        "telecom": telecom or None,
        "address": [address] if address else None,
    }
    return {key: value for key, value in found.items() if value is not None}


def _identifiers(person: Any, personal: bool) -> list[dict[str, str]]:
    found = [{"system": f"{SYSTEM}:person", "value": person.person_number}]
    if personal and person.national_id:
        found.append({"system": f"{SYSTEM}:national-id", "value": person.national_id})
    return found


def _patient(person: Any, personal: bool) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": _id("Patient", person.id),
        "identifier": _identifiers(person, personal),
        "active": True,
        **_personal(person, personal),
    }


def _related(member: Any, person: Any, subscriber: Any, personal: bool) -> dict[str, Any]:
    code, display = _ROLE[member.relationship]
    return {
        "resourceType": "RelatedPerson",
        "id": f"member-{member.id}",
        "identifier": _identifiers(person, personal),
        "active": True,
        "patient": _ref("Patient", subscriber.id),
        "relationship": [{"coding": [{"system": _ROLE_CODE, "code": code, "display": display}]}],
        "period": _period(member),
        **_personal(person, personal),
    }


def _group(family: Family) -> dict[str, Any]:
    policy = family.policy
    return {
        "resourceType": "Group",
        "id": _id("Group", policy.id),
        "identifier": [{"system": f"{SYSTEM}:policy", "value": policy.number}],
        "active": True,
        "type": "person",
        "actual": True,
        "name": f"Family of policy {policy.number}",
        "quantity": len(family.members),
        "member": [
            {"entity": _ref("Patient", person.id), "period": _period(member), "inactive": False}
            for member, person in family.members
        ],
    }


def _coverage(family: Family, member: Any, person: Any, client: Client) -> dict[str, Any]:
    policy, subscriber = family.policy, _subscriber_of(family)
    relation = _TO_SUBSCRIBER[member.relationship]
    found = {
        "resourceType": "Coverage",
        "id": f"policy-{policy.id}-member-{member.id}",
        "identifier": [{"system": f"{SYSTEM}:policy", "value": policy.number}],
        "status": "active",
        "type": {
            "coding": [{"system": _ACT_CODE, "code": "EHCPOL", "display": "extended healthcare"}]
        },
        "policyHolder": _ref("Organization", client.id),
        "subscriber": _ref("Patient", subscriber.id) if subscriber is not None else None,
        "subscriberId": policy.number,
        "beneficiary": _ref("Patient", person.id),
        "relationship": {"coding": [{"system": _SUBSCRIBER_RELATIONSHIP, "code": relation}]},
        "period": _period(member),
        "payor": [{"display": INSURER}],
        "class": _classes(family),
    }
    return {key: value for key, value in found.items() if value}


def _classes(family: Family) -> list[dict[str, Any]]:
    placed = family.placed
    found = [
        ("group", placed.account),
        ("class", placed.insurable_class),
        *(("plan", product) for product in placed.products),
    ]
    return [
        {
            "type": {"coding": [{"system": _COVERAGE_CLASS, "code": kind}]},
            "value": code,
            "name": name,
        }
        for kind, pair in found
        if pair is not None
        for code, name in (pair,)
    ]


def _period(row: Any) -> dict[str, str]:
    found = {"start": row.start_date.isoformat()}
    if row.end_date is not None:
        found["end"] = row.end_date.isoformat()
    return found
