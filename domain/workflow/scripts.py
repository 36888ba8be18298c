"""Process scripts run with a budget, on a thread of their own, never on the event loop.

Scripts, conditions and decision-table entries are admin-deployed Python (RestrictedPython,
see domain.workflow.engine). A loop in one used to hold the server's event loop for as long
as it ran (issue 14). Every engine run now goes through `bounded`:

- It runs on one worker thread, so the event loop keeps serving (/healthz, other requests)
  while it runs; one thread, so that two runs never share SpiffWorkflow's parsed specs at
  once (they were never run concurrently before either, and the engine is CPU-bound: a
  second thread would only take turns for the GIL).
- A trace function, set around each script only (`metered`), counts the lines the scripts of
  the run execute (frames of script code, by its file name; SpiffWorkflow's own code runs
  untraced) and checks the clock every 1,000 lines; past either limit it raises in the script, and
  again on every further line, so that a `try`/`except` in the script cannot swallow it.

Why not a time limit alone: a thread cannot be killed, so only a check inside the running
code stops it. Why not a process: the workflow objects live in this process, and a process
per step would fork and copy the workflow for every step. What this does not stop: one
C-level call that runs long by itself (a huge `pow`, `[0] * 10**9`); `range` is limited to
1,000 items so that `sum(range(...))` is not one, but the rest would need a process with a
memory limit.
"""

from __future__ import annotations

import ast
import asyncio
import builtins
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import FrameType
from typing import Any, TypeVar

SCRIPT_FILE = "<process script>"
"""The file name every script is compiled under; the trace function counts only these."""
CLOCK_EVERY = 1000

T = TypeVar("T")


@dataclass(frozen=True)
class ScriptLimits:
    """How much the scripts of one engine run (a start, a completed task) may do."""

    max_steps: int = 100_000
    """Lines of script executed, over all the scripts and conditions of the run."""
    max_seconds: float = 2.0
    """Time the run may take."""


class ScriptLimitExceeded(BaseException):
    """A script ran over its budget; the message says which and is the request's reason.

    A BaseException, so that no `except Exception` (the script's or SpiffWorkflow's) stops it
    on its way out; see `refuse_unstoppable` for what a script may not catch."""

    task: str | None = None
    """The BPMN id of the task whose script ran over, once known."""


CATCHABLE = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, Exception)
)
"""What a script may name in `except`: the builtin exceptions that are `Exception`s."""


def refuse_unstoppable(tree: ast.AST) -> None:
    """Refuse a script that could go on once its budget is spent: Python stops tracing a
    thread whose trace function raised, so a script that catches the stop, or runs a
    `finally` after it, would run on untraced. So `except` names only builtin `Exception`
    classes (never bare, never BaseException), those names are never rebound, and there
    is no `finally`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.TryStar) or (isinstance(node, ast.Try) and node.finalbody):
            raise SyntaxError("`finally` and `except*` are not allowed in process scripts")
        if isinstance(node, ast.ExceptHandler) and not _names_catchable(node.type):
            raise SyntaxError(
                "`except` must name builtin exceptions such as ValueError or KeyError"
            )
        if _binds(node) & CATCHABLE:
            raise SyntaxError("process scripts may not rebind the builtin exceptions")


def _names_catchable(caught: ast.expr | None) -> bool:
    if isinstance(caught, ast.Tuple):
        return bool(caught.elts) and all(_names_catchable(item) for item in caught.elts)
    return isinstance(caught, ast.Name) and caught.id in CATCHABLE


def _binds(node: ast.AST) -> set[str]:
    """The names a node binds."""
    if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
        return {node.id}
    if isinstance(node, ast.arg):
        return {node.arg}
    if isinstance(node, ast.Global | ast.Nonlocal):
        return set(node.names)
    named = getattr(node, "name", None)  # def, class, except ... as, match captures
    rest = getattr(node, "rest", None)
    return {n for n in (named, rest) if isinstance(n, str)}


_limits = ScriptLimits()
_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="process-scripts")


def configure(limits: ScriptLimits) -> None:
    """Set this process's limits (the server and the worker do, from their settings)."""
    global _limits
    _limits = limits


def limits() -> ScriptLimits:
    return _limits


async def bounded(run: Callable[..., T], *args: Any) -> T:
    """Run `run(*args)` (an engine run) on the script thread, its scripts within the limits."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_thread, _budgeted, _limits, run, args)


def _budgeted(limits: ScriptLimits, run: Callable[..., T], args: tuple[Any, ...]) -> T:
    _running.budget = _Budget(limits)
    try:
        return run(*args)
    finally:
        _running.budget = None


def metered(run: Callable[[], T]) -> T:
    """Run one script or expression, counting its lines against the budget of the engine run
    it is part of (a fresh budget outside `bounded`).

    The trace function is set around the script only: SpiffWorkflow's own code between
    scripts runs untraced, at full speed.
    """
    budget = getattr(_running, "budget", None) or _Budget(_limits)
    previous = sys.gettrace()
    sys.settrace(budget.call)
    try:
        return run()
    finally:
        sys.settrace(previous)


_running = threading.local()


class _Budget:
    """The steps and time left to the scripts of one engine run."""

    def __init__(self, limits: ScriptLimits) -> None:
        self.limits = limits
        self.steps = 0
        self.deadline = time.monotonic() + limits.max_seconds
        self.over: str | None = None

    def call(self, frame: FrameType, _event: str, _arg: Any) -> Any:
        return self.line if frame.f_code.co_filename == SCRIPT_FILE else None

    def line(self, frame: FrameType, event: str, _arg: Any) -> Any:
        if event != "line":
            return self.line
        self.steps += 1
        if self.over is None and self.steps > self.limits.max_steps:
            self.over = f"a script ran more than {self.limits.max_steps} steps"
        if self.over is None and self.steps % CLOCK_EVERY == 0 and time.monotonic() > self.deadline:
            self.over = f"the scripts ran longer than {self.limits.max_seconds:g} s"
        if self.over is not None:
            raise ScriptLimitExceeded(self.over)
        return self.line
