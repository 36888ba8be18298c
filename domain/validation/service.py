"""Configuring validation rules: each definition is checked before it is saved."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import Action, changing
from domain.core.columns import utcnow
from domain.core.errors import ErrorCode, Problem, raise_if
from domain.core.fields import check_code, check_name
from domain.settings.effective import settable_levels
from domain.settings.models import BillAllocation, CollectionSetting, SettingKind, SettingLevel
from domain.validation.conditions import ConditionError, check
from domain.validation.facts import facts_of
from domain.validation.models import RuleLevel, Severity, ValidationRule

# The settings an enrichment may set, and the values each takes (None: any short text or,
# for a rate, a number).
ENRICHABLE: dict[SettingKind, frozenset[str] | None] = {
    SettingKind.COLLECTION_SETTING: frozenset(CollectionSetting),
    SettingKind.BILL_ALLOCATION: frozenset(BillAllocation),
    SettingKind.GROUP_COMMISSION_RATE: None,
    SettingKind.PROCESS_FLOW: None,
}


@dataclass(frozen=True)
class RuleDefinition:
    """What an admin gives for a rule."""

    code: str
    level: RuleLevel
    sequence: int
    condition: Any
    message: str
    severity: Severity
    enabled: bool = True
    enrichment_setting: SettingKind | None = None
    enrichment_value: str | None = None


async def _checked(
    session: AsyncSession, definition: RuleDefinition, problems: list[Problem]
) -> dict[str, Any]:
    """The definition's values, tidied; every problem recorded on its input field."""
    values: dict[str, Any] = {
        "level": definition.level,
        "severity": definition.severity,
        "enabled": definition.enabled,
        "code": check_code("code", definition.code, problems),
        "message": check_name("message", definition.message, problems, max_length=500),
        "sequence": definition.sequence,
        "enrichment_setting": definition.enrichment_setting,
        "enrichment_value": definition.enrichment_value,
    }
    if not 0 <= definition.sequence <= 1_000_000:
        problems.append(Problem(("sequence",), ErrorCode.INVALID_FORMAT, "0 to 1000000."))
    try:
        values["condition"] = check(definition.condition, await facts_of(session, definition.level))
    except ConditionError as error:
        problems.append(Problem(("condition",), ErrorCode.INVALID_FORMAT, str(error)))
    _enrichment(definition, problems)
    return values


def _enrichment(definition: RuleDefinition, problems: list[Problem]) -> None:
    kind, value = definition.enrichment_setting, definition.enrichment_value
    if kind is None:
        if value is not None:
            problems.append(
                Problem(("enrichment_setting",), ErrorCode.REQUIRED, "Which setting to set.")
            )
        return
    level = SettingLevel(definition.level.value)
    if kind not in ENRICHABLE or level not in settable_levels(kind):
        problems.append(
            Problem(
                ("enrichment_setting",),
                ErrorCode.NOT_ALLOWED,
                f"A {definition.level.value} rule can set one of: "
                + ", ".join(k for k in ENRICHABLE if level in settable_levels(k)),
            )
        )
        return
    allowed = ENRICHABLE[kind]
    if kind is SettingKind.GROUP_COMMISSION_RATE and value is not None:
        try:
            rate = Decimal(value)
        except InvalidOperation:
            rate = Decimal(-1)
        if not (rate.is_finite() and 0 <= rate <= 100):
            problems.append(
                Problem(("enrichment_value",), ErrorCode.INVALID_FORMAT, "A rate from 0 to 100.")
            )
        return
    if value is None or (allowed is not None and value not in allowed):
        hint = ", ".join(sorted(allowed)) if allowed else "a value"
        problems.append(
            Problem(("enrichment_value",), ErrorCode.INVALID_FORMAT, f"Give one of: {hint}.")
        )


async def create_rule(
    session: AsyncSession, *, actor: Actor, definition: RuleDefinition
) -> ValidationRule:
    """Add a validation rule; a definition the engine could not run is refused."""
    async with changing(session, actor, Action.VALIDATION_RULE_CREATE, ValidationRule) as change:
        problems: list[Problem] = []
        values = await _checked(session, definition, problems)
        if not problems and await _taken(session, values["code"]):
            problems.append(Problem(("code",), ErrorCode.DUPLICATE, "The code is already in use."))
        raise_if(problems)
        return change.add(ValidationRule(**values))


async def update_rule(
    session: AsyncSession,
    *,
    actor: Actor,
    rule_id: int,
    version: int,
    definition: RuleDefinition,
) -> ValidationRule:
    """Replace a rule's definition (e.g. disable it); the code stays unique."""
    async with changing(
        session, actor, Action.VALIDATION_RULE_UPDATE, ValidationRule, rule_id, version=version
    ) as change:
        rule = change.row
        problems: list[Problem] = []
        values = await _checked(session, definition, problems)
        if not problems and await _taken(session, values["code"], except_id=rule_id):
            problems.append(Problem(("code",), ErrorCode.DUPLICATE, "The code is already in use."))
        raise_if(problems)
        for name, value in values.items():
            setattr(rule, name, value)
        rule.updated_at = utcnow()
    return rule


async def _taken(session: AsyncSession, code: str, except_id: int | None = None) -> bool:
    stmt = sa.select(col(ValidationRule.id)).where(col(ValidationRule.code) == code)
    if except_id is not None:
        stmt = stmt.where(col(ValidationRule.id) != except_id)
    return await session.scalar(stmt) is not None


async def enabled_rules(session: AsyncSession) -> Sequence[ValidationRule]:
    """The enabled rules, in their sequence (ties in creation order)."""
    stmt = (
        sa.select(ValidationRule)
        .where(col(ValidationRule.enabled).is_(True))
        .order_by(col(ValidationRule.sequence), col(ValidationRule.id))
    )
    return (await session.scalars(stmt)).all()


async def list_rules(session: AsyncSession) -> Sequence[ValidationRule]:
    """Every rule, enabled or not, in the order they run."""
    stmt = sa.select(ValidationRule).order_by(col(ValidationRule.sequence), col(ValidationRule.id))
    return (await session.scalars(stmt)).all()
