"""A policy's date rules (domain.policies.checks) against a day-by-day reference (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.core.errors import ErrorCode
from domain.core.periods import Period
from domain.policies.ages import age_limit_end
from domain.policies.checks import Blame, Facts, PolicyRows, check_policy
from domain.policies.models import PolicyAccountLink, PolicyMember, Relationship

ORIGIN = date(2026, 1, 1)
HORIZON = 60  # days after ORIGIN that every period here is looked at through


def _day(n: int) -> date:
    return ORIGIN + timedelta(days=n)


@st.composite
def periods(draw: st.DrawFn) -> Period:
    start = draw(st.integers(0, HORIZON - 10))
    end = draw(st.none() | st.integers(start, HORIZON - 5))
    return Period(_day(start), None if end is None else _day(end))


def days(period: Period) -> set[date]:
    """The reference: the period as a set of days, open ends cut at the horizon."""
    last = period.end or _day(HORIZON)
    return {period.start + timedelta(days=n) for n in range((last - period.start).days + 1)}


@given(st.dates(date(1950, 1, 1), date(2030, 12, 31)), st.integers(1, 99))
def test_the_age_limit_is_the_day_before_the_birthday(birth: date, age: int) -> None:
    limit = age_limit_end(birth, age)
    next_day = limit + timedelta(days=1)
    # on the day after the limit the person has had their birthday of `age`
    had_birthday = (next_day.month, next_day.day) >= (birth.month, birth.day)
    assert next_day.year - birth.year - (0 if had_birthday else 1) == age
    # and on the limit itself they are younger
    before = (limit.month, limit.day) >= (birth.month, birth.day)
    assert limit.year - birth.year - (0 if before else 1) == age - 1


def _facts() -> Facts:
    return Facts(
        birth_dates={1: date(1980, 1, 1), 2: date(1982, 1, 1)},
        class_account={},
        offers={},
        tiers={},
        product_codes={},
        account_ends={},
    )


@given(st.lists(st.tuples(st.sampled_from([1, 2]), periods()), min_size=1, max_size=5))
def test_a_person_is_on_a_policy_once_at_a_time(found: list[tuple[int, Period]]) -> None:
    # given a subscriber covering everything, and dependants' rows for two persons
    holder = PolicyMember(
        person_id=99, relationship=Relationship.SUBSCRIBER, start_date=ORIGIN, end_date=None
    )
    members = [
        PolicyMember(
            person_id=person, relationship=Relationship.SPOUSE, start_date=p.start, end_date=p.end
        )
        for person, p in found
    ]
    # when
    problems = check_policy(PolicyRows(members=[holder, *members]), _facts(), Blame())
    # then an OVERLAP is reported exactly when one person's rows share a day
    shared = any(
        found[i][0] == found[j][0] and days(found[i][1]) & days(found[j][1])
        for i in range(len(found))
        for j in range(i + 1, len(found))
    )
    assert any(p.code == ErrorCode.OVERLAP for p in problems) == shared


@given(st.lists(periods(), min_size=1, max_size=4))
def test_account_links_never_overlap(found: list[Period]) -> None:
    links = [
        PolicyAccountLink(group_account_id=1, start_date=p.start, end_date=p.end) for p in found
    ]
    problems = check_policy(PolicyRows(accounts=links), _facts(), Blame())
    shared = any(days(a) & days(b) for i, a in enumerate(found) for b in found[i + 1 :])
    assert any(p.code == ErrorCode.OVERLAP for p in problems) == shared


@given(periods(), periods())
def test_a_dependant_lies_inside_the_subscribers_cover(cover: Period, dependant: Period) -> None:
    rows = PolicyRows(
        members=[
            PolicyMember(
                person_id=1,
                relationship=Relationship.SUBSCRIBER,
                start_date=cover.start,
                end_date=cover.end,
            ),
            PolicyMember(
                person_id=2,
                relationship=Relationship.SPOUSE,
                start_date=dependant.start,
                end_date=dependant.end,
            ),
        ]
    )
    problems = check_policy(rows, _facts(), Blame())
    outside = any(p.code == ErrorCode.OUTSIDE_SUBSCRIBER_COVER for p in problems)
    assert outside == (not cover.contains(dependant))
