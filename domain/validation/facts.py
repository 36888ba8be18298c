"""The facts a rule's condition may ask about: an object's own fields and effective settings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.dynamic.models import FieldTarget, FieldType
from domain.dynamic.service import fields_of
from domain.groups.models import GroupAccount, GroupAccountProduct, GroupClient, InsurableClass
from domain.reference.models import DataAccessGroup, LineOfBusiness
from domain.settings.chains import chains_for
from domain.settings.effective import choose
from domain.settings.models import (
    BillingAccount,
    BrokerAgent,
    PremiumSchedule,
    SettingKind,
    SettingLevel,
)
from domain.validation.conditions import FactType
from domain.validation.models import RuleLevel

T, N = FactType.TEXT, FactType.NUMBER
_SETTINGS: dict[str, FactType] = {
    "premiumSchedule": T,
    "brokerAgent": T,
    "collectionSetting": T,
    "billingAccount": T,
    "billAllocation": T,
    "groupCommissionRate": N,
    "processFlow": T,
    "adjustmentCount": N,
}
FACTS: dict[RuleLevel, dict[str, FactType]] = {
    RuleLevel.GROUP_CLIENT: {
        "code": T,
        "name": T,
        "lineOfBusiness": T,
        "dataAccessGroup": T,
        "groupAccountCount": N,
        **_SETTINGS,
    },
    RuleLevel.GROUP_ACCOUNT: {
        "code": T,
        "name": T,
        "lineOfBusiness": T,
        "dataAccessGroup": T,
        "insurableClassCount": N,
        "productCount": N,
        **_SETTINGS,
    },
}
"""The facts of each level, and whether each is text or a number (codes are text)."""

DYNAMIC = "field."
"""What names a dynamic field among a rule's facts: `field.<code>` (a date is its ISO text)."""
_HOLDERS = {
    RuleLevel.GROUP_CLIENT: FieldTarget.GROUP_CLIENT,
    RuleLevel.GROUP_ACCOUNT: FieldTarget.GROUP_ACCOUNT,
}


async def facts_of(session: AsyncSession, level: RuleLevel) -> dict[str, FactType]:
    """The facts a rule of `level` may ask about: the fixed ones and the dynamic fields."""
    fields = await fields_of(session, _HOLDERS[level])
    dynamic = {
        DYNAMIC + code: N if field.value_type is FieldType.NUMBER else T
        for code, field in fields.items()
    }
    return {**FACTS[level], **dynamic}


_REFERENCES: dict[SettingKind, tuple[str, Any, str]] = {
    SettingKind.PREMIUM_SCHEDULE: ("premiumSchedule", PremiumSchedule, "premium_schedule_id"),
    SettingKind.BROKER_AGENT: ("brokerAgent", BrokerAgent, "broker_agent_id"),
    SettingKind.BILLING_ACCOUNT: ("billingAccount", BillingAccount, "billing_account_id"),
}
_VALUES = {
    SettingKind.COLLECTION_SETTING: ("collectionSetting", "value_text"),
    SettingKind.BILL_ALLOCATION: ("billAllocation", "value_text"),
    SettingKind.GROUP_COMMISSION_RATE: ("groupCommissionRate", "value_decimal"),
    SettingKind.PROCESS_FLOW: ("processFlow", "value_text"),
}


async def client_facts(session: AsyncSession, client: GroupClient, day: date) -> dict[str, Any]:
    """What a group client-level rule may ask about the client."""
    accounts = await session.scalar(
        sa.select(sa.func.count()).where(col(GroupAccount.group_client_id) == client.id)
    )
    return {
        **await _own(session, client),
        "groupAccountCount": accounts or 0,
        **await _effective(session, SettingLevel.GROUP_CLIENT, client.id, day),  # type: ignore[arg-type]
    }


async def account_facts(session: AsyncSession, account: GroupAccount, day: date) -> dict[str, Any]:
    """What a group account-level rule may ask about the account."""
    classes = await _count(session, InsurableClass.group_account_id, account.id)  # type: ignore[arg-type]
    products = await _count(session, GroupAccountProduct.group_account_id, account.id)  # type: ignore[arg-type]
    return {
        **await _own(session, account),
        "insurableClassCount": classes,
        "productCount": products,
        **await _effective(session, SettingLevel.GROUP_ACCOUNT, account.id, day),  # type: ignore[arg-type]
    }


async def _count(session: AsyncSession, column: Any, value: int) -> int:
    return int(await session.scalar(sa.select(sa.func.count()).where(column == value)) or 0)


async def _own(session: AsyncSession, row: GroupClient | GroupAccount) -> dict[str, Any]:
    lob = await session.get(LineOfBusiness, row.line_of_business_id)
    dag = await session.get(DataAccessGroup, row.data_access_group_id)
    return {
        "code": row.code,
        "name": row.name,
        "lineOfBusiness": lob.code if lob else None,
        "dataAccessGroup": dag.code if dag else None,
        **{DYNAMIC + code: value for code, value in (row.dynamic_fields or {}).items()},
    }


async def _effective(
    session: AsyncSession, level: SettingLevel, row_id: int, day: date
) -> dict[str, Any]:
    chain = (await chains_for(session, level, [row_id], day))[row_id]
    found = choose(chain, day)
    facts: dict[str, Any] = dict.fromkeys(_SETTINGS)
    facts["adjustmentCount"] = len(found.adjustments)
    for kind, (name, column) in _VALUES.items():
        chosen = found.single.get(kind)
        facts[name] = getattr(chosen.setting, column) if chosen else None
    for kind, (name, table, column) in _REFERENCES.items():
        chosen = found.single.get(kind)
        if chosen is not None:
            row = await session.get(table, getattr(chosen.setting, column))
            facts[name] = row.code if row else None
    return facts


async def accounts_of(session: AsyncSession, client: GroupClient) -> Sequence[GroupAccount]:
    """The group client's own accounts, in creation order."""
    stmt = sa.select(GroupAccount).where(col(GroupAccount.group_client_id) == client.id)
    return (await session.scalars(stmt.order_by(col(GroupAccount.id)))).all()
