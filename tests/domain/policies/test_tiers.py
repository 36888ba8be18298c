"""The tier rule, pure: which families fit which tier, what a change is refused for, and what
naming the new tier does to a policy's products. Property-tested over families and dates."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.core.errors import ErrorCode
from domain.policies.checks import Blame, Facts, PolicyRows
from domain.policies.models import EnrollmentProduct, PolicyMember, Relationship
from domain.policies.tiers import check_tiers, fits, retier
from domain.reference.models import CoverageTier

R = Relationship
T = CoverageTier
DAY0 = date(2026, 1, 1)
MEDICAL, LIFE = 1, 2
FACTS = Facts(
    birth_dates={},
    class_account={},
    offers={},
    tiers={MEDICAL: frozenset(T), LIFE: frozenset({T.EMPLOYEE_ONLY})},
    product_codes={MEDICAL: "MED", LIFE: "LIFE"},
    account_ends={},
)
dependants = st.lists(st.sampled_from([r for r in R if r != R.SUBSCRIBER]), max_size=5)
days = st.integers(min_value=0, max_value=60).map(lambda n: DAY0 + timedelta(days=n))


def _oracle(tier: CoverageTier, family: list[Relationship]) -> bool:
    partners = family.count(R.SPOUSE) + family.count(R.DOMESTIC_PARTNER)
    others = len(family) - partners
    return {
        T.EMPLOYEE_ONLY: not family,
        T.EMPLOYEE_SPOUSE: partners >= 1 and others == 0,
        T.EMPLOYEE_CHILDREN: others >= 1 and partners == 0,
        T.FAMILY: len(family) >= 1,
    }[tier]


@given(dependants, st.sampled_from(T))
def test_a_family_fits_a_tier_as_the_table_says(family: list[Relationship], tier: T) -> None:
    assert fits(tier, [R.SUBSCRIBER, *family]) == _oracle(tier, family)


@given(dependants)
def test_every_family_fits_some_tier_and_only_family_fits_both_kinds(
    family: list[Relationship],
) -> None:
    fitting = {t for t in T if fits(t, [R.SUBSCRIBER, *family])}
    assert fitting
    assert (T.EMPLOYEE_ONLY in fitting) == (not family)


@st.composite
def policies(draw: st.DrawFn) -> tuple[PolicyRows, date]:
    """A subscriber from day 0, dependants and products over random periods, and a day."""

    def period() -> tuple[date, date | None]:
        start = draw(days)
        length = draw(st.none() | st.integers(min_value=0, max_value=60))
        return start, None if length is None else start + timedelta(days=length)

    members = [PolicyMember(person_id=0, relationship=R.SUBSCRIBER, start_date=DAY0)]
    for i, relationship in enumerate(draw(dependants), start=1):
        start, end = period()
        members.append(
            PolicyMember(person_id=i, relationship=relationship, start_date=start, end_date=end)
        )
    products = []
    for product_id in draw(st.lists(st.sampled_from([MEDICAL, LIFE]), max_size=3)):
        start, end = period()
        products.append(
            EnrollmentProduct(
                product_id=product_id,
                coverage_tier=draw(st.sampled_from(sorted(FACTS.tiers[product_id]))),
                start_date=start,
                end_date=end,
            )
        )
    return PolicyRows(members=members, products=products), draw(days)


def _on(row: object, day: date) -> bool:
    end = row.end_date  # type: ignore[attr-defined]
    return row.start_date <= day and (end is None or end >= day)  # type: ignore[attr-defined,no-any-return]


def _covered(rows: PolicyRows) -> set[tuple[int, date]]:
    """Each (product, day) the policy's products cover."""
    every = [DAY0 + timedelta(days=n) for n in range(150)]
    return {(p.product_id, day) for p in rows.products for day in every if _on(p, day)}


@settings(deadline=None)  # pure, but the shared machine's load makes a deadline flaky
@given(policies())
def test_a_change_is_refused_for_each_product_of_the_day_the_family_does_not_fit(
    drawn: tuple[PolicyRows, date],
) -> None:
    # given a policy's rows and the day a change takes effect
    rows, day = drawn
    family = [m.relationship for m in rows.members if _on(m, day)]
    # when
    problems = check_tiers(rows, FACTS, Blame(), day)
    # then one TIER_MISMATCH on coverage_tier per medical product of that day that does not fit;
    # a product sold in one tier (life) never
    wrong = [
        p
        for p in rows.products
        if p.product_id == MEDICAL and _on(p, day) and not fits(p.coverage_tier, family)
    ]
    assert len(problems) == len(wrong)
    assert {(p.field, p.code) for p in problems} <= {(("coverage_tier",), ErrorCode.TIER_MISMATCH)}
    # and a change that leaves the family of that day as it was breaks nothing
    assert check_tiers(rows, FACTS, Blame(), day, before=family) == []
    # and one that adds a spouse is refused for exactly the products the family fitted before
    # and does not fit after
    rows.members.append(PolicyMember(person_id=99, relationship=R.SPOUSE, start_date=day))
    after = [*family, R.SPOUSE]
    broken = [p for p in rows.products if p.product_id == MEDICAL and _on(p, day)
              and fits(p.coverage_tier, family) and not fits(p.coverage_tier, after)]  # fmt: skip
    assert len(check_tiers(rows, FACTS, Blame(), day, before=family)) == len(broken)


@settings(deadline=None)
@given(policies())
def test_naming_a_fitting_tier_settles_the_family_and_keeps_every_day_covered(
    drawn: tuple[PolicyRows, date],
) -> None:
    # given a policy, a day, and the tier that fits the family of that day
    rows, day = drawn
    family = [m.relationship for m in rows.members if _on(m, day)]
    tier = next(t for t in (T.EMPLOYEE_ONLY, T.EMPLOYEE_SPOUSE, T.EMPLOYEE_CHILDREN, T.FAMILY)
                if fits(t, family))  # fmt: skip
    covered = _covered(rows)
    before = {id(p): (p.coverage_tier, p.start_date) for p in rows.products}
    # when the change names it
    blame = Blame()
    made = retier(rows, FACTS, blame, day, tier)
    # then nothing is left to refuse, the same days are covered, and before the day nothing
    # changed tier
    assert check_tiers(rows, FACTS, blame, day) == []
    assert _covered(rows) == covered
    for product in rows.products:
        if id(product) in before and product.start_date < day:
            assert product.coverage_tier == before[id(product)][0]
    assert all(p.start_date == day and p.coverage_tier == tier for p in made)
