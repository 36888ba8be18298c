"""Setting and removing a setting on a level, through the write path (domain.core.changes).

Each function flushes; the caller commits. A change on a group client, an account or an
account's product makes the group client CHANGED (the Setting's declaration in
domain.settings.reach): its configuration must be approved again.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import Action, changing, load
from domain.core.errors import DomainError, ErrorCode, Problem, raise_if
from domain.core.fields import check_code, is_plain_text
from domain.core.periods import of
from domain.groups.models import GroupAccount, GroupAccountProduct, GroupClient
from domain.policies.models import EnrollmentProduct, Policy
from domain.settings.chains import OWNER_COLUMNS
from domain.settings.effective import settable_levels
from domain.settings.models import (
    AdjustmentRule,
    BillAllocation,
    BillingAccount,
    BrokerAgent,
    CollectionSetting,
    PremiumSchedule,
    ProductParameter,
    ProviderGroup,
    Setting,
    SettingKind,
    SettingLevel,
)

L = SettingLevel
K = SettingKind


@dataclass(frozen=True)
class SettingValue:
    """The value of a setting: give the one field its kind uses (codes for reference data)."""

    premium_schedule: str | None = None
    adjustment_rule: str | None = None
    broker_agent: str | None = None
    billing_account: str | None = None
    provider_group: str | None = None
    collection_setting: CollectionSetting | None = None
    bill_allocation: BillAllocation | None = None
    group_commission_rate: Decimal | None = None
    process_flow: str | None = None
    parameter_value: str | None = None
    employer_contribution: Decimal | None = None


# kind -> (the value field it uses, the reference table its code names, the setting column)
_VALUES: dict[SettingKind, tuple[str, Any, str]] = {
    K.PREMIUM_SCHEDULE: ("premium_schedule", PremiumSchedule, "premium_schedule_id"),
    K.ADJUSTMENT: ("adjustment_rule", AdjustmentRule, "adjustment_rule_id"),
    K.BROKER_AGENT: ("broker_agent", BrokerAgent, "broker_agent_id"),
    K.BILLING_ACCOUNT: ("billing_account", BillingAccount, "billing_account_id"),
    K.ASSIGNED_PROVIDER_GROUP: ("provider_group", ProviderGroup, "provider_group_id"),
    K.COLLECTION_SETTING: ("collection_setting", None, "value_text"),
    K.BILL_ALLOCATION: ("bill_allocation", None, "value_text"),
    K.GROUP_COMMISSION_RATE: ("group_commission_rate", None, "value_decimal"),
    K.PROCESS_FLOW: ("process_flow", None, "value_text"),
    K.PARAMETER_VALUE: ("parameter_value", None, "value_text"),
    K.EMPLOYER_CONTRIBUTION: ("employer_contribution", None, "value_decimal"),
}
_OWNERS: dict[SettingLevel, Any] = {
    L.GROUP_CLIENT: GroupClient,
    L.GROUP_ACCOUNT: GroupAccount,
    L.GROUP_ACCOUNT_PRODUCT: GroupAccountProduct,
    L.POLICY: Policy,
    L.ENROLLMENT_PRODUCT: EnrollmentProduct,
}


async def set_setting(
    session: AsyncSession,
    *,
    actor: Actor,
    kind: SettingKind,
    level: SettingLevel,
    owner_id: int,
    value: SettingValue,
    start_date: date | None = None,
    end_date: date | None = None,
    parameter_name: str | None = None,
    marks_changed: bool = True,
) -> Setting:
    """Set a setting on a level for a period; it must not overlap the same setting there.

    `marks_changed=False` is for a submit's enrichments, approved with the client they set.
    """
    async with changing(
        session, actor, Action.SETTING_SET, Setting, marks_changed=marks_changed
    ) as change:
        owner = await load(session, actor, _OWNERS[level], owner_id, field="owner_id")
        problems = _placement(kind, level, start_date, end_date)
        setting = Setting(kind=kind, start_date=start_date, end_date=end_date)
        setattr(setting, OWNER_COLUMNS[level], owner_id)
        await _value(session, setting, value, problems)
        await _parameter(session, setting, level, owner, parameter_name, problems)
        raise_if(problems)
        await _no_overlap(session, setting, level, owner_id)
        change.add(setting)
    return setting


def _placement(
    kind: SettingKind, level: SettingLevel, start_date: date | None, end_date: date | None
) -> list[Problem]:
    """Why the kind may not be set on this level, or for this period."""
    problems: list[Problem] = []
    if level not in settable_levels(kind):
        allowed = ", ".join(lv.value for lv in settable_levels(kind))
        problems.append(
            Problem(
                ("owner_id",),
                ErrorCode.NOT_ALLOWED,
                f"{kind.value} is not set on a {level.value}; it may be set on: {allowed}.",
            )
        )
    if start_date and end_date and end_date < start_date:
        problems.append(
            Problem(("end_date",), ErrorCode.END_BEFORE_START, "The end is before the start.")
        )
    return problems


async def remove_setting(session: AsyncSession, *, actor: Actor, setting_id: int) -> None:
    """Remove a setting: the next level down the priority decides instead."""
    async with changing(session, actor, Action.SETTING_REMOVE, Setting, setting_id) as change:
        await change.delete()


async def _value(
    session: AsyncSession, setting: Setting, value: SettingValue, problems: list[Problem]
) -> None:
    """Check that the kind's own value field, and only it, is given, and store it."""
    wanted, table, column = _VALUES[setting.kind]
    for other in fields(SettingValue):
        if other.name != wanted and getattr(value, other.name) is not None:
            problems.append(
                Problem(
                    (other.name,),
                    ErrorCode.NOT_ALLOWED,
                    f"A {setting.kind.value} setting takes {wanted}, not {other.name}.",
                )
            )
    given = getattr(value, wanted)
    if given is None:
        problems.append(Problem((wanted,), ErrorCode.REQUIRED, f"Give {wanted}."))
        return
    if table is not None:
        found = len(problems)
        code = check_code(wanted, given, problems)
        row = None if len(problems) > found else await _by_code(session, table, code)
        if row is None and len(problems) == found:
            problems.append(Problem((wanted,), ErrorCode.NOT_FOUND, f"No {wanted} {code!r}."))
        setattr(setting, column, row.id if row else None)
        return
    setattr(setting, column, _checked(wanted, given, problems))


async def _by_code(session: AsyncSession, table: Any, code: str) -> Any:
    return await session.scalar(sa.select(table).where(table.code == code))


def _checked(name: str, given: Any, problems: list[Problem]) -> Any:
    """Plain values: a rate from 0 to 100 with at most 4 decimals, or a short plain text."""
    if isinstance(given, Decimal):
        try:
            exact = given == given.quantize(Decimal("0.0001"))
        except InvalidOperation:
            exact = False
        if not (given.is_finite() and exact and 0 <= given <= 100):
            problems.append(
                Problem((name,), ErrorCode.INVALID_FORMAT, "A rate from 0 to 100, 4 decimals.")
            )
        return given
    text = str(given.value if hasattr(given, "value") else given).strip()
    if not text or len(text) > 100 or not is_plain_text(text):
        problems.append(
            Problem((name,), ErrorCode.INVALID_FORMAT, "1 to 100 characters, no controls.")
        )
    return text


async def _parameter(
    session: AsyncSession,
    setting: Setting,
    level: SettingLevel,
    owner: Any,
    name: str | None,
    problems: list[Problem],
) -> None:
    """A parameter value names a parameter its product defines; other settings name none."""
    if setting.kind is not K.PARAMETER_VALUE:
        if name is not None:
            problems.append(
                Problem(("parameter_name",), ErrorCode.NOT_ALLOWED, "Only for PARAMETER_VALUE.")
            )
        return
    defined = None
    if name and level in (L.GROUP_ACCOUNT_PRODUCT, L.ENROLLMENT_PRODUCT) and is_plain_text(name):
        defined = await session.scalar(
            sa.select(ProductParameter).where(
                col(ProductParameter.product_id) == owner.product_id,
                col(ProductParameter.name) == name,
            )
        )
    if defined is None:
        problems.append(
            Problem(
                ("parameter_name",),
                ErrorCode.NOT_FOUND,
                f"The product defines no parameter {name!r}.",
            )
        )
    elif defined.allowed_values is not None and setting.value_text not in defined.allowed_values:
        problems.append(
            Problem(
                ("parameter_value",),
                ErrorCode.NOT_ALLOWED,
                f"{name} takes one of: {', '.join(defined.allowed_values)}.",
            )
        )
    setting.parameter_name = name


async def _no_overlap(
    session: AsyncSession, setting: Setting, level: SettingLevel, owner_id: int
) -> None:
    """Refuse a period that shares a day with the same setting on the same level."""
    column = getattr(Setting, OWNER_COLUMNS[level])
    stmt = sa.select(Setting).where(column == owner_id, col(Setting.kind) == setting.kind)
    if setting.kind is K.ADJUSTMENT:
        stmt = stmt.where(col(Setting.adjustment_rule_id) == setting.adjustment_rule_id)
    if setting.kind is K.PARAMETER_VALUE:
        stmt = stmt.where(col(Setting.parameter_name) == setting.parameter_name)
    for other in (await session.scalars(stmt)).all():
        if of(other).overlaps(of(setting)):
            raise DomainError.of(
                "start_date",
                ErrorCode.OVERLAP,
                f"The same setting is already set there from {other.start_date or 'always'} "
                f"to {other.end_date or 'open-ended'}; end or remove it first.",
            )
