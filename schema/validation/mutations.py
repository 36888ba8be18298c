"""Mutations of validation rules, and validating and submitting a group client."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import GROUPS_WRITE, RULES_WRITE
from domain.validation import approval, service
from domain.validation.approval import Outcome
from domain.validation.models import ValidationRule as RuleRow
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.mutations import actor, perform
from schema.core.permissions import guarded
from schema.core.relay import require_id
from schema.groups.types import GroupClient
from schema.validation import inputs
from schema.validation.types import RuleFinding, ValidationRule, findings

_ERRORS = "Why the input was refused; empty on success, and then every change was saved."


@strawberry.type(description="The outcome of validationRuleCreate or validationRuleUpdate.")
class ValidationRulePayload:
    validation_rule: ValidationRule | None = strawberry.field(description="The rule.")
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type(description="What the rules found on a group client and its accounts.")
class GroupClientValidationPayload:
    group_client: GroupClient | None = strawberry.field(description="The group client.")
    approved: bool | None = strawberry.field(
        description="Whether the client is (or, for a validation, would be) approved: no "
        "ERROR-level rule fired."
    )
    findings: list[RuleFinding] = strawberry.field(
        description="Every violation and enrichment, in the order the rules ran."
    )
    errors: list[UserError] = strawberry.field(description=_ERRORS)


def _definition(given: inputs.ValidationRuleCreateInput) -> service.RuleDefinition:
    return service.RuleDefinition(
        code=given.code,
        level=given.level,
        sequence=given.sequence,
        condition=given.condition,
        message=given.message,
        severity=given.severity,
        enabled=given.enabled,
        enrichment_setting=given.enrichment_setting,
        enrichment_value=given.enrichment_value,
    )


def _validation(
    done: tuple[GroupClient, Outcome] | None, errors: list[UserError]
) -> GroupClientValidationPayload:
    if done is None:
        return GroupClientValidationPayload(
            group_client=None, approved=None, findings=[], errors=errors
        )
    client, outcome = done
    return GroupClientValidationPayload(
        group_client=client, approved=outcome.approvable, findings=findings(outcome), errors=[]
    )


@strawberry.type
class RulesMutation:
    @strawberry.mutation(**guarded(RULES_WRITE, "Add a validation rule."))
    async def validation_rule_create(
        self, info: Info, input: inputs.ValidationRuleCreateInput
    ) -> ValidationRulePayload:
        async def run(session: AsyncSession) -> RuleRow:
            return await service.create_rule(
                session, actor=actor(info, RULES_WRITE), definition=_definition(input)
            )

        return await perform(
            info,
            run,
            lambda row, errors: ValidationRulePayload(
                validation_rule=ValidationRule.from_model(row) if row else None, errors=errors
            ),
        )

    @strawberry.mutation(**guarded(RULES_WRITE, "Change a validation rule's whole definition."))
    async def validation_rule_update(
        self, info: Info, input: inputs.ValidationRuleUpdateInput
    ) -> ValidationRulePayload:
        async def run(session: AsyncSession) -> RuleRow:
            return await service.update_rule(
                session,
                actor=actor(info, RULES_WRITE),
                rule_id=require_id(input.id, "ValidationRule", field="id"),
                version=input.version,
                definition=_definition(input),
            )

        return await perform(
            info,
            run,
            lambda row, errors: ValidationRulePayload(
                validation_rule=ValidationRule.from_model(row) if row else None, errors=errors
            ),
        )

    @strawberry.mutation(
        **guarded(
            GROUPS_WRITE,
            "Run the validation rules on a group client and its accounts, and report what "
            "they find; changes nothing.",
        )
    )
    async def group_client_validate(
        self, info: Info, input: inputs.GroupClientSubmitInput
    ) -> GroupClientValidationPayload:
        async def run(session: AsyncSession) -> tuple[GroupClient, Outcome]:
            row, outcome = await approval.validate_group_client(
                session,
                actor=actor(info, GROUPS_WRITE),
                group_client_id=require_id(input.id, "GroupClient", field="id"),
            )
            return GroupClient.from_model(row), outcome

        return await perform(info, run, _validation)

    @strawberry.mutation(
        **guarded(
            GROUPS_WRITE,
            "Apply the rules' enrichments and run the rules in sequence; the client becomes "
            "APPROVED only when no ERROR-level rule fires, and otherwise nothing is kept.",
        )
    )
    async def group_client_submit(
        self, info: Info, input: inputs.GroupClientSubmitInput
    ) -> GroupClientValidationPayload:
        async def run(session: AsyncSession) -> tuple[GroupClient, Outcome]:
            row, outcome = await approval.submit_group_client(
                session,
                actor=actor(info, GROUPS_WRITE),
                group_client_id=require_id(input.id, "GroupClient", field="id"),
            )
            return GroupClient.from_model(row), outcome

        return await perform(info, run, _validation)
