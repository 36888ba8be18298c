"""Process scripts run within a step and time budget, off the event loop (issue 14)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from domain.workflow import engine, scripts
from domain.workflow.engine import ProcessError
from domain.workflow.scripts import ScriptLimits
from tests.domain.workflow.test_engine import _scripted

BPMN, DMN = engine.shipped()
DATA = {"type": "CERTIFICATE", "channel": "EMPLOYEE", "request_id": 1, "flow": "standard"}
FOREVER = "while True:\n    x = 1"


@pytest.fixture
def limits() -> Iterator[None]:
    before = scripts.limits()
    scripts.configure(ScriptLimits(max_steps=10_000, max_seconds=5))
    yield
    scripts.configure(before)


async def _run(script: str) -> Any:
    return await scripts.bounded(engine.start, engine.parse(_scripted(script), DMN), dict(DATA))


async def test_a_looping_script_is_stopped_after_its_steps(limits: None) -> None:
    with pytest.raises(ProcessError) as stopped:
        await _run(FOREVER)
    assert str(stopped.value) == "`compute`: a script ran more than 10000 steps; it was stopped."


async def test_a_script_cannot_catch_its_stop(limits: None) -> None:
    catching = "while True:\n    try:\n        x = 1\n    except Exception:\n        x = 2"
    with pytest.raises(ProcessError, match="more than 10000 steps"):
        await _run(catching)


@pytest.mark.parametrize(
    "script",
    [
        "try:\n    x = 1\nexcept:\n    x = 2",
        "try:\n    x = 1\nexcept BaseException:\n    x = 2",
        "try:\n    x = 1\nexcept (ValueError, BaseException):\n    x = 2",
        "E = BaseException\ntry:\n    x = 1\nexcept E:\n    x = 2",
        "ValueError = BaseException",
        "try:\n    x = 1\nfinally:\n    x = 2",
    ],
)
def test_a_script_that_could_outrun_its_stop_is_refused(script: str) -> None:
    with pytest.raises(ProcessError, match=r"not allowed|must name|may not rebind"):
        engine.parse(_scripted(script), DMN)


async def test_a_slow_script_is_stopped_by_the_clock() -> None:
    before = scripts.limits()
    scripts.configure(ScriptLimits(max_steps=10**12, max_seconds=0.3))
    try:
        with pytest.raises(ProcessError, match=r"ran longer than 0\.3 s"):
            await _run(FOREVER)
    finally:
        scripts.configure(before)


async def test_the_event_loop_runs_on_while_a_script_loops(limits: None) -> None:
    # given a ticker on the event loop
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticking = asyncio.create_task(tick())
    # when a script loops until stopped (about 10,000 traced lines)
    scripts.configure(ScriptLimits(max_steps=10**12, max_seconds=0.5))
    with pytest.raises(ProcessError):
        await _run(FOREVER)
    ticking.cancel()
    # then the loop ticked meanwhile (it would not have once, on the loop)
    assert ticks >= 10


async def test_a_range_too_large_to_count_is_refused(limits: None) -> None:
    # sum(range(...)) would loop in C, where no step is counted
    with pytest.raises(ProcessError, match="range"):
        await _run("x = sum(range(10**9))")


async def test_a_plain_script_runs_as_before(limits: None) -> None:
    workflow: Any = await _run("total = sum(range(10)) + len([1, 2])")
    assert any(task.data.get("total") == 47 for task in workflow.get_tasks())
