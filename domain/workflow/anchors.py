"""Where a request belongs: the account, policy and person it is about, within the sender's
reach, whose inbox and whose restrictions apply to it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core import changes
from domain.core.errors import DomainError, ErrorCode
from domain.core.periods import in_force
from domain.core.reach import visible
from domain.groups.models import GroupAccount
from domain.policies.models import Person, Policy, PolicyAccountLink, PolicyMember
from domain.workflow.models import RequestType


@dataclass(frozen=True)
class Anchor:
    """Where a request belongs: whose inbox and whose restrictions apply to it."""

    group_account_id: int | None
    policy_id: int | None
    person_id: int | None
    line_of_business_id: int | None
    data_access_group_id: int | None


async def anchor(
    session: AsyncSession,
    actor: Actor,
    type_: RequestType,
    details: Mapping[str, Any],
    *,
    today: date,
) -> Anchor:
    """Find what the request is about, among what the submitter may see."""
    if type_ is RequestType.ENROLMENT and details.get("enrolment"):
        account_id = details["enrolment"]["group_account_id"]
        account = await changes.load(
            session, actor, GroupAccount, account_id, field="enrolment.groupAccountId"
        )
        return Anchor(
            account.id, None, None, account.line_of_business_id, account.data_access_group_id
        )
    if details.get("policy_id") is not None:
        policy = await changes.load(session, actor, Policy, details["policy_id"], field="policyId")
        return await _of_policy(session, policy, policy.subscriber_id)
    person, policy = await policy_of_person(session, actor, details["person_id"], today)
    return await _of_policy(session, policy, person.id)  # type: ignore[arg-type]


async def policy_of_person(
    session: AsyncSession, actor: Actor, person_id: int, today: date
) -> tuple[Person, Policy]:
    """The person, and the policy the actor reaches that insures them today."""
    person = await changes.load(session, actor, Person, person_id, field="personId")
    policy_id = await session.scalar(
        sa.select(col(PolicyMember.policy_id))
        .where(
            col(PolicyMember.person_id) == person.id,
            in_force(PolicyMember, today),
            # A person insured by several employers: the policy the sender reaches.
            visible(actor.scope, PolicyMember),
        )
        .order_by(col(PolicyMember.start_date).desc())
        .limit(1)
    )
    if policy_id is None:
        raise DomainError.of("personId", ErrorCode.NOT_ALLOWED, "This person is not insured today.")
    return person, await session.get_one(Policy, policy_id)


async def _of_policy(session: AsyncSession, policy: Policy, person_id: int) -> Anchor:
    account_id = await session.scalar(
        sa.select(col(PolicyAccountLink.group_account_id))
        .where(col(PolicyAccountLink.policy_id) == policy.id)
        .order_by(col(PolicyAccountLink.start_date).desc())
        .limit(1)
    )
    return Anchor(
        account_id, policy.id, person_id, policy.line_of_business_id, policy.data_access_group_id
    )
