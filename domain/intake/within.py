"""Where a file applies: its group client's subtree within the sender's reach, looked up once.

A file's families are many and its accounts and clients few: the subtree's ids are read once
per file, each account (by code) once, and the families' policies (by employee number) in one
statement per part of the file, not one per family.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import visible
from domain.core.errors import DomainError, ErrorCode
from domain.groups.models import GroupAccount, GroupClient, InsurableClass
from domain.groups.queries import subtree_ids
from domain.intake.census import CensusRow
from domain.policies.models import Policy, PolicyAccountLink

PREFETCH = 1000
"""Employee numbers looked up in one statement."""


@dataclass
class Within:
    """The ids of the group clients a file applies to, and what was looked up in them."""

    ids: list[int]
    accounts: dict[tuple[str, str | None], tuple[int, int | None]] = field(default_factory=dict)
    policies: dict[str, Policy | None] = field(default_factory=dict)


async def within(session: AsyncSession, actor: Actor, group_client_id: int) -> Within:
    """The file's group client and those below it that the actor reaches."""
    stmt = subtree_ids(group_client_id, visible=visible(actor.scope, GroupClient))
    return Within(ids=list(await session.scalars(stmt)))


def _in_client(where: Within) -> Any:
    return (
        sa.select(col(PolicyAccountLink.policy_id))
        .join(GroupAccount, col(GroupAccount.id) == col(PolicyAccountLink.group_account_id))
        .where(col(GroupAccount.group_client_id).in_(where.ids))
    )


async def prefetch(session: AsyncSession, actor: Actor, where: Within, numbers: list[str]) -> None:
    """Look up the policies of these employee numbers, a thousand to a statement."""
    where.policies = dict.fromkeys(numbers)
    for i in range(0, len(numbers), PREFETCH):
        stmt = (
            sa.select(Policy)
            .where(
                col(Policy.employee_number).in_(numbers[i : i + PREFETCH]),
                col(Policy.id).in_(_in_client(where)),
                visible(actor.scope, Policy),
            )
            .order_by(col(Policy.id))
        )
        for policy in await session.scalars(stmt):
            where.policies[policy.employee_number] = policy  # type: ignore[index]  # the latest wins


async def policy_of(
    session: AsyncSession, actor: Actor, where: Within, employee_number: str
) -> Policy | None:
    """The family's policy in the file's group clients, by employee number within reach."""
    if employee_number in where.policies:
        return where.policies[employee_number]
    stmt = (
        sa.select(Policy)
        .where(
            col(Policy.employee_number) == employee_number,
            col(Policy.id).in_(_in_client(where)),
            visible(actor.scope, Policy),
        )
        .order_by(col(Policy.id).desc())
    )
    return await session.scalar(stmt)


async def account(
    session: AsyncSession, actor: Actor, where: Within, row: CensusRow
) -> tuple[int, int | None]:
    """The ids of the row's account and class, within the file's group clients and reach."""
    key = (row.account_code, row.class_code)
    if key not in where.accounts:
        where.accounts[key] = await _account(session, actor, where, row)
    return where.accounts[key]


async def _account(
    session: AsyncSession, actor: Actor, where: Within, row: CensusRow
) -> tuple[int, int | None]:
    # Without an account code, the group client's only account (README: enrolment files).
    same = [col(GroupAccount.code) == row.account_code] if row.account_code else []
    found = await session.scalars(
        sa.select(col(GroupAccount.id))
        .where(
            *same,
            col(GroupAccount.group_client_id).in_(where.ids),
            visible(actor.scope, GroupAccount),
        )
        .limit(2)
    )
    ids: list[int] = [i for i in found if i is not None]
    if len(ids) != 1:
        raise DomainError.of(
            "group_account_id", ErrorCode.NOT_FOUND, "No group account with this code here."
        )
    if row.class_code is None:
        return ids[0], None
    class_id = await session.scalar(
        sa.select(col(InsurableClass.id)).where(
            col(InsurableClass.group_account_id) == ids[0],
            col(InsurableClass.code) == row.class_code,
        )
    )
    if class_id is None:
        raise DomainError.of(
            "insurable_class_id", ErrorCode.NOT_FOUND, "No class with this code in the account."
        )
    return ids[0], class_id
