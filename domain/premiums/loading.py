"""Loading what prices many policies' months, in a number of statements that does not grow
with the number of policies: their rows, the chains of settings of their enrolment products
(one batch per distinct first day of a segment, nearly always just the month's first), the
schedules with their rates and the adjustment rules named.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.core.periods import Period, meets, of
from domain.database import among
from domain.groups.models import GroupAccount
from domain.policies.models import (
    EnrollmentProduct,
    Person,
    Policy,
    PolicyAccountLink,
    PolicyMember,
    Relationship,
)
from domain.premiums.calculation import Premium, Rate, Rule, Schedule, Segment, premium
from domain.settings.chains import effective_for
from domain.settings.effective import Effective
from domain.settings.models import (
    AdjustmentRule,
    PremiumRate,
    PremiumSchedule,
    SettingKind,
    SettingLevel,
)


async def _rows(session: AsyncSession, stmt: Any) -> list[Any]:
    return list((await session.execute(stmt)).all())


async def segments_of(
    session: AsyncSession, policy_ids: Sequence[int], window: Period
) -> dict[int, list[tuple[Any, Period, int, int, int, date]]]:
    """Per policy, each enrolment product's runs of days in the window, with the subscriber
    (person id, birth date) and the account (id, its client) of those days."""
    ids = list(policy_ids)
    policies = {
        p: Period(s, e)
        for p, s, e in await _rows(
            session,
            sa.select(col(Policy.id), col(Policy.start_date), col(Policy.end_date)).where(
                among(session, col(Policy.id), ids)
            ),
        )
    }
    # Columns, not ORM rows: a run reads 100,000 of each, and building an ORM object costs
    # more than everything else done with it.
    E = EnrollmentProduct
    products = await _rows(
        session,
        sa.select(E.id, E.policy_id, E.product_id, E.coverage_tier, E.start_date, E.end_date).where(  # type: ignore[call-overload]
            among(session, col(E.policy_id), ids), meets(E, window)
        ),
    )
    M = PolicyMember
    members = await _rows(
        session,
        sa.select(M.policy_id, M.person_id, M.start_date, M.end_date, col(Person.birth_date))  # type: ignore[call-overload]
        .join(Person, col(Person.id) == col(PolicyMember.person_id))
        .where(
            among(session, col(PolicyMember.policy_id), ids),
            col(PolicyMember.relationship) == Relationship.SUBSCRIBER,
            meets(PolicyMember, window),
        ),
    )
    links = await _rows(
        session,
        sa.select(
            col(PolicyAccountLink.policy_id),
            col(PolicyAccountLink.group_account_id),
            col(PolicyAccountLink.start_date),
            col(PolicyAccountLink.end_date),
            col(GroupAccount.group_client_id),
        )
        .join(GroupAccount, col(GroupAccount.id) == col(PolicyAccountLink.group_account_id))
        .where(
            among(session, col(PolicyAccountLink.policy_id), ids),
            meets(PolicyAccountLink, window),
        ),
    )
    return _cut(window, policies, products, members, links)


def _cut(
    window: Period, policies: dict[int, Period], products: Iterable[Any],
    members: list[Any], links: list[Any],
) -> dict[int, list[tuple[Any, Period, int, int, int, date]]]:  # fmt: skip
    """Intersect each product's days with its policy's, its subscriber's and each link's."""
    subscribers: dict[int, list[Any]] = defaultdict(list)
    for member in members:
        subscribers[member.policy_id].append(member)
    linked: dict[int, list[Any]] = defaultdict(list)
    for link in links:
        linked[link.policy_id].append(link)
    found: dict[int, list[tuple[Any, Period, int, int, int, date]]] = defaultdict(list)
    for product in products:
        base = _meet(window, of(product), policies.get(product.policy_id))
        for member in subscribers.get(product.policy_id, []):
            for link in linked.get(product.policy_id, []):
                days = _meet(base, of(member), of(link))
                if days is not None:
                    found[product.policy_id].append(
                        (product, days, member.person_id, link.group_account_id,
                         link.group_client_id, member.birth_date)
                    )  # fmt: skip
    return found


def _meet(*periods: Period | None) -> Period | None:
    result: Period | None = periods[0]
    for period in periods[1:]:
        if result is None or period is None:
            return None
        result = result.intersection(period)
    return result


async def premiums_of(
    session: AsyncSession, policy_ids: Sequence[int], window: Period
) -> dict[int, Premium]:
    """The premium of each policy for the window (a month), in a fixed number of statements."""
    cut = await segments_of(session, policy_ids, window)
    by_day: dict[date, set[int]] = defaultdict(set)
    for pieces in cut.values():
        for product, days, *_ in pieces:
            by_day[days.start].add(product.id)  # type: ignore[arg-type]
    chosen: dict[tuple[int, date], Effective] = {}
    for day, ids in by_day.items():
        found = await effective_for(session, SettingLevel.ENROLLMENT_PRODUCT, ids, day)
        chosen.update({(i, day): effective for i, effective in found.items()})
    schedules, rules = await _catalogue(session, chosen.values())
    return {
        policy_id: premium(
            window,
            [_segment(policy_id, piece, chosen) for piece in cut.get(policy_id, [])],
            schedules,
            rules,
        )
        for policy_id in policy_ids
    }


def _segment(policy_id: int, piece: tuple[Any, ...], chosen: dict[Any, Effective]) -> Segment:
    product, days, person, account, client, birth = piece
    return Segment(
        policy_id=policy_id,
        enrollment_product_id=product.id,
        product_id=product.product_id,
        tier=product.coverage_tier,
        person_id=person,
        birth_date=birth,
        days=days,
        group_account_id=account,
        group_client_id=client,
        effective=chosen[(product.id, days.start)],
    )


async def _catalogue(
    session: AsyncSession, chosen: Iterable[Effective]
) -> tuple[dict[int, Schedule], dict[int, Rule]]:
    """The schedules (with rates) and adjustment rules the chosen settings name."""
    schedule_ids: set[int] = set()
    rule_ids: set[int] = set()
    for effective in chosen:
        found = effective.single.get(SettingKind.PREMIUM_SCHEDULE)
        if found is not None and found.setting.premium_schedule_id is not None:
            schedule_ids.add(found.setting.premium_schedule_id)
        rule_ids.update(a.setting.adjustment_rule_id for a in effective.adjustments)  # type: ignore[misc]
    rates: dict[int, list[Rate]] = defaultdict(list)
    for rate in await session.scalars(
        sa.select(PremiumRate).where(col(PremiumRate.premium_schedule_id).in_(schedule_ids))
    ):
        rates[rate.premium_schedule_id].append(
            Rate(rate.age_from, rate.age_to, rate.coverage_tier, rate.amount, rate.start_date,
                 rate.end_date, rate.parameter_name, rate.parameter_value)
        )  # fmt: skip
    schedules = {
        s.id: Schedule(s.id, s.code, s.currency, tuple(rates[s.id]))  # type: ignore[index, arg-type]
        for s in await session.scalars(
            sa.select(PremiumSchedule).where(col(PremiumSchedule.id).in_(schedule_ids))
        )
    }
    found_rules = {
        r.id: Rule(r.id, r.code, r.kind, r.value, r.currency)  # type: ignore[arg-type]
        for r in await session.scalars(
            sa.select(AdjustmentRule).where(col(AdjustmentRule.id).in_(rule_ids))
        )
    }
    return schedules, found_rules  # type: ignore[return-value]  # ids of loaded rows are set
