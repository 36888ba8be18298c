"""Which campaign rows a scope reaches.

Teams, drugs and market events are the insurer's configuration, read by whoever may read the
area. A team's assignment follows its group client's reach. A claims summary follows its
member's: a back office reaches the claims of the members of the policies it reaches, and the
API asks the claims grant on top (authz CLAIMS_READ), so no group manager or partner ever does.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import RowScope
from domain.campaigns.models import (
    AccountTeam,
    AccountTeamAssignment,
    ClaimsSummary,
    Drug,
    MarketEvent,
)
from domain.core.reach import Entity, declare
from domain.groups import reach as groups
from domain.groups.models import GroupClient
from domain.policies import reach as policies
from domain.policies.models import Person
from domain.reference.reach import everyone


def _assignments(scope: RowScope) -> Any:
    if scope.everything:
        return sa.true()
    reached = sa.select(col(GroupClient.id)).where(groups.clients(scope))
    return col(AccountTeamAssignment.group_client_id).in_(reached)


def _claims(scope: RowScope) -> Any:
    if scope.everything:
        return sa.true()
    members = sa.select(col(Person.id)).where(policies.persons(scope))
    return col(ClaimsSummary.person_id).in_(members)


async def _assigned_client(session: AsyncSession, row: Any) -> set[int]:
    return {row.group_client_id}


_MEDICAL = frozenset({"drug_id", "last_fill_date", "fills_12_months"})
"""What the audit trail of a claims summary leaves out: it records that a member's claims
changed, never which drug (medical data stays in its own table)."""

declare(AccountTeam, Entity(noun="account team", reach=everyone))
declare(Drug, Entity(noun="drug", reach=everyone))
declare(MarketEvent, Entity(noun="market event", reach=everyone))
declare(
    AccountTeamAssignment,
    Entity(noun="group client", reach=_assignments, concerns=_assigned_client),
)
declare(ClaimsSummary, Entity(noun="member", reach=_claims, omit=_MEDICAL))
