"""DEPENDANT_REMOVAL: one family member's cover ends (a child leaves, a divorce).

Registered through the policies' own member removal (domain.policies.enrolment.remove_member)
as the sender, on the policy the sender reaches that insures the person today: a person out
of their reach reads as an unknown id, and the subscriber cannot be removed this way.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.errors import DomainError, ErrorCode
from domain.policies import enrolment
from domain.policies.limits import PolicyLimits
from domain.policies.models import PolicyMember
from domain.workflow.anchors import policy_of_person
from domain.workflow.naming import under

NEEDS = frozenset({"person_id", "end_date", "reason"})


async def register(
    session: AsyncSession, actor: Actor, limits: PolicyLimits, details: Mapping[str, Any]
) -> dict[str, Any]:
    """End the person's cover on `end_date` (the last day covered), as `actor`."""
    person, policy = await policy_of_person(session, actor, details["person_id"], limits.today())
    end = date.fromisoformat(details["end_date"])
    first = await session.scalar(
        sa.select(sa.func.min(col(PolicyMember.start_date))).where(
            col(PolicyMember.policy_id) == policy.id, col(PolicyMember.person_id) == person.id
        )
    )
    if first is not None and end < first:
        raise DomainError.of(
            "endDate",
            ErrorCode.END_BEFORE_START,
            f"The person is covered from {first}; the cover cannot end before.",
        )
    try:
        await enrolment.remove_member(
            session,
            actor=actor,
            limits=limits,
            policy_id=policy.id,  # type: ignore[arg-type]
            version=policy.version,
            person_id=person.id,  # type: ignore[arg-type]
            end_date=end,
        )
    except DomainError as error:
        raise DomainError(*under(error, ())) from error
    return {"policyNumber": policy.number, "endDate": details["end_date"]}
