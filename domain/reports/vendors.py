"""Vendors' service levels, from the tasks in each vendor's inbox, in one statement.

A vendor's tasks are the back-office tasks of its work (domain.workflow.reach: its request
types about its group clients, of its task kinds, by its grants now, as its inbox) that
were created within the range (UTC days). Of them:

- `done`: those the vendor completed; `done_within_due`: of those, completed by their due
  time; hours to done run from a task's creation to its completion;
- `escalated`: those that went past their due time open and were escalated to the back
  office (they stay in the vendor's inbox too);
- `open`: those still open.

Medians are continuous, as workflowStats' (domain.reports.sql.with_percentiles).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import NOTHING, WORKFLOW_ACT, Access, RowScope
from authz.principal import Grant, Principal, Role
from domain.access.models import AccessGrant
from domain.reports.ranges import DayRange
from domain.reports.sql import hours_between, with_percentiles
from domain.workflow import reach
from domain.workflow.models import TaskState, WorkflowRequest, WorkflowTask


@dataclass(frozen=True)
class VendorRow:
    """One vendor's figures over a range."""

    subject: str
    tasks: int
    done: int
    done_within_due: int
    median_hours_to_done: float | None
    escalated: int
    open: int


async def vendor_scopes(
    session: AsyncSession, *, scope: RowScope, subject: str | None = None
) -> dict[str, RowScope]:
    """The work of each vendor the scope reaches, by subject: every vendor's for an admin's
    scope (from their stored grants), a vendor's own otherwise; only `subject`'s if given."""
    if not scope.everything:
        own = {scope.subject: scope} if scope.outsourced and scope.subject else {}
        return {s: v for s, v in own.items() if subject in (None, s)}
    stmt = sa.select(AccessGrant).where(col(AccessGrant.role) == Role.VENDOR)
    if subject is not None:
        stmt = stmt.where(col(AccessGrant.subject) == subject)
    held: dict[str, set[Grant]] = defaultdict(set)
    for row in await session.scalars(stmt.order_by(col(AccessGrant.subject))):
        held[row.subject].add(Grant(row.role, row.kind, row.code))
    return {
        name: Access(Principal(name, frozenset(), stored=frozenset(grants))).scope_as(
            WORKFLOW_ACT, Role.VENDOR
        )
        for name, grants in held.items()
    }


def _measured(subject: str, work: RowScope, period: DayRange) -> Any:
    """One row per task of one vendor's work created in the range, with its measures."""
    t = WorkflowTask
    done = col(t.completed_by) == subject
    return (
        sa.select(
            sa.literal(subject).label("subject"),
            sa.case((done, hours_between(col(t.created_at), col(t.completed_at)))).label("hours"),
            sa.case((done, 1), else_=0).label("done"),
            sa.case((done & (col(t.completed_at) <= col(t.due_at)), 1), else_=0).label("on_time"),
            sa.case((col(t.escalated_at).is_not(None), 1), else_=0).label("escalated"),
            sa.case((col(t.state) == TaskState.OPEN, 1), else_=0).label("open"),
        )
        .join(WorkflowRequest, col(WorkflowRequest.id) == col(t.request_id))
        .where(
            col(t.created_at) >= period.since,
            col(t.created_at) < period.until,
            reach.actionable(NOTHING, work),
        )
    )


async def vendor_stats(
    session: AsyncSession, *, scopes: dict[str, RowScope], period: DayRange
) -> list[VendorRow]:
    """Each vendor's figures, by subject, in one statement; a vendor with no task has zeros."""
    if not scopes:
        return []
    inner = sa.union_all(*(_measured(s, work, period) for s, work in scopes.items()))
    dialect = session.get_bind().dialect.name
    source, (median,) = with_percentiles(
        sa.select(inner.subquery("tasks")), ["subject"], (("median", 0.5, "hours"),), dialect
    )
    c = source.c
    stmt = sa.select(
        c.subject,
        sa.func.count().label("tasks"),
        sa.func.sum(c.done).label("done"),
        sa.func.sum(c.on_time).label("on_time"),
        sa.func.sum(c.escalated).label("escalated"),
        sa.func.sum(c.open).label("open"),
        median,
    ).group_by(c.subject)
    found = {row.subject: row for row in (await session.execute(stmt)).all()}
    return [_row(subject, found.get(subject)) for subject in scopes]


def _row(subject: str, row: Any) -> VendorRow:
    if row is None:
        return VendorRow(subject, 0, 0, 0, None, 0, 0)
    return VendorRow(
        subject=subject,
        tasks=row.tasks,
        done=int(row.done or 0),
        done_within_due=int(row.on_time or 0),
        median_hours_to_done=None if row.median is None else round(float(row.median), 6),
        escalated=int(row.escalated or 0),
        open=int(row.open or 0),
    )
