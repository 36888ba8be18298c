"""Inputs of the validation rules' mutations."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from schema.settings.types import SettingKind
from schema.validation.types import RuleLevel, Severity


@strawberry.input(description="A validation rule.")
class ValidationRuleCreateInput:
    code: str = strawberry.field(description="Business code, unique.")
    level: RuleLevel = strawberry.field(description="GROUP_CLIENT or GROUP_ACCOUNT.")
    sequence: int = strawberry.field(description="Rules run in ascending sequence.")
    condition: JSON = strawberry.field(
        description="When the rule fires, as data (see the README: facts and ops)."
    )
    message: str = strawberry.field(description="What it reports; up to 500 characters.")
    severity: Severity = strawberry.field(description="ERROR blocks approval.")
    enabled: bool = strawberry.field(default=True, description="Disabled rules are skipped.")
    enrichment_setting: SettingKind | None = strawberry.field(
        default=None,
        description="A setting to set on the object when the rule fires (COLLECTION_SETTING, "
        "BILL_ALLOCATION, GROUP_COMMISSION_RATE, PROCESS_FLOW where the level allows).",
    )
    enrichment_value: str | None = strawberry.field(default=None, description="Its value.")


@strawberry.input(description="A rule's new definition, whole (e.g. to disable it).")
class ValidationRuleUpdateInput(ValidationRuleCreateInput):
    id: strawberry.ID = strawberry.field(description="The rule.")
    version: int = strawberry.field(description="The version you read.")


@strawberry.input(description="The group client to validate or submit.")
class GroupClientSubmitInput:
    id: strawberry.ID = strawberry.field(description="The group client.")
