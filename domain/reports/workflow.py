"""Service levels of workflow requests, grouped, in one statement, from their timelines.

The requests counted are those the scope reaches that were submitted within the range (UTC
days). Of them, from each request's timeline and tasks:

- `decided`: its state reached APPROVED, REJECTED or COMPLETED (a STATE_CHANGED line);
  hours to decision run from its submission to the first such line;
- hours to completion run from its submission to its first STATE_CHANGED line to COMPLETED;
- `auto_approved`: it reached APPROVED or COMPLETED with no person's decision (no APPROVED
  or REJECTED line, which only a person's task writes);
- `within_due_share`: of its tasks a person completed, the share completed by their due time;
- `escalated`: its timeline has an ESCALATED line;
- human touches: the lines written by anyone but the server (decisions, fulfilments,
  cancellations), the submission itself left out.

Medians and 90th percentiles are continuous (linear interpolation between the two nearest
values): PostgreSQL's percentile_cont; SQLite has none, so there the same formula is
computed over row_number() and count() windows (domain.reports.sql.interpolated).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import RowScope
from domain.core.reach import visible
from domain.groups.models import GroupAccount
from domain.reports.ranges import DayRange, keys
from domain.reports.sql import hours_between, month_of, with_percentiles
from domain.workflow.models import (
    EventAction,
    RequestState,
    WorkflowEvent,
    WorkflowRequest,
    WorkflowTask,
)
from domain.workflow.progress import SERVER


class WorkflowKey(StrEnum):
    """What workflow figures may be grouped by."""

    TYPE = "TYPE"
    CHANNEL = "CHANNEL"
    ASSIGNEE = "ASSIGNEE"
    """The assignee of the request's first task; none when no person had a task."""
    GROUP_CLIENT = "GROUP_CLIENT"
    MONTH = "MONTH"
    """The month it was submitted in, as YYYY-MM (UTC)."""


@dataclass(frozen=True)
class WorkflowRow:
    """One group's figures; a key not grouped by is absent from `keys`."""

    keys: dict[WorkflowKey, Any]
    submitted: int
    auto_approved: int
    decided: int
    median_hours_to_decision: float | None
    p90_hours_to_decision: float | None
    median_hours_to_completion: float | None
    p90_hours_to_completion: float | None
    tasks_completed: int
    tasks_within_due: int
    escalated: int
    human_touches: int


_DECIDED = (RequestState.APPROVED, RequestState.REJECTED, RequestState.COMPLETED)
_APPROVED = (RequestState.APPROVED, RequestState.COMPLETED)
_DECISIONS = (EventAction.APPROVED.value, EventAction.REJECTED.value)


def _when(condition: Any, value: Any) -> Any:
    return sa.case((condition, value))


def _flag(condition: Any) -> Any:
    return sa.case((condition, 1), else_=0)


def _timeline(in_range: Any) -> Any:
    """Per request: when it was decided, approved, completed, and what persons did."""
    e = WorkflowEvent
    changed = col(e.action) == EventAction.STATE_CHANGED.value
    return (
        sa.select(
            col(e.request_id).label("request_id"),
            sa.func.min(_when(changed & col(e.state).in_(_DECIDED), e.at)).label("decided_at"),
            sa.func.min(_when(changed & col(e.state).in_(_APPROVED), e.at)).label("approved_at"),
            sa.func.min(_when(changed & (col(e.state) == RequestState.COMPLETED), e.at)).label(
                "completed_at"
            ),
            sa.func.sum(_flag(col(e.action).in_(_DECISIONS))).label("decisions"),
            sa.func.max(_flag(col(e.action) == EventAction.ESCALATED.value)).label("escalated"),
            sa.func.sum(
                _flag((col(e.actor) != SERVER) & (col(e.action) != EventAction.SUBMITTED.value))
            ).label("touches"),
        )
        .where(col(e.request_id).in_(in_range))
        .group_by(col(e.request_id))
        .subquery("timeline")
    )


def _tasks(in_range: Any) -> Any:
    """Per request: its tasks completed, and those completed by their due time."""
    t = WorkflowTask
    done = col(t.completed_at).is_not(None)
    return (
        sa.select(
            col(t.request_id).label("request_id"),
            sa.func.sum(_flag(done)).label("completed"),
            sa.func.sum(_flag(done & (col(t.completed_at) <= col(t.due_at)))).label("on_time"),
        )
        .where(col(t.request_id).in_(in_range))
        .group_by(col(t.request_id))
        .subquery("tasks")
    )


def _key(key: WorkflowKey) -> Any:
    r = WorkflowRequest
    if key is WorkflowKey.TYPE:
        return col(r.type)
    if key is WorkflowKey.CHANNEL:
        return col(r.channel)
    if key is WorkflowKey.MONTH:
        return month_of(col(r.created_at))
    if key is WorkflowKey.GROUP_CLIENT:
        return (
            sa.select(col(GroupAccount.group_client_id))
            .where(col(GroupAccount.id) == col(r.group_account_id))
            .scalar_subquery()
        )
    first = sa.orm.aliased(WorkflowTask, name="first_task")
    return (
        sa.select(col(first.assignee))
        .where(col(first.request_id) == col(r.id))
        .order_by(col(first.id))
        .limit(1)
        .scalar_subquery()
    )


def _per_request(scope: RowScope, period: DayRange, group_by: tuple[WorkflowKey, ...]) -> Any:
    """One row per request counted: its keys and its own measures."""
    r = WorkflowRequest
    in_range = sa.and_(col(r.created_at) >= period.since, col(r.created_at) < period.until)
    ids = sa.select(col(r.id)).where(in_range)
    timeline, tasks = _timeline(ids), _tasks(ids)
    auto = (timeline.c.approved_at.is_not(None)) & (timeline.c.decisions == 0)
    return (
        sa.select(
            *(_key(key).label(f"k_{key.value.lower()}") for key in group_by),
            hours_between(col(r.created_at), timeline.c.decided_at).label("decision"),
            hours_between(col(r.created_at), timeline.c.completed_at).label("completion"),
            _flag(auto).label("auto"),
            _flag(timeline.c.decided_at.is_not(None)).label("decided"),
            sa.func.coalesce(timeline.c.escalated, 0).label("escalated"),
            sa.func.coalesce(timeline.c.touches, 0).label("touches"),
            sa.func.coalesce(tasks.c.completed, 0).label("completed"),
            sa.func.coalesce(tasks.c.on_time, 0).label("on_time"),
        )
        .select_from(r)
        .outerjoin(timeline, timeline.c.request_id == col(r.id))
        .outerjoin(tasks, tasks.c.request_id == col(r.id))
        .where(in_range, visible(scope, WorkflowRequest))
    )


def _sums(source: Any) -> list[Any]:
    c = source.c
    return [
        sa.func.count().label("submitted"),
        sa.func.sum(c.auto).label("auto_approved"),
        sa.func.sum(c.decided).label("decided"),
        sa.func.sum(c.completed).label("tasks_completed"),
        sa.func.sum(c.on_time).label("tasks_within_due"),
        sa.func.sum(c.escalated).label("escalated"),
        sa.func.sum(c.touches).label("human_touches"),
    ]


_PERCENTILES = (
    ("median_hours_to_decision", 0.5, "decision"),
    ("p90_hours_to_decision", 0.9, "decision"),
    ("median_hours_to_completion", 0.5, "completion"),
    ("p90_hours_to_completion", 0.9, "completion"),
)


def workflow_statement(
    *, scope: RowScope, period: DayRange, group_by: tuple[WorkflowKey, ...], dialect: str
) -> Any:
    """The one GROUP BY statement of `workflow_stats`, for PostgreSQL or SQLite."""
    names = [f"k_{key.value.lower()}" for key in group_by]
    inner = _per_request(scope, period, group_by)
    source, percentiles = with_percentiles(inner, names, _PERCENTILES, dialect)
    columns = [source.c[name] for name in names]
    stmt = sa.select(*columns, *_sums(source), *percentiles).select_from(source)
    return stmt.group_by(*columns) if columns else stmt


async def workflow_stats(
    session: AsyncSession, *, scope: RowScope, period: DayRange, group_by: list[WorkflowKey]
) -> list[WorkflowRow]:
    """The service levels of each group of requests the scope reaches, in one statement."""
    chosen = keys(group_by)
    dialect = session.get_bind().dialect.name
    stmt = workflow_statement(scope=scope, period=period, group_by=chosen, dialect=dialect)
    rows = (await session.execute(stmt)).mappings().all()
    return [_row(row, chosen) for row in rows if row["submitted"]]


def _row(row: Any, chosen: tuple[WorkflowKey, ...]) -> WorkflowRow:
    hours = {label: _hours(row[label]) for label, _, _ in _PERCENTILES}
    return WorkflowRow(
        keys={key: row[f"k_{key.value.lower()}"] for key in chosen},
        submitted=row["submitted"],
        auto_approved=int(row["auto_approved"] or 0),
        decided=int(row["decided"] or 0),
        tasks_completed=int(row["tasks_completed"] or 0),
        tasks_within_due=int(row["tasks_within_due"] or 0),
        escalated=int(row["escalated"] or 0),
        human_touches=int(row["human_touches"] or 0),
        **hours,
    )


def _hours(value: Any) -> float | None:
    """Hours to the millisecond's precision: SQLite's julianday is no finer."""
    return None if value is None else round(float(value), 6)
