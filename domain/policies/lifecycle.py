"""A policy's life after enrolment: termination, reinstatement, moves, an account's end.

Dates are inclusive: a termination date is the last day covered, and a move's date is
the first day in the new account or class. History is kept: rows are ended, not rewritten.
Each function is one change of domain.core.changes (an account's end is one on the account
and one on each policy it ends), made as the actor who asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import Action, Change, changing, load
from domain.core.columns import utcnow
from domain.core.errors import ErrorCode, Problem, raise_if
from domain.core.periods import of
from domain.groups.models import GroupAccount
from domain.policies import errors
from domain.policies.checks import Blame, PolicyRows, check_policy, child_end
from domain.policies.enrolment import active_rows, end_rows
from domain.policies.limits import PolicyLimits, check_effective, day_after, too_far_back
from domain.policies.models import (
    Policy,
    PolicyAccountLink,
    PolicyClassLink,
    PolicyStatus,
    Relationship,
)
from domain.policies.specs import ProductSpec, enrolments, insurable_class_of
from domain.policies.state import facts_for, rows_of, seen, settle
from domain.policies.termination import restore_rows, terminate_rows


async def terminate_policy(
    session: AsyncSession,
    *,
    actor: Actor,
    limits: PolicyLimits,
    policy_id: int,
    version: int,
    end_date: date,
) -> Policy:
    """End a policy on `end_date`: the subscriber, every dependant, link and product."""
    async with changing(
        session,
        actor,
        Action.POLICY_TERMINATE,
        Policy,
        policy_id,
        field="policy_id",
        version=version,
    ) as change:
        rows = active_rows(change)
        problems: list[Problem] = []
        if check_effective(("end_date",), end_date, limits, problems) and (
            end_date < change.row.start_date
        ):
            problems.append(
                Problem(
                    ("end_date",),
                    ErrorCode.END_BEFORE_START,
                    f"The policy starts on {change.row.start_date}; it cannot end before.",
                )
            )
        raise_if(problems)
        await _terminate(change, rows, end_date)
    return change.row


async def _terminate(change: Change[Policy], rows: PolicyRows, end_date: date) -> None:
    policy = change.row
    await terminate_rows(change.session, policy.id, rows, end_date)  # type: ignore[arg-type]
    policy.status = PolicyStatus.TERMINATED
    policy.end_date = end_date
    await settle(change, rows)


async def reinstate_policy(
    session: AsyncSession, *, actor: Actor, limits: PolicyLimits, policy_id: int, version: int
) -> Policy:
    """Undo a termination: every row it ended or withdrew is as it was before."""
    async with changing(
        session,
        actor,
        Action.POLICY_REINSTATE,
        Policy,
        policy_id,
        field="policy_id",
        version=version,
    ) as change:
        policy, rows = change.row, rows_of(change)
        if policy.status != PolicyStatus.TERMINATED or policy.end_date is None:
            raise errors.wrong_status("policy_id", "Only a terminated policy can be reinstated.")
        problems: list[Problem] = []
        too_far_back(("policy_id",), day_after(policy.end_date), limits, problems)
        raise_if(problems)
        reopened = await restore_rows(session, policy.id, rows)  # type: ignore[arg-type]
        facts = await facts_for(
            session, rows, limits=limits, scope=actor.scope, policy_id=policy_id
        )
        for member in rows.members:
            # Only records backfilled by migration 0008 reopen a child open-ended (a child's
            # row always ends by the age limit): such a child runs to the limit, as then.
            if member.relationship == Relationship.CHILD and member.id in reopened:
                born = facts.birth_dates[member.person_id]
                member.end_date = child_end(born, None, limits.child_max_age)
        raise_if(check_policy(rows, facts, Blame(fallback=("policy_id",))))
        policy.status = PolicyStatus.ACTIVE
        policy.end_date = None
        await settle(change, rows)
    return policy


async def move_policy(
    session: AsyncSession,
    *,
    actor: Actor,
    limits: PolicyLimits,
    policy_id: int,
    version: int,
    on: date,
    group_account_id: int | None = None,
    insurable_class_id: int | None = None,
    products: Sequence[ProductSpec] | None = None,
) -> Policy:
    """Move a policy to another account or class from `on`; products carry on if offered there.

    Given `products`, those replace the policy's products from `on` instead.
    """
    async with changing(
        session,
        actor,
        Action.POLICY_MOVE,
        Policy,
        policy_id,
        field="policy_id",
        version=version,
        tree_field="group_account_id",
    ) as change:
        rows = active_rows(change)
        _check_move(change.row, on, limits, group_account_id, insurable_class_id, products)
        current = next((link for link in rows.accounts if of(link).covers(on)), None)
        if current is None:
            raise errors.wrong_status("date", f"The policy is in no group account on {on}.")
        target = (
            await load(session, actor, GroupAccount, group_account_id, field="group_account_id")
            if group_account_id is not None
            else await session.get_one(GroupAccount, current.group_account_id)
        )
        problems: list[Problem] = []
        class_id = await insurable_class_of(session, actor, target, insurable_class_id, problems)
        found = await enrolments(session, products or (), on, limits, problems)
        raise_if(problems)
        blame = Blame(
            fallback=("insurable_class_id",) if group_account_id is None else ("group_account_id",)
        )
        moves_account = group_account_id is not None
        await _split(session, rows, on, target.id, class_id, moves_account=moves_account)  # type: ignore[arg-type]
        if products is not None:
            await end_rows(session, rows.products, list(rows.products), on - timedelta(days=1))
            for i, enrolment in enumerate(found):
                rows.products.append(blame.made(enrolment, ("products", str(i))))
        facts = await facts_for(
            session, rows, limits=limits, scope=actor.scope, policy_id=policy_id
        )
        raise_if(check_policy(rows, facts, blame))
        for row in rows.every():
            row.policy_id = policy_id
        session.add_all(rows.every())
        await settle(change, rows)
    return change.row


def _check_move(
    policy: Policy,
    on: date,
    limits: PolicyLimits,
    group_account_id: int | None,
    insurable_class_id: int | None,
    products: Sequence[ProductSpec] | None,
) -> None:
    """Refuse a move whose input is wrong before looking at where it goes."""
    problems: list[Problem] = []
    if check_effective(("date",), on, limits, problems) and on < policy.start_date and not problems:
        problems.append(
            Problem(("date",), ErrorCode.TOO_FAR_BACK, f"The policy starts on {policy.start_date}.")
        )
    if products is not None and not products:
        problems.append(errors.missing(("products",), "at least one product, or leave it out"))
    if group_account_id is None and insurable_class_id is None:
        problems.append(errors.missing(("group_account_id",), "a new account or class, or both"))
    raise_if(problems)


async def _split(
    session: AsyncSession,
    rows: PolicyRows,
    on: date,
    account_id: int,
    class_id: int | None,
    *,
    moves_account: bool,
) -> None:
    """End the links in force from `on` the day before, and link the new ones from `on`."""
    eve = on - timedelta(days=1)
    if moves_account:
        ending = [link for link in rows.accounts if link.end_date is None or link.end_date >= on]
        await end_rows(session, rows.accounts, ending, eve)
        rows.accounts.append(PolicyAccountLink(group_account_id=account_id, start_date=on))
    ending_classes = [link for link in rows.classes if link.end_date is None or link.end_date >= on]
    await end_rows(session, rows.classes, ending_classes, eve)
    if class_id is not None:
        rows.classes.append(PolicyClassLink(insurable_class_id=class_id, start_date=on))


async def terminate_group_account(
    session: AsyncSession,
    *,
    actor: Actor,
    limits: PolicyLimits,
    group_account_id: int,
    version: int,
    end_date: date,
) -> tuple[GroupAccount, int]:
    """End a group account on `end_date` and every policy still in it; count those ended."""
    async with changing(
        session,
        actor,
        Action.GROUP_ACCOUNT_TERMINATE,
        GroupAccount,
        group_account_id,
        version=version,
    ) as change:
        account = change.row
        if account.end_date is not None:
            raise errors.wrong_status(
                "id", f"The group account already ended on {account.end_date}."
            )
        problems: list[Problem] = []
        ending: list[int] = []
        if check_effective(("end_date",), end_date, limits, problems):
            ending = await _policies_ending(session, actor, account, end_date, problems)
        raise_if(problems)
        for policy_id in ending:
            async with changing(
                session, actor, Action.POLICY_TERMINATE, Policy, policy_id
            ) as ended:
                await _terminate(ended, rows_of(ended), end_date)
        account.end_date = end_date
        account.updated_at = utcnow()
    return account, len(ending)


async def _policies_ending(
    session: AsyncSession,
    actor: Actor,
    account: GroupAccount,
    end_date: date,
    problems: list[Problem],
) -> list[int]:
    """The active policies in the account on `end_date`, all of which the actor may change.

    A problem while any policy stays in the account after that day, or while the actor may
    not change one of them; it names only the policies the actor may see.
    """
    stmt = (
        sa.select(
            col(PolicyAccountLink.policy_id),
            col(PolicyAccountLink.start_date),
            col(PolicyAccountLink.end_date),
            col(Policy.number),
            col(Policy.status),
            seen(actor.scope, Policy),
        )
        .join(Policy, col(Policy.id) == PolicyAccountLink.policy_id)
        .where(
            col(PolicyAccountLink.group_account_id) == account.id,
            sa.or_(
                col(PolicyAccountLink.end_date).is_(None),
                col(PolicyAccountLink.end_date) > end_date,
            ),
        )
        .order_by(col(Policy.number))
    )
    links = (await session.execute(stmt)).all()
    staying = [link for link in links if link.end_date is not None or link.start_date > end_date]
    ending = [link for link in links if link not in staying and link.status == PolicyStatus.ACTIVE]
    unreachable = [link for link in ending if not link.seen]
    if staying or unreachable:
        problems.append(
            errors.staying(
                [link.number for link in staying if link.seen],
                hidden=any(not link.seen for link in (*staying, *unreachable)),
                after=end_date,
            )
        )
    return [link.policy_id for link in ending]
