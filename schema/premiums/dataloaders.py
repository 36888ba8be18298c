"""Per-request loaders of what policies cost: one batch of policies per month asked."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from strawberry.dataloader import DataLoader

from authz.access import GROUPS_READ, POLICIES_READ, PREMIUMS_READ, Access
from domain.core.periods import Period
from domain.core.reach import visible
from domain.database import among
from domain.policies.models import Policy
from domain.premiums.calculation import Premium
from domain.premiums.loading import premiums_of
from domain.premiums.models import PremiumRun
from domain.settings.sources import Owner, hidden_sources
from schema.core.batch import rows_by_id

PremiumKey = tuple[int, Period]
Sourced = tuple[Premium, frozenset[Owner]]
"""A policy's premium, and the levels its settings came from that the caller cannot see."""


class PremiumLoaders:
    """Premiums by (policy id, month), for the policies the caller may read premiums of."""

    def __init__(self, session: AsyncSession, caller: Access) -> None:
        scope = caller.scope(PREMIUMS_READ)

        async def premiums(keys: list[PremiumKey]) -> list[Sourced | None]:
            asked: dict[Period, list[int]] = defaultdict(list)
            for policy_id, window in keys:
                asked[window].append(policy_id)
            found: dict[PremiumKey, Premium] = {}
            for window, ids in asked.items():
                reached = [
                    i
                    for i in await session.scalars(
                        sa.select(col(Policy.id)).where(
                            among(session, col(Policy.id), ids), visible(scope, Policy)
                        )
                    )
                    if i is not None
                ]
                priced = await premiums_of(session, reached, window) if reached else {}
                found.update({(i, window): p for i, p in priced.items()})
            owners = {
                (source.level, source.owner_id)
                for p in found.values()
                for line in p.lines
                for source in line.sources
            }
            hidden = await hidden_sources(
                session,
                owners,
                groups=caller.scope(GROUPS_READ),
                policies=caller.scope(POLICIES_READ),
            )
            return [(found[key], hidden) if key in found else None for key in keys]

        self.premium_by_policy = DataLoader(load_fn=premiums)
        self.run_by_id = rows_by_id(session, PremiumRun, where=visible(scope, PremiumRun))
