"""Opening policies: subscribers enrolled with their families and products, many at once.

`enroll` (`policyEnroll`) is the batch of one; an enrolment file enrols hundreds. A batch
reads what its enrolments name (accounts, classes, numbers, products, persons) and what their
rows are checked against (domain.policies.state.facts_for) in a fixed number of statements,
checks each enrolment alone, exactly as one mutation would, and writes those that hold as one
change each of domain.core.changes, finished together (`adding`): the statements of a batch
do not grow with its size.

Enrolments that name the same person or policy number are checked one after the other, in
waves, so a later one sees what an earlier one made (the same person linked, or refused as
covered twice). A wave whose rules refuse one enrolment after its persons were written is
rolled back in its savepoint and run again without it; one whose write is refused (a row
left out of the actor's reach) is run again an enrolment at a time, to tell which.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import Action, adding, not_found
from domain.core.errors import DomainError, Problem, raise_if
from domain.core.reach import visible
from domain.groups.editing import restrictions
from domain.groups.models import GroupAccount
from domain.policies import errors
from domain.policies.checks import Blame, PolicyRows, check_policy
from domain.policies.employment import EmploymentData, clean_employment, employment_columns
from domain.policies.limits import PolicyLimits, check_effective
from domain.policies.models import (
    EnrollmentProduct,
    Person,
    Policy,
    PolicyAccountLink,
    PolicyClassLink,
)
from domain.policies.reach import employers_known
from domain.policies.specs import (
    Classes,
    MemberSpec,
    Named,
    ProductSpec,
    check_dependants,
    enrolment_rows,
    member_row,
    numbers_in_use,
    policy_number,
    products_by_code,
)
from domain.policies.state import facts_for, settle_all
from domain.policies.tiers import check_tiers
from domain.reference.models import Product

Result = Policy | DomainError


@dataclass(frozen=True)
class Enrolment:
    """What one enrolment asks for: `policyEnroll`'s input, ids decoded."""

    group_account_id: int
    insurable_class_id: int | None
    start_date: date
    subscriber: MemberSpec
    dependants: Sequence[MemberSpec] = ()
    products: Sequence[ProductSpec] = ()
    number: str | None = None
    line_of_business: str | None = None
    data_access_group: str | None = None
    employment: EmploymentData | None = None

    def members(self) -> list[tuple[tuple[str, ...], MemberSpec]]:
        """The subscriber and the dependants with their input paths, in the order their
        problems are told."""
        dependants = [(("dependants", str(i)), spec) for i, spec in enumerate(self.dependants)]
        return [(("subscriber",), self.subscriber), *dependants]

    def names(self) -> set[tuple[str, object]]:
        """What it shares with another enrolment when they name the same: persons, number."""
        found: set[tuple[str, object]] = {("number", self.number)} if self.number else set()
        for _, spec in self.members():
            if spec.person_id is not None:
                found.add(("person", spec.person_id))
            elif spec.person is not None and spec.person.national_id:
                found.add(("national_id", " ".join(spec.person.national_id.split())))
        return found


@dataclass
class _Checked:
    """An enrolment that passed its input's checks, with the rows it would make."""

    at: int
    account: GroupAccount
    number: str
    line_of_business: int | None
    data_access_group: int | None
    employment: EmploymentData
    persons: list[Person]
    rows: PolicyRows
    blame: Blame


async def enroll(
    session: AsyncSession, *, actor: Actor, limits: PolicyLimits, enrolment: Enrolment
) -> Policy:
    """Open one policy (`policyEnroll`): the batch of one, in the caller's transaction, which
    rolls back what a refusal leaves."""
    (result,) = (await _attempt(session, actor, limits, {0: enrolment})).values()
    if isinstance(result, DomainError):
        raise result
    return result


async def enroll_policies(
    session: AsyncSession, *, actor: Actor, limits: PolicyLimits, enrolments: Sequence[Enrolment]
) -> list[Result]:
    """Open a policy for each enrolment; each result the policy or why it was refused (a
    refusal leaves nothing behind)."""
    results: dict[int, Result] = {}
    for wave in _waves(enrolments):
        await _in_savepoint(session, actor, limits, {i: enrolments[i] for i in wave}, results)
    return [results[i] for i in range(len(enrolments))]


def _waves(enrolments: Sequence[Enrolment]) -> list[list[int]]:
    """The enrolments in waves: each after the last wave that names something it names."""
    waves: list[list[int]] = []
    named: list[set[tuple[str, object]]] = []
    for i, enrolment in enumerate(enrolments):
        names = enrolment.names()
        after = max((w for w, seen in enumerate(named) if seen & names), default=-1)
        if after + 1 == len(waves):
            waves.append([])
            named.append(set())
        waves[after + 1].append(i)
        named[after + 1] |= names
    return waves


async def _in_savepoint(
    session: AsyncSession,
    actor: Actor,
    limits: PolicyLimits,
    pending: dict[int, Enrolment],
    results: dict[int, Result],
) -> None:
    """Enrol a wave in a savepoint, again without those its rules refuse once written."""
    while pending:
        savepoint = await session.begin_nested()
        try:
            outcome = await _attempt(session, actor, limits, pending)
        except DomainError as refused:  # the write left a row out of reach: which?
            await savepoint.rollback()
            if len(pending) == 1:
                results.update(dict.fromkeys(pending, refused))
                return
            for i, enrolment in pending.items():
                await _in_savepoint(session, actor, limits, {i: enrolment}, results)
            return
        results.update(outcome)
        if any(isinstance(result, Policy) for result in outcome.values()):
            await savepoint.commit()
            return
        await savepoint.rollback()  # the persons of those the rules refused
        pending = {i: e for i, e in pending.items() if i not in outcome}


async def _attempt(
    session: AsyncSession, actor: Actor, limits: PolicyLimits, pending: dict[int, Enrolment]
) -> dict[int, Result]:
    """Check every enrolment; write them all when the rules refuse none whose persons were
    written (the caller then rolls those back and tries again without the refused)."""
    results: dict[int, Result] = {}
    checked = await _check_inputs(session, actor, limits, pending, results)
    if not checked:
        return results
    session.add_all(p for c in checked for p in c.persons if p.id is None)
    await session.flush()
    everyone = PolicyRows()
    for c in checked:
        for member, person in zip(c.rows.members, c.persons, strict=True):
            member.person_id = person.id  # type: ignore[assignment]
        for name in ("members", "accounts", "classes", "products"):
            getattr(everyone, name).extend(getattr(c.rows, name))
    facts = await facts_for(
        session,
        everyone,
        limits=limits,
        scope=actor.scope,
        policy_id=None,
        persons=[p for c in checked for p in c.persons],
    )
    for c in checked:
        # The family enrolled is the one once every dependant given has joined.
        whole = max(m.start_date for m in c.rows.members)
        problems = check_policy(c.rows, facts, c.blame) or check_tiers(
            c.rows, facts, c.blame, whole
        )
        if problems:
            results[c.at] = DomainError(*problems)
    if not any(c.at in results for c in checked):
        results.update(await _write(session, actor, checked))
    return results


async def _check_inputs(
    session: AsyncSession,
    actor: Actor,
    limits: PolicyLimits,
    pending: dict[int, Enrolment],
    results: dict[int, Result],
) -> list[_Checked]:
    """The enrolments whose input holds, with the rows they would make; the others refused."""
    accounts = await _accounts(session, actor, {e.group_account_id for e in pending.values()})
    found = {i: e for i, e in pending.items() if e.group_account_id in accounts}
    results.update(
        (i, not_found("group_account_id", "group account")) for i in pending if i not in found
    )
    named = Named(limits)
    told: dict[int, list[tuple[tuple[str, ...], MemberSpec, list[Problem]]]] = {}
    for i, enrolment in found.items():
        told[i] = [(path, spec, []) for path, spec in enrolment.members()]
        for path, spec, problems in told[i]:
            named.clean(path, spec, problems)
    await named.look_up(session, actor, [spec for e in found.values() for _, spec in e.members()])
    looked = _Lookups(
        accounts,
        await Classes.look_up(
            session,
            actor,
            {e.group_account_id for e in found.values() if e.insurable_class_id is None},
            {e.insurable_class_id for e in found.values() if e.insurable_class_id is not None},
        ),
        await numbers_in_use(session, (e.number for e in found.values())),
        await products_by_code(
            session, {p.product_code for e in found.values() for p in e.products}
        ),
    )
    checked = []
    for i, enrolment in found.items():
        try:
            checked.append(await _check(session, limits, looked, named, i, enrolment, told[i]))
        except DomainError as refused:
            results[i] = refused
    return checked


@dataclass(frozen=True)
class _Lookups:
    accounts: dict[int, GroupAccount]
    classes: Classes
    taken: set[str]
    products: dict[str, Product]


async def _check(
    session: AsyncSession,
    limits: PolicyLimits,
    looked: _Lookups,
    named: Named,
    at: int,
    enrolment: Enrolment,
    told: list[tuple[tuple[str, ...], MemberSpec, list[Problem]]],
) -> _Checked:
    """One enrolment's input checked as `policyEnroll` checks it, every problem at once."""
    e = enrolment
    account = looked.accounts[e.group_account_id]
    problems: list[Problem] = []
    check_effective(("start_date",), e.start_date, limits, problems)
    class_id = looked.classes.of(account, e.insurable_class_id, problems)
    number = policy_number(e.number, looked.taken, problems)
    lob, dag = await restrictions(
        session,
        problems,
        line_of_business=e.line_of_business,
        data_access_group=e.data_access_group,
    )
    products = enrolment_rows(e.products, looked.products, e.start_date, limits, problems)
    if not e.products:
        problems.append(errors.missing(("products",), "at least one product"))
    job = clean_employment(("employment",), e.employment or EmploymentData(), problems)
    persons = []
    for path, spec, mine in told:
        person = None if mine else named.person(path, spec, mine)
        problems.extend(mine)
        persons.append(person)
    check_dependants(e.dependants, limits, problems)
    raise_if(problems)
    rows, blame = _new_rows(account, class_id, e, persons, products, limits)  # type: ignore[arg-type]
    return _Checked(
        at=at,
        account=account,
        number=number,
        line_of_business=lob.id if lob else account.line_of_business_id,
        data_access_group=dag.id if dag else account.data_access_group_id,
        employment=job,
        persons=persons,  # type: ignore[arg-type]
        rows=rows,
        blame=blame,
    )


def _new_rows(
    account: GroupAccount,
    class_id: int | None,
    enrolment: Enrolment,
    persons: list[Person],
    products: list[EnrollmentProduct],
    limits: PolicyLimits,
) -> tuple[PolicyRows, Blame]:
    """A new policy's members, links and products, each blamed on the input it came from
    (a new person's row gets its id once the persons are written)."""
    start, blame = enrolment.start_date, Blame(fallback=("start_date",))
    rows = PolicyRows(
        members=[blame.made(member_row(persons[0], enrolment.subscriber, start), ("subscriber",))],
        accounts=[PolicyAccountLink(group_account_id=account.id, start_date=start)],  # type: ignore[arg-type]
    )
    for i, (spec, person) in enumerate(zip(enrolment.dependants, persons[1:], strict=True)):
        row = member_row(person, spec, start, limits=limits)
        rows.members.append(blame.made(row, ("dependants", str(i))))
    if class_id:
        link = PolicyClassLink(insurable_class_id=class_id, start_date=start)
        rows.classes.append(blame.made(link, ("insurable_class_id",)))
    for i, product in enumerate(products):
        rows.products.append(blame.made(product, ("products", str(i))))
    return rows, blame


async def _write(session: AsyncSession, actor: Actor, checked: list[_Checked]) -> dict[int, Result]:
    """Add the checked enrolments' policies and rows: one change each, finished together."""
    employers: dict[int, set[int]] = {}
    with employers_known(session, employers):
        return await _add(session, actor, checked, employers)


async def _add(
    session: AsyncSession, actor: Actor, checked: list[_Checked], employers: dict[int, set[int]]
) -> dict[int, Result]:
    async with adding(session, actor, Action.POLICY_ENROLL, Policy, len(checked)) as changes:
        for change, c in zip(changes, checked, strict=True):
            change.add(
                Policy(
                    number=c.number,
                    subscriber_id=c.persons[0].id,  # type: ignore[arg-type]
                    line_of_business_id=c.line_of_business,  # type: ignore[arg-type]
                    data_access_group_id=c.data_access_group,  # type: ignore[arg-type]
                    start_date=c.rows.accounts[0].start_date,
                    **employment_columns(c.employment),
                )
            )
        await session.flush()
        for change, c in zip(changes, checked, strict=True):
            employers[change.row.id] = {c.account.group_client_id}  # type: ignore[index]
            for row in c.rows.every():
                row.policy_id = change.row.id
            session.add_all(c.rows.every())
        await settle_all([(change, c.rows) for change, c in zip(changes, checked, strict=True)])
    return {c.at: change.row for change, c in zip(changes, checked, strict=True)}


async def _accounts(session: AsyncSession, actor: Actor, ids: set[int]) -> dict[int, GroupAccount]:
    stmt = sa.select(GroupAccount).where(
        col(GroupAccount.id).in_(ids), visible(actor.scope, GroupAccount)
    )
    return {a.id: a for a in await session.scalars(stmt)}  # type: ignore[misc]
