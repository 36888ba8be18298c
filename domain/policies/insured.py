"""Who a policy covers, and with which products, on a day: what certificates and cards print."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.core.periods import in_force
from domain.policies.models import EnrollmentProduct, Person, PolicyMember
from domain.reference.models import Product


async def insured_on(session: AsyncSession, policy_id: int, day: date) -> list[str]:
    """The people a policy covers on a day, as 'Given Family (RELATIONSHIP)', subscriber first."""
    members = (
        await session.execute(
            sa.select(
                col(Person.given_name), col(Person.family_name), col(PolicyMember.relationship)
            )
            .join(PolicyMember, col(PolicyMember.person_id) == col(Person.id))
            .where(col(PolicyMember.policy_id) == policy_id, in_force(PolicyMember, day))
            .order_by(col(PolicyMember.id))
        )
    ).all()
    return [f"{g} {f} ({r.value if hasattr(r, 'value') else r})" for g, f, r in members]


async def products_on(session: AsyncSession, policy_id: int, day: date) -> Sequence[str]:
    """The codes of the products a policy has on a day."""
    return (
        await session.scalars(
            sa.select(col(Product.code))
            .join(EnrollmentProduct, col(EnrollmentProduct.product_id) == col(Product.id))
            .where(col(EnrollmentProduct.policy_id) == policy_id, in_force(EnrollmentProduct, day))
            .order_by(col(Product.code))
        )
    ).all()
