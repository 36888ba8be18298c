"""What a run writes: the charges a month's premiums call for, less those already in force.

Pure: priced premiums in, charges out. A charge in force whose amounts, currency or billing
account differ from what is due now is reversed (a new row of its amounts negated) and a new
charge added; a charge due that has none in force is added; a charge in force that is no
longer due (a product withdrawn back-dated) is reversed. Products that could not be priced
this time keep the charges they have.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.premiums.calculation import Premium
from domain.premiums.models import PremiumRun
from domain.settings.models import SettingKind

Key = tuple[int, int, int]
"""(policy, product, group account): one charge in force each, per month."""


@dataclass(frozen=True)
class Target:
    """What a policy owes for a product in an account for the month, now."""

    group_client_id: int
    billing_account_id: int | None
    currency: str
    amount: Decimal
    employer_amount: Decimal
    employee_amount: Decimal


@dataclass
class Charge:
    """A premium_charge row as a plain value: a run reads and writes 100,000 of them, and an
    ORM row costs more to build than everything else done with it (the columns of
    domain.premiums.models.PremiumCharge but its created_at, which the insert sets)."""

    run_id: int
    policy_id: int
    product_id: int
    period: str
    group_client_id: int
    group_account_id: int
    billing_account_id: int | None
    currency: str
    amount: Decimal
    employer_amount: Decimal
    employee_amount: Decimal
    reverses_id: int | None = None
    id: int | None = None


COLUMNS = tuple(f.name for f in fields(Charge))
"""The columns of premium_charge a Charge holds, in its order."""
_INSERTED = tuple(name for name in COLUMNS if name != "id")


def rows(charges: Iterable[Charge], created_at: datetime) -> list[dict[str, Any]]:
    """New charges as rows of premium_charge to insert."""
    return [
        {name: getattr(c, name) for name in _INSERTED} | {"created_at": created_at} for c in charges
    ]


def targets(
    priced: Mapping[int, Premium], approved: set[int]
) -> tuple[dict[Key, Target], list[dict[str, Any]]]:
    """The charges due by key, for lines of approved clients; and the problems, as data."""
    wanted: dict[Key, Target] = {}
    problems: list[dict[str, Any]] = []
    for policy_id, found in priced.items():
        for line in found.lines:
            s = line.segment
            if s.group_client_id not in approved:
                continue
            key = (policy_id, s.product_id, s.group_account_id)
            billing = s.effective.single.get(SettingKind.BILLING_ACCOUNT)
            wanted[key] = _plus(
                wanted.get(key),
                Target(
                    s.group_client_id,
                    billing.setting.billing_account_id if billing else None,
                    line.schedule.currency,
                    line.amount,
                    line.employer_amount,
                    line.employee_amount,
                ),
            )
        problems.extend(
            {
                "policy_id": policy_id,
                "product_id": p.segment.product_id,
                "group_account_id": p.segment.group_account_id,
                "code": p.code.value,
                "message": p.message,
                "setting": p.kind.value if p.kind else None,
                "level": p.source.level.value if p.source else None,
            }
            for p in found.problems
        )
    return wanted, problems


def _plus(before: Target | None, more: Target) -> Target:
    """Two runs of days of one product in one account (a gap between): one charge."""
    if before is None:
        return more
    return Target(
        more.group_client_id,
        more.billing_account_id,
        more.currency,
        before.amount + more.amount,
        before.employer_amount + more.employer_amount,
        before.employee_amount + more.employee_amount,
    )


def in_force(charges: Iterable[Charge]) -> dict[Key, Charge]:
    """The charges neither reversed nor reversals, by key (one each: runs keep it so)."""
    rows = list(charges)
    reversed_ids = {c.reverses_id for c in rows if c.reverses_id is not None}
    return {
        (c.policy_id, c.product_id, c.group_account_id): c
        for c in rows
        if c.reverses_id is None and c.id not in reversed_ids
    }


def differences(
    run: PremiumRun,
    wanted: Mapping[Key, Target],
    live: Mapping[Key, Charge],
    problems: list[dict[str, Any]],
) -> list[Charge]:
    """The reversals and new charges that make the charges in force what is due now."""
    unpriced = {(p["policy_id"], p["product_id"], p["group_account_id"]) for p in problems}
    added: list[Charge] = []
    for key in sorted(set(wanted) | set(live)):
        target, charge = wanted.get(key), live.get(key)
        if key in unpriced or (charge is not None and target is not None and _same(charge, target)):
            continue
        if charge is not None:
            added.append(_reversal(run, charge))
        if target is not None and target.amount != 0:
            added.append(_charge(run, key, target))
    return added


def _same(charge: Charge, target: Target) -> bool:
    return (
        charge.amount,
        charge.employer_amount,
        charge.currency,
        charge.billing_account_id,
        charge.group_client_id,
    ) == (
        target.amount,
        target.employer_amount,
        target.currency,
        target.billing_account_id,
        target.group_client_id,
    )


def _reversal(run: PremiumRun, charge: Charge) -> Charge:
    return Charge(
        run_id=run.id,  # type: ignore[arg-type]
        policy_id=charge.policy_id,
        product_id=charge.product_id,
        period=charge.period,
        group_client_id=charge.group_client_id,
        group_account_id=charge.group_account_id,
        billing_account_id=charge.billing_account_id,
        currency=charge.currency,
        amount=-charge.amount,
        employer_amount=-charge.employer_amount,
        employee_amount=-charge.employee_amount,
        reverses_id=charge.id,
    )


def _charge(run: PremiumRun, key: Key, target: Target) -> Charge:
    policy_id, product_id, account_id = key
    return Charge(
        run_id=run.id,  # type: ignore[arg-type]
        policy_id=policy_id,
        product_id=product_id,
        period=run.period,
        group_client_id=target.group_client_id,
        group_account_id=account_id,
        billing_account_id=target.billing_account_id,
        currency=target.currency,
        amount=target.amount,
        employer_amount=target.employer_amount,
        employee_amount=target.employee_amount,
    )
