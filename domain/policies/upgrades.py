"""Moving a policy from one of its products to another (or to another tier), from a day.

One change of domain.core.changes, as the actor who asked (a PRODUCT_UPGRADE request's
sender): the enrolment replaced ends the day before, the new one starts that day and runs as
long as the old one would have, and every rule of the policy is checked at once (the new
product offered in the account and to the member's class, its tier sold and fitting the
family); nothing is saved unless all hold. Which upgrades a member may take is the catalogue's
question (domain.catalogue), asked before this.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import Actor
from domain.core.changes import Action, changing
from domain.core.errors import ErrorCode, Problem, raise_if
from domain.policies.checks import Blame, check_policy
from domain.policies.enrolment import active_rows, end_rows
from domain.policies.limits import PolicyLimits, check_effective
from domain.policies.models import EnrollmentProduct, Policy
from domain.policies.state import facts_for, settle
from domain.policies.tiers import check_tiers
from domain.reference.models import CoverageTier

FIELD = ("product",)


async def upgrade_product(
    session: AsyncSession,
    *,
    actor: Actor,
    limits: PolicyLimits,
    policy_id: int,
    version: int,
    enrolment_id: int,
    product_id: int,
    coverage_tier: CoverageTier,
    start_date: date,
) -> Policy:
    """Replace the policy's enrolment `enrolment_id` by `product_id` in `coverage_tier`
    from `start_date`."""
    async with changing(
        session,
        actor,
        Action.POLICY_PRODUCT_UPGRADE,
        Policy,
        policy_id,
        field="policy_id",
        version=version,
    ) as change:
        rows = active_rows(change)
        problems: list[Problem] = []
        check_effective((*FIELD, "start_date"), start_date, limits, problems)
        old = next((p for p in rows.products if p.id == enrolment_id), None)
        if old is None or old.start_date > start_date:
            problems.append(
                Problem(
                    FIELD, ErrorCode.NOT_FOUND, f"The policy has no such product on {start_date}."
                )
            )
        raise_if(problems)
        assert old is not None
        blame = Blame()
        new = EnrollmentProduct(
            policy_id=policy_id,
            product_id=product_id,
            coverage_tier=coverage_tier,
            start_date=start_date,
            end_date=old.end_date,
        )
        await end_rows(session, rows.products, [old], start_date - timedelta(days=1))
        rows.products.append(blame.made(new, FIELD))
        facts = await facts_for(
            session, rows, limits=limits, scope=actor.scope, policy_id=policy_id
        )
        raise_if(check_policy(rows, facts, blame) or check_tiers(rows, facts, blame, start_date))
        session.add(new)
        await settle(change, rows)
    return change.row
