"""The demo book's settings: reference data, settings on several levels, validation rules.

Enough that `effectiveSettings` shows every kind of source (a policy's own, an account's,
a client's, a parent's) and `groupClientValidate` has rules to run: a default bill
allocation (an enrichment), a required collection setting, a warning on high commission.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.groups.models import GroupAccount, GroupAccountProduct, GroupClient
from domain.policies.models import Policy
from domain.reference.models import CoverageTier, Product
from domain.settings.models import (
    AdjustmentKind,
    AdjustmentRule,
    BillingAccount,
    BrokerAgent,
    PremiumRate,
    PremiumSchedule,
    ProductParameter,
    ProviderGroup,
    Setting,
    SettingKind,
)
from domain.validation.models import RuleLevel, Severity, ValidationRule

K = SettingKind
SCHEDULES = (
    ("PS-US-STD", "US standard", "USD", Decimal(310)),
    ("PS-EU-STD", "EU standard", "EUR", Decimal(240)),
)
BANDS = ((0, 29, Decimal("0.8")), (30, 49, Decimal("1.0")), (50, 150, Decimal("1.6")))
TIERS: dict[CoverageTier, Decimal] = {
    CoverageTier.EMPLOYEE_ONLY: Decimal(1),
    CoverageTier.EMPLOYEE_SPOUSE: Decimal(2),
    CoverageTier.EMPLOYEE_CHILDREN: Decimal("1.8"),
    CoverageTier.FAMILY: Decimal("2.8"),
}
RULES = (
    (
        "DEFAULT-BILL",
        RuleLevel.GROUP_CLIENT,
        10,
        {"fact": "billAllocation", "op": "isEmpty"},
        "No bill allocation: one bill for the group.",
        Severity.WARNING,
        K.BILL_ALLOCATION,
        "SINGLE_BILL",
    ),
    (
        "NEED-COLLECTION",
        RuleLevel.GROUP_CLIENT,
        20,
        {"fact": "collectionSetting", "op": "isEmpty"},
        "Say who pays the premium: the group, or each member.",
        Severity.ERROR,
        None,
        None,
    ),
    (
        "HIGH-COMMISSION",
        RuleLevel.GROUP_ACCOUNT,
        30,
        {"fact": "groupCommissionRate", "op": "gt", "value": "10"},
        "A commission above 10% needs the sales director's sign-off.",
        Severity.WARNING,
        None,
        None,
    ),
    (
        "ACCOUNT-OFFERS",
        RuleLevel.GROUP_ACCOUNT,
        40,
        {"fact": "productCount", "op": "lt", "value": 1},
        "An account must offer at least one product.",
        Severity.ERROR,
        None,
        None,
    ),
)


async def load_settings(session: AsyncSession, added: dict[str, int]) -> None:
    """Add the demo settings and rules unless they are there already."""
    if await session.scalar(sa.select(col(PremiumSchedule.id)).limit(1)) is not None:
        return
    await _reference(session)
    settings = await _settings(session)
    session.add_all(settings)
    rules = [
        ValidationRule(
            code=code,
            level=level,
            sequence=sequence,
            condition=condition,
            message=message,
            severity=severity,
            enrichment_setting=kind,
            enrichment_value=value,
        )
        for code, level, sequence, condition, message, severity, kind, value in RULES
    ]
    session.add_all(rules)
    await session.flush()
    added["settings"] += len(settings)
    added["validation rules"] += len(rules)


async def _reference(session: AsyncSession) -> None:
    schedules = [PremiumSchedule(code=c, name=n, currency=cur) for c, n, cur, _ in SCHEDULES]
    session.add_all(schedules)
    await session.flush()
    for schedule, (*_, base) in zip(schedules, SCHEDULES, strict=True):
        session.add_all(
            PremiumRate(
                premium_schedule_id=schedule.id,  # type: ignore[arg-type]
                age_from=low,
                age_to=high,
                coverage_tier=tier,
                amount=(base * factor * times).quantize(Decimal("0.01")),
            )
            for low, high, factor in BANDS
            for tier, times in TIERS.items()
        )
    gold = await session.scalar(
        sa.select(col(Product.id)).where(col(Product.code) == "MED-PPO-GOLD")
    )
    session.add_all(
        [
            AdjustmentRule(
                code="ADJ-LOYALTY",
                name="Loyalty discount",
                kind=AdjustmentKind.PERCENTAGE,
                value=Decimal(-5),
            ),
            AdjustmentRule(
                code="ADJ-ADMIN",
                name="Administration fee",
                kind=AdjustmentKind.AMOUNT,
                value=Decimal("2.50"),
                currency="USD",
            ),
            BrokerAgent(code="BRK-MARSH", name="Marsh & Partners"),
            BrokerAgent(code="BRK-OCEAN", name="Ocean Benefits Brokers"),
            BillingAccount(code="BILL-GLOBEX", name="Globex Holdings accounts payable"),
            BillingAccount(code="BILL-NORTHWIND", name="Northwind payroll"),
            ProviderGroup(code="NET-BLUE", name="Blue provider network"),
            ProviderGroup(code="NET-GREEN", name="Green provider network"),
            *(
                [
                    ProductParameter(product_id=gold, name=n, description=d)
                    for n, d in (("DEDUCTIBLE", "Yearly deductible"), ("COPAY", "Visit co-payment"))
                ]
                if gold
                else []
            ),
        ]
    )
    await session.flush()


async def _settings(session: AsyncSession) -> list[Setting]:
    async def by_code(model: Any, code: str) -> int | None:
        return await session.scalar(sa.select(model.id).where(model.code == code))

    client = {
        c: await by_code(GroupClient, c)
        for c in ("GLOBEX", "GLOBEX-DE-MUC-SLS", "GLOBEX-US-CHI-EXO", "NORTHWIND")
    }
    account = {a: await by_code(GroupAccount, a) for a in ("GLX-US-CHI-EXO", "GLX-DE-MUC-SLS")}
    ref = {
        code: await by_code(model, code)
        for model, code in (
            (PremiumSchedule, "PS-US-STD"),
            (PremiumSchedule, "PS-EU-STD"),
            (BrokerAgent, "BRK-MARSH"),
            (BrokerAgent, "BRK-OCEAN"),
            (BillingAccount, "BILL-GLOBEX"),
            (BillingAccount, "BILL-NORTHWIND"),
            (AdjustmentRule, "ADJ-LOYALTY"),
            (ProviderGroup, "NET-BLUE"),
        )
    }
    made = [
        Setting(
            kind=K.COLLECTION_SETTING, group_client_id=client["GLOBEX"], value_text="GROUP_BILLED"
        ),
        Setting(
            kind=K.BROKER_AGENT, group_client_id=client["GLOBEX"], broker_agent_id=ref["BRK-MARSH"]
        ),
        Setting(
            kind=K.BILLING_ACCOUNT,
            group_client_id=client["GLOBEX"],
            billing_account_id=ref["BILL-GLOBEX"],
        ),
        Setting(kind=K.PROCESS_FLOW, group_client_id=client["GLOBEX"], value_text="standard"),
        Setting(
            kind=K.GROUP_COMMISSION_RATE, group_client_id=client["GLOBEX"], value_decimal=Decimal(4)
        ),
        Setting(
            kind=K.PREMIUM_SCHEDULE,
            group_client_id=client["GLOBEX-US-CHI-EXO"],
            premium_schedule_id=ref["PS-US-STD"],
        ),
        Setting(
            kind=K.PREMIUM_SCHEDULE,
            group_client_id=client["GLOBEX-DE-MUC-SLS"],
            premium_schedule_id=ref["PS-EU-STD"],
        ),
        Setting(
            kind=K.GROUP_COMMISSION_RATE,
            group_account_id=account["GLX-US-CHI-EXO"],
            value_decimal=Decimal(12),
        ),
        Setting(
            kind=K.ADJUSTMENT,
            group_account_id=account["GLX-DE-MUC-SLS"],
            adjustment_rule_id=ref["ADJ-LOYALTY"],
        ),
        Setting(
            kind=K.COLLECTION_SETTING,
            group_client_id=client["NORTHWIND"],
            value_text="DIRECT_BILLED",
        ),
        Setting(
            kind=K.BROKER_AGENT,
            group_client_id=client["NORTHWIND"],
            broker_agent_id=ref["BRK-OCEAN"],
        ),
        Setting(
            kind=K.BILLING_ACCOUNT,
            group_client_id=client["NORTHWIND"],
            billing_account_id=ref["BILL-NORTHWIND"],
        ),
    ]
    gold_offer = await session.scalar(
        sa.select(col(GroupAccountProduct.id))
        .join(Product, col(Product.id) == GroupAccountProduct.product_id)
        .where(col(Product.code) == "MED-PPO-GOLD")
        .order_by(col(GroupAccountProduct.id))
        .limit(1)
    )
    if gold_offer is not None:
        made += [
            Setting(
                kind=K.ASSIGNED_PROVIDER_GROUP,
                group_account_product_id=gold_offer,
                provider_group_id=ref["NET-BLUE"],
            ),
            Setting(
                kind=K.PARAMETER_VALUE,
                group_account_product_id=gold_offer,
                parameter_name="DEDUCTIBLE",
                value_text="500",
            ),
        ]
    direct = await session.scalar(
        sa.select(col(Policy.id)).where(col(Policy.number) == "P-DEMO-000001")
    )
    if direct is not None:  # "the group bills the premium, but this one policy is direct-billed"
        made.append(
            Setting(kind=K.COLLECTION_SETTING, policy_id=direct, value_text="DIRECT_BILLED")
        )
    return [s for s in made if all(v is not None for v in _owner_and_value(s))]


def _owner_and_value(setting: Setting) -> tuple[Any, Any]:
    owner = next(
        (
            v
            for v in (
                setting.group_client_id,
                setting.group_account_id,
                setting.group_account_product_id,
                setting.policy_id,
            )
            if v is not None
        ),
        None,
    )
    value = next(
        (
            v
            for v in (
                setting.value_text,
                setting.value_decimal,
                setting.premium_schedule_id,
                setting.broker_agent_id,
                setting.billing_account_id,
                setting.adjustment_rule_id,
                setting.provider_group_id,
            )
            if v is not None
        ),
        None,
    )
    return owner, value
