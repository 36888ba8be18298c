"""The BPMN engine: SpiffWorkflow runs process files, with scripts in a restricted sandbox.

Process definitions are BPMN 2.0 with DMN decision tables (the spiffworkflow extensions
for task properties and service operators). The server's own work (registering through
the policies services, telling the employee) is a `serviceTask`: the engine stops there,
and `domain.workflow.steps` does the work and completes the task in a transaction of its
own. People's work is a `userTask`, which becomes a row in an inbox.

Conditions, DMN entries and scripts run under RestrictedPython: no imports, no names
starting with `_`, no `open`, `exec` or `eval`; only plain values and safe builtins. The
async services run the engine through `domain.workflow.scripts.bounded`: off the event loop,
with a step and time budget.
"""

from __future__ import annotations

import ast
import builtins
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree
from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, safer_getattr
from RestrictedPython.Limits import limited_range
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter
from SpiffWorkflow.spiff.specs.defaults import ServiceTask, UserTask
from SpiffWorkflow.util.task import TaskState

from domain.workflow.scripts import (
    SCRIPT_FILE,
    ScriptLimitExceeded,
    metered,
    refuse_unstoppable,
)

PROCESSES = Path(__file__).parent / "processes"
DEFAULT_PROCESS = "standard"
"""The process a request follows when no `process flow` setting names another."""
AFTER_THE_FACT = "after_the_fact"
"""The shipped process under which an employee's enrolment, dependant removal or data change
is registered at once and ratified by the group's manager afterwards (the decision table
reads the process's key as `flow`); a group chooses it with its `process flow` setting."""
SHIPPED = {DEFAULT_PROCESS: "Standard request", AFTER_THE_FACT: "Approval after the fact"}


class ServiceOperation(StrEnum):
    """What a serviceTask may ask the server to do (its operator's id in the file)."""

    REGISTER = "register"
    """Register the request through the policies services, as its sender."""
    REGISTER_PROVISIONALLY = "register_provisionally"
    """Register it as `register` does, keeping what it changed until it is ratified."""
    CONFIRM = "confirm"
    """The registration is ratified: forget what it changed."""
    REVERSE = "reverse"
    """The ratification was refused: undo the registration exactly."""
    NOTIFY = "notify"
    """Tell the employee how it ended."""
    MAIL_MERGE = "mail_merge"
    """A campaign's letter to each affected member of a client that opted in (the coach)."""


class Assignee(StrEnum):
    """Whose inbox a user task lands in."""

    GROUP_MANAGER = "GROUP_MANAGER"
    BACK_OFFICE = "BACK_OFFICE"


class TaskKind(StrEnum):
    """An APPROVAL decides; a FULFILMENT does the insurer's part by hand."""

    APPROVAL = "APPROVAL"
    FULFILMENT = "FULFILMENT"


class ProcessError(Exception):
    """A process file that cannot be deployed or run, with a message for its author."""


# --- The sandbox ----------------------------------------------------------------------

_BUILTINS = {
    **safe_builtins,
    **{
        name: getattr(builtins, name)
        for name in ("min", "max", "sum", "any", "all", "sorted", "dict", "list", "set")
    },
    # At most 1,000 items: `sum(range(10**10))` would run in C, where no step is counted.
    "range": limited_range,
}
_GUARDS = {
    "__builtins__": _BUILTINS,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_write_": full_write_guard,
}


def _refuse_imports(source: str) -> None:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            raise SyntaxError("imports are not allowed in process scripts")
    refuse_unstoppable(tree)


@lru_cache(maxsize=1024)
def _compiled(source: str, mode: str) -> Any:
    _refuse_imports(source)
    compile_ = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compile_(source, filename=SCRIPT_FILE)
    if result.errors:
        raise SyntaxError("; ".join(result.errors))
    return result.code


class Sandbox(TaskDataEnvironment):
    """Task data as the only variables, RestrictedPython's guards around every access."""

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: Any = None
    ) -> Any:
        scope = {**_GUARDS, **(external_context or {}), **context}
        code = _compiled(expression, "eval")
        return metered(lambda: eval(code, scope))

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        scope = {**_GUARDS, **(external_context or {}), **context}
        code = _compiled(script, "exec")
        metered(lambda: exec(code, scope))
        context.update({k: v for k, v in scope.items() if k not in _GUARDS and not callable(v)})
        return True


class SandboxedEngine(PythonScriptEngine):
    """Spiff's script engine on the sandbox; validation compiles as the sandbox would."""

    def __init__(self) -> None:
        super().__init__(environment=Sandbox())

    def validate(self, expression: str) -> None:
        _compiled(expression, "eval")

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        with _naming(task):
            return super().evaluate(task, expression, external_context)

    def execute(self, task: Any, script: str, external_context: Any = None) -> Any:
        with _naming(task):
            return super().execute(task, script, external_context)


@contextmanager
def _naming(task: Any) -> Iterator[None]:
    """Name the task on a script limit raised in its script or condition."""
    try:
        yield
    except ScriptLimitExceeded as over:
        over.task = over.task or getattr(task.task_spec, "bpmn_id", None)
        raise


SCRIPTS = SandboxedEngine()


# --- Parsing and serializing ----------------------------------------------------------


class ExternalTask(ServiceTask):  # type: ignore[misc]
    """A serviceTask the engine does not run: it waits, STARTED, for the server's steps."""

    def _run_hook(self, my_task: Any) -> None:
        return None


class _ServiceTaskParser(ServiceTaskParser):  # type: ignore[misc]
    pass


class Parser(SpiffBpmnParser):  # type: ignore[misc]
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        "{http://www.omg.org/spec/BPMN/20100524/MODEL}serviceTask": (
            _ServiceTaskParser,
            ExternalTask,
        ),
    }


_config = dict(SPIFF_CONFIG)
_config[ExternalTask] = ServiceTaskConverter
_registry = BpmnWorkflowSerializer.configure(_config)
# Money in the process data (a request's cost, domain.workflow.costs) stays Decimal, so that
# a decision table compares amounts exactly.
_registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
SERIALIZER = BpmnWorkflowSerializer(_registry)


@dataclass(frozen=True)
class Definition:
    """A parsed process: its key (the BPMN process id) and what instantiates it."""

    key: str
    name: str
    spec: Any
    subprocess_specs: Any


def parse(bpmn: str, dmn: list[str]) -> Definition:
    """Parse and check a process file and its decision tables, or raise ProcessError."""
    parser = Parser()
    try:
        parser.add_bpmn_str(bpmn.encode())
        for table in dmn:
            parser.add_dmn_str(table.encode())
        executable = parser.get_process_ids()
        if len(executable) != 1:
            raise ProcessError(
                f"The file must hold exactly one executable process; it holds {len(executable)}."
            )
        (key,) = executable
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except ProcessError:
        raise
    except etree.XMLSyntaxError as error:
        raise ProcessError(f"The file is not well-formed XML: {_message(error)}") from error
    except (ValidationException, SpiffWorkflowException, KeyError) as error:
        raise ProcessError(_message(error)) from error
    except Exception as error:  # the parser raises what it meets: name it, refuse the file
        raise ProcessError(f"The process cannot be read: {_message(error)}") from error
    definition = Definition(key, spec.description or key, spec, subprocess_specs)
    _check(definition, bpmn)
    return definition


def _message(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:500]


def _check(definition: Definition, bpmn: str) -> None:
    """The conventions the server relies on, and every script compiled in the sandbox."""
    problems: list[str] = []
    for spec in _all_specs(definition):
        where = f"`{spec.bpmn_id}`"
        if isinstance(spec, UserTask):
            props = _properties(spec)
            if props.get("assignee") not in set(Assignee):
                problems.append(
                    f"{where}: the property `assignee` must be one of {_list(Assignee)}."
                )
            if props.get("kind") not in set(TaskKind):
                problems.append(f"{where}: the property `kind` must be one of {_list(TaskKind)}.")
            try:
                due_after(props.get("due", ""))
            except ProcessError as error:
                problems.append(f"{where}: {error}")
        elif isinstance(spec, ServiceTask) and spec.operation_name not in set(ServiceOperation):
            problems.append(
                f"{where}: unknown operation `{spec.operation_name}`; "
                f"known: {_list(ServiceOperation)}."
            )
        for script in (getattr(spec, "script", None), spec_prescript(spec), spec_postscript(spec)):
            if script:
                try:
                    _compiled(script, "exec")
                except SyntaxError as error:
                    problems.append(f"{where}: the script is refused: {error}")
        for condition in _conditions(spec):
            try:
                _compiled(condition, "eval")
            except SyntaxError as error:
                problems.append(f"{where}: the condition `{condition}` is refused: {error}")
    if problems:
        raise ProcessError(" ".join(problems))


def spec_prescript(spec: Any) -> str | None:
    return getattr(spec, "prescript", None)


def spec_postscript(spec: Any) -> str | None:
    return getattr(spec, "postscript", None)


def _conditions(spec: Any) -> list[str]:
    return [
        condition.args[0]
        for condition, _target in getattr(spec, "cond_task_specs", None) or []
        if condition is not None
    ]


def _list(enum: type[StrEnum]) -> str:
    return ", ".join(member.value for member in enum)


def _all_specs(definition: Definition) -> list[Any]:
    specs = list(definition.spec.task_specs.values())
    for sub in (definition.subprocess_specs or {}).values():
        specs.extend(sub.task_specs.values())
    return specs


def _properties(spec: Any) -> dict[str, str]:
    return dict((getattr(spec, "extensions", None) or {}).get("properties", {}))


def due_after(duration: str) -> timedelta:
    """An ISO 8601 duration such as P3D or PT4H as a timedelta, or ProcessError."""
    try:
        parsed = TimerEventDefinition.parse_iso_duration(duration)
        delta = TimerEventDefinition.get_timedelta_from_start(parsed, datetime(2000, 1, 1))
    except Exception as error:
        raise ProcessError(
            f"the property `due` must be an ISO 8601 duration such as P3D, not {duration!r}."
        ) from error
    if delta <= timedelta(0):
        raise ProcessError(f"the property `due` must be a positive duration, not {duration!r}.")
    return delta


@lru_cache(maxsize=64)
def _cached(bpmn: str, dmn: tuple[str, ...]) -> Definition:
    return parse(bpmn, list(dmn))


def definition_of(bpmn: str, dmn: list[str]) -> Definition:
    """A stored definition, parsed once per process."""
    return _cached(bpmn, tuple(dmn))


def shipped(key: str = DEFAULT_PROCESS) -> tuple[str, list[str]]:
    """A shipped process file and its decision tables; every shipped key is the standard
    flow under its own id, its decision table telling them apart by `flow`."""
    bpmn = (PROCESSES / f"{DEFAULT_PROCESS}.bpmn").read_text()
    if key != DEFAULT_PROCESS:
        bpmn = bpmn.replace(
            f'id="{DEFAULT_PROCESS}" name="{SHIPPED[DEFAULT_PROCESS]}"',
            f'id="{key}" name="{SHIPPED[key]}"',
            1,
        )
    return bpmn, [path.read_text() for path in sorted(PROCESSES.glob("*.dmn"))]


# --- Running --------------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """A task the workflow waits on: a person's (user) or the server's (service)."""

    id: str
    name: str
    title: str
    service: ServiceOperation | None = None
    assignee: Assignee | None = None
    kind: TaskKind | None = None
    due: timedelta | None = None


def start(definition: Definition, data: dict[str, Any]) -> BpmnWorkflow:
    """A new instance of the process with `data`, run up to its first wait."""
    workflow = BpmnWorkflow(definition.spec, definition.subprocess_specs, script_engine=SCRIPTS)
    workflow.get_next_task(state=TaskState.READY).data.update(data)
    run(workflow)
    return workflow


def run(workflow: BpmnWorkflow) -> None:
    """Run every step the engine can take alone; scripts and tables raise ProcessError."""
    try:
        workflow.do_engine_steps()
    except ScriptLimitExceeded as over:
        raise _stopped(over) from over
    except SpiffWorkflowException as error:
        raise ProcessError(_message(error)) from error


def _stopped(over: ScriptLimitExceeded) -> ProcessError:
    where = f"`{over.task}`: " if over.task else ""
    return ProcessError(f"{where}{over}; it was stopped.")


def waiting(workflow: BpmnWorkflow) -> list[Waiting]:
    """The tasks the workflow waits on now."""
    found = []
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.STARTED):
        spec = task.task_spec
        if isinstance(spec, ExternalTask):
            found.append(
                Waiting(
                    str(task.id),
                    spec.bpmn_id,
                    spec.bpmn_name or spec.bpmn_id,
                    service=ServiceOperation(spec.operation_name),
                )
            )
        elif isinstance(spec, UserTask):
            props = _properties(spec)
            found.append(
                Waiting(
                    str(task.id),
                    spec.bpmn_id,
                    spec.bpmn_name or spec.bpmn_id,
                    assignee=Assignee(props["assignee"]),
                    kind=TaskKind(props["kind"]),
                    due=due_after(props["due"]),
                )
            )
    return found


def complete(workflow: BpmnWorkflow, task_id: str, data: dict[str, Any]) -> None:
    """Finish a waiting task with `data` added to the process data, and run on."""
    task = next(
        (
            t
            for t in workflow.get_tasks(state=TaskState.READY | TaskState.STARTED)
            if str(t.id) == task_id
        ),
        None,
    )
    if task is None:
        raise ProcessError(f"The process does not wait on task {task_id}.")
    task.data.update(data)
    try:
        if task.state == TaskState.STARTED:
            task.complete()
        else:
            task.run()
    except ScriptLimitExceeded as over:  # a script of the task itself
        raise _stopped(over) from over
    run(workflow)


def outcome(workflow: BpmnWorkflow) -> str | None:
    """None while running; else the `outcome` property of the end event reached."""
    if not workflow.is_completed():
        return None
    for task in workflow.get_tasks(state=TaskState.COMPLETED):
        spec = task.task_spec
        if isinstance(spec, EndEvent) and getattr(spec, "bpmn_id", None):
            reached = _properties(spec).get("outcome")
            if reached:
                return reached
    return "COMPLETED"


def dump(workflow: BpmnWorkflow) -> str:
    return str(SERIALIZER.serialize_json(workflow))


def load(state: str) -> BpmnWorkflow:
    workflow = SERIALIZER.deserialize_json(state)
    workflow.script_engine = SCRIPTS
    return workflow


def jsonable(value: Any) -> Any:
    """Data that JSON can carry (task data is JSON once serialized anyway)."""
    return json.loads(json.dumps(value, default=str))
