"""The date rules a policy's rows must keep, as one pure function over loaded rows.

Every change builds the policy's rows as they would be, calls `check_policy`, and saves
only when it finds nothing. `Blame` says which input field each problem is reported on.

A message shows a fact of another row only when the actor may see that row: another
policy's number and dates, a person's age limit (it gives away their birth date), an
account's end date. Of a row out of reach it says only what the refusal itself implies
("covered on another policy"), so a refusal never describes a row the caller cannot see.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.core.errors import ErrorCode, Problem
from domain.core.periods import Period, of, overlapping
from domain.policies import errors
from domain.policies.ages import age_limit_end
from domain.policies.models import (
    EnrollmentProduct,
    PolicyAccountLink,
    PolicyClassLink,
    PolicyMember,
    Relationship,
)
from domain.reference.models import CoverageTier


@dataclass
class PolicyRows:
    """A policy's dated rows, as saved or as a change would leave them."""

    members: list[PolicyMember] = field(default_factory=list)
    accounts: list[PolicyAccountLink] = field(default_factory=list)
    classes: list[PolicyClassLink] = field(default_factory=list)
    products: list[EnrollmentProduct] = field(default_factory=list)

    def every(self) -> list[Any]:
        """Every dated row of the policy."""
        return [*self.members, *self.accounts, *self.classes, *self.products]


@dataclass(frozen=True)
class Coverage:
    """A person covered by a product on another policy during a period."""

    person_id: int
    product_id: int
    period: Period
    policy_number: str | None
    """None when the actor may not see the other policy."""


@dataclass(frozen=True)
class AccountEnd:
    """When a group account ends, and whether the actor may see the account."""

    end_date: date | None
    seen: bool = True


@dataclass(frozen=True)
class Facts:
    """What a policy's rows are checked against, loaded once per change."""

    birth_dates: dict[int, date]
    class_account: dict[int, int]
    """insurable class id -> the group account it belongs to"""
    offers: dict[tuple[int, int], frozenset[int] | None]
    """(group account id, product id) -> the classes allowed; None: every class"""
    tiers: dict[int, frozenset[CoverageTier]]
    product_codes: dict[int, str]
    account_ends: dict[int, AccountEnd]
    elsewhere: Sequence[Coverage] = ()
    hidden_persons: frozenset[int] = frozenset()
    """Persons the actor may not see: no message gives away their birth date."""
    child_max_age: int = 26
    today: date = date.min
    """Offers are not dated: a product row the change leaves alone is checked against them
    only if it runs on to today, so that a withdrawn offer does not make history wrong."""


@dataclass(frozen=True)
class Blame:
    """Which input field a problem with a row is reported on."""

    paths: dict[int, tuple[str, ...]] = field(default_factory=dict)
    """id(row) -> the input object that made or changed the row"""
    fallback: tuple[str, ...] = ()
    """the input field behind every other change"""

    def on(self, row: Any, attr: str) -> tuple[str, ...]:
        """The input field to blame for `attr` of `row`."""
        prefix = self.paths.get(id(row))
        return (*prefix, attr) if prefix is not None else self.fallback

    def made(self, row: Any, path: tuple[str, ...]) -> Any:
        """Remember that the input at `path` made `row`; return the row."""
        self.paths[id(row)] = path
        return row


def check_policy(rows: PolicyRows, facts: Facts, blame: Blame) -> list[Problem]:
    """Every rule the policy's rows break, each on the input field to blame."""
    backwards = [
        Problem(
            blame.on(row, "end_date"),
            ErrorCode.END_BEFORE_START,
            f"The end date {row.end_date} is before the start date {row.start_date}.",
        )
        for row in rows.every()
        if not of(row).valid
    ]
    if backwards:  # the other rules assume periods that hold at least a day
        return backwards
    cover = [of(m) for m in rows.members if m.relationship == Relationship.SUBSCRIBER]
    return [
        *_overlaps(rows.members, lambda m: m.person_id, "The same person's coverage", blame),
        *_overlaps(rows.accounts, lambda _: 0, "A group account link", blame),
        *_overlaps(rows.classes, lambda _: 0, "An insurable class link", blame),
        *_overlaps(rows.products, lambda p: p.product_id, "The same product", blame),
        *_outside(rows.members, cover, "The dependant's coverage", blame),
        *_outside(rows.products, cover, "The product", blame),
        *_age_limits(rows.members, facts, blame),
        *_account_ends(rows.accounts, facts, blame),
        *_class_accounts(rows, facts, blame),
        *_offered(rows, facts, blame),
        *_elsewhere(rows, facts, blame),
    ]


def _overlaps(rows: Iterable[Any], key: Any, what: str, blame: Blame) -> list[Problem]:
    """Rows of the same key must not share a day."""
    by_key: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        by_key[key(row)].append(row)
    problems = []
    for group in by_key.values():
        for row, later in overlapping(group):
            blamed = later if id(later) in blame.paths else row
            problems.append(
                errors.overlap(blame.on(blamed, "start_date"), what, of(later), of(row))
            )
    return problems


def _outside(rows: Iterable[Any], cover: list[Period], what: str, blame: Blame) -> list[Problem]:
    """Dependants and products must lie inside one period of the subscriber's coverage."""
    problems = []
    for row in rows:
        if getattr(row, "relationship", None) == Relationship.SUBSCRIBER:
            continue
        period = of(row)
        if not any(c.contains(period) for c in cover):
            attr = "start_date" if not any(c.covers(period.start) for c in cover) else "end_date"
            problems.append(errors.outside_cover(blame.on(row, attr), what, period))
    return problems


def _age_limits(members: Iterable[PolicyMember], facts: Facts, blame: Blame) -> list[Problem]:
    """A child's coverage ends at the latest the day before the age limit's birthday."""
    problems = []
    for member in members:
        if member.relationship != Relationship.CHILD:
            continue
        limit = age_limit_end(facts.birth_dates[member.person_id], facts.child_max_age)
        if member.end_date is None or member.end_date > limit:
            attr = "start_date" if member.start_date > limit else "end_date"
            # The limit's date gives the birth date away: shown only of a person in reach.
            hidden = member.person_id in facts.hidden_persons
            until = " at the latest" if hidden else f": at the latest until {limit}"
            problems.append(
                Problem(
                    blame.on(member, attr),
                    ErrorCode.AGE_LIMIT,
                    f"A child is covered until age {facts.child_max_age}{until}.",
                )
            )
    return problems


def _account_ends(links: Iterable[PolicyAccountLink], facts: Facts, blame: Blame) -> list[Problem]:
    """A policy cannot belong to a group account after the account has ended."""
    problems = []
    for link in links:
        account = facts.account_ends.get(link.group_account_id)
        ends = account.end_date if account is not None else None
        if ends is not None and (link.end_date is None or link.end_date > ends):
            problems.append(
                errors.not_offered(
                    blame.on(link, "start_date" if link.start_date > ends else "end_date"),
                    f"The group account ended on {ends}."
                    if account is not None and account.seen
                    else "The group account has ended.",
                )
            )
    return problems


def _class_accounts(rows: PolicyRows, facts: Facts, blame: Blame) -> list[Problem]:
    """A class link's class belongs to every account the policy is linked to meanwhile."""
    problems = []
    for link in rows.classes:
        account = facts.class_account.get(link.insurable_class_id)
        for other in _during(rows.accounts, of(link)):
            if other.group_account_id != account:
                problems.append(
                    errors.not_offered(
                        blame.on(link, "insurable_class_id"),
                        "The insurable class belongs to another group account than the "
                        f"policy's from {other.start_date}.",
                    )
                )
                break
    return problems


def _offered(rows: PolicyRows, facts: Facts, blame: Blame) -> list[Problem]:
    """A product is offered by the account, allowed for the class and in that tier."""
    problems = []
    for product in rows.products:
        past = product.end_date is not None and product.end_date < facts.today
        if past and id(product) not in blame.paths:
            continue
        code = facts.product_codes.get(product.product_id, str(product.product_id))
        if product.coverage_tier not in facts.tiers.get(product.product_id, frozenset()):
            problems.append(
                errors.not_offered(
                    blame.on(product, "coverage_tier"),
                    f"{code} is not sold in the tier {product.coverage_tier}.",
                )
            )
        problems.extend(_offer_problems(product, code, rows, facts, blame))
    return problems


def _offer_problems(
    product: EnrollmentProduct, code: str, rows: PolicyRows, facts: Facts, blame: Blame
) -> list[Problem]:
    period = of(product)
    for link in _during(rows.accounts, period):
        if (link.group_account_id, product.product_id) not in facts.offers:
            return [
                errors.not_offered(
                    blame.on(product, "product_code"),
                    f"{code} is not offered by the policy's group account from {link.start_date}.",
                )
            ]
    for link in _during(rows.classes, period):
        account = facts.class_account.get(link.insurable_class_id)
        allowed = facts.offers.get((account or 0, product.product_id))
        if allowed is not None and link.insurable_class_id not in allowed:
            return [
                errors.not_offered(
                    blame.on(product, "product_code"),
                    f"{code} is not allowed for the policy's insurable class from "
                    f"{link.start_date}.",
                )
            ]
    return []


def _elsewhere(rows: PolicyRows, facts: Facts, blame: Blame) -> list[Problem]:
    """A person is covered by a product on one policy at a time."""
    problems = []
    for member in rows.members:
        for product in rows.products:
            mine = of(member).intersection(of(product))
            clashes = [
                other
                for other in facts.elsewhere
                if (other.person_id, other.product_id) == (member.person_id, product.product_id)
                and mine is not None
                and mine.overlaps(other.period)
            ]
            for other in clashes:
                assert mine is not None
                code = facts.product_codes.get(product.product_id, "The product")
                problems.append(
                    _covered_elsewhere(blame.on(member, "start_date"), code, other, mine)
                )
    return problems


def _covered_elsewhere(field: tuple[str, ...], code: str, other: Coverage, mine: Period) -> Problem:
    if other.policy_number is None:  # a policy the actor may not see: neither its number
        return errors.overlap_hidden(field, f"{code} for this person", mine)  # nor its dates
    return errors.overlap(
        field, f"{code} for this person (on policy {other.policy_number})", other.period, mine
    )


def _during(links: Iterable[Any], period: Period) -> list[Any]:
    """The links in force on some day of `period`."""
    return [link for link in links if of(link).overlaps(period)]


def child_end(birth_date: date, cover_end: date | None, max_age: int) -> date:
    """When a child's coverage ends: at the age limit, or with the subscriber's if sooner."""
    limit = age_limit_end(birth_date, max_age)
    return limit if cover_end is None else min(limit, cover_end)
