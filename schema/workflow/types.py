"""GraphQL types of workflow requests, their inbox tasks, timelines and process versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON

from authz.access import FINANCIAL_FIELDS, MEDICAL_FIELDS, PERSONAL_FIELDS
from domain.core.columns import utcnow
from domain.core.naming import camel
from domain.workflow import engine, models
from schema.core.context import Info
from schema.core.cost import bound
from schema.core.permissions import guarded
from schema.core.relay import CountedConnection, RowNode
from schema.groups.types import GroupAccount
from schema.policies.types import Person, Policy

strawberry.enum(models.RequestType, description="What a request asks for.")
strawberry.enum(
    models.Channel,
    description="Where a request comes from: the insurer's back office, the group's HR "
    "portal, the employee, or a partner system.",
)
strawberry.enum(
    models.RequestState,
    description="SUBMITTED, then PENDING_APPROVAL while someone must approve, APPROVED while "
    "the insurer registers it; it ends COMPLETED, REJECTED, CANCELLED or FAILED.",
)
strawberry.enum(
    models.TaskState, description="OPEN until completed, or cancelled with its request."
)
strawberry.enum(models.Decision, description="An approval's answer.")
strawberry.enum(engine.Assignee, description="Whose inbox a task lands in.")
strawberry.enum(
    engine.TaskKind, description="APPROVAL: decide on it; FULFILMENT: do the insurer's part."
)
RequestType = models.RequestType
Channel = models.Channel
RequestState = models.RequestState
TaskState = models.TaskState
Decision = models.Decision
Assignee = engine.Assignee
TaskKind = engine.TaskKind


@strawberry.type(description="One line of a request's timeline.")
class WorkflowEvent:
    at: datetime = strawberry.field(description="When (UTC).")
    actor: str = strawberry.field(description="Who: a user's subject, or `groupcover`.")
    action: str = strawberry.field(
        description="What: SUBMITTED, WAITING, APPROVED, REJECTED, FULFILLED, REGISTERED, "
        "NOTIFIED, ESCALATED, CANCELLED, FAILED, or STATE_CHANGED."
    )
    state: RequestState = strawberry.field(description="The request's state after it.")
    message: str = strawberry.field(description="What happened, in words.")

    @classmethod
    def from_model(cls, row: models.WorkflowEvent) -> Self:
        return cls(
            at=row.at, actor=row.actor, action=row.action, state=row.state, message=row.message
        )


@strawberry.type(description="A deployed version of a process flow.")
class ProcessDefinition:
    key: str = strawberry.field(description="The process id in the BPMN file.")
    version: int = strawberry.field(description="1, 2, ... per key; requests keep theirs.")
    name: str = strawberry.field(description="The process's name in the file.")
    deployed_by: str = strawberry.field(description="Who deployed it.")
    deployed_at: datetime = strawberry.field(description="When.")

    @classmethod
    def from_model(cls, row: models.ProcessDefinition) -> Self:
        return cls(
            key=row.key,
            version=row.version,
            name=row.name,
            deployed_by=row.deployed_by,
            deployed_at=row.deployed_at,
        )


@strawberry.type(description="A person's step of a request: an approval, or the insurer's work.")
class WorkflowTask(RowNode):
    id: strawberry.relay.NodeID[int]
    name: str = strawberry.field(description="The step's id in the process file.")
    title: str = strawberry.field(description="What to do.")
    assignee: Assignee = strawberry.field(description="Whose inbox it is in.")
    kind: TaskKind = strawberry.field(description="Approve/reject, or fulfil.")
    state: TaskState = strawberry.field(description="OPEN until done.")
    due_at: datetime = strawberry.field(description="When it is due (UTC).")
    escalated_at: datetime | None = strawberry.field(
        description="When it went to the back office for being overdue."
    )
    completed_by: str | None = strawberry.field(description="Who completed it.")
    completed_at: datetime | None = strawberry.field(description="When.")
    decision: Decision | None = strawberry.field(description="The answer, once given.")
    comment: str | None = strawberry.field(description="What the decider said.")
    row: strawberry.Private[models.WorkflowTask]

    @classmethod
    def from_model(cls, row: models.WorkflowTask) -> Self:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            name=row.name,
            title=row.title,
            assignee=row.assignee,
            kind=row.kind,
            state=row.state,
            due_at=row.due_at,
            escalated_at=row.escalated_at,
            completed_by=row.completed_by,
            completed_at=row.completed_at,
            decision=row.decision,
            comment=row.comment,
            row=row,
        )

    @classmethod
    def node_loader(cls, info: Info) -> DataLoader[int, Any]:
        return info.context.loaders.workflow.task_by_id

    @strawberry.field(description="Whether it is open and past its due time.")
    def overdue(self) -> bool:
        return self.state is TaskState.OPEN and self.due_at < utcnow()

    @strawberry.field(description="The request it belongs to.")
    async def request(self, info: Info) -> WorkflowRequest | None:
        row = await info.context.loaders.workflow.request_by_id.load(self.row.request_id)
        return WorkflowRequest.from_model(row) if row else None


@strawberry.type(description="A request and where it stands in its process.")
class WorkflowRequest(RowNode):
    id: strawberry.relay.NodeID[int]
    type: RequestType = strawberry.field(description="What it asks for.")
    channel: Channel = strawberry.field(description="Where it came from.")
    state: RequestState = strawberry.field(description="Where it stands.")
    submitted_by: str = strawberry.field(description="Who sent it.")
    idempotency_key: str | None = strawberry.field(description="The sender's key, if any.")
    created_at: datetime = strawberry.field(description="When it was sent (UTC).")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    version: int = strawberry.field(description="Bumped by every step.")
    row: strawberry.Private[models.WorkflowRequest]

    @classmethod
    def from_model(cls, row: models.WorkflowRequest) -> Self:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            type=row.type,
            channel=row.channel,
            state=row.state,
            submitted_by=row.submitted_by,
            idempotency_key=row.idempotency_key,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
            row=row,
        )

    @classmethod
    def node_loader(cls, info: Info) -> DataLoader[int, Any]:
        return info.context.loaders.workflow.request_by_id

    @strawberry.field(
        **guarded(
            PERSONAL_FIELDS,
            "What was asked, as sent (a medical authorization's clinical part is in "
            "`medicalDetails`).",
        )
    )
    def details(self) -> JSON | None:
        shown = {k: v for k, v in self.row.details.items() if k not in _DETAILS_ELSEWHERE}
        return _camel_keys(shown)  # type: ignore[no-any-return]

    @strawberry.field(
        **guarded(FINANCIAL_FIELDS, "The refund bank account a DATA_CHANGE asked for, as sent.")
    )
    def refund_iban(self) -> str | None:
        return self.row.details.get("refund_iban")  # type: ignore[no-any-return]

    @strawberry.field(
        **guarded(
            PERSONAL_FIELDS,
            "What the insurer registered: e.g. the new policy's number, an authorization "
            "number, or a certificate, which names the insured.",
        )
    )
    def result(self) -> JSON | None:
        return self.row.result  # type: ignore[no-any-return]

    @strawberry.field(
        **guarded(MEDICAL_FIELDS, "A medical authorization's service, diagnosis and provider.")
    )
    def medical_details(self) -> JSON | None:
        return _camel_keys(self.row.details.get("medical"))  # type: ignore[no-any-return]

    @strawberry.field(description="Its steps for people, oldest first.", metadata=bound(10))
    async def tasks(self, info: Info) -> list[WorkflowTask]:
        rows = await info.context.loaders.workflow.tasks_by_request.load(self.id)
        return [WorkflowTask.from_model(row) for row in rows]

    @strawberry.field(description="Who did what when, oldest first.", metadata=bound(20))
    async def timeline(self, info: Info) -> list[WorkflowEvent]:
        rows = await info.context.loaders.workflow.events_by_request.load(self.id)
        return [WorkflowEvent.from_model(row) for row in rows]

    @strawberry.field(description="The process version it follows, from start to end.")
    async def process(self, info: Info) -> ProcessDefinition:
        row = await info.context.loaders.workflow.process_by_id.load(self.row.process_definition_id)
        return ProcessDefinition.from_model(row)

    @strawberry.field(description="The group account it is about, if you may see it.")
    async def group_account(self, info: Info) -> GroupAccount | None:
        if self.row.group_account_id is None:
            return None
        row = await info.context.loaders.groups.group_account_by_id.load(self.row.group_account_id)
        return GroupAccount.from_model(row) if row else None

    @strawberry.field(description="The policy it is about (or registered), if you may see it.")
    async def policy(self, info: Info) -> Policy | None:
        if self.row.policy_id is None:
            return None
        row = await info.context.loaders.policies.policy_by_id.load(self.row.policy_id)
        return Policy.from_model(row) if row else None

    @strawberry.field(description="The insured person it is about, if you may see them.")
    async def person(self, info: Info) -> Person | None:
        if self.row.person_id is None:
            return None
        row = await info.context.loaders.policies.person_by_id.load(self.row.person_id)
        return Person.from_model(row) if row else None


_DETAILS_ELSEWHERE = frozenset({"medical", "refund_iban"})
"""Details shown by fields of their own, under their own field rules."""


def _camel_keys(value: Any) -> Any:
    """Details are kept as the domain names them; the API shows them as GraphQL does."""
    if isinstance(value, dict):
        return {camel(key): _camel_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_camel_keys(item) for item in value]
    return value


@strawberry.type(description="A page of requests.")
class WorkflowRequestConnection(CountedConnection[WorkflowRequest]):
    pass


@strawberry.type(description="A page of inbox tasks.")
class WorkflowTaskConnection(CountedConnection[WorkflowTask]):
    pass
