"""Conditions of validation rules: plain data, checked when a rule is saved, never run as code.

A condition is JSON: a comparison of one fact with a constant, or a combination of
conditions. Nothing in it is evaluated by Python; the interpreter below only walks the
tree and compares values, so a rule can reach no file, module or network.

    {"fact": "billAllocation", "op": "isEmpty"}
    {"fact": "groupCommissionRate", "op": "gt", "value": "10"}
    {"all": [{"fact": "lineOfBusiness", "op": "in", "value": ["HEALTH", "DENTAL"]},
             {"not": {"fact": "collectionSetting", "op": "eq", "value": "GROUP_BILLED"}}]}
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

MAX_DEPTH = 8
MAX_NODES = 50


class FactType(StrEnum):
    """What kind of value a fact holds, which decides the comparisons it allows."""

    TEXT = "TEXT"
    NUMBER = "NUMBER"


# op -> (the fact types it applies to, what its "value" must be: none, one, or a list)
OPS: dict[str, tuple[frozenset[FactType], str]] = {
    "isEmpty": (frozenset(FactType), "none"),
    "isSet": (frozenset(FactType), "none"),
    "eq": (frozenset(FactType), "one"),
    "ne": (frozenset(FactType), "one"),
    "in": (frozenset(FactType), "list"),
    "notIn": (frozenset(FactType), "list"),
    "lt": (frozenset({FactType.NUMBER}), "one"),
    "le": (frozenset({FactType.NUMBER}), "one"),
    "gt": (frozenset({FactType.NUMBER}), "one"),
    "ge": (frozenset({FactType.NUMBER}), "one"),
}


class ConditionError(ValueError):
    """A condition that is not one this module can check: says where and why."""


def check(condition: Any, facts: Mapping[str, FactType]) -> Any:
    """Return the condition with its constants normalised, or raise ConditionError."""
    count = [0]
    return _check(condition, facts, "condition", 0, count)


def _check(
    node: Any, facts: Mapping[str, FactType], where: str, depth: int, count: list[int]
) -> Any:
    count[0] += 1
    if depth > MAX_DEPTH or count[0] > MAX_NODES:
        raise ConditionError(
            f"{where}: a condition may nest {MAX_DEPTH} deep and hold {MAX_NODES} parts."
        )
    if not isinstance(node, dict) or len(node) == 0:
        raise ConditionError(f'{where}: expected an object such as {{"fact": ..., "op": ...}}.')
    if set(node) == {"not"}:
        return {"not": _check(node["not"], facts, f"{where}.not", depth + 1, count)}
    for joint in ("all", "any"):
        if set(node) == {joint}:
            parts = node[joint]
            if not isinstance(parts, list) or not parts:
                raise ConditionError(f"{where}.{joint}: expected a non-empty list of conditions.")
            return {
                joint: [
                    _check(part, facts, f"{where}.{joint}[{i}]", depth + 1, count)
                    for i, part in enumerate(parts)
                ]
            }
    return _comparison(node, facts, where)


def _comparison(node: dict[str, Any], facts: Mapping[str, FactType], where: str) -> Any:
    if not set(node) <= {"fact", "op", "value"} or "fact" not in node or "op" not in node:
        raise ConditionError(
            f"{where}: expected keys fact, op and (for most ops) value, or all / any / not."
        )
    fact, op = node["fact"], node["op"]
    if fact not in facts:
        raise ConditionError(f"{where}: unknown fact {fact!r}; known: {', '.join(sorted(facts))}.")
    if op not in OPS:
        raise ConditionError(f"{where}: unknown op {op!r}; known: {', '.join(OPS)}.")
    types, arity = OPS[op]
    kind = facts[fact]
    if kind not in types:
        raise ConditionError(f"{where}: {op} compares numbers; {fact} is {kind.value.lower()}.")
    if arity == "none":
        if "value" in node:
            raise ConditionError(f"{where}: {op} takes no value.")
        return {"fact": fact, "op": op}
    if "value" not in node:
        raise ConditionError(f"{where}: {op} needs a value.")
    value = node["value"]
    if arity == "list":
        if not isinstance(value, list) or not value:
            raise ConditionError(f"{where}: {op} needs a non-empty list as value.")
        return {"fact": fact, "op": op, "value": [_constant(v, kind, where) for v in value]}
    return {"fact": fact, "op": op, "value": _constant(value, kind, where)}


def _constant(value: Any, kind: FactType, where: str) -> str:
    """Constants are stored as text: numbers in a form Decimal reads back exactly."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ConditionError(f"{where}: a value is a string or a number.")
    if kind is FactType.NUMBER:
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ConditionError(f"{where}: {value!r} is not a number.") from None
        if not number.is_finite():
            raise ConditionError(f"{where}: {value!r} is not a number.")
        return str(number)
    if len(str(value)) > 200:
        raise ConditionError(f"{where}: a value is at most 200 characters.")
    return str(value)


def holds(condition: Any, facts: Mapping[str, Any]) -> bool:
    """Whether a checked condition holds for these facts (None: not set)."""
    if "not" in condition:
        return not holds(condition["not"], facts)
    if "all" in condition:
        return all(holds(part, facts) for part in condition["all"])
    if "any" in condition:
        return any(holds(part, facts) for part in condition["any"])
    actual = facts.get(condition["fact"])
    op = condition["op"]
    if op == "isEmpty":
        return actual is None
    if op == "isSet":
        return actual is not None
    if op in ("in", "notIn"):
        found = actual is not None and any(_equal(actual, v) for v in condition["value"])
        return found if op == "in" else not found
    if op in ("eq", "ne"):
        same = actual is not None and _equal(actual, condition["value"])
        return same if op == "eq" else not same
    if actual is None:
        return False
    left, right = Decimal(str(actual)), Decimal(condition["value"])
    return {"lt": left < right, "le": left <= right, "gt": left > right, "ge": left >= right}[op]


def _equal(actual: Any, constant: str) -> bool:
    if isinstance(actual, Decimal | int):
        return Decimal(str(actual)) == Decimal(constant)
    return str(actual) == constant
