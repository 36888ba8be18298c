"""Mutations of persons and policies: each one transaction, each audited."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import strawberry

from authz.access import GROUPS_WRITE, POLICIES_WRITE
from domain.policies import employment, enrolment, lifecycle, persons
from domain.policies.employment import EmploymentData
from domain.policies.enrolment import MemberSpec, ProductSpec
from domain.policies.models import Policy as PolicyRow
from domain.policies.models import Relationship
from domain.policies.persons import PersonData
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.mutations import actor, mutation
from schema.core.relay import optional_id, require_id
from schema.dynamic.inputs import assignments
from schema.groups.types import GroupAccount
from schema.policies import inputs
from schema.policies.types import Person, Policy

_ERRORS = "Why the input was refused; empty on success, and then every change was saved."


@strawberry.type(description="The outcome of a change to a policy.")
class PolicyPayload:
    policy: Policy | None = strawberry.field(description="The policy as it now is.")
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type(description="The outcome of personUpdate.")
class PersonUpdatePayload:
    person: Person | None = strawberry.field(description="The person as they now are.")
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type(description="The outcome of groupAccountTerminate.")
class GroupAccountTerminatePayload:
    group_account: GroupAccount | None = strawberry.field(description="The ended account.")
    terminated_policy_count: int | None = strawberry.field(
        description="How many policies ended with it."
    )
    errors: list[UserError] = strawberry.field(description=_ERRORS)


def _employment(given: inputs.EmploymentInput | None) -> EmploymentData | None:
    if given is None:
        return None
    return EmploymentData(**{f.name: getattr(given, f.name) for f in fields(EmploymentData)})


def _given(input: Any, data: type) -> dict[str, Any]:
    """The fields of `data` the input sets (null included); those left out keep their value."""
    return {
        f.name: getattr(input, f.name)
        for f in fields(data)
        if getattr(input, f.name) is not strawberry.UNSET
    }


def _person_data(given: inputs.PersonInput | None) -> PersonData | None:
    if given is None:
        return None
    return PersonData(**{f.name: getattr(given, f.name) for f in fields(PersonData)})


def _member(
    given: inputs.PolicyMemberInput | inputs.PolicyMemberAddInput | inputs.PolicySubscriberInput,
    relationship: Relationship,
) -> MemberSpec:
    return MemberSpec(
        relationship=relationship,
        person_id=optional_id(given.person_id, "Person", field="person_id"),
        person=_person_data(given.person),
        start_date=getattr(given, "start_date", None),
        end_date=getattr(given, "end_date", None),
    )


def _products(given: list[inputs.EnrollmentProductInput]) -> list[ProductSpec]:
    return [
        ProductSpec(
            product_code=p.product_code,
            coverage_tier=p.coverage_tier,
            start_date=p.start_date,
            end_date=p.end_date,
        )
        for p in given
    ]


def _policy_id(value: str) -> int:
    return require_id(value, "Policy", field="policy_id")


def _payload(row: PolicyRow) -> PolicyPayload:
    return PolicyPayload(policy=Policy.from_model(row), errors=[])


@strawberry.type
class PolicyMutation:
    @mutation(
        POLICIES_WRITE,
        "Enrol an employee in a group account: the subscriber, their family and products.",
    )
    async def policy_enroll(self, info: Info, input: inputs.PolicyEnrollInput) -> PolicyPayload:
        row = await enrolment.enroll_policy(
            info.context.session,
            actor=actor(info),
            limits=info.context.policy_limits,
            group_account_id=require_id(
                input.group_account_id, "GroupAccount", field="group_account_id"
            ),
            insurable_class_id=optional_id(
                input.insurable_class_id, "InsurableClass", field="insurable_class_id"
            ),
            start_date=input.start_date,
            subscriber=_member(input.subscriber, Relationship.SUBSCRIBER),
            dependants=[_member(d, d.relationship) for d in input.dependants],
            products=_products(input.products),
            number=input.number,
            line_of_business=input.line_of_business,
            data_access_group=input.data_access_group,
            employment=_employment(input.employment),
        )
        return _payload(row)

    @mutation(POLICIES_WRITE, "Insure one more family member on a policy, from a date.")
    async def policy_member_add(
        self, info: Info, input: inputs.PolicyMemberAddInput
    ) -> PolicyPayload:
        row = await enrolment.add_member(
            info.context.session,
            actor=actor(info),
            limits=info.context.policy_limits,
            policy_id=_policy_id(input.policy_id),
            version=input.version,
            member=_member(input, input.relationship),
            coverage_tier=input.coverage_tier,
        )
        return _payload(row)

    @mutation(POLICIES_WRITE, "End a dependant's coverage on a date (the last day covered).")
    async def policy_member_remove(
        self, info: Info, input: inputs.PolicyMemberRemoveInput
    ) -> PolicyPayload:
        row = await enrolment.remove_member(
            info.context.session,
            actor=actor(info),
            limits=info.context.policy_limits,
            policy_id=_policy_id(input.policy_id),
            version=input.version,
            person_id=require_id(input.person_id, "Person", field="person_id"),
            end_date=input.end_date,
            coverage_tier=input.coverage_tier,
        )
        return _payload(row)

    @mutation(
        POLICIES_WRITE,
        "Terminate a policy on a date (the last day covered): the subscriber's end ends "
        "every dependant's coverage, link and product on the same date.",
    )
    async def policy_terminate(
        self, info: Info, input: inputs.PolicyTerminateInput
    ) -> PolicyPayload:
        row = await lifecycle.terminate_policy(
            info.context.session,
            actor=actor(info),
            limits=info.context.policy_limits,
            policy_id=_policy_id(input.policy_id),
            version=input.version,
            end_date=input.end_date,
        )
        return _payload(row)

    @mutation(
        POLICIES_WRITE,
        "Reinstate a terminated policy: every member, link and product is as it was before "
        "the termination, and what it withdrew comes back.",
    )
    async def policy_reinstate(
        self, info: Info, input: inputs.PolicyReinstateInput
    ) -> PolicyPayload:
        row = await lifecycle.reinstate_policy(
            info.context.session,
            actor=actor(info),
            limits=info.context.policy_limits,
            policy_id=_policy_id(input.policy_id),
            version=input.version,
        )
        return _payload(row)

    @mutation(POLICIES_WRITE, "Move a policy to another group account or class from a date.")
    async def policy_move(self, info: Info, input: inputs.PolicyMoveInput) -> PolicyPayload:
        row = await lifecycle.move_policy(
            info.context.session,
            actor=actor(info),
            limits=info.context.policy_limits,
            policy_id=_policy_id(input.policy_id),
            version=input.version,
            on=input.date,
            group_account_id=optional_id(
                input.group_account_id, "GroupAccount", field="group_account_id"
            ),
            insurable_class_id=optional_id(
                input.insurable_class_id, "InsurableClass", field="insurable_class_id"
            ),
            products=None if input.products is None else _products(input.products),
        )
        return _payload(row)

    @mutation(
        POLICIES_WRITE,
        "Change a person's shared data: who they are and how to reach them at home. Everyone "
        "who insures them sees it, so it needs a policy you may change that insures them today.",
    )
    async def person_update(
        self, info: Info, input: inputs.PersonUpdateInput
    ) -> PersonUpdatePayload:
        row = await persons.update_person(
            info.context.session,
            actor=actor(info),
            limits=info.context.policy_limits,
            person_id=require_id(input.id, "Person", field="id"),
            version=input.version,
            changes=_given(input, PersonData),
        )
        return PersonUpdatePayload(person=Person.from_model(row), errors=[])

    @mutation(
        POLICIES_WRITE,
        "Change the subscriber's employment data on a policy: employee number, work e-mail, "
        "salary. Only this policy's employer sees them.",
    )
    async def policy_employment_update(
        self, info: Info, input: inputs.PolicyEmploymentUpdateInput
    ) -> PolicyPayload:
        row = await employment.update_employment(
            info.context.session,
            actor=actor(info),
            policy_id=_policy_id(input.policy_id),
            version=input.version,
            changes=_given(input, EmploymentData),
            dynamic_fields=assignments(input.dynamic_fields),
        )
        return _payload(row)

    @mutation(
        GROUPS_WRITE, "End a group account on a date, and every policy still in it on that date."
    )
    async def group_account_terminate(
        self, info: Info, input: inputs.GroupAccountTerminateInput
    ) -> GroupAccountTerminatePayload:
        row, ended = await lifecycle.terminate_group_account(
            info.context.session,
            actor=actor(info),
            limits=info.context.policy_limits,
            group_account_id=require_id(input.id, "GroupAccount", field="id"),
            version=input.version,
            end_date=input.end_date,
        )
        return GroupAccountTerminatePayload(
            group_account=GroupAccount.from_model(row), terminated_policy_count=ended, errors=[]
        )
