"""The demo members: families that keep every enrolment rule, and show each of them."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from api.demo.book import load_demo_book
from authz.access import EVERYTHING, Actor
from domain.policies import lifecycle
from domain.policies.ages import age_limit_end
from domain.policies.checks import Blame, check_policy
from domain.policies.limits import PolicyLimits, utc_today
from domain.policies.models import (
    Person,
    Policy,
    PolicyAccountLink,
    PolicyClassLink,
    PolicyMember,
    PolicyStatus,
    Relationship,
)
from domain.policies.state import facts_for, policy_rows

FAMILIES = 120


async def _all(session: AsyncSession, model: Any) -> list[Any]:
    return list((await session.scalars(sa.select(model))).all())


@pytest.fixture
async def loaded(session: AsyncSession) -> dict[str, int]:
    return await load_demo_book(session, families=FAMILIES)


async def test_counts_what_it_added_and_adds_nothing_again(
    session: AsyncSession, loaded: dict[str, int]
) -> None:
    # then, the newborns the demo's enrolment requests registered aside
    persons = await _all(session, Person)
    newborns = sum(1 for person in persons if person.given_name == "Baby")
    assert newborns
    assert loaded["persons"] + newborns == len(persons)
    assert loaded["policies"] == len(await _all(session, Policy)) >= FAMILIES
    assert loaded["policy members"] + newborns == len(await _all(session, PolicyMember))
    again = await load_demo_book(session, families=FAMILIES)
    assert (again["persons"], again["policies"], again["policy members"]) == (0, 0, 0)


async def test_every_policy_keeps_every_rule_the_services_check(
    session: AsyncSession, loaded: dict[str, int]
) -> None:
    # given the checks a change to any of these policies would run
    limits = PolicyLimits()
    for policy in await _all(session, Policy):
        rows = await policy_rows(session, policy.id)
        facts = await facts_for(session, rows, limits=limits, scope=EVERYTHING, policy_id=policy.id)
        # then
        assert check_policy(rows, facts, Blame()) == [], policy.number


async def test_tells_the_stories_the_rules_are_about(
    session: AsyncSession, loaded: dict[str, int]
) -> None:
    today = utc_today()
    policies = await _all(session, Policy)
    members = await _all(session, PolicyMember)
    persons = {p.id: p for p in await _all(session, Person)}
    # moves: a policy with two account links, or two class links
    links = Counter(link.policy_id for link in await _all(session, PolicyAccountLink))
    classes = Counter(link.policy_id for link in await _all(session, PolicyClassLink))
    assert any(n > 1 for n in links.values()) or any(n > 1 for n in classes.values())
    # terminations
    assert any(p.status == PolicyStatus.TERMINATED for p in policies)
    # children whose cover ends within two months, shown in advance
    soon = [
        m
        for m in members
        if m.relationship == Relationship.CHILD
        and today <= age_limit_end(persons[m.person_id].birth_date, 26) <= today + timedelta(60)
    ]
    assert len(soon) >= 3
    # newborns added after their policy started
    starts = {p.id: p.start_date for p in policies}
    assert any(m.start_date > starts[m.policy_id] for m in members)
    # one person, two groups: subscriber of two policies
    holders = Counter(p.subscriber_id for p in policies)
    assert any(n == 2 for n in holders.values())


async def test_a_terminated_demo_policy_can_be_reinstated(
    session: AsyncSession, loaded: dict[str, int]
) -> None:
    # given a terminated demo policy whose subscriber did not join another group since
    policies = await _all(session, Policy)
    holders = Counter(p.subscriber_id for p in policies)
    policy = next(
        p for p in policies if p.status is PolicyStatus.TERMINATED and holders[p.subscriber_id] == 1
    )
    # when
    await lifecycle.reinstate_policy(
        session,
        actor=Actor("admin-1", EVERYTHING),
        limits=PolicyLimits(),
        policy_id=policy.id,  # type: ignore[arg-type]
        version=policy.version,
    )
    # then its subscriber is insured again, open-ended
    rows = await policy_rows(session, policy.id)  # type: ignore[arg-type]
    holder = [m for m in rows.members if m.relationship is Relationship.SUBSCRIBER]
    assert policy.status is PolicyStatus.ACTIVE
    assert holder[-1].end_date is None
