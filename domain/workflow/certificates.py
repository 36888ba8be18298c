"""Certificates of insurance, issued by registering a CERTIFICATE request."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core import changes
from domain.core.columns import utcnow
from domain.policies.models import EnrollmentProduct, Person, Policy, PolicyMember
from domain.policies.queries import in_force
from domain.reference.models import Product


async def certificate(
    session: AsyncSession, actor: Actor, details: Mapping[str, Any], today: date
) -> dict[str, Any]:
    """A certificate of insurance: who is covered by which products on a day.

    It names the insured, so a request's `result` is personal data (schema.workflow.types).
    """
    as_of = details.get("as_of")
    day = date.fromisoformat(as_of) if as_of else today
    policy = await changes.load(session, actor, Policy, details["policy_id"], field="policyId")
    members = (
        await session.execute(
            sa.select(
                col(Person.given_name), col(Person.family_name), col(PolicyMember.relationship)
            )
            .join(PolicyMember, col(PolicyMember.person_id) == col(Person.id))
            .where(col(PolicyMember.policy_id) == policy.id, in_force(PolicyMember, day))
            .order_by(col(PolicyMember.id))
        )
    ).all()
    products = (
        await session.scalars(
            sa.select(col(Product.code))
            .join(EnrollmentProduct, col(EnrollmentProduct.product_id) == col(Product.id))
            .where(col(EnrollmentProduct.policy_id) == policy.id, in_force(EnrollmentProduct, day))
            .order_by(col(Product.code))
        )
    ).all()
    return {
        "certificateNumber": f"COI-{policy.number}-{day:%Y%m%d}",
        "policyNumber": policy.number,
        "asOf": day.isoformat(),
        "insured": [f"{g} {f} ({r.value if hasattr(r, 'value') else r})" for g, f, r in members],
        "products": list(products),
        "issuedAt": utcnow().isoformat(timespec="seconds"),
    }
