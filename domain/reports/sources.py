"""What each kind of export holds: its columns, and the select of the rows a scope reaches.

A column the requester may not read (a personal field, without the right to read them) is
kept in the header and left empty in every row: it is selected as NULL, never read. A
workflow request's details and an audit event's before/after states are in no export: they
hold personal and medical fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from authz.access import AUDIT_READ, POLICIES_READ, WORKFLOW_READ, Need, RowScope
from domain.audit.models import AuditEvent
from domain.core.periods import in_force
from domain.core.reach import visible
from domain.policies.models import Person, Policy, PolicyMember
from domain.policies.queries import PolicyFilter
from domain.reference.models import DataAccessGroup, LineOfBusiness
from domain.reports.models import ExportKind
from domain.reports.ranges import DayRange
from domain.workflow.models import WorkflowRequest

NEEDS: dict[ExportKind, Need] = {
    ExportKind.POLICIES: POLICIES_READ,
    ExportKind.MEMBERS: POLICIES_READ,
    ExportKind.WORKFLOW_REQUESTS: WORKFLOW_READ,
    ExportKind.AUDIT_EVENTS: AUDIT_READ,
}
"""The need whose reach an export of each kind is made within."""


@dataclass(frozen=True)
class Criteria:
    """An export's filter, as plain values (ids already decoded)."""

    group_client_id: int | None = None
    as_of: date | None = None
    period: DayRange | None = None


@dataclass(frozen=True)
class Column:
    """One column of a file: its header and the SQL that gives its value."""

    header: str
    value: Any
    personal: bool = False


def _policy_columns() -> list[Column]:
    return [
        Column("policy_number", col(Policy.number)),
        Column("status", col(Policy.status)),
        Column("start_date", col(Policy.start_date)),
        Column("end_date", col(Policy.end_date)),
        Column("subscriber_person_number", col(Person.person_number)),
        Column("line_of_business", col(LineOfBusiness.code)),
        Column("data_access_group", col(DataAccessGroup.code)),
        Column("employee_number", col(Policy.employee_number), personal=True),
        Column("work_email", col(Policy.work_email), personal=True),
        Column("salary", col(Policy.salary), personal=True),
        Column("salary_currency", col(Policy.salary_currency), personal=True),
    ]


def _member_columns() -> list[Column]:
    return [
        Column("policy_number", col(Policy.number)),
        Column("person_number", col(Person.person_number)),
        Column("relationship", col(PolicyMember.relationship)),
        Column("start_date", col(PolicyMember.start_date)),
        Column("end_date", col(PolicyMember.end_date)),
        Column("given_name", col(Person.given_name), personal=True),
        Column("family_name", col(Person.family_name), personal=True),
        Column("birth_date", col(Person.birth_date), personal=True),
        Column("gender", col(Person.gender), personal=True),
    ]


def _request_columns() -> list[Column]:
    r = WorkflowRequest
    return [
        Column("request_id", col(r.id)),
        Column("type", col(r.type)),
        Column("channel", col(r.channel)),
        Column("state", col(r.state)),
        Column("submitted_at", col(r.created_at)),
        Column("updated_at", col(r.updated_at)),
        Column("submitted_by", col(r.submitted_by), personal=True),
    ]


def _audit_columns() -> list[Column]:
    a = AuditEvent
    return [
        Column("event_id", col(a.id)),
        Column("occurred_at", col(a.occurred_at)),
        Column("actor", col(a.actor)),
        Column("decided_by", col(a.decided_by)),
        Column("action", col(a.action)),
        Column("entity_type", col(a.entity_type)),
        Column("entity_id", col(a.entity_id)),
    ]


COLUMNS = {
    ExportKind.POLICIES: _policy_columns,
    ExportKind.MEMBERS: _member_columns,
    ExportKind.WORKFLOW_REQUESTS: _request_columns,
    ExportKind.AUDIT_EVENTS: _audit_columns,
}


def headers(kind: ExportKind) -> list[str]:
    """The header line of an export of this kind."""
    return [column.header for column in COLUMNS[kind]()]


def _values(kind: ExportKind, personal: bool) -> list[Any]:
    return [
        sa.null().label(c.header) if c.personal and not personal else c.value.label(c.header)
        for c in COLUMNS[kind]()
    ]


def _policy_ids(scope: RowScope, groups_scope: RowScope, given: Criteria) -> Any:
    criteria = PolicyFilter(group_client_id=given.group_client_id, as_of=given.as_of)
    return criteria.select(scope, groups_scope=groups_scope).with_only_columns(col(Policy.id))


def _in(column: Any, period: DayRange | None) -> Any:
    if period is None:
        return sa.true()
    return sa.and_(column >= period.since, column < period.until)


def rows(
    kind: ExportKind, *, scope: RowScope, groups_scope: RowScope, given: Criteria, personal: bool
) -> sa.Select[Any]:
    """The select of an export's rows, in a stable order (by id)."""
    values = _values(kind, personal)
    if kind is ExportKind.POLICIES:
        return (
            sa.select(*values)
            .select_from(Policy)
            .join(Person, col(Person.id) == col(Policy.subscriber_id))
            .join(LineOfBusiness, col(LineOfBusiness.id) == col(Policy.line_of_business_id))
            .join(DataAccessGroup, col(DataAccessGroup.id) == col(Policy.data_access_group_id))
            .where(col(Policy.id).in_(_policy_ids(scope, groups_scope, given)))
            .order_by(col(Policy.id))
        )
    if kind is ExportKind.MEMBERS:
        stmt = (
            sa.select(*values)
            .select_from(PolicyMember)
            .join(Policy, col(Policy.id) == col(PolicyMember.policy_id))
            .join(Person, col(Person.id) == col(PolicyMember.person_id))
            .where(col(Policy.id).in_(_policy_ids(scope, groups_scope, given)))
            .order_by(col(PolicyMember.id))
        )
        return stmt if given.as_of is None else stmt.where(in_force(PolicyMember, given.as_of))
    if kind is ExportKind.WORKFLOW_REQUESTS:
        r = WorkflowRequest
        return (
            sa.select(*values)
            .where(visible(scope, r), _in(col(r.created_at), given.period))
            .order_by(col(r.id))
        )
    a = AuditEvent
    return (
        sa.select(*values)
        .where(visible(scope, a), _in(col(a.occurred_at), given.period))
        .order_by(col(a.id))
    )
