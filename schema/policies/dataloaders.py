"""Per-request loaders of persons and policies, each limited to the rows the caller may read."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

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
        self.members_by_policy = lists_by(
            session,
            PolicyMember,
            PolicyMember.policy_id,
            where=access.of_policies(scope, col(PolicyMember.policy_id)),
        )
        self.account_links_by_policy = lists_by(
            session,
            PolicyAccountLink,
            PolicyAccountLink.policy_id,
            where=access.of_policies(scope, col(PolicyAccountLink.policy_id)),
        )
        self.class_links_by_policy = lists_by(
            session,
            PolicyClassLink,
            PolicyClassLink.policy_id,
            where=access.of_policies(scope, col(PolicyClassLink.policy_id)),
        )
        self.enrollment_products_by_policy = lists_by(
            session,
            EnrollmentProduct,
            EnrollmentProduct.policy_id,
            where=access.of_policies(scope, col(EnrollmentProduct.policy_id)),
        )
