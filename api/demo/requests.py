"""The demo book's workflow requests: some done, some waiting in inboxes, some overdue.

Sent through the workflow services as the demo families' employees would send them, so
each follows the shipped process flow; the server's steps run at once. A third of those
left waiting are dated five days back, so that their steps are overdue and the next sweep
escalates them to the back office.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.demo.families import PREFIX
from authz.access import EVERYTHING, Actor
from authz.principal import Role
from domain.catalogue import service as catalogue
from domain.catalogue.models import CatalogueItem, ItemKind
from domain.core.errors import DomainError
from domain.core.periods import in_force
from domain.policies.limits import PolicyLimits, utc_today
from domain.policies.models import (
    EnrollmentProduct,
    Person,
    Policy,
    PolicyMember,
    PolicyStatus,
)
from domain.reference.models import Product
from domain.workflow import steps, submit
from domain.workflow.models import (
    Channel,
    RequestState,
    RequestType,
    TaskState,
    WorkflowEvent,
    WorkflowRequest,
    WorkflowTask,
)

DEMO_REQUESTS = 48
LIMITS = PolicyLimits()
AGED = timedelta(days=5)


async def load_requests(
    session: AsyncSession, added: dict[str, int], *, count: int = DEMO_REQUESTS
) -> None:
    """Send the demo requests unless some request exists already; count what was sent."""
    if await session.scalar(sa.select(col(WorkflowRequest.id)).limit(1)) is not None:
        return
    rows = (
        await session.execute(
            sa.select(Policy, Person)
            .join(Person, col(Person.id) == col(Policy.subscriber_id))
            .where(
                col(Person.person_number).startswith(PREFIX),
                col(Policy.status) == PolicyStatus.ACTIVE,
                col(Policy.start_date) <= utc_today(),
            )
            .order_by(col(Policy.id))
            .limit(count)
        )
    ).all()
    waiting: list[WorkflowRequest] = []
    # An upgrade is sent by a family whose catalogue offers one (few do: most accounts offer
    # one product of a kind, or another only to some classes).
    upgradable = iter([row for row in rows if await _path(session, row[0], utc_today())])
    for i, (policy, holder) in enumerate(rows):
        if _TYPES[i % len(_TYPES)] is RequestType.PRODUCT_UPGRADE:
            found = next(upgradable, None)
            if found is None:
                continue
            policy, holder = found
        for row in (policy, holder):  # a request sent before may have changed it, or undone
            if sa.inspect(row).expired_attributes:
                await session.refresh(row)
        details = await _details(session, i, policy, holder)
        savepoint = await session.begin_nested()
        try:
            made = await submit.submit(
                session,
                actor=Actor(f"demo-employee-{holder.person_number}", EVERYTHING),
                roles=frozenset({Role.EMPLOYEE}),
                limits=LIMITS,
                submission=submit.Submission(_TYPES[i % len(_TYPES)], Channel.EMPLOYEE, details),
            )
            while await steps.server_step(session, made.id, LIMITS):  # type: ignore[arg-type]
                pass
        except DomainError:  # a family the story does not fit: leave it out
            await savepoint.rollback()
            continue
        await savepoint.commit()
        added["workflow requests"] += 1
        if made.state in (RequestState.PENDING_APPROVAL, RequestState.APPROVED):
            waiting.append(made)
    await session.flush()
    for made in waiting[::3]:
        await _age(session, made)


_TYPES = (
    RequestType.TERMINATION,
    RequestType.PRODUCT_UPGRADE,
    RequestType.MEDICAL_AUTHORIZATION,
    RequestType.CERTIFICATE,
    RequestType.SERVICE_PURCHASE,
    RequestType.DATA_CHANGE,
    RequestType.VIDEO_CONSULTATION,
    RequestType.ENROLMENT,
    RequestType.DEPENDANT_REMOVAL,
)


async def _path(session: AsyncSession, policy: Policy, today: date) -> CatalogueItem | None:
    """An upgrade the policy's catalogue offers it today."""
    found = catalogue.items(EVERYTHING, policy_id=policy.id, kind=ItemKind.UPGRADE, as_of=today)
    return await session.scalar(found.limit(1))


async def _upgrade(session: AsyncSession, policy: Policy, today: date) -> dict[str, Any]:
    """The upgrade the policy's catalogue offers it, in the tier it has."""
    path = await _path(session, policy, today)
    assert path is not None, "upgrades are sent for policies that have one (load_requests)"
    tier = await session.scalar(
        sa.select(col(EnrollmentProduct.coverage_tier)).where(
            col(EnrollmentProduct.policy_id) == policy.id,
            col(EnrollmentProduct.product_id) == path.from_product_id,
            in_force(EnrollmentProduct, today),
        )
    )
    code = await session.scalar(
        sa.select(col(Product.code)).where(col(Product.id) == path.to_product_id)
    )
    return {"policy_id": policy.id, "product": {"product_code": code, "coverage_tier": tier}}


async def _details(session: AsyncSession, i: int, policy: Policy, holder: Person) -> dict[str, Any]:
    today = utc_today()
    kind = _TYPES[i % len(_TYPES)]
    if kind is RequestType.TERMINATION:
        return {
            "policy_id": policy.id,
            "end_date": (today + timedelta(days=30)).isoformat(),
            "comment": "Leaving the company at the end of next month.",
        }
    if kind is RequestType.PRODUCT_UPGRADE:
        return await _upgrade(session, policy, today)
    if kind is RequestType.MEDICAL_AUTHORIZATION:
        return {
            "person_id": holder.id,
            "medical": {
                "service_code": "MRI-KNEE",
                "diagnosis": "M23.2",
                "provider": "City Clinic",
                "planned_date": (today + timedelta(days=14)).isoformat(),
            },
        }
    if kind is RequestType.CERTIFICATE:
        return {"policy_id": policy.id}
    if kind is RequestType.SERVICE_PURCHASE:
        return {"policy_id": policy.id, "service_code": "GYM-YEAR", "quantity": 1}
    if kind is RequestType.DATA_CHANGE:
        return {
            "person_id": holder.id,
            "contact": {"email": f"{holder.person_number.lower()}@example.com"},
        }
    if kind is RequestType.DEPENDANT_REMOVAL:
        return await _removal(session, policy, today)
    if kind is RequestType.VIDEO_CONSULTATION:
        return {
            "person_id": holder.id,
            "reason": "Skin rash",
            "preferred_at": f"{today + timedelta(days=2)}T09:00:00+00:00",
        }
    born = today - timedelta(days=6)
    partner = await session.scalar(
        sa.select(col(PolicyMember.id)).where(
            col(PolicyMember.policy_id) == policy.id,
            col(PolicyMember.relationship).in_(["SPOUSE", "DOMESTIC_PARTNER"]),
        )
    )
    return {
        "policy_id": policy.id,
        "life_event": "BIRTH",
        "event_date": born.isoformat(),
        # the newborn's family may need a new tier: name the one it then fits
        "coverage_tier": "FAMILY" if partner else "EMPLOYEE_CHILDREN",
        "dependants": [
            {
                "relationship": "CHILD",
                "person": {
                    "given_name": "Baby",
                    "family_name": holder.family_name,
                    "birth_date": born.isoformat(),
                    "gender": "UNKNOWN",
                },
            }
        ],
    }


async def _removal(session: AsyncSession, policy: Policy, today: date) -> dict[str, Any]:
    """A child leaving the family cover at the end of next month (the family keeps a partner
    or another child, so its tier still fits); none: a family the story does not fit."""
    children = (
        await session.scalars(
            sa.select(col(PolicyMember.person_id)).where(
                col(PolicyMember.policy_id) == policy.id,
                col(PolicyMember.relationship) == "CHILD",
                col(PolicyMember.end_date) > today + timedelta(days=30),
            )
        )
    ).all()
    return {
        "person_id": children[-1] if len(children) > 1 else None,
        "end_date": (today + timedelta(days=30)).isoformat(),
        "reason": "Moved out to study abroad.",
    }


async def _age(session: AsyncSession, made: WorkflowRequest) -> None:
    """Date a waiting request back, as if sent five days ago: its open step is now overdue."""
    made.created_at -= AGED
    made.updated_at -= AGED
    for event in await session.scalars(
        sa.select(WorkflowEvent).where(col(WorkflowEvent.request_id) == made.id)
    ):
        event.at -= AGED
    for task in await session.scalars(
        sa.select(WorkflowTask).where(
            col(WorkflowTask.request_id) == made.id, col(WorkflowTask.state) == TaskState.OPEN
        )
    ):
        task.created_at -= AGED
        task.due_at -= AGED
