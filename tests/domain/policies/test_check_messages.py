"""A refusal shows facts of another row only when the actor may see that row.

The rule (domain.policies.checks): another policy's number and dates, a person's age-limit
date (it gives their birth date away) and an account's end date appear in a message only
when the actor's scope reaches that policy, person or account.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import EVERYTHING, RowScope
from domain.policies.ages import age_limit_end
from domain.policies.checks import Blame, PolicyRows, check_policy
from domain.policies.limits import PolicyLimits, utc_today
from domain.policies.models import (
    EnrollmentProduct,
    PolicyAccountLink,
    PolicyMember,
    Relationship,
)
from domain.policies.state import facts_for, policy_rows
from domain.reference.models import CoverageTier
from tests.factories import Book, Place, families, place

TODAY = utc_today()
LIMITS = PolicyLimits()
GLOBEX_MANAGER = RowScope(subtrees=frozenset({"GLOBEX"}), writes=True)
ACME_MANAGER = RowScope(subtrees=frozenset({"ACME"}), writes=True)


@pytest.fixture
async def book(session: AsyncSession) -> Book:
    return await Book(session).setup()


@pytest.fixture
async def acme(book: Book) -> Place:
    return await place(book, code="ACME")


async def _messages(
    session: AsyncSession, rows: PolicyRows, scope: RowScope
) -> list[tuple[str, str]]:
    facts = await facts_for(session, rows, limits=LIMITS, scope=scope, policy_id=None)
    return [(p.code.value, p.message) for p in check_policy(rows, facts, Blame())]


async def test_an_overlap_names_the_other_policy_only_to_who_may_see_it(
    session: AsyncSession, book: Book, acme: Place
) -> None:
    # given a person with medical on an ACME policy, and new rows giving them medical again
    (theirs,) = await families(book, acme, 1, since=TODAY - timedelta(days=10))
    existing = await policy_rows(session, theirs.id)  # type: ignore[arg-type]
    person_id = existing.members[1].person_id
    rows = PolicyRows(
        members=[
            PolicyMember(
                person_id=person_id, relationship=Relationship.SUBSCRIBER, start_date=TODAY
            )
        ],
        accounts=[PolicyAccountLink(group_account_id=acme.account.id, start_date=TODAY)],  # type: ignore[arg-type]
        products=[
            EnrollmentProduct(
                product_id=book.medical.id,  # type: ignore[arg-type]
                coverage_tier=CoverageTier.EMPLOYEE_ONLY,
                start_date=TODAY,
            )
        ],
    )
    # when checked as someone who sees that policy, and as someone who does not
    seen = await _messages(session, rows, ACME_MANAGER)
    hidden = await _messages(session, rows, GLOBEX_MANAGER)
    everything = await _messages(session, rows, EVERYTHING)
    # then both are refused, but only the first learns which policy, and since when
    assert [code for code, _ in seen] == [code for code, _ in hidden] == ["OVERLAP"]
    assert theirs.number in seen[0][1] and theirs.number in everything[0][1]
    since = (TODAY - timedelta(days=10)).isoformat()
    assert since in seen[0][1]
    assert theirs.number not in hidden[0][1] and since not in hidden[0][1]
    assert "another policy" in hidden[0][1]


async def test_an_age_limit_gives_the_date_only_of_a_person_in_reach(
    session: AsyncSession, book: Book, acme: Place
) -> None:
    # given a child insured on an ACME policy, open-ended on new rows (past the age limit)
    (theirs,) = await families(book, acme, 1, since=TODAY - timedelta(days=10))
    existing = await policy_rows(session, theirs.id)  # type: ignore[arg-type]
    child = existing.members[2]
    limit = age_limit_end(date(2015, 1, 1), LIMITS.child_max_age)
    rows = PolicyRows(
        members=[
            PolicyMember(
                person_id=child.person_id, relationship=Relationship.CHILD, start_date=TODAY
            )
        ]
    )
    # when
    seen = await _messages(session, rows, ACME_MANAGER)
    hidden = await _messages(session, rows, GLOBEX_MANAGER)
    # then
    age_limits = [message for code, message in seen if code == "AGE_LIMIT"]
    hidden_limits = [message for code, message in hidden if code == "AGE_LIMIT"]
    assert len(age_limits) == len(hidden_limits) == 1
    assert limit.isoformat() in age_limits[0]
    assert limit.isoformat() not in hidden_limits[0]
    assert str(limit.year) not in " ".join(message for _, message in hidden)


async def test_an_ended_account_gives_its_end_only_to_who_may_see_it(
    session: AsyncSession, book: Book, acme: Place
) -> None:
    # given ACME's account ended yesterday, and rows linking a policy to it from today
    acme.account.end_date = TODAY - timedelta(days=1)
    await session.flush()
    rows = PolicyRows(
        accounts=[PolicyAccountLink(group_account_id=acme.account.id, start_date=TODAY)]  # type: ignore[arg-type]
    )
    # when
    seen = await _messages(session, rows, ACME_MANAGER)
    hidden = await _messages(session, rows, GLOBEX_MANAGER)
    # then
    assert [code for code, _ in seen] == [code for code, _ in hidden] == ["NOT_OFFERED"]
    ended = (TODAY - timedelta(days=1)).isoformat()
    assert ended in seen[0][1]
    assert ended not in hidden[0][1]
