"""GraphQL types of validation rules and of what they find."""

from __future__ import annotations

from typing import Any, Self

import strawberry
from strawberry.scalars import JSON

from domain.validation import models
from domain.validation.approval import Finding
from schema.core.relay import global_id
from schema.settings.types import SettingKind

strawberry.enum(models.RuleLevel, description="Which objects a rule looks at.")
strawberry.enum(models.Severity, description="ERROR blocks approval; WARNING does not.")
RuleLevel = models.RuleLevel
Severity = models.Severity


@strawberry.type(description="A validation rule, configured by an admin.")
class ValidationRule:
    id: strawberry.ID = strawberry.field(description="The rule's id.")
    code: str = strawberry.field(description="The business code, unique.")
    level: RuleLevel = strawberry.field(description="What it looks at.")
    sequence: int = strawberry.field(description="Rules run in ascending sequence.")
    condition: JSON = strawberry.field(
        description='When the rule fires, as data: e.g. {"fact": "billAllocation", '
        '"op": "isEmpty"}; see the README for facts and ops.'
    )
    message: str = strawberry.field(description="What it reports when it fires.")
    severity: Severity = strawberry.field(description="ERROR blocks approval.")
    enabled: bool = strawberry.field(description="A disabled rule is skipped.")
    enrichment_setting: SettingKind | None = strawberry.field(
        description="The setting it sets on the object when it fires, instead of reporting."
    )
    enrichment_value: str | None = strawberry.field(description="The value it sets.")
    version: int = strawberry.field(description="Send it back to update.")

    @classmethod
    def from_model(cls, row: models.ValidationRule) -> Self:
        return cls(
            id=strawberry.ID(global_id("ValidationRule", row.id)),  # type: ignore[arg-type]
            code=row.code,
            level=row.level,
            sequence=row.sequence,
            condition=row.condition,
            message=row.message,
            severity=row.severity,
            enabled=row.enabled,
            enrichment_setting=row.enrichment_setting,
            enrichment_value=row.enrichment_value,
            version=row.version,
        )


@strawberry.type(description="What one rule found on, or did to, one object.")
class RuleFinding:
    rule: ValidationRule = strawberry.field(description="The rule.")
    object_id: strawberry.ID = strawberry.field(description="The group client or account.")
    object_code: str = strawberry.field(description="Its code.")
    severity: Severity | None = strawberry.field(
        description="The violation's severity; null when the rule enriched the object."
    )
    message: str = strawberry.field(description="The rule's message.")
    enriched: bool = strawberry.field(
        description="Whether the rule set its setting on the object instead of reporting."
    )

    @classmethod
    def of(cls, finding: Finding) -> Self:
        type_name = "GroupClient" if finding.level is RuleLevel.GROUP_CLIENT else "GroupAccount"
        return cls(
            rule=ValidationRule.from_model(finding.rule),
            object_id=strawberry.ID(global_id(type_name, finding.object_id)),
            object_code=finding.object_code,
            severity=None if finding.enriched else finding.rule.severity,
            message=finding.rule.message,
            enriched=finding.enriched,
        )


def findings(found: Any) -> list[RuleFinding]:
    """The findings of an outcome, in the order the rules ran."""
    return [RuleFinding.of(f) for f in found.findings]
