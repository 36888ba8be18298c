"""Premium runs: a month's premiums of the approved group clients under one, as charges.

A run is started by a person (`start`), then worked in the background in steps, each its own
transaction (api.jobs): `prepare` lists the policies and the CHANGED clients left out,
`charge` prices one batch of policies and writes what differs from the charges in force,
`finish` closes it. Every write goes through the write path as the person who started the
run, within their reach then. A step done twice adds nothing the second time: it writes only
differences.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor, RowScope
from domain.core.changes import Action, changing, load
from domain.core.columns import utcnow
from domain.core.errors import DomainError, ErrorCode
from domain.core.periods import meets
from domain.core.reach import visible
from domain.database import among
from domain.groups.models import GroupAccount, GroupClient, GroupStatus
from domain.groups.queries import subtree_ids
from domain.policies.models import Policy, PolicyAccountLink
from domain.premiums.calculation import month
from domain.premiums.charges import COLUMNS, Charge, differences, in_force, rows, targets
from domain.premiums.loading import premiums_of
from domain.premiums.models import ERRORS_KEPT, PremiumCharge, PremiumRun, RunStatus

BATCH = 2000
"""Policies priced and written per transaction."""


async def start(
    session: AsyncSession, *, actor: Actor, period: str, group_client_id: int, dry_run: bool
) -> PremiumRun:
    """Queue a run of `period` (YYYY-MM) over the group client and everything below it."""
    try:
        month(period)
    except ValueError:
        raise DomainError.of(
            "period", ErrorCode.INVALID_FORMAT, "A month as YYYY-MM, e.g. 2027-01."
        ) from None
    client = await load(session, actor, GroupClient, group_client_id, field="group_client_id")
    async with changing(
        session, actor, Action.PREMIUM_RUN_START, PremiumRun, marks_changed=False
    ) as change:
        change.add(
            PremiumRun(
                period=period,
                group_client_id=client.id,  # type: ignore[arg-type]
                dry_run=dry_run,
                started_by=actor.subject,
                started_scope=actor.scope.to_json(),
            )
        )
    return change.row


def starter(run: PremiumRun) -> Actor:
    """The person who started the run, with the reach they had then."""
    scope = replace(RowScope.from_json(run.started_scope), subject=run.started_by)
    return Actor(subject=run.started_by, scope=scope)


async def prepare(session: AsyncSession, run_id: int) -> list[list[int]]:
    """Start the run: note the CHANGED clients left out; return the policies, in batches."""
    run = await session.get_one(PremiumRun, run_id, with_for_update=True)
    actor = starter(run)
    clients = (
        await session.execute(
            sa.select(col(GroupClient.id), col(GroupClient.code), col(GroupClient.status)).where(
                col(GroupClient.id).in_(subtree_ids(run.group_client_id, visible=sa.true()))
            )
        )
    ).all()
    approved = [i for i, _, status in clients if status is GroupStatus.APPROVED]
    window = month(run.period)
    policy_ids: list[int] = list(
        await session.scalars(  # type: ignore[arg-type]
            sa.select(col(PolicyAccountLink.policy_id))
            .join(GroupAccount, col(GroupAccount.id) == col(PolicyAccountLink.group_account_id))
            .join(Policy, col(Policy.id) == col(PolicyAccountLink.policy_id))
            .where(
                col(GroupAccount.group_client_id).in_(approved),
                meets(PolicyAccountLink, window),
                visible(actor.scope, Policy),
            )
            .distinct()
            .order_by(col(PolicyAccountLink.policy_id))
        )
    )
    async with _progress(session, run, Action.PREMIUM_RUN_START) as row:
        row.status = RunStatus.RUNNING
        row.policies_total = len(policy_ids)
        row.skipped = [
            {"group_client_id": i, "code": code, "reason": "CHANGED: not approved since changed"}
            for i, code, status in clients
            if status is not GroupStatus.APPROVED
        ]
    return [policy_ids[i : i + BATCH] for i in range(0, len(policy_ids), BATCH)]


async def charge(session: AsyncSession, run_id: int, policy_ids: Sequence[int]) -> None:
    """Price a batch of the run's policies and write the charges that differ."""
    run = await session.get_one(PremiumRun, run_id, with_for_update=True)
    approved: set[int] = set(
        await session.scalars(  # type: ignore[arg-type]
            sa.select(col(GroupClient.id)).where(
                col(GroupClient.id).in_(subtree_ids(run.group_client_id, visible=sa.true())),
                col(GroupClient.status) == GroupStatus.APPROVED,
            )
        )
    )
    priced = await premiums_of(session, policy_ids, month(run.period))
    wanted, problems = targets(priced, approved)
    live = await _live(session, policy_ids, run.period)
    added = differences(run, wanted, live, problems)
    async with _progress(session, run, Action.PREMIUM_RUN_CHARGE) as row:
        if added and not run.dry_run:
            # One executemany of plain rows: the ORM inserts rows of a table that refers to
            # itself (reverses_id) one statement each.
            table = PremiumCharge.__table__  # type: ignore[attr-defined]
            await session.execute(sa.insert(table), rows(added, utcnow()))
        row.policies_done += len(policy_ids)
        row.charges_added += len(added)
        row.amount_added += sum((c.amount for c in added), Decimal(0))
        row.error_count += len(problems)
        room = ERRORS_KEPT - len(row.errors)
        if room > 0 and problems:
            row.errors = [*row.errors, *problems[:room]]


async def finish(session: AsyncSession, run_id: int, *, failed: bool = False) -> None:
    """Close the run: DONE, or FAILED when a step could not be done."""
    run = await session.get_one(PremiumRun, run_id, with_for_update=True)
    async with _progress(session, run, Action.PREMIUM_RUN_FINISH) as row:
        row.status = RunStatus.FAILED if failed else RunStatus.DONE
        row.finished_at = utcnow()


async def _live(
    session: AsyncSession, policy_ids: Sequence[int], period: str
) -> dict[tuple[int, int, int], Charge]:
    """The charges in force of these policies for the month, by (policy, product, account)."""
    table = PremiumCharge.__table__  # type: ignore[attr-defined]
    stmt = sa.select(*(table.c[name] for name in COLUMNS)).where(
        among(session, table.c.policy_id, policy_ids), table.c.period == period
    )
    return in_force(Charge(*row) for row in await session.execute(stmt))


@asynccontextmanager
async def _progress(
    session: AsyncSession, run: PremiumRun, action: Action
) -> AsyncIterator[PremiumRun]:
    """A change to the run's row through the write path, as the person who started it."""
    async with changing(
        session, starter(run), action, PremiumRun, run.id, field="run_id", marks_changed=False
    ) as change:
        yield change.row
