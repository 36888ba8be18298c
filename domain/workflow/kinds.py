"""What each request type needs, who may send it on which channel, and how it is registered.

`details` are the request's own data as JSON (snake_case keys, dates as ISO text); they
are checked when the request is submitted, and registered, maybe days later, by
`register`, with the same functions the policies mutations use.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import Actor
from authz.principal import Role
from domain.catalogue import service as catalogue
from domain.catalogue.models import CatalogueItem
from domain.core import changes
from domain.core.errors import DomainError, ErrorCode, Problem, raise_if
from domain.core.naming import camel
from domain.policies import enrolment, lifecycle, upgrades
from domain.policies.employment import EmploymentData
from domain.policies.enrolment import MemberSpec, ProductSpec
from domain.policies.limits import PolicyLimits
from domain.policies.models import Gender, Policy, Relationship
from domain.policies.persons import PersonData
from domain.reference.models import CoverageTier
from domain.workflow import data_change, removal
from domain.workflow.certificates import certificate
from domain.workflow.models import Channel, RequestType
from domain.workflow.naming import under

T = RequestType
C = Channel

CHANNELS: dict[RequestType, frozenset[Channel]] = {
    T.ENROLMENT: frozenset(C),
    T.TERMINATION: frozenset(C),
    T.DEPENDANT_REMOVAL: frozenset({C.BACK_OFFICE, C.GROUP_PORTAL, C.EMPLOYEE}),
    T.DATA_CHANGE: frozenset(C),
    # A diagnosis is none of the employer's business: not from the group portal.
    T.MEDICAL_AUTHORIZATION: frozenset({C.BACK_OFFICE, C.EMPLOYEE, C.PARTNER}),
    T.PRODUCT_UPGRADE: frozenset(C),
    T.SERVICE_PURCHASE: frozenset(C),
    T.CERTIFICATE: frozenset(C),
    T.VIDEO_CONSULTATION: frozenset({C.BACK_OFFICE, C.EMPLOYEE, C.PARTNER}),
}
"""The channels a request type may come from."""

CHANNEL_ROLES: dict[Channel, frozenset[Role]] = {
    C.BACK_OFFICE: frozenset({Role.ADMIN, Role.BACKOFFICE}),
    C.GROUP_PORTAL: frozenset({Role.ADMIN, Role.GROUP_MANAGER}),
    C.EMPLOYEE: frozenset({Role.ADMIN, Role.EMPLOYEE}),
    C.PARTNER: frozenset({Role.ADMIN, Role.PARTNER}),
}
"""Who may speak on a channel."""

# type -> (the details it needs, the details it may have besides)
_FIELDS: dict[RequestType, tuple[frozenset[str], frozenset[str]]] = {
    T.ENROLMENT: (
        frozenset(),
        frozenset({"enrolment", "policy_id", "dependants", "coverage_tier"}),
    ),
    T.TERMINATION: (frozenset({"policy_id", "end_date"}), frozenset()),
    T.DEPENDANT_REMOVAL: (removal.NEEDS, frozenset()),
    T.DATA_CHANGE: (frozenset({"person_id"}), data_change.PARTS),
    T.MEDICAL_AUTHORIZATION: (frozenset({"person_id", "medical"}), frozenset()),
    T.PRODUCT_UPGRADE: (frozenset({"policy_id", "product"}), frozenset()),
    T.SERVICE_PURCHASE: (frozenset({"policy_id", "service_code"}), frozenset({"quantity"})),
    T.CERTIFICATE: (frozenset({"policy_id"}), frozenset({"as_of"})),
    T.VIDEO_CONSULTATION: (frozenset({"person_id", "preferred_at"}), frozenset({"reason"})),
}
_ALWAYS = frozenset({"life_event", "event_date", "comment"})


def check_shape(type_: RequestType, channel: Channel, details: Mapping[str, Any]) -> None:
    """The details a type needs are there, and none it does not use."""
    problems: list[Problem] = []
    if channel not in CHANNELS[type_]:
        allowed = ", ".join(sorted(CHANNELS[type_]))
        problems.append(
            Problem(
                ("channel",),
                ErrorCode.NOT_ALLOWED,
                f"A {type_} request cannot come from {channel}; it may come from {allowed}.",
            )
        )
    needed, optional = _FIELDS[type_]
    given = {k for k, v in details.items() if v is not None}
    for name in sorted(needed - given):
        problems.append(
            Problem((camel(name),), ErrorCode.REQUIRED, f"A {type_} request needs `{camel(name)}`.")
        )
    for name in sorted(given - needed - optional - _ALWAYS):
        problems.append(
            Problem(
                (camel(name),), ErrorCode.NOT_ALLOWED, f"A {type_} request has no `{camel(name)}`."
            )
        )
    if type_ is T.ENROLMENT:
        new, add = "enrolment" in given, "policy_id" in given
        if new == add or (add and not details.get("dependants")):
            problems.append(
                Problem(
                    ("enrolment",),
                    ErrorCode.REQUIRED,
                    "An ENROLMENT request needs either `enrolment` (a new policy) or "
                    "`policyId` and `dependants` (family to add to it).",
                )
            )
        if new and "coverage_tier" in given:
            problems.append(
                Problem(
                    ("coverageTier",),
                    ErrorCode.NOT_ALLOWED,
                    "A new policy's products name their own tiers; `coverageTier` is for "
                    "family added to a policy.",
                )
            )
    if details.get("life_event") and not details.get("event_date"):
        problems.append(
            Problem(("eventDate",), ErrorCode.REQUIRED, "A life event needs the day it happened.")
        )
    if type_ is T.DATA_CHANGE:
        problems.extend(data_change.check(details))
    raise_if(problems)


async def check_references(
    session: AsyncSession,
    type_: RequestType,
    details: Mapping[str, Any],
    *,
    policy_id: int | None,
    today: date,
) -> CatalogueItem | None:
    """A catalogue request picks an item its policy's account offers on the day (else
    NOT_OFFERED): the item."""
    if type_ not in (T.PRODUCT_UPGRADE, T.SERVICE_PURCHASE):
        return None
    assert policy_id is not None, "both name their policy (check_shape)"
    if type_ is T.PRODUCT_UPGRADE:
        return (await _upgrade(session, details, policy_id, today)).item
    return await catalogue.service_offered(
        session, policy_id=policy_id, code=details["service_code"], day=today
    )


async def _upgrade(
    session: AsyncSession, details: Mapping[str, Any], policy_id: int, today: date
) -> catalogue.Upgrade:
    product = details["product"]
    return await catalogue.upgrade_offered(
        session,
        policy_id=policy_id,
        product_code=product["product_code"],
        tier=CoverageTier(product["coverage_tier"]),
        day=_day(product.get("start_date")) or today,
    )


AUTOMATIC = frozenset(
    {T.ENROLMENT, T.TERMINATION, T.DEPENDANT_REMOVAL, T.DATA_CHANGE, T.PRODUCT_UPGRADE}
)
"""Types whose registration changes policies: tried out when submitted, then undone."""


async def register(
    session: AsyncSession,
    *,
    actor: Actor,
    limits: PolicyLimits,
    type_: RequestType,
    details: Mapping[str, Any],
) -> dict[str, Any]:
    """Register the request at the insurer as `actor`; the result is what they are told.

    Every row is looked up within the actor's reach, as the direct mutation does: a row out
    of it reads as an unknown id, in the same words.
    """
    if type_ is T.ENROLMENT:
        return await _enrol(session, actor, limits, details)
    if type_ is T.TERMINATION:
        policy = await changes.load(session, actor, Policy, details["policy_id"], field="policyId")
        await lifecycle.terminate_policy(
            session,
            actor=actor,
            limits=limits,
            policy_id=policy.id,  # type: ignore[arg-type]
            version=policy.version,
            end_date=date.fromisoformat(details["end_date"]),
        )
        return {"policyNumber": policy.number, "endDate": details["end_date"]}
    if type_ is T.DEPENDANT_REMOVAL:
        return await removal.register(session, actor, limits, details)
    if type_ is T.DATA_CHANGE:
        return await data_change.register(session, actor, limits, details)
    if type_ is T.PRODUCT_UPGRADE:
        return await _register_upgrade(session, actor, limits, details)
    if type_ is T.CERTIFICATE:
        return await certificate(session, actor, details, limits.today())
    if type_ is T.MEDICAL_AUTHORIZATION:
        return {
            "authorizationNumber": f"MA-{secrets.token_hex(4).upper()}",
            "serviceCode": details["medical"]["service_code"],
        }
    return {}


async def _register_upgrade(
    session: AsyncSession, actor: Actor, limits: PolicyLimits, details: Mapping[str, Any]
) -> dict[str, Any]:
    """Move the policy along the catalogue's path it picked, through the policies services."""
    policy = await changes.load(session, actor, Policy, details["policy_id"], field="policyId")
    path = await _upgrade(session, details, policy.id, limits.today())  # type: ignore[arg-type]
    start = _day(details["product"].get("start_date")) or limits.today()
    tier = CoverageTier(details["product"]["coverage_tier"])
    await upgrades.upgrade_product(
        session,
        actor=actor,
        limits=limits,
        policy_id=policy.id,  # type: ignore[arg-type]
        version=policy.version,
        enrolment_id=path.enrolment.id,  # type: ignore[arg-type]
        product_id=path.item.to_product_id,  # type: ignore[arg-type]
        coverage_tier=tier,
        start_date=start,
    )
    return {
        "policyNumber": policy.number,
        "productCode": details["product"]["product_code"],
        "coverageTier": tier.value,
        "startDate": start.isoformat(),
        "catalogueItem": path.item.code,
    }


async def _enrol(
    session: AsyncSession, actor: Actor, limits: PolicyLimits, details: Mapping[str, Any]
) -> dict[str, Any]:
    new = details.get("enrolment")
    try:
        if new:
            policy = await enrolment.enroll_policy(
                session,
                actor=actor,
                limits=limits,
                group_account_id=new["group_account_id"],
                insurable_class_id=new.get("insurable_class_id"),
                start_date=date.fromisoformat(new["start_date"]),
                subscriber=member_spec(new["subscriber"], Relationship.SUBSCRIBER),
                dependants=[member_spec(d) for d in new.get("dependants", [])],
                products=[product_spec(p) for p in new["products"]],
                number=new.get("number"),
                line_of_business=new.get("line_of_business"),
                data_access_group=new.get("data_access_group"),
                employment=employment_spec(new.get("employment")),
            )
            return {"policyId": policy.id, "policyNumber": policy.number}
        policy = await changes.load(session, actor, Policy, details["policy_id"], field="policyId")
        tier = details.get("coverage_tier")
        for i, dependant in enumerate(details["dependants"]):
            try:
                policy = await enrolment.add_member(
                    session,
                    actor=actor,
                    limits=limits,
                    policy_id=policy.id,  # type: ignore[arg-type]
                    version=policy.version,
                    member=member_spec(dependant),
                    coverage_tier=CoverageTier(tier) if tier else None,
                )
            except DomainError as error:
                raise DomainError(*_dependant_problems(error, ("dependants", str(i)))) from error
        return {"policyId": policy.id, "policyNumber": policy.number}
    except DomainError as error:
        if new:
            raise DomainError(*under(error, ("enrolment",))) from error
        raise


def _dependant_problems(error: DomainError, prefix: tuple[str, ...]) -> list[Problem]:
    """The problems, each under the input it names; a tier mismatch names the request's own
    `coverageTier`, the input that would settle it."""
    tier = [
        p
        for p in error.problems
        if p.code == ErrorCode.TIER_MISMATCH and p.field[:1] != ("products",)
    ]
    rest = [p for p in error.problems if p not in tier]
    return [
        *(Problem(("coverageTier",), p.code, p.message) for p in tier),
        *under(DomainError(*rest), prefix),
    ]


def member_spec(given: Mapping[str, Any], relationship: Relationship | None = None) -> MemberSpec:
    """A member as the policies services take it, from its JSON."""
    person = given.get("person")
    return MemberSpec(
        relationship=relationship or Relationship(given["relationship"]),
        person_id=given.get("person_id"),
        person=PersonData(
            **{
                **person,
                "birth_date": date.fromisoformat(person["birth_date"]),
                "gender": Gender(person["gender"]),
            }
        )
        if person
        else None,
        start_date=_day(given.get("start_date")),
        end_date=_day(given.get("end_date")),
    )


def employment_spec(given: Mapping[str, Any] | None) -> EmploymentData | None:
    """The subscriber's employment as the policies services take it, from its JSON."""
    if not given:
        return None
    salary = given.get("salary")
    return EmploymentData(**{**given, "salary": Decimal(salary) if salary else None})


def product_spec(given: Mapping[str, Any]) -> ProductSpec:
    return ProductSpec(
        product_code=given["product_code"],
        coverage_tier=CoverageTier(given["coverage_tier"]),
        start_date=_day(given.get("start_date")),
        end_date=_day(given.get("end_date")),
    )


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
