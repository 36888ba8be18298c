"""Inputs of the queries and mutations of persons and policies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from schema.dynamic.inputs import DynamicFieldAssignmentInput
from schema.policies.types import Gender, PolicyStatus, Relationship
from schema.reference.types import CoverageTier

_VERSION = "The policy's version you read; refused if stale."

_NEW_TIER = (
    "The tier the policy's products move to from the day the family changes. Required when "
    "the family would no longer fit their tier (a spouse added to EMPLOYEE_ONLY, the last "
    "dependant removed from FAMILY...): the change is refused with TIER_MISMATCH otherwise. "
    "Products sold in one tier only keep theirs."
)


@strawberry.input(description="Which policies to list; every given criterion must hold.")
class PolicyFilter:
    group_client_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only policies in this group client or anywhere below it."
    )
    group_account_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only policies in this group account."
    )
    status: PolicyStatus | None = strawberry.field(default=None, description="Only this status.")
    as_of: date | None = strawberry.field(
        default=None,
        description="Only policies in force on this day, and in the group given on this day; "
        "without it, a group criterion matches a policy that was ever in the group.",
    )
    search: str | None = strawberry.field(
        default=None,
        description="Text found in the policy number, the subscriber's person number or, if "
        "you may read personal fields (field:personal:read), the subscriber's names; "
        "ignoring case.",
    )


@strawberry.input(description="A person's data; optional fields left out are unknown.")
class PersonInput:
    given_name: str = strawberry.field(description="Up to 100 characters.")
    family_name: str = strawberry.field(description="Up to 100 characters.")
    birth_date: date = strawberry.field(description="Between 1900-01-01 and today.")
    gender: Gender = strawberry.field(description="The gender.")
    national_id: str | None = strawberry.field(
        default=None,
        description="Up to 30 letters, digits, '.', '/', '-', spaces. A known national id "
        "with the same birth date and names (ignoring case) is that person, enrolled again; "
        "with other details it is refused as DUPLICATE.",
    )
    email: str | None = strawberry.field(
        default=None, description="A personal e-mail address; a work one goes in `employment`."
    )
    phone: str | None = strawberry.field(default=None, description="Digits, spaces, ( ) . - +.")
    address_line: str | None = strawberry.field(default=None, description="Street and number.")
    postal_code: str | None = strawberry.field(default=None, description="The postal code.")
    city: str | None = strawberry.field(default=None, description="The city.")
    country: str | None = strawberry.field(default=None, description="ISO 3166 code, e.g. DE.")


@strawberry.input(description="What the employer knows of the subscriber; all optional.")
class EmploymentInput:
    employee_number: str | None = strawberry.field(
        default=None, description="Up to 30 letters, digits, '.', '/', '_', '-', spaces."
    )
    work_email: str | None = strawberry.field(default=None, description="The work e-mail address.")
    salary: Decimal | None = strawberry.field(
        default=None, description="Yearly salary, with at most two decimals."
    )
    salary_currency: str | None = strawberry.field(
        default=None, description="ISO 4217 code, e.g. EUR; required with a salary."
    )


@strawberry.input(description="Who to insure: a known person by id, or a new person (give one).")
class PolicySubscriberInput:
    person_id: strawberry.ID | None = strawberry.field(
        default=None, description="A person you may see."
    )
    person: PersonInput | None = strawberry.field(default=None, description="A person's data.")


@strawberry.input(description="A family member to insure with the subscriber.")
class PolicyMemberInput:
    person_id: strawberry.ID | None = strawberry.field(
        default=None, description="A person you may see; or give `person`."
    )
    person: PersonInput | None = strawberry.field(
        default=None, description="A person's data; or give `personId`."
    )
    relationship: Relationship = strawberry.field(description="Not SUBSCRIBER.")
    start_date: date | None = strawberry.field(
        default=None, description="The first day covered; the policy's start by default."
    )
    end_date: date | None = strawberry.field(
        default=None,
        description="The last day covered; open-ended by default, for a child the day "
        "before the age limit.",
    )


@strawberry.input(description="A product to enrol in.")
class EnrollmentProductInput:
    product_code: str = strawberry.field(description="The product's code.")
    coverage_tier: CoverageTier = strawberry.field(description="Who the product covers.")
    start_date: date | None = strawberry.field(
        default=None, description="The first day; the policy's (or the move's) by default."
    )
    end_date: date | None = strawberry.field(default=None, description="The last day, if any.")


@strawberry.input(description="A new policy: the subscriber, their family and their products.")
class PolicyEnrollInput:
    group_account_id: strawberry.ID = strawberry.field(description="The group account.")
    insurable_class_id: strawberry.ID | None = strawberry.field(
        default=None, description="The class in that account; required when it has classes."
    )
    start_date: date = strawberry.field(description="The first day of coverage.")
    subscriber: PolicySubscriberInput = strawberry.field(description="The employee.")
    dependants: list[PolicyMemberInput] = strawberry.field(
        default_factory=list, description="The family members insured with them."
    )
    products: list[EnrollmentProductInput] = strawberry.field(
        description="At least one product the account offers to the class."
    )
    number: str | None = strawberry.field(
        default=None, description="The policy number; one is made up when left out."
    )
    line_of_business: str | None = strawberry.field(
        default=None, description="Code of the policy's line of business; the account's by default."
    )
    data_access_group: str | None = strawberry.field(
        default=None,
        description="Code of the policy's data access group; the account's by default.",
    )
    employment: EmploymentInput | None = strawberry.field(
        default=None, description="The subscriber's employee number, work e-mail and salary."
    )


@strawberry.input(description="A family member to add to a policy.")
class PolicyMemberAddInput:
    policy_id: strawberry.ID = strawberry.field(description="The policy.")
    version: int = strawberry.field(description=_VERSION)
    person_id: strawberry.ID | None = strawberry.field(
        default=None, description="A person you may see; or give `person`."
    )
    person: PersonInput | None = strawberry.field(
        default=None, description="A person's data; or give `personId`."
    )
    relationship: Relationship = strawberry.field(description="Not SUBSCRIBER.")
    start_date: date | None = strawberry.field(
        default=None,
        description="The first day covered; today (or the policy's start, if later) by default.",
    )
    end_date: date | None = strawberry.field(
        default=None, description="The last day; for a child the day before the age limit."
    )
    coverage_tier: CoverageTier | None = strawberry.field(default=None, description=_NEW_TIER)


@strawberry.input(description="A dependant whose coverage ends.")
class PolicyMemberRemoveInput:
    policy_id: strawberry.ID = strawberry.field(description="The policy.")
    version: int = strawberry.field(description=_VERSION)
    person_id: strawberry.ID = strawberry.field(description="The dependant.")
    end_date: date = strawberry.field(
        description="The last day covered; coverage that would start later is withdrawn."
    )
    coverage_tier: CoverageTier | None = strawberry.field(default=None, description=_NEW_TIER)


@strawberry.input(description="A policy to end, with everyone and everything on it.")
class PolicyTerminateInput:
    policy_id: strawberry.ID = strawberry.field(description="The policy.")
    version: int = strawberry.field(description=_VERSION)
    end_date: date = strawberry.field(description="The last day covered.")


@strawberry.input(description="A terminated policy to run on again.")
class PolicyReinstateInput:
    policy_id: strawberry.ID = strawberry.field(description="The policy.")
    version: int = strawberry.field(description=_VERSION)


@strawberry.input(description="Where a policy moves, and from when.")
class PolicyMoveInput:
    policy_id: strawberry.ID = strawberry.field(description="The policy.")
    version: int = strawberry.field(description=_VERSION)
    date: date = strawberry.field(description="The first day in the new account or class.")
    group_account_id: strawberry.ID | None = strawberry.field(
        default=None, description="The new group account; the current one when left out."
    )
    insurable_class_id: strawberry.ID | None = strawberry.field(
        default=None, description="The new class; required when the new account has classes."
    )
    products: list[EnrollmentProductInput] | None = strawberry.field(
        default=None,
        description="The products from the move on; when left out, the current products "
        "carry on, and must be offered in the new place.",
    )


@strawberry.input(
    description="Changes to a person's shared data (seen by everyone who insures them); fields "
    "left out keep their value."
)
class PersonUpdateInput:
    id: strawberry.ID = strawberry.field(description="The person.")
    version: int = strawberry.field(description="The person's version you read.")
    given_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="A new given name."
    )
    family_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="A new family name."
    )
    birth_date: date | None = strawberry.field(
        default=strawberry.UNSET, description="A corrected birth date."
    )
    gender: Gender | None = strawberry.field(default=strawberry.UNSET, description="A new gender.")
    national_id: str | None = strawberry.field(
        default=strawberry.UNSET, description="null clears it."
    )
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


@strawberry.input(description="Changes to a policy's employment data; fields left out keep theirs.")
class PolicyEmploymentUpdateInput:
    policy_id: strawberry.ID = strawberry.field(description="The policy.")
    version: int = strawberry.field(description=_VERSION)
    employee_number: str | None = strawberry.field(
        default=strawberry.UNSET, description="null clears it."
    )
    work_email: str | None = strawberry.field(
        default=strawberry.UNSET, description="null clears it."
    )
    salary: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="null clears it, and then give no currency."
    )
    salary_currency: str | None = strawberry.field(
        default=strawberry.UNSET, description="null clears it."
    )
    dynamic_fields: list[DynamicFieldAssignmentInput] | None = strawberry.field(
        default=None,
        description="Dynamic field values to set or (with null) clear; others keep theirs.",
    )


@strawberry.input(description="A group account to end, with every policy still in it.")
class GroupAccountTerminateInput:
    id: strawberry.ID = strawberry.field(description="The group account.")
    version: int = strawberry.field(description="The account's version you read.")
    end_date: date = strawberry.field(description="The account's last day.")
