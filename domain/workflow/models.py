"""Workflow requests, the process versions they follow, their inbox tasks and timelines."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.core.columns import UTCDateTime, enum_column, utcnow
from domain.workflow.engine import Assignee, TaskKind


class RequestType(StrEnum):
    """What a request asks for."""

    ENROLMENT = "ENROLMENT"
    TERMINATION = "TERMINATION"
    DEPENDANT_REMOVAL = "DEPENDANT_REMOVAL"
    DATA_CHANGE = "DATA_CHANGE"
    MEDICAL_AUTHORIZATION = "MEDICAL_AUTHORIZATION"
    PRODUCT_UPGRADE = "PRODUCT_UPGRADE"
    SERVICE_PURCHASE = "SERVICE_PURCHASE"
    CERTIFICATE = "CERTIFICATE"
    VIDEO_CONSULTATION = "VIDEO_CONSULTATION"


class Channel(StrEnum):
    """Where a request comes from."""

    BACK_OFFICE = "BACK_OFFICE"
    GROUP_PORTAL = "GROUP_PORTAL"
    EMPLOYEE = "EMPLOYEE"
    PARTNER = "PARTNER"


class RequestState(StrEnum):
    """Where a request stands."""

    SUBMITTED = "SUBMITTED"
    PENDING_APPROVAL = "PENDING_APPROVAL"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"


FINAL_STATES = frozenset(
    {RequestState.REJECTED, RequestState.COMPLETED, RequestState.CANCELLED, RequestState.FAILED}
)


class TaskState(StrEnum):
    """An inbox task is OPEN until someone completes it or the request ends without it."""

    OPEN = "OPEN"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class Decision(StrEnum):
    APPROVE = "APPROVE"
    REJECT = "REJECT"


class EventAction(StrEnum):
    """What a line of a request's timeline says happened."""

    SUBMITTED = "SUBMITTED"
    WAITING = "WAITING"
    """A person's task opened."""
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    FULFILLED = "FULFILLED"
    """The back office did the insurer's part by hand."""
    REGISTERED = "REGISTERED"
    """The server registered it through the policies services."""
    REVERSED = "REVERSED"
    """Its ratification was refused: the server undid the registration exactly."""
    NOTIFIED = "NOTIFIED"
    ESCALATED = "ESCALATED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"
    STATE_CHANGED = "STATE_CHANGED"


class ProcessDefinition(SQLModel, table=True):
    """One deployed version of a process file and its decision tables; never changed."""

    __tablename__ = "process_definition"
    __table_args__ = (sa.UniqueConstraint("key", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=100)
    version: int
    name: str = Field(max_length=200)
    bpmn: str = Field(sa_type=sa.Text)
    dmn: Any = Field(sa_type=sa.JSON)
    deployed_by: str = Field(max_length=200)
    deployed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


_request_version = sa.Column("version", sa.Integer, nullable=False)


class WorkflowRequest(SQLModel, table=True):
    """A request and the state of its process, saved after every step."""

    __tablename__ = "workflow_request"
    __table_args__ = (sa.UniqueConstraint("submitted_by", "idempotency_key"),)

    id: int | None = Field(default=None, primary_key=True)
    type: RequestType = Field(sa_type=enum_column(RequestType, 30))
    channel: Channel = Field(sa_type=enum_column(Channel))
    state: RequestState = Field(sa_type=enum_column(RequestState), index=True)
    submitted_by: str = Field(max_length=200)
    requester_scope: Any = Field(default=None, sa_type=sa.JSON, nullable=True)
    """The rows the sender reached when they sent it (authz.access.RowScope.to_json): the
    registration, maybe days later, acts as them within this reach. None for requests sent
    before it was kept: their registration reaches nothing and fails, never everything."""
    idempotency_key: str | None = Field(default=None, max_length=200)
    process_definition_id: int = Field(foreign_key="process_definition.id", index=True)
    group_account_id: int | None = Field(default=None, foreign_key="group_account.id", index=True)
    policy_id: int | None = Field(default=None, foreign_key="policy.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    line_of_business_id: int | None = Field(
        default=None, foreign_key="line_of_business.id", index=True
    )
    data_access_group_id: int | None = Field(
        default=None, foreign_key="data_access_group.id", index=True
    )
    details: Any = Field(sa_type=sa.JSON)
    result: Any = Field(default=None, sa_type=sa.JSON, nullable=True)
    workflow: str = Field(sa_type=sa.Text)
    waits_on_server: bool = Field(default=False, index=True)
    """A server step (registration, a message) is due: a worker or the sweep takes it."""
    version: int = Field(default=1, sa_column=_request_version)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    """Indexed for the requests submitted in a range (domain.reports.workflow)."""
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    __mapper_args__: ClassVar = {"version_id_col": _request_version}


class WorkflowTask(SQLModel, table=True):
    """A person's step of a request, in the inbox of those who may act on it."""

    __tablename__ = "workflow_task"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="workflow_request.id", index=True)
    engine_task_id: str = Field(max_length=36)
    name: str = Field(max_length=100)
    title: str = Field(max_length=200)
    assignee: Assignee = Field(sa_type=enum_column(Assignee))
    kind: TaskKind = Field(sa_type=enum_column(TaskKind))
    state: TaskState = Field(sa_type=enum_column(TaskState), index=True)
    due_at: datetime = Field(sa_type=UTCDateTime)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_by: str | None = Field(default=None, max_length=200)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision: Decision | None = Field(default=None, sa_type=enum_column(Decision))
    comment: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WorkflowEvent(SQLModel, table=True):
    """One line of a request's timeline: who did what, when."""

    __tablename__ = "workflow_event"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="workflow_request.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=50)
    """An EventAction; kept as plain text so that a new action needs no migration."""
    state: RequestState = Field(sa_type=enum_column(RequestState))
    message: str = Field(max_length=2000)
