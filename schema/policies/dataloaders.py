"""Per-request loaders of persons and policies, each limited to the rows the caller may read."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from strawberry.dataloader import DataLoader

from authz.access import POLICIES_READ, Access
from domain.policies import access
from domain.policies.models import (
    EnrollmentProduct,
    Person,
    Policy,
    PolicyAccountLink,
    PolicyClassLink,
    PolicyMember,
)
from schema.core.loaders import lists_by, rows_by_id


class PolicyLoaders:
    """Loaders of policies, their persons and every dated row of a policy."""

    def __init__(self, session: AsyncSession, caller: Access) -> None:
        scope = caller.scope(POLICIES_READ)
        self.policy_by_id = rows_by_id(session, Policy, where=access.policies(scope))
        self.person_by_id = rows_by_id(session, Person, where=access.persons(scope))
        self.enrollment_product_by_id = rows_by_id(
            session,
            EnrollmentProduct,
            where=access.of_policies(scope, col(EnrollmentProduct.policy_id)),
        )

        def by_policy(model: type) -> DataLoader[Hashable, list[Any]]:
            """Every row of `model` of each policy, of the policies the caller may read."""
            column = model.policy_id  # type: ignore[attr-defined]
            return lists_by(session, model, column, where=access.of_policies(scope, column))

        self.members_by_policy = by_policy(PolicyMember)
        self.account_links_by_policy = by_policy(PolicyAccountLink)
        self.class_links_by_policy = by_policy(PolicyClassLink)
        self.enrollment_products_by_policy = by_policy(EnrollmentProduct)
