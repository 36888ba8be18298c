"""Inputs of workflow requests, and their translation into a request's details (JSON)."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from domain.core.errors import DomainError, ErrorCode
from domain.policies.employment import EmploymentData
from domain.policies.persons import PersonData
from domain.workflow.data_change import CONTACT_FIELDS
from schema.core.relay import optional_id, require_id
from schema.policies.inputs import (
    EnrollmentProductInput,
    PersonInput,
    PolicyEnrollInput,
    PolicyMemberInput,
)
from schema.reference.types import CoverageTier
from schema.workflow.types import Channel, Decision, RequestState, RequestType, TaskState


class LifeEvent(StrEnum):
    """Why the family changes; the decision table reads it (a birth within 30 days is
    approved at once)."""

    BIRTH = "BIRTH"
    ADOPTION = "ADOPTION"
    MARRIAGE = "MARRIAGE"
    NEW_HIRE = "NEW_HIRE"
    OTHER = "OTHER"


strawberry.enum(LifeEvent, description="Why the family changes.")


@strawberry.input(description="Contact data to change; fields left out keep their value.")
class ContactChangeInput:
    email: str | None = strawberry.field(default=strawberry.UNSET, description="null clears it.")
    phone: str | None = strawberry.field(default=strawberry.UNSET, description="null clears it.")
    address_line: str | None = strawberry.field(
        default=strawberry.UNSET, description="null clears it."
    )
    postal_code: str | None = strawberry.field(
        default=strawberry.UNSET, description="null clears it."
    )
    city: str | None = strawberry.field(default=strawberry.UNSET, description="null clears it.")
    country: str | None = strawberry.field(default=strawberry.UNSET, description="null clears it.")


@strawberry.input(
    description="A new name, with the reference of the document that shows it (e.g. a "
    "marriage certificate's number); a name left out keeps its value."
)
class NameChangeInput:
    given_name: str | None = strawberry.field(default=None, description="The new given name.")
    family_name: str | None = strawberry.field(default=None, description="The new family name.")
    evidence_reference: str = strawberry.field(
        description="The reference of the evidence document, up to 200 characters."
    )


@strawberry.input(description="A medical service to authorize; seen only with field:medical.")
class MedicalAuthorizationInput:
    service_code: str = strawberry.field(description="The service, e.g. a procedure code.")
    diagnosis: str = strawberry.field(description="The diagnosis, e.g. an ICD-10 code.")
    provider: str = strawberry.field(description="Who will provide it.")
    planned_date: date | None = strawberry.field(default=None, description="When, if known.")


@strawberry.input(
    description="A request from any channel. Give `type`, `channel` and what that type needs: "
    "ENROLMENT `enrolment` (a new policy) or `policyId` + `dependants` (family to add); "
    "TERMINATION `policyId` + `endDate`; DEPENDANT_REMOVAL `personId` + `endDate` + `reason`; "
    "DATA_CHANGE `personId` + any of `contact`, `name`, `refundIban`, `birthDate`; "
    "MEDICAL_AUTHORIZATION `personId` + `medical`; PRODUCT_UPGRADE `policyId` + `product` (an "
    "upgrade path of the policy's catalogue); SERVICE_PURCHASE `policyId` + `serviceCode` (a "
    "service of its catalogue) (+ `quantity`); CERTIFICATE `policyId` "
    "(+ `asOf`); VIDEO_CONSULTATION `personId` + `preferredAt` (+ `reason`)."
)
class WorkflowRequestSubmitInput:
    type: RequestType = strawberry.field(description="What is asked.")
    channel: Channel = strawberry.field(
        description="Where it comes from; it must be one your role speaks on."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Up to 200 characters of your choice: a retry with the same key returns "
        "the first request and does nothing again.",
    )
    policy_id: strawberry.ID | None = strawberry.field(default=None, description="The policy.")
    person_id: strawberry.ID | None = strawberry.field(
        default=None, description="The insured person."
    )
    enrolment: PolicyEnrollInput | None = strawberry.field(
        default=None, description="A new policy: the employee, their family and products."
    )
    dependants: list[PolicyMemberInput] | None = strawberry.field(
        default=None, description="Family to add to `policyId`."
    )
    coverage_tier: CoverageTier | None = strawberry.field(
        default=None,
        description="With `dependants`: the tier the policy's products move to when the "
        "family added no longer fits theirs (else TIER_MISMATCH).",
    )
    life_event: LifeEvent | None = strawberry.field(
        default=None, description="Why the family changes."
    )
    event_date: date | None = strawberry.field(
        default=None, description="When the life event happened; required with one."
    )
    end_date: date | None = strawberry.field(default=None, description="The last day covered.")
    contact: ContactChangeInput | None = strawberry.field(
        default=None, description="Contact data and home address to change."
    )
    name: NameChangeInput | None = strawberry.field(
        default=None, description="A new name, with its evidence."
    )
    refund_iban: str | None = strawberry.field(
        default=None,
        description="The IBAN the member's refunds under this policy are paid to; spaces allowed.",
    )
    birth_date: date | None = strawberry.field(
        default=None,
        description="A corrected birth date; the age rules are checked again (AGE_LIMIT).",
    )
    medical: MedicalAuthorizationInput | None = strawberry.field(
        default=None, description="What to authorize."
    )
    product: EnrollmentProductInput | None = strawberry.field(
        default=None,
        description="The product to upgrade to, and from when: an upgrade path of the policy's "
        "catalogue on that day (catalogueItems), else NOT_OFFERED.",
    )
    service_code: str | None = strawberry.field(
        default=None,
        description="A service to buy: its code in the policy's catalogue today, else NOT_OFFERED.",
    )
    quantity: int | None = strawberry.field(default=None, description="How many; 1 by default.")
    as_of: date | None = strawberry.field(
        default=None, description="The day a certificate speaks of; today by default."
    )
    preferred_at: datetime | None = strawberry.field(
        default=None, description="When the consultation would suit."
    )
    reason: str | None = strawberry.field(default=None, description="Why, in a few words.")
    comment: str | None = strawberry.field(
        default=None, description="Anything else, up to 2,000 characters."
    )


@strawberry.input(description="A decision on an approval, or the insurer's part done.")
class WorkflowTaskCompleteInput:
    id: strawberry.ID = strawberry.field(description="The task.")
    decision: Decision | None = strawberry.field(
        default=None, description="Required for an APPROVAL; a FULFILMENT is APPROVE."
    )
    comment: str | None = strawberry.field(default=None, description="Up to 2,000 characters.")
    data: JSON | None = strawberry.field(
        default=None,
        description="A JSON object for the process and the request's result, e.g. "
        '{"reference": "BK-1"}; up to 10,000 characters.',
    )


@strawberry.input(description="A request to withdraw.")
class WorkflowRequestCancelInput:
    id: strawberry.ID = strawberry.field(description="The request.")
    reason: str | None = strawberry.field(default=None, description="Why, for the timeline.")


@strawberry.input(description="A new version of a process flow.")
class ProcessDefinitionDeployInput:
    bpmn: str = strawberry.field(
        description="A BPMN 2.0 file with one executable process; its id is the key."
    )
    dmn: list[str] = strawberry.field(
        default_factory=list, description="The DMN decision tables it calls."
    )


@strawberry.input(description="Which requests to list.")
class WorkflowRequestFilter:
    state: RequestState | None = strawberry.field(default=None, description="Only this state.")
    type: RequestType | None = strawberry.field(default=None, description="Only this type.")


@strawberry.input(description="Which inbox tasks to list.")
class WorkflowTaskFilter:
    state: TaskState | None = strawberry.field(
        default=TaskState.OPEN, description="OPEN unless you say otherwise; null for any."
    )
    type: RequestType | None = strawberry.field(
        default=None, description="Only tasks of requests of this type."
    )
    overdue: bool | None = strawberry.field(
        default=None, description="true: only open tasks past their due time; false: the others."
    )


MAX_TEXT = 200


def details(given: WorkflowRequestSubmitInput) -> dict[str, Any]:
    """The request's details as JSON, with ids decoded (unknown ids name their field)."""
    found: dict[str, Any] = {
        "policy_id": optional_id(given.policy_id, "Policy", field="policyId"),
        "person_id": optional_id(given.person_id, "Person", field="personId"),
        "life_event": given.life_event,
        "coverage_tier": given.coverage_tier,
        "event_date": given.event_date,
        "end_date": given.end_date,
        "service_code": _text(given.service_code, "serviceCode"),
        "quantity": _quantity(given.quantity),
        "as_of": given.as_of,
        "preferred_at": given.preferred_at,
        "reason": _text(given.reason, "reason", 2000),
        "refund_iban": _text(given.refund_iban, "refundIban", 64),
        "birth_date": given.birth_date,
        "comment": _text(given.comment, "comment", 2000),
    }
    if given.enrolment is not None:
        found["enrolment"] = _enrolment(given.enrolment)
    if given.dependants is not None:
        found["dependants"] = [
            _member(d, f"dependants.{i}") for i, d in enumerate(given.dependants)
        ]
    if given.contact is not None:
        found["contact"] = {
            name: getattr(given.contact, name)
            for name in CONTACT_FIELDS
            if getattr(given.contact, name) is not strawberry.UNSET
        }
    if given.name is not None:
        found["name"] = {
            "given_name": _text(given.name.given_name, "name.givenName", 100),
            "family_name": _text(given.name.family_name, "name.familyName", 100),
            "evidence_reference": _text(
                given.name.evidence_reference, "name.evidenceReference", required=True
            ),
        }
    if given.medical is not None:
        found["medical"] = {
            "service_code": _text(given.medical.service_code, "medical.serviceCode", required=True),
            "diagnosis": _text(given.medical.diagnosis, "medical.diagnosis", required=True),
            "provider": _text(given.medical.provider, "medical.provider", required=True),
            "planned_date": given.medical.planned_date,
        }
    if given.product is not None:
        found["product"] = _product(given.product)
    return _json({k: v for k, v in found.items() if v is not None})


def _enrolment(given: PolicyEnrollInput) -> dict[str, Any]:
    return {
        "group_account_id": require_id(
            given.group_account_id, "GroupAccount", field="enrolment.groupAccountId"
        ),
        "insurable_class_id": optional_id(
            given.insurable_class_id, "InsurableClass", field="enrolment.insurableClassId"
        ),
        "start_date": given.start_date,
        "subscriber": {
            "person_id": optional_id(
                given.subscriber.person_id, "Person", field="enrolment.subscriber.personId"
            ),
            "person": _person(given.subscriber.person),
        },
        "dependants": [
            _member(d, f"enrolment.dependants.{i}") for i, d in enumerate(given.dependants)
        ],
        "products": [_product(p) for p in given.products],
        "number": given.number,
        "line_of_business": given.line_of_business,
        "data_access_group": given.data_access_group,
        "employment": _fields(given.employment, EmploymentData) if given.employment else None,
    }


def _member(given: PolicyMemberInput, where: str) -> dict[str, Any]:
    return {
        "person_id": optional_id(given.person_id, "Person", field=f"{where}.personId"),
        "person": _person(given.person),
        "relationship": given.relationship,
        "start_date": given.start_date,
        "end_date": given.end_date,
    }


def _person(given: PersonInput | None) -> dict[str, Any] | None:
    if given is None:
        return None
    return {f.name: getattr(given, f.name) for f in fields(PersonData)}


def _fields(given: Any, data: type) -> dict[str, Any]:
    return {f.name: getattr(given, f.name) for f in fields(data)}


def _product(given: EnrollmentProductInput) -> dict[str, Any]:
    return {
        "product_code": given.product_code,
        "coverage_tier": given.coverage_tier,
        "start_date": given.start_date,
        "end_date": given.end_date,
    }


def _text(value: str | None, field: str, most: int = MAX_TEXT, *, required: bool = False) -> Any:
    if value is None:
        return None
    value = value.strip()
    if required and not value:
        raise DomainError.of(field, ErrorCode.REQUIRED, f"`{field}` cannot be blank.")
    if len(value) > most:
        raise DomainError.of(field, ErrorCode.TOO_LONG, f"At most {most} characters.")
    return value or None


def _quantity(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= 1000:
        raise DomainError.of("quantity", ErrorCode.INVALID_FORMAT, "Between 1 and 1,000.")
    return value


def _json(value: Any) -> Any:
    """Dates, amounts and enums as JSON text; nested alike."""
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
