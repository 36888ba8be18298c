"""Mutations of workflow requests: submit from any channel, decide, cancel, deploy a flow."""

from __future__ import annotations

import strawberry

from authz.access import WORKFLOW_ACT, WORKFLOW_DEPLOY, WORKFLOW_SUBMIT
from authz.principal import Role
from domain.core.errors import DomainError, ErrorCode
from domain.workflow import definitions, submit, tasks
from domain.workflow.models import WorkflowRequest as RequestRow
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.mutations import actor, mutation
from schema.core.relay import require_id
from schema.workflow import inputs
from schema.workflow.types import ProcessDefinition, WorkflowRequest

_ERRORS = "What was wrong with the input; empty when it was done."


@strawberry.type(description="The outcome of a change to a workflow request.")
class WorkflowRequestPayload:
    request: WorkflowRequest | None = strawberry.field(
        description="The request as it now stands; null when refused."
    )
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type(description="The outcome of processDefinitionDeploy.")
class ProcessDefinitionPayload:
    process_definition: ProcessDefinition | None = strawberry.field(
        description="The new version; null when the file was refused."
    )
    errors: list[UserError] = strawberry.field(description=_ERRORS)


async def _kick(info: Info, payload: WorkflowRequestPayload) -> None:
    """Once committed, hand a request's due server steps to the background."""
    request = payload.request
    if request is not None and request.row.waits_on_server and info.context.runner is not None:
        await info.context.runner.kick(request.row.id)  # type: ignore[arg-type]


def _payload(row: RequestRow) -> WorkflowRequestPayload:
    return WorkflowRequestPayload(request=WorkflowRequest.from_model(row), errors=[])


@strawberry.type
class WorkflowMutation:
    @mutation(
        WORKFLOW_SUBMIT,
        "Send a request on your channel. It is checked at once (errors name the field), then "
        "follows the group's process flow: decided automatically, approved by the group's "
        "manager or the insurer, then registered as you, within your grants.",
        after=_kick,
    )
    async def workflow_request_submit(
        self, info: Info, input: inputs.WorkflowRequestSubmitInput
    ) -> WorkflowRequestPayload:
        row = await submit.submit(
            info.context.session,
            actor=actor(info),
            roles=info.context.principal.all_roles,
            limits=info.context.policy_limits,
            submission=submit.Submission(
                type=input.type,
                channel=input.channel,
                details=inputs.details(input),
                idempotency_key=input.idempotency_key,
            ),
        )
        return _payload(row)

    @mutation(
        WORKFLOW_ACT,
        "Approve or reject a task in your inbox, or complete the insurer's part. Nobody "
        "decides on their own request; of two people deciding at once, one wins and the "
        "other is told.",
        after=_kick,
    )
    async def workflow_task_complete(
        self, info: Info, input: inputs.WorkflowTaskCompleteInput
    ) -> WorkflowRequestPayload:
        if input.data is not None and not isinstance(input.data, dict):
            raise DomainError.of("data", ErrorCode.INVALID_FORMAT, "Give a JSON object.")
        manager, back_office = info.context.access.inbox()
        row = await tasks.complete_task(
            info.context.session,
            actor=actor(info),
            manager=manager,
            back_office=back_office,
            given=tasks.TaskDecision(
                task_id=require_id(input.id, "WorkflowTask", field="id"),
                decision=input.decision,
                comment=input.comment,
                data=input.data,
            ),
        )
        return _payload(row)

    @mutation(
        WORKFLOW_SUBMIT,
        "Withdraw a request that has not ended: its sender may, and the back office.",
    )
    async def workflow_request_cancel(
        self, info: Info, input: inputs.WorkflowRequestCancelInput
    ) -> WorkflowRequestPayload:
        access = info.context.access
        row = await tasks.cancel(
            info.context.session,
            actor=actor(info),
            may_cancel_any=bool(access.roles_for(WORKFLOW_ACT) & {Role.ADMIN, Role.BACKOFFICE}),
            request_id=require_id(input.id, "WorkflowRequest", field="id"),
            reason=input.reason,
        )
        return _payload(row)

    @mutation(
        WORKFLOW_DEPLOY,
        "Deploy a new version of a process flow. The file is parsed and its scripts compiled "
        "in the sandbox first: a broken file is refused. Requests in flight keep their version.",
    )
    async def process_definition_deploy(
        self, info: Info, input: inputs.ProcessDefinitionDeployInput
    ) -> ProcessDefinitionPayload:
        row = await definitions.deploy(
            info.context.session, actor=actor(info), bpmn=input.bpmn, dmn=input.dmn
        )
        return ProcessDefinitionPayload(
            process_definition=ProcessDefinition.from_model(row), errors=[]
        )
