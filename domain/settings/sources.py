"""Which levels a caller may be told an effective setting came from.

A value applies to the object asked, whoever set it, so the caller who sees the object sees
the value. The level that set it may be one they cannot see (a parent group client with
restrictions of its own): its id, and its setting's, must not reach them, since a hidden row
does not exist for them. The level's kind and the setting's dates may: they say no more
than the value does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import RowScope
from domain.core.reach import visible
from domain.database import among
from domain.groups.models import GroupAccount, GroupAccountProduct, GroupClient
from domain.policies.models import EnrollmentProduct, Policy
from domain.settings.effective import Effective
from domain.settings.models import SettingLevel

L = SettingLevel
Owner = tuple[SettingLevel, int]

_MODELS: dict[SettingLevel, Any] = {
    L.GROUP_CLIENT: GroupClient,
    L.PARENT_GROUP_CLIENT: GroupClient,
    L.GROUP_ACCOUNT: GroupAccount,
    L.GROUP_ACCOUNT_PRODUCT: GroupAccountProduct,
    L.POLICY: Policy,
    L.ENROLLMENT_PRODUCT: EnrollmentProduct,
}
_OF_POLICIES = frozenset({L.POLICY, L.ENROLLMENT_PRODUCT})


def sources(effective: Effective) -> set[Owner]:
    """The levels the chosen settings came from."""
    chosen = [*effective.single.values(), *effective.adjustments, *effective.parameters.values()]
    return {(c.level, c.owner_id) for c in chosen}


async def hidden_sources(
    session: AsyncSession, owners: Iterable[Owner], *, groups: RowScope, policies: RowScope
) -> frozenset[Owner]:
    """The owners out of reach: group levels of `groups`, policy levels of `policies`. One
    statement for any number of owners; none when the scopes reach everything."""
    owners = list(owners)
    wanted: dict[Any, set[int]] = defaultdict(set)
    scopes: dict[Any, RowScope] = {}
    for level, owner_id in owners:
        scope = policies if level in _OF_POLICIES else groups
        if not scope.everything:
            wanted[_MODELS[level]].add(owner_id)
            scopes[_MODELS[level]] = scope
    if not wanted:
        return frozenset()
    selects = [
        sa.select(sa.literal(model.__tablename__).label("model"), col(model.id)).where(
            among(session, col(model.id), ids), visible(scopes[model], model)
        )
        for model, ids in wanted.items()
    ]
    stmt = selects[0] if len(selects) == 1 else sa.union_all(*selects)
    seen = {(model, row_id) for model, row_id in (await session.execute(stmt)).all()}
    return frozenset(
        (level, owner_id)
        for level, owner_id in owners
        if _MODELS[level] in wanted and (_MODELS[level].__tablename__, owner_id) not in seen
    )
