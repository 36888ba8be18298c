"""The coverage tier follows the family: a pure check over a policy's rows, and the re-tiering
a change that names the new tier asks for.

A product's tier says whom besides the employee it covers:

| tier | the family it fits |
| --- | --- |
| EMPLOYEE_ONLY | the subscriber alone |
| EMPLOYEE_SPOUSE | a spouse or domestic partner, and no other dependant |
| EMPLOYEE_CHILDREN | children or other dependants, and no spouse or domestic partner |
| FAMILY | any dependants, at least one |

A change that makes a family (the members in force on the day it takes effect) stop fitting
the tier of a product in force that day is refused with TIER_MISMATCH, unless it names the new
tier: then each such product runs in the named tier from that day, and must fit. Only the day
the change takes effect is checked, and only what the change breaks, so a child ageing out
later, or a history that never fitted, does not make every later change wrong. An enrolment
names every tier itself: the family it enrols must fit them. A product sold in one tier only
(term life, employee only) follows no family: its tier says what it covers, whoever else is on
the policy.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from domain.core.errors import ErrorCode, Problem
from domain.policies.checks import Blame, Facts, PolicyRows
from domain.policies.models import EnrollmentProduct, Relationship
from domain.reference.models import CoverageTier

PARTNERS = frozenset({Relationship.SPOUSE, Relationship.DOMESTIC_PARTNER})
NAMED = ("coverage_tier",)
"""The input a change names its new tier in: the field a TIER_MISMATCH is reported on."""


def fits(tier: CoverageTier, family: Iterable[Relationship]) -> bool:
    """Whether a family (the relationships of the members in force) fits the tier."""
    dependants = [r for r in family if r != Relationship.SUBSCRIBER]
    partners = sum(r in PARTNERS for r in dependants)
    others = len(dependants) - partners
    if tier == CoverageTier.EMPLOYEE_ONLY:
        return not dependants
    if tier == CoverageTier.EMPLOYEE_SPOUSE:
        return partners > 0 and others == 0
    if tier == CoverageTier.EMPLOYEE_CHILDREN:
        return others > 0 and partners == 0
    return bool(dependants)


def family_on(rows: PolicyRows, day: date) -> list[Relationship]:
    """The relationships of the members in force on `day`."""
    return [m.relationship for m in rows.members if _holds(m, day)]


def check_tiers(
    rows: PolicyRows,
    facts: Facts,
    blame: Blame,
    day: date,
    before: list[Relationship] | None = None,
) -> list[Problem]:
    """Every product in force on `day` (sold in more than one tier) whose tier the family of
    that day does not fit, reported on the input the product or the new tier came from.

    With `before` (the family of that day before the change), only the products whose tier it
    fitted: a change is refused for what it breaks, not for what was already so.
    """
    family = family_on(rows, day)
    return [
        Problem(
            blame.on(product, "coverage_tier") if id(product) in blame.paths else NAMED,
            ErrorCode.TIER_MISMATCH,
            f"From {day} the family ({_describe(family)}) does not fit "
            f"{facts.product_codes.get(product.product_id, 'the product')}'s tier "
            f"{product.coverage_tier}; name the tier it moves to.",
        )
        for product in _tiered(rows, facts, day)
        if not fits(product.coverage_tier, family)
        and (before is None or id(product) in blame.paths or fits(product.coverage_tier, before))
    ]


def retier(
    rows: PolicyRows, facts: Facts, blame: Blame, day: date, tier: CoverageTier
) -> list[EnrollmentProduct]:
    """Run each product in force on `day` (sold in several tiers) in `tier` from that day: a
    row starting that day or later changes its tier, an earlier one ends the day before and a
    new row follows. The new rows, to be saved; each is blamed on the named tier."""
    made = []
    for product in _tiered(rows, facts, day):
        if product.coverage_tier == tier:
            continue
        if product.start_date >= day:
            product.coverage_tier = tier
            blame.made(product, ())
            continue
        follower = EnrollmentProduct(
            product_id=product.product_id,
            coverage_tier=tier,
            start_date=day,
            end_date=product.end_date,
        )
        product.end_date = day - timedelta(days=1)
        rows.products.append(blame.made(follower, ()))
        made.append(follower)
    return made


def _tiered(rows: PolicyRows, facts: Facts, day: date) -> list[EnrollmentProduct]:
    """The products in force on `day` whose tier is a choice (sold in more than one)."""
    return [
        p
        for p in rows.products
        if _holds(p, day) and len(facts.tiers.get(p.product_id, frozenset())) > 1
    ]


def _holds(row: Any, day: date) -> bool:
    start, end = row.start_date, row.end_date
    return bool(start <= day and (end is None or end >= day))


_NAMES = {
    Relationship.SPOUSE: "a spouse",
    Relationship.DOMESTIC_PARTNER: "a domestic partner",
    Relationship.CHILD: "a child",
    Relationship.OTHER_DEPENDANT: "another dependant",
}


def _describe(family: list[Relationship]) -> str:
    return ", ".join(["the employee", *(_NAMES[r] for r in family if r in _NAMES)])
