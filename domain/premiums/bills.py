"""Bills: a month's charges grouped per group client, billing account and allocation.

Derived, never stored: a bill is what the charges of a month add up to now (reversals
included), split as the account's BILL_ALLOCATION says on the month's first day (SINGLE_BILL,
the default: one per client and billing account; PER_GROUP_ACCOUNT; PER_EMPLOYEE: one per
policy), with the broker's commission at the account's GROUP_COMMISSION_RATE, rounded
half-even per line.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import RowScope
from domain.core.reach import visible
from domain.premiums.calculation import CENT, HUNDRED, month
from domain.premiums.models import PremiumCharge
from domain.settings.chains import effective_for
from domain.settings.effective import Chosen, Effective
from domain.settings.models import BillAllocation, SettingKind, SettingLevel

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class BillLine:
    """What a policy owes for a product in an account this month, after every run."""

    policy_id: int
    product_id: int
    group_account_id: int
    amount: Decimal
    employer_amount: Decimal
    employee_amount: Decimal
    commission: Decimal
    commission_rate: Decimal | None


@dataclass(frozen=True)
class Bill:
    """One invoice of a month."""

    period: str
    group_client_id: int
    billing_account_id: int | None
    allocation: BillAllocation
    allocation_source: Chosen | None
    part: int | None
    """The group account (PER_GROUP_ACCOUNT) or policy (PER_EMPLOYEE) it is for."""
    currency: str
    lines: Sequence[BillLine]

    @property
    def key(self) -> str:
        """Names the bill among a month's: period, client, billing account, part, currency."""
        parts = (self.period, self.group_client_id, self.billing_account_id, self.part)
        return ":".join("-" if p is None else str(p) for p in parts) + f":{self.currency}"

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def employer_total(self) -> Decimal:
        return sum((line.employer_amount for line in self.lines), ZERO)

    @property
    def employee_total(self) -> Decimal:
        return sum((line.employee_amount for line in self.lines), ZERO)

    @property
    def commission(self) -> Decimal:
        return sum((line.commission for line in self.lines), ZERO)


async def bills(
    session: AsyncSession, *, scope: RowScope, period: str, group_client_id: int | None = None
) -> list[Bill]:
    """The month's bills, of the charges `scope` reaches, in a fixed number of statements."""
    stmt = sa.select(PremiumCharge).where(
        col(PremiumCharge.period) == period, visible(scope, PremiumCharge)
    )
    if group_client_id is not None:
        stmt = stmt.where(col(PremiumCharge.group_client_id) == group_client_id)
    charges = (await session.scalars(stmt.order_by(col(PremiumCharge.id)))).all()
    day = month(period).start
    accounts = {c.group_account_id for c in charges}
    chosen = (
        await effective_for(session, SettingLevel.GROUP_ACCOUNT, accounts, day) if accounts else {}
    )
    return allocate(period, charges, chosen)


NetKey = tuple[int, int, int, int | None, int, str]
"""(client, account, policy, billing account, product, currency)."""
BillKey = tuple[int, int | None, int | None, str]
"""(client, billing account, part, currency)."""


def allocate(
    period: str, charges: Iterable[PremiumCharge], settings: Mapping[int, Effective]
) -> list[Bill]:
    """Group the charges' net amounts into bills as each account's settings say."""
    grouped: dict[BillKey, list[BillLine]] = defaultdict(list)
    sources: dict[BillKey, Chosen | None] = {}
    for key, sums in sorted(_net(charges).items(), key=str):
        client, account, policy, billing, _product, currency = key
        effective = settings.get(account, Effective())
        chosen = effective.single.get(SettingKind.BILL_ALLOCATION)
        allocation = _allocation(chosen)
        part = {BillAllocation.SINGLE_BILL: None, BillAllocation.PER_EMPLOYEE: policy}.get(
            allocation, account
        )
        bill = (client, billing, part, currency)
        grouped[bill].append(
            _line(key, sums, effective.single.get(SettingKind.GROUP_COMMISSION_RATE))
        )
        sources.setdefault(bill, chosen)
    return [
        Bill(period, client, billing, _allocation(sources[k]), sources[k], part, currency, lines)
        for k, lines in sorted(grouped.items(), key=str)
        for client, billing, part, currency in [k]
    ]


def _net(charges: Iterable[PremiumCharge]) -> dict[NetKey, list[Decimal]]:
    """The net amounts (amount, employer's, employee's) by key; none that nets to nothing."""
    net: dict[NetKey, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
    for c in charges:
        key = (c.group_client_id, c.group_account_id, c.policy_id, c.billing_account_id,
               c.product_id, c.currency)  # fmt: skip
        sums = net[key]
        sums[0] += c.amount
        sums[1] += c.employer_amount
        sums[2] += c.employee_amount
    return {k: v for k, v in net.items() if any(v)}


def _allocation(chosen: Chosen | None) -> BillAllocation:
    if chosen is None or chosen.setting.value_text is None:
        return BillAllocation.SINGLE_BILL
    return BillAllocation(chosen.setting.value_text)


def _line(key: NetKey, sums: list[Decimal], rate_chosen: Chosen | None) -> BillLine:
    _client, account, policy, _billing, product, _currency = key
    rate = rate_chosen.setting.value_decimal if rate_chosen else None
    commission = (sums[0] * (rate or 0) / HUNDRED).quantize(CENT, ROUND_HALF_EVEN)
    return BillLine(policy, product, account, sums[0], sums[1], sums[2], commission, rate)
