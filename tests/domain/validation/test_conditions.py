"""Rule conditions are data: checked when saved, compared when run, never executed."""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import Any

import pytest

from domain.validation.conditions import ConditionError, check, holds
from domain.validation.facts import FACTS
from domain.validation.models import RuleLevel

CLIENT = FACTS[RuleLevel.GROUP_CLIENT]


@pytest.mark.parametrize(
    ("condition", "says"),
    [
        ("billAllocation is empty", "expected an object"),
        ({}, "expected an object"),
        ({"fact": "colour", "op": "isEmpty"}, "unknown fact 'colour'"),
        ({"fact": "code", "op": "startsWith", "value": "A"}, "unknown op 'startsWith'"),
        ({"fact": "code", "op": "gt", "value": "A"}, "gt compares numbers"),
        ({"fact": "code", "op": "eq"}, "eq needs a value"),
        ({"fact": "code", "op": "isEmpty", "value": "x"}, "isEmpty takes no value"),
        ({"fact": "code", "op": "in", "value": "A"}, "non-empty list"),
        ({"fact": "groupCommissionRate", "op": "gt", "value": "ten"}, "'ten' is not a number"),
        ({"fact": "code", "op": "eq", "value": {"x": 1}}, "a string or a number"),
        ({"all": []}, "condition.all: expected a non-empty list"),
        ({"any": [{"fact": "code", "op": "isSet"}, {"nope": 1}]}, "condition.any[1]"),
        ({"fact": "code", "op": "isSet", "extra": 1}, "expected keys fact, op"),
    ],
)
def test_a_condition_the_engine_cannot_check_is_refused_saying_where(
    condition: Any, says: str
) -> None:
    with pytest.raises(ConditionError, match=says.replace("(", r"\(").replace("[", r"\[")):
        check(condition, CLIENT)


def test_nesting_is_bounded() -> None:
    deep: Any = {"fact": "code", "op": "isSet"}
    for _ in range(10):
        deep = {"not": deep}
    with pytest.raises(ConditionError, match="nest 8 deep"):
        check(deep, CLIENT)


FACTS_NOW = {
    "code": "ACME",
    "lineOfBusiness": "HEALTH",
    "billAllocation": None,
    "groupCommissionRate": Decimal("5.5"),
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"fact": "billAllocation", "op": "isEmpty"}, True),
        ({"fact": "code", "op": "isSet"}, True),
        ({"fact": "code", "op": "eq", "value": "ACME"}, True),
        ({"fact": "code", "op": "ne", "value": "ACME"}, False),
        ({"fact": "lineOfBusiness", "op": "in", "value": ["LIFE", "HEALTH"]}, True),
        ({"fact": "lineOfBusiness", "op": "notIn", "value": ["LIFE"]}, True),
        ({"fact": "groupCommissionRate", "op": "gt", "value": 5}, True),
        ({"fact": "groupCommissionRate", "op": "le", "value": "5.5"}, True),
        ({"fact": "groupCommissionRate", "op": "eq", "value": "5.50"}, True),
        ({"fact": "groupAccountCount", "op": "gt", "value": 1}, False),
        ({"fact": "billAllocation", "op": "ne", "value": "SINGLE_BILL"}, True),
        (
            {"all": [{"fact": "code", "op": "isSet"}, {"not": {"fact": "code", "op": "isEmpty"}}]},
            True,
        ),
        ({"any": [{"fact": "code", "op": "isEmpty"}, {"fact": "name", "op": "isSet"}]}, False),
    ],
)
def test_conditions_compare_facts(condition: Any, expected: bool) -> None:
    assert holds(check(condition, CLIENT), {**dict.fromkeys(CLIENT), **FACTS_NOW}) is expected


_WATCHED = {"exec", "compile", "open", "import", "os.system", "subprocess.Popen", "socket.connect"}
_seen: list[str] = []
_watching = [False]


def _hook(event: str, _args: Any) -> None:
    if _watching[0] and event in _WATCHED:
        _seen.append(event)


sys.addaudithook(_hook)


def test_no_rule_text_can_run_code_or_reach_files_or_the_network() -> None:
    # given conditions written by someone who hopes they are evaluated
    hostile = "__import__('os').system('touch /tmp/pwned') or open('/etc/passwd').read()"
    conditions = [
        {"fact": "code", "op": "eq", "value": hostile},
        {"fact": "name", "op": "in", "value": [hostile, "eval('1')"]},
        {"not": {"fact": "code", "op": "ne", "value": "exec('import socket')"}},
    ]
    checked = [check(c, CLIENT) for c in conditions]
    facts = {**dict.fromkeys(CLIENT), "code": hostile, "name": "x"}
    # when they are checked again and run, watched by the interpreter's audit hooks
    _watching[0] = True
    try:
        results = [holds(c, facts) for c in checked] + [
            holds(check(c, CLIENT), facts) for c in conditions
        ]
    finally:
        _watching[0] = False
    # then they were only compared as text: no code ran, no file or socket was opened
    assert results == [True, False, False, True, False, False]
    assert _seen == []
    with pytest.raises(ConditionError):
        check({"fact": hostile, "op": "isSet"}, CLIENT)
    with pytest.raises(ConditionError):
        check({"fact": "code", "op": hostile}, CLIENT)
