"""Which settings and catalogue rows a scope reaches.

A setting is reached when the level it is set on is: a group client, an account, an account's
product, a policy or an enrolment product. The catalogue (premium schedules, adjustment rules,
brokers, billing accounts, provider groups, product parameters) is reference data. A change
to a setting on a group level makes that level's group client CHANGED.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import SCOPES, RowScope
from domain.core.reach import Entity, declare, visible
from domain.groups.models import GroupAccount, GroupAccountProduct, GroupClient
from domain.groups.reach import client_of, of_accounts
from domain.policies.models import EnrollmentProduct, Policy
from domain.reference.reach import any_of, everyone
from domain.settings.models import (
    AdjustmentPeriod,
    AdjustmentRule,
    BillingAccount,
    BrokerAgent,
    PremiumRate,
    PremiumSchedule,
    ProductParameter,
    ProviderGroup,
    Setting,
)

_OWNERS = (
    (Setting.group_client_id, GroupClient),
    (Setting.group_account_id, GroupAccount),
    (Setting.group_account_product_id, GroupAccountProduct),
    (Setting.policy_id, Policy),
    (Setting.enrollment_product_id, EnrollmentProduct),
)


@lru_cache(maxsize=SCOPES)
def settings(scope: RowScope) -> Any:
    """Settings on a level the scope reaches."""
    if scope.everything:
        return sa.true()
    return any_of(
        *(
            col(column).in_(sa.select(col(owner.id)).where(visible(scope, owner)))
            for column, owner in _OWNERS
        )
    )


async def _setting_groups(session: AsyncSession, row: Any) -> set[int]:
    if row.group_client_id is not None:
        return {row.group_client_id}
    account_id = row.group_account_id
    if row.group_account_product_id is not None:
        account_id = await session.scalar(
            sa.select(col(GroupAccountProduct.group_account_id)).where(
                col(GroupAccountProduct.id) == row.group_account_product_id
            )
        )
    return set() if account_id is None else await client_of(session, account_id)


async def _period_groups(session: AsyncSession, row: Any) -> set[int]:
    return await client_of(session, row.group_account_id)


declare(Setting, Entity(noun="setting", reach=settings, groups=_setting_groups))
declare(
    AdjustmentPeriod,
    Entity(
        noun="adjustment period",
        reach=lambda scope: of_accounts(scope, col(AdjustmentPeriod.group_account_id)),
        groups=_period_groups,
    ),
)
for _model, _noun in (
    (PremiumSchedule, "premium schedule"),
    (PremiumRate, "premium rate"),
    (AdjustmentRule, "adjustment rule"),
    (BrokerAgent, "broker agent"),
    (BillingAccount, "billing account"),
    (ProviderGroup, "provider group"),
    (ProductParameter, "product parameter"),
):
    declare(_model, Entity(noun=_noun, reach=everyone))
