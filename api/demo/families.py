"""The demo book's members: a few thousand families across the demo group accounts.

Written straight to the tables in a few bulk statements (the services would check each
family one by one), but keeping every rule the services enforce, so that each can be seen:
moves between classes and accounts, terminated policies, children nearing the age limit,
newborns, and people insured in two groups one after the other. Deterministic, and dated
from today, so the stories hold whenever it runs.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.groups.models import (
    GroupAccount,
    GroupAccountProduct,
    GroupAccountProductClass,
    InsurableClass,
)
from domain.policies.checks import child_end
from domain.policies.limits import DEFAULT_CHILD_MAX_AGE, utc_today
from domain.policies.models import (
    EnrollmentProduct,
    Gender,
    Person,
    Policy,
    PolicyAccountLink,
    PolicyClassLink,
    PolicyMember,
    PolicyStatus,
    Relationship,
)
from domain.policies.termination import ended_open
from domain.reference.models import CoverageTier, ProductCoverageTier

DEMO_FAMILIES = 2000
PREFIX = "DEMO-"
GIVEN = ("Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Hugo", "Ines", "Jonas",
         "Katrin", "Liam", "Mia", "Noah", "Olga", "Paul", "Rosa", "Tara", "Yusuf")  # fmt: skip
FAMILY = ("Becker", "Dubois", "Garcia", "Hoffmann", "Kim", "Lefevre", "Martin", "Nguyen",
          "Okafor", "Patel", "Rossi", "Schmidt", "Smith", "Tanaka", "Walker", "Young")  # fmt: skip


@dataclass
class Place:
    """A class (or none) of a demo account, and which products it may take in which tiers."""

    account: GroupAccount
    class_id: int | None
    products: dict[int, frozenset[CoverageTier]]


@dataclass
class Family:
    """One family's rows before they are written."""

    holder: Person
    policy: Policy
    place: Place
    members: list[tuple[Person, PolicyMember]] = field(default_factory=list)
    rows: list[Any] = field(default_factory=list)


async def load_members(
    session: AsyncSession, added: dict[str, int], *, families: int = DEMO_FAMILIES, seed: int = 834
) -> None:
    """Add the demo families unless they are there already; count what was added."""
    taken = await session.scalar(
        sa.select(col(Person.id)).where(col(Person.person_number).startswith(PREFIX)).limit(1)
    )
    if taken is not None or families <= 0:
        return
    places = await _places(session)
    if not places:
        return
    rng = random.Random(seed)
    today = utc_today()
    made = [_family(rng, i, rng.choice(places), today) for i in range(families)]
    _stories(rng, made, places, today)
    await _write(session, made)
    added["persons"] += len({id(p) for f in made for p, _ in f.members})
    added["policies"] += len(made)
    added["policy members"] += sum(len(f.members) for f in made)


async def _places(session: AsyncSession) -> list[Place]:
    """Every class of every demo account that may take at least one product."""
    tiers: dict[int, set[CoverageTier]] = defaultdict(set)
    stmt = sa.select(col(ProductCoverageTier.product_id), col(ProductCoverageTier.tier))
    for product_id, tier in (await session.execute(stmt)).all():
        tiers[product_id].add(tier)
    offers = (await session.execute(sa.select(GroupAccountProduct))).scalars().all()
    allowed: dict[int, set[int]] = defaultdict(set)
    pairs = sa.select(
        col(GroupAccountProductClass.group_account_product_id),
        col(GroupAccountProductClass.insurable_class_id),
    )
    for offer_id, allowed_id in (await session.execute(pairs)).all():
        allowed[offer_id].add(allowed_id)
    places = []
    for account in await session.scalars(sa.select(GroupAccount).order_by(col(GroupAccount.id))):
        classes: list[int | None] = list(
            await session.scalars(
                sa.select(col(InsurableClass.id)).where(
                    col(InsurableClass.group_account_id) == account.id
                )
            )
        )
        for class_id in classes or [None]:
            products = {
                offer.product_id: frozenset(tiers[offer.product_id])
                for offer in offers
                if offer.group_account_id == account.id
                and tiers[offer.product_id]
                and (not allowed[offer.id or 0] or class_id in allowed[offer.id or 0])
            }
            if products:
                places.append(Place(account, class_id, products))
    return places


def _person(rng: random.Random, number: str, family: str, born: date, **more: Any) -> Person:
    return Person(
        person_number=f"{PREFIX}{number}",
        given_name=rng.choice(GIVEN),
        family_name=family,
        birth_date=born,
        gender=rng.choice([Gender.FEMALE, Gender.MALE]),
        national_id=f"{PREFIX}NID-{number}",
        **more,
    )


def _family(rng: random.Random, i: int, place: Place, today: date) -> Family:
    """A subscriber, maybe a partner, up to three children, enrolled from a day in the past."""
    name = rng.choice(FAMILY)
    start = today - timedelta(days=rng.randint(30, 900))
    holder = _person(
        rng,
        f"{i:06d}",
        name,
        _years_before(start, rng.randint(22, 60), rng),
    )
    policy = Policy(
        number=f"P-{PREFIX}{i:06d}",
        subscriber_id=0,
        line_of_business_id=place.account.line_of_business_id,
        data_access_group_id=place.account.data_access_group_id,
        status=PolicyStatus.ACTIVE,
        start_date=start,
        employee_number=f"E{i:06d}",
        work_email=f"demo{i}@example.com",
        salary=Decimal(rng.randrange(30_000, 150_000, 500)),
        salary_currency="EUR",
    )
    family = Family(holder, policy, place)
    family.members.append((holder, _member(Relationship.SUBSCRIBER, start)))
    if rng.random() < 0.6:
        kind = rng.choice([Relationship.SPOUSE, Relationship.SPOUSE, Relationship.DOMESTIC_PARTNER])
        partner = _person(rng, f"{i:06d}-P", name, _years_before(start, rng.randint(22, 60), rng))
        family.members.append((partner, _member(kind, start)))
    for n in range(rng.choice([0, 0, 1, 1, 2, 3])):
        born = start - timedelta(days=rng.randint(0, 365 * 20))
        child = _person(rng, f"{i:06d}-C{n}", name, born)
        end = child_end(born, None, DEFAULT_CHILD_MAX_AGE)
        family.members.append((child, _member(Relationship.CHILD, start, end)))
    _enrol(rng, family, start)
    return family


def _years_before(day: date, years: int, rng: random.Random) -> date:
    return day - timedelta(days=365 * years + rng.randint(0, 364))


def _member(kind: Relationship, start: date, end: date | None = None) -> PolicyMember:
    return PolicyMember(relationship=kind, start_date=start, end_date=end, person_id=0)


def _tier(family: Family, allowed: frozenset[CoverageTier]) -> CoverageTier:
    kinds = {m.relationship for _, m in family.members}
    partner = kinds & {Relationship.SPOUSE, Relationship.DOMESTIC_PARTNER}
    children = Relationship.CHILD in kinds
    wanted = {
        (True, True): CoverageTier.FAMILY,
        (True, False): CoverageTier.EMPLOYEE_SPOUSE,
        (False, True): CoverageTier.EMPLOYEE_CHILDREN,
    }.get((bool(partner), children), CoverageTier.EMPLOYEE_ONLY)
    return wanted if wanted in allowed else min(allowed)


def _enrol(rng: random.Random, family: Family, start: date, only: set[int] | None = None) -> None:
    """Link the family's policy to its place and enrol it in some of the products there."""
    place = family.place
    account_id = place.account.id or 0
    family.rows.append(PolicyAccountLink(group_account_id=account_id, start_date=start))
    if place.class_id is not None:
        family.rows.append(PolicyClassLink(insurable_class_id=place.class_id, start_date=start))
    choice = sorted(only & place.products.keys()) if only else []
    if not choice:  # a new enrolment, or a move to where none of the products is offered
        offered = sorted(place.products)
        choice = rng.sample(offered, rng.randint(1, len(offered)))
    for product_id in sorted(choice):
        tier = _tier(family, place.products[product_id])
        family.rows.append(
            EnrollmentProduct(product_id=product_id, coverage_tier=tier, start_date=start)
        )


def _end(family: Family, day: date) -> None:
    """End the family's rows on `day`: those ending sooner keep their end, later ones go."""
    family.members = [(p, m) for p, m in family.members if m.start_date <= day]
    family.rows = [row for row in family.rows if row.start_date <= day]
    _end_rows([m for _, m in family.members] + family.rows, day)


def _stories(rng: random.Random, made: list[Family], places: list[Place], today: date) -> None:
    """Moves, terminations, children nearing the age limit, newborns, a second group."""
    for family in made[::20]:  # about 5%: moved to another class or account of the same group
        others = [p for p in places if p is not family.place and _same_group(p, family.place)]
        if not others:
            continue
        day = today - timedelta(days=rng.randint(1, (today - family.policy.start_date).days - 1))
        kept = {row.product_id for row in family.rows if isinstance(row, EnrollmentProduct)}
        _end_rows(family.rows, day - timedelta(days=1))
        family.place = rng.choice(others)
        _enrol(rng, family, day, only=kept or None)
    ended = [f for f in made[7::33] if (today - f.policy.start_date).days > 40]
    for family in ended:  # about 3%: terminated some days ago
        day = today - timedelta(days=rng.randint(1, 30))
        _end(family, day)
        family.policy.status = PolicyStatus.TERMINATED
        family.policy.end_date = day
    for n, family in enumerate(made[3:18:5]):  # children whose cover ends within two months
        if family.policy.status == PolicyStatus.TERMINATED:
            continue
        birthday = date(today.year - DEFAULT_CHILD_MAX_AGE, today.month, min(today.day, 28))
        born = birthday + timedelta(days=10 + 15 * n)
        child = _person(rng, f"{made.index(family):06d}-C9", family.holder.family_name, born)
        end = child_end(born, None, DEFAULT_CHILD_MAX_AGE)
        family.members.append((child, _member(Relationship.CHILD, family.policy.start_date, end)))
    for family in made[5:30:8]:  # newborns added in the last month
        if family.policy.status == PolicyStatus.TERMINATED:
            continue
        born = today - timedelta(days=rng.randint(1, 30))
        baby = _person(rng, f"{made.index(family):06d}-N", family.holder.family_name, born)
        end = child_end(born, None, DEFAULT_CHILD_MAX_AGE)
        family.members.append((baby, _member(Relationship.CHILD, born, end)))
    made.extend(_second_groups(rng, ended[:3], places))


def _end_rows(rows: list[Any], day: date) -> None:
    for row in rows:
        if row.end_date is None or row.end_date > day:
            row.end_date = day


def _same_group(a: Place, b: Place) -> bool:
    return a.account.group_client_id == b.account.group_client_id


def _second_groups(rng: random.Random, ended: list[Family], places: list[Place]) -> list[Family]:
    """Subscribers of terminated policies who joined another group the day after."""
    joined = []
    for family in ended:
        elsewhere = [p for p in places if not _same_group(p, family.place)]
        assert family.policy.end_date is not None
        start = family.policy.end_date + timedelta(days=1)
        policy = Policy(
            number=f"{family.policy.number}-2",
            subscriber_id=0,
            line_of_business_id=family.policy.line_of_business_id,
            data_access_group_id=family.policy.data_access_group_id,
            start_date=start,
        )
        again = Family(family.holder, policy, rng.choice(elsewhere))
        again.members.append((family.holder, _member(Relationship.SUBSCRIBER, start)))
        _enrol(rng, again, start)
        joined.append(again)
    return joined


async def _write(session: AsyncSession, made: list[Family]) -> None:
    """Insert the families: persons, then policies, then their dated rows."""
    persons = list({id(p): p for f in made for p, _ in f.members}.values())
    session.add_all(persons)
    await session.flush()
    for family in made:
        family.policy.subscriber_id = family.holder.id  # type: ignore[assignment]
    session.add_all(f.policy for f in made)
    await session.flush()
    for family in made:
        for person, member in family.members:
            member.person_id = person.id  # type: ignore[assignment]
        for row in [m for _, m in family.members] + family.rows:
            row.policy_id = family.policy.id
            session.add(row)
    await session.flush()
    for family in made:  # so that reinstating a demo termination reopens what it ended
        if family.policy.end_date is not None:
            rows = [m for _, m in family.members] + family.rows
            session.add_all(ended_open(family.policy.id, rows, family.policy.end_date))  # type: ignore[arg-type]
    await session.flush()
