"""A policy's life after enrolment: termination, reinstatement, moves, an account's end.

Dates are inclusive: a termination date is the last day covered, and a move's date is
the first day in the new account or class. History is kept: rows are ended, not rewritten.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.audit.service import record, snapshot
from domain.core.errors import ErrorCode, Problem, check_version, raise_if
from domain.core.periods import of
from domain.groups.editing import load_account, touch_account
from domain.groups.models import GroupAccount
from domain.policies import errors
from domain.policies.checks import Blame, PolicyRows, check_policy, child_end
from domain.policies.enrolment import (
    ProductSpec,
    active_policy,
    end_rows,
    enrolments,
    insurable_class_of,
)
from domain.policies.limits import PolicyLimits, check_effective, load_policy
from domain.policies.models import (
    Policy,
    PolicyAccountLink,
    PolicyClassLink,
    PolicyStatus,
    Relationship,
)
from domain.policies.state import audit_policy, facts_for, policy_rows, policy_snapshot


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
    policy = await active_policy(session, actor, policy_id, version)
    problems: list[Problem] = []
    check_effective(("end_date",), end_date, limits, problems)
    if end_date < policy.start_date:
        problems.append(
            Problem(
                ("end_date",),
                ErrorCode.END_BEFORE_START,
                f"The policy starts on {policy.start_date}; it cannot end before.",
            )
        )
    raise_if(problems)
    await _terminate(session, actor, policy, end_date)
    return policy


async def _terminate(session: AsyncSession, actor: Actor, policy: Policy, end_date: date) -> None:
    rows = await policy_rows(session, policy.id)  # type: ignore[arg-type]
    before = policy_snapshot(policy, rows)
    await end_rows(session, rows.members, list(rows.members), end_date)
    await end_rows(session, rows.accounts, list(rows.accounts), end_date)
    await end_rows(session, rows.classes, list(rows.classes), end_date)
    await end_rows(session, rows.products, list(rows.products), end_date)
    policy.status = PolicyStatus.TERMINATED
    policy.end_date = end_date
    await audit_policy(
        session,
        actor=actor.subject,
        action="policyTerminate",
        policy=policy,
        rows=rows,
        before=before,
    )


async def reinstate_policy(
    session: AsyncSession, *, actor: Actor, limits: PolicyLimits, policy_id: int, version: int
) -> Policy:
    """Undo a termination: what ended with the policy runs on, children to their age limit."""
    policy = await load_policy(session, policy_id, scope=actor.scope)
    check_version(policy, version)
    if policy.status != PolicyStatus.TERMINATED or policy.end_date is None:
        raise errors.wrong_status("policy_id", "Only a terminated policy can be reinstated.")
    problems: list[Problem] = []
    check_effective(("policy_id",), policy.end_date + timedelta(days=1), limits, problems)
    raise_if(problems)
    rows = await policy_rows(session, policy_id)
    before = policy_snapshot(policy, rows)
    # The facts do not depend on the rows' ends: load them once, before reopening.
    facts = await facts_for(session, rows, limits=limits, policy_id=policy_id)
    for row in rows.every():
        if row.end_date == policy.end_date:
            row.end_date = None
            if getattr(row, "relationship", None) == Relationship.CHILD:
                born = facts.birth_dates[row.person_id]
                row.end_date = child_end(born, None, limits.child_max_age)
    raise_if(check_policy(rows, facts, Blame(fallback=("policy_id",))))
    policy.status = PolicyStatus.ACTIVE
    policy.end_date = None
    await audit_policy(
        session,
        actor=actor.subject,
        action="policyReinstate",
        policy=policy,
        rows=rows,
        before=before,
    )
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
    policy = await active_policy(session, actor, policy_id, version)
    problems: list[Problem] = []
    check_effective(("date",), on, limits, problems)
    if on < policy.start_date and not problems:
        problems.append(
            Problem(("date",), ErrorCode.TOO_FAR_BACK, f"The policy starts on {policy.start_date}.")
        )
    if products is not None and not products:
        problems.append(errors.missing(("products",), "at least one product, or leave it out"))
    if group_account_id is None and insurable_class_id is None:
        problems.append(errors.missing(("group_account_id",), "a new account or class, or both"))
    raise_if(problems)
    rows = await policy_rows(session, policy_id)
    before = policy_snapshot(policy, rows)
    current = next((link for link in rows.accounts if of(link).covers(on)), None)
    if current is None:
        raise errors.wrong_status("date", f"The policy is in no group account on {on}.")
    target = (
        await load_account(session, group_account_id, field="group_account_id", scope=actor.scope)
        if group_account_id is not None
        else await session.get(GroupAccount, current.group_account_id)
    )
    assert target is not None
    class_id = await insurable_class_of(session, target, insurable_class_id, problems)
    found = await enrolments(session, products or (), on, limits, problems)
    raise_if(problems)
    blame = Blame(
        fallback=("insurable_class_id",) if group_account_id is None else ("group_account_id",)
    )
    await _split(session, rows, on, target.id, class_id, moves_account=group_account_id is not None)  # type: ignore[arg-type]
    if products is not None:
        await end_rows(session, rows.products, list(rows.products), on - timedelta(days=1))
        for i, enrolment in enumerate(found):
            rows.products.append(blame.made(enrolment, ("products", str(i))))
    facts = await facts_for(session, rows, limits=limits, policy_id=policy_id)
    raise_if(check_policy(rows, facts, blame))
    for row in rows.every():
        row.policy_id = policy.id
    session.add_all(rows.every())
    await audit_policy(
        session, actor=actor.subject, action="policyMove", policy=policy, rows=rows, before=before
    )
    return policy


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
    account = await load_account(session, group_account_id, field="id", scope=actor.scope)
    check_version(account, version)
    if account.end_date is not None:
        raise errors.wrong_status("id", f"The group account already ended on {account.end_date}.")
    problems: list[Problem] = []
    check_effective(("end_date",), end_date, limits, problems)
    links = (
        await session.scalars(
            sa.select(PolicyAccountLink).where(
                col(PolicyAccountLink.group_account_id) == account.id,
                sa.or_(
                    col(PolicyAccountLink.end_date).is_(None),
                    col(PolicyAccountLink.end_date) > end_date,
                ),
            )
        )
    ).all()
    staying = [link for link in links if link.end_date is not None or link.start_date > end_date]
    if staying:
        numbers = await _numbers(session, [link.policy_id for link in staying])  # type: ignore[misc]
        problems.append(
            Problem(
                ("end_date",),
                ErrorCode.CONFLICT,
                f"Policies {', '.join(numbers)} are in the account after {end_date}; "
                "move them or end them first.",
            )
        )
    raise_if(problems)
    before = snapshot(account)
    ending = [link.policy_id for link in links if link not in staying]
    for policy in await _policies(session, ending):  # type: ignore[arg-type]
        await _terminate(session, actor, policy, end_date)
    account.end_date = end_date
    await touch_account(session, account)
    await record(
        session, actor=actor.subject, action="groupAccountTerminate", entity=account, before=before
    )
    return account, len(ending)


async def _numbers(session: AsyncSession, policy_ids: list[int]) -> list[str]:
    stmt = (
        sa.select(col(Policy.number))
        .where(col(Policy.id).in_(policy_ids))
        .order_by(col(Policy.number))
    )
    return list((await session.scalars(stmt)).all())


async def _policies(session: AsyncSession, policy_ids: list[int]) -> Sequence[Policy]:
    stmt = sa.select(Policy).where(
        col(Policy.id).in_(policy_ids), col(Policy.status) == PolicyStatus.ACTIVE
    )
    return (await session.scalars(stmt.order_by(col(Policy.id)))).all()
