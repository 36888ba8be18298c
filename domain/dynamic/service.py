"""Defining dynamic fields, and setting their values on the rows they describe."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from authz.principal import Role
from domain.core.changes import Action, changing
from domain.core.errors import ErrorCode, Problem, raise_if
from domain.core.fields import check_code, check_name
from domain.dynamic.models import DynamicField, FieldTarget, FieldType
from domain.dynamic.values import TEXT_LIMIT, Assignment, assign, parse_date, parse_number

MAX_FIELDS = 50
"""The most dynamic fields one target may have: every row of it answers them all."""


@dataclass(frozen=True)
class FieldDefinition:
    """What an admin gives for a dynamic field (everything but its target and code may change)."""

    label: str
    choices: Sequence[str] = ()
    minimum: str | None = None
    maximum: str | None = None
    max_length: int | None = None
    read_roles: Sequence[str] = field(default_factory=tuple)
    write_roles: Sequence[str] = field(default_factory=tuple)


async def define_field(
    session: AsyncSession,
    *,
    actor: Actor,
    target: FieldTarget,
    code: str,
    value_type: FieldType,
    definition: FieldDefinition,
) -> DynamicField:
    """Add a dynamic field to every row of `target`: a new code and a checked definition."""
    async with changing(session, actor, Action.DYNAMIC_FIELD_DEFINE, DynamicField) as change:
        problems: list[Problem] = []
        code = check_code("code", code, problems)
        taken = sa.select(col(DynamicField.id)).where(
            col(DynamicField.target) == target, col(DynamicField.code) == code
        )
        if not problems and await session.scalar(taken) is not None:
            message = f"A dynamic field {code!r} is already defined on this target."
            problems.append(Problem(("code",), ErrorCode.DUPLICATE, message))
        if len(await fields_of(session, target)) >= MAX_FIELDS:
            message = f"A target has at most {MAX_FIELDS} dynamic fields."
            problems.append(Problem(("target",), ErrorCode.NOT_ALLOWED, message))
        values = _checked(definition, value_type, problems)
        raise_if(problems)
        return change.add(DynamicField(target=target, code=code, **values))


async def update_field(
    session: AsyncSession, *, actor: Actor, field_id: int, version: int, definition: FieldDefinition
) -> DynamicField:
    """Change a field's label, rules or usage (never its type); values already kept are not
    re-checked."""
    async with changing(
        session, actor, Action.DYNAMIC_FIELD_UPDATE, DynamicField, field_id, version=version
    ) as change:
        problems: list[Problem] = []
        values = _checked(definition, change.row.value_type, problems)
        raise_if(problems)
        for name, value in values.items():
            setattr(change.row, name, value)
    return change.row


def _checked(
    definition: FieldDefinition, kind: FieldType, problems: list[Problem]
) -> dict[str, Any]:
    choices = [choice.strip() for choice in definition.choices]
    if kind is FieldType.ENUM and not choices:
        problems.append(Problem(("choices",), ErrorCode.REQUIRED, "An ENUM field needs choices."))
    if kind is not FieldType.ENUM and choices:
        problems.append(
            Problem(("choices",), ErrorCode.NOT_ALLOWED, "Only ENUM fields have choices.")
        )
    if len(set(choices)) != len(choices) or any(not 0 < len(c) <= 100 for c in choices):
        message = "Choices must be distinct, non-empty and at most 100 characters each."
        problems.append(Problem(("choices",), ErrorCode.INVALID_FORMAT, message))
    _check_bounds(definition, kind, problems)
    if definition.max_length is not None and (
        kind is not FieldType.TEXT or not 1 <= definition.max_length <= TEXT_LIMIT
    ):
        message = f"maxLength applies to TEXT fields only, from 1 to {TEXT_LIMIT}."
        problems.append(Problem(("maxLength",), ErrorCode.INVALID_FORMAT, message))
    roles = {"readRoles": definition.read_roles, "writeRoles": definition.write_roles}
    for name, given in roles.items():
        unknown = sorted(set(given) - {role.value for role in Role})
        if unknown:
            message = f"Unknown roles: {', '.join(unknown)}."
            problems.append(Problem((name,), ErrorCode.NOT_FOUND, message))
    return {
        "label": check_name("label", definition.label, problems),
        "value_type": kind,
        "choices": choices,
        "minimum": definition.minimum,
        "maximum": definition.maximum,
        "max_length": definition.max_length,
        "read_roles": sorted(set(definition.read_roles)),
        "write_roles": sorted(set(definition.write_roles)),
    }


def _check_bounds(definition: FieldDefinition, kind: FieldType, problems: list[Problem]) -> None:
    parse = {FieldType.NUMBER: parse_number, FieldType.DATE: parse_date}.get(kind)
    bounds = {"minimum": definition.minimum, "maximum": definition.maximum}
    for name, raw in bounds.items():
        if raw is None:
            continue
        if parse is None:
            message = "Only NUMBER and DATE fields have a minimum and a maximum."
            problems.append(Problem((name,), ErrorCode.NOT_ALLOWED, message))
        elif parse(raw) is None:
            message = f"{raw[:40]!r} is not a {kind.lower()}."
            problems.append(Problem((name,), ErrorCode.INVALID_FORMAT, message))
    if parse is not None and None not in bounds.values():
        low, high = parse(definition.minimum), parse(definition.maximum)
        if low is not None and high is not None and low > high:  # type: ignore[operator]
            message = "The minimum must not be above the maximum."
            problems.append(Problem(("maximum",), ErrorCode.INVALID_FORMAT, message))


async def fields_of(session: AsyncSession, target: FieldTarget) -> dict[str, DynamicField]:
    """Every field defined on `target`, by code, in the order they were defined."""
    stmt = sa.select(DynamicField).where(col(DynamicField.target) == target)
    return {row.code: row for row in await session.scalars(stmt.order_by(col(DynamicField.id)))}


async def set_values(
    session: AsyncSession,
    row: Any,
    *,
    actor: Actor,
    target: FieldTarget,
    assignments: Sequence[Assignment],
    problems: list[Problem],
) -> Mapping[str, str]:
    """Check `assignments` for a row being changed, and give the row's values after them.

    The caller sets them on the row inside its own change once every problem is known.
    """
    if not assignments:
        return dict(row.dynamic_fields or {})
    return assign(
        row.dynamic_fields or {},
        assignments,
        await fields_of(session, target),
        target=target,
        roles=actor.roles,
        problems=problems,
    )
