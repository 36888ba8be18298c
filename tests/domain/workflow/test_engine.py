"""The BPMN engine: the shipped flow's routes, the sandbox, and what deployment refuses."""

from __future__ import annotations

from typing import Any

import pytest

from domain.workflow import engine
from domain.workflow.engine import ProcessError, Sandbox

BPMN, DMN = engine.shipped()


def _start(**data: Any) -> Any:
    defaults = {
        "life_event": None,
        "days_since_event": None,
        "approval": "MANAGER",
        "registration": "BACK_OFFICE",
        "request_id": 1,
        "flow": "standard",
        "employer_cost_change": None,
    }
    return engine.start(engine.parse(BPMN, DMN), {**defaults, **data})


@pytest.mark.parametrize(
    ("type_", "channel", "event", "days", "first"),
    [
        ("ENROLMENT", "EMPLOYEE", None, None, "manager_approval"),
        ("ENROLMENT", "EMPLOYEE", "BIRTH", 30, "register_automatically"),
        ("ENROLMENT", "EMPLOYEE", "BIRTH", 31, "manager_approval"),
        ("ENROLMENT", "GROUP_PORTAL", None, None, "register_automatically"),
        ("TERMINATION", "PARTNER", None, None, "manager_approval"),
        ("MEDICAL_AUTHORIZATION", "EMPLOYEE", None, None, "review"),
        ("PRODUCT_UPGRADE", "BACK_OFFICE", None, None, "register_automatically"),
        ("CERTIFICATE", "EMPLOYEE", None, None, "register_automatically"),
        ("DEPENDANT_REMOVAL", "EMPLOYEE", None, None, "manager_approval"),
        ("DEPENDANT_REMOVAL", "GROUP_PORTAL", None, None, "register_automatically"),
    ],
)
def test_the_decision_table_routes_each_request(
    type_: str, channel: str, event: str | None, days: int | None, first: str
) -> None:
    workflow = _start(type=type_, channel=channel, life_event=event, days_since_event=days)
    assert [w.name for w in engine.waiting(workflow)] == [first]


@pytest.mark.parametrize(
    ("type_", "channel", "event", "days", "first"),
    [
        ("ENROLMENT", "EMPLOYEE", None, None, "register_now"),
        ("ENROLMENT", "EMPLOYEE", "BIRTH", 30, "register_automatically"),
        ("ENROLMENT", "EMPLOYEE", "BIRTH", 31, "register_now"),
        ("ENROLMENT", "GROUP_PORTAL", None, None, "register_automatically"),
        ("DEPENDANT_REMOVAL", "EMPLOYEE", None, None, "register_now"),
        ("DEPENDANT_REMOVAL", "BACK_OFFICE", None, None, "register_automatically"),
        ("DATA_CHANGE", "EMPLOYEE", None, None, "register_now"),
        ("DATA_CHANGE", "GROUP_PORTAL", None, None, "register_automatically"),
        ("TERMINATION", "EMPLOYEE", None, None, "manager_approval"),
    ],
)
def test_after_the_fact_an_employees_change_is_registered_before_it_is_ratified(
    type_: str, channel: str, event: str | None, days: int | None, first: str
) -> None:
    bpmn, dmn = engine.shipped(engine.AFTER_THE_FACT)
    data = {"type": type_, "channel": channel, "life_event": event, "days_since_event": days}
    workflow = engine.start(
        engine.parse(bpmn, dmn),
        {
            "approval": "MANAGER",
            "registration": "BACK_OFFICE",
            "request_id": 1,
            **data,
            "flow": engine.AFTER_THE_FACT,
        },
    )
    assert [w.name for w in engine.waiting(workflow)] == [first]


def test_a_state_saved_and_loaded_goes_on_where_it_stopped() -> None:
    # given
    workflow = _start(type="TERMINATION", channel="EMPLOYEE")
    (approval,) = engine.waiting(workflow)
    # when
    again = engine.load(engine.dump(workflow))
    engine.complete(again, approval.id, {"decision": "REJECT"})
    # then
    assert engine.outcome(again) == "REJECTED"
    assert engine.outcome(workflow) is None


@pytest.mark.parametrize(
    "script",
    [
        "import os",
        "from os import path",
        "open('/etc/passwd').read()",
        "x = ().__class__.__bases__[0].__subclasses__()",
        "__import__('os').system('true')",
        "eval('1 + 1')",
        "exec('x = 1')",
        "getattr(type, '__subclasses__')",
        "import socket; socket.create_connection(('example.com', 80))",
    ],
)
def test_the_sandbox_allows_no_imports_files_or_network(script: str) -> None:
    with pytest.raises((SyntaxError, NameError, AttributeError)):
        Sandbox().execute(script, {})


def test_the_sandbox_runs_plain_scripts_over_the_task_data() -> None:
    data: dict[str, Any] = {"days": 12, "kinds": ["A", "B"]}
    Sandbox().execute("late = days > 30\ncount = len(kinds)\nfirst = sorted(kinds)[0]", data)
    assert (data["late"], data["count"], data["first"]) == (False, 2, "A")
    assert Sandbox().evaluate("days <= 30 and 'A' in kinds", data) is True


def _with(old: str, new: str) -> str:
    assert old in BPMN
    return BPMN.replace(old, new, 1)


SCRIPT_TASK = (
    '<bpmn:scriptTask id="compute" name="Compute"><bpmn:incoming>to_route</bpmn:incoming>'
    "<bpmn:outgoing>after_compute</bpmn:outgoing><bpmn:script>{script}</bpmn:script>"
    "</bpmn:scriptTask>"
    '<bpmn:sequenceFlow id="after_compute" sourceRef="compute" targetRef="route" />'
)


def _scripted(script: str) -> str:
    return _with(
        '<bpmn:sequenceFlow id="to_route" sourceRef="submitted" targetRef="route" />',
        '<bpmn:sequenceFlow id="to_route" sourceRef="submitted" targetRef="compute" />'
        + SCRIPT_TASK.format(script=script),
    ).replace(
        "<bpmn:incoming>to_route</bpmn:incoming>\n      <bpmn:outgoing>to_who_approves",
        "<bpmn:incoming>after_compute</bpmn:incoming>\n      <bpmn:outgoing>to_who_approves",
    )


@pytest.mark.parametrize(
    ("bpmn", "dmn", "says"),
    [
        ("<not xml", DMN, "not well-formed XML"),
        (BPMN, ["<dmn"], "not well-formed XML"),
        (_with('value="GROUP_MANAGER"', 'value="CEO"'), DMN, "`assignee` must be one of"),
        (_with('value="P3D"', 'value="soon"'), DMN, "ISO 8601 duration"),
        (_with('id="register"', 'id="transfer_money"'), DMN, "unknown operation"),
        (_with('approval == "BACK_OFFICE"', "__import__('os')"), DMN, "refused"),
        (_scripted("import os"), DMN, "imports are not allowed"),
        (_scripted("x = ().__class__"), DMN, "invalid attribute name"),
        (BPMN, [], "route"),
        (_with('isExecutable="true"', 'isExecutable="false"'), DMN, "exactly one"),
    ],
)
def test_a_broken_process_file_is_refused(bpmn: str, dmn: list[str], says: str) -> None:
    with pytest.raises(ProcessError) as refused:
        engine.parse(bpmn, dmn)
    assert says in str(refused.value)


def test_a_script_that_fails_when_it_runs_stops_the_process_with_its_reason() -> None:
    # given a file that passes the checks but reads a name nobody gave it
    definition = engine.parse(_scripted("x = no_such_name + 1"), DMN)
    # then
    with pytest.raises(ProcessError, match="no_such_name"):
        engine.start(definition, {"type": "CERTIFICATE", "channel": "EMPLOYEE"})


def test_a_script_cannot_open_files_at_run_time_either() -> None:
    definition = engine.parse(_scripted("secret = open('/etc/hostname').read()"), DMN)
    with pytest.raises(ProcessError, match="open"):
        engine.start(definition, {"type": "CERTIFICATE", "channel": "EMPLOYEE"})
