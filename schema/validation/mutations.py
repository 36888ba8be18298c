"""Mutations of validation rules, and validating and submitting a group client."""

from __future__ import annotations

import strawberry

from authz.access import GROUPS_WRITE, RULES_WRITE
from domain.groups.models import GroupClient as ClientRow
from domain.validation import approval, service
from domain.validation.approval import Outcome
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.mutations import actor, mutation
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
    findings: list[RuleFinding] | None = strawberry.field(
        description="Every violation and enrichment on the client and the accounts you reach, "
        "in the order the rules ran."
    )
    hidden_findings: int | None = strawberry.field(
        description="How many violations and enrichments are on accounts outside your reach: "
        "counted, never listed, as those accounts are not yours to see. The rules look at "
        "every account, so one of these may be why the client is not approved; someone who "
        "reaches them can see which."
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


def _validation(client: ClientRow, outcome: Outcome) -> GroupClientValidationPayload:
    return GroupClientValidationPayload(
        group_client=GroupClient.from_model(client),
        approved=outcome.approvable,
        findings=findings(outcome),
        hidden_findings=outcome.hidden,
        errors=[],
    )


@strawberry.type
class RulesMutation:
    @mutation(RULES_WRITE, "Add a validation rule.")
    async def validation_rule_create(
        self, info: Info, input: inputs.ValidationRuleCreateInput
    ) -> ValidationRulePayload:
        row = await service.create_rule(
            info.context.session, actor=actor(info), definition=_definition(input)
        )
        return ValidationRulePayload(validation_rule=ValidationRule.from_model(row), errors=[])

    @mutation(RULES_WRITE, "Change a validation rule's whole definition.")
    async def validation_rule_update(
        self, info: Info, input: inputs.ValidationRuleUpdateInput
    ) -> ValidationRulePayload:
        row = await service.update_rule(
            info.context.session,
            actor=actor(info),
            rule_id=require_id(input.id, "ValidationRule", field="id"),
            version=input.version,
            definition=_definition(input),
        )
        return ValidationRulePayload(validation_rule=ValidationRule.from_model(row), errors=[])

    @mutation(
        GROUPS_WRITE,
        "Run the validation rules on a group client and its accounts, and report what they "
        "find; changes nothing.",
    )
    async def group_client_validate(
        self, info: Info, input: inputs.GroupClientSubmitInput
    ) -> GroupClientValidationPayload:
        return _validation(
            *await approval.validate_group_client(
                info.context.session,
                actor=actor(info),
                group_client_id=require_id(input.id, "GroupClient", field="id"),
            )
        )

    @mutation(
        GROUPS_WRITE,
        "Apply the rules' enrichments and run the rules in sequence; the client becomes "
        "APPROVED only when no ERROR-level rule fires, and otherwise nothing is kept.",
    )
    async def group_client_submit(
        self, info: Info, input: inputs.GroupClientSubmitInput
    ) -> GroupClientValidationPayload:
        return _validation(
            *await approval.submit_group_client(
                info.context.session,
                actor=actor(info),
                group_client_id=require_id(input.id, "GroupClient", field="id"),
            )
        )
