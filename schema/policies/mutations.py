"""Mutations of persons and policies: each one transaction, each audited."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import fields
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import GROUPS_WRITE, POLICIES_WRITE, Actor
from domain.policies import employment, enrolment, lifecycle, persons
from domain.policies.employment import EmploymentData
from domain.policies.enrolment import MemberSpec, ProductSpec
from domain.policies.limits import PolicyLimits
from domain.policies.models import Relationship
from domain.policies.persons import PersonData
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.mutations import actor, mutation, perform
from schema.core.permissions import guarded
from schema.core.relay import optional_id, require_id
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


def _person_data(given: inputs.PersonInput | None) -> PersonData | None:
    if given is None:
        return None
    return PersonData(**{f.name: getattr(given, f.name) for f in fields(PersonData)})


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


async def _policy_change(
    info: Info, change: Callable[[AsyncSession, Actor, PolicyLimits], Awaitable[Any]]
) -> PolicyPayload:
    """Run a change to a policy and answer the policy as it now is."""

    async def run(session: AsyncSession) -> Policy:
        limits = info.context.policy_limits
        row = await change(session, actor(info, POLICIES_WRITE), limits)
        return Policy.from_model(row)

    return await perform(info, run, lambda node, errors: PolicyPayload(policy=node, errors=errors))


@strawberry.type
class PolicyMutation:
    @strawberry.mutation(
        **guarded(
            POLICIES_WRITE,
            "Enrol an employee in a group account: the subscriber, their family and products.",
        )
    )
    async def policy_enroll(self, info: Info, input: inputs.PolicyEnrollInput) -> PolicyPayload:
        return await _policy_change(
            info,
            lambda session, who, limits: enrolment.enroll_policy(
                session,
                actor=who,
                limits=limits,
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
            ),
        )

    @strawberry.mutation(
        **guarded(POLICIES_WRITE, "Insure one more family member on a policy, from a date.")
    )
    async def policy_member_add(
        self, info: Info, input: inputs.PolicyMemberAddInput
    ) -> PolicyPayload:
        return await _policy_change(
            info,
            lambda session, who, limits: enrolment.add_member(
                session,
                actor=who,
                limits=limits,
                policy_id=_policy_id(input.policy_id),
                version=input.version,
                member=_member(input, input.relationship),
            ),
        )

    @strawberry.mutation(
        **guarded(POLICIES_WRITE, "End a dependant's coverage on a date (the last day covered).")
    )
    async def policy_member_remove(
        self, info: Info, input: inputs.PolicyMemberRemoveInput
    ) -> PolicyPayload:
        return await _policy_change(
            info,
            lambda session, who, limits: enrolment.remove_member(
                session,
                actor=who,
                limits=limits,
                policy_id=_policy_id(input.policy_id),
                version=input.version,
                person_id=require_id(input.person_id, "Person", field="person_id"),
                end_date=input.end_date,
            ),
        )

    @strawberry.mutation(
        **guarded(
            POLICIES_WRITE,
            "Terminate a policy on a date (the last day covered): the subscriber's end ends "
            "every dependant's coverage, link and product on the same date.",
        )
    )
    async def policy_terminate(
        self, info: Info, input: inputs.PolicyTerminateInput
    ) -> PolicyPayload:
        return await _policy_change(
            info,
            lambda session, who, limits: lifecycle.terminate_policy(
                session,
                actor=who,
                limits=limits,
                policy_id=_policy_id(input.policy_id),
                version=input.version,
                end_date=input.end_date,
            ),
        )

    @strawberry.mutation(
        **guarded(
            POLICIES_WRITE,
            "Reinstate a terminated policy: what ended with it runs on, children to their "
            "age limit.",
        )
    )
    async def policy_reinstate(
        self, info: Info, input: inputs.PolicyReinstateInput
    ) -> PolicyPayload:
        return await _policy_change(
            info,
            lambda session, who, limits: lifecycle.reinstate_policy(
                session,
                actor=who,
                limits=limits,
                policy_id=_policy_id(input.policy_id),
                version=input.version,
            ),
        )

    @strawberry.mutation(
        **guarded(POLICIES_WRITE, "Move a policy to another group account or class from a date.")
    )
    async def policy_move(self, info: Info, input: inputs.PolicyMoveInput) -> PolicyPayload:
        return await _policy_change(
            info,
            lambda session, who, limits: lifecycle.move_policy(
                session,
                actor=who,
                limits=limits,
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
            ),
        )

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
        )
        return PolicyPayload(policy=Policy.from_model(row), errors=[])

    @strawberry.mutation(
        **guarded(
            GROUPS_WRITE,
            "End a group account on a date, and every policy still in it on that date.",
        )
    )
    async def group_account_terminate(
        self, info: Info, input: inputs.GroupAccountTerminateInput
    ) -> GroupAccountTerminatePayload:
        async def run(session: AsyncSession) -> tuple[GroupAccount, int]:
            row, ended = await lifecycle.terminate_group_account(
                session,
                actor=actor(info, GROUPS_WRITE),
                limits=info.context.policy_limits,
                group_account_id=require_id(input.id, "GroupAccount", field="id"),
                version=input.version,
                end_date=input.end_date,
            )
            return GroupAccount.from_model(row), ended

        return await perform(
            info,
            run,
            lambda done, errors: GroupAccountTerminatePayload(
                group_account=done[0] if done else None,
                terminated_policy_count=done[1] if done else None,
                errors=errors,
            ),
        )
