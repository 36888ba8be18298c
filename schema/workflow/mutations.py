"""Mutations of workflow requests: submit from any channel, decide, cancel, deploy a flow."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import (
    WORKFLOW_ACT,
    WORKFLOW_DEPLOY,
    WORKFLOW_READ,
    WORKFLOW_SUBMIT,
)
from authz.principal import Role
from domain.core.errors import DomainError, ErrorCode
from domain.workflow import service
from domain.workflow.models import WorkflowRequest as RequestRow
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.mutations import actor, perform
from schema.core.permissions import guarded
from schema.core.relay import require_id
from schema.workflow import inputs
from schema.workflow.queries import inbox_scopes
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


def _request_payload(row: Any, errors: list[UserError]) -> WorkflowRequestPayload:
    return WorkflowRequestPayload(
        request=WorkflowRequest.from_model(row) if row else None, errors=errors
    )


async def _after(info: Info, payload: WorkflowRequestPayload) -> WorkflowRequestPayload:
    """Once committed, hand a request's due server steps to the background."""
    request = payload.request
    if request is not None and request.row.waits_on_server and info.context.runner is not None:
        await info.context.runner.kick(request.row.id)  # type: ignore[arg-type]
    return payload


@strawberry.type
class WorkflowMutation:
    @strawberry.mutation(
        **guarded(
            WORKFLOW_SUBMIT,
            "Send a request on your channel. It is checked at once (errors name the field), "
            "then follows the group's process flow: decided automatically, approved by the "
            "group's manager or the insurer, then registered.",
        )
    )
    async def workflow_request_submit(
        self, info: Info, input: inputs.WorkflowRequestSubmitInput
    ) -> WorkflowRequestPayload:
        context = info.context

        async def run(session: AsyncSession) -> RequestRow:
            return await service.submit(
                session,
                actor=actor(info, WORKFLOW_SUBMIT),
                roles=context.principal.all_roles,
                limits=context.policy_limits,
                submission=service.Submission(
                    type=input.type,
                    channel=input.channel,
                    details=inputs.details(input),
                    idempotency_key=input.idempotency_key,
                ),
            )

        return await _after(info, await perform(info, run, _request_payload))

    @strawberry.mutation(
        **guarded(
            WORKFLOW_ACT,
            "Approve or reject a task in your inbox, or complete the insurer's part. Nobody "
            "decides on their own request; of two people deciding at once, one wins and the "
            "other is told.",
        )
    )
    async def workflow_task_complete(
        self, info: Info, input: inputs.WorkflowTaskCompleteInput
    ) -> WorkflowRequestPayload:
        manager, back_office = inbox_scopes(info)

        async def run(session: AsyncSession) -> RequestRow:
            if input.data is not None and not isinstance(input.data, dict):
                raise DomainError.of("data", ErrorCode.INVALID_FORMAT, "Give a JSON object.")
            return await service.complete_task(
                session,
                subject=info.context.access.subject,
                manager=manager,
                back_office=back_office,
                given=service.TaskDecision(
                    task_id=require_id(input.id, "WorkflowTask", field="id"),
                    decision=input.decision,
                    comment=input.comment,
                    data=input.data,
                ),
            )

        return await _after(info, await perform(info, run, _request_payload))

    @strawberry.mutation(
        **guarded(
            WORKFLOW_SUBMIT,
            "Withdraw a request that has not ended: its sender may, and the back office.",
        )
    )
    async def workflow_request_cancel(
        self, info: Info, input: inputs.WorkflowRequestCancelInput
    ) -> WorkflowRequestPayload:
        access = info.context.access

        async def run(session: AsyncSession) -> RequestRow:
            return await service.cancel(
                session,
                subject=access.subject,
                scope=access.scope(WORKFLOW_READ),
                may_cancel_any=bool(access.roles_for(WORKFLOW_ACT) & {Role.ADMIN, Role.BACKOFFICE}),
                request_id=require_id(input.id, "WorkflowRequest", field="id"),
                reason=input.reason,
            )

        return await perform(info, run, _request_payload)

    @strawberry.mutation(
        **guarded(
            WORKFLOW_DEPLOY,
            "Deploy a new version of a process flow. The file is parsed and its scripts "
            "compiled in the sandbox first: a broken file is refused. Requests in flight keep "
            "their version.",
        )
    )
    async def process_definition_deploy(
        self, info: Info, input: inputs.ProcessDefinitionDeployInput
    ) -> ProcessDefinitionPayload:
        async def run(session: AsyncSession) -> Any:
            return await service.deploy(
                session, subject=info.context.access.subject, bpmn=input.bpmn, dmn=input.dmn
            )

        return await perform(
            info,
            run,
            lambda row, errors: ProcessDefinitionPayload(
                process_definition=ProcessDefinition.from_model(row) if row else None,
                errors=errors,
            ),
        )
