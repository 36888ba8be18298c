"""Process scripts run with a budget, on a thread of their own, never on the event loop.

Scripts, conditions and decision-table entries are admin-deployed Python (RestrictedPython,
see domain.workflow.engine). A loop in one used to hold the server's event loop for as long
as it ran (issue 14). Every engine run now goes through `bounded`:

- It runs on one worker thread, so the event loop keeps serving (/healthz, other requests)
  while it runs; one thread, so that two runs never share SpiffWorkflow's parsed specs at
  once (they were never run concurrently before either, and the engine is CPU-bound: a
  second thread would only take turns for the GIL).
- A trace function on that thread counts the lines the scripts execute (only frames of
  script code, by its file name, so SpiffWorkflow's own code is neither counted nor slowed)
  and checks the clock every 1,000 lines; past either limit it raises in the script, and
  again on every further line, so that a `try`/`except` in the script cannot swallow it.

Why not a time limit alone: a thread cannot be killed, so only a check inside the running
code stops it. Why not a process: the workflow objects live in this process, and a process
per step would fork and copy the workflow for every step. What this does not stop: one
C-level call that runs long by itself (a huge `pow`, `[0] * 10**9`); `range` is limited to
1,000 items so that `sum(range(...))` is not one, but the rest would need a process with a
memory limit.
"""

from __future__ import annotations

import asyncio
import sys
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


class ScriptLimitExceeded(Exception):
    """A script ran over its budget; the message says which and is the request's reason."""


_limits = ScriptLimits()
_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="process-scripts")


def limit_exceeded_in(error: BaseException) -> ScriptLimitExceeded | None:
    """The limit an engine's error wraps (SpiffWorkflow raises its own in its `except`)."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ScriptLimitExceeded):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def configure(limits: ScriptLimits) -> None:
    """Set this process's limits (the server and the worker do, from their settings)."""
    global _limits
    _limits = limits


def limits() -> ScriptLimits:
    return _limits


async def bounded(run: Callable[..., T], *args: Any) -> T:
    """Run `run(*args)` (an engine run) on the script thread, its scripts within the limits."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_thread, _traced, _limits, run, args)


def _traced(limits: ScriptLimits, run: Callable[..., T], args: tuple[Any, ...]) -> T:
    sys.settrace(_tracer(limits))
    try:
        return run(*args)
    finally:
        sys.settrace(None)


def _tracer(limits: ScriptLimits) -> Any:
    steps = 0
    deadline = time.monotonic() + limits.max_seconds
    over: str | None = None

    def line(frame: FrameType, event: str, _arg: Any) -> Any:
        nonlocal steps, over
        if event != "line":
            return line
        steps += 1
        if over is None and steps > limits.max_steps:
            over = f"a script ran more than {limits.max_steps} steps"
        if over is None and steps % CLOCK_EVERY == 0 and time.monotonic() > deadline:
            over = f"the scripts ran longer than {limits.max_seconds:g} s"
        if over is not None:
            raise ScriptLimitExceeded(over)
        return line

    def call(frame: FrameType, _event: str, _arg: Any) -> Any:
        return line if frame.f_code.co_filename == SCRIPT_FILE else None

    return call
