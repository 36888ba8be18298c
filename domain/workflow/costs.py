"""What a request costs, as facts of its process data for the decision table.

- A catalogue request (PRODUCT_UPGRADE, SERVICE_PURCHASE) carries its item's `price` and the
  `employer_share` of it (a service's times its quantity; an upgrade's a month, as quoted).
- A request that changes a policy (ENROLMENT, TERMINATION, DEPENDANT_REMOVAL, DATA_CHANGE,
  PRODUCT_UPGRADE) carries the monthly `premium_change` it causes and the employer's part of
  it, `employer_premium_change`: the policy's premium (domain.premiums) for the first whole
  month the change holds, after the trial registration at submission less before it.
- `employer_cost_change` is what the decision table asks: how much more the employer pays,
  the premium's change for a request that changes a policy, else the catalogue's share.

A cost that cannot be computed (no premium schedule, no rate for a tier or age, schedules in
two currencies) is null, and so is every fact derived from it: the shipped table then sends
the request to the group's manager, as when no rule decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.catalogue.models import CatalogueItem
from domain.core.periods import Period
from domain.premiums.calculation import Premium, month
from domain.premiums.loading import premiums_of
from domain.workflow.models import RequestType

T = RequestType


@dataclass(frozen=True)
class Cost:
    """A request's cost facts; each None when unknown or not applicable."""

    currency: str | None = None
    price: Decimal | None = None
    employer_share: Decimal | None = None
    premium_change: Decimal | None = None
    employer_premium_change: Decimal | None = None
    employer_cost_change: Decimal | None = None

    def facts(self) -> dict[str, Any]:
        """The process data's facts, every key present (null when unknown)."""
        return dict(self.__dict__)


def of_item(item: CatalogueItem | None, quantity: int = 1) -> Cost:
    """The catalogue's facts of a request that picked `item`."""
    if item is None:
        return Cost()
    share = item.employer_share * quantity
    return Cost(
        currency=item.currency,
        price=item.price * quantity,
        employer_share=share,
        employer_cost_change=share,
    )


def with_premiums(cost: Cost, before: Premium | None, after: Premium | None) -> Cost:
    """`cost` with the premium's change from `before` (None: no policy yet) to `after`."""
    if after is None or after.problems or (before is not None and before.problems):
        return Cost(cost.currency, cost.price, cost.employer_share)
    currencies = {p.currency for p in (before, after) if p is not None and p.currency}
    if len(currencies) > 1 or (cost.currency and currencies - {cost.currency}):
        return Cost(cost.currency, cost.price, cost.employer_share)
    zero = Decimal("0.00")
    employer = after.employer_amount - (before.employer_amount if before else zero)
    return Cost(
        currency=cost.currency or next(iter(currencies), None),
        price=cost.price,
        employer_share=cost.employer_share,
        premium_change=after.total - (before.total if before else zero),
        employer_premium_change=employer,
        employer_cost_change=employer,
    )


def window(type_: RequestType, details: dict[str, Any], today: date) -> Period:
    """The first whole month the change the request asks holds in."""
    day = _effective(type_, details) or today
    first = day if day.day == 1 else (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return month(first.isoformat()[:7])


def _effective(type_: RequestType, details: dict[str, Any]) -> date | None:
    """The day the request's change takes effect, when it names one."""
    if type_ is T.ENROLMENT:
        new = details.get("enrolment")
        starts = [new["start_date"]] if new else [
            d["start_date"] for d in details.get("dependants", []) if d.get("start_date")
        ]  # fmt: skip
        return date.fromisoformat(min(starts)) if starts else None
    if type_ in (T.TERMINATION, T.DEPENDANT_REMOVAL):
        return date.fromisoformat(details["end_date"]) + timedelta(days=1)
    if type_ is T.PRODUCT_UPGRADE and details["product"].get("start_date"):
        return date.fromisoformat(details["product"]["start_date"])
    return None


def may_change_premium(type_: RequestType, details: dict[str, Any]) -> bool:
    """Whether registering the request can change its policy's premium: a DATA_CHANGE only
    through a birth date (rates go by age); a name, contact or refund account never does."""
    return type_ is not T.DATA_CHANGE or details.get("birth_date") is not None


async def premium(session: AsyncSession, policy_id: int | None, period: Period) -> Premium | None:
    """The policy's premium for the period, as it stands in the session; None for no policy."""
    if policy_id is None:
        return None
    return (await premiums_of(session, [policy_id], period))[policy_id]
