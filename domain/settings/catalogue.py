"""Adding the settings' reference data, through the write path. Each function flushes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import Action, changing, load
from domain.core.errors import DomainError, ErrorCode, Problem, raise_if
from domain.core.fields import check_amount, check_code, check_currency, check_name
from domain.core.periods import Period, of
from domain.groups.models import GroupAccount
from domain.reference.models import CoverageTier, Product
from domain.settings.models import (
    AdjustmentKind,
    AdjustmentPeriod,
    AdjustmentRule,
    BillingAccount,
    BrokerAgent,
    PremiumRate,
    PremiumSchedule,
    ProductParameter,
    ProviderGroup,
)


@dataclass(frozen=True)
class RateSpec:
    """One premium rate: an age band (inclusive), a tier and a monthly amount; optionally
    only where a product parameter has a value."""

    age_from: int
    age_to: int
    coverage_tier: CoverageTier
    amount: Decimal
    parameter_name: str | None = None
    parameter_value: str | None = None


_CODED: dict[Any, Action] = {
    BrokerAgent: Action.BROKER_AGENT_CREATE,
    BillingAccount: Action.BILLING_ACCOUNT_CREATE,
    ProviderGroup: Action.PROVIDER_GROUP_CREATE,
}


async def create_coded(
    session: AsyncSession, *, actor: Actor, model: Any, code: str, name: str
) -> Any:
    """Add a broker agent, a billing account or a provider group: a unique code and a name."""
    async with changing(session, actor, _CODED[model], model) as change:
        problems: list[Problem] = []
        code = await _unique_code(session, model, code, problems)
        name = check_name("name", name, problems)
        raise_if(problems)
        return change.add(model(code=code, name=name))


async def _unique_code(
    session: AsyncSession, model: Any, code: str, problems: list[Problem]
) -> str:
    found = len(problems)
    code = check_code("code", code, problems)
    if len(problems) == found and await session.scalar(
        sa.select(model.id).where(model.code == code)
    ):
        problems.append(Problem(("code",), ErrorCode.DUPLICATE, f"{code!r} is already in use."))
    return code


async def create_premium_schedule(
    session: AsyncSession,
    *,
    actor: Actor,
    code: str,
    name: str,
    currency: str,
    rates: Sequence[RateSpec],
) -> PremiumSchedule:
    """Add a premium schedule with its rates; a tier's age bands must not overlap."""
    async with changing(session, actor, Action.PREMIUM_SCHEDULE_CREATE, PremiumSchedule) as change:
        problems: list[Problem] = []
        code = await _unique_code(session, PremiumSchedule, code, problems)
        name = check_name("name", name, problems)
        currency = check_currency("currency", currency, problems) or ""
        problems.extend(rate_problems(rates))
        raise_if(problems)
        schedule = change.add(PremiumSchedule(code=code, name=name, currency=currency))
        await session.flush()
        session.add_all(
            PremiumRate(premium_schedule_id=schedule.id, **rate.__dict__)  # type: ignore[arg-type]
            for rate in rates
        )
    return schedule


def rate_problems(rates: Sequence[RateSpec]) -> list[Problem]:
    """What is wrong with a schedule's rates: none, a band, an amount, overlapping bands."""
    problems: list[Problem] = []
    if not rates:
        problems.append(Problem(("rates",), ErrorCode.REQUIRED, "Give at least one rate."))
    for i, rate in enumerate(rates):
        path = ("rates", str(i))
        if not 0 <= rate.age_from <= rate.age_to <= 150:
            problems.append(
                Problem(
                    (*path, "age_to"), ErrorCode.INVALID_FORMAT, "0 <= ageFrom <= ageTo <= 150."
                )
            )
        check_amount((*path, "amount"), rate.amount, 2, Decimal(0), Decimal(10**9), problems)
    return problems + _band_overlaps(rates)


def _band_overlaps(rates: Sequence[RateSpec]) -> list[Problem]:
    by_tier: dict[tuple[Any, ...], list[tuple[int, RateSpec]]] = defaultdict(list)
    for i, rate in enumerate(rates):
        by_tier[(rate.coverage_tier, rate.parameter_name, rate.parameter_value)].append((i, rate))
    problems = []
    for bands in by_tier.values():
        ordered = sorted(bands, key=lambda band: band[1].age_from)
        for (_, earlier), (i, later) in pairwise(ordered):
            if later.age_from <= earlier.age_to:
                problems.append(
                    Problem(
                        ("rates", str(i), "age_from"),
                        ErrorCode.OVERLAP,
                        f"Ages {later.age_from}-{later.age_to} overlap {earlier.age_from}-"
                        f"{earlier.age_to} in {later.coverage_tier}.",
                    )
                )
    return problems


async def create_adjustment_rule(
    session: AsyncSession,
    *,
    actor: Actor,
    code: str,
    name: str,
    kind: AdjustmentKind,
    value: Decimal,
    currency: str | None = None,
) -> AdjustmentRule:
    """Add an adjustment: a percentage (no currency) or an amount (with one)."""
    async with changing(session, actor, Action.ADJUSTMENT_RULE_CREATE, AdjustmentRule) as change:
        problems: list[Problem] = []
        code = await _unique_code(session, AdjustmentRule, code, problems)
        name = check_name("name", name, problems)
        _adjustment_value(("value",), kind, value, problems)
        currency = check_currency("currency", currency, problems)
        if (kind is AdjustmentKind.AMOUNT) != (currency is not None):
            problems.append(
                Problem(
                    ("currency",),
                    ErrorCode.REQUIRED if currency is None else ErrorCode.NOT_ALLOWED,
                    "An amount needs a currency; a percentage has none.",
                )
            )
        raise_if(problems)
        return change.add(
            AdjustmentRule(code=code, name=name, kind=kind, value=value, currency=currency)
        )


def _adjustment_value(
    field: tuple[str, ...], kind: AdjustmentKind, value: Decimal, problems: list[Problem]
) -> None:
    limit = Decimal(100) if kind is AdjustmentKind.PERCENTAGE else Decimal(10**9)
    check_amount(field, value, 4, -limit, limit, problems)


async def create_product_parameter(
    session: AsyncSession,
    *,
    actor: Actor,
    product_code: str,
    name: str,
    description: str = "",
    allowed_values: Sequence[str] | None = None,
) -> ProductParameter:
    """Define a named value of a product, to be set on its offers and enrolments; with
    `allowed_values`, a setting of it must take one of them."""
    async with changing(
        session, actor, Action.PRODUCT_PARAMETER_CREATE, ProductParameter
    ) as change:
        problems: list[Problem] = []
        product = await session.scalar(
            sa.select(Product).where(col(Product.code) == product_code.strip())
        ) if "\x00" not in product_code else None  # fmt: skip
        if product is None:
            problems.append(Problem(("product_code",), ErrorCode.NOT_FOUND, "No such product."))
        name = check_code("name", name, problems)
        if product is not None and not problems and await _has_parameter(session, product, name):
            problems.append(Problem(("name",), ErrorCode.DUPLICATE, "The product has it already."))
        allowed = _allowed_values(allowed_values, problems)
        raise_if(problems)
        assert product is not None
        return change.add(
            ProductParameter(
                product_id=product.id,  # type: ignore[arg-type]
                name=name,
                description=" ".join(description.split())[:200],
                allowed_values=allowed,
            )
        )


def _allowed_values(values: Sequence[str] | None, problems: list[Problem]) -> list[str] | None:
    """The values a parameter allows, tidied: at least one, each once, each a setting's text."""
    if values is None:
        return None
    if not values:
        problems.append(
            Problem(
                ("allowed_values",),
                ErrorCode.REQUIRED,
                "Give at least one value, or null for any value.",
            )
        )
    tidied: list[str] = []
    for i, value in enumerate(values):
        text = check_name(("allowed_values", str(i)), value, problems, max_length=100)
        if text in tidied:
            problems.append(
                Problem(
                    ("allowed_values", str(i)), ErrorCode.DUPLICATE, f"{text!r} is given twice."
                )
            )
        tidied.append(text)
    return tidied


async def _has_parameter(session: AsyncSession, product: Product, name: str) -> bool:
    return bool(
        await session.scalar(
            sa.select(col(ProductParameter.id)).where(
                col(ProductParameter.product_id) == product.id, col(ProductParameter.name) == name
            )
        )
    )


async def add_adjustment_period(
    session: AsyncSession,
    *,
    actor: Actor,
    group_account_id: int,
    adjustment_rule: str,
    start_date: date,
    end_date: date | None,
    value: Decimal,
) -> AdjustmentPeriod:
    """Give a group account its own value of an adjustment for a period."""
    async with changing(session, actor, Action.ADJUSTMENT_PERIOD_ADD, AdjustmentPeriod) as change:
        account = await load(
            session, actor, GroupAccount, group_account_id, field="group_account_id"
        )
        problems: list[Problem] = []
        rule = await session.scalar(
            sa.select(AdjustmentRule).where(col(AdjustmentRule.code) == adjustment_rule.strip())
        ) if "\x00" not in adjustment_rule else None  # fmt: skip
        if rule is None:
            problems.append(Problem(("adjustment_rule",), ErrorCode.NOT_FOUND, "No such rule."))
        else:
            _adjustment_value(("value",), rule.kind, value, problems)
        if end_date is not None and end_date < start_date:
            problems.append(
                Problem(("end_date",), ErrorCode.END_BEFORE_START, "The end is before the start.")
            )
        raise_if(problems)
        assert rule is not None
        await _no_period_overlap(session, account.id, rule.id, start_date, end_date)  # type: ignore[arg-type]
        return change.add(
            AdjustmentPeriod(
                group_account_id=account.id,  # type: ignore[arg-type]
                adjustment_rule_id=rule.id,  # type: ignore[arg-type]
                start_date=start_date,
                end_date=end_date,
                value=value,
            )
        )


async def _no_period_overlap(
    session: AsyncSession, account_id: int, rule_id: int, start: date, end: date | None
) -> None:
    stmt = sa.select(AdjustmentPeriod).where(
        col(AdjustmentPeriod.group_account_id) == account_id,
        col(AdjustmentPeriod.adjustment_rule_id) == rule_id,
    )
    for other in (await session.scalars(stmt)).all():
        if of(other).overlaps(Period(start, end)):
            raise DomainError.of(
                "start_date", ErrorCode.OVERLAP, "The account has a value for that rule then."
            )


@dataclass(frozen=True)
class ReferenceData:
    """Every row of the settings' reference data, each list by code."""

    premium_schedules: Sequence[PremiumSchedule]
    adjustment_rules: Sequence[AdjustmentRule]
    broker_agents: Sequence[BrokerAgent]
    billing_accounts: Sequence[BillingAccount]
    provider_groups: Sequence[ProviderGroup]
    product_parameters: Sequence[tuple[str, ProductParameter]]


async def reference_data(session: AsyncSession) -> ReferenceData:
    """All of the settings' reference data (a few hundred rows at most)."""

    async def every(model: Any) -> Sequence[Any]:
        return (await session.scalars(sa.select(model).order_by(model.code))).all()

    parameters = await session.execute(
        sa.select(col(Product.code), ProductParameter)
        .join(Product, col(Product.id) == ProductParameter.product_id)
        .order_by(col(Product.code), col(ProductParameter.name))
    )
    return ReferenceData(
        premium_schedules=await every(PremiumSchedule),
        adjustment_rules=await every(AdjustmentRule),
        broker_agents=await every(BrokerAgent),
        billing_accounts=await every(BillingAccount),
        provider_groups=await every(ProviderGroup),
        product_parameters=[(code, parameter) for code, parameter in parameters.all()],
    )
