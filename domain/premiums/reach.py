"""Which premium runs and charges a scope reaches.

A run is reached with the group client it ran under; a charge with its policy (so a group
manager reads their groups' charges and an employee their own). Neither is a group's
configuration: writing them marks no group CHANGED.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from authz.access import RowScope
from domain.core.reach import Entity, declare
from domain.groups.models import GroupClient
from domain.groups.reach import clients
from domain.policies.reach import of_policies
from domain.premiums.models import PremiumCharge, PremiumRun


def runs(scope: RowScope) -> Any:
    """Runs under a group client the scope reaches."""
    if scope.everything:
        return sa.true()
    return col(PremiumRun.group_client_id).in_(sa.select(col(GroupClient.id)).where(clients(scope)))


def charges(scope: RowScope) -> Any:
    """Charges of a policy the scope reaches."""
    return of_policies(scope, col(PremiumCharge.policy_id))


declare(PremiumRun, Entity(noun="premium run", reach=runs, omit=frozenset({"started_scope"})))
declare(PremiumCharge, Entity(noun="premium charge", reach=charges))
